r"""The array kernels over a vector of logits (axis 0 the classes), for numpy or torch (each takes the
array namespace ``xp`` first): logsumexp, softmax, the cross-entropies Σ t_i (logsumexp z − z_i) and
Σ softmax(x)_i (logsumexp z − z_i), and a weight times a value where the weight underflows.

The shared devices: e^{z − m} with the rounding error of z − m put back (TwoSum); the maximum's own
term e^0 = 1 left out of the sum so log1p sees the remainder exactly; weights carried as w·2^{−N} where
e^{−a} would be subnormal or 0; sums near DBL_MAX computed halved and doubled.
"""

from __future__ import annotations

import numpy as np

from symce.numeric.impl.arrays.elementwise import _neumaier, log_sigmoid
from symce.numeric.impl.class_sum import sum_classes
from symce.numeric.impl.constants import _HALF_EDGE, _LN2_HI, _LN2_LO, _NEGLIGIBLE, _SCALED, _TINY


def _exp_shifted(xp, z, shift):
    """e^{z − shift} with the rounding error of z − shift put back (TwoSum): at a gap of 37 the plain
    difference is off by up to 3.5e−15 absolute, i.e. ~16 ULP of e^{z − shift}."""
    m = xp.m
    d = z - shift
    bb = d - z
    err = (z - (d - bb)) + (-shift - bb)
    e = m.exp(d)
    return e + e * m.where(m.isfinite(err), err, 0.0)


def logsumexp(xp, *xs):
    m = xp.m
    z = xp.stack(xs)
    mx = z.max(0) if xp.kind == "numpy" else z.max(0).values
    am = z.argmax(0)
    finite = m.isfinite(mx)
    shift = m.where(finite, mx, 0.0)
    e = _exp_shifted(xp, z, shift)
    # drop the maximum's own e^0 = 1 so log1p sees the small remainder exactly
    idx = m.arange(z.shape[0]).reshape((-1,) + (1,) * (z.ndim - 1))
    e = m.where(idx == am, 0.0, e)
    rest = sum_classes(e)
    return m.where(finite, mx + m.log1p(rest), mx)


def _max_arg(xp, z):
    m = xp.m
    mx = z.max(0) if xp.kind == "numpy" else z.max(0).values
    return mx, z.argmax(0), m.arange(z.shape[0]).reshape((-1,) + (1,) * (z.ndim - 1))


def softmax(xp, a, *zs):
    m = xp.m
    z = xp.stack(zs)
    mx, am, idx = _max_arg(xp, z)
    finite = m.isfinite(mx)
    shift = m.where(finite, mx, 0.0)
    # the max's own term is exactly e^0 = 1, so the denominator is in [1, k]: no overflow, no 0/0; the other
    # terms are summed first and the 1 added last (1 + e₁ + e₂ + … in order rounds at 1's ulp k − 1 times: 4 ULP
    # at s = 0.99999999998, k = 10, where numpy sums a (10, n) array's columns in order)
    e = _exp_shifted(xp, z, shift)
    others = m.where(idx == am, 0.0, e)
    # the others' sum compensated and D = 1 + rest carried to double length (TwoSum): s = E/D is then rounded
    # about once beyond E's own error (≤ 2 ULP, was 2–6 with the plain sums)
    hi = others[0] * 1.0
    lo = xp.zeros_like(hi)
    for j in range(1, others.shape[0]):
        t = hi + others[j]
        lo = lo + m.where(hi >= others[j], (hi - t) + others[j], (others[j] - t) + hi)
        hi = t
    d_hi = 1.0 + hi
    bb = d_hi - 1.0
    d_lo = ((1.0 - (d_hi - bb)) + (hi - bb)) + lo
    num = _exp_shifted(xp, xp.asarray(a), shift)
    q = num / d_hi
    return m.where(finite, q - q * (d_lo / d_hi), num / sum_classes(e))


def _xent_gaps(xp, z):
    """The gaps logsumexp(z) − z_i ≥ 0 as (m − z_i) + log1p(S) (m = max z, S = Σ_{i ≠ argmax} e^{z_i − m}
    without the max's own 1), and the same halved (m − z overflows for logits of opposite signs beyond
    ±9e307: the halving and doubling are exact)."""
    m = xp.m
    mx = z.max(0) if xp.kind == "numpy" else z.max(0).values
    am = z.argmax(0)
    e = _exp_shifted(xp, z, mx)
    idx = m.arange(z.shape[0]).reshape((-1,) + (1,) * (z.ndim - 1))
    e = m.where(idx == am, 0.0, e)
    lse_gap = m.log1p(sum_classes(e))
    return (mx - z) + lse_gap, (mx * 0.5 - z * 0.5) + lse_gap * 0.5


def softmax_xent(xp, *args):
    m = xp.m
    k = len(args) // 2
    t, z = xp.stack(args[:k]), xp.stack(args[k:])
    gap, gap_half = _xent_gaps(xp, z)
    # compensated sums over the classes: results near DBL_MAX (logits ±1e308) come out within ~1 ULP
    full = _neumaier(xp, list(m.where(t == 0, 0.0, t * gap)))
    half = _neumaier(xp, list(m.where(t == 0, 0.0, t * gap_half)))  # the whole row halved: no overflow
    # a gap overflows, or the sum near DBL_MAX does by rounding: the halved sum, doubled (DBL_MAX at the edge)
    return m.where((m.isinf(gap).any(0) | m.isinf(full)) & m.isfinite(half), _double(xp, half), full)


