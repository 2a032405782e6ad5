"""Fast numpy versions of the costly stable functions: the cheap formula on the whole array, the careful
one (:mod:`.arrays`) only on the elements that need it."""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import mpmath
import numpy as np

from symce.numeric.impl.class_sum import sum_classes
from symce.numeric.impl.constants import _TINY
from symce.numeric.impl.double_double import _SPLIT  # Dekker's 2^27 + 1
from symce.numeric.impl.mixed_kl import logit_prob_kl_numpy, prob_logit_kl_numpy
from symce.numeric.impl.near_kl import window


def _fix(out, bad, careful, *args):
    """out[bad] = careful(args[bad]): the careful branch only where the cheap one is not good enough (the
    elements found once, by index: two boolean-mask passes over the whole array cost more)."""
    if out.ndim == 0:  # scalars (the math backend passes Python floats)
        return careful(*(np.asarray(a, np.float64) for a in args)) if bool(bad) else out
    idx = np.flatnonzero(bad)
    if idx.size == 0:
        return out
    if 2 * idx.size > out.size:  # most elements: the careful version on all of them beats gathering
        np.copyto(out, careful(*np.broadcast_arrays(*args)), where=bad)
        return out
    flat = [np.asarray(a).reshape(-1) if np.shape(a) == out.shape else np.broadcast_to(a, out.shape).reshape(-1)
            for a in args]
    out.reshape(-1)[idx] = careful(*(a[idx] for a in flat))
    return out


def _log_ratio(x, y):
    """log(x/y), and log x − log y (no cancellation there) where x/y is subnormal, 0 or inf.

    |log r| ≥ 708 exactly where r = x/y is subnormal, 0 or inf: there log x − log y. Those elements
    (a quarter of bit-pattern inputs) are gathered by index; the rest of r is clamped into the normal
    range first, because numpy's vector log takes a slow path on 0, inf and subnormals (2.5× the time
    of this version, which gives the same bits)."""
    r = np.asarray(x / y)
    ext = r < 3.307553003638408e-308
    ext |= r > 3.0233831442760750e307
    idx = np.flatnonzero(ext)
    if idx.size == 0:
        return np.log(r, out=r)
    np.clip(r, 3.307553003638408e-308, 3.0233831442760750e307, out=r)  # 3× faster than maximum + minimum
    lr = np.log(r, out=r)
    x, y = np.broadcast_arrays(x, y)
    lr.reshape(-1)[idx] = np.log(x.reshape(-1)[idx]) - np.log(y.reshape(-1)[idx])
    return lr


def _flat(*args):
    """float64 arguments broadcast and flattened (a 0-d input gives length 1), and the shape to give back."""
    arrs = np.broadcast_arrays(*(np.asarray(a, np.float64) for a in args))
    return arrs[0].shape, [np.ravel(a) for a in arrs]


def _kl_far(x, y, d):
    # x log(x/y) + (y − x) outside the window: x(u − log1p u) loses at most a factor u/(u − log1p u) ≤ 1.7
    out = _log_ratio(x, y)
    out *= x
    out += d
    return out


def kl_div(careful, x, y, d):
    """x log(x/y) − x + y; x = 0, infinities and NaN (non-finite here) go to the careful version."""
    shape, (x, y, d) = _flat(x, y, d)
    out = window(x, y, d, _kl_far)
    if not np.isfinite(np.add.reduce(out)):
        bad = ~np.isfinite(out)
        # x = 0: the value is y, the careful kernel's too (0·log 0 = 0; y = ∞ or NaN stays): the zero
        # probabilities of bit-pattern inputs, without the careful kernel's branches
        i = np.flatnonzero(bad & (x == 0))
        out[i] = y[i]
        bad[i] = False
        out = _fix(out, bad, careful["_kl_div"], x, y, d)
    return out.reshape(shape)


