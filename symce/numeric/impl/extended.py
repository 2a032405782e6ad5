r"""Kernels for :class:`~symce.numeric.functions.exact_rational` and
:class:`~symce.numeric.functions.logprod_offset`: arithmetic with more precision *and* more range than
float64, where the plain formula overflows or cancels.

``exact_rational(R)`` — a rational function R of the inputs (the Mahalanobis and trace terms of a Gaussian
KL: sums of squares of triangular solves, whose residuals x − Σ lᵢⱼ yⱼ cancel and whose products overflow
where the value does not). Ziv's strategy: a fast path in **extended-range double-double** — every value is
(h + l)·2^e with h + l a double-double of magnitude in [½, 1) and e an int64 exponent, so no product or
quotient over- or underflows, and each node carries a bound on its relative error — then an **exact
rational** evaluation (``fractions.Fraction`` on the exact binary values of the inputs; int/int true
division rounds correctly) for the elements whose bound is too loose to round correctly (cancellation
of more than ~2⁴⁴ in some sum, a vanishing denominator). The result is the correctly rounded value except
in the subnormal range (one double rounding).

``logprod_offset(x₁…x_k, c)`` = Σ log xᵢ + c: the mantissas of the xᵢ are multiplied as a double-double
M ∈ [½, 1) and their exponents summed as integers E, so Π xᵢ never overflows; the value is
log M + E·log 2 + c with log 2 in Cody–Waite form (E·ln2_hi exact) and c a double-double; near its root
(Π xᵢ ≈ x₀ = e^{−c}) it is log1p((M·2^E − x₀)/x₀) with x₀ = m₀·2^{e₀} a double-double, the difference
exact (Sterbenz), so nothing cancels where the sum of logarithms is near 0.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np
import sympy as sp

_SPLIT = 134217729.0  # 2^27 + 1 (Dekker's split; arguments here are mantissas ≤ 2, so it never overflows)
_ZERO_EXP = -(1 << 40)  # the exponent of an exact zero: far below any other, so alignment sends it to 0
_ROUND = 2.0 ** -101    # relative rounding bound of one double-double operation (with margin)
_TOL = 2.0 ** -60       # accept the fast path where the relative error bound is below this
_ALIGN = 2.0 ** -1070   # absolute loss of aligning a much smaller operand (in a frame of magnitude ≤ 2)


# -- error-free transformations -----------------------------------------------------------------------------
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    t = _SPLIT * a
    hi = t - (t - a)
    return hi, a - hi


def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


# -- extended-range double-double values: (h, l, e, r) = (h + l)·2^e with relative error ≤ r ---------------
def _norm(h, l, e, r):
    m, k = np.frexp(h)
    zero = h == 0
    e = np.where(zero, _ZERO_EXP, e + k)
    return m, np.ldexp(l, -k), np.maximum(e, _ZERO_EXP), r


def _const(value: Fraction, shape):
    hi = float(value)
    lo = float(value - Fraction(hi))
    exact = Fraction(hi) + Fraction(lo) == value
    h = np.full(shape, hi)
    return _norm(h, np.full(shape, lo), np.zeros(shape, dtype=np.int64), np.full(shape, 0.0 if exact else _ROUND))


def _leaf(x):
    m, k = np.frexp(x)
    e = np.where(m == 0, _ZERO_EXP, k.astype(np.int64))
    return m, np.zeros_like(m), e, np.zeros_like(m)


def _mul(x, y):
    p, q = _two_prod(x[0], y[0])
    q = q + (x[0] * y[1] + x[1] * y[0])
    h, l = _two_sum(p, q)
    r = x[3] + y[3] + x[3] * y[3] + _ROUND
    return _norm(h, l, x[2] + y[2], r)


def _div(x, y):
    q1 = x[0] / y[0]
    p, pe = _two_prod(q1, y[0])
    q2 = (((x[0] - p) - pe + x[1]) - q1 * y[1]) / y[0]
    h, l = _two_sum(q1, q2)
    # a zero or doubtful divisor: no bound (the exact path decides)
    ry = np.where((y[3] < 0.5) & (y[0] != 0), y[3] / (1 - y[3]), np.inf)
    return _norm(h, l, x[2] - y[2], x[3] + ry + x[3] * ry + _ROUND)


def _add(x, y):
    top = np.maximum(x[2], y[2])
    sx = np.clip(x[2] - top, -2000, 0)
    sy = np.clip(y[2] - top, -2000, 0)
    xh, xl, yh, yl = np.ldexp(x[0], sx), np.ldexp(x[1], sx), np.ldexp(y[0], sy), np.ldexp(y[1], sy)
    s, t = _two_sum(xh, yh)
    h, l = _two_sum(s, t + (xl + yl))
    err = np.abs(xh) * x[3] + np.abs(yh) * y[3] + _ALIGN + _ROUND * (np.abs(xh) + np.abs(yh))
    # h = 0 is an exact zero only for exact operands without low parts (TwoSum is then exact)
    exact_zero = (x[3] == 0) & (y[3] == 0) & (xl == 0) & (yl == 0)
    r = np.where(h == 0, np.where(exact_zero, 0.0, np.inf), err / np.abs(h))
    return _norm(h, l, top, r)


def _pow(x, n: int, shape):
    if n < 0:
        return _div(_const(Fraction(1), shape), _pow(x, -n, shape))
    out, base = None, x
    while n:
        if n & 1:
            out = base if out is None else _mul(out, base)
        n >>= 1
        if n:
            base = _mul(base, base)
    return out if out is not None else _const(Fraction(1), shape)


# -- compilation of a rational expression ----------------------------------------------------------------
class NotRational(ValueError):
    """The expression is not a rational function of its arguments (numbers, +, ·, integer powers)."""


def _walk(e, index, leaf, const, add, mul, power):
    """Evaluate the tree of ``e`` with the given operations (memoised per node)."""
    memo: dict = {}

    def go(node):
        got = memo.get(node)
        if got is not None:
            return got
        if node.is_Symbol:
            if node not in index:
                raise NotRational(f"symbol {node} is not an argument")
            v = leaf(index[node])
        elif node.is_Rational:
            v = const(Fraction(int(node.p), int(node.q)))
        elif node.is_Add:
            parts = [go(a) for a in node.args]
            v = parts[0]
            for p in parts[1:]:
                v = add(v, p)
        elif node.is_Mul:
            parts = [go(a) for a in node.args]
            v = parts[0]
            for p in parts[1:]:
                v = mul(v, p)
        elif node.is_Pow and node.exp.is_Integer:
            v = power(go(node.base), int(node.exp))
        else:
            raise NotRational(f"{type(node).__name__} in a rational kernel")
        memo[node] = v
        return v

    return go(e)


def check_rational(expr, args) -> None:
    """Raise :class:`NotRational` unless ``expr`` is built from ``args``, rationals, +, · and integer powers."""
    index = {a: i for i, a in enumerate(args)}
    _walk(expr, index, lambda i: 0, lambda c: 0, lambda a, b: 0, lambda a, b: 0, lambda a, n: 0)


def exact_value(expr, args, point) -> float:
    """The correctly rounded float64 of the rational ``expr`` at float inputs ``point`` (exact arithmetic)."""
    index = {a: i for i, a in enumerate(args)}
    xs = [Fraction(float(v)) for v in point]
    try:
        v = _walk(expr, index, lambda i: xs[i], lambda c: c, lambda a, b: a + b, lambda a, b: a * b,
                  lambda a, n: a ** n)
    except ZeroDivisionError:
        return float("nan")
    try:
        return float(v)  # Fraction → float: int/int true division, correctly rounded
    except OverflowError:
        return float("inf") if v > 0 else float("-inf")


@lru_cache(maxsize=256)
def rational_kernel(expr, args: tuple):
    """A vectorised numpy function of ``args`` returning the correctly rounded value of the rational
    ``expr`` (see the module docstring)."""
    check_rational(expr, args)
    index = {a: i for i, a in enumerate(args)}

    def plain(cols):
        # IEEE arithmetic for inputs that are not finite (the exact path has no ∞)
        return _walk(expr, index, lambda i: cols[i], lambda c: float(c), lambda a, b: a + b,
                     lambda a, b: a * b, lambda a, n: a ** float(n))

    def kernel(*xs):
        with np.errstate(all="ignore"):
            cols = np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in xs])
            shape = cols[0].shape if cols else ()
            flat = [c.ravel() for c in cols]
            n = flat[0].size if flat else 1
            h, l, e, r = _walk(expr, index, lambda i: _leaf(flat[i]), lambda c: _const(c, (n,)), _add, _mul,
                               lambda a, k: _pow(a, k, (n,)))
            out = np.ldexp(h, np.clip(e, -2200, 2200).astype(np.int32))
            finite_in = np.ones(n, dtype=bool)
            for c in flat:
                finite_in &= np.isfinite(c)
            bad = ~(r <= _TOL) | ~np.isfinite(h) | ~finite_in
            if bad.any():
                special = bad & ~finite_in
                if special.any():
                    out[special] = np.asarray(plain([c[special] for c in flat]), dtype=np.float64)
                for i in np.flatnonzero(bad & finite_in):
                    out[i] = exact_value(expr, args, [c[i] for c in flat])
            return out.reshape(shape)

    kernel.__name__ = "exact_rational"
    return kernel


# -- Σ log xᵢ + c -------------------------------------------------------------------------------------------
_LN2_HI = 6.93147180369123816490e-01  # 0x3FE62E42FEE00000: 32 significant bits, E·LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10


def offset_constants(c) -> dict:
    """The constants of logprod_offset(…, c): c and the root x₀ = e^{−c} = m₀·2^{e₀} as double-doubles."""
    import mpmath

    with mpmath.workprec(300):
        cv = mpmath.mpf(str(sp.N(c, 90)))
        x0 = mpmath.exp(-cv)
        m0, e0 = mpmath.frexp(x0)
        c_hi = float(cv)
        c_lo = float(cv - c_hi)
        m0_hi = float(m0)
        m0_lo = float(m0 - m0_hi)
    return {"c_hi": c_hi, "c_lo": c_lo, "m0_hi": m0_hi, "m0_lo": m0_lo, "e0": int(e0)}


def logprod_offset(*xs, c_hi, c_lo=0.0, m0_hi=None, m0_lo=0.0, e0=None):
    """Σ log xᵢ + c (xᵢ > 0) for numpy arrays; without the root constants (a float c from a generic
    printer) it is computed from c_hi alone."""
    if m0_hi is None:
        m0_hi, e0 = np.frexp(np.exp(-c_hi))
        m0_hi, e0 = float(m0_hi), int(e0)
    with np.errstate(all="ignore"):
        cols = np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in xs])
        m, k = np.frexp(cols[0])
        hi, lo, E = m, np.zeros_like(m), k.astype(np.int64)
        for x in cols[1:]:
            m, k = np.frexp(x)
            p, q = _two_prod(hi, m)
            q = q + lo * m
            hi, lo = _two_sum(p, q)
            E = E + k
            hi, kk = np.frexp(hi)  # back to [½, 1): the product of k mantissas is ≥ 2^−k
            lo = np.ldexp(lo, -kk)
            E = E + kk
        # far: log M + E·ln 2 + c, the big parts added with TwoSum and every small part collected
        Ef = E.astype(np.float64)
        s1, e1 = _two_sum(Ef * _LN2_HI, c_hi)
        lm = np.log(hi)
        s2, e2 = _two_sum(s1, lm)
        far = s2 + (e1 + e2 + (lo / hi + (Ef * _LN2_LO + c_lo)))
        # near the root: M·2^E / x₀ = (M/m₀)·2^{E−e₀} with E − e₀ ∈ {−1, 0, 1}
        shift = E - e0
        ok = np.abs(shift) <= 1
        sh = np.where(ok, shift, 0).astype(np.int32)
        d = (np.ldexp(hi, sh) - m0_hi) + (np.ldexp(lo, sh) - m0_lo)
        t = d / m0_hi
        near = ok & (t > -0.7) & (t < 2.0)
        out = np.where(near, np.log1p(t), far)
        # zeros, infinities and NaNs of the inputs: the plain sum of logarithms has the IEEE value
        finite = np.ones(out.shape, dtype=bool)
        for x in cols:
            finite &= np.isfinite(x) & (x > 0)
        if not finite.all():
            plain = sum(np.log(x) for x in cols) + c_hi
            out = np.where(finite, out, plain)
        return out


def logprod_offset_mp(*args):
    """mpmath: Σ log xᵢ + c at the working precision (+ guard bits for the cancellation near the root)."""
    import mpmath

    xs, c = args[:-1], args[-1]
    with mpmath.workprec(mpmath.mp.prec + 64):
        v = mpmath.fsum(mpmath.log(x) for x in xs) + c
        if v != 0 and mpmath.isfinite(v):
            extra = max(0, -int(mpmath.mag(v))) + 20
            with mpmath.workprec(mpmath.mp.prec + extra):
                v = mpmath.fsum(mpmath.log(x) for x in xs) + c
    return +v


def logprod_offset_float(*args):
    """The generic-printer form logprod_offset(x…, c) with c a float (math/torch backends)."""
    return logprod_offset(*args[:-1], c_hi=float(args[-1]))


__all__ = ["rational_kernel", "exact_value", "check_rational", "NotRational",
           "logprod_offset", "logprod_offset_mp", "logprod_offset_float", "offset_constants"]
