r"""The array kernels of the scalar stable functions, for numpy or torch (each takes the array namespace
``xp`` of :class:`~symce.numeric.impl.arrays._Array` first): σ, softplus, log σ, x log y, x log1p y,
log1pmx and the KL terms built on it, the overflow-free difference ratio, log x + c near its root, and
Neumaier-compensated sums (fsum, Σ x log(x/y)).

log1pmx(u) = log(1+u) − u is taken, for −0.8 ≤ u ≤ 4, from log(1+u) = 2 atanh s with s = u/(2+u):
log(1+u) − u = −u·s + 2s³ Σ s^{2n}/(2n+3), which has no cancellation near u = 0; elsewhere log1p(u) − u
cancels by at most 3.4×.
"""

from __future__ import annotations

import math

from symce.numeric.impl.constants import _SERIES, _SERIES_HI, _SERIES_LO


def _poly(xp, s2):
    """Σ s^{2n}/(2n+3) at s² = s2 (Horner)."""
    # terms needed for this batch: s^{2n} < 2^−56 at the largest s² (few terms near s = 0, where the
    # Bernoulli KL's 1 − p terms spend most of their time)
    size = s2.numel() if xp.kind == "torch" else s2.size
    top = float(s2.max()) if size else 0.0
    n = len(_SERIES) if not (0.0 < top < 1.0) else min(len(_SERIES), int(-39.0 / math.log(top)) + 2)
    coeffs = _SERIES[:max(n, 1)]
    acc = xp.full_like(s2, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        acc = acc * s2 + c
    return acc


def _on(xp, mask, f, *args):
    """f(xp, *args) on the masked elements only (the series is too costly to run everywhere); 0 elsewhere."""
    out = xp.zeros_like(args[0])
    if bool(mask.any()):
        out[mask] = f(xp, *(a[mask] for a in args))
    return out


def _series(xp, u):
    """log1pmx(u) = −u·s + 2s³ Σ s^{2n}/(2n+3), s = u/(2+u)."""
    s = u / (2 + u)
    return -u * s + 2 * s * s * s * _poly(xp, s * s)


def sigmoid(xp, x):
    m = xp.m
    x = xp.asarray(x)
    e = m.exp(-m.abs(x))
    return m.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softplus(xp, x):
    m = xp.m
    x = xp.asarray(x)
    t = m.log1p(m.exp(-m.abs(x)))
    return m.where(x > 0, x + t, t)


def log_sigmoid(xp, x):
    return -softplus(xp, -xp.asarray(x))


def xlogy(xp, x, y):
    m = xp.m
    x, y = xp.asarray(x), xp.asarray(y)
    return m.where((x == 0) & ~m.isnan(y), 0.0, x * m.log(y))


def xlog1py(xp, x, y):
    m = xp.m
    x, y = xp.asarray(x), xp.asarray(y)
    return m.where((x == 0) & ~m.isnan(y), 0.0, x * m.log1p(y))


def log1p(xp, x):
    return xp.m.log1p(xp.asarray(x))


def log1pmx(xp, u):
    m = xp.m
    u = xp.asarray(u)
    near = (u >= _SERIES_LO) & (u <= _SERIES_HI)
    direct = m.log1p(u) - u
    return m.where(near, _on(xp, near, _series, u), m.where(m.isinf(u) & (u > 0), -u, direct))


def log1pmx_ratio(xp, a, b, d):
    """log(a/b) − a/b + 1 with d = a − b from the original inputs (a, b > 0)."""
    m = xp.m
    a, b, d = xp.asarray(a), xp.asarray(b), xp.asarray(d)
    u = d / b
    near = (u >= _SERIES_LO) & (u <= _SERIES_HI)
    r = a / b
    lr = m.where(r >= 2.2250738585072014e-308, m.log(r), m.log(a) - m.log(b))
    lr = m.where(m.isinf(r), m.log(a) - m.log(b), lr)
    # u > 4: log r − u (u − log r is big and positive; u = inf gives −inf, the correctly rounded value)
    far = m.where(u > _SERIES_HI, lr - u, lr - r + 1)
    return m.where(near, _on(xp, near, _series, u), far)


def kl_div(xp, x, y, d):
    """x log(x/y) − x + y with d = y − x from the original inputs (x, y ≥ 0)."""
    m = xp.m
    x, y, d = xp.asarray(x), xp.asarray(y), xp.asarray(d)
    # x = +∞ from a sum that overflowed on the way (the Weibull KL's z = (k₁ + k₂)/k₁ at k₁ = k₂ = 1.8e308, z = 2)
    # where d = y − x from the inputs is finite: x = y − d (the +∞ below stays for an x that is really huge)
    x = m.where((x == float("inf")) & (m.abs(y) < float("inf")) & (m.abs(d) < float("inf")), y - d, x)
    u = d / x
    near = (u >= _SERIES_LO) & (u <= _SERIES_HI)
    r = x / y
    lr = m.where(m.isinf(r) | (r < 2.2250738585072014e-308), m.log(x) - m.log(y), m.log(r))
    # far, y ≫ x: x(u − log1p u) = d − x log1p(u) has no overflow even where u = d/x does
    # (u = inf: x·log1p(u) is x·(log y − log x), tiny, not inf·x)
    big = d - x * m.where(m.isinf(u), m.log(y) - m.log(x), m.log1p(u))
    # far, y ≪ x: x(log(x/y) − 1) + y
    small = x * (lr - 1) + y
    out = m.where(near, -x * _on(xp, near, _series, u), m.where(u > _SERIES_HI, big, small))
    out = m.where(x == 0, y, out)
    # y = +∞ (a scale ratio that overflows, α₁β₂/β₁ of the Gamma KL): +∞, not ∞ − ∞
    out = m.where((y == float("inf")) & (x < float("inf")), float("inf"), out)
    # x = +∞ against a finite y (the Gumbel/Weibull KLs' z = (β₁ + β₂)/β₂ where β₁ + β₂ overflows): +∞, not NaN
    out = m.where((x == float("inf")) & (y < float("inf")), float("inf"), out)
    return m.where((y == 0) & (x > 0), float("inf"), out)


def diff_ratio(xp, a, b, s):
    m = xp.m
    a, b, s = xp.asarray(a), xp.asarray(b), xp.asarray(s)
    safe = (m.abs(a) < 8.98846567431158e307) & (m.abs(b) < 8.98846567431158e307)
    plain = (a - b) / s
    halved = (a * 0.5 - b * 0.5) / s  # exact halving (|a|, |b| ≥ 2^1023 are far from subnormal)
    return m.where(safe, plain, halved * 2)


def log_offset(xp, x, c_hi, c_lo, x0_hi, x0_lo):
    """log x + c; near x0 = e^{−c}: log1p(((x − x0_hi) − x0_lo)/x0_hi) (x0 = x0_hi + x0_lo) from x0/2, and
    log(x/x0_hi) − x0_lo/x0_hi from 2⁻¹⁰x0 to x0/2 (impl/fast.py's _log_offset_block: below x0/2 x − x0_hi
    is rounded and log1p's condition number reaches 3, 6 ULP at x ≈ 0.14x0)."""
    m = xp.m
    x = xp.asarray(x)
    near = (x >= x0_hi * 0.5) & (x < x0_hi * 8)
    below = (x >= x0_hi * 2.0**-10) & (x < x0_hi * 0.5)
    t = ((x - x0_hi) - x0_lo) / x0_hi
    # t = (x − x0)/x0 to within |x0_lo/x0_hi| ≈ 2^−53 relative: x − x0_hi is exact (Sterbenz), and the
    # low part makes the difference right even where x is the float nearest x0
    quotient = m.log(x / x0_hi) - x0_lo / x0_hi
    return m.where(near, m.log1p(t), m.where(below, quotient, m.log(x) + c_hi + c_lo))


def fsum(xp, *xs):
    # Neumaier's compensated summation, elementwise over the arguments
    return _neumaier(xp, [xp.asarray(x) for x in xs])


def _neumaier(xp, parts):
    m = xp.m
    s = parts[0] * 1.0
    c = xp.zeros_like(s)
    for x in parts[1:]:
        t = s + x
        c = c + m.where(m.abs(s) >= m.abs(x), (s - t) + x, (x - t) + s)
        s = t
    # an infinite part makes the compensation ∞ − ∞ = NaN: the sum is then the plain (infinite) one
    return m.where(m.isinf(s), s, s + c)


def rel_entr_sum(xp, *args):
    m = xp.m
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
        parts.append(m.where(near, -x * _on(xp, near, _series, u), far))
        parts.append(m.where(near, -d, 0.0))
    return _neumaier(xp, parts)


def rel_entr_sum_pos(xp, *args):
    """rel_entr_sum whose first k arguments are softmax/σ weights (> 0 exactly, though they may round
    to 0): a zero q_i makes the KL +∞."""
    m = xp.m
    k = len(args) // 2
    out = rel_entr_sum(xp, *args)
    zero_q = xp.stack([xp.asarray(q) == 0 for q in args[k:]]).any(0)
    return m.where(zero_q & ~m.isnan(out), float("inf"), out)
