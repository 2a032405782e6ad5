"""Walks over SymPy expressions that visit each distinct subexpression once.

SymPy's ``free_symbols`` is not memoised: ``Basic.free_symbols`` unions its arguments' sets afresh, so
a subexpression shared by many terms (a gradient's entries share most of their factors) is walked once
per occurrence. Over the cold common-families catalog (116 items) the Matrix ``free_symbols`` of the
lambdified gradients alone took 0.24 s CPU; walked as the DAG it is, a few milliseconds.
"""

from __future__ import annotations

import sympy as sp

_BASIC_FREE = sp.Basic.__dict__["free_symbols"]
#: class -> whether its free_symbols is Basic's (the union of its arguments'); others (Symbol, Indexed,
#: Integral, Sum, Derivative, Lambda, …) are asked themselves
_PLAIN: dict = {}


def _plain(cls) -> bool:
    got = _PLAIN.get(cls)
    if got is None:
        got = _PLAIN[cls] = getattr(cls, "free_symbols", None) is _BASIC_FREE
    return got


def free_symbols(expr) -> set:
    """``expr.free_symbols`` (an expression or a matrix of them), the same set, each distinct
    subexpression visited once."""
    memo: dict = {}

    def walk(e):
        args = e.args
        if not args or not _plain(type(e)):
            return e.free_symbols
        got = memo.get(e)
        if got is None:
            got = memo[e] = set().union(*map(walk, args))
        return got

    if isinstance(expr, sp.MatrixBase):
        return set().union(*map(walk, set(expr.values())))
    return set(walk(expr))


def has_free_symbols(e) -> bool:
    """``bool(e.free_symbols)``, stopping at the first symbol (each distinct subtree visited once)."""
    seen, stack = {e}, [e]
    while stack:
        x = stack.pop()
        if not x.args or not _plain(type(x)):
            if x.free_symbols:
                return True
            continue
        for a in x.args:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return False


__all__ = ["free_symbols", "has_free_symbols"]
