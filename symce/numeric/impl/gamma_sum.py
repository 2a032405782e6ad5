r"""Kernels of :mod:`symce.numeric.functions.gamma_sum`: log S, h(S) and (S + c)·h′(S) at S = Σ xᵢ.

Where S is finite these are log, :func:`~symce.numeric.impl.gamma_kernels.lgamma_rem` and
:func:`~symce.numeric.impl.gamma_kernels.digamma_rem` of it. Where S overflowed, q = S·2⁻ᵏ = Σ xᵢ·2⁻ᵏ with
2ᵏ ≥ n does not (S/2 would, for three parts at 1.8e308; the scaling is exact), and from it

* log S = log q + k log 2;
* h(S) = ½ log(2π/S) (the next term 1/(12S) < 1e-309);
* (S + c)·h′(S) = −½ − (c/2 + 1/12)/S from h′(S) = −1/(2S) − 1/(12S²) + O(S⁻⁴).

(S + c) may overflow for a finite S near 1.8e308 and c > 0: then ((S + c)/2)·(2h′(S)), each factor finite.
Where h′(S) ≈ −1/S overflows (S < 2⁻¹⁰²⁰, a single part reaching 0), ψ(S) = ψ(S + 1) − 1/S (DLMF 5.5.2) gives
(S + c)·h′(S) = ((S + c)/S)·(−1 + S·(h′(S + 1) + log1p(S) − log S)), the second factor −1 to 10⁻³⁰⁴.
A nonpositive or NaN xᵢ gives NaN (outside the functions' domain).

``wdigamma_rem_gap(x₁, …, x_K)`` = (S − K)h′(S) − Σ (xᵢ − 1)h′(xᵢ) is the sum of those kernels where that is
finite and every xᵢ ≥ 2⁻¹⁰⁰⁰; below, the poles of h′(x) = g(x) − 1/x (g(x) = ψ(x + 1) − log x, DLMF 5.5.2) are
gathered: (K − 1) − Σ (S₋ᵢ/S)/xᵢ − Σ (xᵢ − 1)g(xᵢ) + (S − K)g(S), S₋ᵢ = Σ_{j≠i} xⱼ summed from the parts
(so no difference), every pole term of one sign (the Beta entropy's −1/α − 1/β + 2/(α + β) =
−(α² + β²)/(αβ(α + β)): −∞ at α = β = 5e-324, not ∞ − ∞). g is ψ(x + 1) − log x below 1 (no cancellation
beyond 4×: ψ(x + 1) ∈ [−γ, 0.43]) and h′(x) + 1/x above (h′(x) ≈ −1/(2x): 2×).

``wtrigamma_sum(c, x₁, …)`` = (S + c)·ψ′(S + 1) with S + c summed from the parts and c (S ≈ −c at the
Beta entropy's uniform point α = β = 1, where S rounded would leave 2⁻⁵² of S − 2); where S overflowed,
ψ′(S + 1) = 1/S − 1/(2S²) + O(S⁻³) gives 1 + (c − ½)/S.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

_LOG2 = math.log(2.0)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _parts(xs):
    """(S, q, 2⁻ᵏ, log S, bad): S = Σ xᵢ (may be +∞), q = S·2⁻ᵏ and log S also where S overflowed, bad
    where an xᵢ is ≤ 0 or NaN."""
    xs = np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in xs])
    k = max(1, (len(xs) - 1).bit_length())  # 2ᵏ ≥ n: q ≤ n·DBL_MAX/2ᵏ is finite
    with np.errstate(all="ignore"):
        s = sum(xs[1:], xs[0])
        q = sum((x * 2.0**-k for x in xs[1:]), xs[0] * 2.0**-k)
        log_s = np.where(np.isinf(s) & np.isfinite(q), np.log(q) + k * _LOG2, np.log(s))
    bad = np.zeros(s.shape, dtype=bool)
    for x in xs:
        bad |= np.isnan(x) | (x <= 0)
    return s, q, 2.0**-k, log_s, bad


def _out(v, bad):
    out = np.where(bad, np.nan, v)
    return out if out.ndim else out[()]


def log_sum(*xs):
    _, _, _, log_s, bad = _parts(xs)
    return _out(log_s, bad)


def lgamma_rem_sum(*xs, lgamma_rem):
    """h(Σ xᵢ); ``lgamma_rem`` is h's kernel (bound by gamma_kernels.numpy_kernels, which imports this module)."""
    s, _, _, log_s, bad = _parts(xs)
    with np.errstate(all="ignore"):
        ovf = np.isinf(s)
        v = np.where(ovf, _HALF_LOG_2PI - 0.5 * log_s, lgamma_rem(np.where(ovf | bad, 1.0, s)))
    return _out(v, bad)


