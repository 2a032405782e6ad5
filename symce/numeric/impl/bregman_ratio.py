"""B(y, x) = stirling_bregman(y, x) where y = cY, x = cX are constant multiples of inputs (χ²'s ν/2), given
the unscaled inputs Y, X and ρ = (Y − X)/X correctly rounded (numeric/differences.scaled_ratio).

Below 2⁻¹⁰²⁰ the scaled arguments are subnormal and cY, cX lose the bits that tell them apart: at
ν₁ = 2⁻¹⁰²², ν₂ = 2⁻¹⁰²² + 2⁻¹⁰⁷⁴ both halves round to 2⁻¹⁰²³ and y − x to 0, while B ≈ ρ²/2 = 2.5·10⁻³²
(the χ² KL was −3.5·10⁻³²², 4·10¹⁸ ULP). For x, y ≤ 1 the kernel's far form (gamma_kernels._small_far, from
h″(t) = 1/t² − 1/t + ψ′(t + 1)) is

    B(y, x) = (r − 1 − log r) − kl_div(y, x) + (y − x)²·∫₀¹ (1 − s) ψ′(x + s(y − x) + 1) ds,

whose first term depends on the ratio alone (scale-free: r and ρ are exact to rounding), and whose other two
are at most O(x + y) relative to it, so their scaled (rounded) arguments cost nothing visible there.
Elsewhere the plain kernel's value.
"""

from __future__ import annotations

import numpy as np

from symce.numeric.impl.arrays import elementwise
from symce.numeric.impl.gamma_kernels import _gauss, _xp

_SUBNORMAL = 2.0 ** -1020


def stirling_bregman_ratio(y, x, d, big_y, big_x, rho, *, base):
    """B(y, x) from the scaled y, x, their difference d, the unscaled inputs Y, X and ρ = (Y − X)/X;
    ``base`` is the plain kernel stirling_bregman(y, x, d)."""
    out = np.asarray(base(y, x, d), dtype=np.float64)
    arrs = np.broadcast_arrays(*[np.asarray(a, dtype=np.float64) for a in (y, x, d, big_y, big_x, rho)])
    y, x, d, big_y, big_x, rho = arrs
    use = ((np.minimum(x, y) < _SUBNORMAL) & (np.maximum(x, y) <= 1.0) & (x >= 0) & (y >= 0)
           & (big_x > 0) & (big_y > 0) & np.isfinite(big_x) & np.isfinite(big_y) & np.isfinite(rho))
    if not np.any(use):
        return out
    from scipy.special import polygamma

    yu, xu, du, rhou = y[use], x[use], d[use], rho[use]
    with np.errstate(all="ignore"):
        # log r from the quotient where it is a normal float, else log Y − log X (a subnormal or overflowing
        # Y/X has lost its digits: 1e-315/0.3)
        ru = big_y[use] / big_x[use]
        log_r = np.where((ru >= 2.0 ** -1000) & (ru <= 2.0 ** 1000), np.log(ru),
                         np.log(big_y[use]) - np.log(big_x[use]))
        # r − 1 − log r = −log1pmx(ρ) near r = 1 (no cancellation), ρ − log r from the ratio elsewhere
        # (1 + ρ loses ρ's digits as r → 0)
        main = np.where(np.abs(rhou) <= 0.5, -elementwise.log1pmx(_xp(), rhou), rhou - log_r)
        # kl_div(y, x) = y log r − y + x: O(x + y) beside the main term here, and finite where x rounded to 0
        kl = yu * log_r - yu + xu
        s_nodes, w = _gauss(12)
        acc = np.zeros_like(xu)
        for s, wi in zip(s_nodes, w):
            acc = acc + wi * (1 - s) * polygamma(1, xu + s * du + 1.0)
        value = main - kl + du * du * acc
    out = np.array(np.broadcast_to(out, use.shape), dtype=np.float64)
    out[use] = value
    return out
