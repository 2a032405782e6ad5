"""Is a density the user wrote down a probability density?  Nonnegativity and normalisation, decided
where they can be and checked numerically (with the evidence recorded) where they cannot.

* nonnegativity: from the assumptions of the parameters and of the random variable (whose assumptions
  come from the support), else at sampled parameter values and support points;
* normalisation: ∫ p dν = 1 over the support by integration (Lebesgue) or summation (counting) under a
  time limit, simplified to 1 (proved); else mpmath quadrature / summation at sampled parameter values
  (checked numerically, to 1e-10). A value that is provably not 1 is an error that gives the value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import mpmath
import sympy as sp

from symce.core.family import Measure
from symce.core.limits import time_limit
from symce.core.special import to_elementary
from symce.engine.definition import integrate
from symce.errors import DensityError, DerivationTimeoutError
from symce.engine.crosscheck import sample_parameters
from symce.families.spaces import bounds

PROVED, CHECKED, UNCHECKED = "proved", "checked numerically", "not checked"
_LIMIT = 10.0   # seconds for the symbolic normalisation integral before the numerical check takes over
_POINTS = 3     # parameter points of a numerical check


@dataclass(frozen=True)
class Check:
    """The standing of one property of a user density: ``status`` is "proved" or "checked numerically"."""

    status: str
    detail: str

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"


def _pieces(support):
    return [(sp.sympify(lo), sp.sympify(hi)) for lo, hi in bounds(support)]


def total_mass(pdf, x, support, measure) -> sp.Expr:
    """∫ p dν over the support, symbolically (may stay unevaluated)."""
    if isinstance(support, sp.FiniteSet):
        return sp.Add(*[pdf.xreplace({x: pt}) for pt in support.args])
    return sp.Add(*[integrate(pdf, x, lo, hi, measure) for lo, hi in _pieces(support)])


def _numeric_mass(pdf, x, support, measure, values) -> mpmath.mpf:
    f = sp.lambdify(x, pdf.xreplace(values), modules="mpmath")
    sup = support.xreplace(values) if isinstance(support, sp.Basic) else support
    if isinstance(sup, sp.FiniteSet):
        return mpmath.fsum(f(mpmath.mpf(sp.Float(p, 30))) for p in sup.args)
    total = mpmath.mpf(0)
    for lo, hi in _pieces(sup):
        a = mpmath.mpf(sp.Float(lo, 30)) if lo.is_finite else (mpmath.ninf if lo == -sp.oo else None)
        b = mpmath.mpf(sp.Float(hi, 30)) if hi.is_finite else (mpmath.inf if hi == sp.oo else None)
        if a is None or b is None:
            raise DensityError(f"support {sup} has an end that is not a number at the sampled parameters {values}")
        total += mpmath.nsum(f, [a, b]) if measure is Measure.COUNTING else mpmath.quad(f, [a, b])
    return total


def normalisation(pdf, x, support, measure, who: str, seed: int = 0, conditions=()) -> Check:
    """∫ p dν = 1 over the support, proved or checked numerically; DensityError when it is not 1."""
    what = f"{who}: the integral of the density over its support"
    # the limit of factorials and gammas (a Poisson pmf) takes SymPy seconds: those are left to the sum
    if measure is not Measure.COUNTING or not pdf.has(sp.factorial, sp.gamma, sp.loggamma, sp.binomial, sp.beta,
                                                      sp.RisingFactorial, sp.FallingFactorial):
        _tends_to_zero(pdf, x, support, who, "sum" if measure is Measure.COUNTING else "integral")
    try:
        with mpmath.workdps(30), time_limit(what, _LIMIT):
            total = total_mass(pdf, x, support, measure)
            gap = sp.simplify(total - 1)
    except DerivationTimeoutError:
        total, gap = None, None
    except Exception:  # noqa: BLE001 - SymPy's integrator may fail in many ways; the numeric check decides
        total, gap = None, None
    if gap is not None and gap == 0:
        return Check(PROVED, f"∫ p dν over {support} = 1, by {'summation' if measure is Measure.COUNTING else 'integration'}")
    if gap is not None and total is not None and total.is_number and not total.has(sp.Integral, sp.Sum):
        # a constant SymPy cannot simplify to 1 (catalan(1/2)·3π/8 for a Student t) is decided by its value
        value = sp.N(total, 40)
        if value.is_real and abs(value - 1) < sp.Float("1e-30"):
            return Check(CHECKED, f"∫ p dν over {support} = {total}, which evaluates to 1 to 30 digits")
        raise DensityError(f"{who}: the density integrates to {total} over {support}, not to 1; divide it by "
                           f"{total} (or check the support)")
    rng = random.Random(seed)
    params = sorted((pdf.free_symbols | getattr(support, "free_symbols", set())) - {x}, key=lambda s: s.name)
    worst = 0
    try:
        # bounded too: mpmath's quadrature of a doubly exponential tail (Gumbel) can run for minutes
        with mpmath.workdps(30), time_limit(f"{what}, numerically", _LIMIT):
            for values in _valid_draws(params, support, rng, conditions):
                got = _numeric_mass(pdf, x, support, measure, values)
                if abs(got - 1) > mpmath.mpf("1e-10"):
                    raise DensityError(f"{who}: the density integrates to {mpmath.nstr(got, 12)} over "
                                       f"{support.xreplace(values)} at {values}, not to 1")
                worst = max(worst, abs(got - 1))
    except DerivationTimeoutError:
        return Check(UNCHECKED, f"neither integrated in closed form nor by quadrature within {_LIMIT:g} s each; "
                                "the density is taken as given")
    return Check(CHECKED, f"∫ p dν = 1 to within {mpmath.nstr(worst + mpmath.mpf('1e-30'), 3)} at {_POINTS} "
                          f"random parameter points (no closed form within {_LIMIT:g} s)")


def _tends_to_zero(pdf, x, support, who: str, total: str = "integral") -> None:
    """At an infinite end of the support p must not tend to a nonzero limit: then ∫ p (Σ p) diverges, and the
    integrator and quadrature would spend their whole time limits finding out (σ(x) on ℝ: 10 s). A limit that
    is 0, unknown, or not found within half a second decides nothing."""
    if isinstance(support, sp.FiniteSet):
        return
    ends = [end for lo, hi in _pieces(support) for end in (lo, hi) if end in (sp.oo, -sp.oo)]
    for end in dict.fromkeys(ends):
        try:
            with time_limit(f"{who}: the limit of the density at {end}", 0.5):
                limit = sp.limit(to_elementary(pdf), x, end)
        except Exception:  # noqa: BLE001 - no limit found (or not in time): no verdict, the integral decides
            continue
        if limit.has(sp.AccumBounds, sp.Limit, sp.nan) or limit.is_zero is not False:
            continue
        if limit.is_extended_real:
            raise DensityError(f"{who}: the density tends to {limit} (not 0) as {x} → {end}, so its {total} "
                               f"over {support} diverges; a density must integrate to 1 over its support")


def nonnegativity(pdf, x, support, who: str, seed: int = 0, conditions=()) -> Check:
    """p ≥ 0 on the support: from assumptions, else at sampled points; DensityError with a negative point."""
    if pdf.is_nonnegative:
        return Check(PROVED, "p ≥ 0 follows from the assumptions of the parameters and of the support")
    if pdf.is_negative:
        raise DensityError(f"{who}: the density {pdf} is negative on the support {support}")
    rng = random.Random(seed)
    params = sorted((pdf.free_symbols | getattr(support, "free_symbols", set())) - {x}, key=lambda s: s.name)
    try:
        with time_limit(f"{who}: the sign of the density at sampled points", _LIMIT):
            for values in _valid_draws(params, support, rng, conditions):
                sup = support.xreplace(values)
                for pt in _support_points(sup, rng):
                    # evalf's subs, not xreplace: exact rationals raised to rational powers make SymPy factor
                    # huge integers (with python-flint's ground types that overflows a float inside SymPy)
                    v = pdf.evalf(20, subs={**values, x: pt})
                    if v.is_extended_real is False or (v.is_number and v < 0):
                        raise DensityError(f"{who}: the density is {v} (negative or not real) at {x} = {pt} for {values}")
    except DerivationTimeoutError:
        return Check(UNCHECKED, f"the sign of the density was not decided within {_LIMIT:g} s; taken as given")
    return Check(CHECKED, f"p ≥ 0 at sampled support points for {_POINTS} random parameter points")


def _valid_draws(params, support, rng: random.Random, conditions=()) -> list[dict]:
    """Parameter points at which the support is a proper set ([lo, hi] needs lo < hi): a Uniform's
    density 1/(hi − lo) is checked where it is a density, never where the draw left the parameter space."""
    out = []
    for _ in range(50 * _POINTS):
        values = sample_parameters(params, rng)
        sup = support.xreplace(values)
        if sup is sp.EmptySet or (isinstance(sup, sp.Interval) and sup.measure == 0):
            continue
        if not all(bool(c.xreplace(values)) for c in conditions):  # the user's parameter conditions (p < 1)
            continue
        out.append(values)
        if len(out) == _POINTS:
            break
    return out


def _support_points(S, rng: random.Random, n: int = 8) -> list:
    if isinstance(S, sp.FiniteSet):
        return list(S.args)[:n]
    out = []
    for lo, hi in _pieces(S):
        lo_f = float(lo) if lo.is_finite else None
        hi_f = float(hi) if hi.is_finite else None
        for _ in range(n):
            if lo_f is not None and hi_f is not None:
                t = lo_f + (hi_f - lo_f) * rng.random()
            elif lo_f is not None:
                t = lo_f + rng.expovariate(1.0)
            elif hi_f is not None:
                t = hi_f - rng.expovariate(1.0)
            else:
                t = rng.gauss(0, 3)
            out.append(sp.Rational(round(t * 1000), 1000))
    if S.is_subset(sp.Integers) is True:  # counting supports: the nearest integers that lie in S
        out = sorted({sp.Integer(round(float(t))) for t in out})
    return [t for t in out if S.contains(t) == sp.true]
