"""Property tests (Hypothesis) at random valid parameters: Gibbs' inequality and its consequences.

* KL(P‖Q) ≥ 0,
* KL(P‖P) = 0 (numerically, with Q's parameters set to P's values — not the symbolic kl(P, P)),
* H(P, Q) ≥ H(P).

Two sources of parameters: the catalog's own samplers (every pair, seeded by Hypothesis), and wider
hand-written strategies for Bernoulli and Normal (tiny/huge σ, p near 0 and 1, exact boundary points).
Deterministic (``derandomize=True``) and small (``max_examples`` ≤ 50).
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

import symce as sc
from symce.core.family import flat_values
from conftest import example_params, pair_params, sample_point
import oracles

#: closed forms are evaluated at 40 digits; a property "≥ 0" may be off by rounding only
TOL = mpmath.mpf(10) ** -30

catalog_settings = settings(max_examples=12, derandomize=True, deadline=None)
family_settings = settings(max_examples=50, derandomize=True, deadline=None)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@pytest.mark.parametrize("a, b", pair_params())
def test_kl_nonnegative_catalog(a, b):
    P, Q = a.build(1), b.build(2)
    kl = sc.kl(P, Q).result

    @catalog_settings
    @given(seeds)
    def check(seed):
        values = sample_point(seed, (a, P), (b, Q))
        assert oracles.value(kl, values) >= -TOL, f"KL < 0 at {values}"

    check()


@pytest.mark.parametrize("a, b", pair_params())
def test_cross_entropy_at_least_entropy_catalog(a, b):
    P, Q = a.build(1), b.build(2)
    gap = sc.cross_entropy(P, Q).result - sc.entropy(P).result

    @catalog_settings
    @given(seeds)
    def check(seed):
        values = sample_point(seed, (a, P), (b, Q))
        assert oracles.value(gap, values) >= -TOL, f"H(P,Q) < H(P) at {values}"

    check()


def _copy_parameters(Q, P, values):
    """Q's parameters set to P's values at the sample point (so Q = P numerically). Entries that are
    constants (the zeros of a Cholesky factor) agree already."""
    out = dict(values)
    for name, qv in Q.parameters.items():
        for qe, pe in zip(flat_values(qv), flat_values(P.parameters[name])):
            if isinstance(qe, sp.IndexedBase):
                for key, v in values.items():
                    if isinstance(key, sp.Indexed) and key.base == pe:
                        out[qe[key.indices]] = v
            elif pe in values:
                out[qe] = values[pe]
    return out


@pytest.mark.parametrize("ex", example_params())
def test_kl_to_itself_is_zero_catalog(ex):
    P, Q = ex.build(1), ex.build(2)
    kl = sc.kl(P, Q).result

    @catalog_settings
    @given(seeds)
    def check(seed):
        values = _copy_parameters(Q, P, sample_point(seed, (ex, P)))
        assert abs(oracles.value(kl, values)) <= TOL, f"KL(P‖P) ≠ 0 at {values}"

    check()


# -- wider ranges for the families of issue 2 ----------------------------------------------------------
mu1, mu2 = sp.symbols("mu1 mu2", real=True)
s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
p, q = sp.symbols("p q", positive=True)
z1, z2 = sp.symbols("z1 z2", real=True)

NORMAL_KL = sc.kl(sc.Normal(mu1, s1), sc.Normal(mu2, s2)).result
NORMAL_GAP = sc.cross_entropy(sc.Normal(mu1, s1), sc.Normal(mu2, s2)).result - sc.entropy(sc.Normal(mu1, s1)).result
BERNOULLI_KL = sc.kl(sc.Bernoulli(p), sc.Bernoulli(q)).result
LOGIT_KL = sc.kl(sc.Bernoulli.from_logit(z1), sc.Bernoulli.from_logit(z2)).result


def _rational(lo, hi, scale=10**6):
    return st.integers(int(lo * scale), int(hi * scale)).map(lambda n: sp.Rational(n, scale))


means = _rational(-1000, 1000)
sigmas = st.one_of(_rational(0.001, 1000), st.integers(-9, 9).map(lambda e: sp.Integer(10) ** e))
probs = st.one_of(_rational(1e-6, 1 - 1e-6), st.integers(1, 30).map(lambda e: sp.Integer(2) ** -e),
                  st.integers(1, 30).map(lambda e: 1 - sp.Integer(2) ** -e))
logits = _rational(-60, 60, 1000)


@family_settings
@given(means, sigmas, means, sigmas)
def test_normal_gibbs_inequality(m1, v1, m2, v2):
    pt = {mu1: m1, s1: v1, mu2: m2, s2: v2}
    assert oracles.value(NORMAL_KL, pt) >= -TOL
    assert oracles.value(NORMAL_GAP, pt) >= -TOL
    assert abs(oracles.value(NORMAL_KL, {mu1: m1, s1: v1, mu2: m1, s2: v1})) <= TOL


@family_settings
@given(probs, probs)
def test_bernoulli_gibbs_inequality(a, b):
    assert oracles.value(BERNOULLI_KL, {p: a, q: b}) >= -TOL
    assert abs(oracles.value(BERNOULLI_KL, {p: a, q: a})) <= TOL


@family_settings
@given(logits, logits)
def test_bernoulli_logit_gibbs_inequality(a, b):
    assert oracles.value(LOGIT_KL, {z1: a, z2: b}) >= -TOL
    assert abs(oracles.value(LOGIT_KL, {z1: a, z2: a})) <= TOL


boundary_probs = st.one_of(st.sampled_from([sp.Integer(0), sp.Integer(1), sp.Rational(1, 2)]), probs)


@settings(max_examples=40, derandomize=True, deadline=None)
@given(boundary_probs, boundary_probs)
def test_bernoulli_constants_including_point_masses(a, b):
    # exact constants, so point masses (p ∈ {0, 1}) go through 0·log 0 = 0 and the +∞ rule
    P, Q = sc.Bernoulli(a), sc.Bernoulli(b)
    kl, ce, h = sc.kl(P, Q).result, sc.cross_entropy(P, Q).result, sc.entropy(P).result
    if kl == sp.oo:
        assert ce == sp.oo and oracles.kl(P, Q, {}) == mpmath.inf
        return
    assert oracles.value(kl, {}) >= -TOL
    assert oracles.value(ce, {}) - oracles.value(h, {}) >= -TOL
    assert abs(oracles.value(sc.kl(P, P).result, {})) <= TOL
