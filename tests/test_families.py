"""The common families (issue 11), each against its own definition — parametrised over
``symce.families.COMMON``, so a family file added to symce/families/ is tested here without editing this file.

* entropy, and cross-entropy and KL of every same-family pair, against the defining integral or sum evaluated
  by tests/oracles.py at 40 digits (never from a derived formula);
* the gradient of KL in Q's parameters against a central difference of the definition;
* KL(P‖P) = 0 and the KL decomposition proved;
* torch.distributions' float64 entropy and KL, where torch has the family, to 1e-9 relative;
* bad arguments refused with the argument named.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import symce as sc
from symce import families
from symce.errors import ArgumentTypeError, InvalidParameterError, SymceError
from conftest import SEEDS, oracle, sample_point
import oracles

DIGITS = 25      # closed form against the definition (the oracles work at 40 digits)
FD_DIGITS = 18   # derived gradient against a central difference of the definition
TORCH_RTOL = 1e-9

COMMON = [pytest.param(e, id=e.label) for e in families.COMMON]
SAME = [pytest.param(a, b, id=f"{a.label}|{b.label}") for a, b in families.same_family_pairs()]


def _check(closed, truth, what, values, digits=DIGITS):
    got = oracles.value(closed, values)
    agree = oracles.digits_agree(got, truth)
    assert agree >= digits, (f"{what}: closed form {closed} = {mpmath.nstr(got, 30)} but the definition gives "
                             f"{mpmath.nstr(truth, 30)} ({agree:.1f} digits) at {values}")


@pytest.mark.parametrize("ex", COMMON)
def test_entropy_matches_definition(ex):
    P = ex.build(1)
    d = sc.entropy(P)
    for seed in SEEDS[:2]:
        values = sample_point(seed, (ex, P))
        _check(d.result, oracle(oracles.entropy, P, values), f"H({P!r})", values)


@pytest.mark.parametrize("a, b", SAME)
def test_cross_entropy_and_kl_match_definition(a, b):
    P, Q = a.build(1), b.build(2)
    ce, kl = sc.cross_entropy(P, Q), sc.kl(P, Q)
    for seed in SEEDS[:2]:
        values = sample_point(seed, (a, P), (b, Q))
        _check(ce.result, oracle(oracles.cross_entropy, P, Q, values), f"H({P!r}, {Q!r})", values)
        _check(kl.result, oracle(oracles.kl, P, Q, values), f"KL({P!r} ‖ {Q!r})", values)


def _scalar_parameters(D):
    return [v for v in D.parameters.values() if isinstance(v, sp.Symbol) and not v.is_integer]


@pytest.mark.parametrize("a, b", SAME)
def test_kl_gradient_matches_finite_differences(a, b):
    P, Q = a.build(1), b.build(2)
    d = sc.kl(P, Q)
    values = sample_point(SEEDS[0], (a, P), (b, Q))
    params = _scalar_parameters(Q)
    if not params:
        pytest.skip(f"{Q!r} has no scalar symbolic parameter")
    if oracles.value(d.result, values) == mpmath.inf:
        pytest.skip(f"KL(P‖Q) = +∞ at {values}: no gradient")
    for s in params:
        got = oracles.value(d.gradient(s).result, values)
        fd = oracle(oracles.central_difference, lambda vs: oracles.kl(P, Q, vs), values, s)
        agree = oracles.digits_agree(got, fd)
        assert agree >= FD_DIGITS, (f"∂KL/∂{s} for P = {P!r}, Q = {Q!r}: derived {mpmath.nstr(got, 25)}, "
                                    f"central difference {mpmath.nstr(fd, 25)} ({agree:.1f} digits) at {values}")


@pytest.mark.parametrize("ex", COMMON)
def test_kl_self_zero_proved(ex):
    proof = sc.kl_self_zero(ex.build(1))
    assert proof.status == "proved", str(proof)


@pytest.mark.parametrize("a, b", SAME)
def test_kl_decomposition_proved(a, b):
    proof = sc.kl_decomposition(a.build(1), b.build(2))
    assert proof.status == "proved", str(proof)


# -- torch.distributions, float64 -----------------------------------------------------------------------
def _torch_distribution(D, values):
    """torch.distributions.<D's class name>(**D's arguments at the sample point), float64; None if torch has
    no such family or the arguments are not scalars."""
    torch = pytest.importorskip("torch")
    cls = getattr(torch.distributions, getattr(D, "torch_name", type(D).__name__), None)
    if cls is None:
        return None
    kwargs = {}
    for k, v in D.parameters.items():
        v = oracles.substitute(v, values) if isinstance(v, sp.Basic) else v
        if isinstance(v, sp.MatrixBase) and k in getattr(D, "matrix_arguments", ()):
            v = [[float(sp.N(e, 20)) for e in row] for row in v.tolist()]  # a d×r factor, even at r = 1
        elif isinstance(v, (list, tuple, sp.MatrixBase)):
            v = [float(sp.N(e, 20)) for e in v]
        elif not (isinstance(v, sp.Basic) and v.is_number):
            return None
        else:
            v = float(sp.N(v, 20))
        kwargs[k] = torch.tensor(v, dtype=torch.float64)
    return cls(**kwargs, validate_args=False)


def _close(got, want, what):
    if got == want:  # both +∞ (a support that does not nest): inf − inf would be nan
        return
    assert abs(got - want) <= TORCH_RTOL * max(1.0, abs(want)), f"{what}: symce {got!r}, torch {want!r}"


@pytest.mark.parametrize("ex", COMMON)
def test_entropy_agrees_with_torch(ex):
    P = ex.build(1)
    d = sc.entropy(P)
    for seed in SEEDS[:2]:
        values = sample_point(seed, (ex, P))
        tp = _torch_distribution(P, values)
        if tp is None:
            pytest.skip(f"torch.distributions has no {type(P).__name__} with these arguments")
        try:
            want = float(tp.entropy())
        except NotImplementedError:
            pytest.skip(f"torch.distributions.{type(P).__name__} has no entropy")
        _close(float(oracles.value(d.result, values)), want, f"H({P!r}) at {values}")


@pytest.mark.parametrize("a, b", SAME)
def test_kl_agrees_with_torch(a, b):
    torch = pytest.importorskip("torch")
    P, Q = a.build(1), b.build(2)
    d = sc.kl(P, Q)
    values = sample_point(SEEDS[0], (a, P), (b, Q))
    tp, tq = _torch_distribution(P, values), _torch_distribution(Q, values)
    if tp is None or tq is None:
        pytest.skip("torch.distributions has no such pair")
    try:
        want = float(torch.distributions.kl_divergence(tp, tq))
    except NotImplementedError:
        pytest.skip(f"torch registers no KL for ({type(P).__name__}, {type(Q).__name__})")
    _close(float(oracles.value(d.result, values)), want, f"KL({P!r} ‖ {Q!r}) at {values}")


# -- bad arguments ---------------------------------------------------------------------------------------
def _classes():
    seen = {}
    for e in families.COMMON:
        D = e.build(1)
        if getattr(D, "arguments", None):
            seen.setdefault(type(D), D)
    return [pytest.param(c, id=c.__name__) for c in seen]


@pytest.mark.parametrize("cls", _classes())
def test_arguments_outside_their_domain_are_refused_by_name(cls):
    good = [int(a.sample_range()[0]) + 1 if a.integer else a.sample_range()[0] + 0.01 for a in cls.arguments]
    for i, a in enumerate(cls.arguments):
        if a.integer:
            args = list(good)
            args[i] = good[i] + 0.5
            with pytest.raises(InvalidParameterError, match=a.name):
                cls(*args)
        outside = [v for v in (a.domain.start - 1, a.domain.end + 1) if v.is_finite]
        for v in outside:
            args = list(good)
            args[i] = v
            with pytest.raises(InvalidParameterError, match=a.name):
                cls(*args)
        with pytest.raises(ArgumentTypeError, match=a.name):
            cls(*[("1" if j == i else g) for j, g in enumerate(good)])
    with pytest.raises(ArgumentTypeError):
        cls(*good, 1.0)
    assert isinstance(cls(*good), sc.Family)


def test_an_unknown_keyword_is_named():
    from symce.families.gamma import Gamma
    with pytest.raises(ArgumentTypeError, match="scale"):
        Gamma(2, scale=3)
    assert Gamma(concentration=2, rate=3) == Gamma(2, 3)
    assert issubclass(ArgumentTypeError, SymceError)


def _float_point(values):
    """The point as floats, or None where a parameter is a vector or matrix (tested in test_families_vector)."""
    out = {}
    for s, v in values.items():
        if isinstance(v, sp.MatrixBase) or not sp.sympify(v).is_real:
            return None
        out[s] = float(v)
    return out


def _generated_agrees(d, truth, values, what):
    """symce.lambdify of the derivation (numpy, stable) at the point against the definition's value: the user's
    whole path from a family to generated code (a rewrite's output that its kernel refuses fails here)."""
    point = _float_point(values)
    if point is None:
        pytest.skip("vector parameters")
    syms = sorted(d.result.free_symbols, key=sp.default_sort_key)
    if d.result.has(sp.Sum, sp.Integral):
        pytest.skip("no closed form to generate code for")
    f = sc.lambdify(d.result, args=syms)
    got = float(f(*[point[s] for s in syms]))
    want = float(truth)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12), f"{what}: generated code {got!r}, definition {want!r} at {point}"


@pytest.mark.parametrize("a, b", SAME)
def test_generated_code_matches_definition(a, b):
    P, Q = a.build(1), b.build(2)
    for what, d, ref in (("CE", sc.cross_entropy(P, Q), oracles.cross_entropy), ("KL", sc.kl(P, Q), oracles.kl)):
        values = sample_point(SEEDS[0], (a, P), (b, Q))
        if d.result == sp.oo or any(not sp.sympify(v).is_real for v in values.values() if not isinstance(v, sp.MatrixBase)):
            continue
        _generated_agrees(d, oracle(ref, P, Q, values), values, f"{what}({P!r} ‖ {Q!r})")
