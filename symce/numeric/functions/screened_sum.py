r"""screened_sum(t₁, …, t_k) = t₁ + … + t_k: terms that are each within an ULP or two of themselves but whose
sum crosses 0 — the Gamma, inverse-gamma and χ² cross-entropies after their split (rewrite_gamma_xent:
c·ν(y) + e·μ′(x) + an exactly rounded log sum). Near the zero their sum keeps the terms' absolute errors
(≈ 2⁻⁵⁴·Σ|tᵢ|): CE(Gamma) at α₁ = 33, β₁ = 1e300, α₂ = β₂ = 1 is 3.3e-299 where ν(1) ≈ −0.081 rounded and the
log sum's exact +0.081 + 3.3e-299 left 0. Kernel: the terms summed as if in 3-fold precision, and the
elements where |Σ| < Σ|tᵢ|/8 recomputed from the definition in mpmath (:mod:`symce.numeric.impl.screened_sum`),
the pattern of impl/dirichlet_xent.py's cancelled elements.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction, to_elementary


class screened_sum(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """t₁ + … + t_k, recomputed exactly where the terms cancel (module docstring)."""

    @classmethod
    def eval(cls, *ts):
        if len(ts) == 1:
            return ts[0]

    def elementary(self):
        return sp.Add(*self.args)

    def fdiff(self, argindex=1):
        return sp.S.One

    def lowering(self, names):
        """(numpy kernel bound to the definition, its arguments: the inputs, then the terms) for the code
        generator; the other backends print the plain sum (impl/arrays, impl/mp)."""
        from symce.numeric.impl.screened_sum import screened_sum_kernel

        args = tuple(sorted(self.free_symbols, key=sp.default_sort_key))
        return screened_sum_kernel(to_elementary(sp.Add(*self.args)), args), args + self.args


__all__ = ["screened_sum"]
