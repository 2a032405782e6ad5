r"""The ContinuousBernoulli cross-entropy and KL in double-double (numpy, 1-d float64 arrays), for the points where
their float forms cancel.

With h = atanh(2λ − 1) = ½ logit λ, G(h) = log(sinh h/h) and L(h) = coth h − 1/h (Loaiza-Ganem & Cunningham 2019's
normaliser and mean written in h: A(η) = G(η/2) + η/2, μ = (1 + L(h))/2):

    H(CB(x), CB(y)) = G(h_y) − h_y·L(h_x),    KL(CB(x) ‖ CB(y)) = G(h_y) − G(h_x) − (h_y − h_x)·L(h_x).

The cross-entropy is 0 on a curve, where its two parts (each ~|h| for λ far from ½) cancel to any degree: the
float parts leave an absolute error of an ulp of the parts (696 ULP of the value at λ₁ = 1.1e-17, λ₂ = 2.1e-91).
Here every part is a double-double with an absolute error ≲ 2⁻¹⁰⁰·max(1, |h|), so the difference keeps ~100 − c
bits where it cancels c bits:

* h: for |t| ≤ ⅛ (t = 2λ − 1 exact) the series atanh t = Σ t^{2n+1}/(2n + 1); else ½(log λ − log(1 − λ)), 1 − λ
  exact as a double-double, the logarithms by one Newton step on the mantissa, log m = y₀ + log1p(m·e^{−y₀} − 1);
* e^x: x − k·ln 2 (k·ln 2 exactly from a two-part ln 2), Taylor to 14 terms at (x − k ln 2)/16, squared 4 times;
* G, L for a = |h| ≤ 1 by their series in a² (Bernoulli numbers, radius π: 34 terms); beyond,
  G = a − log 2a + log(1 − e^{−2a}), L = 1 − 1/a + 2e^{−2a}/(1 − e^{−2a}).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from symce.numeric.impl.double_double import _dd_div, _dd_mul, _two_prod, _two_sum

_LN2_HI, _LN2_LO = 0.6931471805599453, 2.3190468138462996e-17
_SQRT2 = 1.4142135623730951


def _dd(v) -> tuple[float, float]:
    import mpmath

    hi = float(v)
    return hi, float(v - mpmath.mpf(hi))


@lru_cache(maxsize=None)
def _coefficients():
    """1/n! (n ≤ 14); 1/(2n + 1) (n ≤ 20); G's 4ᵏB₂ₖ/(2k·(2k)!) and L's 4ᵏB₂ₖ/(2k)! (k = 1…34), as double-doubles."""
    import mpmath

    with mpmath.workdps(60):
        fact = tuple(_dd(1 / mpmath.factorial(n)) for n in range(15))
        odd = tuple(_dd(mpmath.mpf(1) / (2 * n + 1)) for n in range(21))
        b = [4**k * mpmath.bernoulli(2 * k) / mpmath.factorial(2 * k) for k in range(1, 35)]
        g = tuple(_dd(c / (2 * k)) for k, c in enumerate(b, start=1))
        lc = tuple(_dd(c) for c in b)
    return fact, odd, g, lc


@lru_cache(maxsize=None)
def _lprime_coefficients():
    """L′(h) = 1/h² − 1/sinh² h = Σ (2k − 1)·4ᵏB₂ₖ/(2k)!·h^{2k−2} (k = 1…34), as double-doubles; and
    (−1)^{n+1}/n (n = 1…12), log1p's series."""
    import mpmath

    with mpmath.workdps(60):
        lp = tuple(_dd((2 * k - 1) * 4**k * mpmath.bernoulli(2 * k) / mpmath.factorial(2 * k)) for k in range(1, 35))
        log1p = tuple(_dd(mpmath.mpf((-1) ** (n + 1)) / n) for n in range(1, 13))
    return lp, log1p


def _add(ah, al, bh, bl):
    """(a + b) as a double-double; absolute error ~2⁻¹⁰⁶·(|a| + |b|), whatever the cancellation."""
    s, e = _two_sum(ah, bh)
    return _two_sum(s, e + (al + bl))


