r"""sigmoid_var_mix(a, c₁, c₂) = σ(a)σ(−a)·(σ(a)·c₁ + σ(−a)·c₂): the Bernoulli-logit Hessians written in the
probabilities, σ²σ′c₁ + σσ′²c₂ (∂²/∂z₁² of KL(σ(z₁) ‖ σ(z₂)): c₁ = 1 + z₂ − z₁, c₂ = 1 + z₁ − z₂).

As a chain of weighted products each σ (≤ 2 ULP in float64), each product and the sum round: 4–5 units at
z₁ = −9.83. The kernel (:mod:`symce.numeric.impl.sigmoid_mix`) takes e = e^{−|a|}, σ(|a|) = 1/(1 + e),
σ(−|a|) = e/(1 + e) and σσ′ = e/(1 + e)² in long double and rounds once; c₁ and c₂ arrive rounded (the
compensated sums of the logits). Both terms of the bracket keep their signs, so where they cancel (a zero of
the Hessian) the error is that of c₁, c₂ relative to the terms."""

from __future__ import annotations

import sympy as sp

from symce.core.special import sigmoid
from symce.numeric.functions.base import StableFunction


class sigmoid_var_mix(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """σ(a)σ(−a)(σ(a)c₁ + σ(−a)c₂), arguments (a, c₁, c₂)."""

    nargs = 3

    @classmethod
    def eval(cls, a, c1, c2):
        if c1.is_zero and c2.is_zero:
            return sp.S.Zero

    def elementary(self):
        a, c1, c2 = self.args
        s, t = 1 / (1 + sp.exp(-a)), 1 / (1 + sp.exp(a))
        return s * t * (s * c1 + t * c2)

    def fdiff(self, argindex=1):
        a, c1, c2 = self.args
        s, t = sigmoid(a), sigmoid(-a)
        if argindex == 1:  # σ′ = σσ(−a): d/da of c₁σ²σ′ + c₂σσ′²
            return s * t * (c1 * s * (2 * t - s) + c2 * t * (t - 2 * s))
        return s * t * (s if argindex == 2 else t)

    def lowering(self, names):
        """(numpy kernel, its arguments): the long-double kernel (the torch backend bridges it)."""
        from symce.numeric.impl.sigmoid_mix import sigmoid_var_mix_numpy

        return sigmoid_var_mix_numpy, self.args


__all__ = ["sigmoid_var_mix"]
