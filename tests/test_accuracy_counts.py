"""The count families' formulas at the points where the generated code lost them (issue 11, "Numbers": ≤ 4 ULP
for elementary formulas, no spurious NaN/inf), against mpmath summation of each family's own definition
Σₓ P(x) log(P(x)/Q(x)) (or −Σₓ P(x) log P(x)) at 60+ digits from the exact float inputs:

* Binomial and NegativeBinomial KLs at subnormal probabilities: n·kl_div(p₁, p₂) was a product of floats,
  kl_div itself subnormal (184 ULP at n = 709, p = 10⁻³⁰⁰) or 0 (r = 1.8e308, p = 5e-324: 0 for 2.7e-16);
  now scaled_kl_div (functions/scaled_kl.py);
* Multinomial with logits: E[log n!/∏xᵢ!] as a rational function of e^{z} overflowed to ∞/∞ (NaN at any
  logit beyond 709.78); now a polynomial in softmax(z) (rewrite_multinomial.py).
"""

from __future__ import annotations

import functools
from itertools import product

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.families.binomial import Binomial
from symce.families.multinomial import Multinomial
from symce.families.negative_binomial import NegativeBinomial
from symce.numeric.functions.scaled_kl import scaled_kl_div
from symce.numeric.rewrite import stabilise
from symce.numeric.ulp import ulp_distance


def pos(name):
    return sp.Symbol(name, positive=True)


p1, p2, r = pos("p1"), pos("p2"), pos("r")
N = sp.Symbol("n", integer=True, nonnegative=True)


def _mpf(x):
    return mpmath.mpf(float(x))  # the float64 input at its exact binary value


@functools.lru_cache(maxsize=None)  # 710 terms at 760 digits: once per point
def _binomial_kl(n, a, b):
    a, b = _mpf(a), _mpf(b)
    # 1 − p with p ≈ 10⁻³²⁴ exactly, and the terms cancel to 10⁻¹² of their size: 760 digits
    with mpmath.workdps(760):
        out = mpmath.fsum(mpmath.binomial(n, x) * a**x * (1 - a) ** (n - x)
                          * (x * mpmath.log(a / b) + (n - x) * mpmath.log((1 - a) / (1 - b))) for x in range(n + 1))
    return float(out)


def _negative_binomial_kl_sum(k, a, b):
    # torch's NegativeBinomial(total_count r, probs p): P(x) = Γ(x + r)/(Γ(r) x!) p^x (1 − p)^r
    k, a, b = _mpf(k), _mpf(a), _mpf(b)
    with mpmath.workdps(40 + 2 * max(0, -int(mpmath.log10(min(a, b))))):  # 1 − p exactly, and the cancellation
        def term(x):
            pmf = mpmath.exp(mpmath.loggamma(x + k) - mpmath.loggamma(k) - mpmath.loggamma(x + 1)) * a**x * (1 - a) ** k
            return pmf * (x * mpmath.log(a / b) + k * mpmath.log((1 - a) / (1 - b)))

        return float(mpmath.nsum(term, [0, mpmath.inf]))


def _negative_binomial_kl_mean(k, a, b):
    """The definition with E[x] = r p/(1 − p) (the negative binomial's mean; e.g. Johnson, Kemp & Kotz,
    Univariate Discrete Distributions, 3rd ed., §5.4) in place of the sum, where the sum cannot be formed
    (r = 1.8e308 or 5e-324): E[x]·log(p₁/p₂) + r log((1 − p₁)/(1 − p₂)), at 760 digits."""
    k, a, b = _mpf(k), _mpf(a), _mpf(b)
    with mpmath.workdps(760):
        return float(k * a / (1 - a) * mpmath.log(a / b) + k * mpmath.log((1 - a) / (1 - b)))


def _assert_ulp(got, exact, tol=4):
    assert np.isfinite(got) == np.isfinite(exact), (got, exact)
    assert ulp_distance(got, exact) <= tol, (got, exact, ulp_distance(got, exact))


BINOMIAL_POINTS = [(709, 1e-300, 1.000001e-300), (3, 1e-300, 1.000001e-300), (50, 5e-324, 1e-323),
                   (12, 1e-310, 3e-310)]


@pytest.mark.parametrize("point", BINOMIAL_POINTS)
def test_binomial_kl_at_subnormal_probabilities_within_4_ulp(point):
    f = sc.lambdify(sc.kl(Binomial(N, p1), Binomial(N, p2)), [N, p1, p2])
    _assert_ulp(float(f(*point)), _binomial_kl(*point))