def _horner(coeffs, uh, ul, exact=None):
    """Σ cₖ uᵏ (k from 0) in double-double; the terms from k = ``exact`` on in float (Horner in uh), where the
    caller knows they are below 2⁻⁵³ of the sum (their rounding then below 2⁻¹⁰⁶ of it): half the steps."""
    exact = len(coeffs) - 1 if exact is None else exact
    tail = np.full_like(uh, coeffs[-1][0])
    for ch, _ in reversed(coeffs[exact:-1]):
        tail = tail * uh + ch
    ah, al = tail, np.zeros_like(uh)
    for ch, cl in reversed(coeffs[:exact]):
        ah, al = _dd_mul(ah, al, uh, ul)
        ah, al = _add(ah, al, np.full_like(uh, ch), np.full_like(uh, cl))
    return ah, al


def exp_dd(xh, xl):
    """e^{xh + xl} as a double-double (relative error ~2⁻¹⁰⁰; |x| ≤ 745)."""
    fact = _coefficients()[0]
    k = np.rint(xh / _LN2_HI)
    p1, e1 = _two_prod(k, _LN2_HI)
    p2, e2 = _two_prod(k, _LN2_LO)
    rh, rl = _two_sum(xh, -p1)
    rh, rl = _two_sum(rh, rl + (xl - e1 - p2 - e2))
    sh, sl = rh / 16, rl / 16
    ph, pl = _horner(fact, sh, sl, exact=8)  # |s| ≤ 0.022: s⁸/8! < 2⁻⁵⁹
    for _ in range(4):
        ph, pl = _dd_mul(ph, pl, ph, pl)
    ki = k.astype(np.int64)
    # 2^k in two steps: k down to −1100 (a subnormal result) is not a single ldexp's exact power
    half = ki // 2
    return np.ldexp(np.ldexp(ph, half), ki - half), np.ldexp(np.ldexp(pl, half), ki - half)


def log_dd(ah, al):
    """log(ah + al) for ah > 0 finite, as a double-double with absolute error ~2⁻¹⁰⁰·max(1, |log a|): the
    mantissa m ∈ [√½, √2) by one Newton step from y₀ = log m in float, plus E·ln 2."""
    m, e = np.frexp(ah)
    low = m < _SQRT2 / 2
    m, e = np.where(low, 2 * m, m), np.where(low, e - 1, e)
    ml = np.ldexp(al, -e)
    y0 = np.log(m)
    eh, el = exp_dd(-y0, np.zeros_like(y0))
    ph, pl = _dd_mul(m, ml, eh, el)
    rh, rl = _two_sum(ph - 1.0, pl)  # ph − 1 exact (ph ≈ 1)
    # log1p(r) = r − r²/2 + r³/3 (|r| ≲ 2⁻⁵²)
    rh, rl = _two_sum(rh, rl - rh * rh / 2)
    fe = e.astype(np.float64)
    lh, ll = _two_prod(fe, _LN2_HI)
    lh, ll = _add(lh, ll + fe * _LN2_LO, y0, np.zeros_like(y0))
    return _add(lh, ll, rh, rl)


def half_logit_dd(lam):
    """h = atanh(2λ − 1) = ½ log(λ/(1 − λ)) as a double-double, λ in (0, 1)."""
    odd = _coefficients()[1]
    lam = np.asarray(lam, dtype=np.float64)
    hh, hl = np.zeros_like(lam), np.zeros_like(lam)
    t = 2 * lam - 1
    near = np.abs(t) <= 0.125  # λ ≥ 7/16: t exact
    if near.any():
        tn = t[near]
        uh, ul = _two_prod(tn, tn)
        sh, sl = _horner(odd, uh, ul, exact=9)  # u ≤ 1/64: u⁹/19 < 2⁻⁵⁸
        hh[near], hl[near] = _dd_mul(sh, sl, tn, np.zeros_like(tn))
    far = ~near
    if far.any():
        lf = lam[far]
        oh, ol = _two_sum(1.0, -lf)  # 1 − λ exactly
        ah, al = log_dd(lf, np.zeros_like(lf))
        bh, bl = log_dd(oh, ol)
        dh, dl = _add(ah, al, -bh, -bl)
        hh[far], hl[far] = dh / 2, dl / 2
    return hh, hl


