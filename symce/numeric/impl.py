r"""Numeric implementations of the stable functions for each backend.

The array code is written once against a small array namespace (:class:`_Array`) so numpy and torch share
it. The "math" backend (Python floats) calls the numpy code on scalars; "mpmath" evaluates each function
at a working precision raised by the number of bits its cancellation costs, so it is right to the
current ``mpmath.mp.prec``.

Accuracy notes (float64; "ulp" of the result):

* ``softplus(x) = max(x, 0) + log1p(e^{−|x|})``: never overflows, ≤ ~1 ulp.
* ``log1pmx(u)``: for −0.8 ≤ u ≤ 4 the series log(1+u) − u = −u·s + 2s³ Σ s^{2n}/(2n+3), s = u/(2+u)
  (from log(1+u) = 2 atanh s); elsewhere log1p(u) − u, whose cancellation is mild there (≤ 3.4×).
* ``log1pmx_ratio(a, b, d)``/``kl_div(x, y, d)`` take the *difference* d = a − b evaluated from the
  original inputs (the lambdify lowering passes it), so near a = b nothing cancels; outside
  [0.2, 5]·b they use log(a/b) directly (log a − log b when a/b under/overflows).
* ``diff_ratio(a, b, s)``: (a − b)/s, halving a and b first when a − b could overflow.
* ``log_offset(x, c)``: log x + c, and near the root x₀ = e^{−c} it is log1p((x − x₀)/x₀) with x₀ carried
  as a double-double (x₀ = hi + lo), so x − x₀ is exact to float64.
"""

from __future__ import annotations

import functools
import math
from functools import lru_cache

import mpmath
import numpy as np

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
    if kind == "numpy":
        out.update(_fast_numpy(dict(out)))
    return out


def _fix(out, bad, careful, *args):
    """out[bad] = careful(args[bad]): the careful branch only where the cheap one is not good enough."""
    if out.ndim == 0:  # scalars (the math backend passes Python floats)
        return careful(*(np.asarray(a, np.float64) for a in args)) if bool(bad) else out
    args = np.broadcast_arrays(*args)
    out[bad] = careful(*(a[bad] for a in args))
    return out


