"""The Gumbel and Laplace cross-entropies where they cross 0 (rule 'location–scale cross-entropy sum',
symce/numeric/rewrite_location_scale_xent.py: the stable terms summed by screened_sum, exact where they cancel).

There the terms (log β₂ against the scaled location terms) are ~100× the value: seed 1 of the accuracy benchmark
had CE(gumbel) 49 ULP at β = (0.0182, 0.361), μ ≈ 0 and CE(laplace) 33 ULP at b = (0.00296, 0.215),
μ₁ = −0.178. References, in mpmath at 30 digits, independent of the derivation:

* Gumbel: −∫ p log q by quadrature, in z = (x − μ₁)/β₁: ∫ e^{−z−e^{−z}} (log β₂ + z₂ + e^{−z₂}) dz,
  z₂ = (μ₁ + β₁z − μ₂)/β₂ (the densities as in torch.distributions.Gumbel);
* Laplace: the closed form log(2b₂) + (|Δ| + b₁e^{−|Δ|/b₁})/b₂, Δ = μ₁ − μ₂ — H(P) + KL(P‖Q) with the KL of
  Gil, Alajaji & Linder 2013 (Information Sciences 249, Table 3: log(b₂/b₁) + |Δ|/b₂ + (b₁/b₂)e^{−|Δ|/b₁} − 1)
  and H(P) = 1 + log(2b₁) — checked against quadrature of −∫ p log q at one point.
"""

import mpmath
import numpy as np
import pytest

import symce as sc
from symce import families
from symce.engine.information import cross_entropy


def _f(label, backend="numpy"):
    fam = {e.label: e for e in families.COMMON}[label]
    d = cross_entropy(fam.build(1), fam.build(2))
    return sc.lambdify(d, sorted(d.result.free_symbols, key=lambda s: s.name), backend=backend)


def _ulps(got, want):
    return abs(float(got) - want) / np.spacing(abs(want))


def _gumbel_quad(b1, b2, m1, m2, dps=30):
    with mpmath.workdps(dps):
        b1, b2, m1, m2 = map(mpmath.mpf, (b1, b2, m1, m2))

        def f(z):
            z2 = (m1 + b1 * z - m2) / b2
            return mpmath.exp(-(z + mpmath.exp(-z))) * (mpmath.log(b2) + z2 + mpmath.exp(-z2))

        # the weight e^{−z−e^{−z}} is below e^{−140} outside [−5, 110]
        return float(mpmath.quad(f, [-5, -1, 0, 1, 3, 8, 20, 50, 110]))


def _laplace_closed(b1, b2, m1, m2, dps=30):
    with mpmath.workdps(dps):
        b1, b2, m1, m2 = map(mpmath.mpf, (b1, b2, m1, m2))
        d = abs(m1 - m2)
        return float(mpmath.log(2 * b2) + (d + b1 * mpmath.exp(-d / b1)) / b2)


def _laplace_quad(b1, b2, m1, m2):
    with mpmath.workdps(30):
        b1, b2, m1, m2 = map(mpmath.mpf, (b1, b2, m1, m2))

        def f(z):  # x = μ₁ + b₁z, p(x)dx = e^{−|z|}/2 dz
            return mpmath.exp(-abs(z)) / 2 * (mpmath.log(2 * b2) + abs(m1 + b1 * z - m2) / b2)

        kink = (m2 - m1) / b1
        return float(mpmath.quad(f, sorted({-80, 0, min(max(kink, -80), 80), 80})))


GUMBEL = [  # (β₁, β₂, μ₁, μ₂): the benchmark's worst points (seed 1), and one on the far side of the zero
    (0.01815960568275918, 0.36082420802306225, 4.467647916108516e-44, -1.5797228654780567e-236),
    (0.00295599184232622, 0.21489422247868642, -0.17776472822161082, 5.487941545012063e-245),
    (0.05, 0.355, 0.0, 0.0),
]

LAPLACE = [  # (b₁, b₂, μ₁, μ₂)
    (0.00295599184232622, 0.21489422247868642, -0.17776472822161082, 5.487941545012063e-245),
    (0.05, 0.38, 0.0, 0.1),
    (0.05, 0.37, 0.1, 0.0),
    # |value| ≈ Σ|terms|/7: kept by a screen at S/8 with 12 ULP (scaled_expm1mx's 2 ULP, ×7); exact at S/2
    (0.09102478359544874, 0.11595604266706058, 0.05804941610631448, 0.24181854382986895),
]


