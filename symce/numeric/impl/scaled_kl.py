r"""Kernels of :class:`symce.numeric.functions.scaled_kl.scaled_kl_div`: (c/d)·kl_div(x, y).

numpy: where max(x, y) < 2⁻⁵⁰⁰ both (and d = y − x) are multiplied by 2ᵏ, exactly, so kl_div(2ᵏx, 2ᵏy) =
2ᵏ·kl_div(x, y) is a normal number (near x = y it is ≈ (y − x)²/2y, ≥ 2⁻¹⁰⁶·x: subnormal from x ≈ 2⁻⁹⁶⁸ on,
and at x ≈ 10⁻³⁰⁰ already for y/x − 1 ≈ 10⁻⁶); then c·v/d·2⁻ᵏ is built from frexp mantissas with the
exponents summed as integers and one ldexp: no intermediate under- or overflow (c = 1.8e308 times a
subnormal KL, c = 5e-324 over d = 10⁻⁸), ≤ 2 roundings in the mantissa and the last one into the result.
mpmath: the definition at the working precision raised by twice the bits x and y share (kl_div ≈ d²/2y).
"""

from __future__ import annotations

import numpy as np

_TINY = 2.0**-500


def scaled_kl_div_kernel(kl_div):
    """The numpy kernel (c, d, x, y, y − x) around the backend's kl_div(x, y, y − x)."""
    def scaled_kl_div(c, d, x, y, diff):
        with np.errstate(all="ignore"):
            c, d, x, y, diff = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (c, d, x, y, diff)))
            big = np.maximum(x, y)
            _, e = np.frexp(big)
            k = np.where((big < _TINY) & (big > 0), -e, 0)
            v = np.asarray(kl_div(np.ldexp(x, k), np.ldexp(y, k), np.ldexp(diff, k)), dtype=np.float64)
            mc, ec = np.frexp(c)
            md, ed = np.frexp(d)
            mv, ev = np.frexp(v)
            # mantissas in [½, 1): mc·mv/md in [¼, 2), the exponents as integers (no overflow of int64)
            out = np.ldexp(mc * mv / md, ec.astype(np.int64) + ev - ed - k)
            # frexp leaves ∞ and NaN as mantissas with exponent 0: ∞·v, c·∞ and NaNs come out as the plain product
            plain = c * v / d
            out = np.where(np.isfinite(c) & np.isfinite(d) & np.isfinite(v), out, plain)
        return out[()] if out.ndim == 0 else out

    return scaled_kl_div


def mp_scaled_kl_div(c, d, x, y):
    import mpmath

    c, d, x, y = (mpmath.mpf(v) for v in (c, d, x, y))
    if x == 0:
        return c / d * y
    if y == 0:
        return mpmath.inf
    extra = 40
    if x != y:
        extra += 2 * max(0, int(-mpmath.log(abs(x - y) / max(x, y), 2)))
    with mpmath.extraprec(extra):
        out = c / d * (x * mpmath.log(x / y) - x + y)
    return +out


MPMATH = {"scaled_kl_div": mp_scaled_kl_div}

__all__ = ["scaled_kl_div_kernel", "mp_scaled_kl_div", "MPMATH"]
