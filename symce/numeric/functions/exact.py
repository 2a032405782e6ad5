r"""The stable functions evaluated exactly or correctly rounded, each binding its own numpy kernel of
:mod:`symce.numeric.impl.extended` through ``lowering()``: a rational function R of the inputs
(exact_rational), Σ log xᵢ + c (logprod_offset) and K + R₀ + Σ cᵢ log Rᵢ (rational_log_sum) — the Gaussian
entropies, cross-entropies and KLs whose products overflow and whose determinants and traces cancel.
"""

from __future__ import annotations

import functools

import sympy as sp

from symce.core.walk import free_symbols
from symce.numeric.functions.base import StableFunction, has_class, to_elementary
from symce.numeric.functions.elementary import diff_ratio, log_offset
from symce.numeric.functions.log_diff import log_diff_ratio
from symce.numeric.impl.extended import logprod_offset as logprod_kernel
from symce.numeric.impl.extended import logsum_kernel, offset_constants, rational_kernel
from symce.numeric.impl.logsum import log_argument, screenable


class exact_rational(StableFunction):  # noqa: N801
    """A rational function R of the inputs (numbers, +, ·, integer powers), evaluated correctly rounded:
    extended-range double-double with a running error bound, and exact rational arithmetic where the bound
    is too loose (:mod:`symce.numeric.impl.extended`). The Gaussian KL's ½‖L₂⁻¹(μ₂ − μ₁)‖² + ½‖L₂⁻¹L₁‖²_F
    terms: residuals x − Σ lⱼyⱼ of triangular solves cancel, and their products overflow where the value
    does not (∞ − ∞ = NaN where the KL is +∞)."""

    nargs = 1

    def elementary(self):
        return self.args[0]

    def fdiff(self, argindex=1):
        return sp.S.One

    def lowering(self, names):
        """(numpy kernel bound to the expression, its arguments) for the code generator."""
        args = tuple(sorted(free_symbols(self.args[0]), key=sp.default_sort_key))  # DAG walk: core/walk.py
        return rational_kernel(self.args[0], args), args


class logprod_offset(StableFunction):  # noqa: N801
    """Σᵢ log xᵢ + c for positive xᵢ and a constant c, arguments (x₁…x_k, c): log Π xᵢ with the mantissas
    multiplied and the exponents summed as integers (Π xᵢ overflows where the sum does not), and near
    its root Π xᵢ = e^{−c} as log1p of the exact relative difference (the entropy of a d-dimensional
    Gaussian, log L₁₁ + log L₂₂ + 1 + log 2π, cancels there)."""

    @classmethod
    def eval(cls, *args):
        if len(args) < 2:
            raise TypeError("logprod_offset takes (x_1, …, x_k, c)")

    def elementary(self):
        return sp.Add(*[sp.log(x) for x in self.args[:-1]]) + self.args[-1]

    def fdiff(self, argindex=1):
        if argindex == len(self.args):
            return sp.S.One
        return 1 / self.args[argindex - 1]

    def lowering(self, names):
        c = self.args[-1]
        if c.free_symbols:
            return names["logprod_offset"], self.args
        return functools.partial(logprod_kernel, **offset_constants(c)), self.args[:-1]


