r"""wdiv(w, v, x, n) = w·v/xⁿ for a weight w = σ(a) or softmax(a; z): the quotients of the logit families'
derivatives in their probability arguments, −softmax(z)_j/q_j (∂/∂q_j of the CE/KL of logits against
probabilities), σ(z)/p² and σ(−z)/(1 − p)² (∂²/∂p² of the Bernoulli-logit cross-entropy).

The weight rounds to a subnormal below e^{−708} and to 0 below e^{−745}, while the quotient need not be small:
softmax(745, 1e-8, 5e-324)₂ = 5e-324 over q₂ = 1.1e-16 read −4.45e-308 for −2.54e-308 (3.9e15 ULP), σ(−1400)/p²
at p = 1e-310 is 7e-9 where σ/p is subnormal. Divided in turn ((w·v)/x)/x… a subnormal intermediate rounds away
the digits; 1/x overflows for a subnormal x. The kernel (:mod:`symce.numeric.impl.weight_quotient`) gets the
logits and, where the weight, the product or the quotient leaves the normal range, takes the whole quotient in
one step in extended range.
"""

from __future__ import annotations

import functools

import sympy as sp

from symce.numeric.functions.base import StableFunction


class wdiv(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """w·v/xⁿ, arguments (w, v, x, n): w = σ(a) or softmax(a; z), n a positive integer."""

    nargs = 4

    @classmethod
    def eval(cls, w, v, x, n):
        if not (n.is_Integer and n > 0):
            raise TypeError("wdiv takes (w, v, x, n) with n a positive integer")
        if v.is_zero:
            return sp.S.Zero

    def elementary(self):
        w, v, x, n = self.args
        return w * v / x ** n

    def fdiff(self, argindex=1):
        w, v, x, n = self.args
        if argindex == 1:
            return v / x ** n
        if argindex == 2:
            return w / x ** n
        if argindex == 3:
            return -n * w * v / x ** (n + 1)
        raise sp.ArgumentIndexError(self, argindex)

    def lowering(self, names):
        """(numpy kernel, its arguments): the weight's logits after (w, v, x), for where w underflows."""
        from symce.numeric.impl import weight_quotient as kernels

        w, v, x, n = self.args
        kind, logits = _weight_logits(w)
        return functools.partial(kernels.wdiv_numpy, kind=kind, n=int(n)), (w, v, x, *logits)


def _weight_logits(w):
    """("sigmoid", (a,)) for σ(a), ("softmax", (a, z…)) for softmax(a; z), else (None, ())."""
    from symce.core.special import sigmoid
    from symce.numeric.functions.logits import softmax

    if isinstance(w, sigmoid):
        return "sigmoid", w.args
    if isinstance(w, softmax):
        return "softmax", w.args
    return None, ()


__all__ = ["wdiv"]
