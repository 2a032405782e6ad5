r"""log(2π·I₀(κ)e^{−κ}) = log 2π + log I₀(κ) − κ as a double-double (hi, lo), κ > 1, numpy or torch.

The von Mises cross-entropy (log 2π + log i0e(κ₂)) + κ₂(1 − A(κ₁) + A(κ₁)·2 sin²(Δ/2)) crosses 0 where its two
parts, each up to ½ log κ₂ ≈ 350, cancel: in double precision log 2π (1.84) and log i0e(7.45) (−1.91) alone
carry 2e-16 of rounding, and scipy's i0e is ~4e-16 off (236 ULP of the CE 0.0127). Here to ~1e-30 relative:
- 1 < κ ≤ 40: I₀(κ) = Σ_k (κ²/4)^k/k!² (positive terms, ≤ 70 of them) in double-double, its log − κ;
- κ > 40: I₀(κ)e^{−κ} = (2πκ)^{−½}·Σ_{k<40} ((2k − 1)!!)²/(k!(8κ)^k) (Abramowitz & Stegun 9.7.1; the
  truncation error at κ = 40 is 5e-31), so the whole is ½ log 2π − ½ log κ + log S.
log of a double-double: x = m·2^e (m ∈ [√½, √2)), log m = 2 atanh((m − 1)/(m + 1)) by its series.
The error-free transformations (TwoSum, Dekker's TwoProd) use only +, −, ×, so they run on numpy arrays
and torch tensors alike (no FMA contraction in either).
"""

from __future__ import annotations

import math
from fractions import Fraction

# the error-free transformations are plain arithmetic, so the shared ones serve numpy arrays and torch tensors
from symce.numeric.impl.double_double import _dd_div as dd_div
from symce.numeric.impl.double_double import _dd_mul as dd_mul
from symce.numeric.impl.double_double import _fast_two_sum
from symce.numeric.impl.double_double import _two_prod as two_prod
from symce.numeric.impl.double_double import _two_sum as two_sum


def _dd_const(v: Fraction) -> tuple:
    hi = float(v)
    return hi, float(v - Fraction(hi))


# ln 2, log 2π and ½ log 2π as double-doubles (hi, lo): mpmath at 300 bits, hi = fl(v), lo = fl(v − hi)
_LN2 = (0.6931471805599453, 2.3190468138462996e-17)
_LOG_2PI = (1.8378770664093456, -7.756588316134483e-17)
_HALF_LOG_2PI = (0.9189385332046728, -3.8782941580672414e-17)
_SQRT_HALF = math.sqrt(0.5)

_K_ASYM = 40.0      # the asymptotic series from here on
_ASYM_N = 40        # its terms (truncation ≤ 5e-31 relative at κ = 40)
_SERIES_MAX = 72    # the power series' terms at κ = 40 (the last < 1e-34 of the sum)


def _asym_coefficients() -> tuple:
    """((2k − 1)!!)²/(k!·8^k), k < _ASYM_N, each as a double-double."""
    out, c = [], Fraction(1)
    for k in range(_ASYM_N):
        out.append(_dd_const(c))
        c = c * (2 * k + 1) ** 2 / ((k + 1) * 8)
    return tuple(out)


_ASYM = _asym_coefficients()
#: atanh series coefficients 1/(2j + 1) for the double-precision tail u⁴(1/5 + u²/7 + …)
_ATANH_TAIL = tuple(1.0 / (2 * j + 1) for j in range(2, 16))


def dd_add(ah, al, bh, bl):
    """AccurateDWPlusDW (Joldes, Muller & Popescu 2017): relative error ~3u² of the result."""
    s, t = two_sum(ah, bh)
    u, v = two_sum(al, bl)
    t = t + u
    s, t = _fast_two_sum(s, t)
    t = t + v
    return _fast_two_sum(s, t)


