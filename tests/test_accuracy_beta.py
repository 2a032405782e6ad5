"""The Beta and Dirichlet KLs at extreme parameters (issue 11, "Numbers": ≤ 16 ULP with special functions, no
spurious NaN/inf), against the textbook formula evaluated by mpmath to 50 significant digits from the exact
float inputs:

    KL(Beta(α₁, β₁) ‖ Beta(α₂, β₂)) = log B(α₂, β₂) − log B(α₁, β₁) + (α₁ − α₂)ψ(α₁) + (β₁ − β₂)ψ(β₁)
                                     + (α₂ − α₁ + β₂ − β₁)ψ(α₁ + β₁)

(Penny 2001, "KL-divergences of Normal, Gamma, Dirichlet and Wishart densities", eq. for the Dirichlet KL
with K = 2). For tiny α₁ the ψ terms are ≈ (α₂ − α₁)/α₁: two of them overflow where their difference (and the
KL) is finite — the log-gamma part of the derived form, Σ B(yᵢ, xᵢ) − B(Y, X), is one node
(stirling_bregman_sum) whose kernel takes that difference out analytically.
"""

import importlib.util

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.functions import stirling_bregman_sum
from symce.numeric.rewrite import stabilise
from symce.numeric.ulp import ulp_distance

BACKENDS = ["numpy", "math", "mpmath"] + [b for b in ("torch",) if importlib.util.find_spec(b)]
a1, b1, a2, b2 = sp.symbols("alpha1 beta1 alpha2 beta2", positive=True)


def _digits(*xs):
    # the ψ terms are up to max/min of the inputs apart before they cancel, log Γ of 1e308 has 308 digits'
    # worth of magnitude: the working precision covers both
    mags = [abs(int(mpmath.log10(x))) for x in xs]
    return 60 + 2 * sum(mags)


def textbook_kl(p1, q1, p2, q2):
    x = [mpmath.mpf(float(v)) for v in (p1, q1, p2, q2)]
    with mpmath.workdps(_digits(*x)):
        p1, q1, p2, q2 = x
        lb = lambda a, b: mpmath.loggamma(a) + mpmath.loggamma(b) - mpmath.loggamma(a + b)  # noqa: E731
        out = (lb(p2, q2) - lb(p1, q1) + (p1 - p2) * mpmath.digamma(p1) + (q1 - q2) * mpmath.digamma(q1)
               + (p2 - p1 + q2 - q1) * mpmath.digamma(p1 + q1))
    with mpmath.workdps(50):
        return +out


# (α₁, β₁, α₂, β₂)
POINTS = [  # the derived form's kl_div(α₂, α₁(α₂ + β₂)/(α₁ + β₁)) under/overflows its product elsewhere (open)
    (1.0797450598232308e-61, 9.838474694285427e-23, 2.1354227448195985e+127, 6.615638153660488e+302),  # 7.4e285
    (1e-300, 1.0, 1e300, 2.0), (1e-300, 1.0, 1e-150, 2.0),
]


def test_the_rule_combines_the_bregman_terms_and_proves_it():
    s = stabilise(sc.kl(sc.Beta(a1, b1), sc.Beta(a2, b2)).result)
    assert s.expr.has(stirling_bregman_sum) and s.proved, str(s)


@pytest.mark.parametrize("backend", BACKENDS)
def test_beta_kl_within_16_ulp_of_the_textbook_formula(backend):
    d = sc.kl(sc.Beta(a1, b1), sc.Beta(a2, b2))
    f = sc.lambdify(d, [a1, b1, a2, b2], backend=backend)
    for p in POINTS:
        got = float(f(*p))
        exact = float(textbook_kl(*p))
        if np.isinf(exact):  # α₂/α₁ = 10⁶⁰⁰: the KL itself overflows
            assert got == exact, (backend, p, got)
            continue
        assert np.isfinite(got), (backend, p, got)
        assert ulp_distance(got, exact) <= 16, (backend, p, got, exact)


def _definition(args):
    """Σ B(yᵢ, xᵢ) − B(Σ y, Σ x) from log Γ and ψ directly (B(y, x) = log Γ(y) − log Γ(x) − (y − x)ψ(x)
    − y log(y/x) + y − x), not from the kernel's h."""
    x = [mpmath.mpf(float(v)) for v in args]
    with mpmath.workdps(_digits(*x)):
        def b(y, x):
            return (mpmath.loggamma(y) - mpmath.loggamma(x) - (y - x) * mpmath.digamma(x) - y * mpmath.log(y / x)
                    + y - x)
        ys, xs = x[0::2], x[1::2]
        out = sum(b(y, v) for y, v in zip(ys, xs)) - b(sum(ys), sum(xs))
    with mpmath.workdps(50):
        return +out


KERNEL_POINTS = [  # (y₁, x₁, y₂, x₂[, y₃, x₃]): sums that overflow, subnormal x, a Dirichlet triple
    (1e308, 1e-300, 1e308, 2.0), (1e308, 3.0, 1e308, 1e300), (1.0, 1e308, 2.0, 1e308),
    (2.7069422261713962e-244, 7.003680190461886e+301, 3.0388536001356854e-275, 8.142184074351952e-143,
     5.210518966561092e+255, 6.927042038358149e+294),
    (1e-8, 30.0, 0.5, 1e308, 1e17, 1e300), (2.0, 5e-320, 3.0, 1.0),
]


def test_kernel_against_the_definition_where_the_sums_overflow():
    from symce.numeric.impl.arrays import array_impls

    kernel = array_impls("numpy")["stirling_bregman_sum"]
    for p in KERNEL_POINTS:
        got = float(kernel(*p))
        exact = float(_definition(p))
        if np.isinf(exact):
            assert got == exact, (p, got)
        else:
            assert ulp_distance(got, exact) <= 16, (p, got, exact)