class rational_log_sum(StableFunction):  # noqa: N801
    """K + R₀ + Σᵢ cᵢ log Rᵢ, arguments (K, R₀, c₁, R₁, …, c_k, R_k): a constant K, rational functions R₀ and
    Rᵢ > 0 of the inputs, cᵢ dyadic rationals or rational functions of the inputs — a whole Gaussian
    entropy, cross-entropy or KL with Σ given by its entries (½ log det Σ, det Σ = Σ₁₁Σ₂₂ − Σ₁₂² overflows
    and cancels; tr − d − log det cancels near P = Q), a cross-entropy whose rational part and logarithms
    cancel along a curve (b/a − log b), Pareto's α₂·log(x₁/x₂). Evaluated with every Rᵢ as
    mantissa·2^exponent in double-double (log Rᵢ = log Mᵢ + Eᵢ log 2), and exactly (fractions, then mpmath
    at rising precision) where the error bound is loose (:mod:`symce.numeric.impl.extended`); where the
    terms allow (:func:`~symce.numeric.impl.logsum.screenable`), first from their float forms
    (:meth:`float_parts`), kept where they do not cancel."""

    @classmethod
    def eval(cls, *args):
        if len(args) < 4 or len(args) % 2:
            raise TypeError("rational_log_sum takes (K, R0, c_1, R_1, …, c_k, R_k)")

    def elementary(self):
        K, R0, *cr = self.args
        return K + R0 + sp.Add(*[c * sp.log(R) for c, R in zip(cr[::2], cr[1::2])])

    def fdiff(self, argindex=1):
        if argindex <= 2:
            return sp.S.One
        i = argindex - 3
        cr = self.args[2:]
        return sp.log(cr[i + 1]) if i % 2 == 0 else cr[i - 1] / cr[i]

    def lowering(self, names):
        # R₀ may hold stable functions with rational definitions (diff_ratio(a, b, s)², kept for the
        # backends that print R₀): the kernel reads the definitions
        K, R0, *cr = (to_elementary(a) if has_class(a, (StableFunction,)) else a for a in self.args)
        terms = tuple(zip(cr[::2], cr[1::2]))
        args = tuple(sorted(free_symbols(self), key=sp.default_sort_key))
        parts = self.float_parts() if screenable(R0, terms) else ()
        return logsum_kernel(K, R0, terms, args, len(parts)), args + parts

    def float_parts(self) -> tuple:
        """The terms in their stable float form, for the kernel's first pass (:func:`screenable`): R₀'s
        terms as the rewrite left them, one logarithm with the constant as log_offset (cancels without loss
        near x = e^{−K/c}), else K and each c·log x."""
        K, R0, *cr = self.args
        cs, xs = cr[::2], cr[1::2]
        if len(cs) == 1 and K != 0 and xs[0].is_Symbol and cs[0].is_number:
            logs = [cs[0] * log_offset(xs[0], K / cs[0])]
        else:
            logs = ([K] if K != 0 else []) + [c * _float_log(x) for c, x in zip(cs, xs)]
        return tuple(logs) + tuple(_float_term(t) for t in sp.Add.make_args(R0) if t != 0)


def _float_term(t):
    """A term of R₀ with each power of an input over a power of another as one quotient raised to it:
    x²/y² as diff_ratio(x, 0, y)², so that the float form does not square first — σ₂² underflowed to a
    subnormal at σ₂ = 1.9e-162 (Rayleigh's σ₁²/σ₂²: 2.3e215 kept for 3.2e215, the terms did not cancel so
    the screen kept it). SymPy spreads (x/y)² back over x and y, hence the function, as the normal
    family's rule writes it. Float form only: the exact paths read R₀ itself."""
    if not t.is_Mul:
        return t
    coeff, powers, rest = sp.S.One, {}, []
    for f in t.args:
        b, e = f.as_base_exp()
        if f.is_Number:
            coeff *= f
        elif b.is_Symbol and e.is_Integer:
            powers[b] = powers.get(b, 0) + int(e)
        else:
            rest.append(f)
    num = [b for b, e in powers.items() if e > 0]
    den = [b for b, e in powers.items() if e < 0]
    if not num or not den:
        return t
    factors = []
    for x in num:
        for y in den:
            m = min(powers[x], -powers[y])
            if m > 0:
                factors.append(diff_ratio(x, 0, y) ** m)
                powers[x] -= m
                powers[y] += m
    left = [b ** e for b, e in powers.items() if e != 0]
    return sp.Mul(coeff, *factors, *left, *rest, evaluate=False)


def _float_log(R):
    """log x of an input as it is, log(x/y) as log_diff_ratio(x, 0, y, 0): log1p((x − y)/y) within a factor 2
    (the difference exact where x ≈ y), log(x/y) beyond — log1p((x − y)/y) alone lost every digit of a small
    quotient (x/y = 1.1e-17: 1 − 1 + x/y, log −39.043 for −39.039, the Binomial KL's ∂/∂p₁ 9.2e11 ULP)."""
    x, y = log_argument(R)
    return sp.log(x) if y is None else log_diff_ratio(x, 0, y, 0)


__all__ = ["exact_rational", "logprod_offset", "rational_log_sum"]