def wdigamma_rem_sum(c, *xs, digamma_rem):
    """(Σ xᵢ + c)·h′(Σ xᵢ); ``digamma_rem`` is h′'s kernel (bound as lgamma_rem_sum's)."""
    s, q, scale, _, bad = _parts(xs)
    c = np.broadcast_to(np.asarray(c, dtype=np.float64), s.shape)
    with np.errstate(all="ignore"):
        ovf = np.isinf(s)
        sf = np.where(ovf | bad, 1.0, s)
        h1 = digamma_rem(sf)
        w = sf + c
        direct = np.where(np.isfinite(w), w * h1, (0.5 * sf + 0.5 * c) * (2.0 * h1))
        # 1/S from the scaled sum (S itself is +∞ here): ((c/2 + 1/12)/q)·2⁻ᵏ keeps the digits of a large c
        big = -0.5 - ((0.5 * c + 1.0 / 12.0) / q) * scale
        v = np.where(ovf, big, direct)
        tiny = (s > 0) & (s < 2.0**-1020)
        if np.any(tiny):
            st = np.where(tiny, s, 0.5)
            small = ((st + c) / st) * (-1.0 + st * (digamma_rem(st + 1.0) + np.log1p(st) - np.log(st)))
            v = np.where(tiny, small, v)
        # S = 0: a positive part that underflowed (ν/2 at ν = 5e-324); the limit, as h′(0) = −∞ gave before
        neg = False
        for x in xs:
            neg = neg | (np.asarray(x, dtype=np.float64) < 0)
        zero = (s == 0) & ~neg
        v = np.where(zero, np.where(c > 0, -np.inf, np.where(c < 0, np.inf, -1.0)), v)
    return _out(v, (bad & ~zero) | np.isnan(c))


def _pole_free(c, xs, digamma, digamma_rem, s=None):
    """(S + c)·g(S), g(x) = h′(x) + 1/x = ψ(x + 1) − log x, S = Σ xs (+∞ allowed: then ½·(1 + 2c/S)…)."""
    if s is None:
        s = sum(xs[1:], xs[0])
    with np.errstate(all="ignore"):
        small = s < 1.0
        st = np.where(small, s, 0.5)
        near = (st + c) * (digamma(st + 1.0) - np.log(st))
        # S ≥ 1: (S + c)h′(S) + (S + c)/S, each finite (the kernel above where S overflowed: −½ + 1)
        far = wdigamma_rem_sum(c, *xs, digamma_rem=digamma_rem) + np.where(np.isinf(s), 1.0, (s + c) / s)
    return np.where(small, near, far)


def wdigamma_rem_gap(*xs, digamma_rem, digamma):
    """(S − K)h′(S) − Σ (xᵢ − 1)h′(xᵢ) (module docstring: the poles gathered below 2⁻¹⁰⁰⁰)."""
    xs = np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in xs])
    k = len(xs)
    s, q, scale, _, bad = _parts(xs)
    with np.errstate(all="ignore"):
        v = wdigamma_rem_sum(-float(k), *xs, digamma_rem=digamma_rem)
        for x in xs:
            v = v - wdigamma_rem_sum(-1.0, x, digamma_rem=digamma_rem)
        v = np.asarray(v, dtype=np.float64)
        tiny = ~bad
        lo = np.zeros(s.shape, dtype=bool)
        for x in xs:
            lo |= x < 2.0**-1000
        tiny &= lo | ~np.isfinite(v)
        if np.any(tiny):
            ys = [np.where(tiny, x, 1.0) for x in xs]
            st, qt = np.where(tiny, s, float(k)), np.where(tiny, q, float(k) * scale)
            pole = np.zeros(st.shape)
            for i, x in enumerate(ys):
                rest = [y for j, y in enumerate(ys) if j != i]
                others = sum(rest[1:], rest[0])
                # S₋ᵢ/S ∈ [0, 1]; from the parts times 2⁻ᵏ where S overflowed (S₋ᵢ may too)
                others_q = sum((y * scale for y in rest[1:]), rest[0] * scale)
                ratio = np.where(np.isinf(st), others_q / qt, others / st)
                pole = pole + ratio / x
            w = (k - 1.0) - pole + _pole_free(-float(k), ys, digamma, digamma_rem, st)
            for x in ys:
                w = w - _pole_free(-1.0, [x], digamma, digamma_rem)
            v = np.where(tiny, w, v)
    return _out(v, bad)


