r"""Kernels of :class:`symce.numeric.functions.dirichlet_xent.dirichlet_xent`:
L = log B(b) + Σᵢ wᵢ·Dᵢ, wᵢ = bᵢ − 1, Dᵢ = ψ(X) − ψ(xᵢ) = psi_diff(xᵢ, dᵢ), dᵢ = Σ_{j≠i} xⱼ.

* Dᵢ from the others' sum dᵢ and the half X/2 = Σ xⱼ/2, so an overflowed dᵢ is a finite X beyond DBL_MAX
  (impl/digamma_diff.psi_diff's ``half``); wᵢ·Dᵢ by weighted_psi_diff (w/x + w·r where D ≈ 1/x overflows);
* log B(b) as its Stirling parts (impl/log_beta.log_beta_parts), each ≤ S/e in size;
* wᵢ = bᵢ − 1 with its rounding error (TwoSum), wᵢ·Dᵢ and that error's product kept apart: two products
  of size 1e8 cancel at x = (·, 1e-8, 1e-8), b = (·, 2, 1e-17), where fl(1e-17 − 1) had lost the 1e-9 left;
* the terms summed as if in 3-fold precision (SumK); where that sum is not finite (log B ≈ −2.5e308 against
  w·D ≈ +6e308), summed again at the scale 2⁻⁶⁴ (every weight and part times 2⁻⁶⁴, exact) and scaled back:
  ±∞ where the value is beyond DBL_MAX, the value where only a partial sum overflowed. At that scale the negative terms are finite
  (w ≥ −1, D ≤ 1/x + 710 ≤ 2e323; |log B| ≤ K·DBL_MAX/e), so only +∞ can remain and the sum is never NaN;
* where those terms cancel (Σ|terms| large beside the sum: P ≈ Q with large parameters, log B ≈ −1000 against
  ψ terms ≈ +1000) Stirling's form (_stirling_form), whose terms are relative entropies of the shares and
  O(log) remainders, is taken wherever its own terms are smaller in sum (h′(X) − h′(xᵢ) counted as its two
  parts, which cancel for a tiny xᵢ whose others' sum is smaller still), at every size of input (its shares
  and products from exponent-scaled parts).

Near a zero of the CE (which crosses 0) both forms' terms are ~100× the value in the typical region: the
rounding of the terms themselves (each ≤ 1 ULP) then cost up to ~200 ULP of the value. Those elements
(|value| < Σ|terms|/8, or Σ|terms| beyond DBL_MAX) are screened after the float result and recomputed one by
one by the mpmath kernel (_exact_where_cancelled; the pattern of impl/logsum.py's rare hard elements).
"""

from __future__ import annotations

import mpmath
import numpy as np

_SCALE = 2.0**-64


def dirichlet_xent(*args, loggamma, kl_div):
    from symce.numeric.impl.digamma_diff import weighted_psi_diff
    from symce.numeric.impl.gamma_kernels import _two_sum
    from symce.numeric.impl.log_beta import log_beta_parts

    k = len(args) // 2
    cols = np.broadcast_arrays(*[np.asarray(a, dtype=np.float64) for a in args])
    xs, bs = cols[:k], cols[k:]
    parts, bad = log_beta_parts(*bs, loggamma=loggamma)
    with np.errstate(all="ignore"):
        half = sum((0.5 * x for x in xs[1:]), 0.5 * xs[0])
        others = [sum((xs[j] for j in range(k) if j != i), np.zeros_like(xs[i])) for i in range(k)]

        # wᵢ = bᵢ − 1 with its rounding error (TwoSum): two weights' products cancel where Dᵢ is large
        weights = [_two_sum(b, -1.0) for b in bs]

        # X/2 overflowed too (two coordinates near DBL_MAX and a third: Σ 1e300 + 2·1.8e308 was ∞ − ∞ = NaN):
        # X·2⁻ᵐ from the coordinates times 2⁻ᵐ (2ᵐ ≥ K: finite; exact but for subnormal parts, below 2⁻¹⁰²² of X)
        m = max(1, (k - 1).bit_length())
        sc = 2.0**-m
        x_sc = sum((x * sc for x in xs[1:]), xs[0] * sc)
        wide = np.isinf(half) & np.isfinite(x_sc)

        def wpd(w, x, d, lo):
            pair = weighted_psi_diff(w, x, d, half, lo)
            if not np.any(wide):
                return pair
            return tuple(np.where(wide, v, p) for v, p in zip(_wide_psi_diff(w, lo, x, x_sc, m), pair))

        def total(scale):
            psi_terms = [t for x, (w, lo), d in zip(xs, weights, others) for t in wpd(w * scale, x, d, lo * scale)]
            return _sum(psi_terms + [p * scale for p in parts])

        out = total(1.0)
        redo = ~np.isfinite(out)
        if np.any(redo):
            out = np.where(redo, total(_SCALE) / _SCALE, out)
        # where the terms above cancel (P ≈ Q with large parameters: log B(β) ≈ −1000 against ψ terms ≈ +1000,
        # 4229 ULP) Stirling's form, if its terms cancel less
        ok = np.isfinite(out)
        if np.any(ok):
            size = sum((np.abs(wpd(w, x, d, 0.0 * lo)[0]) for x, (w, lo), d in zip(xs, weights, others)),
                       sum(np.abs(p) for p in parts))
            alt, alt_size = _stirling_form(xs, bs, loggamma, kl_div)
            # every size of input: the shares and ratios are taken from exponent-scaled parts; where a piece
            # still leaves the float range (B = 1.8e308 + 1.8e308, a product (b − 1)·h′(x) beyond DBL_MAX) the
            # form is not finite and the terms above stay
            tame = ok
            better = tame & np.isfinite(alt) & (alt_size < size)
            out = np.where(better, alt, out)
            size = np.where(better, alt_size, size)
    for x in xs:
        bad |= np.isnan(x) | (x <= 0)
    if np.any(ok):
        out = _exact_where_cancelled(out, size, ok & ~bad, xs, bs)
    out = np.where(bad, np.nan, out)
    return out if out.ndim else out[()]


