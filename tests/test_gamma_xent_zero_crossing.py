"""The Gamma, inverse-gamma and χ² cross-entropies where they cross 0 (issue 11, seed 1 of the common-families
accuracy run). After the cross-entropy split (rewrite_gamma_xent) the value is c·ν(α₂) + e·μ′(α₁) + an exactly
rounded log sum; near 0 the sum keeps the terms' absolute errors: CE(Gamma) at α₁ = 33, β₁ = 1e300, α₂ = β₂ = 1
was 0 for 3.3e-299 (ν(1) ≈ −0.081 rounded against the log sum's exact +0.081 + 3.3e-299) and 2476 ULP at
α₁ = 1e-300, β₂ = 1 + 1e-12. The terms are now summed by screened_sum, exact where |Σ| < Σ|tᵢ|/8.
References: the closed forms from the textbook moments E_P[X] = α₁/β₁, E_P[log X] = ψ(α₁) − log β₁ of
Gamma(α₁, β₁) (Penny 2001, "KL-divergences of Normal, Gamma, Dirichlet and Wishart densities"),
E_P[1/X] = α₁/β₁, E_P[log X] = log β₁ − ψ(α₁) of InverseGamma(α₁, β₁), χ²(k) = Gamma(k/2, ½), in mpmath at
80 digits from the exact float inputs."""

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc

A1, B1, A2, B2 = sp.symbols("alpha1 beta1 alpha2 beta2", positive=True)
K1, K2 = sp.symbols("k1 k2", positive=True)


def gamma_ce(a1, b1, a2, b2):
    """−E_P[log q] = −α₂ log β₂ + log Γ(α₂) − (α₂ − 1)(ψ(α₁) − log β₁) + β₂α₁/β₁."""
    with mpmath.workdps(80):
        a1, b1, a2, b2 = (mpmath.mpf(v) for v in (a1, b1, a2, b2))
        return (-a2 * mpmath.log(b2) + mpmath.loggamma(a2) - (a2 - 1) * (mpmath.digamma(a1) - mpmath.log(b1))
                + a1 * b2 / b1)


def inverse_gamma_ce(a1, b1, a2, b2):
    with mpmath.workdps(80):
        a1, b1, a2, b2 = (mpmath.mpf(v) for v in (a1, b1, a2, b2))
        return (-a2 * mpmath.log(b2) + mpmath.loggamma(a2) + (a2 + 1) * (mpmath.log(b1) - mpmath.digamma(a1))
                + b2 * a1 / b1)


def chi2_ce(k1, k2):
    with mpmath.workdps(80):
        return gamma_ce(mpmath.mpf(k1) / 2, 0.5, mpmath.mpf(k2) / 2, 0.5)


def _root_b2(a1, b1, a2):
    """The float β₂ nearest the zero of CE(Gamma(α₁, β₁) ‖ Gamma(α₂, β₂)) on its increasing branch
    (β₂ > α₂β₁/α₁, where −α₂ log β₂ + β₂α₁/β₁ grows): the CE there is ~10⁻¹⁶ of its terms."""
    with mpmath.workdps(50):
        lo = mpmath.mpf(a2) * b1 / a1
        if gamma_ce(a1, b1, a2, lo) >= 0:
            return None
        hi = 2 * lo
        while gamma_ce(a1, b1, a2, hi) < 0:
            hi *= 2
        return float(mpmath.findroot(lambda b: gamma_ce(a1, b1, a2, b), (lo, hi), solver="illinois"))


# the two points of the seed-1 run, then zero crossings of the typical region (β₂ at the root, rounded)
SEED1 = [(33.0, 1e300, 1.0, 1.0), (1e-300, 1.0, 1.0, 1.000000000001)]
CROSSINGS = [(a1, b1, a2, _root_b2(a1, b1, a2)) for a1, b1, a2 in
             [(3.0, 40.0, 2.5), (0.7, 20.0, 0.3), (15.5, 40.3, 7.25), (1.0, 10.0, 1.0), (120.0, 3000.0, 33.0)]]


def ulps(got, want):
    want = float(want)
    return abs(float(got) - want) / np.spacing(abs(want)) if want else abs(float(got)) / 5e-324


@pytest.fixture(scope="module")
def derivations():
    return {"gamma": sc.cross_entropy(sc.Gamma(A1, B1), sc.Gamma(A2, B2)),
            "inverse": sc.cross_entropy(sc.InverseGamma(A1, B1), sc.InverseGamma(A2, B2)),
            "chi2": sc.cross_entropy(sc.Chi2(K1), sc.Chi2(K2))}


def test_crossings_are_near_zero():
    # the points test what they claim: the CE is far below its log Γ and ψ terms there (≥ 2⁴⁰ smaller)
    for a1, b1, a2, b2 in CROSSINGS:
        assert b2 is not None
        assert abs(gamma_ce(a1, b1, a2, b2)) < 1e-12 * abs(mpmath.loggamma(a2) - (a2 - 1) * mpmath.digamma(a1)) + 1e-12


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_gamma_seed1_points(derivations, backend):
    f = sc.lambdify(derivations["gamma"], backend=backend)
    assert float(f(*SEED1[0])) == 3.2999999999999997e-299 == float(gamma_ce(*SEED1[0]))
    assert ulps(f(*SEED1[1]), gamma_ce(*SEED1[1])) <= 1


def test_gamma_zero_crossings(derivations):
    f = sc.lambdify(derivations["gamma"], backend="numpy")
    for p in SEED1 + CROSSINGS:
        assert ulps(f(*p), gamma_ce(*p)) <= 2, p


def test_batch_equals_elementwise(derivations):
    # the screened elements are recomputed one by one: a value does not depend on its batch
    f = sc.lambdify(derivations["gamma"], backend="numpy")
    pts = SEED1 + CROSSINGS + [(2.0, 3.0, 4.0, 5.0), (0.5, 1e-3, 7.0, 1e4)]
    cols = [np.array(c) for c in zip(*pts)]
    batch = f(*cols)
    assert batch.shape == (len(pts),)
    assert [float(v) for v in batch] == [float(f(*p)) for p in pts]
    assert ulps(batch[-2], gamma_ce(*pts[-2])) <= 2 and ulps(batch[-1], gamma_ce(*pts[-1])) <= 2


def test_inverse_gamma_and_chi2_crossings(derivations):
    f = sc.lambdify(derivations["inverse"], backend="numpy")
    with mpmath.workdps(50):  # a zero of CE(InvGamma(3, 0.02) ‖ InvGamma(2, β₂)) between β₂ = 0.01 and 0.1
        b2 = float(mpmath.findroot(lambda b: inverse_gamma_ce(3.0, 0.02, 2.0, b), (0.01, 0.1), solver="illinois"))
    points = [(3.0, 0.02, 2.0, b2), (33.0, 1e-300, 1.0, 1.0), (0.7, 0.9, 4.0, 0.8)]
    assert abs(inverse_gamma_ce(*points[0])) < 1e-14
    for p in points:
        assert ulps(f(*p), inverse_gamma_ce(*p)) <= 2, p
    g = sc.lambdify(derivations["chi2"], backend="numpy")
    with mpmath.workdps(50):  # CE(χ²(0.2) ‖ χ²(k₂)) crosses 0 between k₂ = 1 and 2
        k2 = float(mpmath.findroot(lambda k: chi2_ce(0.2, k), (1.0, 2.0), solver="illinois"))
    assert abs(chi2_ce(0.2, k2)) < 1e-14
    assert ulps(g(0.2, k2), chi2_ce(0.2, k2)) <= 2
