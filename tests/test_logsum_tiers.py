"""The tiers of the rational_log_sum kernel (float screen, long double, exact) on the normal cross-entropy
½ log 2πσ₂² + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) (Gil, Alajaji & Linder 2013, Table 3), against that formula in
mpmath at 60 digits: points whose terms cancel by ~2⁷ (the long double pass), by ~2¹⁸ (the exact pass), and
whose quadratic term overflows (+∞ from the long double pass, never the double-double one), alone and
placed inside a realistic batch longer than one 2¹⁶ block (the same values either way)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc

m1, m2 = sp.symbols("mu1 mu2", real=True)
s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
ARGS = [m1, m2, s1, s2]


def _normal_ce(u1, u2, t1, t2):
    return mpmath.log(2 * mpmath.pi * t2 ** 2) / 2 + (t1 ** 2 + (u1 - u2) ** 2) / (2 * t2 ** 2)


def _on_curve(t2: float, rel: float) -> float:
    """σ₁ with σ₁²/(2σ₂²) = −½ log 2πσ₂²·(1 + rel): the CE is about rel times its terms."""
    return t2 * math.sqrt(-math.log(2 * math.pi * t2 * t2) * (1 + rel))


HARD = [
    (0.0, 0.0, _on_curve(0.3, 0.05), 0.3),          # cancels by ~2⁷ (K and log σ₂ apart): long double
    (0.0, 0.0, _on_curve(0.3, -0.04), 0.3),         # the same, negative
    (0.0, 0.0, _on_curve(0.25, 5e-6), 0.25),        # cancels by ~2¹⁸: exact
    (1e-3, -1e-3, _on_curve(0.35, 2e-6), 0.35),
    (3e154, 0.0, 1.0, 1.0),                         # (μ₁ − μ₂)²/2 = 4.5e308: +∞
    (1e-100, 0.0, 1.0, 5e-324),                     # (μ₁ − μ₂)/σ₂ = 2e223: +∞
    (1.8e154, 0.0, 1.0, 1.0),                       # 1.62e308, finite
]


@pytest.fixture(scope="module")
def f():
    return sc.lambdify(sc.cross_entropy(sc.Normal(m1, s1), sc.Normal(m2, s2)), ARGS)


def _ulps(got: float, exact) -> float:
    e = float(exact)
    if math.isinf(e):
        return 0.0 if got == e else math.inf
    if not math.isfinite(got):
        return math.inf
    return float(abs(mpmath.mpf(got) - exact)) / math.ulp(e)


def test_each_tier_against_the_textbook_formula(f):
    with mpmath.workdps(60):
        exact = [_normal_ce(*[mpmath.mpf(v) for v in p]) for p in HARD]
    got = np.asarray(f(*[np.array([p[i] for p in HARD]) for i in range(4)]), dtype=float)
    for p, ex, g in zip(HARD, exact, got):
        assert _ulps(float(g), ex) <= 3, (p, float(g), float(ex))
    assert np.isinf(got[4]) and np.isinf(got[5]) and np.isfinite(got[6])


def test_inside_a_batch_longer_than_a_block(f):
    rng = np.random.default_rng(5)
    n = (1 << 16) + 1000
    cols = [rng.normal(0, 5, n), rng.normal(0, 5, n), np.exp(rng.uniform(math.log(0.1), math.log(10), n)),
            np.exp(rng.uniform(math.log(0.1), math.log(10), n))]
    at = [7, 65535, 65536, 65600, 70, 66000, 30000]  # both sides of the block edge
    for j, p in zip(at, HARD):
        for i in range(4):
            cols[i][j] = p[i]
    batch = np.asarray(f(*cols), dtype=float)
    alone = np.asarray(f(*[np.array([p[i] for p in HARD]) for i in range(4)]), dtype=float)
    assert np.array_equal(batch[at], alone)
    # a few realistic elements of the batch against the formula
    with mpmath.workdps(60):
        for j in rng.integers(0, n, 20):
            ex = _normal_ce(*[mpmath.mpf(float(c[j])) for c in cols])
            assert _ulps(float(batch[j]), ex) <= 3, j
