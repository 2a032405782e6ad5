"""A closed form from SymPy's integrator is cross-checked before the engine uses it.

``sympy.integrate(..., conds="none")`` drops the conditions under which an antiderivative or a Meijer-G
evaluation holds, and the answer can be wrong where those fail — the entropy of a Student t at symbolic ν
came back as an expression worth +∞ at ν = 2.5 and NaN at ν = 3. So a closed form obtained by integration
or summation is evaluated at sampled parameter points (inside the family's conditions) and compared with
mpmath quadrature (``quad``) or summation (``nsum``) of the same integrand at 30 digits. A disagreement
rejects the closed form; the engine then keeps the defining integral, which is exact.
"""

from __future__ import annotations

import random

import mpmath
import sympy as sp

from symce.core.family import Measure
from symce.core.limits import time_limit
from symce.errors import DerivationTimeoutError

_POINTS = 2
_LIMIT = 5.0


def sample_parameters(symbols, rng: random.Random) -> dict:
    """Random values for parameters, within their assumptions (for numerical checks)."""
    out = {}
    for s in sorted(symbols, key=lambda s: s.name):
        if s.is_integer:
            lo = 1 if s.is_positive else 0
            out[s] = sp.Integer(rng.randint(lo, lo + 5))
        elif s.is_positive or s.is_nonnegative:
            out[s] = sp.Rational(rng.randint(300, 3000), 1000)
        elif s.is_negative:
            out[s] = -sp.Rational(rng.randint(300, 3000), 1000)
        else:
            out[s] = sp.Rational(rng.randint(-2000, 2000), 1000)
    return out


def _draws(symbols, conditions, rng):
    out = []
    for _ in range(40 * _POINTS):
        values = sample_parameters(symbols, rng)
        if all(bool(c.xreplace(values)) for c in conditions):
            out.append(values)
            if len(out) == _POINTS:
                break
    return out


def _bound(e, values):
    if e == sp.oo:
        return mpmath.inf
    if e == -sp.oo:
        return mpmath.ninf
    return mpmath.mpf(str(sp.N(e.xreplace(values), 35)))


def _kinks(expr, x) -> list:
    out = []
    for a in expr.atoms(sp.Abs):
        arg = a.args[0]
        if x in arg.free_symbols and arg.is_polynomial(x) and sp.degree(arg, x) == 1:
            root = sp.solve(arg, x)
            if root and root[0].is_number:
                out.append(mpmath.mpf(str(sp.N(root[0], 35))))
    return out


#: |argument| beyond which e^{argument} is taken as 0 or ∞: mpmath computes e^{±10⁵} and beyond exactly, at a
#: precision that grows with the argument (a Gumbel density's e^{−e^{−z}} at the far nodes of the
#: quadrature took seconds per node), where the integrand is 0 to any precision anyway
_HUGE = 10**5


def _exp(a):
    if mpmath.im(a) == 0:
        if a < -_HUGE:
            return mpmath.mpf(0)
        if a > _HUGE:
            return mpmath.inf
    return mpmath.exp(a)


def disagreement(value, integrand, x, pieces, measure, conditions=(), seed: int = 0) -> str | None:
    """None when ``value`` = ∫ integrand over ``pieces`` at sampled points (or when no check could be
    made in time); otherwise the evidence, as a sentence."""
    symbols = sorted((integrand.free_symbols | value.free_symbols) - {x}, key=lambda s: s.name)
    rng = random.Random(seed)
    what = "the numerical cross-check of a closed form"
    try:
        with mpmath.workdps(30), time_limit(what, _LIMIT):
            for values in _draws(symbols, conditions, rng):
                got = sp.N(value.xreplace(values), 30)
                if got == sp.oo and value.has(sp.Piecewise):
                    continue  # a stated divergence branch: quadrature returns a large finite number there
                f = sp.lambdify(x, integrand.xreplace(values), modules=[{"exp": _exp}, "mpmath"])
                ref = mpmath.mpf(0)
                for lo, hi in pieces:
                    a, b = _bound(lo, values), _bound(hi, values)
                    if measure is Measure.COUNTING:
                        ref += mpmath.nsum(f, [a, b])
                    else:  # split at the kinks of |·|: quadrature converges slowly across them
                        cuts = sorted(c for c in _kinks(integrand.xreplace(values), x) if a < c < b)
                        ref += mpmath.quad(f, [a, *cuts, b])
                if not mpmath.isfinite(ref):
                    continue  # the quadrature itself cannot judge here
                if mpmath.im(ref) != 0:
                    continue  # a complex integrand (log of a negative end): outside where E is defined
                if not got.is_finite or got.is_real is False:
                    return f"it is {got} at {values}, where quadrature gives {mpmath.nstr(ref, 15)}"
                if abs(mpmath.mpf(str(got)) - ref) > mpmath.mpf("1e-12") * max(1, abs(ref)):
                    return f"it is {sp.N(got, 15)} at {values}, where quadrature gives {mpmath.nstr(ref, 15)}"
    except DerivationTimeoutError as e:
        if e.what != what:
            raise  # the enclosing derivation's limit: it stays in charge
        return None
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        return None  # a point mpmath cannot evaluate: no evidence either way
    return None