def _fast_numpy(careful: dict) -> dict:
    """numpy versions that compute the cheap formula on the whole array and call the careful version only
    on the elements that need it (selected with a boolean mask): the careful branches (series, TwoSum,
    double-double roots) are several times the cost of the cheap one, and are needed on few inputs.
    Each cheap formula is used only where its error is provably within ~1 ULP; everything it cannot
    handle (non-finite intermediates) is routed to the careful version."""
    log, isfinite = np.log, np.isfinite
    LOG5 = 1.6094379124341003

    def _log_ratio(x, y):
        """log(x/y), and log x − log y (no cancellation there) only where x/y is subnormal, 0 or inf:
        evaluated on those elements alone with the ufuncs' ``where=``."""
        r = np.asarray(x / y)
        # |log r| ≥ 708 exactly where r is subnormal, 0 or inf: there log x − log y (no cancellation at that
        # size). Whole-array logs of x and y plus a masked copy cost less than masked ufunc calls, and r is
        # set to 1 there first because log of 0/inf/subnormals takes numpy's slow path.
        ext = r < 3.307553003638408e-308
        ext |= r > 3.0233831442760750e307
        ext |= r != r
        if ext.any():
            np.copyto(r, 1.0, where=ext)
            lr = log(r, out=r)
            np.copyto(lr, log(x) - log(y), where=ext)
        else:
            lr = log(r, out=r)
        return lr

    def _near(lr):
        near = lr <= LOG5
        near &= lr >= -LOG5
        return near

    def _series_tiered(u):
        """log1pmx(u) by the series, with as many terms as each element needs: most near-equal inputs
        (1 − p against 1 − q for small p, q) have |u| ≪ 1 and need 3 terms, not 48."""
        s_ = u / (2 + u)
        s2 = s_ * s_
        out = np.empty_like(u)
        lo = 0.0
        for q in (2.0 ** -26, 2.0 ** -8, 1.0):
            m = (s2 >= lo) & (s2 < q) if lo else (s2 < q)
            if m.any():
                n = len(_SERIES) if q == 1.0 else int(math.ceil(56.0 / -math.log2(q)))
                ss, s2m, um = s_[m], s2[m], u[m]
                acc = np.full_like(s2m, _SERIES[n - 1])
                for c in reversed(_SERIES[:n - 1]):
                    acc *= s2m
                    acc += c
                out[m] = -um * ss + 2 * ss * s2m * acc
            lo = q
        return out

    def _near_kl(x, y, d):
        return -x * _series_tiered(d / x)

    def _near_lr(a, b, d):
        return _series_tiered(d / b)

    def kl_div(x, y, d):
        x, y, d = np.asarray(x, np.float64), np.asarray(y, np.float64), np.asarray(d, np.float64)
        # x log(x/y) + (y − x): cancellation only for x/y in [1/5, 5] (|log r| ≤ log 5: the series branch);
        # outside, x(u − log1p u) loses at most a factor u/(u − log1p u) ≤ 1.7. x = 0 gives a NaN here
        # and goes to the careful version, as does any other non-finite value.
        out = _log_ratio(x, y)
        bad = _near(out)
        out *= x
        out += d
        if bad.any():
            out = _fix(out, bad, _near_kl, x, y, d)
        if not isfinite(np.add.reduce(out, axis=None)):
            bad = ~isfinite(out)
            out = _fix(out, bad, careful["_kl_div"], x, y, d)
        return out

    def log1pmx_ratio(a, b, d):
        a, b, d = np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(d, np.float64)
        # log(a/b) − (a − b)/b: cancels only for a/b in [1/5, 5]
        out = _log_ratio(a, b)
        bad = _near(out)
        out -= d / b
        if bad.any():
            out = _fix(out, bad, _near_lr, a, b, d)
        if not isfinite(np.add.reduce(out, axis=None)):
            bad = np.isnan(out)
            out = _fix(out, bad, careful["_log1pmx_ratio"], a, b, d)
        return out

    def diff_ratio(a, b, s):
        a, b, s = np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(s, np.float64)
        diff = a - b
        # a − b overflows only to ±inf: a finite sum of the differences means nothing to fix
        if isfinite(np.add.reduce(diff, axis=None)):
            return diff / s
        out = diff / s
        bad = ~isfinite(diff)
        return _fix(out, bad, careful["diff_ratio"], a, b, s)

    def log_offset(x, c_hi, c_lo, x0_hi, x0_lo):
        x = np.asarray(x, np.float64)
        # log x + c: cancellation only within a factor 8 of the root x0 (|log x + c| < log 8); elsewhere
        # |log x + c| ≥ 2.08 and c_lo (≤ ulp(c)/2) changes the result by < 0.3 ulp, so it is left out
        out = log(x)
        out += c_hi
        bad = out < 2.0794415416798357
        bad &= out > -2.0794415416798357
        if bad.any():
            return _fix(out, bad, functools.partial(careful["_log_offset"], c_hi=c_hi, c_lo=c_lo, x0_hi=x0_hi,
                                                    x0_lo=x0_lo), x)
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
        return (a - mx) - np.log(np.exp(z - mx).sum(0))

    def wprod_sigmoid(w, v, a):
        return _wprod(w, v, _log_sigmoid_ld, lambda w, v, a: careful["_wprod_sigmoid"](w, v, a), a)

    def wprod_softmax(w, v, a, *zs):
        return _wprod(w, v, _log_softmax_ld, lambda w, v, *lg: careful["_wprod_softmax"](w, v, *lg), a, *zs)

    def prob_logit_kl(one, *args):
        return _prob_logit_kl_numpy(careful, one, *args)

    def logit_prob_kl(one, *args):
        return _logit_prob_kl_numpy(careful, one, *args)

    return {"_kl_div": kl_div, "_log1pmx_ratio": log1pmx_ratio, "diff_ratio": diff_ratio,
            "_log_offset": log_offset, "_wprod_sigmoid": wprod_sigmoid, "_wprod_softmax": wprod_softmax,
            "_prob_logit_kl": prob_logit_kl, "_logit_prob_kl": logit_prob_kl}


