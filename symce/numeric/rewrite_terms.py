"""How the stabilising rules read a sum: its terms A·log B (one logarithm factor, A free of logarithms).

Shared by the rules of :mod:`symce.numeric.rewrite` and :mod:`symce.numeric.rewrite_exact`, which both
look for the logarithms of a sum and must agree on what counts as one.
"""

from __future__ import annotations

import functools

import sympy as sp
from sympy.core.traversal import iterargs

from symce.numeric.functions.base import has_class


@functools.lru_cache(maxsize=16)
def log_terms(e):
    """((A, B, term), …) for the terms A·log(B) of a sum (exactly one log factor, B not a number). Memoised: the
    rules that read these terms run in turn on the same form (stabilise passes each rule the last one's result,
    mostly unchanged), ~7 reads of each form, as_independent per term each time."""
    out = []
    for t in sp.Add.make_args(e):
        got = _log_factor(t)
        if got is not None and not got[1].args[0].is_number:
            out.append((got[0], got[1].args[0], t))
    return tuple(out)


def _log_factor(t):
    """(A, log B) for t = A·log B, A free of logarithms — the parts ``t.as_independent(sp.log, as_Add=False)``
    gives — else None, decided factor by factor: the other terms' parts are not built, nor A walked again."""
    if type(t) is sp.Mul and t.is_commutative:
        lg, indep = None, []
        for f in t.args:
            if f.has(sp.log):
                if lg is not None or not isinstance(f, sp.log):
                    return None  # two factors with a logarithm, or one that is not a logarithm itself
                lg = f
            else:
                indep.append(f)
        return None if lg is None else (sp.Mul(*indep), lg)
    return (sp.S.One, t) if isinstance(t, sp.log) else None


def has_exp(e) -> bool:
    """e.has(sp.exp), which also matches E**x (ExpMeta), in one walk without ExpMeta's Python-level isinstance
    at every node: the rules that skip formulas without an exponential spent most of their time on that test
    on the large ones (LowRank MVN)."""
    return any((n.is_Pow and n.base is sp.E) or (n.is_Function and sp.exp in type(n).__mro__) for n in iterargs(e))


def has_type(expr, *types) -> bool:
    """``expr.has(*types)`` for classes ``types``, each distinct subtree visited once (functions.base.has_class)."""
    return has_class(expr, types)


__all__ = ["log_terms", "has_exp", "has_type"]
