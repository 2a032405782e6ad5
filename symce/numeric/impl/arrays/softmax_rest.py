r"""The other classes' share r = 1 − s and the indicator variance s(1 − s) of a softmax probability
s = softmax(a; z) (a = z_i), for numpy or torch (the array namespace ``xp`` first).

1 − s_i rounds to 0 once class i dominates, and the sum of the other k − 1 softmax kernels adds k − 1
roundings and k − 1 independent exponential errors (5–7 ULP in the softmax cross-entropy gradient at k = 10;
the Hessian's s_i·Σ_{j≠i} s_j 9–11). Here every e^{z_j − m} is taken once (m = max z, the shift's rounding
error put back), the others' sum R is compensated (Neumaier: positive terms, so its error is that of the
exponentials) and kept as R_hi + R_lo, and D = e^{a − m} + R as D_hi + D_lo (TwoSum): the quotients R/D and
E·R/D² are then rounded a few times only. D lies in [1, k]: nothing over- or underflows but R itself where
the other classes are below e^{−708} (R is then the subnormal or 0 the value rounds to).
"""

from __future__ import annotations

from symce.numeric.impl.arrays.softmax import _exp_shifted


def _parts(xp, a, zs):
    """(E, R_hi, R_lo, D_hi, D_lo): E = e^{a − m}, R = Σ_{j≠i} e^{z_j − m}, D = E + R, the sums double-length."""
    m = xp.m
    z = xp.stack(zs)
    a = xp.asarray(a) * 1.0
    mx = z.max(0) if xp.kind == "numpy" else z.max(0).values
    shift = m.where(m.isfinite(mx), mx, 0.0)
    e = _exp_shifted(xp, z, shift)
    # class i is the first logit equal to a (a is one of the z_j; equal logits have equal terms, so which of
    # them is left out does not change the value)
    taken = xp.zeros_like(shift * a) != 0
    own = xp.zeros_like(shift * a)
    hi = xp.zeros_like(shift * a)
    lo = xp.zeros_like(shift * a)
    for j in range(len(zs)):
        is_i = (z[j] == a) & ~taken
        taken = taken | is_i
        own = m.where(is_i, e[j], own)
        x = m.where(is_i, 0.0, e[j])
        t = hi + x  # Neumaier: both terms ≥ 0
        lo = lo + m.where(hi >= x, (hi - t) + x, (x - t) + hi)
        hi = t
    r_hi = hi + lo
    r_lo = lo - (r_hi - hi)
    d_hi = own + r_hi
    bb = d_hi - own
    d_lo = ((own - (d_hi - bb)) + (r_hi - bb)) + r_lo
    return own, r_hi, r_lo, d_hi, d_lo


def _ratio(xp, n_hi, n_lo, d_hi, d_lo):
    """(n_hi + n_lo)/(d_hi + d_lo) to first order in the low parts (relative size ≤ 2^−52)."""
    m = xp.m
    q = n_hi / d_hi
    safe = m.where(n_hi != 0, n_hi, 1.0)
    return q + q * m.where(n_hi != 0, n_lo / safe, 0.0) - q * (d_lo / d_hi)


def softmax_rest(xp, a, *zs):
    m = xp.m
    own, r_hi, r_lo, d_hi, d_lo = _parts(xp, a, zs)
    r = _ratio(xp, r_hi, r_lo, d_hi, d_lo)
    return m.where(m.isfinite(r), r, r_hi / d_hi)


def softmax_var(xp, a, *zs):
    m = xp.m
    own, r_hi, r_lo, d_hi, d_lo = _parts(xp, a, zs)
    s = _ratio(xp, own, xp.zeros_like(own), d_hi, d_lo)
    r = _ratio(xp, r_hi, r_lo, d_hi, d_lo)
    v = s * r
    return m.where(m.isfinite(v), v, (own / d_hi) * (r_hi / d_hi))


__all__ = ["softmax_rest", "softmax_var"]
