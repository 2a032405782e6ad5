r"""The two products with G = gamma_scaled(z, L) = e^L·Γ(z) in the Gumbel CE/KL gradients
(:mod:`symce.numeric.rewrite_gamma_scaled_grad`), r = z − 1 = β₁/β₂, L = (μ₂ − μ₁)/β₂:

* ``gamma_scaled_psi(z, L)`` = G·ψ(z) = ∂G/∂z (∂/∂β₁ = (G·ψ(1 + r) + γ)/β₂): 0·∞ = NaN in floats where r
  overflows (ψ(∞) = ∞) and G underflows to 0 (β₁ = 6.1e191, β₂ = 1.1e-268, μ₂ − μ₁ = −8.1e281: the value is
  γ/β₂ = 5.4e267);
* ``gamma_scaled_drift(z, L)`` = G·((z − 1)ψ(z) + L) − L (∂/∂β₂ = (1 − γr − drift)/β₂): its terms are
  ±∞ in floats where r or L overflow, while the value is +∞ (G = ∞: (z − 1)ψ(z) + L ≥ log G > 0, as log Γ is
  convex with log Γ(1) = 0, so log Γ(z) ≤ (z − 1)ψ(z)) or −L (G = 0).

Kernels (:mod:`symce.numeric.impl.gamma_scaled_grad`): G from the inputs with its exponent in double-double
(impl/gamma_excess.scaled_gumbel), 0 and ∞ of G taken exactly as above; for L ≥ 0 the drift is (G − 1)·L +
G·(z − 1)ψ(z) (no ∞ − ∞ where L = ∞), for L < 0 G·((z − 1)ψ(z) + L) − L.
"""

from __future__ import annotations

import functools

import sympy as sp

from symce.numeric.functions.base import StableFunction


def _gumbel_kernel(node, names, kernel):
    """(kernel bound to the inputs, (q, d, a, b)) where z = (d + q)/d and L = diff_ratio(a, b, d) in symbols;
    else the kernel of (z, L) with G as gamma_scaled's generic kernel."""
    from symce.numeric.functions.gamma import _gumbel_inputs, _weibull_inputs
    from symce.numeric.impl import gamma_scaled_grad as k

    weibull = _weibull_inputs(*node.args)  # the Weibull gradients (rewrite_weibull_grad.py)
    if weibull is not None:
        return functools.partial(getattr(k, kernel + "_weibull"), mu=names["lgamma_stirling"]), weibull
    inputs = _gumbel_inputs(*node.args)
    if inputs is None:
        return functools.partial(getattr(k, kernel + "_plain"), g=names["gamma_scaled"]), node.args
    return functools.partial(getattr(k, kernel), mu=names["lgamma_stirling"]), inputs


class gamma_scaled_psi(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """e^L·Γ(z)·ψ(z)."""

    nargs = 2

    def elementary(self):
        z, big_l = self.args
        return sp.exp(big_l) * sp.gamma(z) * sp.polygamma(0, z)

    def fdiff(self, argindex=1):
        z, big_l = self.args
        g = sp.exp(big_l) * sp.gamma(z)
        return g * (sp.polygamma(0, z) ** 2 + sp.polygamma(1, z)) if argindex == 1 else self

    def lowering(self, names):
        return _gumbel_kernel(self, names, "scaled_psi")


class gamma_scaled_drift(StableFunction):  # noqa: N801
    """e^L·Γ(z)·((z − 1)ψ(z) + L) − L."""

    nargs = 2

    def elementary(self):
        z, big_l = self.args
        return sp.exp(big_l) * sp.gamma(z) * ((z - 1) * sp.polygamma(0, z) + big_l) - big_l

    def fdiff(self, argindex=1):
        z, big_l = self.args
        g = sp.exp(big_l) * sp.gamma(z)
        w = (z - 1) * sp.polygamma(0, z) + big_l
        if argindex == 1:
            return g * (sp.polygamma(0, z) * w + sp.polygamma(0, z) + (z - 1) * sp.polygamma(1, z))
        return g * (w + 1) - 1

    def lowering(self, names):
        return _gumbel_kernel(self, names, "scaled_drift")


__all__ = ["gamma_scaled_psi", "gamma_scaled_drift"]
