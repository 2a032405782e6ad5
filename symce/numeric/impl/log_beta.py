r"""Kernels of :class:`symce.numeric.functions.log_beta.log_beta`: L = Σ log Γ(bᵢ) − log Γ(S), S = Σ bᵢ.

* S < 4: the definition (every log Γ is finite and moderate beside the largest −log bᵢ, and log B crosses 0
  there, at (1, 1), where Stirling's parts would cancel), with S = s + e exactly (TwoSum) and
  log Γ(S) = log Γ(s) + e·ψ(s): the rounding of the sum was the whole value near that zero (log B(1 + 2⁻⁵², 1)
  = −log(1 + 2⁻⁵²), where fl(S) = 2 left −γ·2⁻⁵², 3.8e15 ULP);
* S ≥ 4: Stirling's split log Γ(x) = x log x − x + h(x) (h = lgamma_rem, ≈ ½ log(2π/x)) gives, since
  Σ bᵢ = S, the x log x and −x parts collected with no overflow and no ∞ − ∞:

      L = Σ bᵢ log(bᵢ/S) + Σ h(bᵢ) − h(S),

  each bᵢ log(bᵢ/S) ≤ 0 (log1p(−rᵢ/S) with rᵢ the other arguments' sum where bᵢ > S/2, so a dominant
  argument keeps its digits), the ratios from scaled parts (bᵢ·2⁻ᵏ)/q, q = Σ bᵢ·2⁻ᵏ with 2ᵏ ≥ n, so S
  may overflow (q does not: S/2 would, for three arguments at 1.8e308; the scaling is exact, as in
  impl/gamma_sum.py), log bᵢ − k log 2 − log q where the ratio is below 1e-300 (it may have underflowed),
  and h(S) for an overflowed S is ½ log(2π/S) = ½ (log 2π − log q − k log 2).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

_LOG2 = math.log(2.0)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def log_beta(*bs, loggamma):
    parts, bad = log_beta_parts(*bs, loggamma=loggamma)
    with np.errstate(all="ignore"):
        out = np.where(bad, np.nan, sum(parts[1:], parts[0]))
    return out if out.ndim else out[()]


def log_beta_parts(*bs, loggamma):
    """(parts, bad): log B(b) = Σ parts (each finite, |part| ≤ DBL_MAX, where the sum may overflow: a caller
    adds them at a scale, impl/dirichlet_xent.py), and the mask of invalid arguments."""
    from scipy.special import psi

    from symce.numeric.impl.gamma_kernels import _two_sum, lgamma_rem

    bs = np.broadcast_arrays(*[np.asarray(b, dtype=np.float64) for b in bs])
    k = max(1, (len(bs) - 1).bit_length())  # 2ᵏ ≥ n: q = Σ bᵢ·2⁻ᵏ ≤ n·DBL_MAX/2ᵏ is finite
    scale = 2.0**-k
    pieces = int(math.log(len(bs))) + 1  # > log n: each piece of bᵢ log(bᵢ/S) is finite
    with np.errstate(all="ignore"):
        s = sum(bs[1:], bs[0])
        q = sum((scale * b for b in bs[1:]), scale * bs[0])
        # S = s + err exactly; the first-order term err·ψ(s) (|err| ≤ 2⁻⁵³·s·n, so the next, err²ψ′/2, is below
        # 2⁻¹⁰⁶); err = 0 where s is subnormal (exact), and ψ(s) may be −∞ there
        s_acc, err = bs[0], np.zeros_like(bs[0])
        for b in bs[1:]:
            s_acc, e = _two_sum(s_acc, b)
            err = err + e
        fix = np.where(err != 0.0, err * psi(np.where(err != 0.0, s_acc, 1.0)), 0.0)
        direct = sum((loggamma(b) for b in bs[1:]), loggamma(bs[0])) - loggamma(s) - fix
        parts = [direct]
        big = ~(s < 4.0)
        if np.any(big):
            ovf = np.isinf(s)
            h_s = np.where(ovf, _HALF_LOG_2PI - 0.5 * (np.log(q) + k * _LOG2),
                           lgamma_rem(np.where(big & ~ovf, s, 4.0), loggamma))
            parts = [np.where(big, -h_s, direct)]
            for i, b in enumerate(bs):
                b = np.where(big, b, 1.0)
                rest = sum(scale * np.where(big, c, 1.0) for j, c in enumerate(bs) if j != i)
                hs = np.where(big, q, 1.0)
                ratio = (scale * b) / hs
                # a ratio below 1e-300 may have underflowed: the logs' difference, |log| > 690 beside both
                far = np.where(ratio > 1e-300, np.log(ratio), (np.log(b) - k * _LOG2) - np.log(hs))  # b·2⁻ᵏ of a subnormal b may be 0
                log_ratio = np.where(scale * b > rest, np.log1p(-rest / hs), far)
                h_b = lgamma_rem(b, loggamma)
                part = np.where(big, b * log_ratio + h_b, 0.0)
                if pieces > 1:
                    # bᵢ log(bᵢ/S) reaches −DBL_MAX·log n (bᵢ = DBL_MAX, S = n·DBL_MAX): there, and only there
                    # (elsewhere the extra parts are 0, so the sum is unchanged), as ``pieces`` finite parts
                    whole = np.isfinite(part)
                    piece = (b * (1.0 / pieces)) * log_ratio
                    part = np.where(whole, part, np.where(big, piece + h_b, 0.0))
                    parts += [np.where(whole | ~big, 0.0, piece)] * (pieces - 1)
                parts.append(part)
    bad = np.zeros(direct.shape, dtype=bool)
    for b in bs:
        bad |= np.isnan(b) | (b <= 0)
    return parts, bad


def _mp_log_beta(*bs):
    bs = [mpmath.mpf(b) for b in bs]
    if not all(b > 0 for b in bs):
        return mpmath.mpf("nan")
    # log Γ of 1e308 carries 310 digits before the terms cancel
    extra = 60 + sum(3 * abs(int(mpmath.mag(b))) for b in bs)
    with mpmath.workprec(mpmath.mp.prec + extra):
        return +(mpmath.fsum(mpmath.loggamma(b) for b in bs) - mpmath.loggamma(mpmath.fsum(bs)))


MPMATH = {"log_beta": _mp_log_beta}

__all__ = ["log_beta", "log_beta_parts", "MPMATH"]
