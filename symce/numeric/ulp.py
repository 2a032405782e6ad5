r"""float64 bit patterns: the order-preserving map to integers (neighbouring floats differ by 1), the
ULP distance it gives (the number of float64s between two values), and uniform sampling over the bit
patterns of an interval (so 1e-300 is as likely as 0.3, as in Herbie)."""

from __future__ import annotations

import numpy as np

_MAXF = np.finfo(np.float64).max


def ordinal(x):
    """float64 → int64 preserving order; −0 and +0 both map to 0, neighbours differ by 1."""
    b = np.asarray(x, dtype=np.float64).view(np.int64)
    return np.where(b < 0, -(b & np.int64(0x7FFFFFFFFFFFFFFF)), b)


def from_ordinal(o):
    o = np.asarray(o, dtype=np.int64)
    b = np.where(o < 0, (-o) | np.int64(-0x8000000000000000), o)
    return b.view(np.float64)


def ulp_distance(a, b):
    """Number of float64s between a and b (inf where exactly one is NaN; 0 where both are NaN)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    oa, ob = ordinal(np.where(np.isnan(a), 0.0, a)), ordinal(np.where(np.isnan(b), 0.0, b))
    with np.errstate(over="ignore"):
        d = np.abs(oa.astype(np.float64) - ob.astype(np.float64))
        exact = np.abs(oa - ob).astype(np.float64)
    d = np.where(d < 2.0**52, exact, d)  # exact where small enough to matter
    d = np.where(np.isnan(a) != np.isnan(b), np.inf, d)
    return np.where(np.isnan(a) & np.isnan(b), 0.0, d)


def sample_interval(rng: np.random.Generator, iv, n):
    """n floats drawn uniformly over the bit patterns of the interval iv = (lo, hi, lo_closed, hi_closed)."""
    lo, hi, lc, hc = iv
    olo, ohi = int(ordinal(lo)) + (0 if lc else 1), int(ordinal(hi)) - (0 if hc else 1)
    return from_ordinal(rng.integers(olo, ohi, size=n, endpoint=True))


_BINADE = 1 << 52  # float64s per binade: ordinals k·2^52 … (k+1)·2^52 − 1 share one exponent (k = 0: subnormals)


def _ordinal_range(iv):
    lo, hi, lc, hc = iv
    return int(ordinal(lo)) + (0 if lc else 1), int(ordinal(hi)) - (0 if hc else 1)


def binades(iv) -> int:
    """How many binades (float64 exponents, each sign apart; the subnormals count as one) meet iv."""
    olo, ohi = _ordinal_range(iv)
    return 0 if ohi < olo else ohi // _BINADE - olo // _BINADE + 1


def sample_binades(rng: np.random.Generator, iv, n):
    """n floats of iv stratified by magnitude: each binade of the interval gets ⌊n/B⌋ samples (B binades;
    the remainder goes to distinct binades at random), uniform over the bit patterns inside it. Unlike
    plain bit-pattern draws, no binade is left out by chance once n ≥ B."""
    olo, ohi = _ordinal_range(iv)
    if n <= 0 or ohi < olo:
        return np.empty(0)
    b0 = olo // _BINADE
    B = ohi // _BINADE - b0 + 1
    q, r = divmod(n, B)
    blocks = np.concatenate([np.repeat(np.arange(B, dtype=np.int64), q), rng.choice(B, r, replace=False)])
    start = np.maximum(olo, (b0 + blocks) * _BINADE)
    end = np.minimum(ohi, (b0 + blocks + 1) * _BINADE - 1)
    out = from_ordinal(rng.integers(start, end, endpoint=True))
    rng.shuffle(out)
    return out


def sample_linear(rng: np.random.Generator, iv, n):
    """n floats of a finite interval, stratified on the real line: one draw in each of n equal slices of
    [lo, hi] (so a slice of width w holds ⌊w·n/(hi − lo)⌋ samples or more, whatever the seed), shuffled."""
    lo, hi, lc, hc = iv
    if n <= 0:
        return np.empty(0)
    u = (rng.permutation(n) + rng.random(n)) / n
    x = lo + (hi - lo) * u
    x = np.clip(x, lo, hi)
    if not lc:
        x = np.where(x == lo, np.nextafter(lo, hi), x)
    if not hc:
        x = np.where(x == hi, np.nextafter(hi, lo), x)
    return x