def wtrigamma_sum(c, *xs, trigamma):
    """(S + c)·ψ′(S + 1) from the parts (module docstring)."""
    xs = np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in xs])
    s, q, scale, _, bad = _parts(xs)
    c = np.broadcast_to(np.asarray(c, dtype=np.float64), s.shape)
    with np.errstate(all="ignore"):
        # S + c compensated: the parts' TwoSum errors added after c (exact where S ≈ −c, Sterbenz)
        acc, err = xs[0], np.zeros(s.shape)
        for x in list(xs[1:]) + [c]:
            t = acc + x
            bb = t - acc
            err = err + ((acc - (t - bb)) + (x - bb))
            acc = t
        w = acc + err
        ovf = np.isinf(s)
        sf = np.where(ovf | bad, 1.0, s)
        t1 = trigamma(sf + 1.0)
        direct = np.where(np.isfinite(w), w * t1, (0.5 * sf + 0.5 * c) * (2.0 * t1))
        big = 1.0 + ((c - 0.5) / q) * scale
        v = np.where(ovf, big, direct)
    return _out(v, bad | np.isnan(c))


def _mp_parts(xs):
    xs = [mpmath.mpf(x) for x in xs]
    return xs if all(x > 0 for x in xs) else None


def _mp_extra(xs) -> int:
    # h(S) ≈ ½ log(2π/S) and h′(S) ≈ −1/(2S) cancel log Γ(S) ≈ S log S and ψ(S) ≈ log S: about the bits of
    # S's exponent (none for S < 1, where log Γ(S) ≈ −log S and ψ(S) ≈ −1/S dominate)
    return 30 + max(0, int(mpmath.mag(max(xs))) + 2)


def _mp_log_sum(*xs):
    xs = _mp_parts(xs)
    if xs is None:
        return mpmath.mpf("nan")
    with mpmath.workprec(mpmath.mp.prec + 20):
        return +mpmath.log(mpmath.fsum(xs))


def _mp_lgamma_rem_sum(*xs):
    xs = _mp_parts(xs)
    if xs is None:
        return mpmath.mpf("nan")
    with mpmath.workprec(mpmath.mp.prec + _mp_extra(xs)):
        s = mpmath.fsum(xs)  # rounded once
        return +(mpmath.loggamma(s) - s * mpmath.log(s) + s)


def _mp_wdigamma_rem_sum(c, *xs):
    xs, c = _mp_parts(xs), mpmath.mpf(c)
    if xs is None or mpmath.isnan(c):
        return mpmath.mpf("nan")
    with mpmath.workprec(mpmath.mp.prec + _mp_extra(xs)):
        # S + c as one sum rounded once: it cancels where c ≈ −S (the Dirichlet entropy's α₀ − K at α₀ ≈ K)
        s, w = mpmath.fsum(xs), mpmath.fsum(xs + [c])
        return +(w * (mpmath.digamma(s) - mpmath.log(s)))


def _mp_wdigamma_rem_gap(*xs):
    xs = _mp_parts(xs)
    if xs is None:
        return mpmath.mpf("nan")
    # the pieces each to prec + their cancellation; their sum cancels by at most ~2×
    with mpmath.workprec(mpmath.mp.prec + 10):
        k = len(xs)
        return +(_mp_wdigamma_rem_sum(-k, *xs) - mpmath.fsum(_mp_wdigamma_rem_sum(-1, x) for x in xs))


def _mp_wtrigamma_sum(c, *xs):
    xs, c = _mp_parts(xs), mpmath.mpf(c)
    if xs is None or mpmath.isnan(c):
        return mpmath.mpf("nan")
    with mpmath.workprec(mpmath.mp.prec + 20):
        s, w = mpmath.fsum(xs), mpmath.fsum(xs + [c])
        with mpmath.workprec(mpmath.mp.prec + max(0, int(mpmath.mag(s)))):
            return +(w * mpmath.psi(1, s + 1))


MPMATH = {"log_sum": _mp_log_sum, "wdigamma_rem_gap": _mp_wdigamma_rem_gap, "wtrigamma_sum": _mp_wtrigamma_sum, "lgamma_rem_sum": _mp_lgamma_rem_sum, "wdigamma_rem_sum": _mp_wdigamma_rem_sum}

__all__ = ["log_sum", "lgamma_rem_sum", "wdigamma_rem_sum", "wdigamma_rem_gap", "wtrigamma_sum", "MPMATH"]