def g_and_l_dd(hh, hl, with_g=True):
    """G(h) = log(sinh h/h) and L(h) = coth h − 1/h as double-doubles (G left 0 unless ``with_g``)."""
    _, _, gc, lc = _coefficients()
    sign = np.where(hh < 0, -1.0, 1.0)
    ah, al = hh * sign, hl * sign
    gh, gl, lh, ll = (np.zeros_like(ah) for _ in range(4))
    small = ah <= 1.0
    if small.any():
        a1, a2 = ah[small], al[small]
        uh, ul = _dd_mul(a1, a2, a1, a2)
        if with_g:
            sh, sl = _horner(gc, uh, ul, exact=17)  # (1/π²)¹⁷ < 2⁻⁵⁶
            gh[small], gl[small] = _dd_mul(sh, sl, uh, ul)
        sh, sl = _horner(lc, uh, ul, exact=17)
        lh[small], ll[small] = _dd_mul(sh, sl, a1, a2)
    big = ~small
    if big.any():
        a1, a2 = ah[big], al[big]
        eh, el = exp_dd(-2 * a1, -2 * a2)
        oh, ol = _two_sum(1.0, -eh)
        oh, ol = _two_sum(oh, ol - el)  # 1 − e^{−2a}
        if with_g:
            l2h, l2l = log_dd(2 * a1, 2 * a2)
            l1h, l1l = log_dd(oh, ol)
            xh, xl = _add(a1, a2, -l2h, -l2l)
            gh[big], gl[big] = _add(xh, xl, l1h, l1l)
        ih, il = _dd_div(np.ones_like(a1), np.zeros_like(a1), a1, a2)
        qh, ql = _dd_div(2 * eh, 2 * el, oh, ol)
        xh, xl = _two_sum(1.0, -ih)
        lh[big], ll[big] = _add(xh, xl - il, qh, ql)
    return gh, gl, lh * sign, ll * sign


def cbern_xent_dd(x, y):
    """H(CB(x), CB(y)) = G(h_y) − h_y·L(h_x), each part a double-double, rounded once."""
    hxh, hxl = half_logit_dd(x)
    hyh, hyl = half_logit_dd(y)
    _, _, lxh, lxl = g_and_l_dd(hxh, hxl, with_g=False)
    gyh, gyl, _, _ = g_and_l_dd(hyh, hyl)
    ph, pl = _dd_mul(hyh, hyl, lxh, lxl)
    rh, rl = _add(gyh, gyl, -ph, -pl)
    return rh + rl


def cbern_kl_dd(x, y):
    """KL(CB(x) ‖ CB(y)) = G(h_y) − G(h_x) − (h_y − h_x)·L(h_x) in double-double, and the size of its parts."""
    hxh, hxl = half_logit_dd(x)
    hyh, hyl = half_logit_dd(y)
    gxh, gxl, lxh, lxl = g_and_l_dd(hxh, hxl)
    gyh, gyl, _, _ = g_and_l_dd(hyh, hyl)
    dh, dl = _add(hyh, hyl, -hxh, -hxl)
    ph, pl = _dd_mul(dh, dl, lxh, lxl)
    rh, rl = _add(gyh, gyl, -gxh, -gxl)
    rh, rl = _add(rh, rl, -ph, -pl)
    return rh + rl, np.abs(gyh) + np.abs(gxh) + np.abs(ph)


# -- the derivatives: μ = (1 + L(h))/2, A″(η) = L′(h)/4, η′(λ) = 1/(λ(1 − λ)) ----------------------------------------
def lprime_dd(hh, hl):
    """L′(h) = 1/h² − 1/sinh² h (= 4A″(2h) > 0, even) as a double-double: its series for |h| ≤ 1, else
    1/a² − 4e^{−2a}/(1 − e^{−2a})²."""
    lp = _lprime_coefficients()[0]
    ah, al = np.abs(hh), np.where(hh < 0, -hl, hl)
    out_h, out_l = np.zeros_like(ah), np.zeros_like(ah)
    small = ah <= 1.0
    if small.any():
        a1, a2 = ah[small], al[small]
        uh, ul = _dd_mul(a1, a2, a1, a2)
        out_h[small], out_l[small] = _horner(lp, uh, ul, exact=17)
    big = ~small
    if big.any():
        a1, a2 = ah[big], al[big]
        eh, el = exp_dd(-2 * a1, -2 * a2)
        oh, ol = _two_sum(1.0, -eh)
        oh, ol = _two_sum(oh, ol - el)
        sh, sl = _dd_mul(oh, ol, oh, ol)
        qh, ql = _dd_div(4 * eh, 4 * el, sh, sl)
        uh, ul = _dd_mul(a1, a2, a1, a2)
        ih, il = _dd_div(np.ones_like(a1), np.zeros_like(a1), uh, ul)
        out_h[big], out_l[big] = _add(ih, il, -qh, -ql)
    return out_h, out_l


