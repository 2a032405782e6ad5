r"""Absolute continuity from supports: P ≪ Q ⇔ supp P ⊆ supp Q (for densities positive on their supports).

H(P, Q) = −∫ p log q dν is +∞ when P gives positive probability to a set where q = 0; for densities that
are positive on their supports that happens exactly when supp P ⊄ supp Q (up to a ν-null set: Lebesgue
measure does not see the ends of an interval, so closures are compared). With symbolic ends the answer
is a condition: Uniform(a, b) against Uniform(c, d) is finite exactly when c ≤ a and b ≤ d.
"""

from __future__ import annotations

import sympy as sp

from symce.core.family import Family, Measure
from symce.errors import DerivationError
from symce.engine.rules_counts import range_condition

_NOT_AC = ("P is not absolutely continuous w.r.t. Q: supp P = {sp_} is not contained in supp Q = {sq} "
           "(up to a null set), so P gives positive probability to a set where Q's density is 0 and "
           "−∫ p log q dν = +∞")


def absolutely_continuous(P: Family, Q: Family):
    """``None`` when supports say nothing new (two finite explicit supports are decided point by point
    elsewhere; matrix spaces; equal supports), else ``(True, reason)``, ``(False, reason)`` or ``(condition, reason)``."""
    if P.support_points() is not None and Q.support_points() is not None:
        return None  # both finite and explicit: decided point by point, with the masses (information.py)
    SP, SQ = P.support, Q.support
    if not (isinstance(SP, sp.Set) and isinstance(SQ, sp.Set)) or SP == SQ:
        return None
    if P.measure is Measure.LEBESGUE:
        SP, SQ = _closure(SP), _closure(SQ)
        if SP == SQ:
            return None
    try:
        inside = SP.is_subset(SQ)
    except Exception:  # noqa: BLE001 - SymPy set comparison can fail on exotic sets; decided below
        inside = None
    reason = _NOT_AC.format(sp_=SP, sq=SQ)
    if inside is True:
        return True, ""
    if inside is False:
        return False, reason
    cond = _interval_condition(SP, SQ)
    if cond is None:  # sets of consecutive integers (Binomial with a symbolic n): rules_counts
        cond = range_condition(SP, SQ)
    if cond is None:
        raise DerivationError(
            f"cannot decide whether supp P = {SP} is contained in supp Q = {SQ} (P ≪ Q); give the "
            "parameters assumptions (e.g. positive=True) or numbers, so that the answer is not silently wrong")
    if cond == sp.true:
        return True, ""
    if cond == sp.false:
        return False, reason
    return cond, (f"finite only where supp P = {SP} ⊆ supp Q = {SQ}, i.e. {cond}; elsewhere P is not absolutely "
                  "continuous w.r.t. Q and the value is +∞")


def _closure(S: sp.Set) -> sp.Set:
    # closed intervals built directly: SymPy's ``closure`` of Interval(a, b) with symbolic ends does not
    # know a < b and returns Union({a, b}, Interval(a, b))
    if isinstance(S, sp.Interval):
        return sp.Interval(S.start, S.end)
    if isinstance(S, sp.Union):
        return sp.Union(*[_closure(a) for a in S.args])
    return S


def _interval_condition(SP, SQ):
    """[a, b] ⊆ [c, d] ⇔ c ≤ a ∧ b ≤ d, for one interval in another (symbolic ends)."""
    if not (isinstance(SP, sp.Interval) and isinstance(SQ, sp.Interval)):
        return None
    conds = []
    if SQ.start != -sp.oo:
        conds.append(sp.Le(SQ.start, SP.start) if SP.start != -sp.oo else sp.false)
    if SQ.end != sp.oo:
        conds.append(sp.Le(SP.end, SQ.end) if SP.end != sp.oo else sp.false)
    return sp.And(*conds)
