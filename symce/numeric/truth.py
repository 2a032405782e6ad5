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
from mpmath import libmp as L
from mpmath.libmp import libmpi as LI

from symce.numeric.functions import to_elementary

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
# The evaluator works on raw mpmath intervals — pairs (lo, hi) of mpf tuples — with the directed-rounding
# kernels of ``mpmath.libmp.libmpi`` that ``mpmath.iv`` itself calls: the same arithmetic without creating
# an interval object and looking up the context's precision at every operation (about half the time of
# a low-precision evaluation went there).
_FLOOR, _CEIL = L.round_floor, L.round_ceiling
_ZERO, _ONE = (L.fzero, L.fzero), (L.fone, L.fone)
_NAN = (L.fnan, L.fnan)
_NEG_INF = (L.fninf, L.fninf)


def _zero(x) -> bool:
    return x[0] == L.fzero and x[1] == L.fzero


def _log(x, prec):
    a, b = x
    if a == L.fnan or b == L.fnan or L.mpf_lt(b, L.fzero):
        return _NAN
    if L.mpf_gt(a, L.fzero):
        return LI.mpi_log(x, prec)
    if b == L.fzero:
        return _NEG_INF
    # the interval reaches 0: unbounded below (more precision may lift the lower end above 0)
    return L.fninf, L.mpf_log(b, prec, _CEIL)


def _exp_endpoint(v, prec: int, up: bool):
    """e^v for an mpf v of huge magnitude, as 2^n·e^r with v = n·ln 2 + r (mpmath's own exp raises to a
    power by squaring at this size: ~30 ms per call), widened outward by 2^−(prec+4) relative: n·ln 2 is
    formed with |v|·2^−(prec+40) absolute error, so the widening covers it."""
    wp = prec + (v[2] + v[3]) + 40
    ln2 = L.mpf_ln2(wp)
    n = L.to_int(L.mpf_floor(L.mpf_div(v, ln2, wp)))
    r = L.mpf_sub(v, L.mpf_mul(L.from_int(n), ln2, wp), wp)
    e = L.mpf_exp(r, prec + 40)
    eps = L.from_man_exp(1 if up else -1, -(prec + 4))
    e = L.mpf_mul(e, L.mpf_add(L.fone, eps, prec + 20, _CEIL if up else _FLOOR), prec + 20, _CEIL if up else _FLOOR)
    return L.mpf_shift(e, n)


def _exp_end(v, prec: int, up: bool):
    if v[1] and v[2] + v[3] > 21:  # finite, |v| > 2^20
        return _exp_endpoint(v, prec, up)
    return L.mpf_exp(v, prec, _CEIL if up else _FLOOR)


def _iv_exp(x, prec):
    return _exp_end(x[0], prec, False), _exp_end(x[1], prec, True)


def _compile(e, index: dict, memo_ids: dict | None = None) -> Callable:
    """A closure env -> interval; env = (inputs, memo, prec) and repeated subexpressions are evaluated
    once per evaluation."""
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


def _constant(v):
    return lambda env: v


def _compile_node(e, index: dict, memo_ids: dict) -> Callable:
    if e in index:
        i = index[e]
        return lambda env: env[0][i]
    if e.is_Integer:
        n = L.from_int(int(e))
        return _constant((n, n))
    if e.is_Rational:
        p, q = L.from_int(int(e.p)), L.from_int(int(e.q))
        return lambda env: LI.mpi_div((p, p), (q, q), env[2])
    if isinstance(e, sp.Float):
        v = e._mpf_
        return _constant((v, v))
    if e is sp.pi:
        return lambda env: LI.mpi_pi(env[2])
    if e is sp.E:
        return lambda env: (L.mpf_e(env[2], _FLOOR), L.mpf_e(env[2], _CEIL))
    if e is sp.oo:
        return _constant((L.finf, L.finf))
    if e is sp.S.NegativeInfinity:
        return _constant(_NEG_INF)
    if isinstance(e, sp.Add):
        fs = [_compile(a, index, memo_ids) for a in e.args]
        add = LI.mpi_add

        def add_(env):
            acc = fs[0](env)
            prec = env[2]
            for f in fs[1:]:
                acc = add(acc, f(env), prec)
            return acc

        return add_
    if isinstance(e, sp.Mul):
        fs = [_compile(a, index, memo_ids) for a in e.args]
        mul = LI.mpi_mul

        def mul_(env):
            vals = [f(env) for f in fs]
            if any(_zero(v) for v in vals):
                return _ZERO  # 0·(anything, even ±inf) = 0: the 0·log 0 convention
            acc, prec = vals[0], env[2]
            for v in vals[1:]:
                acc = mul(acc, v, prec)
            return acc

        return mul_
    if isinstance(e, sp.Pow):
        fb = _compile(e.base, index, memo_ids)
        ex = e.exp
        if ex.is_Integer:
            n = int(ex)
            if n < 0:
                return lambda env: LI.mpi_div(_ONE, LI.mpi_pow_int(fb(env), -n, env[2]), env[2])
            return lambda env: LI.mpi_pow_int(fb(env), n, env[2])
        if ex == sp.S.Half:
            return lambda env: LI.mpi_sqrt(fb(env), env[2])
        fe = _compile(ex, index, memo_ids)
        return lambda env: _iv_exp(LI.mpi_mul(fe(env), _log(fb(env), env[2]), env[2]), env[2])
    if isinstance(e, sp.exp):
        f = _compile(e.args[0], index, memo_ids)
        return lambda env: _iv_exp(f(env), env[2])
    if isinstance(e, sp.log):
        split = _split_log(e.args[0])
        if split is not None:
            return _compile(split, index, memo_ids)
        f = _compile(e.args[0], index, memo_ids)
        return lambda env: _log(f(env), env[2])
    if isinstance(e, _log1p):
        f = _compile(e.args[0], index, memo_ids)

        def log1p_(env):
            a, b = f(env)
            return _log1p_end(a, env[2], False), _log1p_end(b, env[2], True)

        return log1p_
    if isinstance(e, sp.Abs):
        f = _compile(e.args[0], index, memo_ids)
        return lambda env: LI.mpi_abs(f(env))
    raise ValueError(f"the ground truth cannot evaluate {type(e).__name__}: {e}")


