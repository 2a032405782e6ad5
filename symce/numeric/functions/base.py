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


def has_class(expr, classes: tuple) -> bool:
    """``expr.has(*classes)`` (an expression or a matrix of them), each distinct subtree visited once, E**x
    matched by sp.exp (ExpMeta's isinstance, asked directly): SymPy's has (and Matrix.has, entry by entry)
    walks every occurrence, and a gradient's entries and terms share most of their subtrees (LowRank MVN:
    ~25 occurrences of each); its cache helps only on the same object asked again (a rule asking each term
    in turn is better served by it)."""
    roots = set(expr.values()) if isinstance(expr, sp.MatrixBase) else {expr}
    seen, stack = set(roots), list(roots)
    exp = sp.exp in classes
    while stack:
        x = stack.pop()
        if isinstance(x, classes) or (exp and x.is_Pow and x.base is sp.E):
            return True
        for a in x.args:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return False


__all__ = ["StableFunction", "has_class", "to_elementary"]