def dd_log(xp, xh, xl):
    """log(xh + xl) as a double-double, xh > 0 normal."""
    m = xp.m
    mant, ex = m.frexp(xh)
    ef = ex + m.zeros_like(xh)  # the exponent as float64 (numpy and torch alike)
    low = mant < _SQRT_HALF
    mant = m.where(low, 2 * mant, mant)
    ef = m.where(low, ef - 1, ef)
    ml = xl * m.exp2(-ef)  # exact: a power of two, the product normal
    # u = (m − 1 + ml)/(m + 1 + ml): m − 1 is exact (Sterbenz, m ∈ [√½, √2))
    nh, nl = two_sum(mant - 1, ml)
    dh, dl = two_sum(mant, m.ones_like(mant))
    dh, dl = dd_add(dh, dl, ml, m.zeros_like(ml))
    uh, ul = dd_div(nh, nl, dh, dl)
    u2h, u2l = dd_mul(uh, ul, uh, ul)
    # w = u²/3 + u⁴(1/5 + u²/7 + …): the first term in double-double, the tail (≤ 2e-4) in double
    v = u2h
    tail = m.zeros_like(v) + _ATANH_TAIL[-1]
    for c in reversed(_ATANH_TAIL[:-1]):
        tail = tail * v + c
    wh, wl = dd_div(u2h, u2l, m.full_like(v, 3.0), m.zeros_like(v))
    wh, wl = dd_add(wh, wl, v * v * tail, m.zeros_like(v))
    # log m = 2u(1 + w)
    th, tl = dd_mul(uh, ul, wh, wl)
    lh, ll = dd_add(uh, ul, th, tl)
    lh, ll = 2 * lh, 2 * ll
    eh, el = two_prod(ef, m.full_like(ef, _LN2[0]))
    el = el + ef * _LN2[1]
    return dd_add(eh, el, lh, ll)


def on_subset(xp, mask, f, args, fills):
    """f(*args) where mask (a tuple of arrays), zeros elsewhere: numpy evaluates f on those elements only (the
    double-double series cost ~100 operations an element), torch on all, the others' arguments set to fills."""
    m = xp.m
    if xp.kind == "numpy":
        import numpy as np

        args = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in args])
        mask = np.broadcast_to(mask, args[0].shape)
        outs = None
        if mask.any():
            got = f(*[v[mask] for v in args])
            outs = []
            for g in got:
                o = np.zeros(args[0].shape)
                o[mask] = g
                outs.append(o)
        return tuple(outs) if outs is not None else tuple(np.zeros(args[0].shape) for _ in range(f.n_out))
    return f(*[m.where(mask, v, xp.full_like(v, c)) for v, c in zip(args, fills)])


def _series(xp, ks):
    """log 2π + log I₀ − κ by the power series of I₀ in double-double (κ ≤ 40)."""
    m = xp.m
    zero = m.zeros_like(ks)
    qh, ql = two_prod(ks, ks)
    qh, ql = 0.25 * qh, 0.25 * ql
    th, tl = m.ones_like(ks), zero
    sh, sl = m.ones_like(ks), zero
    # terms from k = 1 while they matter for the largest κ here (the last < 1e-34 of the sum)
    size = ks.numel() if xp.kind == "torch" else ks.size
    top = float(ks.max()) if size else 0.0
    top = top if top == top else _K_ASYM
    n = min(_SERIES_MAX, int(1.5 * top) + 14)
    for j in range(1, n + 1):
        th, tl = dd_mul(th, tl, qh, ql)
        th, tl = dd_div(th, tl, m.full_like(ks, float(j * j)), zero)
        sh, sl = dd_add(sh, sl, th, tl)
    lh, ll = dd_log(xp, sh, sl)
    lh, ll = dd_add(lh, ll, -ks, zero)
    return dd_add(lh, ll, m.full_like(ks, _LOG_2PI[0]), m.full_like(ks, _LOG_2PI[1]))


