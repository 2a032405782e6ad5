r"""Kernels of vonmises_kl_dk1 = A′(κ₁)(κ₁ − κ₂ cos(μ₁ − μ₂)) (:mod:`symce.numeric.functions.vonmises_grad`).

numpy: σ²A′(κ₁), σ = max(κ₁, 1), from :func:`symce.numeric.impl.arrays.vonmises.dA` (positive series for κ ≤ 30,
the asymptotic series of κ²A′ beyond: a few ulp), times w = (κ₁ − κ₂)/σ + 2(κ₂/σ)sin²(Δ/2), divided by σ —
(σ²A′·w)/σ where |w| < 1 (w/σ could underflow), σ²A′·(w/σ) otherwise (σ²A′·w could overflow).
mpmath: the definition with A = I₁/I₀ at a precision raised by the 2 log₂ κ₁ bits 1 − A/κ − A² cancels and by
those κ₁ − κ₂ cos Δ cancels.
"""

from __future__ import annotations

import functools

import mpmath
import numpy as np

from symce.numeric.impl.arrays.namespace import _Array
from symce.numeric.impl.arrays.vonmises import MPMATH, _sin_half_diff, dA

MP_VONMISES_KL = MPMATH["vonmises_kl"]


@functools.lru_cache(maxsize=None)
def numpy_namespace():
    return _Array("numpy")


def vonmises_kl_dk1(xp, k1, k2, mu1, mu2):
    k1, k2, mu1, mu2 = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in (k1, k2, mu1, mu2)])
    with np.errstate(all="ignore"):
        sigma = np.where(k1 > 1.0, k1, 1.0)
        scaled = dA(xp, k1, sigma)
        sh = _sin_half_diff(xp, mu1, mu2)
        w = (k1 - k2) / sigma + 2.0 * (k2 / sigma) * (sh * sh)
        out = np.where(np.abs(w) < 1.0, (scaled * w) / sigma, scaled * (w / sigma))
        # κ₂ ≈ DBL_MAX: 2(κ₂/σ)sin² overflows where w itself does not (κ₁ = 5e-324, κ₂ = 1.8e308, Δ ≈ 1.6
        # gave ∞ for −8.8e307): there w/2, the result doubled (exact)
        wh = (0.5 * k1 - 0.5 * k2) / sigma + (k2 / sigma) * (sh * sh)
        out = np.where(np.isfinite(out), out, 2.0 * (scaled * (wh / sigma)))
    bad = np.isnan(k1) | np.isnan(k2) | np.isnan(mu1) | np.isnan(mu2) | (k1 < 0) | (k2 < 0)
    return np.where(bad, np.nan, out)


def mp_vonmises_kl_dk1(k1, k2, mu1, mu2):
    def mag(x):
        return int(mpmath.mag(x)) if x else -(1 << 20)

    k1, k2, mu1, mu2 = (mpmath.mpf(v) for v in (k1, k2, mu1, mu2))
    extra = 60 + 3 * max(0, mag(k1)) + max(0, mag(k2)) + max(0, mag(mu1), mag(mu2))
    with mpmath.workprec(1 << 12):
        dk, dmu = k1 - k2, mu1 - mu2
    if dk:
        extra += max(0, mag(k1) - mag(dk))
    if dmu:
        extra += 2 * max(0, -mag(dmu))
    with mpmath.workprec(mpmath.mp.prec + extra):
        a = mpmath.besseli(1, k1) / mpmath.besseli(0, k1)
        out = (1 - a / k1 - a * a) * (k1 - k2 * mpmath.cos(mu1 - mu2))
    return +out


__all__ = ["vonmises_kl_dk1", "mp_vonmises_kl_dk1", "numpy_namespace"]
