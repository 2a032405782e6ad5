"""What the shipped one-dimensional families share: arguments in torch.distributions' order and names,
each checked against its domain, the random variable with the support's assumptions, the sample space
and measure implied by the support, and the side conditions the parameters' assumptions do not imply.

A family file then holds only what is its own: the density (as a log-density, a sum of terms), the
support, and — for an exponential family — its natural form (η, T, A, log h), so that moments come from
the moment map instead of integration::

    @final
    class Exponential(Univariate):
        name = "Exponential"
        arguments = (Argument("rate", POSITIVE, "a positive real number (the rate λ)"),)
        support = sp.Interval.open(0, sp.oo)

        def log_density(self, x):
            return sp.log(self.rate) - self.rate * x

Nothing here knows a formula for an entropy or a divergence: those are derived by the engine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

import sympy as sp

from symce.core.family import Family, Measure, as_expr, check_interval, random_variable
from symce.errors import ArgumentTypeError, InvalidParameterError
from symce.families.spaces import measure_of, variable_assumptions

#: the usual parameter domains
REAL = sp.Interval(-sp.oo, sp.oo)
POSITIVE = sp.Interval.open(0, sp.oo)
NONNEGATIVE = sp.Interval(0, sp.oo)
UNIT_OPEN = sp.Interval.open(0, 1)
UNIT = sp.Interval(0, 1)


@dataclass(frozen=True)
class Argument:
    """One constructor argument: its torch name, its domain, the domain in words (for the error message),
    and the range sample points are drawn from when the argument is a symbol (tests, verifier)."""

    name: str
    domain: sp.Interval
    allowed: str
    draw: tuple[float, float] | None = None
    #: a count (Binomial's total_count): an integer, or a symbol declared integer=True
    integer: bool = False

    def sample_range(self) -> tuple[float, float]:
        if self.draw is not None:
            return self.draw
        lo = max(float(self.domain.start), -3.0)
        hi = min(float(self.domain.end), 4.0)
        if self.domain.start == 0:  # (0, …): keep away from the pole at 0
            lo = 0.1
        if self.domain.end == 1:
            hi = 0.9
        return lo, hi


class Univariate(Family):
    """Base of the shipped families on ℝ or ℤ (abstract). Subclasses set ``name``, ``arguments`` and
    ``support`` (a class attribute or a property when it depends on the parameters) and implement
    :meth:`log_density`; an exponential family also implements :meth:`expfamily`."""

    arguments: ClassVar[tuple[Argument, ...]] = ()

    def __init__(self, *args, **kwargs):
        who = type(self).__name__
        names = [a.name for a in self.arguments]
        if len(args) > len(names):
            raise ArgumentTypeError(f"{who} takes {len(names)} arguments ({', '.join(names)}), got {len(args)}")
        given = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names:
                raise ArgumentTypeError(f"{who}: unknown argument {k!r}; the arguments are {', '.join(names)}")
            if k in given:
                raise ArgumentTypeError(f"{who}: argument {k!r} given twice (by position and by name)")
            given[k] = v
        missing = [n for n in names if n not in given]
        if missing:
            raise ArgumentTypeError(f"{who}: missing argument(s) {', '.join(missing)} "
                                    f"(the arguments are {', '.join(names)}, as in torch.distributions.{who})")
        for a in self.arguments:
            value = as_expr(given[a.name], family=who, parameter=a.name)
            if a.integer:
                value = _as_count(who, a, value)
            check_interval(who, a.name, value, a.domain, a.allowed)
            setattr(self, a.name, value)
        self._check_jointly()

    def _check_jointly(self) -> None:
        """Relations between arguments (Uniform: low < high); raise InvalidParameterError."""

    # -- the Family interface ---------------------------------------------------------------------------
    @property
    def parameters(self):
        return {a.name: getattr(self, a.name) for a in self.arguments}

    @property
    def measure(self) -> Measure:  # type: ignore[override]
        return measure_of(self.support, type(self).__name__)[0]

    @property
    def sample_space(self):
        return measure_of(self.support, type(self).__name__)[1]

    def variable(self):
        return random_variable("X", self, **variable_assumptions(self.support))

    def conditions(self):
        """Each argument in its domain, as relations, where its assumptions do not already say so."""
        out = []
        for a in self.arguments:
            v = getattr(self, a.name)
            if v.is_number:
                continue
            lo, hi = a.domain.start, a.domain.end
            if lo.is_finite:
                rel = sp.StrictGreaterThan(v, lo) if a.domain.left_open else sp.GreaterThan(v, lo)
                if rel is not sp.true:
                    out.append(rel)
            if hi.is_finite:
                rel = sp.StrictLessThan(v, hi) if a.domain.right_open else sp.LessThan(v, hi)
                if rel is not sp.true:
                    out.append(rel)
        return out + self._joint_conditions()

    def _joint_conditions(self) -> list:
        """Side conditions relating arguments (Uniform: low < high) that assumptions cannot express."""
        return []


def _as_count(who: str, a: Argument, value):
    """An integer argument: 10.0 is 10 (torch takes counts as float tensors); 1.5, or a symbol not declared
    integer, is refused — a non-integer count would silently change the support."""
    if value.is_Float and float(value).is_integer():
        return sp.Integer(int(value))
    if value.is_integer is not True:
        raise InvalidParameterError(who, a.name, value, f"{a.allowed}; a symbol needs integer=True")
    return value


def not_before(who: str, parameter: str, value, bound, allowed: str) -> None:
    """Refuse value ≤ bound when it is decided (numbers, or assumptions that settle it)."""
    rel = sp.StrictGreaterThan(value, bound)
    if rel is sp.false:
        raise InvalidParameterError(who, parameter, value, allowed)


def sample_arguments(dist: Univariate, rng: random.Random) -> dict:
    """Valid random values for the distribution's free symbols: each symbol that is an argument is drawn
    from its argument's range (three decimals, exact rationals); other symbols from (0.1, 4) or (−3, 3)."""
    out = {}
    for a in dist.arguments:
        v = getattr(dist, a.name)
        if isinstance(v, sp.Symbol):
            lo, hi = a.sample_range()
            out[v] = (sp.Integer(rng.randint(int(lo), int(hi))) if a.integer
                      else sp.Rational(rng.randint(int(lo * 1000), int(hi * 1000)), 1000))
    for s in dist.free_symbols - set(out):
        out[s] = sp.Rational(rng.randint(100, 4000) if s.is_positive else rng.randint(-3000, 3000), 1000)
    return out
