"""The common families' generated float code at the extreme points where it gave spurious NaN (issue 11,
point 3: benchmarks/accuracy_common.md's worst inputs), against the textbook formula in mpmath at 60 digits.

Laplace CE (Gil, Alajaji & Linder 2013, Table 3): H(P, Q) = log(2b₂) + (b₁e^{−|μ₁−μ₂|/b₁} + |μ₁−μ₂|)/b₂,
and H(P) = log(2b₁) + 1, so KL = CE − H(P). Where b₁ = 1e-275, μ₁ = 8e203 each of μ₁/b₁ and μ₂/b₁
overflows: the exponent must stay (μ₁ − μ₂)/b₁ (whose exp underflows to 0), not μ₁/b₁ − μ₂/b₁ = ∞ − ∞.
"""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp

import symce as sc
from symce.families.laplace import Laplace

MP_DPS = 60
ULP4 = 4 * 2.0 ** -52

#: (b₁, b₂, μ₁, μ₂): benchmarks/accuracy_common.md's NaN inputs for the Laplace CE and KL
LAPLACE_POINTS = [
    (2.5724817971908304e-275, 5.845210575740333e+274, 8.08704213347344e+203, 7.3848308507910475e+87),
    (2.4372150785508724e-244, 4.46055842763169e+37, -2.876731711811397e+113, -4.022586035119523e+115),
    # a subnormal b₁: 1/b₁ overflows, so (μ₁ − μ₂)·(1/b₁) was 0·∞ = NaN where (μ₁ − μ₂)/b₁ = 0
    (5e-324, 5e-324, 5e-324, 5e-324),
    (5e-324, 0.9999999999999999, -1.7976931348623157e+308, -1.7976931348623157e+308),
    (1.5, 0.7, -0.3, 2.0),  # an ordinary point, both orders of μ
    (0.7, 1.5, 2.0, -0.3),
]


def _laplace_ce_mp(b1, b2, m1, m2):
    b1, b2, m1, m2 = (mpmath.mpf(v) for v in (b1, b2, m1, m2))
    d = abs(m1 - m2)
    return mpmath.log(2 * b2) + (b1 * mpmath.exp(-d / b1) + d) / b2


def _laplace():
    mu1, mu2 = sp.Symbol("mu1", real=True), sp.Symbol("mu2", real=True)
    b1, b2 = sp.Symbol("b1", positive=True), sp.Symbol("b2", positive=True)
    return Laplace(mu1, b1), Laplace(mu2, b2), [b1, b2, mu1, mu2]


@pytest.mark.parametrize("kind", ["ce", "kl"])
def test_laplace_extremes_finite_and_exact(kind):
    p, q, args = _laplace()
    d = sc.cross_entropy(p, q) if kind == "ce" else sc.kl(p, q)
    f = sc.lambdify(d, args)
    with mpmath.workdps(MP_DPS):
        for b1, b2, m1, m2 in LAPLACE_POINTS:
            exact = _laplace_ce_mp(b1, b2, m1, m2)
            if kind == "kl":
                exact -= mpmath.log(2 * mpmath.mpf(b1)) + 1
            got = float(f(b1, b2, m1, m2))
            assert math.isfinite(got), (kind, b1, b2, m1, m2, got)
            assert abs(got - exact) <= ULP4 * abs(exact) + 1e-300, (kind, b1, b2, m1, m2, got, float(exact))


def _multinomial_ce_mp(n, p, z):
    """−Σₓ P(x) log Q(x) over every count vector x of n draws (the definition, not the closed form)."""
    p = [mpmath.mpf(v) for v in p]
    z = [mpmath.mpf(v) for v in z]
    top = max(z)
    log_norm = top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in z))
    total = mpmath.mpf(0)
    k = len(p)

    def counts(left, i):
        if i == k - 1:
            yield (left,)
            return
        for c in range(left + 1):
            for rest in counts(left - c, i + 1):
                yield (c, *rest)

    for x in counts(n, 0):
        log_coef = mpmath.loggamma(n + 1) - mpmath.fsum(mpmath.loggamma(c + 1) for c in x)
        prob = mpmath.exp(log_coef) * mpmath.fprod(pi ** c for pi, c in zip(p, x))
        if prob:
            total -= prob * (log_coef + mpmath.fsum(c * (zi - log_norm) for c, zi in zip(x, z)))
    return total


@pytest.mark.parametrize("p, z", [
    # a zero-probability class against the logit −DBL_MAX: 0·(−DBL_MAX) is 0, (3·(−DBL_MAX))·0 was −∞·0 = NaN
    ((0.0, 0.0, 1.0), (-1.7976931348623157e+308, -1e300, 33.0)),
    ((0.0, 0.0, 1.0), (-1.797e308, 2.0, -745.0)),
    ((0.2, 0.3, 0.5), (0.1, -1.0, 2.0)),
])
def test_multinomial_logits_ce_zero_class_against_huge_logit(p, z):
    from symce.families.multinomial import EXAMPLES
    by_label = {e.label: e for e in EXAMPLES}
    # the catalog's own pair (its logits are plain symbols, ordered after p in each product)
    d = sc.cross_entropy(by_label["multinomial-n3-k3"].build(1), by_label["multinomial-logits-n3-k3"].build(2))
    f = sc.lambdify(d, sorted(d.result.free_symbols, key=lambda s: s.name))
    got = float(f(*p, *z))
    with mpmath.workdps(MP_DPS):
        exact = _multinomial_ce_mp(3, p, z)
    assert math.isfinite(got)
    assert abs(got - exact) <= ULP4 * abs(exact) + 1e-300, (got, float(exact))


def _pareto_ce_mp(a1, a2, x1, x2):
    """−E_P[log q(X)] = −log α₂ − α₂ log x_{m2} + (α₂ + 1)·E_P[log X], E_P[log X] = log x_{m1} + 1/α₁
    (x_{m1} ≥ x_{m2}; the textbook Pareto moments)."""
    a1, a2, x1, x2 = (mpmath.mpf(v) for v in (a1, a2, x1, x2))
    return -mpmath.log(a2) - a2 * mpmath.log(x2) + (a2 + 1) * (mpmath.log(x1) + 1 / a1)


@pytest.mark.parametrize("a1, a2, x1, x2", [
    # (α₂ + 1)·log x_{m1} − α₂·log x_{m2} was +∞ − ∞ = NaN; the CE is +∞ in floats
    (36.0, 1.7976931348623155e+308, 1e300, 1e17),
    (2.0, 3.0, 5.0, 1.5),
    (0.5, 1e-3, 1e100, 1e-100),
])
def test_pareto_ce_huge_alpha(a1, a2, x1, x2):
    from symce.families.pareto import EXAMPLES
    e = EXAMPLES[0]
    d = sc.cross_entropy(e.build(1), e.build(2))
    f = sc.lambdify(d, sorted(d.result.free_symbols, key=lambda s: s.name))  # alpha1, alpha2, xm1, xm2
    got = float(f(a1, a2, x1, x2))
    with mpmath.workdps(MP_DPS):
        exact = _pareto_ce_mp(a1, a2, x1, x2)
    if exact > mpmath.mpf(1.7976931348623157e308):
        assert got == math.inf
    else:
        assert abs(got - exact) <= ULP4 * abs(exact), (got, float(exact))