# 1/n! for n = 2…31: (e^c − 1 − c)/c² = Σ c^{n−2}/n!, enough terms for |c| < 2 (2^30/32! < 2^−87)
_EXP_SERIES_2 = [1.0 / math.factorial(n) for n in range(2, 32)]
# the near form is used where every δ_j keeps ≥ 55 bits: the log ratio carries 64 (long double), so
# |δ_j| ≥ 2^−8·(|log(p_j/p_r)| + 1) (the + 1 for the rounding of p_j = a_j + b_j in long double)
_DELTA_GUARD = 2.0 ** -8


def _two_diff(a, b):
    """a − b as an unevaluated pair wh + wl (TwoSum: wh the rounded difference, wl its exact rounding
    error; 0 where wh overflowed)."""
    wh = a - b
    bb = wh - a
    return wh, np.where(np.isfinite(wh), (a - (wh - bb)) + (-b - bb), 0.0)


def _neumaier_rows(parts):
    """Σ over axis 0 of a 2-d array (Neumaier, column-wise)."""
    s = parts[0] * 1.0
    c = np.zeros_like(s)
    for x in parts[1:]:
        t = s + x
        c += np.where(np.abs(s) >= np.abs(x), (s - t) + x, (x - t) + s)
        s = t
    return np.where(np.isinf(s), s, s + c)


def _prob_logit_kl_numpy(careful, one, *args):
    """KL(p ‖ softmax z) with p_i = a_i + b_i (a constant part a_i and the rest b_i, e.g. 1 and −p for 1 − p).

    near form: S·log1p(ε + Σ_j p_j φ(c_j)), see :class:`~symce.numeric.functions.prob_logit_kl`;
    φ(c) by its Taylor series for |c| < 1, expm1(c) − c up to c = 30, and p_r e^{w_j + m} − p_j(1 + c_j)
    beyond (p_j e^{c_j} = p_r e^{w_j + m} exactly, without the large-argument exp of the rounded log ratio);
    classes with p_j = 0 contribute p_r e^{w_j + m}. Where that overflows, the far form
    Σ p log p + softmax_xent(p, z) (KL ≳ 700: nothing to cancel). Where some δ_j lost more than 8 bits to
    z_j − z_r ≈ log(p_j/p_r), the careful mpmath evaluation (rare: p within 2^−8 of softmax z)."""
    k = len(args) // 3
    shape = np.broadcast_shapes(*[np.shape(x) for x in args])
    A = np.stack([np.broadcast_to(np.asarray(x, np.float64), shape) for x in args[:k]]).reshape(k, -1)
    B = np.stack([np.broadcast_to(np.asarray(x, np.float64), shape) for x in args[k:2 * k]]).reshape(k, -1)
    Z = np.stack([np.broadcast_to(np.asarray(x, np.float64), shape) for x in args[2 * k:]]).reshape(k, -1)
    P = A + B
    n = P.shape[1]
    cols = np.arange(n)
    r = P.argmax(0)
    pr, zr = P[r, cols], Z[r, cols]
    # ℓ_j = log(p_j/p_r) in long double (p_j = a_j + b_j there too: 1 − p exact for p ≥ 2^−11)
    ld = np.longdouble
    Pl = A.astype(ld) + B.astype(ld)
    prl = Pl[r, cols]
    ratio = Pl / prl
    pos = P > 0
    with np.errstate(all="ignore"):
        ell = np.where(ratio >= 0.5, np.log1p((Pl - prl) / prl), np.log(np.where(pos, ratio, 1)))
        tiny = pos & (ratio < 1e-4900)  # long double underflow: log p_j − log p_r
        if tiny.any():
            ell = np.where(tiny, np.log(Pl) - np.log(prl), ell)
        # w_j = z_j − z_r double-length (TwoSum), δ_j = (ℓ_j − w_h) − w_l
        wh, wl = _two_diff(Z, zr)
        delta_ld = np.where(pos, (ell - wh) - wl, 0)
        delta = delta_ld.astype(np.float64)
        ellf = ell.astype(np.float64)
        lossy = pos & (np.abs(delta) < _DELTA_GUARD * (np.abs(ellf) + 1)) & (delta != 0)
        if one:
            eps = np.zeros(n)
            S = np.ones(n)
        else:
            eps = _neumaier_rows(np.concatenate([A, B, -np.ones((1, n))]))
            S = P.sum(0)
        m = _neumaier_rows(np.where(pos, P * delta, 0.0)) / S
        c = m - delta
        # φ(c) = e^c − 1 − c: Taylor series for |c| < 2 (expm1(c) − c cancels there), expm1(c) − c below −2
        small = np.abs(c) < 2
        terms = P * (np.expm1(c) - c)
        if small.any():
            cs = c[small]
            acc = np.full_like(cs, _EXP_SERIES_2[-1])
            for coef in _EXP_SERIES_2[-2::-1]:
                acc *= cs
                acc += coef
            terms[small] = P[small] * (cs * cs * acc)
        # above 2 (and for p_j = 0): p_j e^{c_j} − p_j(1 + c_j) in long double, c_j = m − δ_j from the
        # long-double δ_j (rounding δ_j to float64 first would cost |c_j|·2^−53 in e^{c_j}: 4 ULP at c = 9);
        # p_j = 0: p_r e^{w_j + m} (p_j e^{c_j} = p_r e^{w_j + m} for p_j > 0)
        big = (c >= 2) & pos
        if big.any():
            mb = np.broadcast_to(m, c.shape)[big]
            c_ld = mb - delta_ld[big]
            pb = Pl[big]
            terms[big] = (pb * np.exp(c_ld) - pb * (1 + c_ld)).astype(np.float64)
        zero = ~pos
        if zero.any():
            mb = np.broadcast_to(m, c.shape)[zero]
            w_ld = wh[zero].astype(ld) + wl[zero]
            terms[zero] = (np.broadcast_to(prl, c.shape)[zero] * np.exp(w_ld + mb)).astype(np.float64)
        Y = _neumaier_rows(np.concatenate([eps[None], terms]))
        near = S * np.log1p(Y)
        ok = np.isfinite(near) & np.isfinite(delta).all(0) & np.isfinite(m)
        # off the simplex a negative ε cancels against Σ p φ
        lossy_eps = (eps != 0) & (np.abs(Y) < 0.5 * np.abs(Y - eps))
    out = near
    if not ok.all():
        far = careful["_prob_logit_kl"](one, *[np.asarray(x) for x in (*A, *B, *Z)])
        out = np.where(ok, near, far)
    bad = (lossy.any(0) | lossy_eps) & ok
    if bad.any():
        idx = np.nonzero(bad)[0]
        out = np.array(out, dtype=np.float64)
        for j in idx:
            out[j] = float(_prob_logit_kl_exact(A[:, j], B[:, j], Z[:, j]))
    return out.reshape(shape) if shape else out[0]


