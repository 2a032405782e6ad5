"""The Beta KL where the Stirling–Bregman terms' −log t parts cancel (issue 11, seed 5 of the common-families
run: 495 ULP at α₁ = 1 + 2⁻⁵², α₂ = β₁ = β₂ = 10⁻³⁰⁰). There B(α₂, α₁) ≈ 690.8 (h(10⁻³⁰⁰) ≈ −log 10⁻³⁰⁰) and
B(α₂ + β₂, α₁ + β₁) ≈ 690.1 left log 2: impl/gamma_kernels' far form now splits h(t) = −log t + g(t) below 1 and
pairs the logs as log(n/d) (log(2·10⁻³⁰⁰/10⁻³⁰⁰) = log 2 exactly).
Reference: Penny 2001 ("KL-divergences of Normal, Gamma, Dirichlet and Wishart densities", the Dirichlet KL
with K = 2) in mpmath from the exact float inputs, at the inputs' exponent span + 160 bits:

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
    (1.0000000000000002, 1e-300, 1e-300, 1e-300),  # 495 (seed 5)
    (1.0, 1e-300, 1e-300, 1e-300),
    (3.0, 1e-200, 1e-300, 1e-300),
    (0.75, 1e-250, 1e-100, 1e-100),
    (1.5, 3e-300, 2e-300, 1e-300),
]


@functools.lru_cache(maxsize=None)
def penny_kl(p1, p2, q1, q2):
    span = max(mpmath.mag(v) for v in (p1, p2, q1, q2)) - min(mpmath.mag(v) for v in (p1, p2, q1, q2))
    with mpmath.workprec(int(span) + 160):
        p1, p2, q1, q2 = (mpmath.mpf(v) for v in (p1, p2, q1, q2))
        lb = lambda a, b: mpmath.loggamma(a) + mpmath.loggamma(b) - mpmath.loggamma(a + b)  # noqa: E731
        out = (lb(p2, q2) - lb(p1, q1) + (p1 - p2) * mpmath.digamma(p1) + (q1 - q2) * mpmath.digamma(q1)
               + (p2 - p1 + q2 - q1) * mpmath.digamma(p1 + q1))
        return float(out)


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_beta_kl_tiny_logs(backend):
    f = sc.lambdify(sc.kl(sc.Beta(a1, b1), sc.Beta(a2, b2)), [a1, b1, a2, b2], backend=backend)
    for p1, p2, q1, q2 in POINTS:
        want = penny_kl(p1, p2, q1, q2)
        assert ulp_distance(float(f(p1, q1, p2, q2)), want) <= 4, (p1, p2, q1, q2, float(f(p1, q1, p2, q2)), want)