@pytest.mark.parametrize("point, exact", [
    ((3.5, 1e-300, 1.000001e-300), _negative_binomial_kl_sum),
    ((1.7976931348623155e308, 5e-324, 1e-323), _negative_binomial_kl_mean),
    ((5e-324, 0.99999999, 1e-300), _negative_binomial_kl_mean),
    ((2.0, 0.75, 1e-300), _negative_binomial_kl_sum),
])
def test_negative_binomial_kl_at_extreme_parameters_within_4_ulp(point, exact):
    f = sc.lambdify(sc.kl(NegativeBinomial(r, p1), NegativeBinomial(r, p2)), [r, p1, p2])
    _assert_ulp(float(f(*point)), exact(*point))


def test_the_mean_form_reference_agrees_with_the_summed_definition():
    # the reference used where the sum cannot be formed, checked against the sum where it can
    for pt in [(3.5, 0.4, 0.45), (0.5, 0.8, 0.2)]:
        assert abs(_negative_binomial_kl_mean(*pt) - _negative_binomial_kl_sum(*pt)) <= 1e-14 * abs(
            _negative_binomial_kl_sum(*pt))


@pytest.mark.parametrize("backend", ["numpy", "math", "mpmath"])
def test_scaled_kl_node_on_every_backend(backend):
    d = sc.kl(Binomial(N, p1), Binomial(N, p2))
    assert stabilise(d.result).expr.has(scaled_kl_div)
    f = sc.lambdify(d, [N, p1, p2], backend=backend)
    with mpmath.workdps(30):
        got = float(f(709, 1e-300, 1.000001e-300))
    _assert_ulp(got, _binomial_kl(709, 1e-300, 1.000001e-300))


# -- Multinomial with logits -------------------------------------------------------------------------------

def _softmax(zs):
    zs = [_mpf(z) for z in zs]
    m = max(zs)
    e = [mpmath.exp(z - m) for z in zs]
    return [v / mpmath.fsum(e) for v in e]


def _outcomes(n, k):
    return [xs for xs in product(range(n + 1), repeat=k) if sum(xs) == n]


def _multinomial_pmf(n, xs, ps):
    coef = mpmath.factorial(n) / mpmath.fprod(mpmath.factorial(x) for x in xs)
    return coef * mpmath.fprod(p**x for p, x in zip(ps, xs))


def _multinomial_xent(n, zs, ys):
    """−Σₓ P(x) log Q(x) by summation over the outcomes (both with logits), at 80 digits; H for ys = zs."""
    with mpmath.workdps(80):
        ps, qs = _softmax(zs), _softmax(ys)
        return float(-mpmath.fsum(_multinomial_pmf(n, xs, ps) * mpmath.log(_multinomial_pmf(n, xs, qs))
                                  for xs in _outcomes(n, len(zs)) if _multinomial_pmf(n, xs, ps) != 0))


LOGITS = [(800.0, 799.0, 790.0), (1000.0, -1000.0, 1000.0), (-800.0, -801.0, -805.0), (3.0, -2.0, 0.5),
          (720.0, 700.0, 710.0)]


@pytest.mark.parametrize("zs", LOGITS)
def test_multinomial_logits_entropy_without_overflow_within_4_ulp(zs):
    z = sp.Matrix([sp.Symbol(f"z{i}", real=True) for i in range(3)])
    f = sc.lambdify(sc.entropy(Multinomial.from_logits(3, list(z))), list(z))
    _assert_ulp(float(f(*zs)), _multinomial_xent(3, zs, zs))


@pytest.mark.parametrize("zs, ys", [(LOGITS[0], LOGITS[3]), (LOGITS[1], LOGITS[2]), (LOGITS[4], LOGITS[0])])
def test_multinomial_logits_cross_entropy_without_overflow_within_4_ulp(zs, ys):
    z = sp.Matrix([sp.Symbol(f"z{i}", real=True) for i in range(3)])
    y = sp.Matrix([sp.Symbol(f"y{i}", real=True) for i in range(3)])
    d = sc.cross_entropy(Multinomial.from_logits(3, list(z)), Multinomial.from_logits(3, list(y)))
    f = sc.lambdify(d, [*z, *y])
    _assert_ulp(float(f(*zs, *ys)), _multinomial_xent(3, zs, ys))
    assert stabilise(d.result).proved
