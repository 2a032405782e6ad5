"""wtanh(w, a) = w·tanh(a/2) = w·(σ(a) − σ(−a)): the sigmoid difference of the Bernoulli-logit Hessian in z.

tanh(a/2) loses a subnormal a: a/2 rounds (to 0 at a = 5e-324) and so does the subnormal tanh, while the
weighted product w·tanh(a/2) may be hundreds of subnormal units (CE ∂²/∂z² at z = p = 5e-324 is −4.6e-322).
Where |a| < 2⁻¹⁰⁰⁰ (tanh(a/2) = a/2 to 2⁻²⁰⁰¹ relative) the kernel takes (w/2)·a, one rounding; elsewhere
w·tanh(a/2)."""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction


class wtanh(StableFunction):  # noqa: N801
    """w·tanh(a/2), the weight multiplied before the (possibly subnormal) tanh rounds."""

    nargs = 2

    @classmethod
    def eval(cls, w, a):
        if w.is_zero or a.is_zero:
            return sp.S.Zero

    def elementary(self):
        w, a = self.args
        return w * sp.tanh(a / 2)

    def fdiff(self, argindex=1):
        w, a = self.args
        if argindex == 1:
            return sp.tanh(a / 2)
        return w * (1 - sp.tanh(a / 2) ** 2) / 2


__all__ = ["wtanh"]
