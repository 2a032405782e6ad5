r"""Kernels of :class:`symce.numeric.functions.weight_quotient.wdiv`: w·v/xⁿ for a weight w = σ(a) or
softmax(a; z).

numpy: ((w·v)/x)/x… in float64 — ≤ n + 1 roundings beside the weight's own, where every step stays normal.
Where the weight is below 2⁻¹⁰²² (subnormal, or 0 for a weight below e^{−745}), the product w·v or the
quotient is not normal (a subnormal step rounds to a few bits), the whole quotient is taken again in long
double (64-bit mantissa, exponents to ±16382) from the logits: e^{log w}·v/xⁿ, the log-weight
log σ(a) = min(a, 0) − log1p(e^{−|a|}) or a − max z − log Σ e^{z − max z}; beyond long double's range (a weight
below e^{−11355}) as sign·e^{log w + log|v| − n log|x|}. Then one rounding to float64. Without an extended
long double the same in float64's log domain (error ≈ |log w|·2⁻⁵³ relative there).
wscale (c·w₁·(w₂·(…·v)), a chain of weighted products with its coefficient): e^{Σ log wᵢ}·v·c in long double
from the logits (c = num/den to 2⁻⁶⁴), sign·e^{Σ log wᵢ + log|v| + log|c|} beyond long double's range, one
rounding to float64: no subnormal partial product rounds before the outer weights and c scale it, and in the
normal range the four softmax weights of a Multinomial-logit gradient term (each rounded, ≈ 1 ULP) and their
four products no longer add up to 2–3 ULP per term, 5–6 units in the 9-term sum (H(multinomial-logits-n3-k3)
∂/∂z₁,₂ at z₁ = (−5.58, −5e-261, −15.3): 5.5 → 2.5). Where long double is no wider than float64, the products
and then c in float64 where every weight and partial product is normal, the log domain elsewhere.
mpmath: the definitions.
"""

from __future__ import annotations

import numpy as np

from symce.numeric.impl.class_sum import sum_classes

_TINY = 2.0 ** -1022
#: long double is wider than float64 (x87's 64-bit mantissa, or quad precision)
_WIDE = np.finfo(np.longdouble).nmant > 52


def _log_weight(kind, logits, dtype):
    """log w from the logits, in ``dtype``."""
    lg = [np.asarray(v, dtype=np.float64).astype(dtype) for v in logits]
    if kind == "sigmoid":
        a = lg[0]
        return np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))
    a, zs = lg[0], np.stack(np.broadcast_arrays(*lg[1:]))
    mx = zs.max(0)
    return (a - mx) - np.log(sum_classes(np.exp(zs - mx)))


def _extended(kind, v, x, n, logits):
    """w·v/xⁿ from the logits in long double (float64's log domain where long double is no wider)."""
    ld = np.longdouble if np.finfo(np.longdouble).nmant > 52 else np.float64
    lw = _log_weight(kind, logits, ld)
    vl, xl = v.astype(ld), x.astype(ld)
    with np.errstate(all="ignore"):
        out = np.exp(lw) * vl
        for _ in range(n):
            out = out / xl
        sign = np.sign(vl) * np.sign(xl) ** n
        logged = sign * np.exp(lw + np.log(np.abs(vl)) - n * np.log(np.abs(xl)))
        # a long-double step that under- or overflowed: the log domain (its error ≈ |log w|·2⁻⁶⁴, and a finite
        # nonzero float64 quotient there needs |log w| ≲ 745 + 709 + n·745)
        lossy = (np.abs(out) < np.finfo(ld).tiny) | ~np.isfinite(out)
        out = np.where(lossy, logged, out)
    return out.astype(np.float64)


def wdiv_numpy(w, v, x, *logits, kind, n):
    """w·v/xⁿ (numpy arrays or floats), the logits of w after x; kind "sigmoid", "softmax" or None."""
    with np.errstate(all="ignore"):
        w, v, x = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (w, v, x)))
        shape = w.shape
        w, v, x = w.reshape(-1), v.reshape(-1), x.reshape(-1)
        wv = w * v
        out = wv
        for _ in range(n):
            out = out / x
        if kind is not None:
            awv, aout = np.abs(wv), np.abs(out)
            # where a step left the normal range; v = 0, ±∞ or NaN and x = 0, ±∞ or NaN are exact (or NaN) as they are
            bad = (w < _TINY) | (awv < _TINY) | (aout < _TINY) | ~np.isfinite(wv)
            bad &= np.isfinite(v) & (v != 0) & np.isfinite(x) & (x != 0)
            idx = np.flatnonzero(bad)
            if idx.size:
                lg = [np.broadcast_to(np.asarray(a, dtype=np.float64), shape).reshape(-1)[idx] for a in logits]
                out = np.array(out, dtype=np.float64)
                out[idx] = _extended(kind, v[idx], x[idx], n, lg)
    out = out.reshape(shape)
    return out[()] if out.ndim == 0 else out


