r"""``rational_log_sum(K, R₀, c₁, R₁, …)`` = K + R₀ + Σ cᵢ log Rᵢ (rational R₀, Rᵢ; dyadic cᵢ; a constant
K): a whole Gaussian entropy/CE/KL, within about half an ULP and never overflowing.

Each Rᵢ = Mᵢ·2^{Eᵢ} in extended-range double-double (:mod:`.double_double`), log Mᵢ in double-double,
Σ cᵢEᵢ·ln2_hi exact, everything summed with Sum2 and an absolute error bound carried along; where the
bound is loose (tr − d − log det near P = Q, a determinant cancelling beyond 2^−104) the element is
evaluated exactly: fractions, the logarithms merged into one log of an exact product, mpmath at a
precision raised until the bound pins the value. Also the mpmath and generic-printer forms.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from symce.numeric.impl.constants import _LN2_HI, _LN2_LO
from symce.numeric.impl.double_double import _add, _const, _dd_div, _dd_mul, _leaf, _mul, _pow, _sum2, _two_prod, _two_sum
from symce.numeric.impl.rational import NotRational, _flat_columns, _walk, check_rational

_SQRT_HALF = 0.7071067811865476
_MAX_BITS = 1 << 15  # the exact path's precision cap (reached only for results below ~2^−32000)


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

@lru_cache(maxsize=64)
def _constant(K):
    """K as a double-double, K exactly if rational, and an mpmath function giving K at the working precision."""
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
