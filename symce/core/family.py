"""The ``Family`` base class: a parametric family of distributions with symbolic parameters.

A family instance is one distribution P_θ whose parameters θ are SymPy expressions (symbols, numbers,
or any expression such as a logit ``w*x + b``). It knows

* its **sample space** (a hashable key: two distributions can be compared only on the same one),
* its **support** as a SymPy ``Set`` and its **dominating measure** ν (counting or Lebesgue),
* its **log-density** log(dP/dν)(x) at a symbolic point x,
* optionally its **exponential-family form** (η, T, A, log h), from which moments are derived,
* its **side conditions** (the parameter constraints, e.g. 0 < p < 1) that derivations record.

Subclasses are final and live one per file in :mod:`symce.families`.
"""

from __future__ import annotations

import abc
import enum
import random
import numbers
from collections.abc import Sequence
from fractions import Fraction
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import sympy as sp

from symce.core import display
from symce.core.notation import latex_vector
from symce.errors import ArgumentTypeError, InvalidParameterError

if TYPE_CHECKING:
    from symce.core.expfamily import ExpFamilyForm


class Measure(enum.Enum):
    """The dominating measure ν of a family's density dP/dν."""

    COUNTING = "counting"
    LEBESGUE = "lebesgue"

    def __str__(self) -> str:
        return f"{self.value} measure"


_HUGE = 10**300


def as_expr(value: Any, *, family: str, parameter: str) -> sp.Expr:
    """Convert a user-supplied parameter value to a SymPy expression, refusing anything ambiguous.

    Strings are refused on purpose: ``sympify`` of text runs ``eval``, and symce never evaluates
    user-supplied text.
    """
    if isinstance(value, (bool, str)) or value is None:
        raise ArgumentTypeError(
            f"{family}: parameter {parameter} must be a number or a SymPy expression, "
            f"not {type(value).__name__} {value!r}" + (" (build it with sympy.Symbol/sympy.symbols instead of text)" if isinstance(value, str) else "")
        )
    if isinstance(value, sp.Basic):
        if value.has(sp.AccumBounds) or value.has(sp.Order):
            # an interval of values is not a parameter value: results would be AccumBounds(-oo, oo)
            raise ArgumentTypeError(f"{family}: parameter {parameter} must be a single value, not the range or "
                                    f"order term {value}")
        if any(max(abs(r.p), r.q) > _HUGE for r in value.atoms(sp.Rational)):
            # exact arithmetic on a 1000-digit rational (γ = (10¹⁰⁰⁰ + 1)/10¹⁰⁰⁰) overflows or runs for minutes
            raise ArgumentTypeError(f"{family}: parameter {parameter} has a rational with more than 300 digits; "
                                    "round it (a Float) or use a symbol")
        if not isinstance(value, sp.Expr):
            raise ArgumentTypeError(
                f"{family}: parameter {parameter} must be a scalar SymPy expression, not {type(value).__name__}"
            )
        return value
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, numbers.Integral):
        return sp.Integer(int(value))
    if isinstance(value, numbers.Real):
        return sp.Float(float(value))
    raise ArgumentTypeError(
        f"{family}: parameter {parameter} must be a number or a SymPy expression, not {type(value).__name__}"
    )


def check_interval(family: str, parameter: str, value: sp.Expr, interval: sp.Interval, allowed: str) -> None:
    """Reject a parameter that provably lies outside ``interval`` (constants are decided exactly;
    symbolic values are rejected only when their assumptions contradict the interval)."""
    if value.has(sp.nan, sp.zoo) or (value.is_number and not value.is_extended_real):
        raise InvalidParameterError(family, parameter, value, allowed)
    if value.is_number:
        if value.is_infinite or interval.contains(value) == sp.false:
            raise InvalidParameterError(family, parameter, value, allowed)
        return
    # Symbolic: consult the assumptions only, never guess.
    if value.is_extended_real is False:
        raise InvalidParameterError(family, parameter, value, f"{allowed} (it is declared non-real)")
    lo, hi = interval.start, interval.end
    below = (value < lo) if interval.left_open is False else (value <= lo)
    above = (value > hi) if interval.right_open is False else (value >= hi)
    for rel in (below, above):
        if rel == sp.true:
            raise InvalidParameterError(family, parameter, value, f"{allowed} (its assumptions put it outside)")


