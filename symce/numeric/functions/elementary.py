r"""The elementwise stable functions: logarithms and products whose plain float64 form overflows, rounds to
0 or cancels — softplus(x) = log(1 + eˣ), log σ(x), x·log y and x·log(1 + y) with 0·log 0 = 0, logsumexp,
log1pmx(x) = log(1 + x) − x, log1pmx_ratio, kl_div(x, y) = x log(x/y) − x + y, (a − b)/s, log x + c,
compensated sums, log(1 + x), and the weighted product w·v of a positive weight w = σ(a) or softmax(a; z).
"""

from __future__ import annotations

import sympy as sp

from symce.core.special import sigmoid
from symce.numeric.functions.base import StableFunction


class softplus(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """softplus(x) = log(1 + e^x)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.log(2)
        if x is sp.oo:
            return sp.oo
        if x is sp.S.NegativeInfinity:
            return sp.S.Zero

    def elementary(self):
        return sp.log(1 + sp.exp(self.args[0]))

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None


class log_sigmoid(StableFunction):  # noqa: N801
    """log σ(x) = −log(1 + e^{−x}) = −softplus(−x)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return -sp.log(2)

    def elementary(self):
        return -sp.log(1 + sp.exp(-self.args[0]))

    def fdiff(self, argindex=1):
        return sigmoid(-self.args[0])

    def _eval_is_negative(self):
        return True if self.args[0].is_real else None


class xlogy(StableFunction):  # noqa: N801
    """x·log y, defined as 0 where x = 0 (so 0·log 0 = 0)."""

    nargs = 2

    @classmethod
    def eval(cls, x, y):
        if x.is_zero:
            return sp.S.Zero
        if y == 1:
            return sp.S.Zero

    def elementary(self):
        x, y = self.args
        return x * sp.log(y)

    def fdiff(self, argindex=1):
        x, y = self.args
        return sp.log(y) if argindex == 1 else x / y


class xlog1py(StableFunction):  # noqa: N801
    """x·log(1 + y), defined as 0 where x = 0."""

    nargs = 2

    @classmethod
    def eval(cls, x, y):
        if x.is_zero or y.is_zero:
            return sp.S.Zero

    def elementary(self):
        x, y = self.args
        return x * sp.log(1 + y)

    def fdiff(self, argindex=1):
        x, y = self.args
        return sp.log(1 + y) if argindex == 1 else x / (1 + y)


class logsumexp(StableFunction):  # noqa: N801
    """log Σ_i e^{x_i} for any number of arguments (evaluated with an exact max-shift)."""

    @classmethod
    def eval(cls, *xs):
        if len(xs) == 0:
            return sp.S.NegativeInfinity
        if len(xs) == 1:
            return xs[0]

    def elementary(self):
        return sp.log(sp.Add(*[sp.exp(x) for x in self.args]))

    def fdiff(self, argindex=1):
        # ∂/∂x_i = softmax_i = e^{x_i − lse}
        return sp.exp(self.args[argindex - 1] - self)


class log1pmx(StableFunction):  # noqa: N801
    """log(1 + x) − x (≤ 0, ≈ −x²/2 near 0)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.S.Zero

    def elementary(self):
        x = self.args[0]
        return sp.log(1 + x) - x

    def fdiff(self, argindex=1):
        x = self.args[0]
        return -x / (1 + x)


class log1pmx_ratio(StableFunction):  # noqa: N801
    """log(a/b) − a/b + 1 = log1pmx(a/b − 1) for a, b > 0; evaluated from the exact difference a − b."""

    nargs = 2

    @classmethod
    def eval(cls, a, b):
        if a == b:
            return sp.S.Zero

    def elementary(self):
        a, b = self.args
        return sp.log(a) - sp.log(b) - a / b + 1

    def fdiff(self, argindex=1):
        a, b = self.args
        return 1 / a - 1 / b if argindex == 1 else (a - b) / b**2


class kl_div(StableFunction):  # noqa: N801
    """x·log(x/y) − x + y (≥ 0 for x, y ≥ 0; 0 where x = 0 and y = 0). scipy.special.kl_div."""

    nargs = 2

    @classmethod
    def eval(cls, x, y):
        if x == y:
            return sp.S.Zero

    def elementary(self):
        x, y = self.args
        # log x − log y rather than log(x/y): identical for x, y > 0, and proofs then need no expand_log
        # (sympy.expand would expand the quotient inside the log argument instead)
        return x * (sp.log(x) - sp.log(y)) - x + y

    def fdiff(self, argindex=1):
        x, y = self.args
        return sp.log(x / y) if argindex == 1 else 1 - x / y


class diff_ratio(StableFunction):  # noqa: N801
    """(a − b)/s, evaluated without the intermediate overflow of a − b."""

    nargs = 3

    def elementary(self):
        a, b, s = self.args
        return (a - b) / s

    def fdiff(self, argindex=1):
        a, b, s = self.args
        return [1 / s, -1 / s, -(a - b) / s**2][argindex - 1]


class log_offset(StableFunction):  # noqa: N801
    """log x + c for a constant c, which cancels near its zero x = e^{−c}. There the numpy kernel takes
    log(x·e^c) with e^c a double-double and the product's rounding put back after the logarithm (TwoProd);
    the torch and array kernels log1p((x − e^{−c})/e^{−c}) with e^{−c} a double-double."""

    nargs = 2

    def elementary(self):
        x, c = self.args
        return sp.log(x) + c

    def fdiff(self, argindex=1):
        x, c = self.args
        return 1 / x if argindex == 1 else sp.S.One


class fsum(StableFunction):  # noqa: N801
    """x₁ + x₂ + … evaluated with compensated (Neumaier) summation: the Σ(p_i − q_i) remainder of a KL
    over float inputs that are only approximately on the simplex."""

    @classmethod
    def eval(cls, *xs):
        if len(xs) == 1:
            return xs[0]

    def elementary(self):
        return sp.Add(*self.args)

    def fdiff(self, argindex=1):
        return sp.S.One


class log1p(StableFunction):  # noqa: N801
    """log(1 + x) (the factor of a positive weight in :class:`wprod`; xlog1py is the weighted form)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.S.Zero

    def elementary(self):
        return sp.log(1 + self.args[0])

    def fdiff(self, argindex=1):
        return 1 / (1 + self.args[0])


class wprod(StableFunction):  # noqa: N801
    """w·v where the weight w is σ(a) or softmax(a; z) of finite logits — never exactly 0.

    In float64 w rounds to a subnormal or to 0 once a logit gap exceeds ~708, and then w·v is wrong by
    hundreds of ULP (subnormal w) or entirely: 0·log 0 gives 0 (xlogy's convention) or NaN where the exact
    value is ∞, and 0·1e308 gives 0 where it is e^{−800}·1e308. The lowering passes the logits along, and
    where w < 2^−1022 the product is evaluated from them in extended range (long double, or
    sign(v)·e^{log w + log|v|})."""

    nargs = 2

    @classmethod
    def eval(cls, w, v):
        if v.is_zero:
            return sp.S.Zero

    def elementary(self):
        w, v = self.args
        return w * v

    def fdiff(self, argindex=1):
        w, v = self.args
        return v if argindex == 1 else w


__all__ = ["softplus", "log_sigmoid", "xlogy", "xlog1py", "logsumexp", "log1pmx", "log1pmx_ratio", "kl_div",
           "diff_ratio", "log_offset", "fsum", "log1p", "wprod"]
