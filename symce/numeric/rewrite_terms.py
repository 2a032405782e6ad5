"""How the stabilising rules read a sum: its terms A·log B (one logarithm factor, A free of logarithms).

Shared by the rules of :mod:`symce.numeric.rewrite` and :mod:`symce.numeric.rewrite_exact`, which both
look for the logarithms of a sum and must agree on what counts as one.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.traversal import iterargs


def log_terms(e):
    """[(A, B, term)] for the terms A·log(B) of a sum (exactly one log factor, B not a number)."""
    out = []
    for t in sp.Add.make_args(e):
        coeff, lg = t.as_independent(sp.log, as_Add=False)
        if isinstance(lg, sp.log) and not coeff.has(sp.log) and not lg.args[0].is_number:
            out.append((coeff, lg.args[0], t))
    return out


def has_exp(e) -> bool:
    """e.has(sp.exp), which also matches E**x (ExpMeta), in one walk without ExpMeta's Python-level isinstance
    at every node: the rules that skip formulas without an exponential spent most of their time on that test
    on the large ones (LowRank MVN)."""
    return any((n.is_Pow and n.base is sp.E) or (n.is_Function and sp.exp in type(n).__mro__) for n in iterargs(e))


__all__ = ["log_terms", "has_exp"]
