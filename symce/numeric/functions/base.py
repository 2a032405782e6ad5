"""The base of the stable functions: a SymPy function with an exact elementary definition.

A :class:`StableFunction` is what the stabilising rewrite produces and what the numeric backends implement;
its ``elementary()`` form is what proofs and the ground truth use, so evaluation at any precision goes
through it (:func:`to_elementary`, which also rewrites σ).
"""

from __future__ import annotations

import sympy as sp

from symce.core.special import sigmoid


class StableFunction(sp.Function):
    """Base: a function with an exact elementary definition used for proofs and evaluation."""

    def elementary(self) -> sp.Expr:  # pragma: no cover - each subclass defines it
        raise NotImplementedError

    def _eval_evalf(self, prec):
        return to_elementary(self.elementary())._eval_evalf(prec)

    def _eval_rewrite_as_log(self, *args, **kwargs):
        return self.func(*args).elementary()

    def _eval_rewrite_as_exp(self, *args, **kwargs):
        return self.func(*args).elementary()

    def _eval_is_real(self):
        return True if all(a.is_real for a in self.args) else None

    def _latex_body(self, printer) -> str:
        """The function applied to its arguments; subclasses with a textbook notation override it."""
        args = ", ".join(printer._print(a) for a in self.args)
        return r"\operatorname{%s}\left(%s\right)" % (type(self).__name__, args)

    def _latex(self, printer, exp=None):
        # one place for powers, so no subclass can drop the exponent
        body = self._latex_body(printer)
        return body if exp is None else r"\left(%s\right)^{%s}" % (body, exp)


def to_elementary(expr):
    """Replace every stable function (and σ) by its elementary definition, innermost first."""
    if not isinstance(expr, sp.Basic):
        return expr
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(to_elementary)

    def rule(e):
        if isinstance(e, StableFunction):
            return e.elementary()
        if isinstance(e, sigmoid):
            return e.rewrite(sp.exp)
        return e

    prev = None
    while prev != expr:  # elementary forms never contain stable functions, one pass is enough; loop for safety
        prev, expr = expr, expr.replace(lambda e: isinstance(e, (StableFunction, sigmoid)), rule)
    return expr


__all__ = ["StableFunction", "to_elementary"]