def _wide_psi_diff(w, lo, x, x_sc, m):
    """(w·D, lo·D), D = ψ(X) − ψ(x), where X = Σ xⱼ is beyond 2·DBL_MAX (given as X·2⁻ᵐ = x_sc). Then the others'
    sum is > DBL_MAX ≥ x, and h′(X) ≈ −1/(2X) < 10⁻³⁰⁸ is dropped: for x ≥ 1 D = log(X/x) − h′(x), X/x from
    the scaled values (x·2⁻ᵐ exact); for x < 1 D = 1/x + log X − ψ(x + 1), and w·D = w/x + w·(log X − ψ(x + 1))
    (1/x overflows for a subnormal x where w/x need not)."""
    from scipy.special import psi

    from symce.numeric.impl.gamma_kernels import digamma_rem

    with np.errstate(all="ignore"):
        xl = np.maximum(x, 1.0)
        ratio = x_sc / np.ldexp(xl, -m)  # X/x ≥ 2; beyond DBL_MAX (x near 1) the logs apart
        log_ratio = np.where(np.isinf(ratio), np.log(x_sc) - np.log(np.ldexp(xl, -m)), np.log(ratio))
        d_large = log_ratio - digamma_rem(xl)
        xs = np.where(x < 1.0, x, 0.5)
        r = (np.log(x_sc) + m * np.log(2.0)) - psi(xs + 1.0)
        large = x >= 1.0
        out = [np.where(large, v * d_large, np.where(v == 0.0, 0.0, v / xs + v * r)) for v in (w, lo)]
    return tuple(out)


# The screen of :func:`_exact_where_cancelled`. Each term of either form is within 1–3 ULP of itself and the
# sum is as if in 3-fold precision, so the value's error is ≤ c·ulp(S) (S = Σ|terms| of the form taken) with c
# the terms' rounding in ULP of S; one ULP of the value is ulp(S)·|value|/S within a factor 2, so the error is
# ≲ c·S/|value| ULP: ≤ 16 ULP where |value| ≥ S·_CANCEL as long as c ≤ 2. c is measured, not proved (log-uniform
# x, b in [0.1, 100], 10⁵ each for K = 2, 3, 400 of |value| < S/2 against mpmath): max error 10 ULP at
# S/4 > |value| ≥ S/8, 23 and 37 ULP below S/8, 357 and 416 below S/32. S/8 flags 8.5 % (K = 2), 7.2 % (K = 3)
# of that sample, ~2× its CPU time (≈ 0.5 ms an element in mpmath).
_CANCEL = 0.125


def _exact_where_cancelled(out, size, ok, xs, bs):
    """out where its terms did not cancel; elsewhere (|out| < S·_CANCEL: the CE near its zero, ~100× below its
    log B and ψ terms, or S not finite: the terms' sizes beyond DBL_MAX) the mpmath kernel rounded to float.
    Element by element, so a value does not depend on the other rows of its batch."""
    from symce.numeric.impl.logsum import _mp_to_float

    with np.errstate(all="ignore"):
        hard = ok & np.isfinite(out) & ~(np.abs(out) >= _CANCEL * size)
    if not np.any(hard):
        return out
    shape = np.shape(out)
    flat = np.array(out, dtype=np.float64).reshape(-1)
    cols = [np.broadcast_to(c, shape).reshape(-1) for c in (*xs, *bs)]
    with mpmath.workprec(53):
        for i in np.flatnonzero(hard):
            flat[i] = _mp_to_float(_mp_dirichlet_xent(*[float(c[i]) for c in cols]))
    return flat.reshape(shape)


