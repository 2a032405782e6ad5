r"""dirichlet_xent(x₁…x_K, b₁…b_K) = log B(b) + Σᵢ (bᵢ − 1)(ψ(X) − ψ(xᵢ)), X = Σ xᵢ: the cross-entropy
E_{Dir(x)}[−log Dir(y; b)] of two Dirichlet (K = 2: Beta) densities (Penny 2001, E[log yᵢ] = ψ(xᵢ) − ψ(X)), and
the Dirichlet entropy for b = x.

As the separate terms log_beta(b) + Σ (bᵢ − 1)·psi_diff(xᵢ, X − xᵢ) it is ∞ − ∞ = NaN where log B(b) ≈ −S log K
and a term (bᵢ − 1)·D ≈ +1e308·D overflow in opposite directions (b = (1.8e308, 1.8e308): the CE is +∞), where
the others' sum X − xᵢ overflows (1.8e308 + 1e300: ψ(X) − ψ(30) = 706, not +∞), and where D ≈ 1/xᵢ overflows for
a subnormal xᵢ beside a weight |bᵢ − 1| < 1 that keeps the product finite. Kernel:
:mod:`symce.numeric.impl.dirichlet_xent`.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.digamma_diff import psi_diff
from symce.numeric.functions.logits import PairedFunction


class dirichlet_xent(PairedFunction):  # noqa: N801 - SymPy function classes are lower case
    """log B(b) + Σᵢ (bᵢ − 1)(ψ(Σ x) − ψ(xᵢ)) for xᵢ, bᵢ > 0, arguments (x₁…x_K, b₁…b_K), K ≥ 2."""

    halves = ("x", "b")

    def elementary(self):
        x, b = self.pair()
        big_x, big_b = sp.Add(*x), sp.Add(*b)
        log_b = sp.Add(*[sp.loggamma(v) for v in b]) - sp.loggamma(big_b)
        return log_b + sp.Add(*[(bi - 1) * (sp.polygamma(0, big_x) - sp.polygamma(0, xi)) for xi, bi in zip(x, b)])

    def fdiff(self, argindex=1):
        x, b = self.pair()
        k = self.k
        big_x, big_b = sp.Add(*x), sp.Add(*b)
        if argindex <= k:
            j = argindex - 1
            return (big_b - k) * sp.polygamma(1, big_x) - (b[j] - 1) * sp.polygamma(1, x[j])
        j = argindex - k - 1
        return psi_diff(x[j], big_x - x[j]) - psi_diff(b[j], big_b - b[j])


__all__ = ["dirichlet_xent"]
