r"""Named special functions that make results read like the textbook: σ(z) = 1/(1 + e^{−z}).

They are ordinary SymPy functions with derivatives and exact rewrites, so proofs can rewrite them to
``exp`` and numeric code can print them; the numerically stable printers live in ``symce.numeric``.
"""

from __future__ import annotations

import sympy as sp

from symce.errors import ArgumentTypeError


def _scalar_argument(who: str, a):
    """A scalar SymPy expression, or ArgumentTypeError: SymPy would otherwise hold a list, a set, a relation,
    an interval or a matrix inside σ(·) silently, or fail later with an AttributeError on None."""
    try:
        e = sp.sympify(a, strict=True)
    except (sp.SympifyError, TypeError, ValueError):
        e = None
    if (not isinstance(e, sp.Expr) or isinstance(e, (sp.MatrixExpr, sp.IndexedBase))
            or getattr(e, "is_Matrix", False)):
        raise ArgumentTypeError(f"{who}: argument z must be a scalar number or SymPy expression (a logit), "
                                f"not {type(a).__name__} {a!r:.80}; apply it entrywise to a matrix "
                                f"(M.applyfunc({who})) and index an IndexedBase (w[i])")
    return e


class sigmoid(sp.Function):  # noqa: N801 - SymPy function classes are lower case
    r"""The logistic function σ(z) = e^z / (1 + e^z) = 1/(1 + e^{−z})."""

    nargs = 1

    def __new__(cls, *args, **kwargs):
        # Function.__new__ sympifies its arguments, and sympify of text runs eval: refuse text first
        for a in args:
            if isinstance(a, (str, bytes)):
                from_text = a if isinstance(a, str) else a.decode(errors="replace")
                raise ArgumentTypeError(f"{cls.__name__}: the argument must be a number or a SymPy expression, "
                                        f"not text {from_text!r} (symce never evaluates text)")
        args = tuple(_scalar_argument(cls.__name__, a) for a in args)
        return super().__new__(cls, *args, **kwargs)

    @classmethod
    def eval(cls, z):
        if z is sp.nan or z is sp.zoo:  # no limit along every direction: undefined, as 1/(1 + e^{−z}) is
            return sp.nan
        if isinstance(z, sp.AccumBounds):  # σ increases: the image of [a, b] is [σ(a), σ(b)] (SymPy's limits
            return sp.AccumBounds(cls(z.min), cls(z.max))  # substitute such bounds, e.g. sin(∞))
        if z.is_zero:
            return sp.S.Half
        if z is sp.oo:
            return sp.S.One
        if z is sp.S.NegativeInfinity:
            return sp.S.Zero

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return sp.exp(z) / (1 + sp.exp(z))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _latex(self, printer, exp=None):
        body = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)


def recognise_sigmoid(expr):
    """e^a/(e^a + 1) → σ(a) (and 1/(e^a + 1) → 1 − σ(a)), the form the moment map produces."""
    if not isinstance(expr, sp.Basic) or not expr.has(sp.exp):
        return expr
    # a product's denominator 1 + e^a (Mul.as_numer_denom) comes from a factor B⁻¹ whose numerator is that sum,
    # so some power with exponent −1 has an exp in its base; without one no product changes and the tree walk
    # of replace is skipped (no result over the cold common catalog changed: 171 of 171 calls)
    if not any(p.exp is sp.S.NegativeOne and p.base.has(sp.exp) for p in expr.atoms(sp.Pow)):
        return expr

    def fix(m):
        num, den = m.as_numer_denom()
        den_terms = sp.Add.make_args(den)
        if len(den_terms) == 2 and sp.S.One in den_terms:
            e = [t for t in den_terms if t != 1][0]
            if isinstance(e, sp.exp):
                # num = c·e^a exactly (dividing would leave e^{−a}·e^{a} unsimplified for compound a)
                c, rest = num.as_independent(e, as_Add=False)
                if rest == e:
                    return c * sigmoid(e.args[0])
        return m

    return expr.replace(lambda e: isinstance(e, sp.Mul) and e.has(sp.exp), fix)


def to_elementary(expr):
    """Rewrite named functions in elementary terms (for proofs and plain-SymPy comparison).

    The protocol is one method: a function class that defines ``elementary()`` (every stable function
    of :mod:`symce.numeric`) is replaced by it, innermost first; σ by its exp form. Proofs therefore
    understand functions defined in higher layers without importing them.
    """
    if not isinstance(expr, sp.Basic):
        return expr
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(to_elementary)

    def named(e) -> bool:
        return isinstance(e, sigmoid) or (isinstance(e, sp.Function) and callable(getattr(e, "elementary", None)))

    def rule(e):
        return e.rewrite(sp.exp) if isinstance(e, sigmoid) else e.elementary()

    prev = None
    while prev != expr:  # an elementary form may itself use σ: repeat until nothing named is left
        prev, expr = expr, expr.replace(named, rule)
    return expr
