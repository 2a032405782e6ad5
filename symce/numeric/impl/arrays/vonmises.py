r"""The von Mises KL without cancellation (:class:`symce.numeric.functions.vonmises.vonmises_kl`).

KL(VM(μ₁, κ₁) ‖ VM(μ₂, κ₂)) = B(κ₁, κ₂) + κ₂·A(κ₁)·2 sin²((μ₁ − μ₂)/2), A = I₁/I₀, where
B = log I₀(κ₂) − log I₀(κ₁) − (κ₂ − κ₁)A(κ₁) ≥ 0 is the Bregman divergence of the convex log I₀: both
terms are ≥ 0, so only B needs care. Near κ₁ = κ₂ (ratio within [¼, 4]) B = d²∫₀¹(1 − s)A′(κ₁ + s·d)ds by
24-point Gauss–Legendre (d = κ₂ − κ₁), A′ = 1 − A/κ − A² (the variance of cos X) from series of positive
terms for κ ≤ 30 — A′·I₀² = ½Σ_k (2k)!/(k!²(k+1)!²)(κ/2)^{2k} (the product formula of I_μI_ν, the three
series' coefficients combine to ½ of the first) over I₀² = Σ_k (2k)!/k!⁴ (κ/2)^{2k} — and from the
asymptotic series of 1 − A in 1/κ beyond (A′ = O(1/κ²) there: 1 − A/κ − A² would cancel 2 log₂ κ bits).
Farther apart the terms themselves, with log I₀ − κ = log i0e and 1 − A from A′ (the small root of the
Riccati equation A′ = 1 − A/κ − A²) where κ₁ > 1, log I₀ by log1p of its series where κ ≤ 1.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np

from symce.numeric.impl.arrays.vonmises_log_i0 import (a_small_dd, dd_add, dd_mul, log_2pi_i0e, on_subset, two_prod,
                                                       two_sum, vers_dd)


@lru_cache(maxsize=None)  # on first use: numpy.polynomial's import was most of this module's import time
def _gauss_legendre() -> tuple:
    """24-point Gauss–Legendre on [0, 1]: nodes s, weights w of ∫₀¹ f(s) ds, and weights w·(1 − s) of
    ∫₀¹ (1 − s) f(s) ds."""
    u, w = np.polynomial.legendre.leggauss(24)
    return ([float((a + 1) / 2) for a in u], [float(b / 2) for b in w],
            [float(b / 2 * (1 - (a + 1) / 2)) for a, b in zip(u, w)])


_SERIES_TERMS = 110  # k ≤ 110: the terms of the κ ≤ 30 series fall below 2⁻⁵⁶ of the sum by k ≈ 90
_BIG = 30.0
_ASYM_TERMS = 24


# the coefficient tables are computed on first use (exact fractions: 0.01 s of `import symce` otherwise)
@lru_cache(maxsize=None)
def _asymptotic() -> tuple:
    """Coefficients r_k of 1 − A(κ) ~ Σ r_k κ^{−k} (k ≥ 1), from I_ν(κ) ~ e^κ/√(2πκ)·Σ (−1)^k a_k(ν)/κ^k,
    a_k(ν) = Π_{j≤k}(4ν² − (2j − 1)²)/(k!·8^k) (Abramowitz & Stegun 9.7.1), by series division."""
    n = _ASYM_TERMS + 2

    def p(nu):
        out, a = [], Fraction(1)
        for k in range(n):
            out.append(a * (-1) ** k)
            a = a * (4 * nu * nu - (2 * k + 1) ** 2) / ((k + 1) * 8)
        return out

    p0, p1 = p(0), p(1)
    num = [x - y for x, y in zip(p0, p1)]
    q = []
    for k in range(n):  # (P₀ − P₁)/P₀, P₀[0] = 1
        q.append(num[k] - sum(q[j] * p0[k - j] for j in range(k)))
    return tuple(float(c) for c in q)  # [0] = 0


def _i0e(xp, x):
    if xp.kind == "torch":
        return xp.m.special.i0e(x)
    import scipy.special as sc

    return sc.i0e(x)


def _i1e(xp, x):
    if xp.kind == "torch":
        return xp.m.special.i1e(x)
    import scipy.special as sc

    return sc.i1e(x)


def _where_arg(xp, cond, x, fill):
    return xp.m.where(cond, x, xp.full_like(x, fill))


@lru_cache(maxsize=None)
def _series_coefficients() -> tuple:
    """(½(2k)!/(k!²(k+1)!²), (2k)!/k!⁴) for k < _SERIES_TERMS, each rounded once (the powers of q are shared
    by both series, so their rounding errors cancel in the quotient)."""
    cn, cd = [], []
    for k in range(_SERIES_TERMS):
        f = math.factorial
        cn.append(float(Fraction(f(2 * k), 2 * f(k) ** 2 * f(k + 1) ** 2)))
        cd.append(float(Fraction(f(2 * k), f(k) ** 4)))
    return tuple(cn), tuple(cd)


def _small_series(xp, t):
    """(A′·I₀², I₀²) by their positive series in q = (t/2)², for t ≤ 30 (others: any finite value)."""
    q = (t / 2) ** 2
    cn, cd = _series_coefficients()
    sn, sd = xp.full_like(t, cn[0]), xp.full_like(t, cd[0])
    p = xp.full_like(t, 1.0)
    en, ed = xp.zeros_like(t), xp.zeros_like(t)
    # the terms peak near k ≈ t and fall below 2⁻⁶⁰ of the sum by k ≈ 2.2t + 25: as many as the largest t needs
    size = t.numel() if xp.kind == "torch" else t.size
    top = float(t.max()) if size else 0.0
    top = top if top == top else _BIG  # NaN inputs: all terms
    for k in range(1, min(_SERIES_TERMS, int(2.5 * min(top, _BIG)) + 30)):
        p = p * q
        # TwoSum: the partial sums' roundings (~√k ulp over 110 terms) kept apart and added back
        sn, en = _two_sum(sn, cn[k] * p, en)
        sd, ed = _two_sum(sd, cd[k] * p, ed)
    return sn + en, sd + ed


def _two_sum(s, x, e):
    u = s + x
    v = u - s
    return u, e + ((s - (u - v)) + (x - v))


def _big_r_and_dr(xp, t):
    """(1 − A, t²A′) by the asymptotic series in z = 1/t (t > 30)."""
    z = 1 / t
    rs = _asymptotic()
    r = xp.full_like(t, rs[-1])
    for c in reversed(rs[1:-1]):
        r = r * z + c
    r = r * z
    # t²A′ = −t²·d(1 − A)/dt = Σ k r_k z^{k−1} (A′ itself underflows for t > 1e154)
    dr = xp.full_like(t, (len(rs) - 1) * rs[-1])
    for k in range(len(rs) - 2, 0, -1):
        dr = dr * z + k * rs[k]
    return r, dr


def dA(xp, t, scale=None):
    """A′(t) = 1 − A/t − A² (t ≥ 0), relative error a few ulp; with ``scale`` σ, σ²·A′(t) (A′ = O(1/t²)
    underflows beyond t ≈ 1e154, σ²A′ with σ ∈ [t/4, 4t] does not)."""
    m = xp.m
    t = xp.asarray(t)
    small = t <= _BIG
    ts = _where_arg(xp, small, t, 1.0)
    sn, sd = _small_series(xp, ts)
    tb = _where_arg(xp, ~small, t, 2 * _BIG)
    _, h = _big_r_and_dr(xp, tb)
    if scale is None:
        return m.where(small, sn / sd, h / (tb * tb))
    return m.where(small, scale * scale * (sn / sd), (scale / tb) ** 2 * h)


def one_minus_A(xp, t):
    """1 − A(t): 1 − i1e/i0e for t ≤ 1 (A ≤ 0.45), the small root r = 2(A′ + 1/t)/(2 + 1/t +
    √(4(1 − A′) + 1/t²)) of r² − (2 + 1/t)r + A′ + 1/t = 0 (A′ = 1 − A/t − A² in r = 1 − A) for 1 < t ≤ 30,
    the asymptotic series beyond."""
    m = xp.m
    t = xp.asarray(t)
    lo = t <= 1.0
    tl = _where_arg(xp, lo, t, 0.5)
    r_lo = 1 - _i1e(xp, tl) / _i0e(xp, tl)
    mid = (t > 1.0) & (t <= _BIG)
    tm = _where_arg(xp, mid, t, 2.0)
    sn, sd = _small_series(xp, tm)
    da = sn / sd
    inv = 1 / tm
    r_mid = 2 * (da + inv) / ((2 + inv) + m.sqrt(4 * (1 - da) + inv * inv))
    tb = _where_arg(xp, t > _BIG, t, 2 * _BIG)
    r_big, _ = _big_r_and_dr(xp, tb)
    return m.where(lo, r_lo, m.where(mid, r_mid, r_big))


def _log_i0(xp, t):
    """log I₀(t): log1p of Σ_{k≥1}(t²/4)^k/k!² for t ≤ 1, log i0e(t) + t beyond."""
    m = xp.m
    lo = t <= 1.0
    tl = _where_arg(xp, lo, t, 0.5)
    q = tl * tl / 4
    term, s = q, q
    for k in range(2, 20):
        term = term * q / (k * k)
        s = s + term
    return m.where(lo, m.log1p(s), m.log(_i0e(xp, t)) + t)


def _sin_half_diff(xp, a, b, h=0.5):
    """sin(h(a − b)), h = ½ or 1: sin(h·d) where d = a − b is exact (TwoSum error 0) or an input is not
    finite, else sin(ha)cos(hb) − cos(ha)sin(hb) (a and b far apart: the rounded difference of huge angles
    would lose the angle; and a − b that overflows)."""
    m = xp.m
    d = a - b
    bb = d - a
    err = (a - (d - bb)) + (-b - bb)
    exact = err == 0
    finite = m.isfinite(a) & m.isfinite(b)
    direct = m.sin(d * h)
    ha, hb = a * h, b * h
    p1, p2 = m.sin(ha) * m.cos(hb), m.cos(ha) * m.sin(hb)
    expanded = p1 - p2
    out = m.where(exact | ~finite, direct, expanded)
    # the two products cancel where (a − b)/2 is near a multiple of π (sin 0.008 from products ≈ 1: 59 ulp of
    # the KL at μ₁ = −4.2e199, μ₂ = 1.2e124): those rare elements exactly, a − b at 2200 bits (exact for any
    # two doubles) and its sine there (mpmath reduces the angle at that precision)
    cancel = ~exact & finite & (m.abs(expanded) < 0.25 * (m.abs(p1) + m.abs(p2)))
    if xp.kind == "numpy":
        if np.any(cancel):
            shape = np.shape(out)
            flat = np.array(out, dtype=np.float64).reshape(-1)
            av, bv = (np.broadcast_to(v, shape).reshape(-1) for v in (a, b))
            idx = np.flatnonzero(cancel)
            flat[idx] = _exact_sin_diff(av[idx], bv[idx], h)
            out = flat.reshape(shape) if shape else flat[0]
    elif bool(cancel.any()):
        # torch: the few elements on the CPU (cancel.any() costs one device sync; the copies only where there are
        # any), added as a detached correction, so a graph traced through here keeps the expanded form's
        # derivative, h·cos(h(a − b)) in a (a sum of products ≈ ±1 there: no cancellation)
        a_, b_ = m.broadcast_tensors(a, b)
        at, bt, ot = (v.detach()[cancel].cpu().numpy() for v in (a_, b_, out))
        fix = m.as_tensor(_exact_sin_diff(at, bt, h) - ot, dtype=out.dtype).to(out.device)
        corr = m.zeros_like(out.detach())
        corr[cancel] = fix
        out = out + corr
    return out


def _exact_sin_diff(av, bv, h):
    """sin(h(a − b)) rounded once from 2200 bits, for 1-d float64 arrays a, b (h = ½ or 1): a − b at 2200 bits
    is exact for any two finite doubles (their exponents differ by < 2100), and mpmath reduces the angle at
    that precision."""
    import mpmath

    with mpmath.workprec(2200):
        return np.array([float(mpmath.sin((mpmath.mpf(float(x)) - mpmath.mpf(float(y))) * h))
                         for x, y in zip(av, bv)], dtype=np.float64)


def _a_small(xp, small, k1):
    """A(κ₁) as a double-double where κ₁ ≤ 1 (numpy: on those elements only), 0 elsewhere."""
    def f(x):
        return a_small_dd(xp, x)

    f.n_out = 2
    return on_subset(xp, small, f, (k1,), (0.5,))


def vonmises_kl(xp, k1, k2, mu1, mu2):
    m = xp.m
    k1, k2, mu1, mu2 = (xp.asarray(v) for v in (k1, k2, mu1, mu2))
    k1, k2, mu1, mu2 = (m.broadcast_tensors if xp.kind == "torch" else np.broadcast_arrays)(k1, k2, mu1, mu2)
    d = k2 - k1
    # the quadrature for κ₂/κ₁ within [½, 2] where some κ > 1 (beyond, up to 16 ulp at ratio 3–4 from A′'s
    # rounding over the wider interval, where the double-double far form below has ≤ 3), within [¼, 4] where both
    # κ ≤ 1 (far_small cancels more there)
    wide = (k1 <= 1.0) & (k2 <= 1.0)
    near = m.where(wide, (k2 <= 4 * k1) & (k1 <= 4 * k2), (k2 <= 2 * k1) & (k1 <= 2 * k2))
    # (d/σ)²·∫(1 − s)σ²A′: σ = κ₁ where κ₁ > 1 keeps d² and A′ from overflowing and underflowing at κ = 1e300
    sigma = m.where(k1 > 1.0, k1, xp.full_like(k1, 1.0))
    acc = xp.zeros_like(d)
    nodes, _, weights = _gauss_legendre()  # of ∫₀¹ (1 − s) f(s) ds
    for s, w in zip(nodes, weights):
        acc = acc + w * dA(xp, k1 + s * d, sigma)
    inner = (d / sigma) ** 2 * acc
    r1 = one_minus_A(xp, k1)
    small = k1 <= 1.0
    # A(κ₁) for κ₁ ≤ 1 as a double-double (scipy's i1e/i0e is a few ulp off)
    ah, al = _a_small(xp, small, k1)
    a1 = m.where(small, ah, 1 - r1)
    far_small = _log_i0(xp, k2) - _log_i0(xp, k1) - d * a1
    far_big = (m.log(_i0e(xp, k2)) - m.log(_i0e(xp, k1))) + d * r1
    far = m.where(small, far_small, far_big)
    # both as L(κ₂) − L(κ₁) + (κ₂ − κ₁)(1 − A(κ₁)), L = log 2π + log i0e, in double-double where |κ₂ − κ₁| < 1e290
    # (scipy's i0e, ~4e-16 off, gave 9 ulp at κ₁ = 1.35, κ₂ = 0.0017); r₁ = 1 − A(κ₁) as above
    dh, dl = two_sum(k2, -k1)
    # not where both κ ≤ 1: there the KL is O(κ²) (3e-48 at κ₂ = 3e-24) and L(κ₂) − L(κ₁) ≈ κ₁ − κ₂ would
    # leave the double-double's 2e-32 of log 2π; far_small (log1p of I₀'s series, A as the double-double) is exact
    fine = (m.abs(dh) < 1e290) & ~near & m.isfinite(dh) & ((k1 > 1.0) | (k2 > 1.0))

    def far_dd(k1_, k2_, r1_, ah_, al_):
        l2h, l2l = log_2pi_i0e(xp, k2_)
        l1h, l1l = log_2pi_i0e(xp, k1_)
        dh_, dl_ = two_sum(k2_, -k1_)
        ph, pl = two_prod(dh_, r1_)
        pl = pl + dl_ * r1_
        # κ₁ ≤ 1: d·(1 − A) = d − d·A with A the double-double
        qh, ql = dd_mul(dh_, dl_, ah_, al_)
        qh, ql = dd_add(dh_, dl_, -qh, -ql)
        lo1 = k1_ <= 1.0
        ph, pl = m.where(lo1, qh, ph), m.where(lo1, ql, pl)
        bh, bl = dd_add(l2h, l2l, -l1h, -l1l)
        bh, bl = dd_add(bh, bl, ph, pl)
        return (bh + bl,)

    far_dd.n_out = 1
    (fd,) = on_subset(xp, fine, far_dd, (k1, k2, r1, ah, al), (2.0, 20.0, 0.5, 0.5, 0.0))
    far = m.where(fine & m.isfinite(fd), fd, far)
    breg = m.where(near, inner, far)
    sh = _sin_half_diff(xp, mu1, mu2)
    # (sh·κ₂)·(2sh·A): sh² alone underflows at μ₁ − μ₂ = 5e-301 (0 for 1.25e-301 at κ₂ = 1e300)
    return breg + (sh * k2) * (2 * sh * a1)


def mp_vonmises_kl(k1, k2, mu1, mu2):
    """The textbook form A(κ₁)(κ₁ − κ₂ cos(μ₁ − μ₂)) − log I₀(κ₁) + log I₀(κ₂) at a precision raised by the
    bits it cancels (the digits of κ₁, κ₂ plus those lost to κ₂ − κ₁ and to 1 − cos(μ₁ − μ₂))."""
    import mpmath

    def mag(x):
        return int(mpmath.mag(x)) if x else -(1 << 20)

    k1, k2, mu1, mu2 = (mpmath.mpf(v) for v in (k1, k2, mu1, mu2))
    extra = 60 + max(0, mag(k1), mag(k2))
    with mpmath.workprec(1 << 12):  # the differences' magnitudes (exact for float inputs)
        dk, dmu = k2 - k1, mu1 - mu2
    if dk:
        extra += 2 * max(0, mag(k1) - mag(dk))
    extra += max(0, mag(mu1), mag(mu2))
    if dmu:  # 1 − cos(μ₁ − μ₂) cancels 2·log₂|μ₁ − μ₂| bits
        extra += 2 * max(0, -mag(dmu))
    with mpmath.workprec(mpmath.mp.prec + extra):
        a = mpmath.besseli(1, k1) / mpmath.besseli(0, k1)
        out = (a * (k1 - k2 * mpmath.cos(mu1 - mu2)) - mpmath.log(mpmath.besseli(0, k1))
               + mpmath.log(mpmath.besseli(0, k2)))
    return +out


_LOG_2PI = math.log(2 * math.pi)


def vonmises_entropy(xp, k):
    """H(VM(μ, κ)) = log 2π + log I₀(κ) − κA(κ): for κ ≤ 1 as it stands (log 2π dominates), beyond as
    log 2π + log i0e(κ) + κ(1 − A) (log I₀ ≈ κ and κA ≈ κ − ½ cancel: all of κ's digits at κ = 1e300)."""
    m = xp.m
    k = xp.asarray(k)
    lo = k <= 1.0
    kl = _where_arg(xp, lo, k, 0.5)
    h_lo = _LOG_2PI + (_log_i0(xp, kl) - kl * (_i1e(xp, kl) / _i0e(xp, kl)))
    kh = _where_arg(xp, ~lo, k, 2.0)
    h_hi = _log_i0_plus(xp, kh, one_minus_A(xp, kh), xp.zeros_like(kh))
    # near H's zero κ₀ the sum above cancels (43 ulp of H = −0.044 at κ = 19.2): there H(κ₀) − ∫_{κ₀}^{κ} tA′(t)dt
    # (H′ = −κA′), the integral by Gauss–Legendre from κ − κ₀ (exact by Sterbenz) and the accurate A′; A′ is
    # analytic off the imaginary axis (the poles are I₀'s zeros ±i·j₀,ₖ), so 24 points are exact to ~1e-23 here
    zone = (k >= _H_ZERO / 2) & (k <= 2 * _H_ZERO)
    kz = _where_arg(xp, zone, k, _H_ZERO)
    dk = kz - _H_ZERO
    acc = xp.zeros_like(kz)
    nodes, weights, _ = _gauss_legendre()
    for s, w in zip(nodes, weights):
        t = _H_ZERO + s * dk
        acc = acc + w * (t * dA(xp, t))
    h_zone = _H_AT_ZERO - dk * acc
    return m.where(lo, h_lo, m.where(zone, h_zone, h_hi))


#: the float nearest the zero of H(κ) (17.594979276546689759…) and H there, by mpmath at 60 digits
_H_ZERO = 17.594979276546688
_H_AT_ZERO = 4.7436028928965916e-17


def vonmises_xent(xp, k1, k2, mu1, mu2):
    """H(VM(μ₁, κ₁), VM(μ₂, κ₂)) = log 2π + log I₀(κ₂) − κ₂A(κ₁)cos(μ₁ − μ₂): for κ₂ ≤ 1 as it stands (≥ 0.84),
    beyond as (log 2π + log i0e(κ₂)) + κ₂·((1 − A(κ₁)) + A(κ₁)·2 sin²((μ₁ − μ₂)/2)), the second term ≥ 0
    (log I₀(κ₂) ≈ κ₂ and κ₂A cos ≈ κ₂ cancelled: H(P) + KL(P ‖ Q) would cancel too, −348 + 350)."""
    m = xp.m
    k1, k2, mu1, mu2 = (xp.asarray(v) for v in (k1, k2, mu1, mu2))
    k1, k2, mu1, mu2 = (m.broadcast_tensors if xp.kind == "torch" else np.broadcast_arrays)(k1, k2, mu1, mu2)
    r1 = one_minus_A(xp, k1)
    small = k1 <= 1.0
    # A(κ₁) as a double-double up to κ₁ = 40: 1 − A from it keeps ~100 bits there, where one_minus_A's few ulp,
    # times κ₂, gave 7 ulp of the CE −0.063 at κ₁ = 20.75, κ₂ = 27.45
    mid = k1 <= 40.0
    ah, al = _a_small(xp, mid, k1)
    a1 = m.where(small, ah, 1 - r1)
    sh = _sin_half_diff(xp, mu1, mu2)
    vers = 2 * sh * sh
    lo = k2 <= 1.0
    k2l = _where_arg(xp, lo, k2, 0.5)
    x_lo = _LOG_2PI + _log_i0(xp, k2l) - k2l * (a1 * (1 - vers))
    k2h = _where_arg(xp, ~lo, k2, 2.0)
    # the two parts cancel where the CE crosses 0 (0.0127 from −0.068 + 0.081 at κ₂ = 7.45: 236 ulp with
    # log 2π + log i0e in double): both as double-doubles, rounded once
    # 2sin²(Δ/2) as a double-double too (its rounding alone was 11 ulp of the CE 0.1 from terms ≈ 1.9 at
    # κ₂ = 200), and 1 − A + A·vers = r + vers − r·vers with r = 1 − A(κ₁) where κ₁ > 1 (A = 1 − r exactly)
    vh, vl = vers_dd(xp, mu1, mu2, sh)
    zero = xp.zeros_like(r1)
    # κ₁ ≤ 40: 1 − A + A·vers with A the double-double
    th, tl = dd_mul(ah, al, vh, vl)
    th, tl = dd_add(th, tl, -ah, -al)
    th, tl = dd_add(th, tl, xp.full_like(th, 1.0), zero)
    uh, ul = dd_add(vh, vl, r1, zero)
    ph, pl = two_prod(r1, vh)
    uh, ul = dd_add(uh, ul, -ph, -pl - r1 * vl)
    th, tl = m.where(mid, th, uh), m.where(mid, tl, ul)
    hi, size = _log_i0_plus(xp, k2h, th, tl, sized=True)
    out = m.where(lo, x_lo, hi)
    if xp.kind != "numpy":
        return out
    # Where the CE crosses 0 the two parts are up to ~10³× the value, and 1 − A(κ₁) beyond κ₁ = 40 is one double
    # (a few ulp): times κ₂ it was 105 ulp of the CE −0.0165 at κ₁ = 189.5, κ₂ = 941.9 (parts ≈ ∓2.5). As in
    # screened_sum (impl/screened_sum.py): where |CE| < Σ|parts|/8 the element from the definition exactly
    hard = ~lo & np.isfinite(out) & (np.abs(out) < _CANCEL * size)
    return _screened(out, hard, (k1, k2, mu1, mu2)) if np.any(hard) else out


def _log_i0_plus(xp, k, th, tl, sized=False):
    """(log 2π + log i0e(κ)) + κ·(th + tl) for κ > 1, summed as double-doubles and rounded once (κ > 1e290:
    in double, Dekker's split would overflow, and the sum, ≥ ½ log κ − 1 in magnitude… cancels little); with
    ``sized`` also the parts' size |log 2π + log i0e(κ)| + |κ·th| for the cross-entropy's screen."""
    m = xp.m
    lh, ll = log_2pi_i0e(xp, k)
    ok = k < 1e290
    kc = m.where(ok, k, xp.full_like(k, 1.0))
    ph, pl = two_prod(kc, th)
    pl = pl + kc * tl
    sh, sl = dd_add(lh, ll, ph, pl)
    out = m.where(ok, sh + sl, lh + k * (th + tl))
    return (out, abs(lh) + abs(k * th)) if sized else out


_CANCEL = 0.125  # screened_sum's screen for a special-function definition (16 ULP kept where |CE| ≥ S/8)


@lru_cache(maxsize=1)
def _xent_definition():
    """(mpmath function, Arb closure or None) of log 2π + log I₀(κ₂) − κ₂ I₁(κ₁)/I₀(κ₁) cos(μ₁ − μ₂)."""
    import sympy as sp

    from symce.numeric.impl.screened_sum import _arb

    k1, k2, mu1, mu2 = args = sp.symbols("k1 k2 mu1 mu2", real=True)
    definition = (sp.log(2 * sp.pi) + sp.log(sp.besseli(0, k2))
                  - k2 * sp.besseli(1, k1) / sp.besseli(0, k1) * sp.cos(mu1 - mu2))
    return sp.lambdify(args, definition, "mpmath"), _arb(definition, args)


def _screened(out, hard, inputs):
    """``out`` with the ``hard`` elements replaced by the definition at their inputs, rounded once (Arb where
    python-flint pins the float, else mpmath at a rising precision: impl/screened_sum._exact)."""
    from symce.numeric.impl.screened_sum import _exact

    mp_def, arb_def = _xent_definition()
    shape = np.shape(out)
    out = np.array(out, dtype=np.float64).reshape(-1)
    cols = [np.asarray(x, dtype=np.float64).reshape(-1) for x in inputs]
    for i in np.flatnonzero(np.reshape(hard, -1)):
        out[i] = _exact(mp_def, arb_def, [float(x[i]) for x in cols])
    out = out.reshape(shape)
    return out if out.ndim else out[()]


def mp_vonmises_xent(k1, k2, mu1, mu2):
    import mpmath

    k1, k2, mu1, mu2 = (mpmath.mpf(v) for v in (k1, k2, mu1, mu2))
    extra = 60 + max(0, int(mpmath.mag(k1)) if k1 else 0, int(mpmath.mag(k2)) if k2 else 0)
    extra += max(0, int(mpmath.mag(mu1)) if mu1 else 0, int(mpmath.mag(mu2)) if mu2 else 0)
    with mpmath.workprec(mpmath.mp.prec + extra):
        out = (mpmath.log(2 * mpmath.pi) + mpmath.log(mpmath.besseli(0, k2))
               - k2 * mpmath.besseli(1, k1) / mpmath.besseli(0, k1) * mpmath.cos(mu1 - mu2))
    return +out


def mp_vonmises_entropy(k):
    """log 2π + log I₀(κ) − κA(κ) with κ's digits (log I₀ ≈ κ cancels) added to the precision."""
    import mpmath

    k = mpmath.mpf(k)
    with mpmath.workprec(mpmath.mp.prec + 60 + max(0, int(mpmath.mag(k)))):
        out = (mpmath.log(2 * mpmath.pi) + mpmath.log(mpmath.besseli(0, k))
               - k * mpmath.besseli(1, k) / mpmath.besseli(0, k))
    return +out


def mp_sin_diff(a, b, h=1):
    """sin(h(a − b)) with the bits of the angle's reduction mod 2π added to the precision."""
    import mpmath

    a, b = mpmath.mpf(a), mpmath.mpf(b)
    extra = 20 + max([0] + [int(mpmath.mag(v)) for v in (a, b) if v])
    with mpmath.workprec(mpmath.mp.prec + extra):
        out = mpmath.sin((a - b) * h)
    return +out


def mp_sin_half_diff(a, b):
    return mp_sin_diff(a, b, 0.5)


MPMATH = {"vonmises_kl": mp_vonmises_kl, "vonmises_entropy": mp_vonmises_entropy, "vonmises_xent": mp_vonmises_xent,
          "sin_diff": mp_sin_diff, "sin_half_diff": mp_sin_half_diff}

__all__ = ["vonmises_kl", "vonmises_entropy", "vonmises_xent", "mp_vonmises_xent", "dA", "one_minus_A",
           "mp_vonmises_kl", "mp_vonmises_entropy", "mp_sin_diff", "mp_sin_half_diff",
           "MPMATH"]
