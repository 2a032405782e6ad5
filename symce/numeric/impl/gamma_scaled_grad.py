"""Kernels of :mod:`symce.numeric.functions.gamma_scaled_grad`: G·ψ(z) and G·((z − 1)ψ(z) + L) − L with
G = e^L·Γ(z), from the Gumbel inputs (z = 1 + q/d, L = (a − b)/d) or from (z, L)."""

from __future__ import annotations

import mpmath
import numpy as np

from symce.numeric.impl.gamma_excess import _log_ratio_gumbel, _log_ratio_weibull, scaled_gumbel, scaled_weibull


def _arrays(*xs):
    return np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in xs])


def _psi_product(g, z):
    """G·ψ(z), 0 where G underflowed (ψ(z) ≤ log z: the product is below every float there)."""
    from scipy.special import digamma  # here, not at import: scipy.special costs ~0.3 s of `import symce`

    with np.errstate(all="ignore"):
        out = np.where(g == 0.0, 0.0, g * digamma(z))
    return np.where(np.isnan(g) | np.isnan(z), np.nan, out)


def _drift(g, r, big_l):
    """G·(rψ(1 + r) + L) − L: +∞ where G = ∞, −L where G = 0; (G − 1)L + G·rψ(1 + r) for L ≥ 0 (L = ∞
    with G = ∞ was ∞ − ∞), G·(rψ(1 + r) + L) − L for L < 0 (rψ(1 + r) + L > 0 where G > 1)."""
    from scipy.special import digamma

    with np.errstate(all="ignore"):
        c = np.where(r == 0.0, 0.0, r * digamma(1.0 + r))
        pos = (g - 1.0) * big_l + g * c
        neg = g * (c + big_l) - big_l
        out = np.where(big_l >= 0, pos, neg)
        out = np.where(g == 0.0, -big_l, np.where(np.isinf(g), np.inf, out))
    return np.where(np.isnan(g) | np.isnan(r) | np.isnan(big_l), np.nan, out)


def _finish(out):
    out = np.asarray(out, dtype=np.float64)
    return out[()] if out.ndim == 0 else out


def scaled_psi(q, d, a, b, *, mu):
    q, d, a, b = _arrays(q, d, a, b)
    with np.errstate(all="ignore"):
        z = 1.0 + q / d
    return _finish(_psi_product(scaled_gumbel(q, d, a, b, mu=mu), z))


def scaled_drift(q, d, a, b, *, mu):
    q, d, a, b = _arrays(q, d, a, b)
    with np.errstate(all="ignore"):
        r = q / d
    big_l = _log_ratio_gumbel(a, b, d)[0]
    return _finish(_drift(scaled_gumbel(q, d, a, b, mu=mu), r, big_l))


def scaled_psi_weibull(q, d, k, u, v, *, mu):
    """The Weibull inputs (L = k(log u − log v)): G with the sign of an ∞ − ∞ exponent resolved
    (impl/gamma_excess.scaled_weibull: z = ∞ against L = −∞ at k₁ = 1e-17, k₂ = 1.8e308)."""
    q, d, k, u, v = _arrays(q, d, k, u, v)
    with np.errstate(all="ignore"):
        z = 1.0 + q / d
    return _finish(_psi_product(scaled_weibull(q, d, k, u, v, mu=mu), z))


def scaled_drift_weibull(q, d, k, u, v, *, mu):
    q, d, k, u, v = _arrays(q, d, k, u, v)
    with np.errstate(all="ignore"):
        r = q / d
    big_l = _log_ratio_weibull(k, u, v)[0]
    return _finish(_drift(scaled_weibull(q, d, k, u, v, mu=mu), r, big_l))


def scaled_psi_plain(z, big_l, *, g):
    z, big_l = _arrays(z, big_l)
    return _finish(_psi_product(np.asarray(g(z, big_l), dtype=np.float64), z))


def scaled_drift_plain(z, big_l, *, g):
    z, big_l = _arrays(z, big_l)
    return _finish(_drift(np.asarray(g(z, big_l), dtype=np.float64), z - 1.0, big_l))


def _mp(f):
    def run(z, big_l):
        with mpmath.workprec(mpmath.mp.prec + 64):  # G·(…) − L cancels where G ≈ 1 (near P = Q)
            v = f(mpmath.mpf(z), mpmath.mpf(big_l))
        return +v
    return run


MPMATH = {
    "gamma_scaled_psi": _mp(lambda z, big_l: mpmath.exp(big_l) * mpmath.gamma(z) * mpmath.digamma(z)),
    "gamma_scaled_drift": _mp(lambda z, big_l: mpmath.exp(big_l) * mpmath.gamma(z)
                              * ((z - 1) * mpmath.digamma(z) + big_l) - big_l),
}

__all__ = ["scaled_psi", "scaled_drift", "scaled_psi_weibull", "scaled_drift_weibull", "scaled_psi_plain", "scaled_drift_plain",
           "MPMATH"]
