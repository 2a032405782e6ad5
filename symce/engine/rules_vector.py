"""Rules for random vectors (multinomial counts, one-hot vectors, points of the simplex).

A vector-valued random variable is an explicit column of scalar symbols (X1, …, Xk); a statistic φ is an
expression in those symbols. Evaluating φ at a point of a finite support is then an entrywise
substitution: ``xreplace({X: point})`` would look for the column itself inside φ and find nothing.
"""

from __future__ import annotations

import sympy as sp


def at_point(phi, x, point):
    """φ(point): ``x`` a scalar symbol (then ``point`` a number) or an explicit column of symbols (then
    ``point`` a sequence of the same length, substituted entry by entry)."""
    if isinstance(x, sp.MatrixBase):
        values = list(point)
        if len(values) != len(x):
            raise ValueError(f"point {point} has {len(values)} entries, the random vector {list(x)} {len(x)}")
        return phi.xreplace(dict(zip(x, values)))
    return phi.xreplace({x: point})
