r"""Kernels of :class:`symce.numeric.functions.digamma_diff.psi_diff`: D = ψ(x + d) − ψ(x), d ≥ 0.

* d ≤ x (x and X = x + d close): log1p(d/x) − (h′(x) − h′(X)), h′ = ψ − log, the difference of h′ by
  :func:`symce.numeric.impl.gamma_kernels._h1_diff` (Gauss–Legendre of δ·h″, no cancellation);
* d > x, x ≥ 1: log(X/x) + h′(X) − h′(x), log(X/x) ≥ log 2 beside |h′| ≤ 0.58 (ψ(X) − ψ(x) directly loses
  the digits of ψ(x) ≈ log x);
* d < 2⁻⁹⁰⁰: d/(xX) + d·ψ′(x + 1), the first order (subnormal d loses digits in the quadrature's δ/z);
* d > x, x < 1: 1/x + ψ(X) − ψ(x + 1) (ψ(x) = ψ(x + 1) − 1/x), with X < 1 as well ψ(X + 1) − ψ(x + 1) +
  (d/x)/X (1/x − 1/X = d/(xX), every part ≥ 0); 1/x overflowing (x subnormal) is then D = +∞, exactly
  where D > 1.8e308, never ∞ − ∞.

Where X = x + d overflows, ψ(X) = log X + O(1/X) is taken from log(X/2) + log 2 (X/2 = x/2 + d/2).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

_LOG2 = math.log(2.0)


def psi_diff(x, d, half=None):
    """ψ(x + d) − ψ(x); ``half`` = (x + d)/2 summed from halves where the caller has d as a sum of parts that
    may overflow (the Dirichlet's others' sum, impl/dirichlet_xent.py): an overflowed d with a finite half
    is then a finite X beyond DBL_MAX, not +∞."""
    from scipy.special import polygamma, psi

    from symce.numeric.impl.gamma_kernels import _h1_diff, digamma_rem

    x, d = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(d, dtype=np.float64))
    with np.errstate(all="ignore"):
        big = x + d
        half = 0.5 * x + 0.5 * d if half is None else np.asarray(half, dtype=np.float64)
        ovf = np.isinf(big) & np.isfinite(x) & np.isfinite(half)
        log_big = np.where(ovf, np.log(half) + _LOG2, np.log(big))
        psi_big = np.where(ovf, log_big, psi(np.where(ovf, 1.0, big)))  # h′(X) < 10⁻³⁰⁷ there
        near = d <= x
        # near: the h′ difference (finite for d ≤ x; x + sδ stays finite unless x ≥ 9e307, handled inside)
        xn, dn = np.where(near, x, 1.0), np.where(near, d, 0.0)
        inv, rest = _h1_diff(xn, dn)
        near_v = np.log1p(dn / xn) - (inv + rest)
        # far, x ≥ 1
        xl = np.maximum(x, 1.0)
        # log(X/x) = log1p(d/x) for a finite d (d/x ≤ d for x ≥ 1): log(X/2) + log 2 − log x cancelled where X
        # overflowed beside x ≈ 1.8e308 (d = DBL_MAX, x = DBL_MAX − 2 ulp: 0.69314718055989 for log 2, 496 ULP
        # in ∂/∂β₂); an overflowed d (the others' sum, with ``half``) keeps the logs
        ratio_log = np.where(np.isinf(d), log_big - np.log(xl), np.log1p(d / xl))
        far_large = ratio_log + np.where(ovf, 0.0, digamma_rem(np.where(ovf, 1.0, np.maximum(big, 1.0)))) - digamma_rem(xl)
        # far, x < 1
        xs = np.where(x < 1.0, x, 0.5)
        small_big = big < 1.0
        both_small = psi(np.where(small_big, big, 0.5) + 1.0) - psi(xs + 1.0) + (d / xs) / np.where(small_big, big, 1.0)
        one_small = 1.0 / xs + psi_big - psi(xs + 1.0)
        far_small = np.where(small_big, both_small, one_small)
        out = np.where(near, near_v, np.where(x >= 1.0, far_large, far_small))
        # d below 2⁻⁹⁰⁰ (subnormal ones lose digits in δ/z): D = d/(xX) + d·ψ′(x + 1) + O(d²ψ″), exact there
        tiny = d < 2.0**-900
        if np.any(tiny):
            # d/(xX) through d·2⁶⁰⁰: d/x alone would be subnormal and lose digits
            lead = ((d * 2.0**600) / x) / big * 2.0**-600
            lead = np.where(np.isfinite(lead), lead, (d / x) / big)
            out = np.where(tiny, lead + d * polygamma(1, np.where(tiny, x, 1.0) + 1.0), out)
    bad = np.isnan(x) | np.isnan(d) | (x <= 0) | (d < 0)
    out = np.where(bad, np.nan, np.where(np.isinf(d) & np.isinf(half) & ~bad, np.inf, out))
    return out if out.ndim else out[()]


def psi_diff_parts(x, *ds):
    """ψ(x + d) − ψ(x) for d = d₁ + … + d_k given as its parts, (x + d)/2 summed from halves. Where the half
    overflows too (x = 1.8e308 beside d = 1e300 + 1.8e308: x + d ≈ 3.6e308) from quarters: for x ≥ 1
    log1p(d/x) − h′(x) as in the kernel's far branch (h′(X) < 10⁻³⁰⁰ dropped), d/x = (Σ dᵢ/4)/(x/4); below 1,
    1/x + ψ(X) − ψ(x + 1) with ψ(X) = log(X/4) + 2 log 2 (it was +∞: ∂/∂α₂ⱼ −∞ for 708.67)."""
    from scipy.special import psi

    from symce.numeric.impl.gamma_kernels import digamma_rem

    x = np.asarray(x, dtype=np.float64)
    ds = [np.asarray(v, dtype=np.float64) for v in ds]
    with np.errstate(all="ignore"):
        d = sum(ds[1:], ds[0])
        half = sum((0.5 * v for v in ds), 0.5 * x)
        out = np.asarray(psi_diff(x, d, half), dtype=np.float64)
        dq = sum((0.25 * v for v in ds), np.zeros_like(x))
        quad = np.isinf(half) & np.isfinite(x) & np.isfinite(dq) & (x > 0)
        if np.any(quad):
            xs = np.where(quad, x, 1.0)
            xq = 0.25 * xs
            large = np.log1p(dq / xq) - digamma_rem(np.maximum(xs, 1.0))
            small = 1.0 / xs + (np.log(xq + dq) + 2 * _LOG2) - psi(np.minimum(xs, 1.0) + 1.0)
            out = np.where(quad, np.where(xs >= 1.0, large, small), out)
    return out if out.ndim else out[()]


def weighted_psi_diff(w, x, d, half=None, w_lo=None):
    """w·(ψ(x + d) − ψ(x)), finite where the product is although the difference is not: D ≈ 1/x overflows
    for a subnormal x (1/5e-324), while w/x with |w| < 1 need not ((β − 1)/α at β = 1 − 2⁻⁵³, α = 5e-324:
    −2.2e307, where w·D was −∞). There D = f/x + r (x < 1 < d/x, impl notes above: f = 1, r = ψ(X) − ψ(x + 1)
    for X ≥ 1; f = d/X, r = ψ(X + 1) − ψ(x + 1) for X < 1), and w·D = (w/x)·f + w·r.

    ``w_lo``: the weight is w + w_lo (w = fl(b − 1), w_lo its rounding error by TwoSum), and the result the pair
    (w·D, w_lo·D), to be summed apart: two weights' products cancel where D is large (b = (2, 1e-17) at
    x = (1e-8, 1e-8): (1)·1e8 + (1e-17 − 1)·1e8, whose 1e-9 was the
    rounding of 1e-17 − 1; 3e5 ULP). A weight exactly 0 gives 0, also where D overflows (ψ(1e-323) − ψ(5e-324))."""
    from scipy.special import psi

    w = np.asarray(w, dtype=np.float64)
    x, d = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(d, dtype=np.float64))
    h = 0.5 * x + 0.5 * d if half is None else np.asarray(half, dtype=np.float64)
    D = psi_diff(x, d, h)
    with np.errstate(all="ignore"):
        lo = np.zeros_like(w) if w_lo is None else np.asarray(w_lo, dtype=np.float64)
        out = w * D
        low = np.where(lo != 0.0, lo * D, 0.0)
        redo = ~np.isfinite(out) & np.isfinite(w) & (x > 0) & (x < 1.0) & (d > x) & np.isfinite(h)
        if np.any(redo):
            xs, dd = np.where(redo, x, 0.5), np.where(redo, d, 1.0)
            big = xs + dd
            small = big < 1.0
            ovf = np.isinf(big)
            psi_big = np.where(ovf, np.log(np.where(redo, h, 1.0)) + _LOG2, psi(np.where(ovf | small, 1.0, big)))
            f = np.where(small, dd / np.where(small, big, 1.0), 1.0)
            r = np.where(small, psi(np.where(small, big, 0.5) + 1.0), psi_big) - psi(xs + 1.0)
            out = np.where(redo, (w / xs) * f + w * r, out)
            low = np.where(redo & (lo != 0.0), (lo / xs) * f + lo * r, low)
        out = np.where((w == 0.0) & ~np.isnan(D), 0.0, out)
        low = np.where(np.isfinite(out), low, 0.0)  # beside an infinite w·D the correction is nothing (not ∞ − ∞)
    out = out if out.ndim else out[()]
    if w_lo is None:
        return out
    return out, (low if low.ndim else low[()])


def _mp_psi_diff(x, d):
    x, d = mpmath.mpf(x), mpmath.mpf(d)
    if not (x > 0 and d >= 0):
        return mpmath.mpf("nan")
    if mpmath.isinf(d):
        return mpmath.inf
    # ψ(x) ≈ −1/x and ψ(x + d) agree to about log2(x/d) bits, and ψ of 1e308 carries 10 of its own
    extra = 60 + max(0, int(mpmath.mag(x)) - int(mpmath.mag(d)) if d else 0) + abs(int(mpmath.mag(x))) // 8
    with mpmath.workprec(mpmath.mp.prec + extra):
        return +(mpmath.digamma(x + d) - mpmath.digamma(x))


MPMATH = {"psi_diff": _mp_psi_diff}

__all__ = ["psi_diff", "psi_diff_parts", "weighted_psi_diff", "MPMATH"]
