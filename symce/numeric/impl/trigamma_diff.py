r"""Kernels of :mod:`symce.numeric.functions.trigamma_diff`: w·T, T = ψ′(x) − ψ′(x + d) ≥ 0 (d = d₁ + … + d_k ≥ 0),
and w·ψ′(x₁ + … + x_n). The weight goes in before the small factors: T ≈ d/x² underflows at x = 1.8e308 where
w·T with w = −9e307 is −2.8e-309 (CE(Beta) ∂/∂α₁), every part is formed as ((w·f)/t)·((1 + r)/t), no
intermediate beyond the result.

T is a sum of positive parts, so no step cancels:

* ψ′(t) = ψ′(t + 1) + 1/t² (DLMF 5.15.5) up to y = x + m ≥ 16: the parts 1/t² − 1/(t + d)² =
  f·(1 + r)/t² with f = d/(t + d), r = t/(t + d), both in [0, 1] (d ≪ t: f ≈ d/t, exact where t + d rounds
  to t, not the difference of two nearly equal squares);
* at y ≥ 16 the asymptotic series ψ′(y) ~ 1/y + 1/(2y²) + Σ B₂ᵢ/y^{2i+1} (DLMF 5.15.8) term by term:
  1/y^k − 1/Y^k = (f/y^k)·(1 + r + … + r^{k−1}), again ≥ 0 and without a difference. Through B₁₆: the first
  term left out, B₁₈/y¹⁸ = 55/16¹⁸, is below 2⁻⁶⁰ of 1/y.

Where the sum t + d overflows (the Dirichlet's others' sum, two parameters near DBL_MAX) f and r are taken
from the eighths t/8 + Σ dᵢ/8, finite; an infinite d gives f = 1, r = 0 (T = ψ′(x)).
"""

from __future__ import annotations

import mpmath
import numpy as np

# B₂ᵢ, i = 1 … 8 (DLMF 24.2.2 table): ψ′(y) ~ 1/y + 1/(2y²) + Σ B₂ᵢ/y^{2i+1}
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
_SHIFT_TO = 16.0


def _fr(w, t, ds):
    """(w·f, r), f = d/(t + d), r = t/(t + d) for d = Σ ds (eighths where t + d overflows; f = 1, r = 0 for
    d = ∞). w·f as (w·d)/(t + d) where w·d is finite: f alone is subnormal for d = 5e-324 (or d = 1 beside
    t = 1.8e308) where w = −1.8e308 makes the product 1e-15, with every digit."""
    d = sum(ds[1:], ds[0])
    big = t + d
    with np.errstate(all="ignore"):
        wd = w * d
        wf = np.where(np.isfinite(wd), wd / big, w * (d / big))
        r = t / big
        over = ~np.isfinite(big) & np.isfinite(t)
        if np.any(over):
            dq = sum((0.125 * v for v in ds[1:]), 0.125 * ds[0])
            bq = 0.125 * t + dq
            wf = np.where(over, w * np.where(np.isfinite(bq), dq / bq, 1.0), wf)
            r = np.where(over, np.where(np.isfinite(bq), (0.125 * t) / bq, 0.0), r)
        wf = np.where(d == 0, 0.0, wf)
        r = np.where(d == 0, 1.0, r)
    return wf, r


