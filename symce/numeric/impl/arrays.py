"""The array implementations of the stable functions, written once against a small array namespace
(:class:`_Array`) so numpy and torch share them. For numpy, :mod:`.fast` replaces some of them by versions
that run the cheap formula on the whole array and the careful one (these) only where it is needed."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from . import extended as _extended

# coefficients of Σ s^{2n}/(2n+3), enough terms for |s| ≤ 2/3 (s² ≤ 4/9: (4/9)^48 < 2^−56)
_SERIES = [1.0 / (2 * n + 3) for n in range(48)]
_SERIES_LO, _SERIES_HI = -0.8, 4.0
# 1/n! for n = 2…21: (e^c − 1 − c)/c² = Σ c^{n−2}/n!, enough terms for |c| < 1 (1/22! < 2^−70)
_EXP_SERIES = [1.0 / math.factorial(n) for n in range(2, 22)]
_TINY = 2.2250738585072014e-308  # the smallest normal float64


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
        xs = [xp.asarray(x) for x in xs]
        s = xs[0] * 1.0
        c = xp.zeros_like(s)
        for x in xs[1:]:
            t = s + x
            c = c + m.where(m.abs(s) >= m.abs(x), (s - t) + x, (x - t) + s)
            s = t
        return s + c

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

    def softmax_xent(*args):
        k = len(args) // 2
        t, z = xp.stack(args[:k]), xp.stack(args[k:])
        mx = z.max(0) if kind == "numpy" else z.max(0).values
        am = z.argmax(0)
        e = _exp_shifted(z, mx)
        idx = m.arange(k).reshape((-1,) + (1,) * (z.ndim - 1))
        e = m.where(idx == am, 0.0, e)
        lse_gap = m.log1p(e.sum(0))  # log Σ e^{z − max}, from the sum without the max's own 1
        gap = (mx - z) + lse_gap
        # m − z overflows only for logits of opposite signs beyond ±9e307: halve, then double t (exact)
        gap_half = (mx * 0.5 - z * 0.5) + lse_gap * 0.5
        # compensated sums over the classes: results near DBL_MAX (logits ±1e308) come out within ~1 ULP
        full = _neumaier(list(m.where(t == 0, 0.0, t * gap)))
        half = _neumaier(list(m.where(t == 0, 0.0, t * gap_half)))  # the whole row halved: no overflow
        return m.where(m.isinf(gap).any(0) & m.isfinite(half), half * 2, full)

    def _max_arg(z):
        mx = z.max(0) if kind == "numpy" else z.max(0).values
        return mx, z.argmax(0), m.arange(z.shape[0]).reshape((-1,) + (1,) * (z.ndim - 1))

    def softmax(a, *zs):
        z = xp.stack(zs)
        mx, _, _ = _max_arg(z)
        shift = m.where(m.isfinite(mx), mx, 0.0)
        # the max's own term is exactly e^0 = 1, so the denominator is in [1, k]: no overflow, no 0/0
        return _exp_shifted(xp.asarray(a), shift) / _exp_shifted(z, shift).sum(0)

    def _expm1mx(c):
        """e^c − 1 − c (≥ 0): Taylor series Σ_{n≥2} c^n/n! for |c| < 1 (expm1(c) − c cancels there)."""
        acc = xp.full_like(c, _EXP_SERIES[-1])
        for coef in reversed(_EXP_SERIES[:-1]):
            acc = acc * c + coef
        return m.where(m.abs(c) < 1, c * c * acc, m.expm1(c) - c)

    def softmax_kl(*args):
        k = len(args) // 2
        x, y = xp.stack(args[:k]), xp.stack(args[k:])
        mx, am, idx = _max_arg(x)
        my, amy, _ = _max_arg(y)
        ex = _exp_shifted(x, mx)
        sx = ex.sum(0)
        s = ex / sx
        # d = x − y as a double-length hi + lo (TwoSum), then δ = d − d_r for the reference r = argmax x:
        # a common shift of the logits cancels exactly and the near-equal differences keep every bit
        dh = x - y
        bb = dh - x
        dl = m.where(m.isfinite(dh), (x - (dh - bb)) + (-y - bb), 0.0)
        at_r = idx == am
        dh_r = m.where(at_r, dh, 0.0).sum(0)
        dl_r = m.where(at_r, dl, 0.0).sum(0)
        delta = (dh - dh_r) + (dl - dl_r)
        dbar = _neumaier(list(m.where(s == 0, 0.0, s * delta)))
        c = dbar - delta
        # near: log Σ_j s_j e^{c_j} = log1p(Σ_j s_j (e^{c_j} − 1 − c_j)) (Σ s_j c_j = 0 used exactly)
        # a class with s_j = 0 (underflow) still counts where s_j e^{c_j} does: log(s_j e^{c_j}) =
        # y_j − y_r + Σ s_i δ_i − log Σ e^{x − max x} exactly (halved: no overflow); negligible below −800
        y_r = m.where(at_r, y, 0.0).sum(0)
        tail = (y * 0.5 - y_r * 0.5) + 0.5 * dbar < -400.0
        ok = ((s == 0) & tail) | (c <= 700.0)
        ok = ok.all(0)
        cc = m.where(c <= 700.0, c, 0.0)
        near = m.log1p(_neumaier(list(m.where(s == 0, 0.0, s * _expm1mx(cc)))))
        ok &= m.isfinite(near)
        # far (some c_j > 700, or δ overflowed: KL is then not small): Σ_i s_i (g(y)_i − g(x)_i) with the
        # gaps g(v)_i = logsumexp(v) − v_i ≥ 0, all halved so logits of opposite signs near ±DBL_MAX do not
        # overflow (the halving and doubling are exact)
        ey = _exp_shifted(y, my)
        hx = (mx * 0.5 - x * 0.5) + 0.5 * m.log1p(m.where(at_r, 0.0, ex).sum(0))
        hy = (my * 0.5 - y * 0.5) + 0.5 * m.log1p(m.where(idx == amy, 0.0, ey).sum(0))
        far = 2 * _neumaier(list(m.where(s == 0, 0.0, s * (hy - hx))))
        return m.where(ok, near, far)

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
           "softmax_xent": softmax_xent, "rel_entr_sum": rel_entr_sum, "softmax": softmax,
           "softmax_kl": softmax_kl, "log1p": log1p, "_wprod_sigmoid": wprod_sigmoid,
           "_wprod_softmax": wprod_softmax, "_rel_entr_sum_pos": rel_entr_sum_pos,
           "_prob_logit_kl": prob_logit_kl, "_logit_prob_kl": logit_prob_kl}
    # printed by a generic printer (math, torch): the argument of exact_rational arrives already evaluated,
    # logprod_offset's constant as one float; the numpy code generator binds the exact kernels instead
    out.update({"exact_rational": lambda x: x,
                "logprod_offset": _extended.logprod_offset_float if kind == "numpy"
                else lambda *a: sum(m.log(xp.asarray(x)) for x in a[:-1]) + a[-1]})
    if kind == "numpy":
        from .fast import fast_numpy

        out.update(fast_numpy(dict(out)))
    return out