def _log1p_dd(uh, ul):
    """log(1 + u) for u > −1 as a double-double, relative to the value: its series for |u| < 2⁻¹⁰, else log_dd."""
    c = _lprime_coefficients()[1]
    out_h, out_l = np.zeros_like(uh), np.zeros_like(uh)
    small = np.abs(uh) < 2.0**-10
    if small.any():
        u1, u2 = uh[small], ul[small]
        ph, pl = _horner(c, u1, u2, exact=6)  # |u| < 2⁻¹⁰: u⁶/6 < 2⁻⁶²
        out_h[small], out_l[small] = _dd_mul(ph, pl, u1, u2)
    big = ~small
    if big.any():
        sh, sl = _two_sum(1.0, uh[big])
        out_h[big], out_l[big] = log_dd(sh, sl + ul[big])
    return out_h, out_l


def _close(x, y):
    """Pairs with |y − x| ≤ ½x and ≤ ½(1 − x): their logits' difference from y − x (log1p of arguments in [−½, ½])."""
    d = np.abs(y - x)
    return (d <= 0.5 * x) & (d <= 0.5 * (1 - x))


def delta_dd(x, y, hx=None, hy=None):
    """h_y − h_x = ½(log1p((y − x)/x) − log1p((x − y)/(1 − x))) for close pairs (relative to the difference, which
    the logits' own difference loses near P = Q: 1e13 ulp of ∂KL/∂λ₁ at λ₂ = λ₁(1 + 1e-12)); else h_y − h_x."""
    dh, dl = np.zeros_like(x), np.zeros_like(x)
    close = _close(x, y)
    if close.any():
        xc, yc = x[close], y[close]
        sh, sl = _two_sum(yc, -xc)
        u1h, u1l = _dd_div(sh, sl, xc, np.zeros_like(xc))
        oh, ol = _two_sum(1.0, -xc)
        u2h, u2l = _dd_div(-sh, -sl, oh, ol)
        ah, al = _log1p_dd(u1h, u1l)
        bh, bl = _log1p_dd(u2h, u2l)
        rh, rl = _add(ah, al, -bh, -bl)
        dh[close], dl[close] = rh / 2, rl / 2
    far = ~close
    if far.any():
        # (the caller's h_x, h_y where it has them)
        hxh, hxl = half_logit_dd(x[far]) if hx is None else (hx[0][far], hx[1][far])
        hyh, hyl = half_logit_dd(y[far]) if hy is None else (hy[0][far], hy[1][far])
        dh[far], dl[far] = _add(hyh, hyl, -hxh, -hxl)
    return dh, dl


def _over_twice_var(nh, nl, x):
    """(nh + nl)/(2x(1 − x)) rounded once: x = m·2^e, the quotient by m(1 − x) (1 − x exact as a double-double) in
    range, then scaled (a subnormal x or a result beyond DBL_MAX scale without NaN)."""
    m, e = np.frexp(x)
    oh, ol = _two_sum(1.0, -x)
    dh, dl = _dd_mul(m, np.zeros_like(m), oh, ol)
    qh, ql = _dd_div(nh, nl, 2 * dh, 2 * dl)
    with np.errstate(over="ignore"):
        out = np.ldexp(qh, -e) + np.ldexp(ql, -e)
    return np.where(nh == 0, 0.0, out)


def grad_xent_dd(x, y):
    """∂H(CB(x), CB(y))/∂x = −η_y·A″(η_x)/(x(1 − x)) = −h_y·L′(h_x)/(2x(1 − x)); at y = x the entropy's H′(x)."""
    hxh, hxl = half_logit_dd(x)
    hyh, hyl = half_logit_dd(y)
    ph, pl = lprime_dd(hxh, hxl)
    nh, nl = _dd_mul(hyh, hyl, ph, pl)
    return _over_twice_var(-nh, -nl, x)


