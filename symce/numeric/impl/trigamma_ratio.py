r"""Kernels of :class:`symce.numeric.functions.gamma.trigamma_ratio`: w·ψ′(x) + (a − c·b)/b.

The ∂/∂α₁ of the Gamma, inverse-gamma and χ² cross-entropies and KLs: ψ′(x) ≈ 1/x² overflows for
x < 1.5·10⁻¹⁵⁴ (0·∞ = NaN where w = 0: KL(χ²) at k₁ = k₂ = 10⁻³⁰⁰, whose partial is 0), and w·ψ′(x) and a/b
can overflow with opposite signs (CE(Gamma) at α₁ = 2.4·10⁻¹⁴¹, β₂/β₁ = 1.3·10³³⁸ against −6·10³³⁴: +∞, not NaN).

* w·ψ′(x) = (w/x)/x + w·ψ′(1 + x) for x < 1 (ψ′(x) = ψ′(1 + x) + 1/x²): no 0·∞, and w/x/x overflows only where
  the value does; else w·ψ′(x), the product with w last ((2 − k₂)/4 formed first: (2 − k₂)ψ′ overflowed at
  k₂ = 1.8·10³⁰⁸ where the value is −7.4·10³⁰⁷).
* Where the float sum is ∞ − ∞, the logarithms of the two magnitudes (log|w| − 2 log x + log1p(x²ψ′(1 + x)),
  log|a| − log|b|) decide the sign of the infinity; equal to 10⁻¹² (the value undecided in floats) it stays NaN.
"""

from __future__ import annotations

import mpmath
import numpy as np

from symce.numeric.impl.double_double import _dd_div, _dd_mul, _two_sum


def _w_trigamma(w, x, trigamma):
    with np.errstate(all="ignore"):
        small = x < 1.0
        xs = np.where(small, x, 0.5)
        near = (w / xs) / xs + w * trigamma(1.0 + xs)
        far = w * trigamma(np.where(small, 1.0, x))
        out = np.where(small, near, far)
        return np.where(w == 0, 0.0, out)


def _log_trigamma(x, trigamma):
    """log ψ′(x) without the overflow of ψ′(x) ≈ 1/x²."""
    with np.errstate(all="ignore"):
        small = x < 1.0
        xs = np.where(small, x, 0.5)
        near = -2.0 * np.log(xs) + np.log1p(xs * xs * trigamma(1.0 + xs))
        return np.where(small, near, np.log(trigamma(np.where(small, 1.0, x))))


# ψ′(x) − 1/x − 1/(2x²) = Σ B₂ₖ/x^{2k+1}: 1/6, −1/30, 1/42, −1/30, 5/66, −691/2730, 7/6 (the first
# term left out, 3617/510/x¹⁷, is below 2⁻⁸⁰ of ψ′ for x ≥ 40)
_BERNOULLI_TAIL = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def _dd_sum(w, x, a, b):
    """w·ψ′(x) + a/b in double-double for x ≥ 40 (ψ′ = 1/x + 1/(2x²) + the Bernoulli tail, 1/x and 1/(2x²)
    in double-double): where the two parts cancel (CE(Gamma) ∂/∂α₁ at α₁ = 709.78, α₂ = 40, β₂/β₁ = 1/18:
    0.0549 against 0.0556, 25 ULP from the float parts' roundings)."""
    ih, il = _dd_div(np.ones_like(x), np.zeros_like(x), x, np.zeros_like(x))
    sh, sl = _dd_mul(ih, il, ih, il)
    sh, sl = 0.5 * sh, 0.5 * sl
    inv2 = ih * ih
    tail = np.zeros_like(x)
    for coef in reversed(_BERNOULLI_TAIL):
        tail = tail * inv2 + coef
    tail = tail * inv2 * ih
    ph, pl = _two_sum(ih, sh)
    pl = pl + il + sl + tail
    ph, pl = _two_sum(ph, pl)
    hh, hl = _dd_mul(w, np.zeros_like(w), ph, pl)
    qh, ql = _dd_div(a, np.zeros_like(a), b, np.zeros_like(b))
    th, tl = _two_sum(hh, qh)
    return th + (tl + hl + ql)


def trigamma_ratio(w, x, a, b, c, *, trigamma):
    w, x, a, b, c = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in (w, x, a, b, c)])
    with np.errstate(all="ignore"):
        head = _w_trigamma(w, x, trigamma)
        # (a − c·b)/b: the KL's β₂/β₁ − 1 with the difference exact near β₂ = β₁; a/b − c where c·b overflows
        diff = (a - c * b) / b
        quot = np.where(c == 0, a / b, np.where(np.isfinite(a - c * b), diff, a / b - c))
        out = head + quot
        # the double-double sum where the parts are moderate and cancel (|sum| < |parts|/4)
        mid = ((x >= 40.0) & (c == 0) & np.isfinite(out) & (np.abs(head) < 1e290) & (np.abs(quot) < 1e290)
               & (np.abs(head) > 1e-290) & (np.abs(quot) > 1e-290) & (4 * np.abs(out) < np.abs(head)))
        if np.any(mid):
            out = np.where(mid, _dd_sum(np.where(mid, w, 0.0), np.where(mid, x, 40.0), np.where(mid, a, 0.0),
                                        np.where(mid, b, 1.0)), out)
        clash = np.isnan(out) & np.isinf(head) & np.isinf(quot)
        if np.any(clash):
            lw = np.log(np.abs(w)) + _log_trigamma(x, trigamma)
            lq = np.log(np.abs(a)) - np.log(np.abs(b))
            bigger = np.where(lw > lq, head, quot)
            undecided = np.abs(lw - lq) <= 1e-12 * np.maximum(np.abs(lw), np.abs(lq))
            out = np.where(clash, np.where(undecided, np.nan, bigger), out)
    return out[()] if out.ndim == 0 else out


def mp_trigamma_ratio(w, x, a, b, c):
    with mpmath.workprec(mpmath.mp.prec + 20):
        head = mpmath.mpf(0) if w == 0 else w * mpmath.psi(1, x)
        return +(head + (a - c * b) / b)


MPMATH = {"trigamma_ratio": mp_trigamma_ratio}

__all__ = ["trigamma_ratio", "mp_trigamma_ratio", "MPMATH"]
