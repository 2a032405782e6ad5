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

``rational_log_sum(K, R₀, c₁, R₁, …)`` = K + R₀ + Σ cᵢ log Rᵢ (rational R₀, Rᵢ; dyadic cᵢ; a constant K):
a whole Gaussian entropy/CE/KL. Each Rᵢ = Mᵢ·2^{Eᵢ} in extended-range double-double, log Mᵢ in
double-double, Σ cᵢEᵢ·ln2_hi exact, everything summed with Sum2 and an absolute error bound carried along;
where the bound is loose (tr − d − log det near P = Q, a determinant cancelling beyond 2^−104) the element is
evaluated exactly: fractions, the logarithms merged into one log of an exact product, mpmath at a precision
raised until the bound pins the value. Products of floats and by ±2^k are exact in double-double, and sums use
AccurateDWPlusDW (error relative to the result), so Σ₁₁Σ₂₂ − Σ₁₂² keeps 104 bits however much it cancels.
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


# -- compilation of a rational expression ----------------------------------------------------------------
class NotRational(ValueError):
    """The expression is not a rational function of its arguments (numbers, +, ·, integer powers)."""


def _walk(e, index, leaf, const, add, mul, power, memo=None):
    """Evaluate the tree of ``e`` with the given operations (memoised per node; pass one ``memo`` to share
    the common subexpressions of several trees)."""
    memo = {} if memo is None else memo

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
            shape, flat, n = _flat_columns(xs)
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
        # within a factor 2 of the root only: there M·2^{E−e₀} − m₀ is exact (Sterbenz) and |log1p t| ≤ log 2;
        # farther out the far form loses nothing (|result| ≥ log 2 > |log M|), while the rounded difference
        # and quotient cost up to 4 ULP (t = −0.6: 2.5·2^−54 in log1p)
        near = ok & (t >= -0.5) & (t <= 1.0)
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


# -- K + R₀ + Σ cᵢ log Rᵢ (rational Rᵢ, R₀; dyadic cᵢ; a constant K) -------------------------------------------
_SQRT_HALF = 0.7071067811865476
_MAX_BITS = 1 << 15  # the exact path's precision cap (reached only for results below ~2^−32000)


def _flat_columns(xs):
    """The inputs broadcast to one shape and flattened: (shape, flat float64 columns, element count)."""
    cols = np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in xs])
    shape = cols[0].shape if cols else ()
    flat = [c.ravel() for c in cols]
    return shape, flat, (flat[0].size if flat else 1)


def _dd_mul(ah, al, bh, bl):
    p, e = _two_prod(ah, bh)
    return _two_sum(p, e + (ah * bl + al * bh))


def _dd_div(ah, al, bh, bl):
    q1 = ah / bh
    p, pe = _two_prod(q1, bh)
    q2 = (((ah - p) - pe + al) - q1 * bl) / bh
    return _two_sum(q1, q2)


def log_mantissa(h, l):
    """log(h + l) as a double-double for h + l ∈ [√½, √2): 2·atanh z with z = (M − 1)/(M + 1), |z| ≤ 0.172;
    z and z³/3 in double-double, the rest z⁵(1/5 + z²/7 + …) (≤ 1.8e−4·|z|) in float, so the absolute
    error is below 2^−61·|log M|."""
    nh, nl = _two_sum(h - 1.0, l)  # h − 1 is exact (Sterbenz)
    dh, dl = _two_sum(h, 1.0)
    dh, dl = _two_sum(dh, dl + l)
    zh, zl = _dd_div(nh, nl, dh, dl)
    z2h, z2l = _dd_mul(zh, zl, zh, zl)
    z3h, z3l = _dd_mul(z2h, z2l, zh, zl)
    t3h, t3l = _dd_div(z3h, z3l, 3.0, 0.0)
    w = z2h
    poly = np.full_like(w, 1 / 27)
    for k in range(25, 3, -2):  # w ≤ 0.0295: the first term left out, z^29/29, is below 2^−60·|z|·w^…
        poly = poly * w + 1.0 / k
    tail = (z3h * w) * poly
    sh, sl = _two_sum(zh, t3h)
    sh, sl = _two_sum(sh, sl + zl + t3l + tail)
    return 2.0 * sh, 2.0 * sl


def _sum2(terms):
    """Σ terms with the errors of every addition collected (Ogita–Rump–Oishi Sum2): as if summed in twice
    the precision, then rounded."""
    s, err = terms[0], np.zeros_like(terms[0])
    for t in terms[1:]:
        s, e = _two_sum(s, t)
        err = err + e
    return s + err


