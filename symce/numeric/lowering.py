"""Lowering: a stable expression made printable for one backend.

Functions whose numeric form needs more than their arguments get it here — kl_div(x, y) and
log1pmx_ratio(a, b) receive the difference y − x / a − b as an extra argument computed from the original
inputs (so it is exact where it matters), log_offset(x, c) gets e^{−c} as a double-double, a weight σ(a)
or softmax(a; z) times v gets the logits, x²/2 becomes (x/2)·x. Exact constants (log 2, π) are folded to
correctly rounded floats. The result is an expression in private undefined functions ``sx_…`` and the
module-dictionary entries that implement them.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from symce.numeric import codegen, impl, special
from symce.numeric.differences import difference, exact_difference, log_of_monomial, monomial_ratio, scaled_ratio  # noqa: F401 (re-exported)
from symce.numeric.functions import (StableFunction, exact_rational, kl_div, stirling_bregman, log1pmx_ratio, log_offset, logit_prob_kl,
                                     prob_logit_kl,
                                     rel_entr_sum, wprod)
from symce.numeric.functions.screened_sum import screened_sum


def fold_constants(e):
    """Exact constants that are not rationals (log 2, π/2, …) → Floats (printed with 25 digits, so Python
    reads them as the correctly rounded float64)."""
    def is_const(x):
        return x.is_number and not x.is_Rational and x.is_real and not isinstance(x, sp.Float)

    return e.replace(is_const, lambda x: sp.Float(sp.N(x, 30), 25))


def lower(expr, backend: str):
    """Replace functions that need extra numeric arguments by private undefined functions, returning the
    new expression and the extra module-dictionary entries."""
    extra = {}
    names = impl.impls(backend)
    kl = sp.Function("sx_kl_div")
    lr = sp.Function("sx_log1pmx_ratio")
    extra["sx_kl_div"] = names["_kl_div"]
    extra["sx_log1pmx_ratio"] = names["_log1pmx_ratio"]

    def offset(f):
        x, c = f.args
        c_hi, c_lo = impl.split_constant(c)
        x0_hi, x0_lo = impl.split_constant(sp.exp(-c))
        name = f"sx_log_offset_{len(extra)}"
        extra[name] = functools.partial(names["_log_offset"], c_hi=c_hi, c_lo=c_lo, x0_hi=x0_hi, x0_lo=x0_lo)
        return sp.Function(name)(x)

    e = expr
    if backend in ("math", "numpy", "scipy") and e.has(screened_sum):
        # bound before its terms are lowered below (kl_div → sx_kl_div, …): its exact path reads their definitions
        e = e.replace(lambda f: isinstance(f, screened_sum), functools.partial(_bound, extra=extra, backend=backend))
    # kl_div and log1pmx_ratio first: the exact difference kl_div gets may be an exact_rational, which the
    # math backend binds below
    def kl_node(f):
        log_y = log_of_monomial(f.args[1])
        if log_y is not None and "_kl_div_logy" in names:
            # y correctly rounded and y/x too (as in codegen: the printed product under/overflows where y does not)
            ratio, name = monomial_ratio(*f.args), f"sx_kl_div_logy_{len(extra)}"
            extra[name] = functools.partial(names["_kl_div_logy"], ratio=ratio and ratio[0])
            return sp.Function(name)(f.args[0], exact_rational(f.args[1]), difference(*f.args), log_y,
                                     *(ratio[1] if ratio else ()))
        return kl(f.args[0], f.args[1], difference(*f.args))

    e = e.replace(lambda f: isinstance(f, kl_div), kl_node)
    if "_stirling_bregman" in names and e.has(stirling_bregman):
        extra["sx_stirling_bregman"] = names["_stirling_bregman"]
        sb = sp.Function("sx_stirling_bregman")
        def sb_node(f):
            y, x = f.args
            ratio = scaled_ratio(x, y) if "_stirling_bregman_ratio" in names else None
            if ratio is None:
                return sb(y, x, exact_difference(x, y))
            # y = cY, x = cX (χ²'s ν/2): Y, X and (Y − X)/X too, exact where cY, cX are subnormal
            extra["sx_stirling_bregman_ratio"] = names["_stirling_bregman_ratio"]
            return sp.Function("sx_stirling_bregman_ratio")(y, x, exact_difference(x, y), *ratio)

        e = e.replace(lambda f: isinstance(f, stirling_bregman), sb_node)
    e = e.replace(lambda f: isinstance(f, log1pmx_ratio),
                  lambda f: lr(f.args[0], f.args[1], f.args[0] - f.args[1]))
    if backend in ("math", "numpy", "scipy"):
        # c·(a chain of weighted products) as one wscale, as the code generator prints it
        e = e.replace(lambda m: m.is_Mul and codegen.scaled_weight(m) is not None, codegen.scaled_weight)
        # functions that bind their own numpy kernel (exact rational parts, double-double offsets): the math
        # backend runs that kernel on 0-d arrays, as it does every other numpy kernel, so a Python float
        # gets the same overflow and cancellation handling as an array; numpy gets here only where the code
        # generator does not print the expression (a Piecewise: Pareto's CE/KL), and needs the kernel as much
        e = e.replace(lambda f: isinstance(f, StableFunction) and hasattr(f, "lowering"),
                      functools.partial(_bound, extra=extra, backend=backend))
    e = e.replace(lambda f: isinstance(f, log_offset), offset)

    # a weight σ(a)/softmax(a; z) times v: the implementation gets the logits for where w underflows
    def weighted(f):
        name, logits = codegen.positive_weight(f.args[0])
        if name is None:
            return f.args[0] * f.args[1]
        extra["sx" + name] = names[name]
        return sp.Function("sx" + name)(*f.args, *logits)

    e = e.replace(lambda f: isinstance(f, wprod), weighted)
    if e.has(prob_logit_kl):
        def scaled(m):
            # n·KL (the Multinomial's n): n into the kernel, which puts it inside the weights where n·(the KL
            # rounded up near DBL_MAX/n) overflows although the value is just below DBL_MAX
            n, f = m.as_coeff_Mul()
            name = f"sx_prob_logit_kl_{int(n)}"
            extra[name] = functools.partial(names["_prob_logit_kl"], scale=int(n))
            return sp.Function(name)(*codegen.prob_logit_kl_args(f))

        e = e.replace(lambda m: m.is_Mul and isinstance(m.as_coeff_Mul()[1], prob_logit_kl)
                      and m.as_coeff_Mul()[0].is_Integer and m.as_coeff_Mul()[0] > 1, scaled)
        extra["sx_prob_logit_kl"] = names["_prob_logit_kl"]
        plk = sp.Function("sx_prob_logit_kl")
        e = e.replace(lambda f: isinstance(f, prob_logit_kl), lambda f: plk(*codegen.prob_logit_kl_args(f)))
    if e.has(logit_prob_kl):
        extra["sx_logit_prob_kl"] = names["_logit_prob_kl"]
        lpk = sp.Function("sx_logit_prob_kl")
        e = e.replace(lambda f: isinstance(f, logit_prob_kl), lambda f: lpk(*codegen.logit_prob_kl_args(f)))
    if e.has(rel_entr_sum):
        extra["sx_rel_entr_sum_pos"] = names["_rel_entr_sum_pos"]
        pos = sp.Function("sx_rel_entr_sum_pos")
        e = e.replace(lambda f: isinstance(f, rel_entr_sum) and codegen.all_positive(f.args[: len(f.args) // 2]),
                      lambda f: pos(*f.args))
    # special functions (log Γ, ψ, erf, …) as calls of their kernels, which every backend's dictionary holds
    # under the same names (numeric/special.py): SymPy's printers print several of them bare (polygamma,
    # besseli, Ei), others through the math module, whose lgamma loses every digit near 1 and 2
    def special_call(f):
        name, fargs = special.kernel_call(f)
        extra["sx_" + name] = names[name]
        return sp.Function("sx_" + name)(*fargs)

    e = e.replace(lambda f: isinstance(f, sp.Function) and special.kernel_call(f) is not None
                  and special.kernel_call(f)[0] in names, special_call)
    # x²/2 as (x/2)·x: x² overflows for |x| > 1.34e154 where x²/2 is still finite up to |x| = 1.9e154
    half_sq = sp.Function("sx_half_sq")
    extra["sx_half_sq"] = (lambda x: x * x / 2) if backend == "mpmath" else (lambda x: (x * 0.5) * x)

    def is_half_square(m):
        if not isinstance(m, sp.Mul) or len(m.args) != 2:
            return False
        c, pw = m.args
        return c == sp.S.Half and isinstance(pw, sp.Pow) and pw.exp == 2

    e = e.replace(is_half_square, lambda m: half_sq(m.args[1].base))
    return e, extra


def _bound(f, extra, backend):
    """f as a call of the numpy kernel its lowering() binds (on 0-d arrays for the math backend)."""
    fn, fargs = f.lowering(impl.impls("numpy"))
    name = f"sx_{type(f).__name__}_{len(extra)}"
    extra[name] = _scalar(fn) if backend == "math" else fn
    return sp.Function(name)(*fargs)


def _scalar(fn):
    def g(*args):
        with np.errstate(all="ignore"):
            return float(np.asarray(fn(*[np.asarray(a, dtype=np.float64) for a in args])).reshape(-1)[0])
    return g


__all__ = ["fold_constants", "lower"]