@pytest.mark.parametrize("b1, b2, m1, m2", GUMBEL)
def test_gumbel_cross_entropy_near_its_zero(b1, b2, m1, m2):
    want = _gumbel_quad(b1, b2, m1, m2)
    assert abs(want) < 0.5  # near the zero: the terms are many times the value
    for backend in ("numpy", "math"):
        got = _f("gumbel", backend)(b1, b2, m1, m2)
        assert _ulps(got, want) <= 4, (backend, got, want)


@pytest.mark.parametrize("b1, b2, m1, m2", LAPLACE)
def test_laplace_cross_entropy_near_its_zero(b1, b2, m1, m2):
    want = _laplace_closed(b1, b2, m1, m2)
    assert abs(want) < 0.5
    for backend in ("numpy", "math"):
        got = _f("laplace", backend)(b1, b2, m1, m2)
        assert _ulps(got, want) <= 2, (backend, got, want)


def test_laplace_reference_is_the_integral():
    for p in (LAPLACE[1], (0.3, 0.45, 0.0, 0.1)):
        assert abs(_laplace_quad(*p) - _laplace_closed(*p)) <= 1e-17


def test_tiny_values_on_the_zero_curve():
    """β₂ (b₂) the float nearest the root of the CE: the value is ~1e-17, every digit from the exact path."""
    for label, ref, (b1, m1, m2) in (("gumbel", _gumbel_quad, (0.05, 0.0, 0.0)),
                                     ("laplace", _laplace_closed, (0.05, 0.0, 0.1))):
        with mpmath.workdps(40):
            if label == "gumbel":
                g = lambda b2: mpmath.log(b2) + (m1 - m2) / b2 + mpmath.euler * b1 / b2 + \
                    mpmath.exp((m2 - m1) / b2) * mpmath.gamma(1 + b1 / b2)  # noqa: E731
                root = float(mpmath.findroot(g, (0.3, 0.45), solver="anderson"))
            else:
                g = lambda b2: mpmath.log(2 * b2) + (abs(m1 - m2) + b1 * mpmath.exp(-abs(m1 - m2) / b1)) / b2  # noqa: E731
                root = float(mpmath.findroot(g, (0.3, 0.45), solver="anderson"))
        want = ref(b1, root, m1, m2, dps=60)  # 1e-17 from terms ~1: 60 digits leave 40
        assert 0 < abs(want) < 1e-14, want
        got = _f(label)(b1, root, m1, m2)
        assert _ulps(got, want) <= 1, (label, got, want)


def test_gumbel_far_scale_ratio_is_finite():
    """r = β₁/β₂ = 1e300 (z = 1 + r beyond the double-double kernel's 10³⁰⁰) against L = (μ₂ − μ₁)/β₂ = −7.1e302:
    gamma_scaled_excess(z, L) = e^s − 1 − s with s ≈ −2.2e301 is finite, and so are the CE and the KL (seed 2
    of the accuracy benchmark: +∞ for 7.1e302). Reference: the closed forms in mpmath (Γ(10³⁰⁰) has an
    mpmath exponent; the KL as torch.distributions.kl._kl_gumbel_gumbel writes it, H(P) = log β₁ + γ + 1)."""
    from symce.engine.information import kl

    b1, b2, m1, m2 = 1.0000000000000002, 1e-300, 710.0, -1.0
    with mpmath.workdps(40):
        B1, B2, M1, M2 = map(mpmath.mpf, (b1, b2, m1, m2))
        ce = mpmath.log(B2) + (M1 - M2) / B2 + mpmath.euler * B1 / B2 + \
            mpmath.exp((M2 - M1) / B2) * mpmath.gamma(1 + B1 / B2)
        kl_exact = float(ce - (mpmath.log(B1) + mpmath.euler + 1))
        ce = float(ce)
    fam = {e.label: e for e in families.COMMON}["gumbel"]
    f_kl = sc.lambdify(kl(fam.build(1), fam.build(2)), ["beta1", "beta2", "mu1", "mu2"])
    assert _ulps(_f("gumbel")(b1, b2, m1, m2), ce) <= 2
    assert _ulps(f_kl(b1, b2, m1, m2), kl_exact) <= 2
