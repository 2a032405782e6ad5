r"""psi_diff(x, d) = ψ(x + d) − ψ(x) ≥ 0 for d ≥ 0: the ψ terms of the Beta/Dirichlet cross-entropy and the
Dirichlet entropy, Σ cᵢψ(xᵢ) − (Σ cᵢ)ψ(S) = −Σ cᵢ·psi_diff(xᵢ, S − xᵢ) (S = Σ xⱼ, S − xᵢ the others' sum).

As separate terms, (1 − α₂)ψ(α₁) + (α₂ + β₂ − 2)ψ(α₁ + β₁) is ∞ − ∞ where ψ(α₁) ≈ −1/α₁ is huge and the
coefficients are huge too (α₁ = 2e-308, α₂ = 2e296: CE(Beta) is +∞, the sum NaN); each difference is ≥ 0
and finite or +∞ on its own. Kernel: :mod:`symce.numeric.impl.digamma_diff`.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction


class psi_diff(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """ψ(x + d) − ψ(x) for x > 0, d ≥ 0."""

    nargs = 2

    def elementary(self):
        x, d = self.args
        return sp.polygamma(0, x + d) - sp.polygamma(0, x)

    def fdiff(self, argindex=1):
        x, d = self.args
        if argindex == 1:
            return sp.polygamma(1, x + d) - sp.polygamma(1, x)
        return sp.polygamma(1, x + d)

    def lowering(self, names):
        """(numpy kernel, arguments): d as its parts where it is a sum (the Dirichlet's others' sum), whose
        half the kernel sums from halves: two parameters near DBL_MAX overflow d, not (x + d)/2 (∂/∂α₂ⱼ was
        −∞ for −706 at α₂ = (1.8e308, 30, 1.8e308))."""
        from symce.numeric.impl.digamma_diff import psi_diff_parts

        x, d = self.args
        return psi_diff_parts, (x, *sp.Add.make_args(d))


__all__ = ["psi_diff"]
