r"""gamma_scaled_excess(z, L) = e^s − 1 − s, s = L + log Γ(z), with s in double-double from the inputs.

The Gumbel and Weibull KLs (:func:`symce.numeric.rewrite_special.gamma_scaled_excess_form`) have z = 1 + r,
r = β₁/β₂ or k₂/k₁, and L = (μ₂ − μ₁)/β₂ or k₂(log λ₁ − log λ₂). From the rounded z and L the kernel loses

* ε·|s| relatively where e^s is large (s up to 709: ~10³ ULP of KLs ≈ 10²⁶⁹ from the rounding of L and of
  log Γ(z) ≈ 600), and
* all digits of s near P = Q where z rounds (z = 2 + 4.4·10⁻¹⁶ for k₂/k₁ = 1 + 2.2·10⁻¹⁶) and s ≈ 10⁻¹⁶
  decides the KL.

So r − 1 and r are taken as double-double quotients of the inputs (q − d exact where they are close), L as a
double-double ((μ₂ − μ₁) by two-sum, log λ from the exponent and the mantissa's 2·atanh series), and log Γ(z)
in double-double: around z = 2 the Taylor series of log Γ(2 + δ) in δ = r − 1 (coefficients (−1)ᵏ(ζ(k) − 1)/k,
radius 2), on [1, 1.5] that of log Γ(1 + r) (coefficients (−1)ᵏζ(k)/k), beyond 8 Stirling's (z − ½) log z − z +
½ log 2π + μ(z) with μ (≤ 0.011) in float, and between by log Γ(z) = log Γ(z + 8) − log Π(z + j). Then
e^s − 1 − s = expm1mx(s_h) + s_l·expm1(s_h) (|s| < ½) or expm1(s_h) + e^{s_h}s_l − s_h − s_l. Where s is
undefined in floats (L = −∞ against log Γ(z) = +∞: z ≥ 2.5·10³⁰⁵) the KL's stirling_bregman(z, 2) is +∞
already, and so is this term (e^s − 1 − s ≥ |s| − 1 for |s| beyond the float range).
"""

from __future__ import annotations

import functools

import mpmath
import numpy as np

from symce.numeric.impl.constants import _LN2_HI, _LN2_LO
from symce.numeric.impl.double_double import _dd_div, _dd_mul, _two_prod, _two_sum
from symce.numeric.impl.gamma_kernels import expm1mx
from symce.numeric.impl.logsum import log_mantissa

_SQRT_HALF = 0.7071067811865476


@functools.lru_cache(maxsize=None)
def _coefficients(shift: int, n: int):
    """(hi, lo) pairs of the Taylor coefficients of log Γ(shift + t) for t¹ … tⁿ (shift 1 or 2)."""
    out = []
    with mpmath.workdps(60):
        for k in range(1, n + 1):
            if k == 1:
                c = -mpmath.euler if shift == 1 else 1 - mpmath.euler
            else:
                c = (-1) ** k * (mpmath.zeta(k) - (0 if shift == 1 else 1)) / k
            hi = float(c)
            out.append((hi, float(c - hi)))
    return tuple(out)


def _series(th, tl, shift, n):
    """Σ c_k t^k by Horner in double-double (t = th + tl)."""
    coeffs = _coefficients(shift, n)
    ah, al = np.zeros_like(th), np.zeros_like(th)
    for ch, cl in reversed(coeffs):
        ah, al = _add_dd(ah, al, ch, cl)
        ah, al = _dd_mul(ah, al, th, tl)
    return ah, al


def _add_dd(ah, al, bh, bl):
    s, e = _two_sum(ah, bh)
    return _two_sum(s, e + al + bl)


def _log_dd(h, l):
    """log(h + l) as a double-double for h > 0 finite: E·log 2 + log M with h = M·2^E, M ∈ [√½, √2)."""
    m, e = np.frexp(h)
    low = m < _SQRT_HALF
    m = np.where(low, 2.0 * m, m)
    e = np.where(low, e - 1, e).astype(np.float64)
    ml = np.ldexp(l, -e.astype(np.int64))
    lh, ll = log_mantissa(m, ml)
    return _add_dd(e * _LN2_HI, e * _LN2_LO, lh, ll)


