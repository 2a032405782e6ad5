"""CE(Weibull ‖ Weibull) where e^s is small, s = k₂ log(λ₁/λ₂) + log Γ(1 + k₂/k₁) < −1 (issue 11). The split
e^s − 1 − s + (the logarithms) cancelled there: 1.7·10⁸ ULP at k₁ = 710, λ₁ = 10⁻⁸ (CE ≈ 10⁻⁸ from terms of size
18), 43 ULP at λ₁ = 10⁻³⁰⁰ (s = −694). References: the closed form
k₂ log λ₂ − log k₂ + (λ₁/λ₂)^{k₂} Γ(1 + k₂/k₁) + (1 − k₂)(log λ₁ − γ/k₁) (E_P[X^{k₂}] = λ₁^{k₂} Γ(1 + k₂/k₁),
E_P[log X] = log λ₁ − γ/k₁: the Weibull moments, e.g. Gil, Alajaji & Linder 2013) in mpmath at 80 digits
from the exact float inputs, and at one moderate point −∫ p log q by mpmath quadrature. Arguments in
lambdify's order: λ₁, k₁, λ₂, k₂ (sc.Weibull(scale, concentration))."""

import random

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.rewrite import stabilise

L1, K1, L2, K2 = sp.symbols("l1 k1 l2 k2", positive=True)


@pytest.fixture(scope="module")
def derivation():
    return sc.cross_entropy(sc.Weibull(L1, K1), sc.Weibull(L2, K2))


def closed_form(l1, k1, l2, k2):
    with mpmath.workdps(80):
        l1, k1, l2, k2 = (mpmath.mpf(v) for v in (l1, k1, l2, k2))
        return (k2 * mpmath.log(l2) - mpmath.log(k2) + mpmath.exp(k2 * (mpmath.log(l1) - mpmath.log(l2))
                + mpmath.loggamma(1 + k2 / k1)) + (1 - k2) * (mpmath.log(l1) - mpmath.euler / k1))


def exponent(l1, k1, l2, k2):
    with mpmath.workdps(40):
        return k2 * (mpmath.log(l1) - mpmath.log(l2)) + mpmath.loggamma(1 + mpmath.mpf(k2) / k1)


def _sample():
    """A seeded sample across s = −1 (both forms of the rule) and far below it."""
    rng = random.Random(11)
    out = []
    while len(out) < 12:
        p = (10 ** rng.uniform(-12, 3), 10 ** rng.uniform(-1, 3), 10 ** rng.uniform(-3, 3), 10 ** rng.uniform(-1, 1))
        if -60 < exponent(*p) < 3:
            out.append(p)
    return out


# the two worst points, and points on either side of the switch at s = −1
HARD = [(1e-8, 710.0, 1.0, 1.0000000000000002), (1e-300, 0.9999999999999999, 33.0, 1.0000000000009999),
        (0.3, 2.0, 1.0, 1.0), (0.4, 2.0, 1.0, 1.0), (1e-3, 0.5, 1e3, 1e-3)]
POINTS = HARD + _sample()


def ulps(got, want):
    return abs(got - float(want)) / np.spacing(abs(float(want)))


def test_the_rule_is_proved(derivation):
    steps = stabilise(derivation.result).steps
    assert steps and all(s.status == "proved" for s in steps)
    assert any(s.rule.startswith("Γ-scaled excess") for s in steps)


def test_closed_form_reference_against_quadrature():
    l1, k1, l2, k2 = 0.7, 1.5, 1.3, 2.5
    with mpmath.workdps(30):
        l1, k1, l2, k2 = (mpmath.mpf(v) for v in (l1, k1, l2, k2))

        def logq(x):
            return mpmath.log(k2 / l2) + (k2 - 1) * mpmath.log(x / l2) - (x / l2) ** k2

        quad = -mpmath.quad(lambda u: mpmath.exp(-u) * logq(l1 * u ** (1 / k1)), [0, 1, 10, mpmath.inf])
        assert abs(quad - closed_form(l1, k1, l2, k2)) < 1e-20


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_small_exponent(derivation, backend):
    f = sc.lambdify(derivation, backend=backend)
    for p in POINTS:
        assert ulps(float(f(*p)), closed_form(*p)) <= 4, p


def test_small_exponent_numpy_array(derivation):
    f = sc.lambdify(derivation, backend="numpy")
    got = f(*(np.array([p[i] for p in POINTS]) for i in range(4)))
    assert max(ulps(g, closed_form(*p)) for g, p in zip(got, POINTS)) <= 4


def test_small_exponent_torch(derivation):
    torch = pytest.importorskip("torch")
    f = sc.lambdify(derivation, backend="torch")
    got = f(*(torch.tensor([p[i] for p in POINTS], dtype=torch.float64) for i in range(4)))
    assert max(ulps(float(g), closed_form(*p)) for g, p in zip(got, POINTS)) <= 4
