r"""Stirling's parts at a sum S = x₁ + … + x_n of positive arguments, taking the parts themselves:

* ``log_sum(x₁, …)`` = log S;
* ``lgamma_rem_sum(x₁, …)`` = h(S) = log Γ(S) − S log S + S;
* ``wdigamma_rem_sum(c, x₁, …)`` = (S + c)·h′(S), h′ = ψ − log;
* ``wdigamma_rem_gap(x₁, …, x_K)`` = (S − K)·h′(S) − Σ (xᵢ − 1)·h′(xᵢ), the entropies' ψ terms gathered;
* ``wtrigamma_sum(c, x₁, …)`` = (S + c)·ψ′(S + 1), the entropies' gradients after the polygamma shift.

The Beta and Dirichlet entropies, split at Stirling's form (rule ``Stirling split``), keep the normaliser's
parts at α₀ = Σ αᵢ as (α₀ − K)·h′(α₀) − K log α₀ − h(α₀). Where α₀ overflows (α = (36, 1.8e308, 1e300): H =
−1069.56) α₀ − K and log α₀ are +∞, h′(α₀) is −0 and h(α₀) is −∞: ∞·0 and ∞ − ∞ give NaN. With the parts
as arguments the kernels (:mod:`symce.numeric.impl.gamma_sum`) take S/2 = Σ xᵢ/2 instead: log S = log(S/2)
+ log 2, h(S) = ½ log(2π/S) and S·h′(S) = −½ − 1/(12S) to double precision there.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction
from symce.numeric.functions.gamma import _Cancelling, digamma_rem


class log_sum(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """log(x₁ + … + x_n) for xᵢ > 0."""

    def elementary(self):
        return sp.log(sp.Add(*self.args))

    def fdiff(self, argindex=1):
        return 1 / sp.Add(*self.args)


class lgamma_rem_sum(_Cancelling):  # noqa: N801
    """h(x₁ + … + x_n), h(x) = log Γ(x) − x log x + x."""

    def elementary(self):
        s = sp.Add(*self.args)
        return sp.loggamma(s) - s * sp.log(s) + s

    def fdiff(self, argindex=1):
        return digamma_rem(sp.Add(*self.args))


class wdigamma_rem_sum(_Cancelling):  # noqa: N801
    """(x₁ + … + x_n + c)·h′(x₁ + … + x_n), h′(x) = ψ(x) − log x; the first argument is c."""

    def elementary(self):
        c, s = self.args[0], sp.Add(*self.args[1:])
        return (s + c) * (sp.polygamma(0, s) - sp.log(s))

    def fdiff(self, argindex=1):
        c, s = self.args[0], sp.Add(*self.args[1:])
        if argindex == 1:
            return digamma_rem(s)
        return digamma_rem(s) + (s + c) * (sp.polygamma(1, s) - 1 / s)


class wdigamma_rem_gap(_Cancelling):  # noqa: N801
    """(S − K)·h′(S) − Σ (xᵢ − 1)·h′(xᵢ), S = x₁ + … + x_K, K the number of arguments.

    The Beta/Dirichlet entropy's ψ terms after the Stirling split. For a tiny xᵢ each piece carries a pole
    ±1/x (h′(x) = ψ(x + 1) − log x − 1/x, DLMF 5.5.2), and the poles sum to (K − 1) − Σ (S − xᵢ)/(xᵢS): each
    (S − xᵢ)/(xᵢS) ≥ 0, so they cancel by at most K/(K − 1) — but −1/xᵢ and K/S overflow apart for
    xᵢ < 5.6e-309 (α = β = 5e-324: −∞ − ∞ + ∞ = NaN, the entropy −∞). One function, so that the kernel can
    gather the poles (for the Beta entropy −(α² + β²)/(αβ(α + β)) + 1)."""

    def elementary(self):
        s, k = sp.Add(*self.args), len(self.args)
        h1 = lambda x: sp.polygamma(0, x) - sp.log(x)  # noqa: E731
        return (s - k) * h1(s) - sp.Add(*[(x - 1) * h1(x) for x in self.args])

    def fdiff(self, argindex=1):
        s, k, x = sp.Add(*self.args), len(self.args), self.args[argindex - 1]
        return (digamma_rem(s) + (s - k) * (sp.polygamma(1, s) - 1 / s)
                - digamma_rem(x) - (x - 1) * (sp.polygamma(1, x) - 1 / x))


class wtrigamma_sum(_Cancelling):  # noqa: N801
    """(x₁ + … + x_n + c)·ψ′(x₁ + … + x_n + 1); the first argument is c.

    The Beta/Dirichlet entropies' gradients hold (S − K)·ψ′(S) with S = Σ αᵢ ≈ 1 where S is large: where S
    overflows (α = (36, 1.8e308, 1e300)) that is ∞·0 from the sum itself. After the polygamma shift
    (ψ′(S) = ψ′(S + 1) + 1/S²) the kernel takes the parts (:mod:`symce.numeric.impl.gamma_sum`)."""

    def elementary(self):
        c, s = self.args[0], sp.Add(*self.args[1:])
        return (s + c) * sp.polygamma(1, s + 1)

    def fdiff(self, argindex=1):
        c, s = self.args[0], sp.Add(*self.args[1:])
        if argindex == 1:
            return sp.polygamma(1, s + 1)
        return sp.polygamma(1, s + 1) + (s + c) * sp.polygamma(2, s + 1)


__all__ = ["log_sum", "lgamma_rem_sum", "wdigamma_rem_sum", "wdigamma_rem_gap", "wtrigamma_sum"]