def logit_xent(xp, *args):
    """Σ_i softmax(x)_i (logsumexp z − z_i), arguments (x…, z…): the cross-entropy between two logit
    vectors, the entropy for z = x. The weights come as w·2^{−N} (_scaled_softmax), so a class whose
    weight underflows still adds s_j·gap_j (e^{−746}·1e308 = e^{−37}) and a subnormal entropy
    (e^{−744}·744) keeps its digits; every term is ≥ 0, nothing cancels."""
    m = xp.m
    k = len(args) // 2
    x, z = xp.stack(args[:k]), xp.stack(args[k:])
    w, n, *_ = _scaled_softmax(xp, x)
    gap, gap_half = _xent_gaps(xp, z)
    full = _neumaier(xp, list(_wmul(xp, w, n, gap)))
    # a gap overflows, or the weighted sum of gaps near DBL_MAX does by rounding: the halved sum decides
    over = m.isinf(gap).any(0) | m.isinf(full)
    if not bool(over.any()):
        return full
    half = _neumaier(xp, list(_wmul(xp, w, n, gap_half)))
    return m.where(over & m.isfinite(half), _double(xp, half), full)


def _two_diff(xp, a, b):
    """a − b as hi + lo exactly (TwoSum; lo = 0 where hi overflowed)."""
    m = xp.m
    hi = a - b
    bb = hi - a
    return hi, m.where(m.isfinite(hi), (a - (hi - bb)) + (-b - bb), 0.0)


def _ldexp_neg(xp, v, n):
    """v·2^{−n} for integer-valued n ≥ 0 (float array), one rounding."""
    m = xp.m
    if xp.kind == "numpy":
        return np.ldexp(v, (-n).astype(np.int64))
    # torch.ldexp is v·2^n with 2^n rounded first (0 below 2^−1074): three normal factors instead
    n1 = m.clamp(n, max=900.0)
    n2 = m.clamp(n - n1, max=900.0)
    return v * m.exp2(-n1) * m.exp2(-n2) * m.exp2(-(n - n1 - n2))


def _scaled_exp(xp, ah, al):
    """e^{−(ah + al)} for ah ≥ 0 as (w, N) with e^{−a} = w·2^{−N}: N = 0 down to e^{−700} (w = e^{−ah}
    with the low part put back), below that w = e^{N ln 2 − a} ∈ [0.7, 1.5) with N = round(a/ln 2), the
    reduction N·LN2_HI − ah exact (Sterbenz) so w keeps every bit where e^{−a} itself would be subnormal
    or 0; below e^{−1600}, w = 0 (negligible against any finite factor)."""
    m = xp.m
    e = m.exp(-ah)
    w = e - e * m.where(m.isfinite(al), al, 0.0)
    n = xp.zeros_like(ah)
    deep = ah > _SCALED
    if bool(deep.any()):
        a_c = m.where(deep, m.clamp(ah, max=_NEGLIGIBLE) if xp.kind == "torch" else np.minimum(ah, _NEGLIGIBLE), 0.0)
        n = m.where(deep, m.floor(a_c / _LN2_HI + 0.5), 0.0)
        r = ((n * _LN2_HI - a_c) - m.where(deep, al, 0.0)) + n * _LN2_LO
        w = m.where(deep, m.where(ah > _NEGLIGIBLE, 0.0, m.exp(r)), w)
    return w, n


def _scaled_softmax(xp, x):
    """softmax(x) over axis 0 as (w, N), softmax = w·2^{−N} (see _scaled_exp), and the max, its index,
    the class index grid and Σ_{j ≠ argmax} e^{x_j − max}."""
    m = xp.m
    mx, am, idx = _max_arg(xp, x)
    ah, al = _two_diff(xp, mx, x)
    w, n = _scaled_exp(xp, ah, al)
    # Σ_{j ≠ argmax} e^{x_j − max}: log1p of it is logsumexp(x) − max x; the scaled weights (< e^{−700}
    # each) are below 2^−1000 of the sum 1 + rest: left out of it
    rest = sum_classes(m.where((n == 0) & (idx != am), w, 0.0))
    return w / (1 + rest), n, mx, am, idx, rest


def _double(xp, half):
    """2·half for a sum computed halved: a half within a few ulps above DBL_MAX/2 (the sum's own rounding
    error, for a value at the overflow edge) gives DBL_MAX, not ∞ — where the exact value lies just
    above the edge instead, that is one step (DBL_MAX against ∞) off, never a spurious ∞."""
    m = xp.m
    out = half * 2
    return m.where(m.isinf(out) & (m.abs(half) <= _HALF_EDGE * (1 + 4 * 2.0 ** -52)),
                   m.sign(half) * 1.7976931348623157e308, out)


def _wmul(xp, w, n, v):
    """w·2^{−n}·v, 0 where w = 0 (an underflowed weight times ∞ or NaN-free huge v): the product is
    taken before the scaling, halved so w·v cannot overflow (w < 2 for n > 0)."""
    m = xp.m
    plain = w * v
    if bool((n > 0).any()):
        plain = m.where(n > 0, _ldexp_neg(xp, w * (0.5 * v), n - 1), plain)
    return m.where(w == 0, 0.0, plain)


def _wprod(xp, w, v, lw):
    """w·v, and sign(v)·e^{log w + log|v|} where w (> 0 exactly) rounded below 2^−1022."""
    m = xp.m
    w, v = xp.asarray(w), xp.asarray(v)
    out = w * v
    bad = (w < _TINY) & (v != 0) & ~m.isnan(v)
    if not bool(bad.any()):
        return out
    with_log = m.sign(v) * m.exp(xp.asarray(lw()) + m.log(m.abs(v)))
    return m.where(bad, with_log, out)


def wprod_sigmoid(xp, w, v, a):
    return _wprod(xp, w, v, lambda: log_sigmoid(xp, a))


def wprod_softmax(xp, w, v, a, *zs):
    return _wprod(xp, w, v, lambda: xp.asarray(a) - logsumexp(xp, *zs))
