"""The array implementations of the stable functions, written once against a small array namespace
(:class:`_Array`) so numpy and torch share them. For numpy, :mod:`.fast` replaces some of them by versions
that run the cheap formula on the whole array and the careful one (these) only where it is needed."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from symce.numeric.impl import extended as _extended
from symce.numeric.impl.constants import (_EXP_SERIES, _HALF_EDGE, _LN2_HI, _LN2_LO, _NEGLIGIBLE, _SCALED, _SERIES,
                                          _SERIES_HI, _SERIES_LO, _TINY)
from symce.numeric.impl.fast import fast_numpy


class _Array:
    """The handful of array operations the implementations need, for numpy or torch."""

    def __init__(self, kind: str):
        self.kind = kind
        if kind == "torch":
            import torch

            self.m, self.f64 = torch, torch.float64
        else:
            self.m, self.f64 = np, np.float64

    def asarray(self, x):
        if self.kind == "torch":
            return self.m.as_tensor(x, dtype=self.f64)
        return np.asarray(x, dtype=np.float64)

    def zeros_like(self, x):
        return self.m.zeros_like(x)

    def stack(self, xs):
        xs = [self.asarray(x) for x in xs]
        if self.kind == "torch":
            xs = self.m.broadcast_tensors(*xs)
            return self.m.stack(xs)
        return np.stack(np.broadcast_arrays(*xs))

    def full_like(self, x, v):
        return self.m.full_like(x, v)


@lru_cache(maxsize=None)
def array_impls(kind: str = "numpy") -> dict:
    """name -> implementation for ``kind`` in {"numpy", "torch"}."""
    xp = _Array(kind)
    m = xp.m

    def _poly(s2):
        # terms needed for this batch: s^{2n} < 2^−56 at the largest s² (few terms near s = 0, where the
        # Bernoulli KL's 1 − p terms spend most of their time)
        size = s2.numel() if kind == "torch" else s2.size
        top = float(s2.max()) if size else 0.0
        n = len(_SERIES) if not (0.0 < top < 1.0) else min(len(_SERIES), int(-39.0 / math.log(top)) + 2)
        coeffs = _SERIES[:max(n, 1)]
        acc = xp.full_like(s2, coeffs[-1])
        for c in reversed(coeffs[:-1]):
            acc = acc * s2 + c
        return acc

    def _on(mask, f, *args):
        """f applied to the masked elements only (the series is too costly to run everywhere)."""
        out = xp.zeros_like(args[0])
        if bool(mask.any()):
            out[mask] = f(*(a[mask] for a in args))
        return out

    def _series(u):
        s = u / (2 + u)
        return -u * s + 2 * s * s * s * _poly(s * s)

    def sigmoid(x):
        x = xp.asarray(x)
        e = m.exp(-m.abs(x))
        return m.where(x >= 0, 1 / (1 + e), e / (1 + e))

    def softplus(x):
        x = xp.asarray(x)
        t = m.log1p(m.exp(-m.abs(x)))
        return m.where(x > 0, x + t, t)

    def log_sigmoid(x):
        return -softplus(-xp.asarray(x))

    def xlogy(x, y):
        x, y = xp.asarray(x), xp.asarray(y)
        return m.where((x == 0) & ~m.isnan(y), 0.0, x * m.log(y))

    def xlog1py(x, y):
        x, y = xp.asarray(x), xp.asarray(y)
        return m.where((x == 0) & ~m.isnan(y), 0.0, x * m.log1p(y))

    def log1pmx(u):
        u = xp.asarray(u)
        near = (u >= _SERIES_LO) & (u <= _SERIES_HI)
        direct = m.log1p(u) - u
        return m.where(near, _on(near, _series, u), m.where(m.isinf(u) & (u > 0), -u, direct))

    def log1pmx_ratio(a, b, d):
        """log(a/b) − a/b + 1 with d = a − b from the original inputs (a, b > 0)."""
        a, b, d = xp.asarray(a), xp.asarray(b), xp.asarray(d)
        u = d / b
        near = (u >= _SERIES_LO) & (u <= _SERIES_HI)
        r = a / b
        lr = m.where(r >= 2.2250738585072014e-308, m.log(r), m.log(a) - m.log(b))
        lr = m.where(m.isinf(r), m.log(a) - m.log(b), lr)
        # u > 4: log r − u (u − log r is big and positive; u = inf gives −inf, the correctly rounded value)
        far = m.where(u > _SERIES_HI, lr - u, lr - r + 1)
        return m.where(near, _on(near, _series, u), far)

    def kl_div(x, y, d):
        """x log(x/y) − x + y with d = y − x from the original inputs (x, y ≥ 0)."""
        x, y, d = xp.asarray(x), xp.asarray(y), xp.asarray(d)
        u = d / x
        near = (u >= _SERIES_LO) & (u <= _SERIES_HI)
        r = x / y
        lr = m.where(m.isinf(r) | (r < 2.2250738585072014e-308), m.log(x) - m.log(y), m.log(r))
        # far, y ≫ x: x(u − log1p u) = d − x log1p(u) has no overflow even where u = d/x does
        # (u = inf: x·log1p(u) is x·(log y − log x), tiny, not inf·x)
        big = d - x * m.where(m.isinf(u), m.log(y) - m.log(x), m.log1p(u))
        # far, y ≪ x: x(log(x/y) − 1) + y
        small = x * (lr - 1) + y
        out = m.where(near, -x * _on(near, _series, u), m.where(u > _SERIES_HI, big, small))
        out = m.where(x == 0, y, out)
        return m.where((y == 0) & (x > 0), float("inf"), out)

    def diff_ratio(a, b, s):
        a, b, s = xp.asarray(a), xp.asarray(b), xp.asarray(s)
        safe = (m.abs(a) < 8.98846567431158e307) & (m.abs(b) < 8.98846567431158e307)
        plain = (a - b) / s
        halved = (a * 0.5 - b * 0.5) / s  # exact halving (|a|, |b| ≥ 2^1023 are far from subnormal)
        return m.where(safe, plain, halved * 2)

    def log_offset(x, c_hi, c_lo, x0_hi, x0_lo):
        """log x + c; near x0 = e^{−c}: log1p(((x − x0_hi) − x0_lo)/x0_hi) (x0 = x0_hi + x0_lo)."""
        x = xp.asarray(x)
        near = (x > x0_hi * 0.125) & (x < x0_hi * 8)
        t = ((x - x0_hi) - x0_lo) / x0_hi
        # t = (x − x0)/x0 to within |x0_lo/x0_hi| ≈ 2^−53 relative: x − x0_hi is exact (Sterbenz), and the
        # low part makes the difference right even where x is the float nearest x0
        return m.where(near, m.log1p(t), m.log(x) + c_hi + c_lo)

    def _exp_shifted(z, shift):
        """e^{z − shift} with the rounding error of z − shift put back (TwoSum): at a gap of 37 the plain
        difference is off by up to 3.5e−15 absolute, i.e. ~16 ULP of e^{z − shift}."""
        d = z - shift
        bb = d - z
        err = (z - (d - bb)) + (-shift - bb)
        e = m.exp(d)
        return e + e * m.where(m.isfinite(err), err, 0.0)

    def logsumexp(*xs):
        z = xp.stack(xs)
        mx = z.max(0) if kind == "numpy" else z.max(0).values
        am = z.argmax(0)
        finite = m.isfinite(mx)
        shift = m.where(finite, mx, 0.0)
        e = _exp_shifted(z, shift)
        # drop the maximum's own e^0 = 1 so log1p sees the small remainder exactly
        idx = m.arange(z.shape[0]).reshape((-1,) + (1,) * (z.ndim - 1))
        e = m.where(idx == am, 0.0, e)
        rest = e.sum(0)
        return m.where(finite, mx + m.log1p(rest), mx)

    def fsum(*xs):
        # Neumaier's compensated summation, elementwise over the arguments
        return _neumaier([xp.asarray(x) for x in xs])

    def _neumaier(parts):
        s = parts[0] * 1.0
        c = xp.zeros_like(s)
        for x in parts[1:]:
            t = s + x
            c = c + m.where(m.abs(s) >= m.abs(x), (s - t) + x, (x - t) + s)
            s = t
        # an infinite part makes the compensation ∞ − ∞ = NaN: the sum is then the plain (infinite) one
        return m.where(m.isinf(s), s, s + c)

    def rel_entr_sum(*args):
        k = len(args) // 2
        parts = []
        for x, y in zip(args[:k], args[k:]):
            x, y = xp.asarray(x), xp.asarray(y)
            d = y - x  # exact where y is within a factor 2 of x (Sterbenz)
            u = d / x
            near = (u >= -1 / 3) & (u <= 0.5) & (x > 0)
            r = x / y
            lr = m.where(m.isinf(r) | (r < 2.2250738585072014e-308), m.log(x) - m.log(y), m.log(r))
            far = m.where(x == 0, 0.0, m.where(y == 0, float("inf"), x * lr))
            parts.append(m.where(near, -x * _on(near, _series, u), far))
            parts.append(m.where(near, -d, 0.0))
        return _neumaier(parts)

    def _xent_gaps(z):
        """The gaps logsumexp(z) − z_i ≥ 0 as (m − z_i) + log1p(S) (m = max z, S = Σ_{i ≠ argmax} e^{z_i − m}
        without the max's own 1), and the same halved (m − z overflows for logits of opposite signs beyond
        ±9e307: the halving and doubling are exact)."""
        mx = z.max(0) if kind == "numpy" else z.max(0).values
        am = z.argmax(0)
        e = _exp_shifted(z, mx)
        idx = m.arange(z.shape[0]).reshape((-1,) + (1,) * (z.ndim - 1))
        e = m.where(idx == am, 0.0, e)
        lse_gap = m.log1p(e.sum(0))
        return (mx - z) + lse_gap, (mx * 0.5 - z * 0.5) + lse_gap * 0.5

    def softmax_xent(*args):
        k = len(args) // 2
        t, z = xp.stack(args[:k]), xp.stack(args[k:])
        gap, gap_half = _xent_gaps(z)
        # compensated sums over the classes: results near DBL_MAX (logits ±1e308) come out within ~1 ULP
        full = _neumaier(list(m.where(t == 0, 0.0, t * gap)))
        half = _neumaier(list(m.where(t == 0, 0.0, t * gap_half)))  # the whole row halved: no overflow
        # a gap overflows, or the sum near DBL_MAX does by rounding: the halved sum, doubled (DBL_MAX at the edge)
        return m.where((m.isinf(gap).any(0) | m.isinf(full)) & m.isfinite(half), _double(half), full)

    def logit_xent(*args):
        """Σ_i softmax(x)_i (logsumexp z − z_i), arguments (x…, z…): the cross-entropy between two logit
        vectors, the entropy for z = x. The weights come as w·2^{−N} (_scaled_softmax), so a class whose
        weight underflows still adds s_j·gap_j (e^{−746}·1e308 = e^{−37}) and a subnormal entropy
        (e^{−744}·744) keeps its digits; every term is ≥ 0, nothing cancels."""
        k = len(args) // 2
        x, z = xp.stack(args[:k]), xp.stack(args[k:])
        w, n, *_ = _scaled_softmax(x)
        gap, gap_half = _xent_gaps(z)
        full = _neumaier(list(_wmul(w, n, gap)))
        # a gap overflows, or the weighted sum of gaps near DBL_MAX does by rounding: the halved sum decides
        over = m.isinf(gap).any(0) | m.isinf(full)
        if not bool(over.any()):
            return full
        half = _neumaier(list(_wmul(w, n, gap_half)))
        return m.where(over & m.isfinite(half), _double(half), full)

    def _max_arg(z):
        mx = z.max(0) if kind == "numpy" else z.max(0).values
        return mx, z.argmax(0), m.arange(z.shape[0]).reshape((-1,) + (1,) * (z.ndim - 1))

    def softmax(a, *zs):
        z = xp.stack(zs)
        mx, _, _ = _max_arg(z)
        shift = m.where(m.isfinite(mx), mx, 0.0)
        # the max's own term is exactly e^0 = 1, so the denominator is in [1, k]: no overflow, no 0/0
        return _exp_shifted(xp.asarray(a), shift) / _exp_shifted(z, shift).sum(0)

    def _two_diff(a, b):
        """a − b as hi + lo exactly (TwoSum; lo = 0 where hi overflowed)."""
        hi = a - b
        bb = hi - a
        return hi, m.where(m.isfinite(hi), (a - (hi - bb)) + (-b - bb), 0.0)

    def _ldexp_neg(v, n):
        """v·2^{−n} for integer-valued n ≥ 0 (float array), one rounding."""
        if kind == "numpy":
            return np.ldexp(v, (-n).astype(np.int64))
        # torch.ldexp is v·2^n with 2^n rounded first (0 below 2^−1074): three normal factors instead
        n1 = m.clamp(n, max=900.0)
        n2 = m.clamp(n - n1, max=900.0)
        return v * m.exp2(-n1) * m.exp2(-n2) * m.exp2(-(n - n1 - n2))

    def _scaled_exp(ah, al):
        """e^{−(ah + al)} for ah ≥ 0 as (w, N) with e^{−a} = w·2^{−N}: N = 0 down to e^{−700} (w = e^{−ah}
        with the low part put back), below that w = e^{N ln 2 − a} ∈ [0.7, 1.5) with N = round(a/ln 2), the
        reduction N·LN2_HI − ah exact (Sterbenz) so w keeps every bit where e^{−a} itself would be subnormal
        or 0; below e^{−1600}, w = 0 (negligible against any finite factor)."""
        e = m.exp(-ah)
        w = e - e * m.where(m.isfinite(al), al, 0.0)
        n = xp.zeros_like(ah)
        deep = ah > _SCALED
        if bool(deep.any()):
            a_c = m.where(deep, m.clamp(ah, max=_NEGLIGIBLE) if kind == "torch" else np.minimum(ah, _NEGLIGIBLE), 0.0)
            n = m.where(deep, m.floor(a_c / _LN2_HI + 0.5), 0.0)
            r = ((n * _LN2_HI - a_c) - m.where(deep, al, 0.0)) + n * _LN2_LO
            w = m.where(deep, m.where(ah > _NEGLIGIBLE, 0.0, m.exp(r)), w)
        return w, n

    def _scaled_softmax(x):
        """softmax(x) over axis 0 as (w, N), softmax = w·2^{−N} (see _scaled_exp), and the max, its index,
        the class index grid and Σ_{j ≠ argmax} e^{x_j − max}."""
        mx, am, idx = _max_arg(x)
        ah, al = _two_diff(mx, x)
        w, n = _scaled_exp(ah, al)
        # Σ_{j ≠ argmax} e^{x_j − max}: log1p of it is logsumexp(x) − max x; the scaled weights (< e^{−700}
        # each) are below 2^−1000 of the sum 1 + rest: left out of it
        rest = m.where((n == 0) & (idx != am), w, 0.0).sum(0)
        return w / (1 + rest), n, mx, am, idx, rest

    def _double(half):
        """2·half for a sum computed halved: a half within a few ulps above DBL_MAX/2 (the sum's own rounding
        error, for a value at the overflow edge) gives DBL_MAX, not ∞ — where the exact value lies just
        above the edge instead, that is one step (DBL_MAX against ∞) off, never a spurious ∞."""
        out = half * 2
        return m.where(m.isinf(out) & (m.abs(half) <= _HALF_EDGE * (1 + 4 * 2.0 ** -52)),
                       m.sign(half) * 1.7976931348623157e308, out)

    def _wmul(w, n, v):
        """w·2^{−n}·v, 0 where w = 0 (an underflowed weight times ∞ or NaN-free huge v): the product is
        taken before the scaling, halved so w·v cannot overflow (w < 2 for n > 0)."""
        plain = w * v
        if bool((n > 0).any()):
            plain = m.where(n > 0, _ldexp_neg(w * (0.5 * v), n - 1), plain)
        return m.where(w == 0, 0.0, plain)

    def _expm1mx(c):
        """e^c − 1 − c (≥ 0): Taylor series Σ_{n≥2} c^n/n! for |c| < 1 (expm1(c) − c cancels there), on
        those elements only."""
        def series(c):
            acc = xp.full_like(c, _EXP_SERIES[-1])
            for coef in reversed(_EXP_SERIES[:-1]):
                acc = acc * c + coef
            return c * c * acc

        small = m.abs(c) < 1
        return m.where(small, _on(small, series, c), m.expm1(c) - c)

    def softmax_kl(*args):
        k = len(args) // 2
        x, y = xp.stack(args[:k]), xp.stack(args[k:])
        # the weights s = softmax x as w·2^{−N}: a class whose weight underflows (gap > 745) still counts
        # where it multiplies a huge logit difference (s_j·δ_j = e^{−800}·1e308), and a subnormal weight
        # keeps all its bits (a subnormal KL is then right to the last place)
        w, n, mx, am, idx, rest_x = _scaled_softmax(x)
        # d = x − y as a double-length hi + lo (TwoSum), then δ = d − d_r for the reference r = argmax x:
        # a common shift of the logits cancels exactly and the near-equal differences keep every bit
        dh, dl = _two_diff(x, y)
        at_r = idx == am
        dh_r = m.where(at_r, dh, 0.0).sum(0)
        dl_r = m.where(at_r, dl, 0.0).sum(0)
        delta = (dh - dh_r) + (dl - dl_r)
        dbar = _neumaier(list(_wmul(w, n, delta)))
        c = dbar - delta
        # near: log Σ_j s_j e^{c_j} = log1p(Σ_j s_j (e^{c_j} − 1 − c_j)) (Σ s_j c_j = 0 used exactly).
        # For c_j ≥ 2, e^{c_j} of the rounded c_j would be off by |c_j|·2^−53 relative (16 ULP at c = 37);
        # there s_j e^{c_j} = e^{(y_j − y_r) + Σ s_i δ_i}/Σ_i e^{x_i − x_r} exactly, the exponent a TwoSum pair
        # (and no weight in it: a class whose weight underflows counts as much as its e^{c_j} says)
        big = c >= 2.0
        terms = _wmul(w, n, _expm1mx(m.where(big, 0.0, c)))
        if bool(big.any()):
            y_r = m.where(at_r, y, 0.0).sum(0)
            grid = xp.zeros_like(y)
            terms = m.where(big, _on(big, _big_term, y, y_r + grid, dbar + grid, rest_x + grid, w, n, c), terms)
        near = m.log1p(_neumaier(list(terms)))
        ok = m.isfinite(near)
        if bool(ok.all()):
            return near
        # far (e^{c_j} overflowed, or δ did: KL is then not small), on those elements only
        if x.ndim == 1:  # one point (the math backend)
            return m.where(ok, near, _softmax_kl_far(x, y, w, n, mx, rest_x))
        bad = ~ok
        far = _softmax_kl_far(x[:, bad], y[:, bad], w[:, bad], n[:, bad], mx[bad], rest_x[bad])
        out = near * 1.0
        out[bad] = far
        return out

    def _big_term(y, y_r, dbar, rest_x, w, n, c):
        """s_j (e^{c_j} − 1 − c_j) for c_j ≥ 2, s_j e^{c_j} from the exact identity above."""
        yh, yl = _two_diff(y, y_r)
        th = yh + dbar
        bb = th - yh
        tl = m.where(m.isfinite(th), ((yh - (th - bb)) + (dbar - bb)) + yl, 0.0)
        e = m.exp(th)
        return (e + e * tl) / (1 + rest_x) - _wmul(w, n, 1 + c)

    def _softmax_kl_far(x, y, w, n, mx, rest_x):
        """Σ_i s_i (g(y)_i − g(x)_i) with the gaps g(v)_i = logsumexp(v) − v_i ≥ 0, all halved so logits of
        opposite signs near ±DBL_MAX do not overflow (the halving and doubling are exact)."""
        my, amy, idx = _max_arg(y)
        ey = _exp_shifted(y, my)
        hx = (mx * 0.5 - x * 0.5) + 0.5 * m.log1p(rest_x)
        hy = (my * 0.5 - y * 0.5) + 0.5 * m.log1p(m.where(idx == amy, 0.0, ey).sum(0))
        return _double(_neumaier(list(_wmul(w, n, hy - hx))))

    def log1p(x):
        return m.log1p(xp.asarray(x))

    def _wprod(w, v, lw):
        """w·v, and sign(v)·e^{log w + log|v|} where w (> 0 exactly) rounded below 2^−1022."""
        w, v = xp.asarray(w), xp.asarray(v)
        out = w * v
        bad = (w < _TINY) & (v != 0) & ~m.isnan(v)
        if not bool(bad.any()):
            return out
        with_log = m.sign(v) * m.exp(xp.asarray(lw()) + m.log(m.abs(v)))
        return m.where(bad, with_log, out)

    def wprod_sigmoid(w, v, a):
        return _wprod(w, v, lambda: log_sigmoid(a))

    def wprod_softmax(w, v, a, *zs):
        return _wprod(w, v, lambda: xp.asarray(a) - logsumexp(*zs))

    def rel_entr_sum_pos(*args):
        """rel_entr_sum whose first k arguments are softmax/σ weights (> 0 exactly, though they may round
        to 0): a zero q_i makes the KL +∞."""
        k = len(args) // 2
        out = rel_entr_sum(*args)
        zero_q = xp.stack([xp.asarray(q) == 0 for q in args[k:]]).any(0)
        return m.where(zero_q & ~m.isnan(out), float("inf"), out)

    def prob_logit_kl(one, *args):
        """Σ p_i log p_i + softmax_xent(p, z) with p_i = a_i + b_i: exact to the definition for p off the
        simplex, without cancellation where KL ≫ H(p) (the numpy version adds the near form)."""
        k = len(args) // 3
        p = [xp.asarray(a) + xp.asarray(b) for a, b in zip(args[:k], args[k:2 * k])]
        return _neumaier([*[xlogy(v, v) for v in p], softmax_xent(*p, *args[2 * k:])])

    def logit_prob_kl(one, *args):
        """rel_entr_sum of the softmax weights against q_i = a_i + b_i (+∞ where some q_i = 0)."""
        k = len(args) // 3
        zs = args[:k]
        q = [xp.asarray(a) + xp.asarray(b) for a, b in zip(args[k:2 * k], args[2 * k:])]
        return rel_entr_sum_pos(*[softmax(z, *zs) for z in zs], *q)

    out = {"sigmoid": sigmoid, "softplus": softplus, "log_sigmoid": log_sigmoid, "xlogy": xlogy,
           "xlog1py": xlog1py, "log1pmx": log1pmx, "_log1pmx_ratio": log1pmx_ratio, "_kl_div": kl_div,
           "diff_ratio": diff_ratio, "_log_offset": log_offset, "logsumexp": logsumexp, "fsum": fsum,
           "softmax_xent": softmax_xent, "logit_xent": logit_xent, "rel_entr_sum": rel_entr_sum, "softmax": softmax,
           "softmax_kl": softmax_kl, "log1p": log1p, "_wprod_sigmoid": wprod_sigmoid,
           "_wprod_softmax": wprod_softmax, "_rel_entr_sum_pos": rel_entr_sum_pos,
           "_prob_logit_kl": prob_logit_kl, "_logit_prob_kl": logit_prob_kl}
    # printed by a generic printer (math, torch): the argument of exact_rational arrives already evaluated,
    # logprod_offset's constant as one float; the numpy code generator binds the exact kernels instead
    out.update({"exact_rational": lambda x: x,
                "logprod_offset": _extended.logprod_offset_float if kind == "numpy"
                else lambda *a: sum(m.log(xp.asarray(x)) for x in a[:-1]) + a[-1]})
    out["rational_log_sum"] = _extended.rational_log_sum_float(xp, m.log)
    if kind == "numpy":
        out.update(fast_numpy(dict(out)))
    return out


