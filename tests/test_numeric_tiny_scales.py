"""The scale families' KL near P = Q at the smallest normal and subnormal scales.

kl_div(b, a) ≈ b·u²/2 underflows there, so the fast log1pmx_ratio kernel returned 0 (or lost five digits at a
subnormal scale); its value is scale-free, and the kernel now rescales such inputs by a power of two. The
references are the textbook closed forms evaluated in mpmath at 60 digits: exponential (rate λ)
log(λ₁/λ₂) + λ₂/λ₁ − 1 (Cover & Thomas, Elements of Information Theory, 2nd ed.), half-normal
log(σ₂/σ₁) + σ₁²/(2σ₂²) − ½ and Rayleigh 2 log(σ₂/σ₁) + σ₁²/σ₂² − 1 (by hand from the densities; the
Rayleigh one as in Gil, Alajaji & Linder 2013).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.impl.fast import log1pmx_ratio
from symce.numeric.impl import array_impls

_P1, _P2 = sp.symbols("p1 p2", positive=True)
_SMALLEST_NORMAL = 2.2250738585072014e-308
_POINTS = [(_SMALLEST_NORMAL, 2.225073858507202e-308),  # one ulp apart
           (_SMALLEST_NORMAL, 2.2250716334333426e-308),  # the second subnormal
           (2.225073858507202e-308, _SMALLEST_NORMAL),
           (5e-324 * 1000, 5e-324 * 1001),  # both subnormal
           (1e-300, 1e-300 * (1 + 2.0 ** -40)),
           (1.5, 1.5000000001)]  # an ordinary scale: unchanged path


def _exp(a, b):
    return mpmath.log(a / b) + b / a - 1


def _half_normal(a, b):
    return mpmath.log(b / a) + a * a / (2 * b * b) - mpmath.mpf(1) / 2


def _rayleigh(a, b):
    return 2 * mpmath.log(b / a) + a * a / (b * b) - 1


_FAMILIES = [(sc.Exponential, _exp), (sc.HalfNormal, _half_normal), (sc.Rayleigh, _rayleigh)]


def _ulps(got, ref):
    return abs(got - ref) / math.ulp(ref)


@pytest.mark.parametrize("backend", ["numpy", "math"])
@pytest.mark.parametrize("family,ref", _FAMILIES, ids=["exponential", "half-normal", "rayleigh"])
def test_scale_family_kl_near_equal_tiny_scales_within_4_ulp(family, ref, backend):
    f = sc.lambdify(sc.kl(family(_P1), family(_P2)), [_P1, _P2], backend=backend)
    with mpmath.workdps(60):
        for a, b in _POINTS:
            want = float(ref(mpmath.mpf(a), mpmath.mpf(b)))
            got = float(f(a, b))
            assert _ulps(got, want) <= 4, (a, b, got, want)
    if backend == "numpy":  # the same points as one array: the rescaled elements among unscaled ones
        a, b = np.array(_POINTS).T
        got = f(a, b)
        with mpmath.workdps(60):
            want = [float(ref(mpmath.mpf(x), mpmath.mpf(y))) for x, y in _POINTS]
        assert all(_ulps(g, w) <= 4 for g, w in zip(got, want))


def test_log1pmx_ratio_rescaling_leaves_the_callers_arrays_alone():
    a = np.array([2.225073858507202e-308, 1e300, 3.0])
    b = np.array([_SMALLEST_NORMAL, 1e-310, 2.0])
    d = a - b
    keep = (a.copy(), b.copy(), d.copy())
    with np.errstate(over="ignore"):
        out = log1pmx_ratio(array_impls("numpy"), a, b, d)
    for x, y in zip((a, b, d), keep):
        assert np.array_equal(x, y)
    with mpmath.workdps(60):
        want0 = float(-_exp(mpmath.mpf(b[0]), mpmath.mpf(a[0])))  # log(a/b) − a/b + 1
        want2 = float(mpmath.log(mpmath.mpf(3) / 2) - mpmath.mpf(1) / 2)
    assert _ulps(out[0], want0) <= 4 and _ulps(out[2], want2) <= 4
    assert out[1] == -math.inf  # log(a/b) − (a − b)/b with (a − b)/b beyond the float range
