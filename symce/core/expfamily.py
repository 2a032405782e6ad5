r"""Exponential-family forms: log p(x) = η(θ)·T(x) − A(η) + log h(x).

The log-partition function A is kept as a function of *free* natural-parameter symbols, so that the
moment map E[T_j] = ∂A/∂η_j is obtained by differentiation and only then evaluated at η(θ); this is how
symce derives expectations of sufficient statistics instead of looking them up. Higher moments of the
statistics come from the cumulant function K(t) = A(η + t) − A(η).

An indexed form (symbolic number of classes k) uses one ``Indexed`` natural parameter ``eta[i]`` with a
generic index ``i`` and statistic ``T_i(x)``; sums over the classes are SymPy ``Sum`` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import sympy as sp


@dataclass(frozen=True)
class ExpFamilyForm:
    #: natural-parameter symbols (Symbol, or Indexed ``eta[i]`` with the generic index of ``index``)
    natural_symbols: tuple
    #: η(θ) for each natural symbol (an expression in the family's parameters, and in ``i`` if indexed)
    natural_values: tuple
    #: sufficient statistics T_j(x), aligned with ``natural_symbols``
    statistics: tuple
    #: log-partition A as an expression in ``natural_symbols`` (for an indexed form: in the IndexedBase)
    log_partition: sp.Expr
    #: log h(x)
    log_base: sp.Expr = sp.S.Zero
    #: for an indexed form: (i, lower, upper) — the generic index and its range
    index: tuple | None = None
    #: simplification that applies a parameter constraint (e.g. Σ p_i = 1) to a derived moment
    constrain: Callable[[sp.Expr], sp.Expr] | None = field(default=None, compare=False)

    # ------------------------------------------------------------------------------------------------
    def at_theta(self, expr: sp.Expr) -> sp.Expr:
        """Substitute η = η(θ) into an expression of the natural parameters."""
        if self.index is None:
            return expr.xreplace(dict(zip(self.natural_symbols, self.natural_values)))
        i = self.index[0]
        out = expr
        for sym, val in zip(self.natural_symbols, self.natural_values):
            base = sym.base
            out = out.replace(
                lambda e, base=base: isinstance(e, sp.Indexed) and e.base == base,
                lambda e, val=val: val.xreplace({i: e.indices[0]}),
            )
        return out

    def mean_statistic(self, j: int = 0, index_value=None) -> sp.Expr:
        """E[T_j] = ∂A/∂η_j evaluated at η(θ) (for an indexed form, at class ``index_value``)."""
        sym = self.natural_symbols[j]
        if self.index is not None:
            i, lo, hi = self.index
            target = sym.base[index_value if index_value is not None else i]
            grad = sp.diff(self.log_partition, target).doit()
            grad = resolve_index_range(grad, target.indices[0], lo, hi)
        else:
            grad = sp.diff(self.log_partition, sym)
        m = self.at_theta(grad)
        if self.constrain is not None:
            m = self.constrain(m)
        if not m.has(sp.Function, sp.Sum):
            m = sp.cancel(m)  # e.g. (p/(1−p))/(1 + p/(1−p)) → p: a rational function, cheap and exact
        return m

    def cumulant_function(self, t: tuple) -> sp.Expr:
        """K(t) = A(η + t) − A(η), the cumulant generating function of T (non-indexed forms)."""
        shift = {s: s + tj for s, tj in zip(self.natural_symbols, t)}
        return self.log_partition.xreplace(shift) - self.log_partition

    def log_density(self, x_stats: tuple | None = None) -> sp.Expr:
        """η(θ)·T(x) − A(η(θ)) + log h(x), for checking against the family's own log-density."""
        if self.index is not None:
            i, lo, hi = self.index
            dot = sum((sp.Sum(v * T, (i, lo, hi)) for v, T in zip(self.natural_values, self.statistics)), sp.S.Zero)
        else:
            dot = sp.Add(*[v * T for v, T in zip(self.natural_values, self.statistics)])
        return dot - self.at_theta(self.log_partition) + self.log_base


def resolve_index_range(expr: sp.Expr, idx, lo, hi) -> sp.Expr:
    """Replace ``Piecewise((f, cond), (0, True))`` by ``f`` when ``cond`` holds for every index
    lo <= idx <= hi: ``diff`` of a ``Sum`` w.r.t. ``x[i]`` yields such objects (the class might lie
    outside the sum), while symce's generic index always ranges over the classes (recorded by callers).
    """

    def fix(pw):
        if (len(pw.args) == 2 and pw.args[1].cond == sp.true and pw.args[1].expr == 0
                and _holds_on_range(pw.args[0].cond, idx, lo, hi)):
            return pw.args[0].expr
        return pw

    return expr.replace(lambda e: isinstance(e, sp.Piecewise), fix)


def _holds_on_range(cond, idx, lo, hi) -> bool:
    """Does a conjunction of linear inequalities in ``idx`` hold for all lo <= idx <= hi?
    Linear in idx, so checking both ends suffices; a symbolic end such as k is decided from its
    assumptions (k a positive integer gives k - 1 >= 0)."""
    atoms = cond.args if isinstance(cond, sp.And) else (cond,)
    for a in atoms:
        if not isinstance(a, sp.Rel) or a.rel_op in ("==", "!="):
            return False
        gap = (a.lhs - a.rhs) if a.rel_op in (">=", ">") else (a.rhs - a.lhs)
        strict = a.rel_op in (">", "<")
        for end in (lo, hi):
            v = sp.expand(gap.xreplace({idx: end}))
            if not (_positive(v) if strict else _nonnegative(v)):
                return False
    return True


def _nonnegative(v: sp.Expr) -> bool:
    if v.is_nonnegative:
        return True
    # k - 1 >= 0 for a positive integer k: SymPy does not infer it, so shift k = m + 1 with m >= 0
    for s in v.free_symbols:
        if s.is_integer and s.is_positive:
            if v.xreplace({s: sp.Dummy(integer=True, nonnegative=True) + 1}).is_nonnegative:
                return True
    return False


def _positive(v: sp.Expr) -> bool:
    return bool(v.is_positive) or (v.is_integer is True and _nonnegative(v - 1))