def _lgamma_dd(zh, zl, dh, dl, rh, rl, mu):
    """log Γ(z) in double-double, z = zh + zl = 1 + r = 2 + δ (r = rh + rl, δ = dh + dl)."""
    with np.errstate(all="ignore"):
        out_h, out_l = np.full_like(zh, np.nan), np.zeros_like(zh)
        near2 = np.abs(dh) <= 0.5
        near1 = ~near2 & (rh <= 0.5)
        big = ~near2 & ~near1 & (zh >= 8.0)
        mid = ~near2 & ~near1 & ~big
        if np.any(near2):
            h, l = _series(dh[near2], dl[near2], 2, 40)
            out_h[near2], out_l[near2] = h, l
        if np.any(near1):
            h, l = _series(rh[near1], rl[near1], 1, 60)
            out_h[near1], out_l[near1] = h, l
        if np.any(big):
            out_h[big], out_l[big] = _stirling(zh[big], zl[big], mu)
        if np.any(mid):
            # log Γ(z) = log Γ(z + 8) − log Π_{j<8} (z + j): the product ≤ 16⁸ in double-double
            ph, pl = zh[mid].copy(), zl[mid].copy()
            for j in range(1, 8):
                ah, al = _two_sum(zh[mid], float(j))
                ph, pl = _dd_mul(ph, pl, ah, al + zl[mid])
            z8h, z8l = _two_sum(zh[mid], 8.0)
            sh, sl = _stirling(z8h, z8l + zl[mid], mu)
            lh, ll = _log_dd(ph, pl)
            out_h[mid], out_l[mid] = _add_dd(sh, sl, -lh, -ll)
    return out_h, out_l


def _stirling(zh, zl, mu):
    """(z − ½) log z − z + ½ log 2π + μ(z) in double-double for z ≥ 8 (μ in float: ≤ 0.011)."""
    lh, ll = _log_dd(zh, zl)
    ah, al = _two_sum(zh, -0.5)
    ph, pl = _dd_mul(ah, al + zl, lh, ll)
    ph, pl = _add_dd(ph, pl, -zh, -zl)
    return _add_dd(ph, pl, 0.9189385332046728, -3.8782941580672414e-17 + mu(zh))


def _div_dd(ah, al, b):
    """(ah + al)/b as a double-double, from the mantissas (b = 3.9·10³⁰⁷: splitting b for the exact product
    overflows; a = 10⁻⁴²: a/b underflows only in the final scaling, where the low part no longer counts)."""
    with np.errstate(all="ignore"):
        ma, ea = np.frexp(ah)
        mb, eb = np.frexp(b)
        qh, ql = _dd_div(ma, np.ldexp(al, -ea), mb, np.zeros_like(mb))
        k = ea - eb
        qh, ql = np.ldexp(qh, k), np.ldexp(ql, k)
        # 0/b, x/0, ∞ and NaN as the float quotient
        plain = ah / b
        good = np.isfinite(qh) & np.isfinite(ql) & (ah != 0) & (b != 0) & np.isfinite(b)
    return np.where(good, qh, plain), np.where(good, ql, 0.0)


def _quotient_dd(a, b):
    """a/b as a double-double."""
    return _div_dd(a, np.zeros_like(a), b)


def _excess(sh, sl):
    """e^s − 1 − s for s = sh + sl."""
    with np.errstate(all="ignore"):
        near = expm1mx(sh) + sl * np.expm1(sh)
        far = (np.expm1(sh) - sh) + (np.exp(sh) * sl - sl)
        out = np.where(np.abs(sh) < 0.5, near, far)
    return np.where(np.isinf(sh), np.inf, out)


