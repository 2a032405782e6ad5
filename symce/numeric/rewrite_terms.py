"""How the stabilising rules read a sum: its terms A·log B (one logarithm factor, A free of logarithms).

Shared by the rules of :mod:`symce.numeric.rewrite` and :mod:`symce.numeric.rewrite_exact`, which both
look for the logarithms of a sum and must agree on what counts as one.
"""

from __future__ import annotations

import sympy as sp


def log_terms(e):
    """[(A, B, term)] for the terms A·log(B) of a sum (exactly one log factor, B not a number)."""
    out = []
    for t in sp.Add.make_args(e):
        coeff, lg = t.as_independent(sp.log, as_Add=False)
        if isinstance(lg, sp.log) and not coeff.has(sp.log) and not lg.args[0].is_number:
            out.append((coeff, lg.args[0], t))
    return out


__all__ = ["log_terms"]