def _sum(terms):
    """Σ terms as if in 3-fold precision (SumK); the plain sum where a term is ±∞ (SumK's TwoSum is NaN there)."""
    from symce.numeric.impl.gamma_kernels import _accurate_sum

    acc = _accurate_sum(terms)
    return np.where(np.isfinite(acc), acc, sum(terms[1:], terms[0]))


def _frexp(v):
    m, e = np.frexp(v)
    return m, e.astype(np.int64)


def _stirling_form(xs, bs, loggamma, kl_div):
    """(L, Σ|terms|) from log Γ(x) = x log x − x + h(x), ψ(x) = log x + h′(x) (h = lgamma_rem):

        L = Σᵢ kl_div(bᵢ, xᵢB/X) − Σᵢ log(X/xᵢ) + Σᵢ (bᵢ − 1)(h′(X) − h′(xᵢ)) + Σᵢ h(bᵢ) − h(B),

    the x log x parts of log B(b) and the logs of the ψ terms collected into relative entropies of the shares
    (Σ bᵢ log((bᵢ/B)/(xᵢ/X)) = Σ kl_div(bᵢ, xᵢB/X), each ≥ 0), their differences xᵢB/X − bᵢ =
    Σⱼ (xᵢbⱼ − bᵢxⱼ)/X from exact products (TwoProd), so nothing cancels near equal shares.

    Every size of input (Beta(709.78, 1e300) ‖ Beta(38, 1e300·(1 + 2⁻⁵²)): the terms above cancel 200-fold,
    228 ULP): the products from x·2⁻ᵉˣ and b·2⁻ᵉᵇ (2ᵉ just above the largest coordinate: exact, and a part that
    becomes subnormal is below 2⁻¹⁰²² of the sum it enters), the shares, ratios and logs from mantissas and
    exponents (frexp), so X, B and xᵢB/X are never formed where they would leave the float range."""
    from symce.numeric.impl.double_double import _two_prod
    from symce.numeric.impl.gamma_kernels import _accurate_sum, _h1_diff, _two_sum, digamma_rem, kl_div_logy, lgamma_rem

    k = len(xs)
    ln2 = np.log(2.0)
    ex = _frexp(np.maximum.reduce(xs))[1]
    eb = _frexp(np.maximum.reduce(bs))[1]
    xsc = [np.ldexp(x, -ex) for x in xs]
    bsc = [np.ldexp(b, -eb) for b in bs]
    sx, sb = sum(xsc[1:], xsc[0]), sum(bsc[1:], bsc[0])  # X·2⁻ᵉˣ, B·2⁻ᵉᵇ ∈ [½, K]
    mx, ex2 = _frexp(sx)
    mb, eb2 = _frexp(sb)
    e_x, e_b = ex + ex2, eb + eb2  # X = mx·2^e_x, B = mb·2^e_b
    big_x, big_b = np.ldexp(mx, e_x), np.ldexp(mb, e_b)  # may be ∞
    # h′(X) (≈ −1/(2X): beside b ≈ 1e308 it is not negligible where X overflowed) and h(B) = ½ log(2π/B) there
    hx = np.where(np.isinf(big_x), 0.0, digamma_rem(np.where(np.isinf(big_x), 1.0, big_x)))
    log_b = np.log(mb) + e_b * ln2
    h_b = np.where(np.isinf(big_b), 0.5 * (np.log(2.0 * np.pi) - log_b),
                   lgamma_rem(np.where(np.isinf(big_b), 1.0, big_b), loggamma))
    terms = [-h_b]
    size = np.abs(h_b)
    for i in range(k):
        num = np.zeros_like(sx)
        for j in range(k):
            if j != i:
                p1, e1 = _two_prod(xsc[i], bsc[j])
                p2, e2 = _two_prod(bsc[i], xsc[j])
                num = num + ((p1 - p2) + (e1 - e2))
        d = np.ldexp(num / sx, eb)  # xᵢB/X − bᵢ
        # y = xᵢ·B/X = (mᵢ/mx)·mb·2^(eᵢ − e_x + e_b), one ldexp at the end (under- or overflows only if y does)
        mi, ei = _frexp(xs[i])
        y_m = (mi / mx) * mb
        y_e = ei - e_x + e_b
        far_y = np.ldexp(y_m, y_e)
        log_y = np.log(y_m) + y_e * ln2
        # bᵢ + d only near bᵢ (there d carries the digits) and where bᵢ·2⁻ᵉᵇ kept all of them
        near = (np.abs(d) < 0.5 * bs[i]) & (bsc[i] > 2.0**-1000)
        # near: kl_div(bᵢ, bᵢ + d) at the scale 2⁻ᵉᵇ (degree 1, exact; bᵢ + d may pass DBL_MAX, a finite term)
        d_sc = num / sx
        kl_near = np.ldexp(kl_div(np.where(near, bsc[i], 1.0), np.where(near, bsc[i] + d_sc, 1.0),
                                  np.where(near, d_sc, 0.0)), eb)
        kl = np.where(near, kl_near, kl_div_logy(kl_div, bs[i], far_y, far_y - bs[i], log_y))
        # log(X/xᵢ): log1p of the others' share where xᵢ dominates (X/xᵢ near 1), else mantissas and exponents
        others = sum((xsc[j] for j in range(k) if j != i), np.zeros_like(sx))
        dom = xsc[i] >= others
        log_ratio = np.where(dom, np.log1p(others / np.where(dom, xsc[i], 1.0)), np.log(mx / mi) + (e_x - ei) * ln2)
        # (bᵢ − 1)(h′(X) − h′(xᵢ)): by _h1_diff (no cancellation) where the others' sum is below xᵢ
        delta = np.ldexp(others, ex)
        inv, rest = _h1_diff(np.where(dom, xs[i], 1.0), np.where(dom, delta, 0.5))
        w, lo = _two_sum(bs[i], -1.0)  # bᵢ − 1 = w + lo: −1e8·(w + lo) cancels against +1e8 at x = 1e-8
        h_near = -((w * inv + w * rest) + (lo * inv + lo * rest))
        # far: h′(X) of an overflowed X is −1/(2X): w·h′(X) = −½·w/X from the mantissas
        w_hx = np.where(np.isinf(big_x), -0.5 * np.ldexp((bsc[i] / sx), eb - ex), w * hx)
        hxi = digamma_rem(xs[i])
        h_far = (w_hx - w * hxi) + lo * (np.where(np.isinf(big_x), 0.0, hx) - hxi)
        h_part = np.where(dom, h_near, h_far)
        h_size = np.where(dom, np.abs(h_near), np.abs(w_hx) + np.abs(w * hxi))
        h_bi = lgamma_rem(bs[i], loggamma)
        terms += [kl, -log_ratio, h_part, h_bi]
        size = size + np.abs(kl) + np.abs(log_ratio) + h_size + np.abs(h_bi)
    return _accurate_sum(terms), size


