r"""softmax_rest(a; z) = 1 − softmax(a; z) = Σ_{j≠i} e^{z_j}/Σ_j e^{z_j} (a = z_i), for numpy or torch (the array
namespace ``xp`` first): the probability of the classes other than i.

1 − s_i rounds to 0 once class i dominates, and the sum of the other k − 1 softmax kernels adds k − 1
roundings and k − 1 independent exponential errors (5–7 ULP in the softmax cross-entropy gradient at k = 10).
Here every e^{z_j − m} is taken once (m = max z, the shift's rounding error put back), the others' sum R is
compensated (Neumaier: positive terms, so its error is that of the exponentials, ≤ ~1 ULP), and the result is
R/(e^{a − m} + R): the denominator lies in [1, k], nothing over- or underflows but R itself where the other
classes are below e^{−708} (R is then the correctly scaled subnormal or 0 the value rounds to).
"""

from __future__ import annotations

from symce.numeric.impl.arrays.elementwise import _neumaier
from symce.numeric.impl.arrays.softmax import _exp_shifted


def softmax_rest(xp, a, *zs):
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
    rest = []
    for j in range(len(zs)):
        is_i = (z[j] == a) & ~taken
        taken = taken | is_i
        own = m.where(is_i, e[j], own)
        rest.append(m.where(is_i, 0.0, e[j]))
    r = _neumaier(xp, rest)
    return r / (own + r)


__all__ = ["softmax_rest"]
