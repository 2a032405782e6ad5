r"""wdiv(w, v, x, n) = w·v/xⁿ for a weight w = σ(a) or softmax(a; z): the quotients of the logit families'
derivatives in their probability arguments, −softmax(z)_j/q_j (∂/∂q_j of the CE/KL of logits against
probabilities), σ(z)/p² and σ(−z)/(1 − p)² (∂²/∂p² of the Bernoulli-logit cross-entropy).

The weight rounds to a subnormal below e^{−708} and to 0 below e^{−745}, while the quotient need not be small:
softmax(745, 1e-8, 5e-324)₂ = 5e-324 over q₂ = 1.1e-16 read −4.45e-308 for −2.54e-308 (3.9e15 ULP), σ(−1400)/p²
at p = 1e-310 is 7e-9 where σ/p is subnormal. Divided in turn ((w·v)/x)/x… a subnormal intermediate rounds away
the digits; 1/x overflows for a subnormal x. The kernel (:mod:`symce.numeric.impl.weight_quotient`) gets the
logits and, where the weight, the product or the quotient leaves the normal range, takes the whole quotient in
one step in extended range.

wscale(w, v, c) = c·w·v for such a weight and a number c: the count coefficients of the Multinomial-logit
gradients (12·s₁·(s₂·log_gap(…)), 48·s₃·s₁·s₂²·(…)), which the code generator hands to the kernel with the product
(:mod:`symce.numeric.codegen`, as it does n·prob_logit_kl): c times the product rounded to a subnormal multiplies
its rounding error by c (KL(multinomial-logits ‖ multinomial) ∂/∂z₁ at 6.3e-321: 5 units from 12·(½ unit)), and
an outer weight of a chain c·w₁·(w₂·(…·v)) scales an inner subnormal product's; the kernel takes the chain and c
in one step where a weight or partial product leaves the normal range, one rounding.
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


class wscale(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """c·w·v, arguments (w, v, c): w = σ(a) or softmax(a; z), c a number."""

    nargs = 3

    @classmethod
    def eval(cls, w, v, c):
        if not c.is_number:
            raise TypeError("wscale takes (w, v, c) with c a number")
        if v.is_zero or c.is_zero:
            return sp.S.Zero

    def elementary(self):
        w, v, c = self.args
        return c * w * v

    def fdiff(self, argindex=1):
        w, v, c = self.args
        if argindex == 1:
            return c * v
        if argindex == 2:
            return c * w
        if argindex == 3:
            return w * v
        raise sp.ArgumentIndexError(self, argindex)

    def lowering(self, names):
        """(numpy kernel, its arguments): c·w₁·(w₂·(…·v)) for v a chain of weighted products as one call —
        (v, w₁ … w_n, the logits of each) — since a subnormal inner product rounds before an outer weight and c
        scale it (24·s₃·(s₂·…) at s₂ = e^{−745}/2: 5 units); c as a numerator and denominator (a rational c as
        one float would round)."""
        from symce.numeric.functions.elementary import wprod
        from symce.numeric.impl import weight_quotient as kernels

        w, v, c = self.args
        weights = [w]
        while isinstance(v, wprod) and _weight_logits(v.args[0])[0] is not None:
            weights.append(v.args[0])
            v = v.args[1]
        kinds, logits = zip(*[_weight_logits(u) for u in weights])
        num, den = sp.fraction(sp.nsimplify(c))
        fn = functools.partial(kernels.wscale_numpy, kinds=kinds, sizes=tuple(len(lg) for lg in logits),
                               num=int(num), den=int(den))
        return fn, (v, *weights, *[a for lg in logits for a in lg])


def _weight_logits(w):
    """("sigmoid", (a,)) for σ(a), ("softmax", (a, z…)) for softmax(a; z), else (None, ())."""
    from symce.core.special import sigmoid
    from symce.numeric.functions.logits import softmax

    if isinstance(w, sigmoid):
        return "sigmoid", w.args
    if isinstance(w, softmax):
        return "softmax", w.args
    return None, ()


__all__ = ["wdiv", "wscale"]
