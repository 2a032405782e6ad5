r"""sin(a − b) and sin((a − b)/2) of two angles as functions of the two: the rounded difference of angles far
apart in magnitude loses the angle itself (μ₁ = −4.2e199, μ₂ = 1.2e124: fl(μ₁ − μ₂) = μ₁, so sin(fl(μ₁ − μ₂))
= 0.75 where sin(μ₁ − μ₂) = −0.016), the case of the von Mises KL's derivatives in μ and κ₂. The kernel
(:func:`symce.numeric.impl.arrays.vonmises._sin_half_diff`) takes sin of the difference where it is exact,
sin(a)cos(b) − cos(a)sin(b) where it is not, and the rare elements where those products cancel exactly from
a − b at 2200 bits.
"""

from __future__ import annotations

import functools

import sympy as sp

from symce.numeric.functions.base import StableFunction


class _AngleDiff(StableFunction):
    nargs = 2
    h = sp.S.One

    @classmethod
    def eval(cls, a, b):
        if a == b:
            return sp.S.Zero

    def elementary(self):
        a, b = self.args
        return sp.sin(self.h * (a - b))

    def fdiff(self, argindex=1):
        a, b = self.args
        d = self.h * sp.cos(self.h * (a - b))  # not cancellation-prone: a rounded angle, an absolute error
        return d if argindex == 1 else -d

    def lowering(self, names):
        """The mpmath kernel for the mpmath backend (registered by name too: impl.arrays.vonmises.MPMATH), the
        numpy kernel for the others (torch bridges it)."""
        from symce.numeric.impl.arrays import vonmises as kernels
        from symce.numeric.impl.vonmises_grad import MP_VONMISES_KL, numpy_namespace

        h = float(self.h)
        if names.get("vonmises_kl") is MP_VONMISES_KL:
            return functools.partial(kernels.mp_sin_diff, h=h), self.args
        return functools.partial(_np_sin_diff, kernels._sin_half_diff, numpy_namespace(), h=h), self.args


class sin_diff(_AngleDiff):  # noqa: N801 - SymPy function classes are lower case
    """sin(a − b)."""


class sin_half_diff(_AngleDiff):  # noqa: N801
    """sin((a − b)/2)."""

    h = sp.S.Half


def _np_sin_diff(kernel, xp, a, b, h):
    import numpy as np

    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    with np.errstate(all="ignore"):
        return kernel(xp, a, b, h)


__all__ = ["sin_diff", "sin_half_diff"]
