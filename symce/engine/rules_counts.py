r"""Engine rules for distributions on the integers (counting measure): Poisson, Binomial, Geometric,
negative binomial and the users' own pmfs on ``Range``/``Naturals0``.

* :func:`range_condition` — supp P ⊆ supp Q for sets of consecutive integers with symbolic ends:
  {a, …, b} ⊆ {c, …, d} ⇔ c ≤ a ∧ b ≤ d (P's support is not empty). Binomial(7, p) against Binomial(n, q)
  is finite exactly when 7 ≤ n; a Poisson against any Binomial is +∞ (ℕ₀ is not inside {0, …, n}).
"""

from __future__ import annotations

import sympy as sp

_INTEGER_SETS = (sp.Range, type(sp.Naturals), type(sp.Naturals0), type(sp.Integers))


def _ends(S):
    """(first, last) point of a set of consecutive integers, ±oo for an unbounded end; None otherwise."""
    if S == sp.Naturals0:
        return sp.S.Zero, sp.oo
    if S == sp.Naturals:
        return sp.S.One, sp.oo
    if S == sp.Integers:
        return -sp.oo, sp.oo
    if isinstance(S, sp.Range) and S.step == 1:
        # Range(a, b) holds a, …, b − 1 (SymPy keeps a symbolic Range as given)
        return S.start, (S.stop - 1 if S.stop != sp.oo else sp.oo)
    return None


def range_condition(SP, SQ):
    """The condition under which the consecutive integers SP lie inside SQ (``sp.true``/``sp.false`` when
    decided), or ``None`` when SP or SQ is not a set of consecutive integers."""
    if not (isinstance(SP, _INTEGER_SETS) and isinstance(SQ, _INTEGER_SETS)):
        return None
    ends_p, ends_q = _ends(SP), _ends(SQ)
    if ends_p is None or ends_q is None:
        return None
    (a, b), (c, d) = ends_p, ends_q
    conds = []
    if c != -sp.oo:
        conds.append(sp.Le(c, a) if a != -sp.oo else sp.false)
    if d != sp.oo:
        conds.append(sp.Le(b, d) if b != sp.oo else sp.false)
    return sp.And(*conds)
