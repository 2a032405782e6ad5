"""Kernels of :class:`symce.numeric.functions.exp_excess.scaled_expm1mx`: (a/s)·(e^{−t} − 1 + t)."""

from __future__ import annotations

import mpmath
import numpy as np

# 1/n! for n = 2 … 19: the alternating series Σ_{n≥2} (−t)ⁿ/n! to below 2⁻⁵⁸ of its value for t < 1
_TAYLOR = tuple(1.0 / float(np.prod(np.arange(1, n + 1, dtype=np.float64))) for n in range(2, 20))


def _excess(t):
    """e^{−t} − 1 + t ≥ 0 for t ≥ 0 as (mantissa, exponent): t²/2 underflows for t < 2⁻⁵³⁷ where the product
    with a large a/s does not (a = 1e300, s = 1e-10, t = 1e-310: 5e-311)."""
    acc = np.zeros_like(t)
    for c in reversed(_TAYLOR):
        acc = acc * -t + c
    mt, et = np.frexp(t)
    # t² Σ (−t)^{n−2}/n!: all terms but the 1/2 are small beside it, no cancellation; t² from t's mantissa
    near_m, near_e = acc * mt * mt, 2 * et
    far_m, far_e = np.frexp(t + np.expm1(-t))  # t ≥ 1: e^{−t} − 1 ≥ −1 against t ≥ 1, cancels by < e
    near = t < 1.0
    return np.where(near, near_m, far_m), np.where(near, near_e, far_e)


def scaled_expm1mx_numpy(a, s, t, q):
    a, s, t, q = (np.asarray(v, dtype=np.float64) for v in (a, s, t, q))
    with np.errstate(all="ignore"):
        mg, eg = _excess(t)
        ma, ea = np.frexp(a)
        ms, es = np.frexp(s)
        # (a/s)·g from mantissas and integer exponents: a/s or g alone may overflow or underflow where the
        # product is finite (a = 1e300, s = 1e-10, t = 1e-310)
        out = np.ldexp(ma * mg / ms, ea + eg - es)
        out = np.where(t == 0, 0.0, out)
        # t > 2⁵⁴ (or t = ∞ where a is tiny): r·(1 − e^{−t}) is below half an ulp of q = r·t
        out = np.where(t > 2.0**54, q, out)
        out = np.where(np.isnan(a) | np.isnan(s) | np.isnan(t) | np.isnan(q), np.nan, out)
    return out[()] if out.ndim == 0 else out


def mp_scaled_expm1mx(a, s, t, q):
    """The definition at the working precision plus guard bits (the series for small t)."""
    with mpmath.workprec(mpmath.mp.prec + 20):
        if abs(t) < 0.5:
            term, total, n = t * t / 2, mpmath.mpf(0), 2
            while term != 0 and abs(term) > mpmath.ldexp(abs(total), -mpmath.mp.prec - 10):
                total += term
                n += 1
                term = -term * t / n
            g = total
        else:
            g = mpmath.expm1(-t) + t
        return +(a / s * g)


MPMATH = {"scaled_expm1mx": mp_scaled_expm1mx}

__all__ = ["scaled_expm1mx_numpy", "mp_scaled_expm1mx", "MPMATH"]