def grad_kl_dd(x, y):
    """∂KL(CB(x) ‖ CB(y))/∂x = −(η_y − η_x)·A″(η_x)/(x(1 − x)) = −(h_y − h_x)·L′(h_x)/(2x(1 − x))."""
    hxh, hxl = half_logit_dd(x)
    dh, dl = delta_dd(x, y, hx=(hxh, hxl))
    ph, pl = lprime_dd(hxh, hxl)
    nh, nl = _dd_mul(dh, dl, ph, pl)
    return _over_twice_var(-nh, -nl, x)


def mean_gap_dd(x, y):
    """(μ(y) − μ(x))/(y(1 − y)) = (L(h_y) − L(h_x))/(2y(1 − y)): the difference of the double-double L's, or for
    |h_y − h_x| < 2⁻³⁰ the midpoint rule (h_y − h_x)·L′((h_x + h_y)/2) (error (h_y − h_x)²L‴/24, below 2⁻⁶⁰ of it),
    where the difference would cancel more than ~2⁴⁷×."""
    hxh, hxl = half_logit_dd(x)
    hyh, hyl = half_logit_dd(y)
    dh, dl = delta_dd(x, y, hx=(hxh, hxl), hy=(hyh, hyl))
    _, _, lxh, lxl = g_and_l_dd(hxh, hxl, with_g=False)
    _, _, lyh, lyl = g_and_l_dd(hyh, hyl, with_g=False)
    nh, nl = _add(lyh, lyl, -lxh, -lxl)
    mid = np.abs(dh) < 2.0**-30
    if mid.any():
        mh, ml = _add(hxh[mid], hxl[mid], dh[mid] / 2, dl[mid] / 2)
        ph, pl = lprime_dd(mh, ml)
        nh[mid], nl[mid] = _dd_mul(dh[mid], dl[mid], ph, pl)
    return _over_twice_var(nh, nl, y)


@lru_cache(maxsize=None)
def _gauss3():
    """3-point Gauss–Legendre for ∫₀¹ (1 − s) f(s) ds: nodes s and weights w·(1 − s), as double-doubles."""
    import mpmath

    with mpmath.workdps(60):
        r = mpmath.sqrt(mpmath.mpf(3) / 5)
        pts = [(-r, mpmath.mpf(5) / 9), (mpmath.mpf(0), mpmath.mpf(8) / 9), (r, mpmath.mpf(5) / 9)]
        return tuple((_dd((x + 1) / 2), _dd(w / 2 * (1 - (x + 1) / 2))) for x, w in pts)


def cbern_kl_near_dd(x, y):
    """KL(CB(x) ‖ CB(y)) near P = Q, where the difference of G's keeps too few bits: G′ = L, so the KL is
    ∫_{h_x}^{h_y} (L(t) − L(h_x)) dt = δ²∫₀¹ (1 − s) L′(h_x + sδ) ds, δ = h_y − h_x from y − x (:func:`delta_dd`), by
    3-point Gauss–Legendre in double-double: where the KL is below 2⁻⁴⁴ of its parts, |δ| is below 2⁻¹⁶ of the
    scale on which L′ varies (max(1, |h|)), so the rule's error ~(δ/scale)⁶ is below 2⁻⁹⁰ of the value."""
    hxh, hxl = half_logit_dd(x)
    dh, dl = delta_dd(x, y, hx=(hxh, hxl))
    acc_h, acc_l = np.zeros_like(x), np.zeros_like(x)
    for (sh, sl), (wh, wl) in _gauss3():
        th, tl = _dd_mul(dh, dl, np.full_like(x, sh), np.full_like(x, sl))
        th, tl = _add(hxh, hxl, th, tl)
        ph, pl = lprime_dd(th, tl)
        ph, pl = _dd_mul(ph, pl, np.full_like(x, wh), np.full_like(x, wl))
        acc_h, acc_l = _add(acc_h, acc_l, ph, pl)
    qh, ql = _dd_mul(dh, dl, dh, dl)
    rh, rl = _dd_mul(qh, ql, acc_h, acc_l)
    return rh + rl


__all__ = ["exp_dd", "log_dd", "half_logit_dd", "g_and_l_dd", "cbern_xent_dd", "cbern_kl_dd", "cbern_kl_near_dd", "lprime_dd",
           "delta_dd", "grad_xent_dd", "grad_kl_dd", "mean_gap_dd"]