def _exponent(q, d, lh, ll, mu):
    """s = L + log Γ(1 + q/d) as a double-double (sh, sl), L = lh + ll, and where it is defined (ok)."""
    with np.errstate(all="ignore"):
        rh, rl = _quotient_dd(q, d)
        nh, nl = _two_sum(q, -d)  # q − d exact where q and d are close (Sterbenz)
        dh, dl = _div_dd(nh, nl, d)
        # the low parts where the exact products of the quotients overflowed (|q/d| beyond 2⁹⁹⁶)
        rl = np.where(np.isfinite(rl), rl, 0.0)
        dl = np.where(np.isfinite(dl), dl, 0.0)
        zh, zl = _two_sum(1.0, rh)
        zl = zl + rl
        ok = np.isfinite(zh) & np.isfinite(rh) & np.isfinite(dh) & (zh < 1e300)
        gh, gl = _lgamma_dd(np.where(ok, zh, 2.0), np.where(ok, zl, 0.0), np.where(ok, dh, 0.0),
                            np.where(ok, dl, 0.0), np.where(ok, rh, 1.0), np.where(ok, rl, 0.0), mu)
        sh, sl = _add_dd(lh, ll, gh, gl)
        sl = np.where(np.isfinite(sh), sl, 0.0)
    return sh, sl, ok


def excess_from_ratio(q, d, lh, ll, *, mu):
    """e^s − 1 − s with s = L + log Γ(1 + q/d), L = lh + ll (double-double)."""
    q, d, lh, ll = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in (q, d, lh, ll)])
    sh, sl, ok = _exponent(q, d, lh, ll, mu)
    with np.errstate(all="ignore"):
        out = _excess(sh, sl)
    bad = np.isnan(q) | np.isnan(d) | np.isnan(lh) | (q < 0) | (d < 0)
    # z beyond 10³⁰⁰ (the double-double products' splitting overflows), s still finite in floats: s = L + log Γ(z)
    # in float. Its error (≈ |L|·ε ≤ 10²⁸⁹) is far below the kl_div(z, 2) ≈ z log(z/2) ≥ 6.9·10³⁰² the KL and CE
    # hold beside it, and e^s − 1 − s = −1 − s to the last bit below s = −40: the Gumbel KL at β₁ = 1, β₂ = 1e-300,
    # μ₁ = 710, μ₂ = −1 (s ≈ −2.2e301) was +∞ for 7.1e302. Where z or L overflowed (s = ∞ or ∞ − ∞) the term is
    # +∞ as before (|s| beyond the float range, or e^s − 1 − s ≥ 0 beside a +∞)
    far = ~ok & ~bad
    if np.any(far):
        with np.errstate(all="ignore"):
            s = lh + _lgamma_plain(q, d)
            big = np.where(s < -40.0, -1.0 - s, np.expm1(s) - s)
        out = np.where(far & np.isfinite(big), big, out)
        ok = ok | (far & np.isfinite(big))
    return np.where(bad, np.nan, np.where(ok & np.isfinite(out), out, np.inf))


def scaled_from_ratio(q, d, lh, ll, *, mu):
    """e^s = e^L·Γ(1 + q/d) with s in double-double: e^{s_h}(1 + s_l), where e^{s_h + s_l} from the rounded L
    and log Γ(z) would carry |s|·ε (18 ULP at s = −18, the Weibull CE at λ₁ = 10⁻⁸; 10³ at s ≈ 700)."""
    q, d, lh, ll = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in (q, d, lh, ll)])
    sh, sl, ok = _exponent(q, d, lh, ll, mu)
    with np.errstate(all="ignore"):
        e = np.exp(sh)
        out = np.where(np.isfinite(e) & (e > 0), e + e * sl, e)
        # where s is undefined in floats (z beyond 10³⁰⁰ or z, L overflowed): e^L·Γ(z) from the float s
        plain = np.exp(lh + _lgamma_plain(q, d))
    bad = np.isnan(q) | np.isnan(d) | np.isnan(lh) | (q < 0) | (d < 0)
    return np.where(bad, np.nan, np.where(ok & ~np.isnan(out), out, plain))