class Family(abc.ABC):
    """Abstract base of every distribution family. Subclasses set the class attributes and implement
    :meth:`log_density`, :meth:`variable` and (where one exists) :meth:`expfamily`.

    ``Family()`` itself cannot be instantiated (TypeError naming the missing methods): a distribution
    that symce does not ship is written with :class:`symce.Density` or :class:`symce.ExponentialFamily`.
    """

    #: Human name, e.g. "Bernoulli"; also the key of the family in the catalog.
    name: ClassVar[str] = "Family"

    def __new__(cls, *args, **kwargs):
        if cls is Family:
            raise TypeError("Family is the abstract base of symce's distributions and cannot be instantiated; "
                            "write a distribution symce does not ship as symce.Density(pdf, x, support) or "
                            "symce.ExponentialFamily(x, support, eta, T, A, log_h)")
        return super().__new__(cls)
    #: The dominating measure of the density.
    measure: ClassVar[Measure]

    # -- interface ---------------------------------------------------------------------------------
    @property
    @abc.abstractmethod
    def parameters(self) -> dict[str, Any]:
        """Ordered mapping parameter name -> value (SymPy expression, or a sequence/matrix of them)."""
        raise NotImplementedError

    @property
    @abc.abstractmethod
    def sample_space(self) -> tuple:
        """Hashable key of the sample space; P and Q must agree on it to be compared."""
        raise NotImplementedError

    @property
    @abc.abstractmethod
    def support(self) -> sp.Set:
        """The set of points of positive density for generic parameter values."""
        raise NotImplementedError

    @abc.abstractmethod
    def variable(self):
        """A canonical symbol (or vector) for the random variable, with the right assumptions."""
        raise NotImplementedError

    @abc.abstractmethod
    def log_density(self, x) -> sp.Expr:
        """log (dP/dν)(x) at the symbolic point ``x``, as a sum of terms (not combined)."""
        raise NotImplementedError

    def pdf(self, x) -> sp.Expr:
        """The density dP/dν at the point ``x`` (by default the exponential of :meth:`log_density`)."""
        return sp.exp(self.log_density(x))

    def expfamily(self) -> "ExpFamilyForm | None":
        """The exponential-family form (η, T, A, log h) of this distribution, or ``None``."""
        return None

    def statistic_moment(self, phi, x) -> tuple[sp.Expr, str] | None:
        """A family's own rule for E[φ(X)] — (value, justification) — for statistics the generic rules
        cannot see (quadratic forms in a random vector); ``None`` lets the generic rules decide."""
        return None

    def conditions(self) -> list[sp.Basic]:
        """Side conditions under which derived formulas hold (the interior of the parameter space),
        as SymPy relations, e.g. ``[0 < p, p < 1]``. Recorded in every derivation."""
        return []

    # -- explicit-size families derived at symbolic size (categorical with k classes, MVN in d dims) --
    def template(self, role: str):
        """``(symbolic-size counterpart, mapping)`` or ``None``. ``role`` ("P" or "Q") keeps the two
        templates' symbols apart; ``mapping`` tells :meth:`instantiate_derivation` the explicit values."""
        return None

    @classmethod
    def instantiate_derivation(cls, derivation, mapping, P, Q):
        """Turn a derivation at symbolic size into one for the explicit distributions P, Q."""
        raise NotImplementedError

    # -- finite discrete support (Bernoulli, categorical with explicit k) ---------------------------
    def support_points(self) -> list | None:
        """The support as an explicit list when it is finite and explicit, else ``None``."""
        return None

    def mass(self, point) -> sp.Expr:
        """P({point}) for a point of a finite explicit support."""
        raise NotImplementedError

    # -- shared behaviour --------------------------------------------------------------------------
    @property
    def free_symbols(self) -> set[sp.Symbol]:
        out: set = set()
        for v in self.parameters.values():
            out |= _free_symbols(v)
        return out

    def _key(self) -> tuple:
        # the class object, not its name: a class redefined in a notebook is another family, and the
        # memo of derivations must not hand back the old class's results
        return (type(self), self.sample_space, tuple((k, _hashable(v)) for k, v in self.parameters.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Family) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.parameters.items())
        return f"{type(self).__name__}({args})"

    # -- notation: each family declares its own; the printer dispatches to _latex, as SymPy does ----
    #: the family's symbol in LaTeX, e.g. ``r"\mathrm{Bern}"``; None writes \mathrm{<name>} (a
    #: :class:`~symce.families.density.Density` named "Exponential" prints as \mathrm{Exponential})
    latex_name: ClassVar[str | None] = None

    def latex_arguments(self, printer) -> list[str]:
        """The LaTeX of the parameters as the family's notation shows them (default: every parameter,
        a vector shortened beyond six entries). ``printer`` is symce's LaTeX printer."""
        return [latex_vector(printer, v) for v in self.parameters.values()]

    def _latex(self, printer) -> str:
        """SymPy's print hook: ``name(arguments)``. A new family file prints without editing the printer."""
        name = self.name if isinstance(self.name, str) and self.name.isascii() and self.name.isalnum() \
            else type(self).__name__
        name = self.latex_name or r"\mathrm{%s}" % name
        return r"%s\left(%s\right)" % (name, ", ".join(self.latex_arguments(printer)))

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {display.render('latex', self)}$"