def _prob_logit_kl_exact(a, b, z, bits: int = 53):
    """Σ p_i (log p_i − z_i) + (Σ p) logsumexp(z) at the exact inputs (p_i = a_i + b_i, every float exact).

    Each part is evaluated to relative precision (logsumexp as max + log1p of the rest, (Σ p)·lse as
    lse + (Σ p − 1)·lse), so their rounding errors are at most Σ|part|·2^−prec; the precision is doubled
    until the sum is larger than that bound by 2^(bits + 8). The sum is exactly 0 only for equal p_i
    (summing to 1) and equal z_i (e^{z_i − z_j} is irrational for z_i ≠ z_j, Lindemann)."""
    if all(x == a[0] and y == b[0] for x, y in zip(a, b)) and all(v == z[0] for v in z):
        with mpmath.workprec(2 * bits + 40):
            S = mpmath.fsum(mpmath.fadd(mpmath.mpf(x), mpmath.mpf(y), exact=True) for x, y in zip(a, b))
            if S == 1:
                return mpmath.mpf(0)
    prec = 2 * bits + 40
    while True:
        with mpmath.workprec(prec):
            p = [mpmath.fadd(mpmath.mpf(x), mpmath.mpf(y), exact=True) for x, y in zip(a, b)]
            zz = [mpmath.mpf(v) for v in z]
            r = max(range(len(zz)), key=lambda i: zz[i])
            lse = zz[r] + mpmath.log1p(mpmath.fsum(mpmath.exp(v - zz[r]) for i, v in enumerate(zz) if i != r))
            eps = mpmath.fsum([*p, -1])
            parts = [pi * (mpmath.log(pi) - zi) for pi, zi in zip(p, zz) if pi != 0] + [lse, eps * lse]
            val = mpmath.fsum(parts)
            bound = mpmath.fsum(abs(x) for x in parts) * mpmath.ldexp(1, 4 - prec)
        if abs(val) > bound * mpmath.ldexp(1, bits + 8) or prec >= 1 << 16:
            return val
        prec *= 2
        prev = val
        prec *= 2
    return val