def _asymptotic(xp, kb):
    """½ log 2π − ½ log κ + log Σ c_k z^k, z = 1/κ (Horner in double-double; κ > 40 finite)."""
    m = xp.m
    zero = m.zeros_like(kb)
    # 1/κ as a double-double; beyond 1e300 Dekker's split overflows and z's low part (~1e-317) is irrelevant
    kc = m.where(kb < 1e300, kb, m.full_like(kb, 1e300))
    zh, zl = dd_div(m.ones_like(kb), zero, kc, zero)
    zh, zl = 1 / kb, m.where(kb < 1e300, zl, zero)
    ph, pl = m.full_like(kb, _ASYM[-1][0]), m.full_like(kb, _ASYM[-1][1])
    for ch, cl in reversed(_ASYM[:-1]):
        ph, pl = dd_mul(ph, pl, zh, zl)
        ph, pl = dd_add(ph, pl, m.full_like(kb, ch), m.full_like(kb, cl))
    gh, gl = dd_log(xp, ph, pl)
    kh, kl = dd_log(xp, kb, zero)
    gh, gl = dd_add(gh, gl, -0.5 * kh, -0.5 * kl)
    return dd_add(gh, gl, m.full_like(kb, _HALF_LOG_2PI[0]), m.full_like(kb, _HALF_LOG_2PI[1]))


def log_2pi_i0e(xp, k):
    """(hi, lo) of log 2π + log I₀(κ) − κ for κ ≥ 0 (κ = ∞: −∞)."""
    m = xp.m
    k = xp.asarray(k)
    small = k <= _K_ASYM
    finite = m.isfinite(k)
    big = ~small & finite

    def series(x):
        return _series(xp, x)

    def asym(x):
        return _asymptotic(xp, x)

    series.n_out = asym.n_out = 2
    sh, sl = on_subset(xp, small, series, (k,), (2.0,))
    bh, bl = on_subset(xp, big, asym, (k,), (2 * _K_ASYM,))
    hi = m.where(small, sh, m.where(finite, bh, -k))
    lo = m.where(small, sl, m.where(finite, bl, m.zeros_like(k)))
    return hi, lo


# π/2 in three 33-bit parts and the rest (fdlibm's e_rem_pio2.c): n·part is exact for |n| < 2²⁰
_PIO2 = (1.57079632673412561417e+00, 6.07710050630396597660e-11, 2.02226624871116645580e-21,
         8.47842766036889956997e-32)
_HALF_ANGLE_MAX = 2.0 ** 19  # |(a − b)/2| beyond: n ≥ 2²⁰/π is no longer safe; the double form instead


def _sin_coefficients() -> tuple:
    """(−1)^k/(2k + 1)!, k ≤ 13, as double-doubles (the term at |r| = π/4, k = 14, is < 2e-34)."""
    out, f = [], Fraction(1)
    for k in range(14):
        out.append(_dd_const(f))
        f = -f / ((2 * k + 2) * (2 * k + 3))
    return tuple(out)


_SIN = _sin_coefficients()


