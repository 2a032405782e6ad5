"""What the distributions a user writes down share: a support given as a SymPy set, the dominating measure
and sample space it implies, a random variable carrying the support's assumptions, parameters that are the
free symbols (ordered by name), and the record of the checks made when the distribution was built.

:class:`~symce.families.density.Density` and :class:`~symce.families.natural.ExponentialFamily` are its two
final subclasses; each supplies its log-density.
"""

from __future__ import annotations

import sympy as sp

from symce.core.family import Family, Measure, random_variable
from symce.errors import ArgumentTypeError
from symce.families.density_checks import Check
from symce.families.spaces import measure_of, variable_assumptions


def check_name(name, default: str, who: str) -> str:
    """A display name: None gives ``default``; otherwise a non-empty string of letters, digits, spaces, '-', '_'."""
    if name is None:
        return default
    if not isinstance(name, str) or not name.strip() or not all(c.isalnum() or c in " -_'" for c in name):
        raise ArgumentTypeError(f"{who}: name must be a non-empty string of letters, digits, spaces, '-' and "
                                f"'_' (it labels the distribution in results and documents), not {name!r}")
    return name.strip()


def check_variable(x, who: str) -> sp.Symbol:
    if not isinstance(x, sp.Symbol):
        raise ArgumentTypeError(f"{who}: the variable must be a SymPy Symbol such as sympy.Symbol('x'), "
                                f"not {type(x).__name__} {x!r}")
    return x


class UserFamily(Family):
    """Base of the families written by the user (abstract: :meth:`log_density` comes from the subclass)."""

    measure = Measure.LEBESGUE  # per instance, from the support

    def _set_support(self, support, who: str) -> None:
        self.measure, self._space = measure_of(support, who)
        if self._space[0] == "real^d":
            raise ArgumentTypeError(f"{who}: distributions on ℝᵈ (support {support}) are not supported yet; write "
                                    "the components' densities or use symce.MultivariateNormal")
        self._support = support
        self.checks: dict[str, Check] = {}

    def _set_variable(self, name: str, parameters: set) -> sp.Symbol:
        """The random variable: the user's name, the support's assumptions (x > 0 lets log(x**a) split, …)."""
        self._x = random_variable(name, _Names(parameters), **variable_assumptions(self._support))
        return self._x

    def _set_parameters(self, symbols: set, who: str) -> None:
        symbols = set(symbols) | set(self._support.free_symbols)
        self._params = {s.name: s for s in sorted(symbols, key=lambda s: s.name)}
        if len(self._params) != len(symbols):
            raise ArgumentTypeError(f"{who}: two parameters share a name ({sorted(self._params)}); rename one")

    def _set_conditions(self, conditions, who: str) -> None:
        """The user's conditions on the parameters (e.g. ``p < 1`` for a geometric law), which SymPy's
        assumptions cannot say: checks sample inside them and every derivation records them."""
        if isinstance(conditions, (sp.Basic, str)) or not hasattr(conditions, "__iter__"):
            raise ArgumentTypeError(f"{who}: conditions must be a list of SymPy relations such as [p < 1], "
                                    f"not {type(conditions).__name__}")
        out = []
        for c in conditions:
            if not isinstance(c, (sp.core.relational.Relational, sp.logic.boolalg.BooleanFunction)):
                raise ArgumentTypeError(f"{who}: each condition must be a SymPy relation such as p < 1, "
                                        f"not {type(c).__name__} {c!r}")
            stray = c.free_symbols - set(self._params.values())
            if stray:
                raise ArgumentTypeError(f"{who}: the condition {c} names {sorted(map(str, stray))}, which are not "
                                        f"parameters of the distribution ({sorted(self._params)})")
            out.append(c)
        self._conditions = tuple(out)

    def conditions(self):
        out = list(getattr(self, "_conditions", ()))
        # an interval support [a, b] with symbolic ends holds for a < b only
        for piece in (self._support.args if isinstance(self._support, sp.Union) else (self._support,)):
            if isinstance(piece, sp.Interval) and (piece.start.free_symbols or piece.end.free_symbols):
                rel = sp.StrictLessThan(piece.start, piece.end)
                if rel not in (sp.true, sp.false):
                    out.append(rel)
        return out

    # -- the Family interface -------------------------------------------------------------------------
    @property
    def parameters(self):
        return dict(self._params)

    @property
    def sample_space(self):
        return self._space

    @property
    def support(self):
        return self._support

    def variable(self):
        return self._x

    def support_points(self):
        S = self._support
        return list(S.args) if isinstance(S, sp.FiniteSet) and all(e.is_number for e in S.args) else None

    def mass(self, point):
        return self.pdf(point)


class _Names:
    """``random_variable``'s clash test before the family exists (its parameters' symbols)."""

    def __init__(self, free):
        self.free_symbols = free