def math_impls() -> dict:
    """Scalar (Python float) implementations: the numpy algorithms on 0-d arrays."""
    impls = array_impls("numpy")

    def scalar(f):
        def g(*args, **kw):  # keywords: log_offset's double-double root (functools.partial)
            with np.errstate(all="ignore"):
                return float(f(*args, **kw))

        g.__name__ = f.__name__
        return g

    out = {k: scalar(f) for k, f in impls.items()}
    # Python's math raises where IEEE arithmetic has a value: log(0) = −∞ (a weight times log 0 is +∞ in a
    # cross-entropy against p = 0), exp overflow = +∞. The printed code calls bare log/exp, so these win
    # over the math module in the lambdify namespace.
    out["log"] = _math_log
    out["exp"] = _math_exp
    return out


def _math_log(x):
    x = float(x)
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


def _math_exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def scipy_impls() -> dict:
    """Prefer scipy.special's compiled functions where scipy has the same function."""
    import scipy.special as sc

    out = dict(array_impls("numpy"))
    out.update({"sigmoid": sc.expit, "log_sigmoid": sc.log_expit, "xlogy": sc.xlogy, "xlog1py": sc.xlog1py})
    return out


def _log_ratio_ld(Pl, prl, pos):
    """log(p_j/p_r) in long double: log1p of the exact difference within a factor 2."""
    ratio = np.where(pos, Pl / prl, 1)
    ell = np.where((ratio >= 0.5) & (ratio <= 2), np.log1p((Pl - prl) / prl), np.log(ratio))
    tiny = pos & (ratio < 1e-4900)  # long double underflow: log p_j − log p_r
    if tiny.any():
        ell = np.where(tiny, np.log(np.where(pos, Pl, 1)) - np.log(prl), ell)
    return ell