def vers_dd(xp, a, b, sh):
    """2 sin²((a − b)/2) as a double-double: a − b exactly as TwoSum's (d, e), halved, reduced by π/2 in four
    parts (fdlibm's Cody–Waite split), sin² of the remainder r (|r| ≤ π/4) by its Taylor series, 1 − sin²r
    in odd quadrants. Where |a − b|/2 > 2¹⁹, a − b overflows or an input is not finite: 2·sh² in double (sh
    the double sin((a − b)/2) of :func:`..vonmises._sin_half_diff`)."""
    m = xp.m
    d, e = two_sum(a, -b)
    ok = m.isfinite(d) & m.isfinite(e) & (m.abs(d) <= 2 * _HALF_ANGLE_MAX)
    zero = m.zeros_like(d)
    xh = m.where(ok, 0.5 * d, zero)
    xl = m.where(ok, 0.5 * e, zero)
    n = m.round(xh * (2 / math.pi))
    rh, rl = two_sum(xh - n * _PIO2[0], -n * _PIO2[1])
    rh, rl = dd_add(rh, rl, -n * _PIO2[2], -n * _PIO2[3])
    rh, rl = dd_add(rh, rl, xl, zero)
    r2h, r2l = dd_mul(rh, rl, rh, rl)
    ph, pl = m.full_like(d, _SIN[-1][0]), m.full_like(d, _SIN[-1][1])
    for ch, cl in reversed(_SIN[:-1]):
        ph, pl = dd_mul(ph, pl, r2h, r2l)
        ph, pl = dd_add(ph, pl, m.full_like(d, ch), m.full_like(d, cl))
    sh_, sl_ = dd_mul(ph, pl, rh, rl)
    qh, ql = dd_mul(sh_, sl_, sh_, sl_)  # sin²r
    odd = m.remainder(n, 2.0) != 0
    ch_, cl_ = dd_add(m.ones_like(d), zero, -qh, -ql)  # cos²r = 1 − sin²r ≥ ½ in odd quadrants
    vh = m.where(ok, 2 * m.where(odd, ch_, qh), 2 * sh * sh)
    vl = m.where(ok, 2 * m.where(odd, cl_, ql), zero)
    return vh, vl


def a_small_dd(xp, k):
    """A(κ) = I₁(κ)/I₀(κ) as a double-double for 0 ≤ κ ≤ 1: (κ/2)·Σ qʲ/(j!(j + 1)!) over Σ qʲ/j!², q = κ²/4 ≤ ¼,
    both in double-double (16 terms: the last < 1e-33 of the sum). scipy's i1e/i0e is a few ulp off, and
    (κ₂ − κ₁)A(κ₁) cancels against the log I₀ terms in the von Mises KL (16 ulp at κ₁ = 0.26, κ₂ = 0.013)."""
    m = xp.m
    zero = m.zeros_like(k)
    qh, ql = two_prod(k, k)
    qh, ql = 0.25 * qh, 0.25 * ql
    nh, nl = m.full_like(k, 0.5), zero  # the num's series times ½ (the j = 0 term ½ of 1/(0!·1!)·… below)
    dh, dl = m.ones_like(k), zero
    th, tl = m.ones_like(k), zero
    # 16 terms for κ ≤ 1; up to κ = 40 (the CE's 1 − A + A·vers, xent) as many as I₀'s series needs
    size = k.numel() if xp.kind == "torch" else k.size
    top = float(k.max()) if size else 0.0
    top = top if top == top else _K_ASYM
    for j in range(1, max(17, min(_SERIES_MAX, int(1.5 * top) + 14) + 1)):
        th, tl = dd_mul(th, tl, qh, ql)
        th, tl = dd_div(th, tl, m.full_like(k, float(j * j)), zero)  # qʲ/j!²
        dh, dl = dd_add(dh, dl, th, tl)
        uh, ul = dd_div(th, tl, m.full_like(k, float(2 * (j + 1))), zero)  # qʲ/(j!(j + 1)!)·½
        nh, nl = dd_add(nh, nl, uh, ul)
    nh, nl = dd_mul(nh, nl, k, zero)  # (κ/2)·Σ = κ·(½Σ)
    return dd_div(nh, nl, dh, dl)


def mp_log_2pi_i0e(k):
    """log 2π + log I₀(κ) − κ in mpmath at the current precision (κ's digits added: log I₀ ≈ κ cancels)."""
    import mpmath

    k = mpmath.mpf(k)
    with mpmath.workprec(mpmath.mp.prec + 20 + max(0, int(mpmath.mag(k)))):
        out = mpmath.log(2 * mpmath.pi) + mpmath.log(mpmath.besseli(0, k)) - k
    return +out


__all__ = ["on_subset", "a_small_dd", "vers_dd", "log_2pi_i0e", "mp_log_2pi_i0e", "two_sum", "two_prod", "dd_add", "dd_mul", "dd_div", "dd_log"]
