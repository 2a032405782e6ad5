"""Supports as SymPy sets: which dominating measure a support implies, and how to sample inside one.

A user's distribution names its support; the measure follows from it (an interval or a union of
intervals → Lebesgue measure on ℝ; ``Range``, ``Naturals0``, ``Naturals``, ``Integers`` or a finite set
of integers → counting measure on ℤ; a product of intervals or ``Reals**d`` → Lebesgue measure on ℝᵈ).
The sample space key of :class:`~symce.core.family.Family` then says where two distributions can be
compared: ``("real",)`` for ℝ, ``("integer",)`` for ℤ, ``("real^d", d)`` for ℝᵈ.
"""

from __future__ import annotations

import functools

import sympy as sp

from symce.core.family import Measure
from symce.errors import ArgumentTypeError

_INTEGER_SETS = (sp.Range, type(sp.Naturals), type(sp.Naturals0), type(sp.Integers))


def is_integer_set(S: sp.Set) -> bool:
    """Does S consist of integers only (so the counting measure on ℤ dominates)?"""
    if isinstance(S, _INTEGER_SETS):
        return True
    if isinstance(S, sp.FiniteSet):
        return all(e.is_integer for e in S.args)
    if isinstance(S, sp.Union):
        return all(is_integer_set(a) for a in S.args)
    if isinstance(S, sp.Intersection):
        return any(is_integer_set(a) for a in S.args)
    return False


def is_real_set(S: sp.Set) -> bool:
    """Is S an interval of ℝ or a union of intervals (so Lebesgue measure on ℝ dominates)?"""
    if isinstance(S, (sp.Interval, type(sp.Reals))):
        return True
    if isinstance(S, sp.Union):
        return all(is_real_set(a) for a in S.args)
    return False


def measure_of(S, who: str) -> tuple[Measure, tuple]:
    """(dominating measure, sample-space key) implied by the support ``S``."""
    if not isinstance(S, sp.Set):
        raise ArgumentTypeError(f"{who}: the support must be a SymPy set such as sympy.Interval(0, sympy.oo), "
                                f"sympy.Naturals0 or sympy.Range(0, n + 1), not {type(S).__name__}")
    if is_integer_set(S):
        return Measure.COUNTING, ("integer",)
    if is_real_set(S):
        return Measure.LEBESGUE, ("real",)
    if isinstance(S, sp.ProductSet) and all(is_real_set(a) for a in S.sets):
        return Measure.LEBESGUE, ("real^d", len(S.sets))
    raise ArgumentTypeError(
        f"{who}: support {S} is neither a set of integers (Range, Naturals0, Integers, a finite set of "
        "integers: counting measure), nor an interval or union of intervals (Lebesgue measure on ℝ), nor a "
        "product of intervals (Lebesgue measure on ℝᵈ)")


def bounds(S: sp.Set) -> list[tuple]:
    """The pieces of a one-dimensional support as (start, end) pairs (integer sets: first and last point)."""
    if isinstance(S, sp.Union):
        return [b for a in S.args for b in bounds(a)]
    if isinstance(S, sp.Interval):
        return [(S.start, S.end)]
    if S == sp.Reals:
        return [(-sp.oo, sp.oo)]
    if S == sp.Naturals0:
        return [(0, sp.oo)]
    if S == sp.Naturals:
        return [(1, sp.oo)]
    if S == sp.Integers:
        return [(-sp.oo, sp.oo)]
    if isinstance(S, sp.Range):
        if S.step != 1:
            raise ArgumentTypeError(f"support {S}: only ranges of step 1 are supported")
        return [(S.start, S.stop - 1)] if S.stop is not sp.oo else [(S.start, sp.oo)]
    raise ArgumentTypeError(f"support {S} is not an interval, a union of intervals or a range")


def variable_assumptions(S: sp.Set) -> dict:
    """Assumptions every point of S satisfies, for the random variable's symbol (they let SymPy split
    log(x^a) = a·log x on a positive support, decide |x| = x, and so on)."""
    return dict(_variable_assumptions(S))


@functools.lru_cache(maxsize=256)
def _variable_assumptions(S: sp.Set) -> tuple:
    # memoised per support: every family's variable() asks, and the subset tests cost ~10 ms each
    return tuple(_assumptions_of(S).items())


def _assumptions_of(S: sp.Set) -> dict:
    if is_integer_set(S):
        out = {"integer": True}
        if S.is_subset(sp.Naturals0) is True or (isinstance(S, sp.FiniteSet) and all(e >= 0 for e in S.args)):
            out["nonnegative"] = True
        return out
    # Lebesgue measure does not see the ends, so the interior's assumptions hold almost everywhere
    # (a Gamma density on [0, ∞) has x > 0: log x**(a − 1) splits into (a − 1)·log x)
    S = S.interior if isinstance(S, (sp.Interval, sp.Union)) else S
    if S.is_subset(sp.Interval.open(0, sp.oo)) is True:
        return {"positive": True}
    if S.is_subset(sp.Interval(0, sp.oo)) is True:
        return {"nonnegative": True}
    if S.is_subset(sp.Interval.open(-sp.oo, 0)) is True:
        return {"negative": True}
    return {"real": True}


def count_vector(dist, k: int) -> sp.ImmutableMatrix:
    """The random vector (X1, …, Xk) of nonnegative integers of a distribution on ℕᵏ (Multinomial,
    OneHotCategorical); Dummies where a parameter already uses one of the names."""
    taken = {getattr(s, "name", None) for s in dist.free_symbols}
    names = [f"X{m}" for m in range(1, k + 1)]
    make = sp.Dummy if taken.intersection(names) else sp.Symbol
    return sp.ImmutableMatrix([make(n, integer=True, nonnegative=True) for n in names])