def _logit_prob_kl_numpy(careful, one, *args):
    """KL(softmax z ‖ q) with q_i = a_i + b_i: :func:`_prob_logit_kl_numpy` with the roles swapped.

    δ_j = (z_j − z_r) − log(q_j/q_r) (r = argmax q; z_j − z_r double-length, the log ratio in long double),
    m = Σ s_i δ_i, c_j = m − δ_j, KL = log1p((Σ_j s_j φ(c_j) − ε)/Q); above c = 2 the term is
    e^{log(q_j/q_r) + m + log s_r} − s_j(1 + c_j) in long double (s_j e^{c_j} without z_j: it may round to 0)."""
    k = len(args) // 3
    shape = np.broadcast_shapes(*[np.shape(x) for x in args])

    def rows(xs):
        return np.stack([np.broadcast_to(np.asarray(x, np.float64), shape) for x in xs]).reshape(k, -1)

    Z, A, B = rows(args[:k]), rows(args[k:2 * k]), rows(args[2 * k:])
    Q = A + B
    n = Q.shape[1]
    cols = np.arange(n)
    # the reference class is the largest weight (max z): m = Σ s_i δ_i then has no large δ_i on a large
    # weight, and its rounding error enters KL to first order only through terms that are large already
    r = Z.argmax(0)
    ld = np.longdouble
    with np.errstate(all="ignore"):
        Ql = A.astype(ld) + B.astype(ld)
        qrl = Ql[r, cols]
        pos = Q > 0
        ell = _log_ratio_ld(Ql, qrl, pos & (qrl > 0))
        # softmax weights (max-shift with the shift's rounding error put back) and log s_r in long double
        mx = Z.max(0)
        am = Z.argmax(0)
        d = Z - mx
        bb = d - Z
        err = (Z - (d - bb)) + (-mx - bb)
        ex = np.exp(d)
        ex = ex + ex * np.where(np.isfinite(err), err, 0.0)
        sx = ex.sum(0)
        S_ = ex / sx
        zr = Z[r, cols]
        wh, wl = _two_diff(Z, zr)
        delta_ld = np.where(pos, (wh - ell) + wl, 0)
        delta = delta_ld.astype(np.float64)
        ellf = ell.astype(np.float64)
        lossy = pos & (np.abs(delta) < _DELTA_GUARD * (np.abs(ellf) + 1)) & (delta != 0)
        if one:
            eps = np.zeros(n)
            Qs = np.ones(n)
        else:
            eps = _neumaier_rows(np.concatenate([A, B, -np.ones((1, n))]))
            Qs = Q.sum(0)
        m = _neumaier_rows(np.where(S_ == 0, 0.0, S_ * delta))
        c = m - delta
        phi = np.expm1(c) - c
        small = np.abs(c) < 2
        if small.any():
            cs = c[small]
            acc = np.full_like(cs, _EXP_SERIES_2[-1])
            for coef in _EXP_SERIES_2[-2::-1]:
                acc *= cs
                acc += coef
            phi[small] = cs * cs * acc
        terms = S_ * phi
        big = ((c >= 2) | (S_ == 0)) & pos
        # weights below 2^−963 (subnormal or nearly, where s_j carries few digits): s_j in long double
        tw = pos & (S_ < 1e-290)
        if big.any() or tw.any():
            # log s_r = −log Σ e^{z − z_r} (r = argmax z), long double; log s_j = (z_j − z_r) + log s_r
            zl = Z.astype(ld)
            lsr = -np.log(np.exp(zl - zl[r, cols]).sum(0))
            lsr_b = np.broadcast_to(lsr, c.shape)
            s_ld = np.exp((wh.astype(ld) + wl) + lsr_b)
            if tw.any():
                terms[tw] = (s_ld[tw] * phi[tw]).astype(np.float64)
            if big.any():
                mb = np.broadcast_to(m, c.shape)[big]
                c_ld = mb - delta_ld[big]
                e_ld = np.exp(ell[big] + mb + lsr_b[big])
                sb = s_ld[big]
                terms[big] = (e_ld - np.where(sb == 0, 0, sb * (1 + c_ld))).astype(np.float64)
        terms = np.where(pos, terms, 0.0)
        Y = _neumaier_rows(np.concatenate([-eps[None], terms]))
        near = np.log1p(Y / Qs)
        # a large |m| loses its absolute accuracy (KL is then far from 0: the far form); a class of weight 0
        # (s_j underflowed) enters through e^{log(q_j/q_r) + m + log s_r} alone, whatever its δ_j
        ok = np.isfinite(near) & np.isfinite(np.where(pos & (S_ > 0), delta, 0)).all(0) & (np.abs(m) <= 700)
        # off the simplex ε cancels against Σ s φ (the value is then as small as the rounding of Q)
        lossy_eps = (eps != 0) & (np.abs(Y) < 0.5 * np.abs(Y + eps))  # Y includes −ε
    out = near
    if not ok.all():
        # far: Σ s_i (log s_i − log q_i) with log q_i = log a_i + log1p(b_i/a_i) (1 − q keeps its digits)
        with np.errstate(all="ignore"):
            ls = d - np.log1p(np.where(np.arange(k)[:, None] == am, 0.0, ex).sum(0))
            lq = np.where(A != 0, np.log(np.abs(A)) + np.log1p(B / np.where(A != 0, A, 1)), np.log(B))
            far = _neumaier_rows(np.where(S_ == 0, 0.0, S_ * (ls - lq)))
        out = np.where(ok, near, far)
    out = np.where((~pos).any(0), np.inf, out)  # s_j > 0 exactly: a zero q_j makes the KL +∞
    bad = (lossy.any(0) | lossy_eps) & ok & pos.all(0)
    if bad.any():
        out = np.array(out, dtype=np.float64)
        for j in np.nonzero(bad)[0]:
            out[j] = float(_logit_prob_kl_exact(Z[:, j], A[:, j], B[:, j]))
    return out.reshape(shape) if shape else out[0]


