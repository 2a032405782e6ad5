"""The Beta KL where one pair dominates and the others' sum is tiny (issue 11, seed 1 of the common-families
run: 132 ULP at α₁ = 710, α₂ = DBL_MAX, β ≈ 2e-308). impl/bregman_pair's bracket holds (α₂ − α₁ − β₁)·hd with
hd = h′(α₁) − h′(α₁ + β₁) ≈ −β₁·h″(α₁) = 2.2e-314, a subnormal with 32 bits left, times 1.8e308: 4e-6 of a
KL of 0.1 off by 2⁻³². hd is now taken at β₁·2¹⁰⁰ and the product scaled back. And B(β₂, β₁) of two subnormal
β (the quadrature's nodes rounded to 2⁻¹⁰⁷⁴: 7.6e6 ULP) is now y/x − 1 − log(y/x), exact to 2⁻⁷⁰⁰ there. And
kl_div_share takes its exact difference d = y − x also where d is subnormal and needs no scaling (seed 4: at
α = (40, 1 − 2⁻⁵³), β₁ = β₂ = 2⁻¹⁰²² the rounded y − x = 2⁻⁵³ gave 2⁻¹⁰⁷ for a KL of 7.3e-308).
And the seed-5 points where B(y₁, x₁) and B(Y, X) cancel (the last test).
Reference: Penny 2001 ("KL-divergences of Normal, Gamma, Dirichlet and Wishart densities", the Dirichlet KL
with K = 2) in mpmath from the exact float inputs, at the inputs' exponent span + 160 bits (log Γ(1.8e308) ≈ 1.3e311 cancels to O(1)):

    log B(α₂, β₂) − log B(α₁, β₁) + (α₁ − α₂)ψ(α₁) + (β₁ − β₂)ψ(β₁) + (α₂ − α₁ + β₂ − β₁)ψ(α₁ + β₁)
"""

import functools

import mpmath
import pytest
import sympy as sp

import symce as sc
from symce.numeric.ulp import ulp_distance

a1, a2, b1, b2 = sp.symbols("alpha1 alpha2 beta1 beta2", positive=True)

# (α₁, α₂, β₁, β₂): before → ULP
POINTS = [
    (710.0, 1.7976931348623157e+308, 2.2250738585072014e-308, 3.337610787760802e-308),  # 132 (seed 1)
    (40.0, 1e306, 5e-312, 1e-311),  # 2348
    (20.0, 1e305, 3e-310, 3.5e-310),  # 43
    (0.5, 2.0, 1e-315, 1.5e-315),  # 7.6e6: B(β₂, β₁) of two subnormals
    (7.0, 1e200, 1e-300, 3e-300),  # 2, unchanged
    (40.0, 0.9999999999999999, 2.2250738585072014e-308, 2.2250738585072014e-308),  # 4.1e18: kl_div_share's d
]


# where the −log t parts cancel (seed 5: 495 ULP at α₁ = 1 + 2⁻⁵², α₂ = β₁ = β₂ = 1e-300, B ≈ 690.8 against
# 690.1 leaving log 2; impl/gamma_kernels pairs the logs as log(n/d)): before → ULP
TINY_LOG_POINTS = [
    (1.0000000000000002, 1e-300, 1e-300, 1e-300),  # 495 (seed 5)
    (1.0, 1e-300, 1e-300, 1e-300),
    (3.0, 1e-200, 1e-300, 1e-300),
    (0.75, 1e-250, 1e-100, 1e-100),
    (1.5, 3e-300, 2e-300, 1e-300),
]


@functools.lru_cache(maxsize=None)
def penny_kl(p1, p2, q1, q2):
    # the sums α₁ + β₁ exact (the span of the exponents), and 128 bits beyond: log Γ(1.8e308) ≈ 1.3e311 cancels
    # to O(1), which the span covers too (2^1034 against 2^-1)
    span = max(mpmath.mag(v) for v in (p1, p2, q1, q2)) - min(mpmath.mag(v) for v in (p1, p2, q1, q2))
    with mpmath.workprec(int(span) + 160):
        p1, p2, q1, q2 = (mpmath.mpf(v) for v in (p1, p2, q1, q2))
        lb = lambda a, b: mpmath.loggamma(a) + mpmath.loggamma(b) - mpmath.loggamma(a + b)  # noqa: E731
        out = (lb(p2, q2) - lb(p1, q1) + (p1 - p2) * mpmath.digamma(p1) + (q1 - q2) * mpmath.digamma(q1)
               + (p2 - p1 + q2 - q1) * mpmath.digamma(p1 + q1))
        return float(out)


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_beta_kl_with_a_subnormal_gap(backend):
    f = sc.lambdify(sc.kl(sc.Beta(a1, b1), sc.Beta(a2, b2)), [a1, b1, a2, b2], backend=backend)
    for p1, p2, q1, q2 in POINTS:
        want = penny_kl(p1, p2, q1, q2)
        assert ulp_distance(float(f(p1, q1, p2, q2)), want) <= 4, (p1, p2, q1, q2)


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_beta_kl_where_the_log_parts_cancel(backend):
    f = sc.lambdify(sc.kl(sc.Beta(a1, b1), sc.Beta(a2, b2)), [a1, b1, a2, b2], backend=backend)
    for p1, p2, q1, q2 in TINY_LOG_POINTS:
        want = penny_kl(p1, p2, q1, q2)
        assert ulp_distance(float(f(p1, q1, p2, q2)), want) <= 4, (p1, p2, q1, q2, float(f(p1, q1, p2, q2)), want)