def log1pmx_ratio(careful, a, b, d, u=None):
    """log(a/b) − (a − b)/b = −kl_div(b, a)/b: inside the window 1/5 ≤ a/b ≤ 5 that form (:mod:`.near_kl`),
    outside log(a/b) − (a − b)/b (no cancellation there). The generated code also passes u = (a − b)/b,
    which the other kernels use; here it is recomputed only on the elements outside the window."""
    shape, (a, b, d) = _flat(a, b, d)
    tiny = np.abs(b) < _TINY_B  # NaN compares False
    if tiny.any():
        a, b, d = _scale_up(tiny, a, b, d)

    def near(v, b_):  # −kl_div(b, a)/b
        v /= b_
        np.negative(v, out=v)

    def far(b_, a_, d_):
        out = _log_ratio(a_, b_)
        out -= d_ / b_
        return out

    out = window(b, a, d, far, near)
    if not np.isfinite(np.add.reduce(out)):
        out = _fix(out, np.isnan(out), careful["_log1pmx_ratio"], a, b, d)
    return out.reshape(shape)


# kl_div(b, a) ≈ b·u²/2 (u = d/b ≥ 2^−53) underflows for b below ~2^−916 (KL of two scale families at the
# smallest normal scales was 0, or 10^5 ULP at a subnormal one): log1pmx_ratio is homogeneous of degree 0,
# so such elements are scaled by 2^600 first (exact: a power of two, and |a| < 2^400 keeps a, d finite;
# larger a against so small a b is far outside the window, where the scale does not matter)
_TINY_B = 2.0 ** -800
_A_CAP = 2.0 ** 400
_UP = 2.0 ** 600


def _scale_up(tiny, a, b, d):
    i = np.flatnonzero(tiny & (np.abs(a) < _A_CAP))
    a, b, d = a.copy(), b.copy(), d.copy()  # a, b, d may be views of the caller's arrays
    a[i] *= _UP
    b[i] *= _UP
    d[i] *= _UP
    return a, b, d


def diff_ratio(careful, a, b, s):
    a, b, s = np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(s, np.float64)
    diff = a - b
    # a − b overflows only to ±inf: a finite sum of the differences means nothing to fix
    if np.isfinite(np.add.reduce(diff, axis=None)):
        return diff / s
    out = diff / s
    bad = ~np.isfinite(diff)
    return _fix(out, bad, careful["diff_ratio"], a, b, s)


def log_offset(careful, x, c_hi, c_lo, x0_hi, x0_lo):
    """log x + c, x0 = e^{−c} = x0_hi + x0_lo (double-double).

    Near the root the sum cancels. Within 2^±10 of x0 the value is log(x·E), E = e^c as a double-double,
    with x·E's rounding put back after the logarithm (TwoProd): ≤ 2 ULP. Outside |log x + c| ≥ 10 log 2 and
    log x + c_hi is within ~1 ulp (c_lo ≤ ulp(c)/2 moves it by < 0.3 ulp). Where most elements of a block are
    in the window (σ at realistic scales for the normal entropy) the product form runs on every element and
    the others take theirs by index; otherwise (bit patterns) the log form runs everywhere and the window
    takes its own by index (:func:`_log_offset_block`)."""
    x = np.asarray(x, np.float64)
    if x.ndim == 0:  # one element through the same code as arrays: a scalar gets its row's bits in a batch
        out = np.empty(1)
        _log_offset_block(x.reshape(1), c_hi, x0_hi, x0_lo, out)
        return out[0]
    # the generated code does not block a function that is one call (codegen's _STREAMING), but this one
    # makes several passes: blocks of _BLOCK elements keep them in cache (2× on 10⁶ inputs), each block
    # computed in place in its slice of the result (a block temporary copied over cost ~0.5 ns an element,
    # a fifth of the whole)
    flat = x.reshape(-1)
    out = np.empty(flat.size)
    for i in range(0, flat.size, _BLOCK):
        _log_offset_block(flat[i:i + _BLOCK], c_hi, x0_hi, x0_lo, out[i:i + _BLOCK])
    return out.reshape(x.shape)


_BLOCK = 1 << 16


