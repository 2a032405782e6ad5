"""CE(Weibull ‖ Weibull) where a subnormal k₁ makes e^L·Γ(1 + k₂/k₁) and γ(1 − k₂)/k₁ both overflow (issue 11:
NaN from +∞ − ∞ at k₁ = 5e-324, k₂ < γ). References: the cross-entropy −E_P[log q] of the Weibull densities,
by mpmath quadrature of the definition at moderate parameters, and its closed form
k₂ log λ₂ − log k₂ + (λ₁/λ₂)^{k₂} Γ(1 + k₂/k₁) + (1 − k₂)(log λ₁ − γ/k₁) (E_P[X^{k₂}] = λ₁^{k₂} Γ(1 + k₂/k₁),
E_P[log X] = log λ₁ − γ/k₁; the Weibull moments, e.g. Gil, Alajaji & Linder 2013, Table) in mpmath's unbounded
exponent range where the float value is ±∞. Arguments in lambdify's order: λ₁, k₁, λ₂, k₂
(sc.Weibull(scale, concentration))."""

import random

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc

L1, K1, L2, K2 = sp.symbols("l1 k1 l2 k2", positive=True)
TINY, BIG = 5e-324, 1.7976931348623157e308


@pytest.fixture(scope="module")
def derivation():
    return sc.cross_entropy(sc.Weibull(L1, K1), sc.Weibull(L2, K2))


def closed_form(l1, k1, l2, k2):
    """The textbook closed form at 60 digits (exponents unbounded in mpmath)."""
    with mpmath.workdps(60):
        l1, k1, l2, k2 = (mpmath.mpf(v) for v in (l1, k1, l2, k2))
        return (k2 * mpmath.log(l2) - mpmath.log(k2) + mpmath.exp(k2 * (mpmath.log(l1) - mpmath.log(l2))
                + mpmath.loggamma(1 + k2 / k1)) + (1 - k2) * (mpmath.log(l1) - mpmath.euler / k1))


def quadrature(l1, k1, l2, k2):
    """−∫₀^∞ p(x) log q(x) dx of the Weibull densities, with x = λ₁u^{1/k₁} (p(x) dx = e^{−u} du: no
    singularity at 0 for k₁ < 1)."""
    with mpmath.workdps(30):
        def logq(x):
            return mpmath.log(k2 / l2) + (k2 - 1) * mpmath.log(x / l2) - (x / l2) ** k2

        return -mpmath.quad(lambda u: mpmath.exp(-u) * logq(l1 * u ** (1 / mpmath.mpf(k1))), [0, 1, 10, mpmath.inf])


def as_float(v):
    return float("inf") if v > BIG else float("-inf") if v < -BIG else float(v)


# (λ₁, k₁, λ₂, k₂): the points and both signs of the ∞ − ∞ (e^s against γ(1 − k₂)/k₁: Γ(178) < e^744 < Γ(179))
HARD = [(1.0, TINY, 1.0, 0.5), (0.57, TINY, BIG, 0.5), (1.0, TINY, 1.0, 1e-320), (1.0, TINY, 1.0, 0.57),
        (1.0, 1e-300, 1.0, 0.5), (1.0, TINY, 1.0, 177 * TINY), (1.0, TINY, 1.0, 178 * TINY), (3.0, TINY, 1e-3, 177 * TINY),
        (1.0, 1e-310, 1.0, 2e-310)]


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_overflowing_terms_give_the_signed_infinity(derivation, backend):
    f = sc.lambdify(derivation, backend=backend)
    for p in HARD:
        want = as_float(closed_form(*p))
        assert want in (float("inf"), float("-inf")), p  # the float value is an overflow at every hard point
        with np.errstate(all="ignore"):
            assert float(f(*p)) == want, p


def test_torch_overflowing_terms(derivation):
    torch = pytest.importorskip("torch")
    f = sc.lambdify(derivation, backend="torch")
    got = f(*(torch.tensor([p[i] for p in HARD], dtype=torch.float64) for i in range(4)))
    assert [float(v) for v in got] == [as_float(closed_form(*p)) for p in HARD]


def test_mpmath_backend_at_the_hard_points(derivation):
    f = sc.lambdify(derivation, backend="mpmath")
    # (not at z = 10³²³: log Γ there at the raised precision costs seconds)
    for p in HARD[2:3] + HARD[4:]:
        assert as_float(f(*p)) == as_float(closed_form(*p)), p
    # to 1e-12 where the exponent s = L + log Γ(z) is moderate (≤ 750); at z = 10³²³ neither the 53-bit
    # backend nor a 60-digit reference pins e^s beyond its sign and magnitude
    for p in HARD[5:]:
        assert abs(f(*p) / closed_form(*p) - 1) < 1e-12, p


def test_seeded_sample_against_quadrature(derivation):
    f = sc.lambdify(derivation)
    rng = random.Random(11)
    for _ in range(6):
        p = tuple(10 ** rng.uniform(-0.7, 0.7) for _ in range(4))
        want = quadrature(*p)
        assert abs(float(f(*p)) - want) <= 4e-15 * max(1.0, abs(want)), p
        assert abs(closed_form(*p) - want) < 1e-15 * max(1, abs(want))  # the closed form checked too
