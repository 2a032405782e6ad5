r"""``rational_log_sum(K, R₀, c₁, R₁, …)`` = K + R₀ + Σ cᵢ log Rᵢ (rational R₀, Rᵢ; dyadic cᵢ; a constant
K): a whole Gaussian entropy/CE/KL, within about half an ULP and never overflowing.

Each Rᵢ = Mᵢ·2^{Eᵢ} in extended-range double-double (:mod:`.double_double`), log Mᵢ in double-double,
Σ cᵢEᵢ·ln2_hi exact, everything summed with Sum2 and an absolute error bound carried along; where the
bound is loose (tr − d − log det near P = Q, a determinant cancelling beyond 2^−104) the element is
evaluated exactly: fractions, the logarithms merged into one log of an exact product, mpmath at a
precision raised until the bound pins the value. Also the mpmath and generic-printer forms.

A coefficient cᵢ may also be a rational function of the inputs (Pareto's α₂·log(x₁/x₂)): it is evaluated
in extended double-double, times log Rᵢ = log Mᵢ + Eᵢ log 2 as a double-double, its relative error added to
the bound; on the exact path such terms are summed one by one at the raised precision (not merged).
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from symce.numeric.impl.constants import _LN2_HI, _LN2_LO
from symce.numeric.impl.double_double import _add, _const, _dd_div, _dd_mul, _leaf, _mul, _pow, _sum2, _two_prod, _two_sum
from symce.numeric.impl.rational import NotRational, _flat_columns, _walk, check_rational

_SQRT_HALF = 0.7071067811865476
_DBL_MAX = 1.7976931348623157e308
_MAX_BITS = 1 << 15  # the exact path's precision cap (reached only for results below ~2^−32000)


def _program(roots, index):
    """The trees of ``roots`` as one straight-line program (shared subexpressions once): a list of
    (op, operands…) with registers numbered by position, and the roots' registers. Running it costs a few
    Python operations a node, where walking the SymPy trees per call (hashing every node) cost ~10× that:
    the long double and exact passes run on a few elements of each block, so that walk was their cost."""
    prog: list = []

    def emit(*ins):
        prog.append(ins)
        return len(prog) - 1

    memo: dict = {}
    outs = [_walk(r, index, lambda i: emit(0, i), lambda c: emit(1, c), lambda a, b: emit(2, a, b),
                  lambda a, b: emit(3, a, b), lambda a, n: emit(4, a, n), memo) for r in roots]
    return prog, outs


def _run(prog, outs, leaf, const, add, mul, power):
    """Run a :func:`_program` with these operations (the order of the operations is the tree walk's)."""
    r: list = []
    for ins in prog:
        op = ins[0]
        if op == 0:
            r.append(leaf(ins[1]))
        elif op == 1:
            r.append(const(ins[1]))
        elif op == 2:
            r.append(add(r[ins[1]], r[ins[2]]))
        elif op == 3:
            r.append(mul(r[ins[1]], r[ins[2]]))
        else:
            r.append(power(r[ins[1]], ins[2]))
    return [r[o] for o in outs]


@lru_cache(maxsize=64)
def _exact_program(R0, terms, args):
    index = {a: i for i, a in enumerate(args)}
    roots = [R0] + [c for c, _ in terms if not c.is_Rational] + [R for _, R in terms]
    return _program(roots, index)


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
    xs = [Fraction(float(v)) for v in point]
    prog, outs = _exact_program(R0, terms, args)
    try:
        vals = _run(prog, outs, lambda i: xs[i], lambda c: c, lambda a, b: a + b, lambda a, b: a * b,
                    lambda a, n: a ** n)
    except ZeroDivisionError:
        return float("nan")
    r0, vals = vals[0], iter(vals[1:])
    cs = [c if c.is_Rational else next(vals) for c, _ in terms]
    rs = list(vals)
    _, _, k_exact, k_fn = _constant(K)
    if k_exact is not None:
        r0 = r0 + k_exact
    if any(r < 0 for r in rs):
        return float("nan")
    # c·log 1 = 0 and 0·log R = 0 exactly (a symbolic coefficient may vanish): such terms drop out
    live = [((c, R), cv, r) for (c, R), cv, r in zip(terms, cs, rs) if r != 1 and cv != 0]
    zeros = {(1 if cv > 0 else -1) for _, cv, r in live if r == 0}
    if zeros:  # c·log 0 = −c·∞
        return float("nan") if len(zeros) > 1 else (float("-inf") if zeros == {1} else float("inf"))
    numeric = [(c, r) for (c, _), _, r in live if c.is_Rational]
    symbolic = [(Fraction(cv), r) for (c, _), cv, r in live if not c.is_Rational]
    D = 1
    for c, _ in numeric:
        D = max(D, int(c.q))  # powers of two: the largest is their lcm
    Q = Fraction(1)
    for c, r in numeric:
        Q *= r ** int(c * D)
    if Q == 1 and k_fn is None and not symbolic:
        return _fraction_to_float(r0)
    bits = 160
    while True:
        with mpmath.workprec(bits):
            lq = mpmath.log(mpmath.mpf(Q.numerator) / mpmath.mpf(Q.denominator)) / D
            r = mpmath.mpf(r0.numerator) / r0.denominator
            k = k_fn() if k_fn is not None else mpmath.mpf(0)
            # rational coefficients times logarithms (no merging into one exact product): each term's
            # error is relative to the term, so the bound sums their sizes
            cl = [(mpmath.mpf(c.numerator) / c.denominator) * mpmath.log(mpmath.mpf(x.numerator) / x.denominator)
                  for c, x in symbolic]
            v = mpmath.fsum([r, lq, k] + cl)
            err = mpmath.ldexp(abs(r) + abs(lq) + abs(k) + sum(abs(t) for t in cl) + 1, 4 - bits)
            # within the bound of the overflow midpoint DBL_MAX + 2^970 the rounding (DBL_MAX or ∞) is not
            # pinned by a relative bound: raise the precision until it is
            at_mid = abs(abs(v) - (_DBL_MAX + mpmath.ldexp(1, 970))) <= err
            if (abs(v) > mpmath.ldexp(err, 62) and not at_mid) or bits >= _MAX_BITS:
                return _mp_to_float(v)
        bits *= 2


def _mp_to_float(v) -> float:
    """v rounded to float64 with IEEE overflow: ±DBL_MAX below the midpoint DBL_MAX + 2^970 (mpmath's float()
    gives ∞ there), ±∞ from it on."""
    if abs(v) < _DBL_MAX:
        return float(v)
    return _inf_of(v) if abs(v) >= _DBL_MAX + mpmath.ldexp(1, 970) else math.copysign(_DBL_MAX, v)


def _inf_of(v) -> float:
    return float("inf") if v > 0 else float("-inf")


def _fraction_to_float(q: Fraction) -> float:
    try:
        return float(q)
    except OverflowError:
        return float("inf") if q > 0 else float("-inf")


def _coefficient_log(cv, lh, ll, e, r):
    """C·log R for a coefficient C that is a rational function of the inputs (extended double-double
    ``cv``), log R = log M + E·log 2 given as the double-double log M = lh + ll and the exponent E, R's
    relative error r: the product as a double-double (p, q) in float range, its absolute error bound, and
    where the fast path cannot be trusted (C's bound loose, the product beyond the float range)."""
    ch, cl, ce, cr = cv
    s, t = _two_sum(e * _LN2_HI, lh)  # E·ln2_hi exact (|E| < 2^21); |log M| ≤ ½ log 2 ≤ |E·log 2| or E = 0
    t = t + (ll + e * _LN2_LO)
    Lh, Ll = _two_sum(s, t)
    ph, pl = _dd_mul(ch, cl, Lh, Ll)
    ce = np.clip(ce, -2200, 2200).astype(np.int32)
    p, q = np.ldexp(ph, ce), np.ldexp(pl, ce)
    size = np.ldexp(np.abs(ch), ce)
    bound = size * (2.0 ** -60 * np.abs(lh) + 2 * r + 2.0 ** -100 * np.abs(Lh)) + np.abs(p) * cr
    bad = ~(cr <= 2.0 ** -20) | ~np.isfinite(p) | ~np.isfinite(size)
    return np.where(bad, 0.0, p), np.where(bad, 0.0, q), np.where(bad, 0.0, bound), bad


_SCREEN = 2.0 ** 0.5  # the float parts are kept where Σ|tᵢ| ≤ √2·|Σ tᵢ| (they cancel by less than half a bit)
# long double (64-bit mantissa): kept where Σ|tᵢ| ≤ 2¹⁰·|Σ tᵢ| (error ≤ ~2^−61·Σ|tᵢ| ≤ 2^−51·|value|)
_LD_SCREEN = 2.0 ** 10
_LONG = np.finfo(np.longdouble).eps <= 2.0 ** -63 and np.finfo(np.longdouble).maxexp >= 16384
_FEW = 8  # at most this many elements left: each exactly (the double-double pass costs ~500 array operations)


# The overflow screen (:func:`beyond_range`), for the elements whose float terms overflowed (a quarter of the
# normal CE's bit patterns, (μ₁ − μ₂)²/σ₂² beyond DBL_MAX): each term of R₀ a signed product of powers of
# inputs, of sums of two and of a constant, its log₂ magnitude summed from np.log2 of the factors; where all
# terms have one sign and the largest is beyond 2^1096, |R₀| > 2^1095 and the value is ±∞ once rounded,
# without the long double pass (~40 ns an element for its long double logarithm alone, against ~10 here).
_XR_BEYOND = 1096  # log₂ of R₀'s largest term from which the shortcut applies
_XR_CHUNK = 1 << 13  # elements at a time: fresh temporaries of 2¹⁴ float64 or more are page-fault bound


def _xr_operand(e, index):
    """(input index or None, scale ±2^k or the constant) of a sum's operand exact in float64, else None."""
    c, rest = e.as_coeff_Mul()
    if rest == 1 and c.is_Rational and Fraction(float(c)) == Fraction(int(c.p), int(c.q)):
        return None, float(c)
    if rest.is_Symbol and rest in index and c.is_Rational and c != 0 and _is_pow2(abs(Fraction(int(c.p), int(c.q)))):
        return index[rest], float(c)
    return None


def _is_pow2(q: Fraction) -> bool:
    q = Fraction(q)
    return q > 0 and q.numerator & (q.numerator - 1) == 0 and q.denominator & (q.denominator - 1) == 0


def _xr_program(r0_terms, index):
    """R₀'s terms for :func:`beyond_range` — each (log₂|constant|, its sign, factors), a factor (input index,
    k) for xᵏ or ((operand, operand), k) for (a + b)ᵏ with operands exact in float64 (inputs times ±2^j,
    constants) — or None where a term is not of that form (a sum of rounded values may cancel without bound),
    has an exponent beyond 16 or more than 16 factors."""
    out = []
    for t in r0_terms:
        c, rest = t.as_coeff_Mul()
        if not c.is_Rational or c == 0:
            return None
        q = Fraction(int(c.p), int(c.q))
        factors = []
        for f in sp.Mul.make_args(rest):
            base, k = (f.base, f.exp) if f.is_Pow else (f, sp.S.One)
            if not k.is_Integer or abs(int(k)) > 16:
                return None
            if base.is_Symbol and base in index:
                factors.append((index[base], int(k)))
            elif base.is_Add and len(base.args) == 2:
                ops = [_xr_operand(a, index) for a in base.args]
                if None in ops:
                    return None
                factors.append((tuple(ops), int(k)))
            else:
                return None
        if len(factors) > 16:
            return None
        lg = math.log2(abs(q.numerator)) - math.log2(q.denominator)
        out.append((lg, q < 0, tuple(factors)))
    return tuple(out) or None


def _xr_sum(ops, cols):
    # (a + b)·2^−m with m above both operands' scales: exact (a power-of-two scaling and one sum of two
    # halved floats; only subnormal halves round, by ≤ 2^−1075 each), returned with m
    m = 1 + max(math.frexp(abs(sc))[1] for _, sc in ops)
    s = 0.0
    for i, sc in ops:
        s = s + (math.ldexp(sc, -m) if i is None else cols[i] * math.ldexp(sc, -m))
    return s, m


def beyond_range(xr, cols):
    """±1 where R₀ (the terms ``xr`` of :func:`_xr_program`) is proved beyond 2^1095 in magnitude with that
    sign, else 0. Each term's log₂ magnitude is a sum of at most 16 factors' k·log₂|x| (|k| ≤ 16, np.log2
    within a few ulps of |log₂ x| ≤ 1075, a sum's |a + b| ≥ 2^−1000 so its relative error is ≤ 2⁻⁵² + 2⁻⁷⁴):
    within 2⁻²⁵ of the exact one. With every nonzero term of one sign, |R₀| ≥ its largest term ≥ 2^(1096 − 2^−25)."""
    with np.errstate(all="ignore"):
        return _beyond_range(xr, cols)


def _beyond_range(xr, cols):
    logs: dict = {}

    def log2abs(i):
        if i not in logs:
            logs[i] = np.log2(np.abs(cols[i]))
        return logs[i]

    n = cols[0].shape
    ok = np.ones(n, dtype=bool)
    top = np.full(n, -np.inf)
    pos = np.zeros(n, dtype=bool)
    neg = np.zeros(n, dtype=bool)
    for lg0, negative, factors in xr:
        lg = np.full(n, lg0)
        sgn = np.full(n, negative)
        for f, k in factors:
            if isinstance(f, tuple):
                s, m = _xr_sum(f, cols)
                a = np.abs(s)
                ok &= (a >= 2.0 ** -1000) | (a == 0) & (k > 0)
                lg += k * (np.log2(a) + m)
                if k % 2:
                    sgn ^= s < 0
            else:
                lg += k * log2abs(f)
                if k % 2:
                    sgn ^= cols[f] < 0
        # a zero factor: the term is 0 (−∞ here) with a positive power, a division by zero (+∞, NaN) refused
        ok &= ~np.isnan(lg) & (lg < np.inf)
        live = lg > -np.inf
        pos |= live & ~sgn
        neg |= live & sgn
        np.maximum(top, lg, out=top)
    hit = ok & ~(pos & neg) & (top >= _XR_BEYOND)
    return np.where(hit, np.where(neg, -1.0, 1.0), 0.0)


@lru_cache(maxsize=64)
def _ld_root(K, c: float):
    """x₀ = e^{−K/c} as a long double pair (x₀h + x₀l to ~2⁻¹²⁸) and K/c in long double, for the long double
    pass's c·log(x/x₀)."""
    with mpmath.workprec(300):
        x0 = mpmath.exp(-mpmath.mpf(str(sp.N(K, 90))) / mpmath.mpf(c))
        hi = np.longdouble(mpmath.nstr(x0, 40, min_fixed=-mpmath.inf, max_fixed=mpmath.inf))
        p, q = hi.as_integer_ratio()
        lo = np.longdouble(mpmath.nstr(x0 - mpmath.mpf(p) / q, 40))
        kc = np.longdouble(mpmath.nstr(mpmath.mpf(str(sp.N(K, 90))) / mpmath.mpf(c), 40))
    return hi, lo, kc


def _power(a, k: int):
    if k == 2:
        return a * a
    if k == -1:
        return 1 / a
    if k == -2:
        return 1 / (a * a)
    return a ** k


def _simple(ex) -> bool:
    """A product, quotient or power whose only sums are of inputs and numbers: a few roundings in float."""
    for node in sp.preorder_traversal(ex):
        if node.is_Add and not all(a.is_Symbol or a.is_Number or (-a).is_Symbol for a in node.args):
            return False
    return True


def log_argument(R):
    """(x, None) for a logarithm of an input x, (x, y) for log(x/y) of two inputs, else None."""
    if R.is_Symbol:
        return R, None
    num, den = R.as_numer_denom()
    if num.is_Symbol and den.is_Symbol:
        return num, den
    return None


def screenable(R0, terms) -> bool:
    """Whether K + R₀ + Σ cᵢ log Rᵢ may be taken from float terms where they do not cancel: logarithms of
    inputs or of a quotient of two (taken as log1p of the exact relative difference), coefficients that are
    numbers or products of inputs, and R₀ a sum of products, quotients and powers whose only sums are of
    inputs and numbers ((μ₁ − μ₂)²/(2σ₂²), λ₂/λ₁: a few roundings each). The Gaussian forms with nested
    ratios or determinants (whose sums cancel inside) always take the double-double path."""
    if not all(log_argument(R) is not None and (c.is_number or _simple(c)) for c, R in terms):
        return False
    return all(_simple(t) for t in sp.Add.make_args(R0))


@lru_cache(maxsize=64)
def logsum_kernel(K, R0, terms: tuple, args: tuple, parts: int = 0):
    """A vectorised numpy function of ``args`` returning K + R₀ + Σ cᵢ log Rᵢ (``terms`` = ((cᵢ, Rᵢ), …),
    cᵢ dyadic rationals, Rᵢ and R₀ rational in ``args``) within about half an ULP, never overflowing.

    Fast path: each Rᵢ = Mᵢ·2^{Eᵢ} in extended-range double-double (error bound rᵢ), log Rᵢ = log Mᵢ + Eᵢ·log 2
    with log Mᵢ in double-double (:func:`log_mantissa`) and Σ cᵢEᵢ·ln2_hi exact (Cody–Waite); R₀ likewise; all
    parts summed with Sum2. An absolute error bound B of the whole is carried along; where B > 2^−56·|value|
    (the logarithms cancel the rational part, as tr − d − log det near P = Q, or some Rᵢ cancels inside) the
    element is evaluated exactly (:func:`logsum_exact`)."""
    for c, R in terms:
        if c.is_number and not (c.is_Rational and int(c.q) & (int(c.q) - 1) == 0):
            raise NotRational(f"log coefficient {c} is not a dyadic rational")
        if not c.is_number:
            check_rational(c, args)  # a coefficient that is a rational function of the inputs (Pareto's α₂)
        check_rational(R, args)
    check_rational(R0, args)
    index = {a: i for i, a in enumerate(args)}
    k_hi, k_lo, _, _ = _constant(K)
    cs = [float(c) if c.is_number else None for c, _ in terms]
    r0_terms = [t for t in sp.Add.make_args(R0) if t != 0]

    def plain(cols):
        # IEEE arithmetic for inputs that are not finite (the exact path has no ∞)
        def ev(ex):
            return _walk(ex, index, lambda i: cols[i], lambda c: float(c), lambda a, b: a + b,
                         lambda a, b: a * b, lambda a, n: a ** float(n))
        return k_hi + ev(R0) + sum(ev(C) * np.log(ev(R)) for C, R in terms)

    # with ``parts`` > 0 the kernel also gets the terms' float values (the stable per-term form, printed
    # inline by the code generator: cheap) after the inputs, and keeps their sum where they do not cancel;
    # the others go to a long double pass, and what cancels beyond 2⁹ to the double-double/exact path.
    # That path must then meet 2^−54 (within ¾ ULP), not 2^−56, so that values below ~1/30 of the
    # logarithms need not go on to the exact path (log_mantissa's bound is 2^−60·|log M|)
    tol = 2.0 ** -54 if parts else 2.0 ** -56
    nargs = len(args)

    def kernel(*xs):
        with np.errstate(all="ignore"):
            shape, flat, n = _flat_columns(xs)
            if not parts:
                return full(flat[:nargs], n).reshape(shape)
            ps = flat[nargs:]
            # v = (t₁ + t₂) + …, size = (|t₁| + |t₂|) + … in place (the same roundings as fresh arrays)
            v = ps[0] + ps[1] if len(ps) > 1 else ps[0].copy()
            for t in ps[2:]:
                np.add(v, t, out=v)
            size = np.abs(ps[0])
            tmp = np.empty_like(size)
            for t in ps[1:]:
                np.add(size, np.abs(t, out=tmp), out=size)
            a = np.abs(v)
            # all kept when √2·|v| − size ≥ 0 everywhere (its sign is exactly that of √2·|v| − size; NaN where
            # v is ∞ or NaN) and |v| ≥ 2^−960: two reductions in place of four masks and their conjunction
            np.subtract(np.multiply(a, _SCREEN, out=tmp), size, out=tmp)
            if tmp.min() >= 0 and a.min() >= 2.0 ** -960:
                return v.reshape(shape)
            # the rest: the screen's complement from the same difference (√2·|v| overflowing beside an
            # infinite size is sent on too, where |v| ≤ √2·max would have kept it: the long double pass
            # takes it, within its bound)
            rest = np.flatnonzero(~(tmp >= 0) | (a < 2.0 ** -960))
            if xr is not None:
                rest = overflowed(v, rest, flat)
            if rest.size:
                v[rest] = tiers([c[rest] for c in flat[:nargs]], rest.size)
            return v.reshape(shape)

    def overflowed(v, rest, flat):
        # elements whose float sum is not finite, with finite inputs and log arguments in (0, ∞): where R₀
        # is proved beyond 2^1095 the logarithms (|K| + Σ|cᵢ|·1455 < 2^21, checked below) cannot bring the
        # value back into range, so it is ±∞; the others go on to the tiers
        bad = np.flatnonzero(~np.isfinite(v[rest]))
        if not bad.size:
            return rest
        keep = np.ones(rest.size, dtype=bool)
        # in chunks of 2¹³: a temporary of 2¹⁴ float64 or more is mapped and unmapped by glibc on every use,
        # and its page faults cost several times the arithmetic here
        for i in range(0, bad.size, _XR_CHUNK):
            at = bad[i:i + _XR_CHUNK]
            idx = rest[at]
            cols = [c[idx] for c in flat[:nargs]]
            ok = np.isfinite(cols[0])
            for c in cols[1:]:
                ok &= np.isfinite(c)
            for j in log_inputs:
                ok &= cols[j] > 0
            sign = beyond_range(xr, cols)
            hit = (sign != 0) & ok
            v[idx[hit]] = sign[hit] * np.inf
            keep[at[hit]] = False
        return rest[keep]

    # the overflow screen: numeric coefficients and constant only (a symbolic cᵢ times a logarithm is not
    # bounded), every logarithm of an input or of a quotient of two (|log| ≤ 1455 for positive floats)
    log_inputs = sorted({index[s] for _, R in terms for s in (log_argument(R) or ()) if s is not None})
    small_logs = (all(c is not None for c in cs) and abs(k_hi) + 1455 * sum(abs(c) for c in cs) < 2.0 ** 21
                  and all(log_argument(R) is not None for _, R in terms))
    xr = _xr_program(r0_terms, index) if parts and small_logs and r0_terms else None

    def tiers(flat, n):
        # the long double pass (10 more bits and a 15-bit exponent: no overflow of squares of float64
        # inputs), kept where the terms cancel by less than 2⁹; the rest exactly, or by the double-double pass
        # where they are many
        out = np.full(n, np.nan)
        todo = np.ones(n, dtype=bool)
        if _LONG:
            v, good = long_pass(flat, n)
            out[good] = v[good]
            todo = ~good
        left = np.flatnonzero(todo)
        if left.size > _FEW:
            out[left] = full([c[left] for c in flat], left.size)
        else:
            for i in left:
                if all(np.isfinite(c[i]) for c in flat):
                    out[i] = logsum_exact(K, R0, terms, args, [c[i] for c in flat])
                else:
                    out[i] = full([c[i:i + 1] for c in flat], 1)[0]
        return out

    # the long double pass's rational parts (symbolic coefficients, then R₀'s terms) as one program
    ld_prog, ld_outs = _program([C for c, (C, _) in zip(cs, terms) if c is None] + r0_terms, index)
    ld_logs = []  # each logarithm's argument columns (x, None) or (x, y) for log(x/y)
    for _, R in terms if parts else ():
        x, y = log_argument(R)
        ld_logs.append((index[x], None if y is None else index[y]))

    root = _ld_root(K, cs[0]) if _LONG and parts and len(terms) == 1 and k_hi != 0 and cs[0] is not None \
        and ld_logs[0][1] is None else None

    def long_pass(flat, n):
        cols = [c.astype(np.longdouble) for c in flat]
        vals = iter(_run(ld_prog, ld_outs, lambda i: cols[i],
                         lambda c: np.longdouble(c.numerator) / c.denominator,
                         lambda a, b: a + b, lambda a, b: a * b, _power))

        def ev(ex):
            return next(vals)

        def log(i, j):
            if j is None:
                return np.log(cols[i])
            x, y = cols[i], cols[j]
            # x − y exact (Sterbenz) where log(x/y) is small; beyond a factor 2 the quotient (long double has
            # the range): log1p((x − y)/y) rounds −1 + x/y, which loses a small x/y (1e-17/0.9: 0.5 % of log)
            q = x / y
            return np.where((q >= 0.5) & (q <= 2), np.log1p((x - y) / y), np.log(q))

        if root is not None:
            # K + c·log x as c·log(x/x₀), x₀ = e^{−K/c} (the float screen's log_offset): near x₀ the term is
            # small and so is its error, where K and c·log x apart count |K| + |c log x| into the size (most
            # of the elements the exact path took on realistic normal CE inputs cancelled only by that)
            x0h, x0l, kc = root
            c = np.longdouble(cs[0])
            x = cols[ld_logs[0][0]]
            # x − x₀h exact (Sterbenz) inside [x₀h/2, 2x₀h]; log1p of ((x − x₀h) − x₀l)/x₀h is within ~5 long
            # double ulps of log(x/x₀) there; outside, |log(x/x₀)| ≥ log 2 and log x + K/c is summed as before
            win = (x >= x0h * 0.5) & (x <= x0h * 2)
            L = np.where(win, np.log1p(((x - x0h) - x0l) / x0h), np.log(x) + kc)
            t = c * L
            ts = [t] + [ev(t) for t in r0_terms]
            v, size = t, np.where(win, np.abs(t), abs(c) * (np.abs(np.log(x)) + abs(kc)))
        else:
            ts = [np.longdouble(k_hi) + np.longdouble(k_lo)]
            ts += [(np.longdouble(c) if c is not None else ev(C)) * log(i, j)
                   for c, (C, _), (i, j) in zip(cs, terms, ld_logs)]
            ts += [ev(t) for t in r0_terms]
            v, size = ts[0], abs(ts[0])
        for t in ts[1:]:
            v = v + t
            size = size + np.abs(t)
        a = np.abs(v)
        # a value beyond the float range with its terms not cancelling is ±∞ once rounded to float64 (the
        # long double range holds it): taken here, not by the double-double pass (a quarter of the bit
        # patterns of the normal CE, whose (μ₁ − μ₂)²/σ₂² overflows)
        good = (size <= _LD_SCREEN * a) & (a >= 2.0 ** -960) & (a < np.inf)
        return np.broadcast_to(v.astype(np.float64), (n,)), np.broadcast_to(good, (n,))

    def full(flat, n):
        # the double-double pass with its error bound, and the exact evaluation where the bound is loose
        with np.errstate(all="ignore"):
            memo: dict = {}

            def ev(ex):
                return _walk(ex, index, lambda i: _leaf(flat[i]), lambda c: _const(c, (n,)), _add, _mul,
                             lambda a, k: _pow(a, k, (n,)), memo)

            A = np.zeros(n)
            parts, bound, loose = [], np.zeros(n), np.zeros(n, dtype=bool)
            for c, (C, R) in zip(cs, terms):
                h, l, e, r = ev(R)
                low = h < _SQRT_HALF
                h, l = np.where(low, 2 * h, h), np.where(low, 2 * l, l)
                e = e - low
                lh, ll = log_mantissa(h, l)
                loose |= ~(r <= 2.0 ** -20) | ~(h > 0)
                if c is None:
                    p, q, b, bad = _coefficient_log(ev(C), lh, ll, e, r)
                    parts += [p, q]
                    bound += b
                    loose |= bad
                    continue
                A = A + c * e  # exact: small integers times a dyadic c
                p, q = _two_prod(c, lh)
                parts += [p, q + c * ll]
                bound += abs(c) * (2.0 ** -60 * np.abs(lh) + 2 * r)
            h0, l0, e0, r0 = ev(R0)
            e0 = np.clip(e0, -2200, 2200).astype(np.int32)
            R0h, R0l = np.ldexp(h0, e0), np.ldexp(l0, e0)
            parts += [A * _LN2_HI, A * _LN2_LO, np.full(n, k_hi), np.full(n, k_lo), R0l, R0h]
            term_bound = bound + 2.0 ** -1072 + 2.0 ** -90 * np.abs(A)
            bound = term_bound + np.abs(R0h) * r0
            # R₀ beyond the float range: logarithms with numeric coefficients (≤ 2^13) cannot matter; a
            # symbolic coefficient times a logarithm can (the exact path decides)
            big = ~np.isfinite(R0h)
            big_ok = (r0 <= 2.0 ** -20) & all(c is not None for c in cs)
            safe = [np.where(big, 0.0, t) for t in parts]
            v = _sum2(safe)
            bound += 2.0 ** -100 * sum(np.abs(t) for t in safe) * len(safe) ** 2
            v = np.where(big, R0h, v)
            ok = np.where(big, big_ok, (bound <= tol * np.abs(v)) & np.isfinite(v))
            if big.any():
                # R₀'s high part overflowed but R₀ + Σ c log R may still round to a finite value (h = 2^1024
                # with a negative l: the value rounds to DBL_MAX): the sum at the scale 2⁻⁶⁴ (exact for these
                # magnitudes) and scaled back, the rounding to ±∞ or DBL_MAX then that of the exact sum
                sc = 2.0 ** -64
                sparts = [np.where(big, t * sc, 0.0) for t in parts[:-2]]
                sh = np.where(big, np.ldexp(h0, e0 - 64), 0.0)
                sparts += [np.where(big, np.ldexp(l0, e0 - 64), 0.0), sh]
                vs = _sum2(sparts)
                bs = (sc * term_bound + np.abs(sh) * r0
                      + 2.0 ** -100 * sum(np.abs(t) for t in sparts) * len(sparts) ** 2)
                fin = big & np.isfinite(vs)
                v = np.where(fin, np.ldexp(vs, 64), v)
                # Sum2 is faithful, not correctly rounded at the midpoint DBL_MAX + 2^970 (2^1024 or DBL_MAX
                # either side of it): those two results go to the exact path
                edge = (np.abs(vs) == 2.0 ** 960) | (np.abs(vs) == _DBL_MAX * sc)
                ok = np.where(fin, (bs <= tol * np.abs(vs)) & ~edge, ok)
            ok &= ~loose
            finite_in = np.ones(n, dtype=bool)
            for c in flat:
                finite_in &= np.isfinite(c)
            out = v
            special = ~finite_in
            if special.any():
                out[special] = np.asarray(plain([c[special] for c in flat]), dtype=np.float64)
            for i in np.flatnonzero(~ok & finite_in):
                out[i] = logsum_exact(K, R0, terms, args, [c[i] for c in flat])
            return out

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
