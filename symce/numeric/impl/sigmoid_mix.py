r"""Kernels of :class:`symce.numeric.functions.sigmoid_mix.sigmoid_var_mix`: σ(a)σ(−a)(σ(a)c₁ + σ(−a)c₂).

numpy: e = e^{−|a|}, D = 1 + e, σ(|a|) = 1/D, σ(−|a|) = e/D, σσ′ = e/D², all in long double (64-bit mantissa,
exponents to e^{−11355}), the bracket and the product too, then one rounding to float64: ≤ ½ ulp of the
result plus the inputs' own rounding (c₁, c₂ relative to the two terms). Beyond e^{−11355} the weight is 0,
where the exact value is below e^{−11355}·2·DBL_MAX, 0 in float64 too. Without an extended long double the
same in float64. mpmath: the definition.
"""

from __future__ import annotations

import numpy as np


def sigmoid_var_mix_numpy(a, c1, c2):
    ld = np.longdouble if np.finfo(np.longdouble).nmant > 52 else np.float64
    with np.errstate(all="ignore"):
        a, c1, c2 = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, c1, c2)))
        al, x, y = a.astype(ld), c1.astype(ld), c2.astype(ld)
        e = np.exp(-np.abs(al))
        d = 1 + e
        big, small = 1 / d, e / d
        var = e / (d * d)
        pos = al >= 0
        s, t = np.where(pos, big, small), np.where(pos, small, big)
        # below e^{−11355} the weight is 0 and so is the value in float64 (c₁, c₂ are finite sums of scaled logits)
        out = np.where(var == 0, 0.0, var * (s * x + t * y)).astype(np.float64)
    return out[()] if out.ndim == 0 else out


def mp_sigmoid_var_mix(a, c1, c2):
    import mpmath

    s, t = 1 / (1 + mpmath.exp(-a)), 1 / (1 + mpmath.exp(a))
    return s * t * (s * c1 + t * c2)


MPMATH = {"sigmoid_var_mix": mp_sigmoid_var_mix}

__all__ = ["sigmoid_var_mix_numpy", "mp_sigmoid_var_mix", "MPMATH"]