def expm1_from_ratio(q, d, lh, ll, *, mu):
    """e^s − 1 = e^L·Γ(1 + q/d) − 1 with s in double-double: expm1(s_h) + e^{s_h}·s_l, where G − 1 from the
    rounded G loses every digit of s near P = Q (the Weibull KL's ∂/∂λ = ∓k₂(G − 1)/λ)."""
    q, d, lh, ll = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in (q, d, lh, ll)])
    sh, sl, ok = _exponent(q, d, lh, ll, mu)
    with np.errstate(all="ignore"):
        out = np.expm1(sh) + np.exp(sh) * sl
        out = np.where(np.isfinite(sh), out, np.expm1(sh))
        plain = np.expm1(lh + _lgamma_plain(q, d))
    bad = np.isnan(q) | np.isnan(d) | np.isnan(lh) | (q < 0) | (d < 0)
    return np.where(bad, np.nan, np.where(ok & ~np.isnan(out), out, plain))


def expm1_weibull(q, d, k, u, v, *, mu):
    """gamma_scaled_m1(1 + q/d, k(log u − log v)) with the exponent in double-double (−1 or ∞ where s is ∓∞
    but undefined in floats)."""
    out = expm1_from_ratio(q, d, *_log_ratio_weibull(k, u, v), mu=mu)
    return _resolve_far(out, np.expm1, q, d, k, u, v)


def weighted(w, x, m):
    """(w/x)·m from mantissas and exponents (w, x > 0): no underflow of w·m or w/x, no 0·∞; ±∞ where m is."""
    w, x, m = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in (w, x, m)])
    with np.errstate(all="ignore"):
        mw, ew = np.frexp(w)
        mx, ex = np.frexp(x)
        mm, em = np.frexp(m)
        out = np.ldexp(mw * mm / mx, ew + em - ex)
        out = np.where(np.isinf(m) | np.isnan(m), m * (np.sign(w) * np.sign(x)), out)
        out = np.where(m == 0, 0.0 * m, out)
    return np.where(np.isnan(w) | np.isnan(x), np.nan, out)


def scaled_expm1_weibull(w, x, q, d, k, u, v, *, mu):
    """(w/x)·gamma_scaled_m1 of the Weibull inputs."""
    return weighted(w, x, expm1_weibull(q, d, k, u, v, mu=mu))


def _lgamma_plain(q, d):
    from scipy.special import gammaln

    with np.errstate(all="ignore"):
        return gammaln(1.0 + q / d)


def _log_ratio_weibull(k, u, v):
    """L = k(log u − log v) as a double-double."""
    k, u, v = (np.asarray(x, dtype=np.float64) for x in (k, u, v))
    with np.errstate(all="ignore"):
        uh, ul = _log_dd(u, np.zeros_like(u))
        vh, vl = _log_dd(v, np.zeros_like(v))
        dh, dl = _add_dd(uh, ul, -vh, -vl)
        # log(u/v) of the double-double quotient where it is a normal number: log_mantissa's error is 2⁻⁶¹ of
        # log M, so near u = v the difference keeps its digits (log u − log v: 1.5e-12 relative at
        # u/v = 1 + 1e-12, the Weibull KL's ∂/∂λ near P = Q)
        rh, rl = _quotient_dd(u, v)
        near = np.isfinite(rh) & np.isfinite(rl) & (rh > 2.2250738585072014e-308)
        qh, ql = _log_dd(np.where(near, rh, 1.0), np.where(near, rl, 0.0))
        dh, dl = np.where(near, qh, dh), np.where(near, ql, dl)
        lh, ll = _dd_mul(k, np.zeros_like(k), dh, dl)
        # k beyond 2⁹⁹⁶ (the splitting of the exact product overflows) or L beyond the float range
        good = np.isfinite(lh) & np.isfinite(ll)
        return np.where(good, lh, k * dh), np.where(good, ll, 0.0)


def _far_exponent_weibull(q, d, k, u, v):
    """The sign of s = k(log u − log v) + log Γ(1 + q/d) as ±∞ where it is undefined in floats (q/d or L
    overflowed: ∞ − ∞): log Γ(z) ≈ z(log z − 1) for z beyond 10³⁰⁰ against |L|, compared as logarithms
    (log r + log(log r − 1) with log r = log q − log d, log k + log|log u − log v|); L ≥ 0 gives +∞."""
    with np.errstate(all="ignore"):
        log_r = np.log(q) - np.log(d)
        log_g = log_r + np.log(np.maximum(log_r - 1.0, 1e-300))
        diff = np.log(u) - np.log(v)
        log_l = np.log(k) + np.log(np.abs(diff))
        return np.where((diff >= 0) | (log_g > log_l), np.inf, -np.inf)


