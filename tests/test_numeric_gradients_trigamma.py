"""Derivatives with ψ′ where it overflows (issue 12 item 1): the gamma entropy's ∂/∂α is 1 + (1 − α)ψ′(α), and
expanded as 1 − α·ψ′(α) + ψ′(α) it gave ∞ − ∞ = NaN for α < 1e-154 (ψ′(α) ≈ 1/α² overflows). The rule
``collect ψ`` (:func:`symce.numeric.rewrite_special.collect_digamma`) now collects ψ⁽ⁿ⁾ terms too, so the
result is the correct +∞ there and unchanged elsewhere. References: mpmath's numerical derivative of the
textbook formulas at 50 digits, independent of symce's derivation."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.lambdify import lambdify

A1, B1, A2, B2 = sp.symbols("alpha1 beta1 alpha2 beta2", positive=True)
# ψ′ overflows below α ≈ 1.3e-154; points on both sides, the middle, and a seeded sample
ALPHAS = [1.2761294555958339e-272, 5e-324, 1e-200, 1e-155, 1e-153, 1e-10, 0.5, 1.0, 3.5, 1e5,
          *np.random.default_rng(12).lognormal(0, 150, 4)]


def _diff(fn, x):
    # a step relative to x, so x ± h stays in α > 0 down to the subnormals
    with mpmath.workdps(50):
        x = mpmath.mpf(x)
        return mpmath.diff(fn, x, h=x * mpmath.mpf(10) ** -20)


def _close(got, exact, scale):
    """exact rounds to ±∞ (overflow): got must be that ∞; else within 16 ULPs of max(|exact|, Σ|terms|)."""
    if mpmath.isinf(exact) or abs(exact) > np.finfo(float).max:
        return got == (np.inf if exact > 0 else -np.inf)
    return np.isfinite(got) and abs(got - float(exact)) <= 16 * np.spacing(max(abs(float(exact)), scale))


@pytest.fixture(scope="module")
def gamma_entropy_partial():
    return lambdify(sc.entropy(sc.Gamma(A1, B1)).gradient([A1]), [A1, B1])


def test_gamma_entropy_partial_alpha(gamma_entropy_partial):
    # H(Gamma(α, β)) = α − log β + log Γ(α) + (1 − α)ψ(α) (Lazo & Rathie 1978; rate parametrisation)
    beta = 2.6114182716613217e-31
    for a in ALPHAS:
        exact = _diff(lambda t: t - mpmath.log(beta) + mpmath.loggamma(t) + (1 - t) * mpmath.digamma(t), a)
        with mpmath.workdps(30):
            scale = 1 + abs(float((1 - mpmath.mpf(a)) * mpmath.psi(1, a)))  # Σ|terms| of 1 + (1 − α)ψ′(α)
        got = float(np.asarray(gamma_entropy_partial(a, beta)).ravel()[0])
        assert _close(got, exact, scale), (a, got, exact)


def test_gamma_cross_entropy_partial_alpha1():
    # H(P, Q) = −α₂ log β₂ + log Γ(α₂) − (α₂ − 1)(ψ(α₁) − log β₁) + β₂α₁/β₁ for P = Γ(α₁, β₁), Q = Γ(α₂, β₂)
    f = lambdify(sc.cross_entropy(sc.Gamma(A1, B1), sc.Gamma(A2, B2)).gradient([A1]), [A1, A2, B1, B2])
    for a1, a2, b1, b2 in [(1.2761294555958339e-272, 2.6114182716613217e-31, 1.4374822088393055e-245,
                            1.5011917540458893e+297), (1e-200, 0.25, 3.0, 2.0), (1e-155, 7.5, 1.0, 1.0),
                           (0.3, 40.0, 2.0, 5.0)]:
        def ce(t):
            return (-a2 * mpmath.log(b2) + mpmath.loggamma(a2) - (a2 - 1) * (mpmath.digamma(t) - mpmath.log(b1))
                    + b2 * t / b1)
        exact = _diff(ce, a1)
        with mpmath.workdps(30):
            scale = abs(float((1 - mpmath.mpf(a2)) * mpmath.psi(1, a1))) + abs(float(mpmath.mpf(b2) / b1))
        got = float(np.asarray(f(a1, a2, b1, b2)).ravel()[0])
        assert _close(got, exact, scale), (a1, a2, b1, b2, got, exact)


def test_beta_cross_entropy_partial_on_q():
    # H(P, Q) = log B(α₂, β₂) − (α₂ − 1)(ψ(α₁) − ψ(α₁ + β₁)) − (β₂ − 1)(ψ(β₁) − ψ(α₁ + β₁)) for P = Beta(α₁, β₁),
    # Q = Beta(α₂, β₂) (E ln X = ψ(α) − ψ(α + β) under Beta(α, β)); ∂/∂α₂ had ψ(α₂) − ψ(α₂ + β₂) = −∞ + ∞ at
    # α₂ = β₂ = 1.8e308 (the rule "digamma differences" made a psi_diff of only the first sum it found)
    f = lambdify(sc.cross_entropy(sc.Beta(A1, B1), sc.Beta(A2, B2)).gradient([A2]), [A1, A2, B1, B2])
    big = np.finfo(float).max
    for a1, a2, b1, b2 in [(1.0, big, 30.0, np.nextafter(big, 0)), (1e-17, big, 1e-300, 1e300), (2.5, 1e-3, 0.5, 7.0),
                           (40.0, 3.0, 1.0, 1e200)]:
        # the textbook ∂/∂α₂, ψ(α₂) − ψ(α₂ + β₂) − ψ(α₁) + ψ(α₁ + β₁), at 60 digits (mpmath.diff of the CE loses
        # the ~1e-9 derivative under log B ≈ 1e311 at α₂ = 1.8e308)
        with mpmath.workdps(60):
            exact = (mpmath.digamma(a2) - mpmath.digamma(mpmath.mpf(a2) + b2) - mpmath.digamma(a1)
                     + mpmath.digamma(mpmath.mpf(a1) + b1))
        with mpmath.workdps(30):
            # Σ|terms| of the stable form psi_diff(α₁, β₁) − psi_diff(α₂, β₂)
            scale = float(abs(mpmath.digamma(mpmath.mpf(a1) + b1) - mpmath.digamma(a1))
                          + abs(mpmath.digamma(mpmath.mpf(a2) + b2) - mpmath.digamma(a2)))
        got = float(np.asarray(f(a1, a2, b1, b2)).ravel()[0])
        assert _close(got, exact, scale), (a1, a2, b1, b2, got, exact)
