"""Kernels of :class:`symce.numeric.functions.exp_ramp.exp_ramp`: (1 + t)·e^{−t}/r, and of ``exp_rise``:
(1 − e^{−t})/r, t = (b − a)/s.

numpy: in long double, b − a, the quotient t, e^{−t} (to e^{−11355}), the product with 1 + t and the quotient
by r, then one rounding to float64 (a double rounding only where the long-double value lies within 2⁻¹¹ ULP of
a float64 midpoint). Before that rounding the relative error is ≲ t·2⁻⁶³ from t's own two roundings (b − a and
the quotient, 2⁻⁶⁴ each), below 2⁻⁵³ for t ≤ 1024 and 1.5·2⁻⁵³ at t = 1500, past which (1 + t)e^{−t}/r < 2⁻¹⁰⁷⁵
even at r = 2⁻¹⁰⁷⁴ (the result is 0 either way).
exp_rise: −expm1(−t)/r the same way (t to 2⁻¹⁶⁴⁴⁵ in long double, so a t that float64 rounds to a subnormal
or 0 keeps its bits; no cancellation in expm1).
Where long double is no wider than float64 the same in float64 (the plain product's subnormal loss remains).
mpmath: the definition, with guard bits.
"""

from __future__ import annotations

import mpmath
import numpy as np

_LD = np.longdouble if np.finfo(np.longdouble).nmant > 52 else np.float64


def exp_ramp_numpy(a, b, s, r):
    cols = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, s, r)))
    a, b, s, r = (c.astype(_LD) for c in cols)
    with np.errstate(all="ignore"):
        t = (b - a) / s
        out = ((1 + t) * np.exp(-t) / r).astype(np.float64)
        # t = +∞ (s subnormal against a huge b − a): e^{−t} = 0 beats 1 + t = ∞ (∞·0 = NaN in IEEE)
        out = np.where(np.isposinf(t) & np.isfinite(r), 0.0, out)
    return out[()] if out.ndim == 0 else out


def exp_rise_numpy(a, b, s, r):
    cols = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, s, r)))
    a, b, s, r = (c.astype(_LD) for c in cols)
    with np.errstate(all="ignore"):
        out = (-np.expm1(-((b - a) / s)) / r).astype(np.float64)
    return out[()] if out.ndim == 0 else out


def mp_exp_rise(a, b, s, r):
    with mpmath.workprec(mpmath.mp.prec + 20):
        return +(-mpmath.expm1((a - b) / s) / r)


def mp_exp_ramp(a, b, s, r):
    with mpmath.workprec(mpmath.mp.prec + 20):
        t = (b - a) / s
        return +((1 + t) * mpmath.exp(-t) / r)


MPMATH = {"exp_ramp": mp_exp_ramp, "exp_rise": mp_exp_rise}

__all__ = ["exp_ramp_numpy", "exp_rise_numpy", "mp_exp_ramp", "mp_exp_rise", "MPMATH"]