def _positive(e) -> bool:
    """Positive at every real (float) input, by its structure alone: exponentials, positive constants and
    their sums, products and integer powers (mpmath's e^−1e308 is a positive number, never 0)."""
    if isinstance(e, sp.exp) or e is sp.E or e is sp.pi:
        return True
    if e.is_Number:
        return bool(e > 0)
    if isinstance(e, (sp.Add, sp.Mul)):
        return all(_positive(a) for a in e.args)
    if isinstance(e, sp.Pow):
        return e.exp.is_Integer and _positive(e.base)
    return False


def _split_log(arg):
    """log(e^a · bⁿ · r) as a + n·log b + log r (b structurally positive), or None when nothing splits.

    Exact identities, and the interval gets tighter and cheaper: a categorical's log-probability
    log(e^{z_i}/Σ_j e^{z_j}) becomes z_i − log Σ_j e^{z_j}, whose log is shared by all k terms (k logs of
    ~1100-bit quotients saved per point where a logit gap of ~745 needs that precision). Also exact in
    interval terms for any remainder r: log r is −∞ or NaN exactly where log(e^a·r) is."""
    if isinstance(arg, sp.exp):
        return arg.args[0]
    soft = _log_softmax(arg)
    if soft is not None:
        return soft
    factors = arg.args if isinstance(arg, sp.Mul) else (arg,)
    terms, rest = [], []
    for f in factors:
        if isinstance(f, sp.exp):
            terms.append(f.args[0])
        elif isinstance(f, sp.Pow) and f.exp.is_Integer and _positive(f.base):
            terms.append(sp.Mul(f.exp, sp.log(f.base, evaluate=False), evaluate=False))
        else:
            rest.append(f)
    if not terms:
        return None
    if rest:
        terms.append(sp.log(sp.Mul(*rest, evaluate=False), evaluate=False))
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]


class _log1p(sp.Function):  # noqa: N801 - the ground truth's own node: log(1 + x), tight at tiny x
    """log(1 + x) for the compiler only (never printed or differentiated)."""


def _exponent(t):
    """a for a term e^a of a sum of exponentials (1 = e^0), else None."""
    if isinstance(t, sp.exp):
        return t.args[0]
    return sp.S.Zero if t == 1 else None


def _log_softmax(arg):
    """log(e^a / Σⱼ e^{bⱼ}) with some bᵢ = a as −log1p(Σ_{j≠i} e^{bⱼ}/e^a) (or None).

    The same number, but an interval of it at 64 bits is already tight where one exponent dominates: as
    z − log Σ e^{b} the log-probability of the winning class is a difference of two ~z-sized numbers that
    cancel to e^{−gap}, pinned only at ~1100 bits for a gap of 745 (most bit-pattern logit vectors have
    such gaps). log1p keeps the tiny sum's relative accuracy."""
    factors = arg.args if isinstance(arg, sp.Mul) else (arg,)
    nums = [f for f in factors if isinstance(f, sp.exp)]
    dens = [f for f in factors if isinstance(f, sp.Pow) and f.exp == -1 and isinstance(f.base, sp.Add)]
    if len(dens) != 1 or len(nums) + 1 != len(factors):
        return None
    a = sp.Add(*[f.args[0] for f in nums])
    bs = [_exponent(t) for t in dens[0].base.args]
    if any(b is None for b in bs):
        return None
    same = [k for k, b in enumerate(bs) if b == a]
    if not same:
        return None
    others = [t for k, t in enumerate(dens[0].base.args) if k != same[0]]
    if not others:
        return sp.S.Zero
    # Σ_{j≠i} e^{bⱼ}·(e^a)⁻¹ rather than Σ e^{bⱼ − a}: the k exponentials are shared by all k terms
    # (memoised), not k(k − 1) of them; positive terms keep the relative width ~k·2^−prec either way
    t = sp.Add(*others)
    if a != 0:
        t = sp.Mul(t, sp.Pow(sp.exp(a), -1, evaluate=False), evaluate=False)
    return -_log1p(t)


