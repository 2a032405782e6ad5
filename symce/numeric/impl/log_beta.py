r"""Kernels of :class:`symce.numeric.functions.log_beta.log_beta`: L = Σ log Γ(bᵢ) − log Γ(S), S = Σ bᵢ.

* S < 4: the definition (every log Γ is finite and moderate beside the largest −log bᵢ, and log B crosses 0
  there, at (1, 1), where Stirling's parts would cancel);
* S ≥ 4: Stirling's split log Γ(x) = x log x − x + h(x) (h = lgamma_rem, ≈ ½ log(2π/x)) gives, since
  Σ bᵢ = S, the x log x and −x parts collected with no overflow and no ∞ − ∞:

      L = Σ bᵢ log(bᵢ/S) + Σ h(bᵢ) − h(S),

  each bᵢ log(bᵢ/S) ≤ 0 (log1p(−rᵢ/S) with rᵢ the other arguments' sum where bᵢ > S/2, so a dominant
  argument keeps its digits), the ratios from halves (bᵢ/2)/(S/2) so S may overflow (S/2 = Σ bᵢ/2 does
  not), log bᵢ − log 2 − log(S/2) where the ratio is below 1e-300 (it may have underflowed), and h(S) for an overflowed S is ½ log(2π/S) from the halves (gamma_kernels._h_big).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

_LOG2 = math.log(2.0)


def log_beta(*bs, loggamma):
    parts, bad = log_beta_parts(*bs, loggamma=loggamma)
    with np.errstate(all="ignore"):
        out = np.where(bad, np.nan, sum(parts[1:], parts[0]))
    return out if out.ndim else out[()]


def log_beta_parts(*bs, loggamma):
    """(parts, bad): log B(b) = Σ parts (each finite, |part| ≤ S/e, where the sum may overflow: a caller
    adds them at a scale, impl/dirichlet_xent.py), and the mask of invalid arguments."""
    from symce.numeric.impl.gamma_kernels import _h_big, lgamma_rem

    bs = np.broadcast_arrays(*[np.asarray(b, dtype=np.float64) for b in bs])
    with np.errstate(all="ignore"):
        s = sum(bs[1:], bs[0])
        half = sum((0.5 * b for b in bs[1:]), 0.5 * bs[0])
        direct = sum((loggamma(b) for b in bs[1:]), loggamma(bs[0])) - loggamma(s)
        parts = [direct]
        big = ~(s < 4.0)
        if np.any(big):
            parts = [np.where(big, -_h_big(np.where(big, s, 4.0), np.where(big, half, 2.0), loggamma), direct)]
            for i, b in enumerate(bs):
                b = np.where(big, b, 1.0)
                rest = sum(0.5 * np.where(big, c, 1.0) for j, c in enumerate(bs) if j != i)
                hs = np.where(big, half, 1.0)
                ratio = (0.5 * b) / hs
                # a ratio below 1e-300 may have underflowed: the logs' difference, |log| > 690 beside both
                far = np.where(ratio > 1e-300, np.log(ratio), (np.log(b) - _LOG2) - np.log(hs))  # b/2 of a subnormal b may be 0
                log_ratio = np.where(0.5 * b > rest, np.log1p(-rest / hs), far)
                parts.append(np.where(big, b * log_ratio + lgamma_rem(b, loggamma), 0.0))
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