def wtrigamma_diff(w, x, *ds):
    """w·(ψ′(x) − ψ′(x + d₁ + … + d_k)) for x > 0, dᵢ ≥ 0 (module docstring); 0 where w = 0."""
    arrs = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in (w, x, *ds)])
    w, x, ds = arrs[0], arrs[1], arrs[2:]
    with np.errstate(all="ignore"):
        m = np.maximum(np.ceil(_SHIFT_TO - x), 0.0)
        y = x + m
        wf, r = _fr(w, y, ds)
        # the asymptotic part at y ≥ 16: (f/y)·[1 + (1 + r)/(2y) + Σ B₂ᵢ·s_{2i+1}(r)/y^{2i}], s_k = 1 + … + r^{k−1}
        inv2 = 1.0 / (y * y)
        s = [np.ones_like(r)]
        for _ in range(2 * len(_BERNOULLI)):
            s.append(s[-1] * r + 1.0)  # s[k] = 1 + r + … + r^k (Horner: the k+1 first powers)
        tail = np.zeros_like(y)
        for i in range(len(_BERNOULLI), 0, -1):
            tail = (tail + _BERNOULLI[i - 1] * s[2 * i]) * inv2
        out = (wf / y) * (1.0 + ((1.0 + r) / (2.0 * y) + tail))
        # the shifted parts 1/t² − 1/(t + d)², t = x + j < 16, the smallest (largest t) first
        for j in range(int(_SHIFT_TO) - 1, -1, -1):
            on = j < m
            if not np.any(on):
                continue
            t = np.where(on, x + j, 1.0)
            wfj, rj = _fr(w, t, ds)
            out = out + np.where(on, (wfj / t) * ((1.0 + rj) / t), 0.0)
    bad = np.isnan(x) | (x <= 0) | np.any([np.isnan(v) | (v < 0) for v in ds], axis=0)
    out = np.where(bad | np.isnan(w), np.nan, np.where(w == 0, 0.0, out))
    return out if out.ndim else out[()]


def _trigamma(x):
    from scipy.special import polygamma

    return polygamma(1, x)


def wtrigamma_of_sum(w, *xs):
    """w·ψ′(x₁ + … + x_n) for a positive sum; beyond S = 1e300 (and where S overflows, from eighths: three
    parameters near DBL_MAX overflow the half too) ψ′(S) = 1/S + 1/(2S²) + … is w/S: ψ′(S) alone is
    subnormal there (2.8e-309 at S = 3.6e308), short of digits where w ≈ 1e308 makes the product O(1)."""
    arrs = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in (w, *xs)])
    w, xs = arrs[0], arrs[1:]
    with np.errstate(all="ignore"):
        big = sum(xs[1:], xs[0])
        eighth = sum((0.125 * v for v in xs[1:]), 0.125 * xs[0])
        far = big > 1e300
        over = np.isinf(big) & np.isfinite(eighth)
        inv = np.where(over, (w / np.where(over, eighth, 1.0)) * 0.125, w / np.where(far, big, 1.0))
        near = w * _trigamma(np.where(far | over, 1.0, big))
        out = np.where(far | over, inv, near)
        out = np.where(w == 0, 0.0, out)
    return out if out.ndim else out[()]


def _mp_wtrigamma_diff(w, x, *ds):
    if w == 0:
        return mpmath.mpf(0)
    return w * _mp_trigamma_diff(x, *ds)


def _mp_trigamma_diff(x, *ds):
    x, d = mpmath.mpf(x), mpmath.fsum(mpmath.mpf(v) for v in ds)
    if not (x > 0 and d >= 0):
        return mpmath.mpf("nan")
    if mpmath.isinf(d):
        return mpmath.psi(1, x)
    if d == 0:
        return mpmath.mpf(0)
    # the two trigammas agree to about log2(x/d) bits where d ≪ x
    extra = 40 + max(0, int(mpmath.mag(x)) - int(mpmath.mag(d)))
    with mpmath.workprec(mpmath.mp.prec + extra):
        return +(mpmath.psi(1, x) - mpmath.psi(1, x + d))


def _mp_wtrigamma_of_sum(w, *xs):
    if w == 0:
        return mpmath.mpf(0)
    return w * mpmath.psi(1, mpmath.fsum(mpmath.mpf(v) for v in xs))


MPMATH = {"wtrigamma_diff": _mp_wtrigamma_diff, "wtrigamma_of_sum": _mp_wtrigamma_of_sum}

__all__ = ["wtrigamma_diff", "wtrigamma_of_sum", "MPMATH"]
