"""A small, fast code generator for the numpy backend: one pass over the expression DAG, one SSA line per
distinct node.

``sympy.lambdify`` prints through SymPy's string printer (term ordering, ``as_numer_denom`` and
parenthesisation on every node) and, with ``cse=True``, runs common-subexpression elimination first; on
the catalog that costs more than deriving it. Here every distinct subtree becomes one assignment
``_tN = …`` the first time it is met (a dictionary keyed by the node gives common subexpressions for
free), constants are folded to correctly rounded floats, and the stable functions that need extra
arguments are lowered inline (kl_div/log1pmx_ratio get the exact difference of their inputs, log_offset
its double-double root, x²/2 is (x/2)·x). Anything it does not know raises :class:`Unsupported` and the
caller falls back to ``sympy.lambdify``.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import sympy as sp

from symce.core.special import sigmoid
from symce.numeric import impl, special
from symce.numeric.differences import difference, exact_difference, log_of_monomial, monomial_ratio, scaled_ratio
from symce.numeric.functions import (StableFunction, diff_ratio, exact_rational, kl_div, log1pmx_ratio, log_offset,
                                     logit_prob_kl, prob_logit_kl, rel_entr_sum, softmax, softplus, stirling_bregman,
                                     wprod, wscale)


class Unsupported(Exception):
    """A node this generator does not print (the caller uses sympy.lambdify instead)."""


_ELEMENTARY = {sp.exp: "exp", sp.log: "log", sp.Abs: "absolute", sp.sin: "sin", sp.cos: "cos",
               sp.tanh: "tanh", sp.atan: "arctan", sigmoid: "sigmoid"}
_NUMPY = {"exp": np.exp, "log": np.log, "absolute": np.absolute, "sin": np.sin, "cos": np.cos, "tanh": np.tanh,
          "arctan": np.arctan, "sqrt": np.sqrt, "power": np.power, "array": np.array, "inf": np.inf,
          "nan": np.nan}


def _const(node) -> float:
    v = sp.N(node, 30)
    if not v.is_real:
        raise Unsupported(f"non-real constant {node}")
    return float(v)


class _Gen:
    def __init__(self, args, names):
        self.names = names  # backend implementations, by function name
        self.ns = dict(_NUMPY)
        self.lines: list[str] = []
        self.memo: dict = {}
        self.constness: dict = {}
        for i, a in enumerate(args):
            self.memo[a] = f"_a{i}"

    def _emit(self, node, code: str) -> str:
        v = f"_t{len(self.lines)}"
        self.lines.append(f"    {v} = {code}")
        self.memo[node] = v
        return v

    def _fn(self, name: str) -> str:
        if name not in self.ns:
            if name not in self.names:
                raise Unsupported(name)
            self.ns[name] = self.names[name]
        return name

    def is_const(self, node) -> bool:
        """No free symbols (memoised, so the whole walk stays linear in the DAG size)."""
        got = self.constness.get(node)
        if got is None:
            got = node.is_Number or node.is_NumberSymbol or (
                bool(node.args) and not node.is_Symbol and all(self.is_const(a) for a in node.args))
            self.constness[node] = got
        return got

    def visit(self, node) -> str:
        got = self.memo.get(node)
        if got is not None:
            return got
        if node.is_Number:
            if node is sp.oo:
                return "inf"
            if node is sp.S.NegativeInfinity:
                return "(-inf)"
            if node is sp.nan:
                return "nan"
            return f"({float(node)!r})"
        if node.is_Symbol:
            raise Unsupported(f"symbol {node} is not an argument")
        if self.is_const(node):
            if node.is_NumberSymbol or isinstance(node, (sp.Function, sp.Pow, sp.Mul, sp.Add)):
                return f"({_const(node)!r})"
            raise Unsupported(type(node).__name__)
        if node.is_Add:
            return self._add(node)
        if node.is_Mul:
            return self._mul(node)
        if node.is_Pow:
            return self._pow(node)
        if isinstance(node, sp.Function):
            return self._func(node)
        raise Unsupported(type(node).__name__)

    def _add(self, node):
        # a term −x is subtracted (a + (−x) and a − x round identically, and the order of the terms is
        # kept), so there is no separate negation pass
        args = list(node.args)
        if len(args) > 1 and _negated(args[0]) and not _negated(args[1]):
            args[0], args[1] = args[1], args[0]  # −a + b = b − a exactly (the first addition commutes)
        code = ""
        for i, a in enumerate(args):
            c, rest = a.as_coeff_Mul()
            if c.is_Number and c.is_negative:
                code += f"{' - ' if i else '-'}{self.visit(rest if c == -1 else -a)}"
            else:
                code += f"{' + ' if i else ''}{self.visit(a)}"
        return self._emit(node, code)

    def _mul(self, node):
        c, rest = node.as_coeff_Mul()
        # x²/2 as (x/2)·x: x² overflows for |x| > 1.34e154 where x²/2 is finite up to 1.9e154
        if c == sp.S.Half and rest.is_Pow and rest.exp == 2:
            b = self.visit(rest.base)
            return self._emit(node, f"({b} * 0.5) * {b}")
        if c.is_Integer and c > 1 and isinstance(rest, prob_logit_kl):
            # n·KL (the Multinomial's n): n into the kernel, which puts it inside the weights where n·(the KL
            # rounded up near DBL_MAX/n) overflows although the value is just below DBL_MAX
            name = f"sx_prob_logit_kl_{int(c)}"
            self.ns[name] = functools.partial(self.names["_prob_logit_kl"], scale=int(c))
            return self._emit(node, f"{name}({', '.join(self.visit(a) for a in prob_logit_kl_args(rest))})")
        scaled = scaled_weight(node)
        if scaled is not None:
            code = self.visit(scaled)
            self.memo[node] = code
            return code
        num, den = [], []
        for f in sp.Mul.make_args(rest):
            if f.is_Pow and f.exp.is_Number and f.exp.is_negative:
                den.append(f.base if f.exp == -1 else sp.Pow(f.base, -f.exp))
            else:
                num.append(f)
        top = " * ".join(self.visit(f) for f in num) if num else "1.0"
        if c == -1:
            top = f"-({top})"
        elif c != 1:
            # the coefficient last: 3·(z·p) is 0 at p = 0, z = −1.8e308, where (3·z)·p = −∞·0 = NaN
            top = f"{float(c)!r} * ({top})" if len(num) > 1 else f"{float(c)!r} * {top}"
        if den:
            bottom = " * ".join(self.visit(f) for f in den)
            return self._emit(node, f"({top}) / ({bottom})" if len(den) > 1 else f"({top}) / {bottom}")
        return self._emit(node, top)

    def _pow(self, node):
        b, e = node.args
        if e.is_Number:
            x = self.visit(b)
            if e == 2:
                return self._emit(node, f"{x} * {x}")
            if e == -1:
                return self._emit(node, f"1.0 / {x}")
            if e == sp.S.Half:
                return self._emit(node, f"sqrt({x})")
            if e == -sp.S.Half:
                return self._emit(node, f"1.0 / sqrt({x})")
            if e.is_negative:
                return self._emit(node, f"1.0 / ({x} ** {float(-e)!r})")
            return self._emit(node, f"{x} ** {float(e)!r}")
        if b is sp.E:
            return self._emit(node, f"exp({self.visit(e)})")
        return self._emit(node, f"power({self.visit(b)}, {self.visit(e)})")

    def _func(self, node):
        cls = type(node)
        if cls in _ELEMENTARY:
            name = _ELEMENTARY[cls]
            if name == "sigmoid":
                self._fn(name)
            return self._emit(node, f"{name}({', '.join(self.visit(a) for a in node.args)})")
        if isinstance(node, softplus) and "_softplus_core" in self.names:
            # softplus(y) and softplus(−y) share log1p(e^{−|y|}) (impl/softplus_parts.py): half the exp/log1p
            x = node.args[0]
            neg = x.could_extract_minus_sign()
            y = -x if neg else x
            key = ("softplus core", y)
            core = self.memo.get(key)
            if core is None:
                core = self._emit(key, f"{self._fn('_softplus_core')}({self.visit(y)})")
            name = self._fn("_softplus_neg" if neg else "_softplus_pos")
            return self._emit(node, f"{name}({self.visit(y)}, {core})")
        if isinstance(node, diff_ratio) and node.args[1] == 0:
            # (a − 0)/s: the difference cannot overflow, so the plain quotient is the same value, one pass
            return self._emit(node, f"{self.visit(node.args[0])} / {self.visit(node.args[2])}")
        if isinstance(node, diff_ratio):
            # (b − a)/s is −((a − b)/s) to the bit (IEEE differences and quotients are odd): the normal KL's
            # value and gradient have both, one pass instead of a difference, a check and a quotient
            twin = self.memo.get(diff_ratio(node.args[1], node.args[0], node.args[2]))
            if twin is not None:
                return self._emit(node, f"-({twin})")
        if isinstance(node, kl_div):
            x, y = node.args
            log_y = _log_of_monomial(y) if "_kl_div_logy" in self.names else None
            if log_y is not None:  # y a product that may under/overflow: its log from the factors too
                # and y itself correctly rounded: α₁β₂/β₁ as printed rounds α₁β₂ into the subnormals or
                # to ∞ where y does not (Gamma KL at β₂ = 5e-324: 8.7e10 ULP; at α₁β₂ > 1.8e308: 122 ULP)
                name, extra = self._fn('_kl_div_logy'), ""
                ratio = monomial_ratio(x, y)
                if ratio is not None:  # y/x exact too, for where y and y − x overflow (differences.py)
                    name = f"sx_kl_div_logy_{len(self.lines)}"
                    self.ns[name] = functools.partial(self.names["_kl_div_logy"], ratio=ratio[0])
                    extra = "".join(f", {self.visit(a)}" for a in ratio[1])
                code = (f"{name}({self.visit(x)}, {self.visit(exact_rational(y))}, "
                        f"{self.visit(_difference(x, y))}, {self.visit(log_y)}{extra})")
                return self._emit(node, code)
            code = f"{self._fn('_kl_div')}({self.visit(x)}, {self.visit(y)}, {self.visit(_difference(x, y))})"
            return self._emit(node, code)
        if isinstance(node, stirling_bregman) and "_stirling_bregman" in self.names:
            yv, xv = node.args  # with y − x from the original inputs (lowering.exact_difference)
            ratio = scaled_ratio(xv, yv) if "_stirling_bregman_ratio" in self.names else None
            if ratio is not None:  # y = cY, x = cX: also Y, X and (Y − X)/X, exact where cY, cX are subnormal
                code = (f"{self._fn('_stirling_bregman_ratio')}({self.visit(yv)}, {self.visit(xv)}, "
                        f"{self.visit(exact_difference(xv, yv))}, {', '.join(self.visit(r) for r in ratio)})")
                return self._emit(node, code)
            code = (f"{self._fn('_stirling_bregman')}({self.visit(yv)}, {self.visit(xv)}, "
                    f"{self.visit(exact_difference(xv, yv))})")
            return self._emit(node, code)
        if isinstance(node, log1pmx_ratio):
            a, b = node.args
            # (a − b)/b: shared with the squared quotient the normal KL has beside it (same node, one pass)
            u = diff_ratio(a, b, b)
            extra = f", {self.memo[u]}" if u in self.memo else ""
            code = f"{self._fn('_log1pmx_ratio')}({self.visit(a)}, {self.visit(b)}, {self.visit(a - b)}{extra})"
            return self._emit(node, code)
        if isinstance(node, log_offset):
            x, c = node.args
            if c.free_symbols:
                raise Unsupported("log_offset with a symbolic offset")
            c_hi, c_lo = impl.split_constant(c)
            x0_hi, x0_lo = impl.split_constant(sp.exp(-c))
            name = f"sx_log_offset_{len(self.ns)}"
            self.ns[name] = functools.partial(self.names["_log_offset"], c_hi=c_hi, c_lo=c_lo, x0_hi=x0_hi,
                                              x0_lo=x0_lo)
            return self._emit(node, f"{name}({self.visit(x)})")
        if isinstance(node, wprod):
            name, extra = positive_weight(node.args[0])
            if name is None:
                return self._emit(node, f"{self.visit(node.args[0])} * {self.visit(node.args[1])}")
            args = ", ".join(self.visit(a) for a in (*node.args, *extra))
            return self._emit(node, f"{self._fn(name)}({args})")
        if isinstance(node, prob_logit_kl):
            args = ", ".join(self.visit(a) for a in prob_logit_kl_args(node))
            return self._emit(node, f"{self._fn('_prob_logit_kl')}({args})")
        if isinstance(node, logit_prob_kl):
            args = ", ".join(self.visit(a) for a in logit_prob_kl_args(node))
            return self._emit(node, f"{self._fn('_logit_prob_kl')}({args})")
        if isinstance(node, rel_entr_sum) and all_positive(node.args[: len(node.args) // 2]):
            return self._emit(node, f"{self._fn('_rel_entr_sum_pos')}({', '.join(self.visit(a) for a in node.args)})")
        lowering = getattr(node, "lowering", None)
        if isinstance(node, StableFunction) and lowering is not None:
            # a function that binds its own constants (a compiled rational kernel, double-double offsets)
            fn, fargs = lowering(self.names)
            name = f"sx_{cls.__name__}_{len(self.ns)}"
            self.ns[name] = fn
            return self._emit(node, f"{name}({', '.join(self.visit(a) for a in fargs)})")
        got = special.kernel_call(node)
        if got is not None:  # log Γ, ψ, erf, I_ν, …: one kernel per name in every backend (numeric/special.py)
            name, fargs = got
            return self._emit(node, f"{self._fn(name)}({', '.join(self.visit(a) for a in fargs)})")
        if isinstance(node, StableFunction) or isinstance(node, sp.core.function.AppliedUndef):
            name = self._fn(cls.__name__)
            return self._emit(node, f"{name}({', '.join(self.visit(a) for a in node.args)})")
        raise Unsupported(cls.__name__)


def _difference(x, y):
    return difference(x, y)


def _log_of_monomial(y):
    return log_of_monomial(y)


def _negated(a) -> bool:
    c, _ = a.as_coeff_Mul()
    return bool(c.is_Number and c.is_negative)


def positive_weight(w):
    """(implementation name, logits) for a weight σ(a) or softmax(a; z) (exactly positive), else (None, ())."""
    if isinstance(w, sigmoid):
        return "_wprod_sigmoid", w.args
    if isinstance(w, softmax):
        return "_wprod_softmax", w.args
    return None, ()


def scaled_weight(m):
    """c·wprod(w, v) for a weight w = σ(a) or softmax(a; z) and a number c ≠ ±1 → wscale(w, v, c), else None:
    one kernel call, as c times the product rounded to a subnormal multiplies its rounding error by c (12 and 48
    in the Multinomial-logit gradients)."""
    c, rest = m.as_coeff_Mul()
    if c.is_Rational and c not in (1, -1) and isinstance(rest, wprod) and positive_weight(rest.args[0])[0]:
        return wscale(*rest.args, c)
    return None


def prob_logit_kl_args(f):
    """The arguments of the prob_logit_kl implementation: (1 if Σ p ≡ 1 else 0, a…, b…, z…) with each
    p_i = a_i + b_i split into its constant and the rest (1 − p as 1 and −p), so the implementation sees
    the exact p_i and, where the p_i sum to 1 identically, uses ε = Σ p − 1 = 0 exactly."""
    k = len(f.args) // 2
    ps, zs = f.args[:k], f.args[k:]
    one, a, b = _split_probabilities(ps)
    return (one, *a, *b, *zs)


def logit_prob_kl_args(f):
    """The arguments of the logit_prob_kl implementation: (1 if Σ q ≡ 1 else 0, z…, a…, b…), q_i = a_i + b_i
    as in :func:`prob_logit_kl_args`."""
    k = len(f.args) // 2
    zs, qs = f.args[:k], f.args[k:]
    one, a, b = _split_probabilities(qs)
    return (one, *zs, *a, *b)


def _split_probabilities(ps):
    a, b = [], []
    for p in ps:
        c, rest = p.as_coeff_Add()
        a.append(c if c != 0 else p)
        b.append(rest if c != 0 else sp.S.Zero)
    one = sp.S.One if sp.expand(sp.Add(*ps)) == 1 else sp.S.Zero
    return one, a, b


def all_positive(ws) -> bool:
    return bool(ws) and all(isinstance(w, (sigmoid, softmax)) for w in ws)


def generate(args, expr, names: dict):
    """A Python function of ``args`` computing ``expr`` (an expression, a Matrix, or a tuple of expressions:
    a tuple of their values) with the implementations ``names`` (numpy arrays), or raise :class:`Unsupported`."""
    g = _Gen(list(args), names)
    if isinstance(expr, sp.MatrixBase):
        rows = []
        for i in range(expr.rows):
            rows.append("[" + ", ".join(g.visit(expr[i, j]) for j in range(expr.cols)) + "]")
        result = "array([" + ", ".join(rows) + "])"
    elif isinstance(expr, tuple):  # several outputs (a matrix's entries, row-major): a tuple, shapes as they come
        result = "(" + "".join(g.visit(e) + ", " for e in expr) + ")"
    else:
        result = g.visit(expr)
    params = ", ".join(f"_a{i}" for i in range(len(args)))
    src = f"def _generated({params}):\n" + "\n".join(g.lines) + f"\n    return {result}\n"
    ns = g.ns
    exec(compile(src, "<symce.lambdify>", "exec"), ns)  # noqa: S102 - our own printed code, no user text
    fn = ns["_generated"]
    fn.source = src
    # lambdify evaluates long inputs block by block so the temporaries of multi-pass code stay in cache; a
    # function that is one streaming kernel (log x + c) has none worth it and only pays the per-block calls
    fn.blocked = not (len(g.lines) == 1 and _STREAMING.match(g.lines[0]))
    return fn


_STREAMING = re.compile(r"\s*_t0 = (sx_log_offset_\d+|log|exp|log1p|sqrt)\(_a\d+\)$")


__all__ = ["generate", "Unsupported", "positive_weight", "all_positive", "prob_logit_kl_args",
           "logit_prob_kl_args"]