@lru_cache(maxsize=64)
def _constant(K):
    """K as a double-double, K exactly if rational, and an mpmath function giving K at the working precision."""
    import mpmath

    if K.is_Rational:
        q = Fraction(int(K.p), int(K.q))
        hi = float(q)
        return hi, float(q - Fraction(hi)), q, None
    with mpmath.workprec(300):
        v = mpmath.mpf(sp.N(K, 40)._mpf_)  # 40 digits > the 106 bits of a double-double
        hi = float(v)
        lo = float(v - hi)

    def fn():  # K at the working precision (the exact path only)
        return _k_function(K)()

    return hi, lo, None, fn


@lru_cache(maxsize=64)
def _k_function(K):
    return sp.lambdify((), K, "mpmath")


def logsum_exact(K, R0, terms, args, point) -> float:
    """K + R₀ + Σ cᵢ log Rᵢ at float inputs ``point``, rounded to float64: R₀ and the Rᵢ as exact fractions,
    the logarithms merged into (1/D)·log Π Rᵢ^{D·cᵢ} (an exact 1 where they cancel exactly), then mpmath at
    a precision raised until the error bound is below 2^−62 of the value (Ziv)."""
    import mpmath

    index = {a: i for i, a in enumerate(args)}
    xs = [Fraction(float(v)) for v in point]
    memo: dict = {}

    def ev(ex):
        return _walk(ex, index, lambda i: xs[i], lambda c: c, lambda a, b: a + b, lambda a, b: a * b,
                     lambda a, n: a ** n, memo)

    try:
        r0 = ev(R0)
        rs = [ev(R) for _, R in terms]
    except ZeroDivisionError:
        return float("nan")
    _, _, k_exact, k_fn = _constant(K)
    if k_exact is not None:
        r0 = r0 + k_exact
    if any(r < 0 for r in rs):
        return float("nan")
    zeros = {(1 if c > 0 else -1) for (c, _), r in zip(terms, rs) if r == 0}
    if zeros:  # c·log 0 = −c·∞
        return float("nan") if len(zeros) > 1 else (float("-inf") if zeros == {1} else float("inf"))
    D = 1
    for c, _ in terms:
        D = max(D, int(c.q))  # powers of two: the largest is their lcm
    Q = Fraction(1)
    for (c, _), r in zip(terms, rs):
        Q *= r ** int(c * D)
    if Q == 1 and k_fn is None:
        return _fraction_to_float(r0)
    bits = 160
    while True:
        with mpmath.workprec(bits):
            lq = mpmath.log(mpmath.mpf(Q.numerator) / mpmath.mpf(Q.denominator)) / D
            r = mpmath.mpf(r0.numerator) / r0.denominator
            k = k_fn() if k_fn is not None else mpmath.mpf(0)
            v = mpmath.fsum([r, lq, k])
            err = mpmath.ldexp(abs(r) + abs(lq) + abs(k) + 1, 4 - bits)
            if abs(v) > mpmath.ldexp(err, 62) or bits >= _MAX_BITS:
                return float(v) if abs(v) < mpmath.ldexp(1, 1024) else _inf_of(v)
        bits *= 2


def _inf_of(v) -> float:
    return float("inf") if v > 0 else float("-inf")


def _fraction_to_float(q: Fraction) -> float:
    try:
        return float(q)
    except OverflowError:
        return float("inf") if q > 0 else float("-inf")


