"""The rational_log_sum kernel's first pass keeps a float sum of its terms where they do not cancel; each term
must then be accurate on its own. A power of an input over a power of another, squared first, lost it where the
square underflowed: Rayleigh's σ₁²/σ₂² at σ₂ = 1.9e-162 (σ₂² subnormal) gave 2.2956e215 for 3.1670e215, and
nothing cancelled, so the screen kept it (found at 2000 samples of `benchmarks/accuracy.py --common-only`).

Reference: the Rayleigh cross-entropy from its moments, E_P[X²] = 2σ₁², E_P[log X] = log σ₁ + (log 2 − γ)/2
(Johnson, Kotz & Balakrishnan 1994, ch. 18), so H(P, Q) = γ/2 − ½log 2 − log σ₁ + 2 log σ₂ + σ₁²/σ₂²,
evaluated in mpmath at 60 digits."""

from __future__ import annotations

import math

import mpmath
import pytest

import symce as sc
from symce import families

POINTS = [(1.0649685149735964e-54, 1.8923916753574748e-162),  # the benchmark's worst point
          (1.6210637343255035e-39, 1.3264068180540068e-160),
          (1e-300, 1e-310), (3.0, 1.5e-160), (2.5e-200, 7.0e-155), (1.0, 2.0)]


def reference(s1: float, s2: float) -> float:
    with mpmath.workdps(60):
        a, b = mpmath.mpf(s1), mpmath.mpf(s2)
        v = mpmath.euler / 2 - mpmath.log(2) / 2 - mpmath.log(a) + 2 * mpmath.log(b) + (a / b) ** 2
        return float(v)


@pytest.fixture(scope="module")
def derivation():
    ex = next(e for e in families.COMMON if e.label == "rayleigh")
    return sc.cross_entropy(ex.build(1), ex.build(2))


def ulps(got: float, want: float) -> float:
    if math.isinf(want):
        return 0.0 if got == want else math.inf
    return abs(got - want) / math.ulp(want)


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_rayleigh_ce_where_the_square_underflows(derivation, backend):
    f = sc.lambdify(derivation, backend=backend)
    # math: Python's float ** raises OverflowError where the value is +∞ (3/1.5e-160 squared), as math does
    for s1, s2 in [p for p in POINTS if backend == "numpy" or math.isfinite(reference(*p))]:
        assert ulps(float(f(s1, s2)), reference(s1, s2)) <= 4, (s1, s2)


def test_rayleigh_ce_torch(derivation):
    torch = pytest.importorskip("torch")
    f = sc.lambdify(derivation, backend="torch")
    s1 = torch.tensor([p[0] for p in POINTS], dtype=torch.float64)
    s2 = torch.tensor([p[1] for p in POINTS], dtype=torch.float64)
    got = f(s1, s2)
    for (a, b), g in zip(POINTS, got.tolist()):
        assert ulps(g, reference(a, b)) <= 4, (a, b)