def _logit_prob_kl_exact(z, a, b, bits: int = 53):
    """Σ s_i (log s_i − log q_i), s = softmax z, at the exact inputs (q_i = a_i + b_i); precision doubled
    until the sum exceeds the rounding bound of its parts by 2^(bits + 8)."""
    prec = 2 * bits + 40
    while True:
        with mpmath.workprec(prec):
            q = [mpmath.fadd(mpmath.mpf(x), mpmath.mpf(y), exact=True) for x, y in zip(a, b)]
            if any(v == 0 for v in q):
                return mpmath.inf
            zz = [mpmath.mpf(v) for v in z]
            r = max(range(len(zz)), key=lambda i: zz[i])
            gaps = [mpmath.fsub(v, zz[r], exact=True) for v in zz]
            lse = mpmath.log1p(mpmath.fsum(mpmath.exp(g) for i, g in enumerate(gaps) if i != r))
            ls = [g - lse for g in gaps]
            lq = [mpmath.log(v) for v in q]
            parts = [mpmath.exp(x) * (x - y) for x, y in zip(ls, lq)]
            val = mpmath.fsum(parts)
            bound = mpmath.fsum(mpmath.exp(x) * (abs(x) + abs(y)) for x, y in zip(ls, lq)) * mpmath.ldexp(1, 4 - prec)
        if val == 0 and all(g == 0 for g in gaps) and all(v == q[0] for v in q) and mpmath.fsum(q) == 1:
            return val
        if abs(val) > bound * mpmath.ldexp(1, bits + 8) or prec >= 1 << 16:
            return val
        prec *= 2


# -- mpmath ---------------------------------------------------------------------------------------------
def _extra_bits(*vals) -> int:
    """Guard bits for a cancellation of size |vals[0]| against the others: −log2 of the ratio, ≥ 0."""
    try:
        mags = [mpmath.mag(v) for v in vals if v != 0]
    except (TypeError, ValueError):
        return 20
    if len(mags) < 2:
        return 20
    return max(0, max(mags[1:]) - mags[0]) * 2 + 20


