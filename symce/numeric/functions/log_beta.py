r"""log_beta(b₁, …, b_K) = Σ log Γ(bᵢ) − log Γ(b₁ + … + b_K), the log of the multivariate Beta function:
the log B(β) term of the Beta/Dirichlet cross-entropy (Penny 2001) and of the Dirichlet entropy.

As separate terms log Γ(β₁) + log Γ(β₂) − log Γ(β₁ + β₂) is ∞ − ∞ where an argument or the sum is near
1.8e308 (log Γ overflows there, log B(1e300, 1.8e308) ≈ −2e301 does not), and loses the digits of
log Γ(β₁) ≈ β₁ log β₁ where one argument dominates. Kernel: :mod:`symce.numeric.impl.log_beta`.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction


class log_beta(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """Σ log Γ(bᵢ) − log Γ(Σ bᵢ) for bᵢ > 0 (two or more arguments)."""

    def elementary(self):
        return sp.Add(*[sp.loggamma(b) for b in self.args]) - sp.loggamma(sp.Add(*self.args))

    def fdiff(self, argindex=1):
        return sp.polygamma(0, self.args[argindex - 1]) - sp.polygamma(0, sp.Add(*self.args))


__all__ = ["log_beta"]
