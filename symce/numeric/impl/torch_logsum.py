r"""``rational_log_sum(K, R₀, c₁, R₁, …)`` as a native torch kernel (issue 12: no numpy round trip, the
tensor's device), for the screenable forms (:func:`.logsum.screenable` with numeric coefficients: the
exponential, half-normal, log-normal and normal cross-entropies, logarithms of inputs or of x/y).

Tiers, as in the numpy kernel (:mod:`.logsum`):

1. the terms' own stable float forms (printed inline by the code generator, in the tensor's dtype), their
   sum kept where Σ|tᵢ| ≤ √2·|Σ tᵢ| (they cancel by less than half a bit);
2. for the few elements that cancel more, in float64 on the same device: R₀'s terms in extended-range
   double-double (mantissa·2^exponent, so σ² never over- or underflows; an error bound r carried along,
   the port of :mod:`.double_double`), each c·log x as c·(E·ln2 + log M) with log M in double-double
   (atanh series, :func:`.logsum.log_mantissa`'s), all summed with Sum2 and an absolute error bound;
   torch has no long double and no exact tier: where the bound is loose (a value ~1e−17 on the cancelling
   curve) the double-double value stays.

On the CPU the elements of step 2 go to the numpy kernel's own tiers instead (long double, double-double,
exact; :mod:`.logsum`): only those few elements cross to numpy, and a few hundred elements a block cost a few
numpy calls there against several hundred small torch calls for step 2. Elsewhere (CUDA) step 2 runs on the
device; the tests run it on the CPU by turning :func:`_numpy_tier` off.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np
import sympy as sp

from symce.numeric.impl.constants import _LN2_HI, _LN2_LO
from symce.numeric.impl.double_double import _dd_div, _dd_mul, _two_prod, _two_sum
from symce.numeric.impl.logsum import _constant, _program, _run, log_argument, logsum_kernel, screenable

_ZERO_EXP = -(1 << 40)
_ROUND = 2.0 ** -101
_ALIGN = 2.0 ** -1070
_SCREEN = 2.0 ** 0.5
_SQRT_HALF = 0.7071067811865476


def _ldexp(x, k):
    """x·2^k exactly for int64 k in any range where the result is representable: two power-of-two factors
    (torch.ldexp is x·2.0**k, which overflows or underflows for |k| > 1023 on its own)."""
    import torch

    k = k.to(torch.float64).clamp(-2200, 2200)
    a = torch.trunc(k / 2)
    return x * torch.exp2(a) * torch.exp2(k - a)


# -- extended-range double-double values (h, l, e, r), the torch port of .double_double --------------------
def _norm(h, l, e, r):
    import torch

    m, k = torch.frexp(h)
    e = torch.where(h == 0, _ZERO_EXP, e + k.to(torch.int64))
    return m, _ldexp(l, -k.to(torch.int64)), torch.clamp(e, min=_ZERO_EXP), r


def _leaf(x):
    import torch

    m, k = torch.frexp(x)
    e = torch.where(m == 0, _ZERO_EXP, k.to(torch.int64))
    return m, torch.zeros_like(m), e, torch.zeros_like(m)


def _const(value, like):
    import torch

    value = Fraction(int(value.numerator), int(value.denominator))
    hi = float(value)
    lo = float(value - Fraction(hi))
    exact = Fraction(hi) + Fraction(lo) == value
    return _norm(torch.full_like(like, hi), torch.full_like(like, lo), torch.zeros_like(like, dtype=torch.int64),
                 torch.full_like(like, 0.0 if exact else _ROUND))


def _mul(x, y):
    import torch

    p, q = _two_prod(x[0], y[0])
    q = q + (x[0] * y[1] + x[1] * y[0])
    h, l = _two_sum(p, q)
    pow2 = ((x[0].abs() == 0.5) & (x[1] == 0)) | ((y[0].abs() == 0.5) & (y[1] == 0))
    rnd = torch.where(((x[1] == 0) & (y[1] == 0)) | pow2, 0.0, _ROUND)
    return _norm(h, l, x[2] + y[2], x[3] + y[3] + x[3] * y[3] + rnd)


def _div(x, y):
    import torch

    q1 = x[0] / y[0]
    p, pe = _two_prod(q1, y[0])
    q2 = (((x[0] - p) - pe + x[1]) - q1 * y[1]) / y[0]
    h, l = _two_sum(q1, q2)
    ry = torch.where((y[3] < 0.5) & (y[0] != 0), y[3] / (1 - y[3]), math.inf)
    return _norm(h, l, x[2] - y[2], x[3] + ry + x[3] * ry + _ROUND)


def _add(x, y):
    import torch

    top = torch.maximum(x[2], y[2])
    sx, sy = (x[2] - top).clamp(-2000, 0), (y[2] - top).clamp(-2000, 0)
    xh, xl, yh, yl = _ldexp(x[0], sx), _ldexp(x[1], sx), _ldexp(y[0], sy), _ldexp(y[1], sy)
    # AccurateDWPlusDW (Joldes, Muller & Popescu 2017, Alg. 6): error relative to the result
    s, t = _two_sum(xh, yh)
    u, v = _two_sum(xl, yl)
    t = t + u
    s, t = _fast_two_sum(s, t)
    t = t + v
    h, l = _fast_two_sum(s, t)
    err = xh.abs() * x[3] + yh.abs() * y[3] + _ALIGN
    exact_zero = (x[3] == 0) & (y[3] == 0) & (xl == 0) & (yl == 0)
    r = torch.where(h == 0, torch.where(exact_zero, 0.0, math.inf), err / h.abs() + _ROUND)
    return _norm(h, l, top, r)


def _fast_two_sum(a, b):
    s = a + b
    return s, b - (s - a)


def _power(x, n: int, like):
    if n < 0:
        return _div(_const(Fraction(1), like), _power(x, -n, like))
    out, base = None, x
    while n:
        if n & 1:
            out = base if out is None else _mul(out, base)
        n >>= 1
        if n:
            base = _mul(base, base)
    return out if out is not None else _const(Fraction(1), like)


def _log_dd(x):
    """log x of float64 x > 0 as (E, lh, ll): log x = E·ln 2 + lh + ll, lh + ll = log M for M ∈ [√½, √2)
    (2·atanh z, z = (M − 1)/(M + 1), z and z³/3 in double-double: absolute error below 2^−61·|log M|)."""
    import torch

    m, k = torch.frexp(x)
    low = m < _SQRT_HALF
    m = torch.where(low, 2 * m, m)
    e = (k - low.to(k.dtype)).to(torch.float64)
    nh, nl = m - 1.0, torch.zeros_like(m)  # exact (Sterbenz)
    dh, dl = _two_sum(m, 1.0)
    zh, zl = _dd_div(nh, nl, dh, dl)
    z2h, z2l = _dd_mul(zh, zl, zh, zl)
    z3h, z3l = _dd_mul(z2h, z2l, zh, zl)
    t3h, t3l = _dd_div(z3h, z3l, 3.0, 0.0)
    w = z2h
    poly = torch.full_like(w, 1 / 27)
    for j in range(25, 3, -2):
        poly = poly * w + 1.0 / j
    tail = (z3h * w) * poly
    sh, sl = _two_sum(zh, t3h)
    sh, sl = _two_sum(sh, sl + zl + t3l + tail)
    return e, 2.0 * sh, 2.0 * sl


# -- plain double-double (h, l): the common case, every input in [2^−100, 2^100] or 0 ------------------------
def _p_add(x, y):
    s, t = _two_sum(x[0], y[0])
    u, v = _two_sum(x[1], y[1])
    s, t = _fast_two_sum(s, t + u)
    return _fast_two_sum(s, t + v)


def _p_mul(x, y):
    return _dd_mul(x[0], x[1], y[0], y[1])


def _p_power(x, n: int, like):
    import torch

    if n < 0:
        y = _p_power(x, -n, like)
        return _dd_div(torch.ones_like(like), torch.zeros_like(like), y[0], y[1])
    out, base = None, x
    while n:
        if n & 1:
            out = base if out is None else _p_mul(out, base)
        n >>= 1
        if n:
            base = _p_mul(base, base)
    return out


def _numpy_tier(device) -> bool:
    """Whether the cancelling elements go to the numpy kernel's tiers (long double, double-double, exact: the
    CPU only) instead of the torch double-double pass."""
    return device.type == "cpu"


def _pow2(c) -> bool:
    p, q = int(c.p), int(c.q)
    return p & (p - 1) == 0 and q & (q - 1) == 0


def native(node):
    """(name, torch kernel, its arguments: the inputs then the float parts) for a rational_log_sum node the
    torch kernel takes, else None."""
    from symce.numeric.functions import StableFunction, to_elementary

    # R₀ may hold stable functions with rational definitions (diff_ratio(a, b, s)²): the double-double pass
    # reads the definitions, the float parts keep them
    K, R0, *cr = (to_elementary(a) if a.has(StableFunction) else a for a in node.args)
    terms = tuple(zip(cr[::2], cr[1::2]))
    # coefficients ±2^k (½ log σ², log σ): c·log M exact in double-double
    if not all(c.is_Rational and c != 0 and _pow2(abs(c)) for c, _ in terms):
        return None
    if not screenable(R0, terms):
        return None
    args = tuple(sorted(node.free_symbols, key=sp.default_sort_key))
    parts = node.float_parts()
    name = f"_rls_native_{abs(hash((K, R0, terms, args))) % (1 << 40)}"
    return name, kernel(K, R0, terms, args, len(parts)), args + tuple(parts)


@lru_cache(maxsize=64)
def kernel(K, R0, terms: tuple, args: tuple, nparts: int):
    """The torch function of (inputs…, parts…) described in the module docstring."""
    import torch

    index = {a: i for i, a in enumerate(args)}
    k_hi, k_lo, _, _ = _constant(K)
    r0_terms = [t for t in sp.Add.make_args(R0) if t != 0]
    prog, outs = _program(r0_terms, index)
    cs = [float(c) for c, _ in terms]
    logs = []
    for _, R in terms:
        x, y = log_argument(R)
        logs.append((index[x], None if y is None else index[y]))
    nargs = len(args)
    numpy_kernel = logsum_kernel(K, R0, terms, args, nparts)
    # the plain pass: R₀'s sums are of inputs and numbers (screenable), so with dyadic numbers each sum is
    # exact (TwoSum) and every other operation a product, quotient or power of exact double-doubles: relative
    # error ≤ 2^−100 an operation, bounded by the program's length; with inputs in [2^−100, 2^100] (or 0) and
    # degrees ≤ 8 nothing leaves the float range
    dyadic = all(int(c.q) & (int(c.q) - 1) == 0 and abs(int(c.p)) < 2 ** 53
                 for t in r0_terms for c in t.atoms(sp.Rational))

    def degree(t):
        num, den = t.as_numer_denom()
        return sum(sp.Poly(x, *args).total_degree() for x in (num, den))

    plain_ok = dyadic and all(degree(t) <= 8 for t in r0_terms)
    rel0 = 2.0 ** -100 * (len(prog) + 2)

    def plain(cols):
        like = cols[0]
        zero = torch.zeros_like(like)
        vals = _run(prog, outs, lambda i: (cols[i], zero),
                    lambda c: (torch.full_like(like, float(c)), zero), _p_add, _p_mul,
                    lambda a, k: _p_power(a, k, like))
        return [(h, l, torch.zeros_like(like, dtype=torch.int64), torch.full_like(like, rel0)) for h, l in vals]

    def compensated(cols):
        like = cols[0]
        n = like.shape[0]
        m = torch.stack(cols).abs()
        if plain_ok and bool((((m >= 2.0 ** -100) & (m <= 2.0 ** 100)) | (m == 0)).all()):
            vals = plain(cols)
        else:
            vals = _run(prog, outs, lambda i: _leaf(cols[i]), lambda c: _const(c, like), _add, _mul,
                        lambda a, k: _power(a, k, like))
        parts = [torch.full_like(like, k_hi), torch.full_like(like, k_lo)]
        bound = torch.zeros_like(like)
        A = torch.zeros_like(like)
        for c, (i, j) in zip(cs, logs):
            for col, sgn in ((cols[i], 1.0), (None if j is None else cols[j], -1.0)):
                if col is None:
                    continue
                e, lh, ll = _log_dd(col)
                A = A + (sgn * c) * e  # exact: small integers times a dyadic c
                parts += [(sgn * c) * lh, (sgn * c) * ll]  # exact: c is ±2^k
                bound = bound + abs(c) * 2.0 ** -60 * lh.abs()
        parts += [A * _LN2_HI, A * _LN2_LO]
        bound = bound + 2.0 ** -90 * A.abs()
        big = torch.zeros(n, dtype=torch.bool, device=like.device)
        for h, l, e, r in vals:
            th, tl = _ldexp(h, e), _ldexp(l, e)
            parts += [tl, th]
            bound = bound + th.abs() * r
            big |= ~torch.isfinite(th) & (r <= 2.0 ** -20)
        safe = [torch.where(big, 0.0, t) for t in parts]
        s, err = safe[0], torch.zeros_like(like)
        for t in safe[1:]:
            s, e2 = _two_sum(s, t)
            err = err + e2
        v = s + err
        bound = bound + 2.0 ** -100 * sum(t.abs() for t in safe) * len(safe) ** 2 + 2.0 ** -1072
        # R₀ beyond the float range: the logarithms (≤ 2^13 each) cannot matter, ±∞ once rounded
        r0 = sum(_ldexp(h, e) for h, _, e, _ in vals) if vals else torch.zeros_like(like)
        v = torch.where(big, r0, v)
        # bound ≤ 2^−53·|v|: within 1½ ULP once rounded (the goal is 3); the numpy kernel asks 2^−54
        # because its long double tier has taken the milder cancellations first
        ok = torch.where(big, torch.isinf(r0), (bound <= 2.0 ** -53 * v.abs()) & torch.isfinite(v))
        return v, ok

    def run(*xs):
        # a Python number (the constant part K, printed as a float literal) straight to the tensors' dtype:
        # torch.as_tensor(K) alone is float32, and K rounded to float32 put CE(rayleigh) 1.4e-9 off in float64
        ref = next((x for x in xs if torch.is_tensor(x) and x.is_floating_point()), None)
        ref = torch.as_tensor(xs[0]) if ref is None else ref
        dtype = ref.dtype if ref.is_floating_point() else torch.float64
        xs = torch.broadcast_tensors(*[torch.as_tensor(x, dtype=dtype, device=ref.device) for x in xs])
        shape = xs[0].shape
        ps = xs[nargs:]
        # in place on fresh tensors: each pass over a block costs as much as the arithmetic in it
        v = ps[0] + ps[1] if len(ps) > 1 else ps[0].clone()
        size = ps[0].abs()
        for t in ps[2:]:
            v.add_(t)
        for t in ps[1:]:
            size.add_(t.abs())
        a = v.abs()
        tiny = torch.finfo(dtype).tiny * 2.0 ** 64  # below this the per-term absolute errors may matter
        bad = a < tiny
        bad |= ~(a.mul_(_SCREEN).sub_(size) >= 0)  # NaN (∞ − ∞, NaN inputs) goes on too
        if not bool(bad.any()):
            return v
        idx = bad.reshape(-1).nonzero().squeeze(1)
        cols = [x.reshape(-1)[idx].to(torch.float64) for x in xs[:nargs]]
        if _numpy_tier(v.device):
            # on the CPU the numpy kernel's own tiers for these few elements (long double, then double-double
            # or exact): a few numpy operations on a few hundred elements, where the torch pass costs several
            # hundred torch calls a block. Zero parts: its screen sends every element on to the tiers
            zeros = np.zeros(idx.shape[0])
            w = torch.from_numpy(np.asarray(numpy_kernel(*[c.numpy() for c in cols], *[zeros] * nparts),
                                            dtype=np.float64).reshape(-1))
        else:
            w, ok = compensated(cols)
            # the double-double value is the best torch has (no exact tier off the CPU); where it is not finite
            # (∞/NaN inputs) the float pass's IEEE value stays
            w = torch.where(torch.isfinite(w) | ok, w, v.reshape(-1)[idx].to(torch.float64))
        v = v.reshape(-1)  # a fresh tensor (the sum of the parts)
        v[idx] = w.to(dtype)
        return v.reshape(shape)

    run.__name__ = "rational_log_sum_torch"
    return run


__all__ = ["native", "kernel"]