def mpmath_impls() -> dict:
    mp = mpmath.mp

    def softplus(x):
        return mpmath.log1p(mpmath.exp(x))

    def log_sigmoid(x):
        return -mpmath.log1p(mpmath.exp(-x))

    def sigmoid(x):
        return 1 / (1 + mpmath.exp(-x))

    def xlogy(x, y):
        return mpmath.mpf(0) if x == 0 else x * mpmath.log(y)

    def xlog1py(x, y):
        return mpmath.mpf(0) if x == 0 else x * mpmath.log1p(y)

    def log1pmx(u):
        with mpmath.workprec(mp.prec + _extra_bits(u, 1)):
            return +(mpmath.log1p(u) - u)

    def log1pmx_ratio(a, b, d):
        with mpmath.workprec(mp.prec + _extra_bits(d, b)):
            return +(mpmath.log(a / b) - d / b)

    def kl_div(x, y, d):
        if x == 0:
            return +y
        if y == 0:
            return mpmath.inf
        with mpmath.workprec(mp.prec + _extra_bits(d, x)):
            return +(x * mpmath.log(x / y) + d)

    def diff_ratio(a, b, s):
        return (a - b) / s

    def log_offset(x, c_hi, c_lo, x0_hi, x0_lo):
        with mpmath.workprec(mp.prec + 60):
            return +(mpmath.log(x) + mpmath.mpf(c_hi) + mpmath.mpf(c_lo))

    def logsumexp(*xs):
        mx = max(xs)
        if mpmath.isinf(mx):
            return mx
        return mx + mpmath.log(mpmath.fsum(mpmath.exp(x - mx) for x in xs))

    def fsum(*xs):
        return mpmath.fsum(xs)

    def rel_entr_sum(*args):
        k = len(args) // 2
        with mpmath.workprec(mp.prec * 2 + 60):
            return +mpmath.fsum(0 if x == 0 else (mpmath.inf if y == 0 else x * (mpmath.log(x) - mpmath.log(y)))
                                for x, y in zip(args[:k], args[k:]))

    def softmax_xent(*args):
        k = len(args) // 2
        t, z = args[:k], args[k:]
        mx = max(z)
        with mpmath.workprec(mp.prec + 20):
            lse = mpmath.log(mpmath.fsum(mpmath.exp(v - mx) for v in z))
            return +mpmath.fsum(0 if ti == 0 else ti * ((mx - zi) + lse) for ti, zi in zip(t, z))

    def softmax(a, *zs):
        mx = max(zs)
        with mpmath.workprec(mp.prec + 20):
            return +(mpmath.exp(a - mx) / mpmath.fsum(mpmath.exp(z - mx) for z in zs))

    def softmax_kl(*args):
        k = len(args) // 2
        x, y = args[:k], args[k:]
        # the numpy algorithm with exact differences: δ_j = (x_j − y_j) − (x_r − y_r) (exact subtraction, so
        # a common shift gives exactly 0), KL = log1p(Σ s_j (e^{c_j} − 1 − c_j)), c = Σ s_i δ_i − δ
        r = max(range(k), key=lambda i: x[i])
        d_r = mpmath.fsub(x[r], y[r], exact=True)
        delta = [mpmath.fsub(mpmath.fsub(xi, yi, exact=True), d_r, exact=True) for xi, yi in zip(x, y)]
        if all(v == 0 for v in delta):
            return mpmath.mpf(0)
        with mpmath.workprec(2 * mp.prec + 60):
            ex = [mpmath.exp(v - x[r]) for v in x]
            sx = mpmath.fsum(ex)
            s = [e / sx for e in ex]
            dbar = mpmath.fsum(si * di for si, di in zip(s, delta))
            c = [dbar - di for di in delta]
            # e^c − 1 − c ≈ c²/2 loses 2·log2(1/|c|) bits to cancellation
            tiny = min((mpmath.mag(v) for v in c if v != 0), default=0)
            with mpmath.workprec(2 * mp.prec + 60 + 2 * max(0, -tiny)):
                return +mpmath.log1p(mpmath.fsum(si * (mpmath.expm1(ci) - ci) for si, ci in zip(s, c)))

    def rel_entr_sum_pos(*args):
        k = len(args) // 2
        return mpmath.inf if any(q == 0 for q in args[k:]) else rel_entr_sum(*args)

    def prob_logit_kl(one, *args):
        k = len(args) // 3
        return +_prob_logit_kl_exact(args[:k], args[k:2 * k], args[2 * k:], bits=mp.prec)

    def logit_prob_kl(one, *args):
        k = len(args) // 3
        return +_logit_prob_kl_exact(args[:k], args[k:2 * k], args[2 * k:], bits=mp.prec)

    return {"sigmoid": sigmoid, "softplus": softplus, "log_sigmoid": log_sigmoid, "xlogy": xlogy,
            "xlog1py": xlog1py, "log1pmx": log1pmx, "_log1pmx_ratio": log1pmx_ratio, "_kl_div": kl_div,
            "diff_ratio": diff_ratio, "_log_offset": log_offset, "logsumexp": logsumexp, "fsum": fsum,
            "softmax_xent": softmax_xent, "rel_entr_sum": rel_entr_sum, "softmax": softmax,
            "softmax_kl": softmax_kl, "log1p": mpmath.log1p, "_wprod_sigmoid": lambda w, v, *_: w * v,
            "_wprod_softmax": lambda w, v, *_: w * v, "_rel_entr_sum_pos": rel_entr_sum_pos,
            "_prob_logit_kl": prob_logit_kl, "_logit_prob_kl": logit_prob_kl}


def split_constant(c) -> tuple[float, float]:
    """A real constant as a double-double hi + lo (hi the nearest float, lo the nearest float to c − hi)."""
    with mpmath.workprec(200):
        v = mpmath.mpf(c) if not hasattr(c, "evalf") else mpmath.mpf(str(c.evalf(70)))
        hi = float(v)
        lo = float(v - mpmath.mpf(hi))
    return hi, lo


def impls(backend: str) -> dict:
    if backend == "numpy":
        return array_impls("numpy")
    if backend == "torch":
        return array_impls("torch")
    if backend == "scipy":
        return scipy_impls()
    if backend == "math":
        return math_impls()
    if backend == "mpmath":
        return mpmath_impls()
    raise ValueError(backend)


__all__ = ["array_impls", "math_impls", "scipy_impls", "mpmath_impls", "split_constant", "impls", "math"]
