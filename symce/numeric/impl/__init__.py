r"""Numeric implementations of the stable functions for each backend: ``impls(backend)`` is the
dictionary name -> implementation that the generated code calls.

The array code (:mod:`.arrays`) is written once against a small array namespace so numpy and torch share
it; for numpy, :mod:`.fast` runs the cheap formula on the whole array and the careful one only where it is
needed (:mod:`.mixed_kl` for the KL between probabilities and logits). The "math" and "scipy" backends
(:mod:`.scalar`) call the numpy code; "mpmath" (:mod:`.mp`) evaluates each function at a working precision
raised by the number of bits its cancellation costs, so it is right to the current ``mpmath.mp.prec``.
The exact kernels of the Gaussian terms (more range and precision than float64) are in :mod:`.extended`.

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

import mpmath

from symce.numeric.impl.arrays import array_impls
from symce.numeric.impl.mp import mpmath_impls
from symce.numeric.impl.scalar import math_impls, scipy_impls

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


__all__ = ["array_impls", "math_impls", "scipy_impls", "mpmath_impls", "split_constant", "impls"]

