"""KL(χ²_{k₁} ‖ χ²_{k₂}) where the halves k/2 are subnormal and round apart from the inputs (2⁻¹⁰²² + 2⁻¹⁰⁷⁴
halves to 2⁻¹⁰²³): the Stirling-Bregman kernel takes the ratio of the unhalved inputs (impl/bregman_ratio.py).

Reference: χ²_k = Gamma(shape k/2, scale 2), so by the Gamma KL (Penny 2001, "KL-divergences of Normal,
Gamma, Dirichlet and Wishart densities", eq. 2; Gil, Alajaji & Linder 2013, Table 3) with equal scales
KL = (k₁ − k₂)/2·ψ(k₁/2) − log Γ(k₁/2) + log Γ(k₂/2), in mpmath from the exact float inputs."""

import math
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.ulp import ulp_distance

K1, K2 = sp.symbols("k1 k2", positive=True)

HARD = [(2.2250738585072014e-308, 2.225073858507202e-308),  # both halves round to 2⁻¹⁰²³ (was 4·10¹⁸ ULP)
        (2.225073858507202e-308, 2.2250738585072014e-308),
        (3e-320, 1e-320), (1e-320, 3e-320), (0.3, 1e-315), (1e-300, 5e-324), (1e-315, 1e-310), (2.0, 3.0)]


def reference(a, b):
    with mpmath.workprec(400):  # the float inputs are exact in mpf; the terms (≈ 700) cancel to 2.5·10⁻³²
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        return float(mpmath.loggamma(b / 2) - mpmath.loggamma(a / 2) + (a - b) / 2 * mpmath.digamma(a / 2))


@pytest.fixture(scope="module")
def functions():
    d = sc.kl(sc.Chi2(K1), sc.Chi2(K2))
    return {be: sc.lambdify(d, [K1, K2], backend=be) for be in ("numpy", "math")}


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_hard_points_within_4_ulp(functions, backend):
    f = functions[backend]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for a, b in HARD:
            got, want = float(f(a, b)), reference(a, b)
            assert math.isfinite(got), (a, b, got)
            assert ulp_distance(got, want) <= 4, (a, b, got, want)


def test_array_matches_points(functions):
    a = np.array([p[0] for p in HARD])
    b = np.array([p[1] for p in HARD])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = functions["numpy"](a, b)
    for g, (x, y) in zip(got, HARD):
        assert ulp_distance(float(g), reference(x, y)) <= 4, (x, y, g)