def _log_offset_block(flat, c_hi, x0_hi, x0_lo, out):
    """log x + c of the flat block ``flat`` into ``out`` (same length), one rule per element whichever way the
    block is computed (the two branches once differed above 8x0, so an element's last bit depended on what the
    rest of its block held):

    * 2⁻¹⁰x0 ≤ x < 2¹⁰x0: log x + c = log(x·E), E = e^c = E_hi + E_lo (double-double). x·E_hi = p + e exactly
      (Dekker's TwoProd: no FMA in numpy), so log(x·E) = log p + (e + x·E_lo)/p, the quadratic term of log1p
      below 2⁻¹⁰⁴ relative. Near the root p ≈ 1, where log is accurate to its last bit, and the correction
      carries the bits the product rounded away: ≤ 2 ULP, median 0. It replaced log1p of ((x − x0_hi) −
      x0_lo)/x0_hi (with log(x/x0_hi) − x0_lo/x0_hi below x0/2): np.log1p is scalar libm without AVX-512
      (11 ns an element on an AVX2 machine, np.log 4.2), and the product's eleven passes cost less than the
      difference (normal entropy on 10⁶ realistic σ: 18 → 11 ms).
    * elsewhere (and NaN) log x + c_hi, |log x + c| ≥ 10 log 2.

    The upper end 2¹⁰x0 keeps realistic inputs (σ ≤ 10 for the normal entropy, x0 ≈ 0.24) in the product form
    and all but ~20 of bit patterns' ~2100 binades outside, so either branch gathers few elements."""
    lo, top = x0_hi * 2.0**-10, x0_hi * 1024.0  # exact
    if not 2.0**-1000 < x0_hi < 2.0**1000:  # c beyond ±693: no window (log x + c_hi everywhere)
        lo = top = math.inf
    probe = flat[:: max(1, flat.size // 256)]  # which branch gathers fewer elements (speed only, not values)
    if 2 * np.count_nonzero((probe >= lo) & (probe < top)) > probe.size:
        _log_product(flat, x0_hi, x0_lo, out)
        outside = flat < lo
        outside |= flat >= top  # NaN compares False: it stays NaN in the product form
        idx = np.flatnonzero(outside)
        if idx.size:
            out[idx] = np.log(flat[idx]) + c_hi
        return out
    np.log(flat, out=out)
    out += c_hi
    near = flat >= lo
    near &= flat < top
    idx = np.flatnonzero(near)
    if idx.size:
        out[idx] = _log_product(flat[idx], x0_hi, x0_lo, np.empty(idx.size))
    return out


def _log_product(x, x0_hi, x0_lo, out):
    """log(x·E) = log p + (e + x·E_lo)/p with x·E_hi = p + e (TwoProd), into ``out``. For x within 2^±10 of
    the root x0 = 1/E (others give finite nonsense or NaN: the caller overwrites them); a root beyond 2^±600
    is scaled to 1 by a power of two, x and E alike (exact)."""
    scale, e_hi, e_hi_h, e_hi_l, e_lo = _root_split(x0_hi, x0_lo)
    if scale != 1.0:
        x = x * scale
    # double_double._two_prod inlined: E_hi's halves come precomputed (a constant), and every step writes into
    # an existing buffer (numpy passes, not arithmetic, are the cost here)
    with np.errstate(all="ignore"):  # the elements outside the window may overflow in the split
        hi = x * _SPLIT
        lo = hi - x
        hi -= lo            # Dekker's split: x = hi + lo, 26 + 27 bits
        np.subtract(x, hi, out=lo)
        p = x * e_hi
        err = hi * e_hi_h
        err -= p
        err += hi * e_hi_l
        lo_h = lo * e_hi_h
        err += lo_h
        lo *= e_hi_l
        err += lo
        x_lo = x * e_lo
        err += x_lo
        err /= p
        np.log(p, out=out)
        out += err
    return out


@functools.lru_cache(maxsize=64)
def _root_split(x0_hi, x0_lo):
    """(scale, E_hi, E_hi's Dekker halves, E_lo) for E = e^c = 1/(x0_hi + x0_lo), from the exact rational
    inverse of the double-double root (2^−1000 < x0_hi < 2^1000). A root beyond 2^±600 is scaled to 1 by a
    power of two (x·2^k against E·2^−k: the same product) so that neither the split of x nor that of E_hi
    overflows."""
    k = 0 if 2.0**-600 < x0_hi < 2.0**600 else -math.frexp(x0_hi)[1]
    scale = math.ldexp(1.0, k)
    inv = 1 / ((Fraction(x0_hi) + Fraction(x0_lo)) * Fraction(scale))
    e_hi = float(inv)
    e_lo = float(inv - Fraction(e_hi))
    t = _SPLIT * e_hi
    h = t - (t - e_hi)
    return scale, e_hi, h, e_hi - h, e_lo


def _xlog(log, careful_f, x, y):
    """x·log(y) (log = np.log or np.log1p): one log pass and one product in the same buffer. The careful
    kernel's only difference is x = 0 against y = 0 or ±inf (0 there, not NaN): those make the sum
    non-finite and are redone by index (x = 0 against a finite y gives ±0 here, equal to 0)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    out = log(y)
    if out.shape == np.broadcast_shapes(x.shape, y.shape):
        out *= x
    else:
        out = out * x
    if out.ndim == 0 or not np.isfinite(np.add.reduce(out, axis=None)):
        return _fix(out, np.broadcast_to(x == 0, out.shape), careful_f, x, y)
    return out


def xlogy(careful, x, y):
    return _xlog(np.log, careful["xlogy"], x, y)


def xlog1py(careful, x, y):
    return _xlog(_log1p, careful["xlog1py"], x, y)


def _log1p(y):
    """log1p(y) as log s + e/s, where 1 + y = s + e exactly (TwoSum): log is accurate to its last bit near
    s = 1 and e/s puts back what the sum rounded away (the next term, (e/s)²/2 ≤ 2⁻¹⁰⁸, is below the
    value's last bit: |log1p y| ≥ |y|/2 ≥ |e|/2 on (−1, ∞)). np.log1p is scalar libm on machines without
    AVX-512 (11 ns an element against 4.2 for np.log on an AVX2 EPYC), this is np.log and six passes
    (BCE on probabilities, Bernoulli entropy: ~1.4× on 10⁶ realistic inputs there). Where the value is not
    finite (y ≤ −1, y = ∞, NaN) np.log1p itself, by index."""
    y = np.asarray(y, np.float64)
    if y.ndim == 0:
        return _log1p(y.reshape(1))[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        s = 1.0 + y
        bb = s - 1.0
        e = s - bb
        np.subtract(1.0, e, out=e)
        bb = np.subtract(y, bb, out=bb)
        e += bb
        e /= s
        out = np.log(s)
        out += e
    if not np.isfinite(np.add.reduce(out, axis=None)):
        bad = np.flatnonzero(~np.isfinite(out))
        out.reshape(-1)[bad] = np.log1p(y.reshape(-1)[bad])
    return out


def _wprod(w, v, lw_ld, careful_f, *logits):
    """w·v; where w < 2^−1022 (a positive weight rounded to a subnormal or 0) the product is taken in
    long double from the logits: w itself there (range to e^−11355), and e^{log w + log|v|} beyond.
    Where long double is no wider than float64, the float64 log-domain version."""
    w, v = np.asarray(w, np.float64), np.asarray(v, np.float64)
    out = w * v
    bad = w < _TINY
    if not bad.any():
        return out
    bad &= (v != 0) & ~np.isnan(v)
    if not bad.any():
        return out
    if np.finfo(np.longdouble).nmant <= 52:  # pragma: no cover - platform without extended precision
        return careful_f(w, v, *logits)

    def f(v, *lg):
        lw = lw_ld(*[x.astype(np.longdouble) for x in lg])
        vl = v.astype(np.longdouble)
        wl = np.exp(lw)
        with_log = np.sign(vl) * np.exp(lw + np.log(np.abs(vl)))
        return np.where(wl > 0, wl * vl, with_log).astype(np.float64)

    return _fix(np.array(out, dtype=np.float64), bad, f, v, *logits)


def _log_sigmoid_ld(a):
    return np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))


def _log_softmax_ld(a, *zs):
    z = np.stack(np.broadcast_arrays(*zs))
    mx = z.max(0)
    return (a - mx) - np.log(sum_classes(np.exp(z - mx)))


def wprod_sigmoid(careful, w, v, a):
    return _wprod(w, v, _log_sigmoid_ld, lambda w, v, a: careful["_wprod_sigmoid"](w, v, a), a)


def wprod_softmax(careful, w, v, a, *zs):
    return _wprod(w, v, _log_softmax_ld, lambda w, v, *lg: careful["_wprod_softmax"](w, v, *lg), a, *zs)


def prob_logit_kl(careful, one, *args, scale=1):
    """scale·KL(p ‖ softmax z) (scale: the Multinomial's n). Where scale·(the KL rounded) overflows, scale
    goes inside the weights of the far form: a KL ≥ DBL_MAX/scale rounded up by half an ulp, times scale,
    passed DBL_MAX where the value is just below it (there KL ≫ H(p): the far form has nothing to cancel)."""
    if scale == 1:
        return prob_logit_kl_numpy(careful, one, *args)
    kl = np.asarray(prob_logit_kl_numpy(careful, one, *args), dtype=np.float64)
    with np.errstate(over="ignore"):
        out = scale * kl
    over = np.isinf(out) & np.isfinite(kl)
    if over.any():
        shape = np.broadcast_shapes(*[np.shape(x) for x in args])
        cols = [np.broadcast_to(np.asarray(x, np.float64), shape)[over] for x in args]
        out = np.array(out)
        out[over] = careful["_prob_logit_kl"](one, *cols, scale=scale)
    return out[()]


def logit_prob_kl(careful, one, *args):
    return logit_prob_kl_numpy(careful, one, *args)


def _by_columns(f, careful, args):
    """f over chunks of columns of its k-class arguments (k arrays per vector): these kernels stack the
    classes, so a block of the generated code's 2¹⁶ columns makes (k, 2¹⁶) temporaries of 5 MB at k = 10,
    out of cache and fresh from the allocator each time; chunks of 2¹⁶/k columns keep them at 512 KB."""
    k = len(args) // 2
    shape = np.broadcast_shapes(*[np.shape(a) for a in args])
    n = math.prod(shape)
    step = max(1024, (1 << 16) // max(k, 1))
    if n <= 2 * step:
        return f(careful, *args)
    flat = [np.broadcast_to(np.asarray(a, np.float64), shape).reshape(-1) for a in args]
    out = np.empty(n)
    for i in range(0, n, step):
        out[i:i + step] = f(careful, *[a[i:i + step] for a in flat])
    return out.reshape(shape)


def softmax_xent(careful, *args):
    return _by_columns(_softmax_xent, careful, args)


def _softmax_xent(careful, *args):
    """Σ t_i (logsumexp z − z_i). Where every class but the maximum is more than 746 + log k below it,
    Σ_{j ≠ max} e^{z_j − max} rounds to 0 (each term below 2^−1076/k) and the gaps are exactly the
    differences max − z_i: that is most bit-pattern inputs, computed here without exponentials (numpy's
    exp takes a slow path on underflowing arguments, ~7× its normal cost). The other columns (a second
    class within reach of the maximum, or a gap that overflows) go to the careful kernel, by index."""
    k = len(args) // 2
    shape = np.broadcast_shapes(*[np.shape(a) for a in args])
    T = np.stack([np.broadcast_to(np.asarray(a, np.float64), shape) for a in args[:k]]).reshape(k, -1)
    Z = np.stack([np.broadcast_to(np.asarray(a, np.float64), shape) for a in args[k:]]).reshape(k, -1)
    mx = Z.max(0)
    gap = mx - Z  # ≥ 0; −(z − max) exactly
    live = (gap < 746.0 + math.log(k)).sum(0) != 1  # a class besides the maximum (or a tie, or NaN)
    idx = np.flatnonzero(live)
    if 2 * idx.size > live.size:  # realistic logits: nearly every column is live (no gathers then)
        out = _xent_live(T, Z, mx, gap.copy())
        dead = np.flatnonzero(~live)
        if dead.size:
            out[dead] = _xent_dead(T[:, dead], gap[:, dead])
    else:
        # the live columns' gaps gathered (a copy) before _xent_dead overwrites gap with t·gap in place: read
        # after it, a live column took t_i·(m − z_i) for its gap (a row's value then depended on whether the
        # batch held more dead columns than live ones: 1e292 came out 1e284)
        live_gap = gap[:, idx]
        out = _xent_dead(T, gap)
        if idx.size:
            out[idx] = _xent_live(T[:, idx], Z[:, idx], mx[idx], live_gap)
    idx = np.flatnonzero(~np.isfinite(out))
    if idx.size:
        out[idx] = careful["softmax_xent"](*T[:, idx], *Z[:, idx])
    return out.reshape(shape) if shape else out[0]


def _xent_dead(T, gap):
    """Σ t_i·gap_i where the other classes' e^{z − max} all round to 0 (gap in place)."""
    np.multiply(T, gap, out=gap)
    gap[T == 0] = 0.0  # 0·log 0: a zero target contributes nothing, even against an infinite gap
    return _two_sum_rows(gap)


def _xent_live(T, Z, mx, gap):
    """Σ t_i (logsumexp z − z_i) for columns with a second class within reach of the maximum m, as the
    careful kernel computes it — gaps (m − z_i) + log1p(S), S = Σ_{i ≠ argmax} e^{z_i − m} with the rounding
    error of m − z_i put back (TwoSum: at a gap of 37 the plain difference is ~16 ULP off in e^{z − m}) —
    without its branches: one argmax instead of masks per class, every term ≥ 0 summed with TwoSum. gap
    = m − z (float64, overwritten). A gap that overflows gives a non-finite column, which the caller hands
    to the careful kernel."""
    bb = gap - mx
    err = (mx - (gap - bb)) + (-Z - bb)  # gap + err = m − z exactly
    e = np.negative(gap)
    np.exp(e, out=e)
    err *= e
    e -= err  # e^{−gap − err}
    e[Z.argmax(0), np.arange(Z.shape[1])] = 0.0  # the maximum's own e^0 = 1 (the first of tied maxima)
    gap += np.log1p(sum_classes(e))  # (m − z_i) + log1p(S) ≥ 0
    gap *= T
    return _two_sum_rows(gap)


def rel_entr_sum(careful, *args):
    return _by_columns(_rel_entr_sum, careful, args)


def _rel_entr_sum(careful, *args):
    """Σ x_i log(x_i/y_i), in three tiers by what each column needs.

    1. The terms t_i = x_i log(x_i/y_i) directly and their sum compensated (TwoSum). Each term is off by
       ≤ u·(x_i + 3|t_i|) (u = 2^−53: the rounding of x/y moves the log by u, the log and the product round
       by ≤ 2u|t_i| and u|t_i|), so the sum by ≤ u·(Σx + 3Σ|t| + |S|); a column is kept where
       Σx + 3Σ|t| ≤ 8|S|. On probability vectors drawn uniformly from the simplex (k = 10) that is nine
       columns in ten, and the kept ones were within 2 ULP of the exact sum (3000 columns against mpmath).
    2. The other columns as Σ kl_div(x_i, y_i) + Σ (x_i − y_i): the kl_div terms are ≥ 0 and each within
       ~2 ulp (the window series of :mod:`.near_kl`), the linear part is summed from its exact TwoSum
       parts. On the simplex the linear part is a rounding error: nothing cancels. Kept where it is at
       most half the kl_div sum.
    3. The rest (vectors off the simplex whose linear part cancels the kl_div sum, a few bit-pattern
       columns in 10⁴) in extended precision, then exactly (:func:`_rel_entr_sum_extended`); non-finite
       columns (a zero y_i against x_i > 0: +∞, NaN) by the careful kernel."""
    k = len(args) // 2
    shape = np.broadcast_shapes(*[np.shape(a) for a in args])
    X = np.stack([np.broadcast_to(np.asarray(a, np.float64), shape) for a in args[:k]]).reshape(k, -1)
    Y = np.stack([np.broadcast_to(np.asarray(a, np.float64), shape) for a in args[k:]]).reshape(k, -1)
    T = X / Y
    if T.size and _TINY <= np.min(T) and np.max(T) <= 3.0233831442760750e307:
        np.log(T, out=T)
    else:  # a ratio that is subnormal, 0, inf or NaN: log x − log y there (NaN stays NaN)
        T = _log_ratio(X, Y)
    T *= X
    s, c = _two_sum_rows_dd(T)
    out = s + c
    bad = ~np.isfinite(out)
    if bad.any():  # x_i = 0 gives 0·log 0 = NaN here: those terms are 0; what stays non-finite is careful's
        j = np.flatnonzero(bad)
        Tj = T[:, j]
        np.copyto(Tj, 0.0, where=X[:, j] == 0)
        s, c = _two_sum_rows_dd(Tj)
        # a term +∞ (x_i > 0 against y_i = 0) and none −∞ or NaN: the KL is +∞, the careful kernel's
        # value too (its terms are these, its sum the plain one when it is infinite); half the bit-pattern
        # columns, which its per-class branches made 4× the cost of scipy's rel_entr
        inf = np.any(Tj == np.inf, axis=0) & ~np.any(np.isnan(Tj) | (Tj == -np.inf), axis=0)
        out[j] = np.where(inf, np.inf, s + c)
        T[:, j] = Tj
        bad = ~np.isfinite(out)
        bad[j[inf]] = False
    bound = sum_classes(X)
    np.abs(T, out=T)
    bound += 3 * sum_classes(T)
    lossy = bound > 8 * np.abs(out)
    lossy &= ~bad
    if bad.any():
        j = np.flatnonzero(bad)
        out[j] = careful["rel_entr_sum"](*X[:, j], *Y[:, j])
    if lossy.any():
        j = np.flatnonzero(lossy)
        out[j] = _rel_entr_sum_kl(careful, X[:, j], Y[:, j])
    return out.reshape(shape) if shape else out[0]


def _rel_entr_sum_kl(careful, X, Y):
    """Tier 2 of :func:`rel_entr_sum`: Σ kl_div(x_i, y_i) + Σ (x_i − y_i), tier 3 where the two cancel."""
    H = X - Y
    bb = H - X
    L = (X - (H - bb)) + (-Y - bb)  # X − Y = H + L exactly
    K = kl_div(careful, X, Y, -H)
    sk, ck = _two_sum_rows_dd(K)
    sh, ch = _two_sum_rows_dd(H)
    ch += sum_classes(L)
    t = sk + sh
    bp = t - sk
    e = (sk - (t - bp)) + (sh - bp)
    out = t + (ck + ch + e)
    lossy = np.abs(sh + ch) * 2 > sk
    lossy &= np.isfinite(out)
    if lossy.any():
        j = np.flatnonzero(lossy)
        out[j] = _rel_entr_sum_extended(X[:, j], Y[:, j])
    return out


def _with_careful(careful: dict, f):
    """f with the careful implementations bound as its first argument (keeping f's name)."""
    def kernel(*args, **kw):
        return f(careful, *args, **kw)

    kernel.__name__ = kernel.__qualname__ = f.__name__
    kernel.__doc__ = f.__doc__
    return kernel


# name in the printed code -> fast kernel (each takes the careful implementations first)
_FAST = {"xlogy": xlogy, "xlog1py": xlog1py, "_kl_div": kl_div, "_log1pmx_ratio": log1pmx_ratio,
         "diff_ratio": diff_ratio, "rel_entr_sum": rel_entr_sum,
         "_log_offset": log_offset, "_wprod_sigmoid": wprod_sigmoid, "_wprod_softmax": wprod_softmax,
         "_prob_logit_kl": prob_logit_kl, "_logit_prob_kl": logit_prob_kl, "softmax_xent": softmax_xent}


def fast_numpy(careful: dict) -> dict:
    """numpy versions that compute the cheap formula on the whole array and call the careful version only
    on the elements that need it (selected with a boolean mask): the careful branches (series, TwoSum,
    double-double roots) are several times the cost of the cheap one, and are needed on few inputs.
    Each cheap formula is used only where its error is provably within ~1 ULP; everything it cannot
    handle (non-finite intermediates) is routed to the careful version."""
    return {name: _with_careful(careful, f) for name, f in _FAST.items()}


def _rel_entr_sum_extended(X, Y):
    """Σ_i x_i log(x_i/y_i) per column where the float64 sum cancels, in long double (64-bit mantissa):
    log(x/y) as log1p((x − y)/y) within a factor 5 (x − y is exact there: the exponents differ by ≤ 3), so a
    term's error is ≤ 2^−64·(2x_i·min(1, |u_i|) + 2|t_i|) with u_i = (x_i − y_i)/y_i, and the recursive sum
    adds ≤ 2^−64 of each partial sum. Accepted where that bound is below 2^−55 of the result (≤ 0.75 ulp after the
    final rounding), otherwise computed exactly with mpmath (precision raised until the value is pinned)."""
    ld = np.longdouble
    out = np.empty(X.shape[1])
    todo = np.arange(X.shape[1])
    if np.finfo(ld).nmant > 52:
        Xl, Yl = X.astype(ld), Y.astype(ld)
        with np.errstate(all="ignore"):
            r = Xl / Yl
            near = (r >= 0.2) & (r <= 5)
            u = np.where(near, (Xl - Yl) / Yl, 1)
            lr = np.where(near, np.log1p(u), np.log(r))
            terms = np.where(Xl == 0, 0, Xl * lr)
            partial = np.cumsum(terms, axis=0)
            val = partial[-1]
            # rounding of each term, and of each partial sum of the recursive summation
            bound = (sum_classes(2 * Xl * np.minimum(1, np.abs(u)) + 2 * np.abs(terms))
                     + sum_classes(np.abs(partial[1:]))) * ld(2.0) ** -64
            ok = np.isfinite(val) & (np.abs(val) * ld(2.0) ** -55 > bound)
        out[ok] = val[ok].astype(np.float64)
        todo = np.flatnonzero(~ok)
    for j in todo:
        out[j] = _rel_entr_sum_exact(X[:, j], Y[:, j])
    return out


def _rel_entr_sum_exact(x, y) -> float:
    prec = 256
    while True:
        with mpmath.workprec(prec):
            terms = [mpmath.mpf(a) * (mpmath.log(a) - mpmath.log(b)) for a, b in zip(x, y) if a != 0]
            val = mpmath.fsum(terms)
            bound = mpmath.fsum(abs(t) + mpmath.mpf(a) for t, a in zip(terms, x)) * mpmath.ldexp(1, 8 - prec)
        if val == 0 or abs(val) > bound * mpmath.ldexp(1, 60) or prec >= 1 << 16:
            return float(val)
        prec *= 4


def _two_sum_rows_dd(parts):
    """Σ over axis 0 as an unevaluated pair s + c: s the plain sum, c the accumulated rounding errors of its
    additions (Knuth's TwoSum, branch-free)."""
    s = parts[0].copy()
    c = np.zeros_like(s)
    t, bp, e = np.empty_like(s), np.empty_like(s), np.empty_like(s)
    for x in parts[1:]:
        np.add(s, x, out=t)
        np.subtract(t, s, out=bp)
        np.subtract(t, bp, out=e)
        np.subtract(s, e, out=e)  # s − (t − bp)
        np.subtract(x, bp, out=bp)  # x − bp
        e += bp
        c += e
        s, t = t, s
    return s, c


def _two_sum_rows(parts):
    """Σ over axis 0 with the rounding error of every addition accumulated and added back once: within
    ~1 ulp for the non-negative terms it is used on."""
    s, c = _two_sum_rows_dd(parts)
    s += c
    return s