def _log1p_end(x, prec: int, up: bool):
    """log(1 + x) rounded down/up, for an mpf x ≥ −1: for |x| < 2^−(prec+2), x − x² ≤ log1p x ≤ x; else
    1 + x formed with −mag(x) extra bits (so no relative accuracy is lost) and its log."""
    rnd = _CEIL if up else _FLOOR
    if x == L.fzero or x in (L.finf, L.fnan):
        return x
    if L.mpf_lt(x, L.fnone):
        return L.fnan
    if x == L.fnone:
        return L.fninf
    if _mag(x) < -(prec + 2):
        return x if up else L.mpf_sub(x, L.mpf_mul(x, x, prec, _CEIL), prec, _FLOOR)
    wp = prec + max(0, -_mag(x)) + 10
    return L.mpf_log(L.mpf_add(L.fone, x, wp, rnd), prec, rnd)


def _mag(m) -> int:
    """Binary exponent of a finite nonzero mpf tuple: its value lies in [2^(mag−1), 2^mag)."""
    return m[2] + m[3]


def _next_prec(prec: int, a, b, min_bits: int) -> int:
    """The precision of the next attempt after [a, b] did not pin one float64 at ``prec`` bits.

    The interval's width shrinks like 2^−prec, so its width now tells how many more bits pin the result:
    the target width is a quarter ulp of the float64 grid at the interval's smaller end (2^−1076 where
    the interval reaches 0 or the subnormals). A cancellation of e^−745 needs ~1100 bits: one attempt
    there instead of five doublings 128 … 2048 (measured: H of a two-logit categorical went from 4.9 s to
    1.9 s for 780 points). Doubling stays the floor, so a value on a rounding boundary still climbs fast."""
    nxt = 2 * prec
    if all(m not in (L.finf, L.fninf, L.fnan) for m in (a, b)):
        width = L.mpf_sub(b, a, 30, _CEIL)
        if width[1]:
            if not a[1] or not b[1] or a[0] != b[0]:  # the interval reaches 0
                target = -1076
            else:
                target = max(min(_mag(a), _mag(b)) - 55, -1076)
            if min_bits:  # relative width 2^−min_bits at the larger end
                target = min(target, max(_mag(m) for m in (a, b) if m[1]) - min_bits - 2)
            extra = _mag(width) - target
            if extra > 0:
                nxt = max(nxt, prec + extra + 32)
    return -(-nxt // 64) * 64


class TruthFunction:
    """The exact value of ``expr`` at float64 points, argument order ``args``."""

    def __init__(self, expr, args: Sequence):
        self.expr = expr
        self.args = tuple(args)
        self._f = _compile(to_elementary(expr), {a: i for i, a in enumerate(self.args)})

    def __call__(self, *xs, min_bits: int = 0, max_prec: int = MAX_PREC) -> TruthValue:
        prec = START_PREC
        pts = [L.from_float(float(x)) for x in xs]
        pts = [(m, m) for m in pts]
        last = None
        while True:
            try:
                v = self._f((pts, {}, prec))
            except (ZeroDivisionError, ValueError, L.ComplexResult):
                v = None
            if v is not None:
                a, b = v
                if a == L.fnan and b == L.fnan:
                    break  # a certain NaN (log of a negative interval): no precision changes it
                lo, hi = to_float(a), to_float(b)
                last = (a, b, prec)
                if lo == hi and lo == lo:  # pinned (−0.0 == 0.0; NaN never equals itself)
                    if min_bits == 0 or self._tight(a, b, min_bits):
                        return TruthValue(lo if lo != 0 else 0.0, self._mid(a, b, prec), prec, True)
                nxt = _next_prec(prec, a, b, min_bits)
            else:
                nxt = 2 * prec
            if prec >= max_prec:
                break
            prec = min(nxt, max_prec)
        if last is None:
            return TruthValue(float("nan"), mpmath.mpf("nan"), prec, False)
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