def flat_values(v) -> list:
    """The scalar entries of a parameter value (a scalar, a list of them, or an explicit matrix), in order."""
    if isinstance(v, sp.MatrixBase):
        return list(v)
    if isinstance(v, (list, tuple)):
        return [y for x in v for y in flat_values(x)]
    return [v]


def _free_symbols(v) -> set:
    if isinstance(v, sp.Basic):
        return set(v.free_symbols)
    if isinstance(v, (list, tuple)):
        out: set = set()
        for e in v:
            out |= _free_symbols(e)
        return out
    return set()


def _hashable(v):
    if isinstance(v, sp.MatrixBase):
        return sp.ImmutableMatrix(v)
    if isinstance(v, list):
        return tuple(_hashable(e) for e in v)
    return v


def _short(v) -> str:
    if isinstance(v, (list, tuple)) and len(v) > 6:
        return f"[{v[0]}, {v[1]}, ..., {v[-1]}] ({len(v)} entries)"
    return str(v)


def as_expr_list(values: Sequence, *, family: str, parameter: str) -> list[sp.Expr]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, sp.MatrixBase)):
        raise ArgumentTypeError(
            f"{family}: parameter {parameter} must be a sequence of numbers or SymPy expressions, "
            f"not {type(values).__name__}"
        )
    return [as_expr(v, family=family, parameter=f"{parameter}[{i}]") for i, v in enumerate(values)]


#: one Dummy per (name, assumptions): the random variable must be the same object on every call, or the
#: statistics of an exponential-family form (built with one call) miss the log-density (built with another)
_DUMMIES: dict = {}


def random_variable(name: str, dist: Family, **assumptions) -> sp.Symbol:
    """The symbol of the random variable: ``name`` unless a parameter already uses that name, in which
    case a Dummy (never silently confuse the user's symbol with the integration variable) — the same
    Dummy on every call."""
    sym = sp.Symbol(name, **assumptions)
    if any(s.name == name for s in dist.free_symbols):
        key = (name, tuple(sorted(assumptions.items())))
        if key not in _DUMMIES:
            _DUMMIES[key] = sp.Dummy(name, **assumptions)
        return _DUMMIES[key]
    return sym


@dataclass(frozen=True)
class Example:
    """One entry of the catalog: how to build a symbolic instance and how to draw valid parameters.

    ``build(i)`` returns a distribution whose symbols carry the suffix ``i`` (so P and Q of a pair do not
    share symbols); ``sample(dist, rng)`` returns valid values for ``dist.free_symbols``.
    """

    label: str
    build: Callable[[int], Family]
    sample: Callable[[Family, "random.Random"], dict]
