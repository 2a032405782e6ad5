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
from symce.numeric.impl.arrays.vonmises import MPMATH, _sin_half_diff, dA, one_minus_A

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
        # κ₁ − κ₂ cos Δ: with 1 − 2sin² the rounding of κ₂·2sin²(Δ/2) is relative to κ₂·vers, with cos Δ to
        # κ₂|cos Δ|; where cos Δ < ½ the second is the smaller (21 ulp at κ₁ = 30, κ₂ = 709.78, cos Δ = 0.04:
        # 680 and 720 made 40)
        c = _cos_diff(xp, mu1, mu2)
        w = np.where(np.abs(c) < 0.5, k1 / sigma - (k2 / sigma) * c, w)
        out = np.where(np.abs(w) < 1.0, (scaled * w) / sigma, scaled * (w / sigma))
        # κ₂ ≈ DBL_MAX: 2(κ₂/σ)sin² overflows where w itself does not (κ₁ = 5e-324, κ₂ = 1.8e308, Δ ≈ 1.6
        # gave ∞ for −8.8e307): there w/2, the result doubled (exact)
        wh = (0.5 * k1 - 0.5 * k2) / sigma + (k2 / sigma) * (sh * sh)
        out = np.where(np.isfinite(out), out, 2.0 * (scaled * (wh / sigma)))
    bad = np.isnan(k1) | np.isnan(k2) | np.isnan(mu1) | np.isnan(mu2) | (k1 < 0) | (k2 < 0)
    return np.where(bad, np.nan, out)


def _cos_diff(xp, a, b):
    """cos(a − b): cos of the difference where it is exact (TwoSum error 0) or an input is not finite, else
    cos a cos b + sin a sin b; where those products cancel (cos Δ near 0), from a − b at 2200 bits."""
    d = a - b
    bb = d - a
    err = (a - (d - bb)) + (-b - bb)
    exact = err == 0
    finite = np.isfinite(a) & np.isfinite(b)
    p1, p2 = np.cos(a) * np.cos(b), np.sin(a) * np.sin(b)
    expanded = p1 + p2
    out = np.where(exact | ~finite, np.cos(d), expanded)
    cancel = ~exact & finite & (np.abs(expanded) < 0.25 * (np.abs(p1) + np.abs(p2)))
    if np.any(cancel):
        shape = np.shape(out)
        flat = np.array(out, dtype=np.float64).reshape(-1)
        av, bv = (np.broadcast_to(v, shape).reshape(-1) for v in (a, b))
        idx = np.flatnonzero(cancel)
        with mpmath.workprec(2200):
            flat[idx] = [float(mpmath.cos(mpmath.mpf(float(x)) - mpmath.mpf(float(y)))) for x, y in zip(av[idx], bv[idx])]
        out = flat.reshape(shape) if shape else flat[0]
    return out


def _a_over_k(k):
    """A(κ)/κ = I₁(κ)/(κ I₀(κ)) = ½ Σ qʲ/(j!(j+1)!) / Σ qʲ/j!², q = κ²/4, for κ ≤ 1 (in (0.44, ½]: A itself is
    subnormal for κ < 4.5e-308, and A(5e-324) rounds to twice its value)."""
    q = k * k / 4
    num, den, tn, td = np.full_like(k, 0.5), np.ones_like(k), np.full_like(k, 0.5), np.ones_like(k)
    for j in range(1, 14):
        tn = tn * q / (j * (j + 1))
        td = td * q / (j * j)
        num, den = num + tn, den + td
    return num / den


def vonmises_dmu(xp, k, c, mu1, mu2):
    """c·A(κ)·sin(μ₁ − μ₂), ∂/∂μ₁ of the von Mises KL and CE (c = κ₂): for κ < 1 as (A/κ)·κ·c, the larger of
    |c|, κ multiplied first (no subnormal A, no overflow: A/κ ≤ ½)."""
    k, c, mu1, mu2 = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in (k, c, mu1, mu2)])
    with np.errstate(all="ignore"):
        s = _sin_half_diff(xp, mu1, mu2, 1.0)
        small = k < 1.0
        ks = np.where(small, k, 0.5)
        aok = _a_over_k(ks)
        cbig = np.abs(c) >= ks
        lo = np.where(cbig, (aok * c) * ks, (aok * ks) * c)
        a = 1.0 - one_minus_A(xp, np.where(small, 2.0, k))
        out = np.where(small, lo, a * c) * s
    bad = np.isnan(k) | np.isnan(c) | (k < 0)
    return np.where(bad, np.nan, out)


def vonmises_dA_cos(xp, k, c, mu1, mu2):
    """c·A′(κ)·cos(μ₁ − μ₂), ∂/∂κ₁ of the von Mises CE (c = −κ₂): σ²A′(κ) (σ = max(κ, 1), ≤ ½) times c·cos Δ,
    divided by σ twice (κ₂/κ₁ first overflowed at κ₁ = 1e-17, κ₂ = DBL_MAX; cos(fl(μ₁ − μ₂)) lost the angle at
    μ₂ = DBL_MAX: the wrong sign)."""
    k, c, mu1, mu2 = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in (k, c, mu1, mu2)])
    with np.errstate(all="ignore"):
        sigma = np.where(k > 1.0, k, 1.0)
        scaled = dA(xp, k, sigma)
        u = (c * _cos_diff(xp, mu1, mu2)) * scaled
        out = (u / sigma) / sigma
    bad = np.isnan(k) | np.isnan(c) | (k < 0)
    return np.where(bad, np.nan, out)


def _mag(x):
    return int(mpmath.mag(x)) if x else -(1 << 20)


def mp_vonmises_dmu(k, c, mu1, mu2):
    k, c, mu1, mu2 = (mpmath.mpf(v) for v in (k, c, mu1, mu2))
    extra = 60 + max(0, _mag(mu1), _mag(mu2))
    with mpmath.workprec(mpmath.mp.prec + extra):
        out = c * mpmath.besseli(1, k) / mpmath.besseli(0, k) * mpmath.sin(mu1 - mu2)
    return +out


def mp_vonmises_dA_cos(k, c, mu1, mu2):
    k, c, mu1, mu2 = (mpmath.mpf(v) for v in (k, c, mu1, mu2))
    extra = 60 + 3 * max(0, _mag(k)) + max(0, _mag(mu1), _mag(mu2))
    with mpmath.workprec(mpmath.mp.prec + extra):
        a = mpmath.besseli(1, k) / mpmath.besseli(0, k)
        out = c * (1 - a / k - a * a) * mpmath.cos(mu1 - mu2)
    return +out


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


#: the mpmath backend's kernels by name (impl/mp.py)
MPMATH_GRAD = {"vonmises_kl_dk1": mp_vonmises_kl_dk1, "vonmises_dmu": mp_vonmises_dmu, "vonmises_dA_cos": mp_vonmises_dA_cos}

__all__ = ["MPMATH_GRAD", "vonmises_kl_dk1", "mp_vonmises_kl_dk1", "numpy_namespace", "vonmises_dmu", "vonmises_dA_cos",
           "mp_vonmises_dmu", "mp_vonmises_dA_cos"]
