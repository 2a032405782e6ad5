"""Every closed form of the catalog against the definition, evaluated independently (tests/oracles.py).

Parametrised over ``symce.families.EXAMPLES`` (entropy) and ``pairs()`` (cross-entropy, KL, gradients,
identities), so a family added to the catalog is tested here without editing this file.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import symce as sc
from symce.core.family import flat_values
from conftest import SEEDS, example_params, oracle, pair_params, sample_point
import oracles

#: agreement required between a closed form and the definition (the oracles work at 40 digits)
DIGITS = 25
#: agreement required between a derived gradient and a central difference of the definition
FD_DIGITS = 20
#: gradients are checked at two of the points (each costs two oracle evaluations per parameter)
GRADIENT_SEEDS = SEEDS[:2]


def _check(closed, truth, what, values):
    got = oracles.value(closed, values)
    agree = oracles.digits_agree(got, truth)
    assert agree >= DIGITS, (f"{what}: closed form {closed} = {mpmath.nstr(got, 30)} but the definition gives "
                             f"{mpmath.nstr(truth, 30)} ({agree:.1f} digits) at {values}")


@pytest.mark.parametrize("ex", example_params())
def test_entropy_matches_definition(ex):
    P = ex.build(1)
    d = sc.entropy(P)
    for seed in SEEDS:
        values = sample_point(seed, (ex, P))
        _check(d.result, oracle(oracles.entropy, P, values), f"H({P!r})", values)


@pytest.mark.parametrize("a, b", pair_params())
def test_cross_entropy_matches_definition(a, b):
    P, Q = a.build(1), b.build(2)
    d = sc.cross_entropy(P, Q)
    for seed in SEEDS:
        values = sample_point(seed, (a, P), (b, Q))
        _check(d.result, oracle(oracles.cross_entropy, P, Q, values), f"H({P!r}, {Q!r})", values)


@pytest.mark.parametrize("a, b", pair_params())
def test_kl_matches_definition(a, b):
    P, Q = a.build(1), b.build(2)
    d = sc.kl(P, Q)
    for seed in SEEDS:
        values = sample_point(seed, (a, P), (b, Q))
        _check(d.result, oracle(oracles.kl, P, Q, values), f"KL({P!r} ‖ {Q!r})", values)


# -- gradients ---------------------------------------------------------------------------------------
_M = sp.Symbol("m", integer=True, positive=True)


def _own_parameters(Q, P, values):
    """Q's free parameters as (wrt, key of the sample point, extra substitution, entry): plain symbols;
    for an IndexedBase (symbolic k) the generic element base[m] at each sampled m; for a column-vector
    MatrixSymbol (symbolic d) the matrix gradient, entry by entry."""
    theirs = P.free_symbols
    out = []
    for v in Q.parameters.values():
        for e in flat_values(v):
            if isinstance(e, sp.IndexedBase):
                for key in sorted((k for k in values if isinstance(k, sp.Indexed) and k.base == e), key=str):
                    out.append((e[_M], key, {_M: key.indices[0]}, None))
            elif isinstance(e, sp.MatrixSymbol):
                rows, cols = values[e].shape
                if cols != 1:
                    continue  # a symmetric matrix parameter: its gradient convention is test_mvnormal.py's
                out.extend((e, (e, i), {}, i) for i in range(rows))
            elif isinstance(e, sp.Symbol) and not e.is_integer and e not in theirs:
                out.append((e, e, {}, None))
    return out


def _derived_value(expr, values, entry):
    if entry is None:
        return oracles.value(expr, values)
    return oracles.value(oracles.substitute(expr, values)[entry], {})


@pytest.mark.parametrize("a, b", pair_params())
def test_cross_entropy_gradient_matches_finite_differences(a, b):
    P, Q = a.build(1), b.build(2)
    d = sc.cross_entropy(P, Q)
    params, gradients = None, {}
    for seed in GRADIENT_SEEDS:
        values = sample_point(seed, (a, P), (b, Q))
        params = params or _own_parameters(Q, P, values)
        assert params, f"{Q!r} has no free parameters to differentiate"
        for wrt, key, extra, entry in params:
            derived = gradients.get(wrt) or gradients.setdefault(wrt, d.gradient(wrt).result)
            got = _derived_value(derived, {**extra, **values}, entry)
            fd = oracle(oracles.central_difference, lambda vs: oracles.cross_entropy(P, Q, vs), values, key)
            agree = oracles.digits_agree(got, fd)
            assert agree >= FD_DIGITS, (f"∂H(P,Q)/∂{key} for P = {P!r}, Q = {Q!r}: derived {derived} = "
                                        f"{mpmath.nstr(got, 25)}, central difference of the definition "
                                        f"{mpmath.nstr(fd, 25)} ({agree:.1f} digits) at {values}")


# -- identities --------------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b", pair_params())
def test_kl_decomposition_proved(a, b):
    proof = sc.kl_decomposition(a.build(1), b.build(2))
    assert proof.status == "proved", str(proof)


@pytest.mark.parametrize("ex", example_params())
def test_kl_self_zero_proved(ex):
    proof = sc.kl_self_zero(ex.build(1))
    assert proof.status == "proved", str(proof)


@pytest.mark.parametrize("a, b", pair_params(lambda a, b: a is b))
def test_gibbs_stationarity_proved(a, b):
    proof = sc.gibbs_stationarity(a.build(1), b.build(2))
    assert proof.status == "proved", str(proof)


# -- boundary points: point masses, 0·log 0 = 0, and +∞ without absolute continuity ------------------
_HALF, _ONE = sp.Rational(1, 2), sp.Integer(1)
_BOUNDARY = [
    (sc.Bernoulli(0), sc.Bernoulli(sp.Rational(1, 3))),
    (sc.Bernoulli(1), sc.Bernoulli(sp.Rational(1, 3))),
    (sc.Bernoulli(1), sc.Bernoulli(1)),
    (sc.Bernoulli(_HALF), sc.Bernoulli(_ONE)),      # P({0}) = 1/2 where Q has no mass: +∞
    (sc.Bernoulli(0), sc.Bernoulli(_ONE)),          # P({0}) = 1 where Q has no mass: +∞
    (sc.Bernoulli(_ONE), sc.Bernoulli.from_logit(sp.Rational(-7, 2))),
]
if hasattr(sc, "Categorical"):
    _BOUNDARY += [
        (sc.Categorical([_HALF, 0, _HALF]), sc.Categorical([sp.Rational(1, 5), sp.Rational(3, 5), sp.Rational(1, 5)])),
        (sc.Categorical([sp.Rational(1, 5), sp.Rational(3, 5), sp.Rational(1, 5)]), sc.Categorical([_HALF, 0, _HALF])),
        (sc.Categorical([0, 1, 0]), sc.Categorical.from_logits([1, -2, sp.Rational(1, 3)])),
    ]


@pytest.mark.parametrize("P, Q", _BOUNDARY, ids=[f"{P!r}|{Q!r}" for P, Q in _BOUNDARY])
def test_boundary_points_match_definition(P, Q):
    for quantity, truth in ((sc.cross_entropy, oracles.cross_entropy(P, Q, {})), (sc.kl, oracles.kl(P, Q, {}))):
        d = quantity(P, Q)
        if truth == mpmath.inf:
            assert d.result == sp.oo and d.infinite_reason, f"{d!r} should be +∞ with a reason"
        else:
            _check(d.result, truth, f"{d.lhs} for P = {P!r}, Q = {Q!r}", {})
    _check(sc.entropy(P).result, oracles.entropy(P, {}), f"H({P!r})", {})


# -- the oracles themselves --------------------------------------------------------------------------
def test_finite_sum_oracle_by_hand():
    third, quarter = sp.Rational(1, 3), sp.Rational(1, 4)
    with mpmath.workdps(50):
        by_hand = -(mpmath.mpf(1) / 3) * mpmath.log(mpmath.mpf(1) / 4) - (mpmath.mpf(2) / 3) * mpmath.log(mpmath.mpf(3) / 4)
    got = oracles.cross_entropy(sc.Bernoulli(third), sc.Bernoulli(quarter), {})
    assert oracles.digits_agree(got, by_hand) >= 38


@pytest.mark.skipif(not hasattr(sc, "MultivariateNormal"), reason="MultivariateNormal is not in symce yet")
def test_quadrature_and_gauss_hermite_oracles_agree():
    # N(μ, σ²) as a Normal (mpmath.quad) and as a 1-D MultivariateNormal (Gauss–Hermite): same integral
    m1, s1, m2, s2 = sp.Rational(-3, 7), sp.Rational(5, 4), sp.Rational(9, 5), sp.Rational(2, 3)
    quad = oracles.kl(sc.Normal(m1, s1), sc.Normal(m2, s2), {})
    gh = oracles.kl(sc.MultivariateNormal([m1], sp.Matrix([[s1**2]])),
                    sc.MultivariateNormal([m2], sp.Matrix([[s2**2]])), {})
    assert oracles.digits_agree(quad, gh) >= 35