def _mp_dirichlet_xent(*args):
    k = len(args) // 2
    v = [mpmath.mpf(a) for a in args]
    if not all(a > 0 for a in v):
        return mpmath.mpf("nan")
    if any(mpmath.isinf(a) for a in v):
        return mpmath.inf if not any(mpmath.isinf(a) for a in v[:k]) else mpmath.mpf("nan")
    target = mpmath.mp.prec
    # ψ(x) ≈ −1/x of a subnormal x beside 1e-17, log Γ(1.8e308) ≈ 1.3e311 beside a result near 1: the
    # cancellation is not known beforehand, so the working precision doubles until two results agree at the
    # caller's precision (the sum X of the inputs is exact at the working precision once it spans them)
    # … and it starts with the span of the inputs' exponents, so that the sums are exact from the first step
    # (at 117 bits 1e300 + 709.78 lost the 709.78 twice alike, and two equal wrong results ended the loop)
    mags = [int(mpmath.mag(a)) for a in v]
    prec, prev = target + 64 + (max(mags) - min(mags)), None
    while True:
        with mpmath.workprec(prec):
            xs, bs = v[:k], v[k:]
            big_x = mpmath.fsum(xs)
            log_b = mpmath.fsum(mpmath.loggamma(b) for b in bs) - mpmath.loggamma(mpmath.fsum(bs))
            psi_x = mpmath.digamma(big_x)  # once, not once a term: the exact path of the cancelled elements
            got = log_b + mpmath.fsum((b - 1) * (psi_x - mpmath.digamma(x)) for x, b in zip(xs, bs))
        got = +got  # rounded to the caller's precision
        if prev is not None and (got == prev or prec > 64 * target + 8192):
            return got
        # + ¼ (not ×2): the second result's rounding differs from the first's by 2^(−prec/4) and more, enough for
        # the check, and the cold start of log Γ at 2× (3614 bits beyond 1e-240…1e268: 3.3 s, Bernoulli numbers
        # and constants) was nearly all of the exact path's cost in a fresh process
        prev, prec = got, prec + max(64, prec // 4)


MPMATH = {"dirichlet_xent": _mp_dirichlet_xent}

__all__ = ["dirichlet_xent", "MPMATH"]