@lru_cache(maxsize=64)
def logsum_kernel(K, R0, terms: tuple, args: tuple):
    """A vectorised numpy function of ``args`` returning K + R₀ + Σ cᵢ log Rᵢ (``terms`` = ((cᵢ, Rᵢ), …),
    cᵢ dyadic rationals, Rᵢ and R₀ rational in ``args``) within about half an ULP, never overflowing.

    Fast path: each Rᵢ = Mᵢ·2^{Eᵢ} in extended-range double-double (error bound rᵢ), log Rᵢ = log Mᵢ + Eᵢ·log 2
    with log Mᵢ in double-double (:func:`log_mantissa`) and Σ cᵢEᵢ·ln2_hi exact (Cody–Waite); R₀ likewise; all
    parts summed with Sum2. An absolute error bound B of the whole is carried along; where B > 2^−56·|value|
    (the logarithms cancel the rational part, as tr − d − log det near P = Q, or some Rᵢ cancels inside) the
    element is evaluated exactly (:func:`logsum_exact`)."""
    for c, R in terms:
        if not (c.is_Rational and int(c.q) & (int(c.q) - 1) == 0):
            raise NotRational(f"log coefficient {c} is not a dyadic rational")
        check_rational(R, args)
    check_rational(R0, args)
    index = {a: i for i, a in enumerate(args)}
    k_hi, k_lo, _, _ = _constant(K)
    cs = [float(c) for c, _ in terms]

    def plain(cols):
        # IEEE arithmetic for inputs that are not finite (the exact path has no ∞)
        def ev(ex):
            return _walk(ex, index, lambda i: cols[i], lambda c: float(c), lambda a, b: a + b,
                         lambda a, b: a * b, lambda a, n: a ** float(n))
        return k_hi + ev(R0) + sum(c * np.log(ev(R)) for c, (_, R) in zip(cs, terms))

    def kernel(*xs):
        with np.errstate(all="ignore"):
            shape, flat, n = _flat_columns(xs)
            memo: dict = {}

            def ev(ex):
                return _walk(ex, index, lambda i: _leaf(flat[i]), lambda c: _const(c, (n,)), _add, _mul,
                             lambda a, k: _pow(a, k, (n,)), memo)

            A = np.zeros(n)
            parts, bound, loose = [], np.zeros(n), np.zeros(n, dtype=bool)
            for c, (_, R) in zip(cs, terms):
                h, l, e, r = ev(R)
                low = h < _SQRT_HALF
                h, l = np.where(low, 2 * h, h), np.where(low, 2 * l, l)
                e = e - low
                lh, ll = log_mantissa(h, l)
                A = A + c * e  # exact: small integers times a dyadic c
                p, q = _two_prod(c, lh)
                parts += [p, q + c * ll]
                bound += abs(c) * (2.0 ** -60 * np.abs(lh) + 2 * r)
                loose |= ~(r <= 2.0 ** -20) | ~(h > 0)
            h0, l0, e0, r0 = ev(R0)
            e0 = np.clip(e0, -2200, 2200).astype(np.int32)
            R0h, R0l = np.ldexp(h0, e0), np.ldexp(l0, e0)
            parts += [A * _LN2_HI, A * _LN2_LO, np.full(n, k_hi), np.full(n, k_lo), R0l, R0h]
            bound += np.abs(R0h) * r0 + 2.0 ** -1072 + 2.0 ** -90 * np.abs(A)
            big = ~np.isfinite(R0h)  # R₀ beyond the float range: the logarithms (≤ 2^13) cannot matter
            safe = [np.where(big, 0.0, t) for t in parts]
            v = _sum2(safe)
            bound += 2.0 ** -100 * sum(np.abs(t) for t in safe) * len(safe) ** 2
            v = np.where(big, R0h, v)
            ok = np.where(big, r0 <= 2.0 ** -20, (bound <= 2.0 ** -56 * np.abs(v)) & np.isfinite(v)) & ~loose
            finite_in = np.ones(n, dtype=bool)
            for c in flat:
                finite_in &= np.isfinite(c)
            out = v
            special = ~finite_in
            if special.any():
                out[special] = np.asarray(plain([c[special] for c in flat]), dtype=np.float64)
            for i in np.flatnonzero(~ok & finite_in):
                out[i] = logsum_exact(K, R0, terms, args, [c[i] for c in flat])
            return out.reshape(shape)

    kernel.__name__ = "rational_log_sum"
    return kernel


def rational_log_sum_mp(K, R0, *cr):
    """mpmath: K + R₀ + Σ cᵢ log Rᵢ at the working precision (arguments already evaluated), with guard bits
    for the cancellation between the logarithms and R₀."""
    import mpmath

    with mpmath.workprec(mpmath.mp.prec + 64):
        v = mpmath.fsum([K, R0] + [c * mpmath.log(R) for c, R in zip(cr[::2], cr[1::2])])
    return +v


def rational_log_sum_float(xp, log):
    """The generic-printer form (math, torch): the arguments arrive evaluated in float."""
    def f(K, R0, *cr):
        out = K + xp.asarray(R0)
        for c, R in zip(cr[::2], cr[1::2]):
            out = out + c * log(xp.asarray(R))
        return out
    return f


__all__ = ["rational_kernel", "exact_value", "check_rational", "NotRational",
           "logprod_offset", "logprod_offset_mp", "logprod_offset_float", "offset_constants",
           "logsum_kernel", "logsum_exact", "log_mantissa", "rational_log_sum_mp", "rational_log_sum_float"]
