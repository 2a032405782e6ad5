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
