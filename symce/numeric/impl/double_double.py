r"""Extended-range double-double arithmetic on numpy arrays: every value is (h + l)·2^e with h + l a
double-double of magnitude in [½, 1) and e an int64 exponent, so no product or quotient over- or
underflows, and each value carries a bound r on its relative error — a tuple (h, l, e, r).

Products of floats and by ±2^k are exact (TwoProd, then TwoSum); sums use AccurateDWPlusDW, whose error is
relative to the *result*, so x·y − z·w of exact products keeps 104 bits however much it cancels. Also the
error-free transformations themselves (TwoSum, Fast2Sum, Dekker's split and TwoProd), plain double-double
× and ÷, and Sum2 (a sum as if in twice the precision).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

_SPLIT = 134217729.0  # 2^27 + 1 (Dekker's split; arguments here are mantissas ≤ 2, so it never overflows)
_ZERO_EXP = -(1 << 40)  # the exponent of an exact zero: far below any other, so alignment sends it to 0
_ROUND = 2.0 ** -101    # relative rounding bound of one double-double operation (with margin)
_ALIGN = 2.0 ** -1070   # absolute loss of aligning a much smaller operand (in a frame of magnitude ≤ 2)


# -- error-free transformations -----------------------------------------------------------------------------
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fast_two_sum(a, b):
    """a + b = s + e exactly when |a| ≥ |b| (or a = 0)."""
    s = a + b
    return s, b - (s - a)


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
    # the product of two floats (no low parts) is exact: TwoProd then TwoSum lose nothing; so is a product
    # by ±2^k (mantissa ±½, no low part), as in −1·s² or ½·q
    pow2 = ((np.abs(x[0]) == 0.5) & (x[1] == 0)) | ((np.abs(y[0]) == 0.5) & (y[1] == 0))
    rnd = np.where(((x[1] == 0) & (y[1] == 0)) | pow2, 0.0, _ROUND)
    r = x[3] + y[3] + x[3] * y[3] + rnd
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
    # AccurateDWPlusDW (Joldes, Muller & Popescu, ACM TOMS 2017, Alg. 6): relative error ≤ 3u²/(1 − 4u) of the
    # *result*, however much the operands cancel — so x·y − z·w of exact products stays exact to 2^−104
    s, t = _two_sum(xh, yh)
    u, v = _two_sum(xl, yl)
    t = t + u
    s, t = _fast_two_sum(s, t)
    t = t + v
    h, l = _fast_two_sum(s, t)
    err = np.abs(xh) * x[3] + np.abs(yh) * y[3] + _ALIGN
    # h = 0 is an exact zero only for exact operands without low parts (TwoSum is then exact)
    exact_zero = (x[3] == 0) & (y[3] == 0) & (xl == 0) & (yl == 0)
    r = np.where(h == 0, np.where(exact_zero, 0.0, np.inf), err / np.abs(h) + _ROUND)
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


def _dd_mul(ah, al, bh, bl):
    p, e = _two_prod(ah, bh)
    return _two_sum(p, e + (ah * bl + al * bh))


def _dd_div(ah, al, bh, bl):
    q1 = ah / bh
    p, pe = _two_prod(q1, bh)
    q2 = (((ah - p) - pe + al) - q1 * bl) / bh
    return _two_sum(q1, q2)

def _sum2(terms):
    """Σ terms with the errors of every addition collected (Ogita–Rump–Oishi Sum2): as if summed in twice
    the precision, then rounded."""
    s, err = terms[0], np.zeros_like(terms[0])
    for t in terms[1:]:
        s, e = _two_sum(s, t)
        err = err + e
    return s + err
