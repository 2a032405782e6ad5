r"""wtrigamma_diff(w, x, d₁, …, d_k) = w·(ψ′(x) − ψ′(x + d₁ + … + d_k)) and wtrigamma_of_sum(w, x₁, …, x_n) =
w·ψ′(x₁ + … + x_n): the parts of the Beta/Dirichlet gradients ∂/∂α₁ⱼ (rule ``trigamma differences``,
:mod:`symce.numeric.rewrite_trigamma_diff`).

ψ′(x) − ψ′(x + d) as two trigammas loses every digit where d ≪ x and is ∞ − ∞ where both overflow; the
difference is a sum of parts that are all ≥ 0 (kernel: :mod:`symce.numeric.impl.trigamma_diff`). The weight
is an argument because the difference underflows where the product does not (d/x² at x = 1.8e308 times
w = 9e307). The d's are the other parameters, passed one by one: their sum overflows where two of them are
near DBL_MAX, and the kernel then takes it from eighths — likewise the sum in wtrigamma_of_sum.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction


class wtrigamma_diff(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """w·(ψ′(x) − ψ′(x + d₁ + … + d_k)) for x > 0, dᵢ ≥ 0."""

    @classmethod
    def eval(cls, *args):
        if len(args) < 3:
            raise TypeError("wtrigamma_diff takes (w, x, d_1, …, d_k)")
        if args[0].is_zero:
            return sp.S.Zero

    def elementary(self):
        w, x, *ds = self.args
        return w * (sp.polygamma(1, x) - sp.polygamma(1, x + sp.Add(*ds)))

    def fdiff(self, argindex=1):
        w, x, *ds = self.args
        big = x + sp.Add(*ds)
        if argindex == 1:
            return sp.polygamma(1, x) - sp.polygamma(1, big)
        if argindex == 2:
            return w * (sp.polygamma(2, x) - sp.polygamma(2, big))
        return -w * sp.polygamma(2, big)

    def lowering(self, names):
        """(numpy kernel, its arguments) for the code generator (numpy, math; torch and jax bridge it)."""
        from symce.numeric.impl.trigamma_diff import wtrigamma_diff as kernel

        return kernel, self.args


class wtrigamma_of_sum(StableFunction):  # noqa: N801
    """w·ψ′(x₁ + … + x_n), the sum taken by the kernel (from halves where it overflows)."""

    @classmethod
    def eval(cls, *args):
        if len(args) < 2:
            raise TypeError("wtrigamma_of_sum takes (w, x_1, …, x_n)")
        if args[0].is_zero:
            return sp.S.Zero

    def elementary(self):
        w, *xs = self.args
        return w * sp.polygamma(1, sp.Add(*xs))

    def fdiff(self, argindex=1):
        w, *xs = self.args
        if argindex == 1:
            return sp.polygamma(1, sp.Add(*xs))
        return w * sp.polygamma(2, sp.Add(*xs))

    def lowering(self, names):
        from symce.numeric.impl.trigamma_diff import wtrigamma_of_sum as kernel

        return kernel, self.args


__all__ = ["wtrigamma_diff", "wtrigamma_of_sum"]
