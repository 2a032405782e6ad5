r"""Exact ground truth: the correctly rounded float64 value of an expression at float64 inputs.

Each input is taken at its exact binary value; the expression (stable functions and σ replaced by their
elementary definitions) is evaluated in mpmath *interval* arithmetic (``mpmath.iv``), and the working
precision is doubled until both ends of the interval round to the same float64 — then that float is
the correctly rounded value, whatever the cancellation (Herbie's approach). Fixed precision is not
enough: at p = 1e-300 the Bernoulli entropy needs ~1000 bits, and log(1 + e^800) needs no overflow,
which mpmath numbers (unbounded exponents) give for free.

Conventions: a product with an exact-zero factor is 0, whatever the other factors (0·log 0 = 0, the
convention of entropy); an interval that is still not pinned at the maximal precision (a value exactly on a
rounding boundary, or a NaN) is reported with ``resolved=False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import mpmath
import sympy as sp
from mpmath import iv

from .functions import to_elementary

START_PREC, MAX_PREC = 64, 1 << 15


@dataclass(frozen=True)
class TruthValue:
    value: float        # the correctly rounded float64 (nan where undefined)
    mid: object         # an mpf near the exact value (interval midpoint at the final precision)
    prec: int           # bits of working precision that pinned it
    resolved: bool      # False: the interval never pinned a single float64


# -- exact float conversion -------------------------------------------------------------------------------
def _mpf_to_float(m) -> float:
    """Round an mpf tuple (sign, man, exp, bc) to the nearest float64 (ties to even), exactly."""
    sign, man, exp, bc = m
    if not man:
        return -0.0 if sign else 0.0  # zero (infinities and NaN are handled by to_float)
    top = exp + bc  # value in [2^(top−1), 2^top)
    if top > 1025:
        v = float("inf")
    elif top < -1080:
        v = 0.0
    elif exp >= 0:
        try:
            v = float(man << exp)
        except OverflowError:
            v = float("inf")
    else:
        try:
            v = man / (1 << -exp)  # int/int true division is correctly rounded (subnormals included)
        except OverflowError:
            v = float("inf")
    return -v if sign else v


def _special(m):
    from mpmath.libmp import finf, fnan, fninf

    if m == finf:
        return float("inf")
    if m == fninf:
        return float("-inf")
    if m == fnan:
        return float("nan")
    return None


def to_float(m) -> float:
    s = _special(m)
    return s if s is not None else _mpf_to_float(m)


# -- compilation of an expression into an interval evaluator ------------------------------------------------
def _zero(x) -> bool:
    a, b = x._mpi_
    return a == mpmath.libmp.fzero and b == mpmath.libmp.fzero


def _log(x):
    a, b = x._mpi_
    A, B = mpmath.mpf(a), mpmath.mpf(b)  # exact endpoints (never through float: e^−800 is > 0)
    if A > 0:
        return iv.log(x)
    if B < 0 or mpmath.isnan(A) or mpmath.isnan(B):
        return iv.mpf("nan")
    if B == 0:
        return iv.mpf("-inf")
    # the interval reaches 0: unbounded below (more precision may lift the lower end above 0)
    upper = iv.log(iv.mpf(B)).b
    return iv.mpf([mpmath.mpf("-inf"), mpmath.mpf(upper)])


def _exp_endpoint(v, up: bool):
    """e^v for an mpf v of huge magnitude, as 2^n·e^r with v = n·ln 2 + r (mpmath's own exp raises to a
    power by squaring at this size: ~30 ms per call), widened outward by 2^−(prec+4) relative."""
    prec = iv.prec
    with mpmath.workprec(prec + int(mpmath.mag(v)) + 40):
        n = int(mpmath.floor(v / mpmath.ln2))
        r = v - n * mpmath.ln2
        e = mpmath.exp(r)
    with mpmath.workprec(prec + 20):
        e = e * (1 + mpmath.ldexp(1, -(prec + 4)) * (1 if up else -1))
        return mpmath.ldexp(e, n)


def _iv_exp(x):
    a, b = x._mpi_
    A, B = mpmath.mpf(a), mpmath.mpf(b)
    if mpmath.isfinite(A) and mpmath.isfinite(B) and max(abs(A), abs(B)) > 2**20:
        return iv.mpf([_exp_endpoint(A, False), _exp_endpoint(B, True)])
    return iv.exp(x)


def _compile(e, index: dict, memo_ids: dict | None = None) -> Callable:
    """A closure env -> interval; env = (inputs, memo) and repeated subexpressions are evaluated once."""
    if memo_ids is None:
        memo_ids = {}
    if e in index or e.is_Atom:
        return _compile_node(e, index, memo_ids)
    key = memo_ids.setdefault(e, len(memo_ids))
    f = _compile_node(e, index, memo_ids)

    def memo(env):
        cache = env[1]
        v = cache.get(key)
        if v is None:
            v = cache[key] = f(env)
        return v

    return memo


def _compile_node(e, index: dict, memo_ids: dict) -> Callable:
    if e in index:
        i = index[e]
        return lambda xs: xs[0][i]
    if e.is_Integer:
        n = int(e)
        return lambda xs: iv.mpf(n)
    if e.is_Rational:
        p, q = int(e.p), int(e.q)
        return lambda xs: iv.mpf(p) / q
    if isinstance(e, sp.Float):
        v = mpmath.mpf(e._mpf_)
        return lambda xs: iv.mpf(v)
    if e is sp.pi:
        return lambda xs: iv.pi
    if e is sp.E:
        return lambda xs: iv.e
    if e is sp.oo:
        return lambda xs: iv.mpf("inf")
    if e is sp.S.NegativeInfinity:
        return lambda xs: iv.mpf("-inf")
    if isinstance(e, sp.Add):
        fs = [_compile(a, index, memo_ids) for a in e.args]

        def add(xs):
            acc = fs[0](xs)
            for f in fs[1:]:
                acc = acc + f(xs)
            return acc

        return add
    if isinstance(e, sp.Mul):
        fs = [_compile(a, index, memo_ids) for a in e.args]

        def mul(xs):
            vals = [f(xs) for f in fs]
            if any(_zero(v) for v in vals):
                return iv.mpf(0)  # 0·(anything, even ±inf) = 0: the 0·log 0 convention
            acc = vals[0]
            for v in vals[1:]:
                acc = acc * v
            return acc

        return mul
    if isinstance(e, sp.Pow):
        fb = _compile(e.base, index, memo_ids)
        ex = e.exp
        if ex.is_Integer:
            n = int(ex)
            if n < 0:
                return lambda xs: 1 / (fb(xs) ** (-n))
            return lambda xs: fb(xs) ** n
        if ex == sp.S.Half:
            return lambda xs: iv.sqrt(fb(xs))
        fe = _compile(ex, index, memo_ids)
        return lambda xs: _iv_exp(fe(xs) * _log(fb(xs)))
    if isinstance(e, sp.exp):
        f = _compile(e.args[0], index, memo_ids)
        return lambda xs: _iv_exp(f(xs))
    if isinstance(e, sp.log):
        f = _compile(e.args[0], index, memo_ids)
        return lambda xs: _log(f(xs))
    if isinstance(e, sp.Abs):
        f = _compile(e.args[0], index, memo_ids)
        return lambda xs: abs(f(xs))
    raise ValueError(f"the ground truth cannot evaluate {type(e).__name__}: {e}")


class TruthFunction:
    """The exact value of ``expr`` at float64 points, argument order ``args``."""

    def __init__(self, expr, args: Sequence):
        self.expr = expr
        self.args = tuple(args)
        self._f = _compile(to_elementary(expr), {a: i for i, a in enumerate(self.args)})

    def __call__(self, *xs, min_bits: int = 0, max_prec: int = MAX_PREC) -> TruthValue:
        prec = START_PREC
        pts = [float(x) for x in xs]
        last = None
        while prec <= max_prec:
            saved, iv.prec = iv.prec, prec
            try:
                v = self._f(([iv.mpf(x) for x in pts], {}))
            except (ZeroDivisionError, ValueError, mpmath.libmp.ComplexResult):
                v = None
            finally:
                iv.prec = saved
            if v is not None:
                a, b = v._mpi_
                lo, hi = to_float(a), to_float(b)
                last = (a, b, prec)
                if lo == hi and lo == lo:  # pinned (−0.0 == 0.0; NaN never equals itself)
                    if min_bits == 0 or self._tight(a, b, min_bits):
                        return TruthValue(lo if lo != 0 else 0.0, self._mid(a, b, prec), prec, True)
            prec *= 2
        if last is None:
            return TruthValue(float("nan"), mpmath.mpf("nan"), prec // 2, False)
        a, b, p = last
        mid = self._mid(a, b, p)
        return TruthValue(to_float(mid._mpf_) if mpmath.isfinite(mid) else float("nan"), mid, p, False)

    @staticmethod
    def _mid(a, b, prec):
        with mpmath.workprec(max(prec, a[3], b[3]) + 10):
            A, B = mpmath.mpf(a), mpmath.mpf(b)
            if mpmath.isinf(A) and A == B:
                return A
            if not (mpmath.isfinite(A) and mpmath.isfinite(B)):
                return mpmath.mpf("nan")
            return (A + B) / 2

    @staticmethod
    def _tight(a, b, bits) -> bool:
        with mpmath.workprec(max(a[3], b[3], 53) + 10):  # the endpoints exactly (mpf() rounds to mp.prec)
            A, B = mpmath.mpf(a), mpmath.mpf(b)
            if not (mpmath.isfinite(A) and mpmath.isfinite(B)):
                return A == B
            if A == B:
                return True
            scale = max(abs(A), abs(B))
            return (B - A) <= scale * mpmath.ldexp(1, -bits)

    def many(self, columns) -> tuple:
        """Values and resolution flags for columns of inputs (one sequence per argument)."""
        vals, ok = [], []
        for pt in zip(*columns):
            t = self(*pt)
            vals.append(t.value)
            ok.append(t.resolved)
        return vals, ok


def truth_function(expr, args: Sequence) -> TruthFunction:
    return TruthFunction(expr, args)


def ground_truth(expr, args: Sequence, point: Sequence, min_bits: int = 0) -> TruthValue:
    """The correctly rounded float64 value of ``expr`` at ``point`` (see the module docstring)."""
    return TruthFunction(expr, args)(*point, min_bits=min_bits)


__all__ = ["TruthValue", "TruthFunction", "truth_function", "ground_truth", "to_float"]