def wscale_numpy(v, *rest, kinds, sizes, num, den):
    """c·w₁·(w₂·(…·(w_n·v))) with c = num/den (numpy arrays or floats); ``rest`` holds w₁ … w_n and then the
    logits of each weight (``sizes`` of them; ``kinds`` "sigmoid" or "softmax")."""
    n = len(kinds)
    c = num / den
    with np.errstate(all="ignore"):
        cols = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (v, *rest[:n])))
        shape = cols[0].shape
        v, ws = cols[0].reshape(-1), [w.reshape(-1) for w in cols[1:]]
        out = v
        # off the normal range: a weight (rounded to a subnormal or 0) or a partial product (subnormal, or
        # overflowed where c < 1); v = 0 or NaN are exact (or NaN) as they are, v = ±∞ is ±∞ for weights > 0
        # (0·∞ = NaN where one rounded to 0: a target p = 0 against a weight e^{−10⁹¹})
        bad = np.zeros(v.shape, dtype=bool)
        for w in reversed(ws):
            out = w * out
            bad |= (w < _TINY) | (np.abs(out) < _TINY) | ~np.isfinite(out)
        out = out * c
        bad &= ~np.isnan(v) & (v != 0)
        if _WIDE:  # every finite v with finite logits from the logits in long double (see the module's doc)
            finite = np.isfinite(v) & (v != 0)
            for a in rest[n:]:
                finite &= np.isfinite(np.broadcast_to(np.asarray(a, dtype=np.float64), shape).reshape(-1))
            bad |= finite
        idx = np.flatnonzero(bad)
        if idx.size:
            # one array per distinct input, so that _scaled sees the chain's shared logit vector as one
            cut: dict = {}
            lg = [cut.setdefault(id(a), np.broadcast_to(np.asarray(a, dtype=np.float64), shape).reshape(-1)[idx])
                  for a in rest[n:]]
            groups, at = [], 0
            for size in sizes:
                groups.append(lg[at:at + size])
                at += size
            out = np.array(out, dtype=np.float64)
            out[idx] = _scaled(kinds, groups, v[idx], num, den)
    out = out.reshape(shape)
    return out[()] if out.ndim == 0 else out


def _scaled(kinds, groups, v, num, den):
    """c·Π wᵢ·v from the logits in long double, one rounding to float64 (float64's log domain where long
    double is no wider): Σ log wᵢ rounds to ≈ |Σ log wᵢ|·2⁻⁶⁴, below 2⁻⁵³ relative for a normal result."""
    ld = np.longdouble if np.finfo(np.longdouble).nmant > 52 else np.float64
    lw = 0
    norms: dict = {}  # max z and log Σ e^{z − max z} of each logit vector, once: a chain's softmax weights share one
    with np.errstate(all="ignore"):
        for k, g in zip(kinds, groups):
            if k != "softmax":
                lw = lw + _log_weight(k, g, ld)
                continue
            key = tuple(id(a) for a in g[1:])
            if key not in norms:
                zs = np.stack(np.broadcast_arrays(*(a.astype(ld) for a in g[1:])))
                mx = zs.max(0)
                norms[key] = (mx, np.log(sum_classes(np.exp(zs - mx))))
            mx, ls = norms[key]
            lw = lw + ((g[0].astype(ld) - mx) - ls)  # _log_weight's softmax, term for term
        vl = v.astype(ld)
        c = ld(num) / ld(den)
        out = np.exp(lw) * vl * c
        lossy = (np.abs(out) < np.finfo(ld).tiny) | ~np.isfinite(out)
        if lossy.any():
            lwl, vll = np.broadcast_arrays(lw, vl)
            lwl, vll = lwl[lossy], vll[lossy]
            out = np.array(out)
            out[lossy] = np.sign(vll) * np.sign(c) * np.exp(lwl + np.log(np.abs(vll)) + np.log(np.abs(c)))
    return out.astype(np.float64)


def mp_wscale(w, v, c):
    return c * w * v


def mp_wdiv(w, v, x, n):
    import mpmath

    num = w * v
    if x == 0:  # w > 0: ±∞ (NaN for v = 0), as float division gives it, where mpmath raises
        return mpmath.nan if num == 0 else mpmath.inf * mpmath.sign(num)
    return num / x ** int(n)


MPMATH = {"wdiv": mp_wdiv, "wscale": mp_wscale}

__all__ = ["wdiv_numpy", "wscale_numpy", "mp_wdiv", "mp_wscale", "MPMATH"]
