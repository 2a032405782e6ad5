r"""Kernels of :class:`symce.numeric.functions.kl_share.kl_div_share`: kl_div(x, a·T/S), T = Σ tⱼ, S = Σ sⱼ.

numpy: T and S summed as floats, and from halves (T/2 + exponent 1) where the sum overflowed; y = a·T/S as
mantissa·2^e from frexp (no intermediate under/overflow). k is chosen so that 2ᵏ·max(x, y) lies in [½, 1)
when max(x, y) is outside [2⁻⁵⁰⁰, 2⁵⁰⁰] (else k = 0): x, y and the exact difference d = y − x (given) are
scaled by 2ᵏ — exactly, except y's single rounding and a d that was already subnormal (then y − x of the
scaled values where k ≠ 0) — kl_div(2ᵏx, 2ᵏy) = 2ᵏ·kl_div(x, y) is taken in the normal range and scaled back. Where
2ᵏy is still below 2⁻¹⁰²² (y ≪ x) the value is x(log x − log y) − x + y with log y = log m + e·log 2.
mpmath: the definition at the working precision raised by twice the bits x and y share.
"""

from __future__ import annotations

import math

import numpy as np

_LO, _HI = 2.0**-500, 2.0**500
_TINY = 2.2250738585072014e-308


def _sum_frexp(terms):
    """(m, e) with Σ terms = m·2^e, m in [½, 1) (0 for a zero sum), also where the float sum overflows: there
    from the terms times 2⁻ᵏ, 2ᵏ ≥ their number (halves alone overflowed for 1.8e308 + 1e300 + 1.8e308, NaN)."""
    s = sum(terms[1:], terms[0].copy())
    k = max(1, (len(terms) - 1).bit_length())
    part = sum((t * 2.0**-k for t in terms[1:]), terms[0] * 2.0**-k)
    over = np.isinf(s) & np.isfinite(part)
    m, e = np.frexp(np.where(over, part, s))
    return m, e.astype(np.int64) + k * over


def kl_div_share_kernel(kl_div, nt: int, ns: int):
    """The numpy kernel (x, a, t₁…t_nt, s₁…s_ns, y − x) around the backend's kl_div(x, y, y − x)."""
    def kl_div_share(x, a, *rest):
        with np.errstate(all="ignore"):
            arrs = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, a, *rest)))
            x, a, ts, ss, d = arrs[0], arrs[1], arrs[2:2 + nt], arrs[2 + nt:2 + nt + ns], arrs[-1]
            ma, ea = np.frexp(a)
            mt, et = _sum_frexp(ts)
            ms, es = _sum_frexp(ss)
            my = ma * mt / ms  # in [¼, 2)
            ey = ea.astype(np.int64) + et - es
            mx, ex = np.frexp(x)
            # the exponent of max(x, y): y's is ey (+1 when my ≥ 1)
            ey_top = ey + (my >= 1.0)
            top = np.where(x > 0, np.maximum(ex, ey_top), ey_top)
            k = np.where((top < -500) | (top > 500), -top, 0)
            xs = np.ldexp(x, k)
            ys = np.ldexp(my, ey + k)
            # d as given where it is normal or no scaling is needed: unscaled, a subnormal d is still the exact
            # difference to 2⁻¹⁰⁷⁴, where ys − xs of a rounded y is not (Beta KL at α = (40, 1 − 2⁻⁵³),
            # β₁ = β₂ = 2⁻¹⁰²²: d = 2.2e-308·39/40, ys − xs = 2⁻⁵³, kl_div 2⁻¹⁰⁷ for a KL of 7.3e-308)
            ds = np.where(np.isfinite(d) & ((np.abs(d) >= _TINY) | (k == 0)), np.ldexp(d, k), ys - xs)
            v = np.asarray(kl_div(xs, ys, ds), dtype=np.float64)
            # y ≪ x: 2ᵏy under the normal range, log y from its exponent
            log_ys = np.log(my) + (ey + k) * math.log(2.0)
            lost = (ys < _TINY) & (xs > 0)
            v = np.where(lost, xs * (np.log(xs) - log_ys) - xs + ys, v)
            out = np.ldexp(v, -k)
            # inputs outside the domain or not finite: the plain formula's value (NaN, ∞) rather than a guess
            plain = np.asarray(kl_div(x, a * sum(ts[1:], ts[0].copy()) / sum(ss[1:], ss[0].copy()), d), np.float64)
            fine = np.isfinite(x) & np.isfinite(a) & (a > 0) & (ms > 0) & np.isfinite(ms) & np.isfinite(mt) & (x >= 0)
            out = np.where(fine, out, plain)
        return out[()] if out.ndim == 0 else out

    return kl_div_share


def mp_kl_div_share(x, a, t, s):
    import mpmath

    x, a, t, s = (mpmath.mpf(v) for v in (x, a, t, s))
    with mpmath.extraprec(40):
        y = a * t / s
    if x == 0:
        return +y
    extra = 40
    if x != y:
        extra += 2 * max(0, int(-mpmath.log(abs(x - y) / max(x, y), 2)))
    with mpmath.extraprec(extra):
        y = a * t / s
        out = x * mpmath.log(x / y) - x + y
    return +out


MPMATH = {"kl_div_share": mp_kl_div_share}

__all__ = ["kl_div_share_kernel", "mp_kl_div_share", "MPMATH"]
