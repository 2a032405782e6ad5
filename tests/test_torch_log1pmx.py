"""The torch kernel of log1pmx_ratio(a, b) = log(a/b) − (a − b)/b (symce/numeric/impl/torch_near_kl.py):
against mpmath at 50 digits across the window's bands, the far side, ratios near 1 and the scales where
the series' b·u²/2 underflows (the numpy kernel's fix of 842b078, which the torch kernel lacked: KL of
exponential at the smallest normal scales one ulp apart was 0, half-normal and Rayleigh half the value).
The KL references are the textbook closed forms: exponential (rate λ) log(λ₁/λ₂) + λ₂/λ₁ − 1 (Cover &
Thomas, 2nd ed.), half-normal log(σ₂/σ₁) + σ₁²/(2σ₂²) − ½ and Rayleigh 2 log(σ₂/σ₁) + σ₁²/σ₂² − 1 (from
the densities; Gil, Alajaji & Linder 2013)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc

torch = pytest.importorskip("torch")

from symce.numeric.impl.torch_kernels import torch_kernels  # noqa: E402

_SMALLEST_NORMAL = 2.2250738585072014e-308
_TINY = [(_SMALLEST_NORMAL, 2.225073858507202e-308), (_SMALLEST_NORMAL, 2.2250716334333426e-308),
         (2.225073858507202e-308, _SMALLEST_NORMAL), (5e-324 * 1000, 5e-324 * 1001),
         (1e-300, 1e-300 * (1 + 2.0 ** -40)), (1.5, 1.5000000001)]


def _ulps(got, want):
    return abs(got - want) / math.ulp(want) if want else abs(got) / 5e-324


def _ref(a, b):
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    return float(mpmath.log(a / b) - (a - b) / b)


def _ratios():
    rng = np.random.default_rng(12)
    edges = np.array([0.2, 5.0, 0.5, 2.0, 1 / 3, 3.0])  # the window's and the old bands' edges
    return np.concatenate([np.exp(rng.uniform(-5, 5, 60)),
                           1 + rng.choice([-1, 1], 30) * 10.0 ** rng.uniform(-15, -0.5, 30),
                           np.repeat(edges, 5) * (1 + rng.uniform(-1e-3, 1e-3, 30))])


@pytest.mark.parametrize("scale", [1.0, 3e-300, 2.0 ** -1000, 1e300])
def test_log1pmx_ratio_within_4_ulp_of_mpmath(scale):
    rho = _ratios()
    b = np.exp(np.random.default_rng(1).uniform(-3, 3, rho.size)) * scale
    a = b * rho
    a, b = a[np.isfinite(a)], b[np.isfinite(a)]
    k = torch_kernels()["_log1pmx_ratio"]
    got = k(torch.as_tensor(a), torch.as_tensor(b), torch.as_tensor(a - b)).numpy()
    with mpmath.workdps(50):
        want = [_ref(x, y) for x, y in zip(a, b)]
    worst = max(_ulps(g, w) for g, w in zip(got, want))
    assert worst <= 4, worst


def test_log1pmx_ratio_edges_by_the_general_path():
    # a + b overflows (σ ≈ DBL_MAX), a ratio beyond the float range, a zero: the general path's values
    a = torch.tensor([1.7e308, 1e300, 0.0, 2.0, 1e-300], dtype=torch.float64)
    b = torch.tensor([1.6e308, 1e-10, 3.0, 0.0, 1e300], dtype=torch.float64)
    out = torch_kernels()["_log1pmx_ratio"](a, b, a - b).tolist()
    with mpmath.workdps(50):
        assert _ulps(out[0], _ref(1.7e308, 1.6e308)) <= 4
        assert out[1] == -math.inf and out[2] == -math.inf  # −(a − b)/b = −∞; log 0
        assert _ulps(out[4], _ref(1e-300, 1e300)) <= 4
    assert math.isnan(out[3])  # b = 0 (a scale outside the domain): log ∞ − ∞, as the careful kernel


_P1, _P2 = sp.symbols("p1 p2", positive=True)


def _exp(a, b):
    return mpmath.log(a / b) + b / a - 1


def _half_normal(a, b):
    return mpmath.log(b / a) + a * a / (2 * b * b) - mpmath.mpf(1) / 2


def _rayleigh(a, b):
    return 2 * mpmath.log(b / a) + a * a / (b * b) - 1


@pytest.mark.parametrize("family,ref", [(sc.Exponential, _exp), (sc.HalfNormal, _half_normal),
                                        (sc.Rayleigh, _rayleigh)], ids=["exponential", "half-normal", "rayleigh"])
def test_scale_family_kl_at_tiny_scales_torch_within_4_ulp(family, ref):
    f = sc.lambdify(sc.kl(family(_P1), family(_P2)), [_P1, _P2], backend="torch")
    a, b = (torch.tensor(c, dtype=torch.float64) for c in zip(*_TINY))
    got = f(a, b).tolist()
    with mpmath.workdps(60):
        want = [float(ref(mpmath.mpf(x), mpmath.mpf(y))) for x, y in _TINY]
    assert all(_ulps(g, w) <= 4 for g, w in zip(got, want)), (got, want)


def _kl_ref(x, y):
    x, y = mpmath.mpf(x), mpmath.mpf(y)
    return float(x * mpmath.log(x / y) - x + y)


@pytest.mark.parametrize("scale", [1.0, 3e-300, 1e300])
def test_kl_div_within_4_ulp_of_mpmath(scale):
    # x log(x/y) − x + y by the same two forms (the Bernoulli KL's two terms; KLs of scale families)
    rho = _ratios()
    x = np.exp(np.random.default_rng(2).uniform(-3, 3, rho.size)) * scale
    y = x * rho
    x, y = x[np.isfinite(y)], y[np.isfinite(y)]
    got = torch_kernels()["_kl_div"](torch.as_tensor(x), torch.as_tensor(y), torch.as_tensor(y - x)).numpy()
    with mpmath.workdps(50):
        want = [_kl_ref(a, b) for a, b in zip(x, y)]
    worst = max(_ulps(g, w) for g, w in zip(got, want))
    assert worst <= 4, worst


def test_kl_div_complements_with_the_exact_difference():
    # the Bernoulli KL's (1 − p) log((1 − p)/(1 − q)) − (1 − p) + (1 − q) with d = p − q exact (not the
    # rounded (1 − q) − (1 − p)), on a block of uniform probabilities, and x = 0 (the value y)
    rng = np.random.default_rng(5)
    p, q = rng.uniform(0, 1, 200), rng.uniform(0, 1, 200)
    p[:3], q[:3] = [0.3, 0.5, 1.0], [0.3 + 1e-12, 0.5 - 1e-9, 0.25]
    got = torch_kernels()["_kl_div"](torch.as_tensor(1 - p), torch.as_tensor(1 - q), torch.as_tensor(p - q))
    with mpmath.workdps(50):
        want = []
        for a, b in zip(p, q):
            x, y = 1 - mpmath.mpf(a), 1 - mpmath.mpf(b)
            want.append(float(x * mpmath.log(x / y) - x + y) if x else float(y))
    worst = max(_ulps(g, w) for g, w in zip(got.tolist(), want))
    assert worst <= 4, worst
