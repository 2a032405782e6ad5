r"""Kernels of :class:`symce.numeric.functions.log_gap.log_gap`: c·(a − b + log x − log y).

numpy and torch (the numpy kernel, bridged): in long double (64-bit mantissa) a − b (exact where a and b are
within 2¹¹ of each other, else rounded to 2⁻⁶⁴ of the larger), log(x/y) from the long-double quotient —
log1p((x − y)/y) for ½ ≤ x/y ≤ 2, x − y exact there (Sterbenz) — and log x − log y where the quotient leaves
the range; their sum rounded to float64 once. The error is ≈ 2⁻⁶⁴·(|a − b| + |log(x/y)|), a fraction of an ulp of
the gap unless the two cancel by more than 2¹⁰. Without an extended long double the same in float64.
mpmath: the definition.
"""

from __future__ import annotations

import numpy as np


def log_gap_numpy(a, b, x, y, c):
    ld = np.longdouble if np.finfo(np.longdouble).nmant > 52 else np.float64
    with np.errstate(all="ignore"):
        a, b, x, y, c = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, x, y, c)))
        shape = a.shape
        al, bl, xl, yl = (v.reshape(-1).astype(ld) for v in (a, b, x, y))
        q = xl / yl
        near = (q >= 0.5) & (q <= 2.0)
        ratio = np.where(near, np.log1p((xl - yl) / yl), np.log(q))
        far = (q == 0) | ~np.isfinite(q) | (xl == 0) | (yl == 0)
        ratio = np.where(far, np.log(xl) - np.log(yl), ratio)
        out = (c.reshape(-1).astype(ld) * ((al - bl) + ratio)).astype(np.float64).reshape(shape)
    return out[()] if out.ndim == 0 else out


def mp_log_gap(a, b, x, y, c):
    import mpmath

    return c * (a - b + mpmath.log(x) - mpmath.log(y))


MPMATH = {"log_gap": mp_log_gap}

__all__ = ["log_gap_numpy", "mp_log_gap", "MPMATH"]
