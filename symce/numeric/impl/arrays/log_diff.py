r"""Array kernel of :mod:`symce.numeric.functions.log_diff` (numpy and torch): log(b − a) with b − a = s + e
exactly (Knuth's TwoSum), as log s + log1p(e/s); where |a| or |b| ≥ 2¹⁰²² the inputs are halved first
(exactly) and log 2 added, so s does not overflow.
"""

from __future__ import annotations

import math

_BIG = 2.0**1022


def log_diff(xp, b, a):
    m = xp.m
    b, a = xp.asarray(b), xp.asarray(a)
    big = (m.abs(a) >= _BIG) | (m.abs(b) >= _BIG)
    half = m.where(big, xp.full_like(b * 1.0, 0.5), xp.full_like(b * 1.0, 1.0))
    bs, na = b * half, -(a * half)
    s = bs + na
    bv = s - bs
    av = s - bv
    err = (bs - av) + (na - bv)
    safe = m.where(s != 0, s, xp.full_like(s, 1.0))
    out = m.log(s) + m.log1p(m.where(s != 0, err / safe, xp.full_like(s, 0.0)))
    return m.where(big, out + math.log(2.0), out)


def _two_diff(xp, b, a):
    """(s, e) with s + e = b − a exactly (TwoSum), for |a|, |b| < 2¹⁰²²."""
    na = -a
    s = b + na
    bv = s - b
    av = s - bv
    return s, (b - av) + (na - bv)


def log_diff_ratio(xp, b, a, d, c):
    """log((b − a)/(d − c)): within a factor 2 of each other, log1p of the exact relative difference
    ((s₁ − s₂) + (e₁ − e₂))/(d − c) (s₁ − s₂ exact by Sterbenz); elsewhere log of the quotient, corrected by
    the TwoSum errors, or the difference of log_diff where the quotient over- or underflows. Where an input
    reaches 2¹⁰²² all four are halved first (the quotient is the same): a difference beyond DBL_MAX
    (b₂ − a₂ = 1.5e300 + 1.8e308, a₁ = 33, b₁ = 1e300) otherwise took the difference of log_diff, ≈ 710 − 691,
    5 ULP of 19.0. Halving is exact but for inputs below 2⁻¹⁰²¹, whose lost 2⁻¹⁰⁷⁵ is negligible beside a
    difference whose quotient with one ≥ 2¹⁰²² is finite."""
    m = xp.m
    b, a, d, c = (xp.asarray(v) for v in (b, a, d, c))
    big = (m.abs(a) >= _BIG) | (m.abs(b) >= _BIG) | (m.abs(c) >= _BIG) | (m.abs(d) >= _BIG)
    half = m.where(big, xp.full_like(b * 1.0, 0.5), xp.full_like(b * 1.0, 1.0))
    b0, a0, d0, c0 = b, a, d, c
    b, a, d, c = b * half, a * half, d * half, c * half
    s1, e1 = _two_diff(xp, b, a)
    s2, e2 = _two_diff(xp, d, c)
    one = xp.full_like(s1 * 1.0, 1.0)
    q = s1 / m.where(s2 != 0, s2, one)
    near = (q >= 0.5) & (q <= 2.0)
    rel = ((s1 - s2) + (e1 - e2)) / m.where(s2 != 0, s2, one)
    far = m.log(q) + m.log1p(e1 / m.where(s1 != 0, s1, one)) - m.log1p(e2 / m.where(s2 != 0, s2, one))
    out = m.where(near, m.log1p(rel), far)
    # a subnormal quotient has lost bits (5e-324/0.75 rounds to 5e-324 or 1e-323): the difference of logs
    extreme = ~m.isfinite(s1) | ~m.isfinite(s2) | ~m.isfinite(q) | (m.abs(q) < 2.2250738585072014e-308) | (s1 == 0) | (s2 == 0)
    return m.where(extreme, log_diff(xp, b0, a0) - log_diff(xp, d0, c0), out)


def _mp_log_diff_ratio(b, a, d, c):
    import mpmath

    num = mpmath.fsub(mpmath.mpf(b), mpmath.mpf(a), exact=True)
    den = mpmath.fsub(mpmath.mpf(d), mpmath.mpf(c), exact=True)
    if num < 0 or den <= 0:
        return mpmath.mpf("nan")
    return mpmath.log(num / den) if num > 0 else mpmath.mpf("-inf")


def _mp_log_diff(b, a):
    import mpmath

    d = mpmath.fsub(mpmath.mpf(b), mpmath.mpf(a), exact=True)
    if d < 0 or mpmath.isnan(d):
        return mpmath.mpf("nan")  # log of a negative number is not real
    return mpmath.log(d) if d > 0 else mpmath.mpf("-inf")


MPMATH = {"log_diff": _mp_log_diff, "log_diff_ratio": _mp_log_diff_ratio}

__all__ = ["log_diff", "log_diff_ratio", "MPMATH"]