def _resolve_far(out, fn, q, d, k, u, v):
    """fn(±∞) where out is NaN from finite, valid inputs (the ∞ − ∞ of s)."""
    q, d, k, u, v = np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in (q, d, k, u, v)])
    undefined = np.isnan(out) & (q > 0) & (d > 0) & (k > 0) & (u > 0) & (v > 0)
    if np.any(undefined):
        with np.errstate(all="ignore"):
            out = np.where(undefined, fn(_far_exponent_weibull(q, d, k, u, v)), out)
    return out


def scaled_weibull(q, d, k, u, v, *, mu):
    """gamma_scaled(1 + q/d, k(log u − log v)) with the exponent in double-double (0 or ∞ where s is ∓∞ but
    undefined in floats: k₁ = 1e-17, k₂ = 1.8e308)."""
    out = scaled_from_ratio(q, d, *_log_ratio_weibull(k, u, v), mu=mu)
    return _resolve_far(out, np.exp, q, d, k, u, v)


def _log_ratio_gumbel(a, b, s):
    """L = (a − b)/s as a double-double (a − b by two-sum; halved where it overflows)."""
    a, b, s = (np.asarray(v, dtype=np.float64) for v in (a, b, s))
    with np.errstate(all="ignore"):
        nh, nl = _two_sum(a, -b)
        lh, ll = _div_dd(nh, nl, s)
        # a − b overflowed: from halves; the quotient overflowed (or its exact product did): the float one
        plain = np.where(np.isfinite(nh), nh / s, (0.5 * a - 0.5 * b) / s * 2.0)
        good = np.isfinite(nh) & np.isfinite(lh) & np.isfinite(ll)
        return np.where(good, lh, plain), np.where(good, ll, 0.0)


def excess_gumbel(q, d, a, b, s, *, mu):
    """L = (a − b)/s as a double-double (a − b by two-sum; halved where it overflows)."""
    return excess_from_ratio(q, d, *_log_ratio_gumbel(a, b, s), mu=mu)


def scaled_gumbel(q, d, a, b, *, mu):
    """gamma_scaled(1 + q/d, (a − b)/d) with the exponent in double-double (the Gumbel gradients: 63 ULP of
    e^s at s ≈ 83 from the rounded L and log Γ). Where s is ∞ − ∞ in floats (L = ±∞ against log Γ(1 + q/d)
    = +∞, q/d ≥ 2.5e305), e^s is +∞ or 0 by the sign of d·s = d·log Γ(1 + q/d) + a − b ≈ q(log q − log d −
    1) + a − b (Stirling; the rest is ≤ d·(½ log(2πq/d) + 1) ≪ q), taken in units of 2¹¹ against overflow."""
    q, d, a, b = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in (q, d, a, b)])
    out = np.asarray(scaled_from_ratio(q, d, *_log_ratio_gumbel(a, b, d), mu=mu), dtype=np.float64)
    undefined = np.isnan(out) & ~(np.isnan(q) | np.isnan(d) | np.isnan(a) | np.isnan(b) | (q < 0) | (d < 0))
    if np.any(undefined):
        qs, ds, as_, bs = (v[undefined] for v in (q, d, a, b))
        with np.errstate(all="ignore"):
            t = np.ldexp(qs, -11) * (np.log(qs) - np.log(ds) - 1.0) + (np.ldexp(as_, -11) - np.ldexp(bs, -11))
        out = np.array(out, copy=True)
        out[undefined] = np.where(t > 0, np.inf, 0.0)
    return out[()] if out.ndim == 0 else out


def excess_weibull(q, d, k, u, v, *, mu):
    """L = k(log u − log v) as a double-double."""
    return excess_from_ratio(q, d, *_log_ratio_weibull(k, u, v), mu=mu)


__all__ = ["excess_from_ratio", "excess_gumbel", "excess_weibull", "scaled_from_ratio", "scaled_weibull",
           "expm1_from_ratio", "expm1_weibull", "scaled_expm1_weibull", "weighted", "scaled_gumbel"]
