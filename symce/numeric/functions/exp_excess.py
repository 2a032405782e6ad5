r"""scaled_expm1mx(a, s, t, q) = (a/s)·(e^{−t} − 1 + t) for a, s > 0, t ≥ 0, with q = a·t/s as the caller
computes it without overflow (diff_ratio): the Laplace KL's location part. Gil, Alajaji & Linder 2013's
KL(Laplace(μ₁, b₁) ‖ Laplace(μ₂, b₂)) = log(b₂/b₁) + (b₁e^{−|Δμ|/b₁} + |Δμ|)/b₂ − 1 splits exactly into
(r − 1 − log r) + r·(e^{−t} − 1 + t) with r = b₁/b₂, t = |Δμ|/b₁: two terms ≥ 0. Summed as written,
|Δμ|/b₂ and b₁(e^{−t} − 1)/b₂ cancel to r·t²/2 for t ≪ 1 (5e-17 from terms of size 1e-8 at t = 1e-8).

Kernel (:mod:`symce.numeric.impl.exp_excess`): e^{−t} − 1 + t by its Taylor series for t < 1, t + expm1(−t)
beyond (cancels by less than e); the product with a/s from the mantissas and exponents (one rounding, no
overflow of a/s where the product is finite); q itself where t > 2⁵⁴ (r·(1 − e^{−t}) is then below half an
ulp of q, and t may have overflowed while q did not).
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction


class scaled_expm1mx(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """(a/s)·(e^{−t} − 1 + t), arguments (a, s, t, q) with q = a·t/s."""

    nargs = 4

    @classmethod
    def eval(cls, a, s, t, q):
        if t.is_zero:
            return sp.S.Zero

    def elementary(self):
        a, s, t, _ = self.args
        return a / s * (sp.exp(-t) - 1 + t)

    def fdiff(self, argindex=1):
        a, s, t, _ = self.args
        g = sp.exp(-t) - 1 + t
        return [g / s, -a * g / s**2, a / s * (1 - sp.exp(-t)), sp.S.Zero][argindex - 1]

    def lowering(self, names):
        """(numpy kernel, its arguments)."""
        from symce.numeric.impl.exp_excess import scaled_expm1mx_numpy

        return scaled_expm1mx_numpy, self.args


__all__ = ["scaled_expm1mx"]
