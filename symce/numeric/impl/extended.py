r"""Kernels for :class:`~symce.numeric.functions.exact_rational`,
:class:`~symce.numeric.functions.logprod_offset` and ``rational_log_sum``: arithmetic with more precision
*and* more range than float64, where the plain formula overflows or cancels. The code lives in
:mod:`.double_double` (the arithmetic), :mod:`.rational`, :mod:`.logprod` and :mod:`.logsum`; this module
names the public kernels in one place.

``exact_rational(R)`` — a rational function R of the inputs (the Mahalanobis and trace terms of a Gaussian
KL: sums of squares of triangular solves, whose residuals x − Σ lᵢⱼ yⱼ cancel and whose products overflow
where the value does not). Ziv's strategy: a fast path in **extended-range double-double** — every value is
(h + l)·2^e with h + l a double-double of magnitude in [½, 1) and e an int64 exponent, so no product or
quotient over- or underflows, and each node carries a bound on its relative error — then an **exact
rational** evaluation (``fractions.Fraction`` on the exact binary values of the inputs; int/int true
division rounds correctly) for the elements whose bound is too loose to round correctly (cancellation
of more than ~2⁴⁴ in some sum, a vanishing denominator). The result is the correctly rounded value except
in the subnormal range (one double rounding).

``logprod_offset(x₁…x_k, c)`` = Σ log xᵢ + c: the mantissas of the xᵢ are multiplied as a double-double
M ∈ [½, 1) and their exponents summed as integers E, so Π xᵢ never overflows; the value is
log M + E·log 2 + c with log 2 in Cody–Waite form (E·ln2_hi exact) and c a double-double; near its root
(Π xᵢ ≈ x₀ = e^{−c}) it is log1p((M·2^E − x₀)/x₀) with x₀ = m₀·2^{e₀} a double-double, the difference
exact (Sterbenz), so nothing cancels where the sum of logarithms is near 0.

``rational_log_sum(K, R₀, c₁, R₁, …)`` = K + R₀ + Σ cᵢ log Rᵢ (rational R₀, Rᵢ; dyadic cᵢ; a constant K):
a whole Gaussian entropy/CE/KL. Each Rᵢ = Mᵢ·2^{Eᵢ} in extended-range double-double, log Mᵢ in
double-double, Σ cᵢEᵢ·ln2_hi exact, everything summed with Sum2 and an absolute error bound carried along;
where the bound is loose (tr − d − log det near P = Q, a determinant cancelling beyond 2^−104) the element is
evaluated exactly: fractions, the logarithms merged into one log of an exact product, mpmath at a precision
raised until the bound pins the value. Products of floats and by ±2^k are exact in double-double, and sums use
AccurateDWPlusDW (error relative to the result), so Σ₁₁Σ₂₂ − Σ₁₂² keeps 104 bits however much it cancels.
"""

from __future__ import annotations

from symce.numeric.impl.logprod import logprod_offset, logprod_offset_float, logprod_offset_mp, offset_constants
from symce.numeric.impl.logsum import (log_mantissa, logsum_exact, logsum_kernel, rational_log_sum_float,
                                       rational_log_sum_mp)
from symce.numeric.impl.rational import NotRational, check_rational, exact_value, rational_kernel

__all__ = ["rational_kernel", "exact_value", "check_rational", "NotRational",
           "logprod_offset", "logprod_offset_mp", "logprod_offset_float", "offset_constants",
           "logsum_kernel", "logsum_exact", "log_mantissa", "rational_log_sum_mp", "rational_log_sum_float"]
