"""The floating-point constants the kernels share (:mod:`.arrays`, the fast numpy versions in :mod:`.fast`,
and the ln 2 split in :mod:`.logprod` and :mod:`.logsum`): series coefficients, the split of ln 2, and the
float64 range edges. A module of its own so the kernel modules depend on it and not on each other.

* log1pmx's series: log(1+u) − u = −u·s + 2s³ Σ s^{2n}/(2n+3) with s = u/(2+u), used for −0.8 ≤ u ≤ 4
  (|s| ≤ 2/3 there).
* e^c − 1 − c = c² Σ c^{n−2}/n! for |c| < 1.
"""

from __future__ import annotations

import math

# coefficients of Σ s^{2n}/(2n+3), enough terms for |s| ≤ 2/3 (s² ≤ 4/9: (4/9)^48 < 2^−56)
_SERIES = [1.0 / (2 * n + 3) for n in range(48)]
_SERIES_LO, _SERIES_HI = -0.8, 4.0
# 1/n! for n = 2…21: (e^c − 1 − c)/c² = Σ c^{n−2}/n!, enough terms for |c| < 1 (1/22! < 2^−70)
_EXP_SERIES = [1.0 / math.factorial(n) for n in range(2, 22)]
_TINY = 2.2250738585072014e-308  # the smallest normal float64
# ln 2 split (fdlibm): LN2_HI has 21 trailing zero bits, so N·LN2_HI is exact for |N| < 2^21
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
# softmax weights e^{−a}/S below e^{−_SCALED} are carried as a mantissa m and a power 2^{−N} (no underflow);
# beyond e^{−_NEGLIGIBLE} a weight times any finite float is < 2^{−1075}·2^{−100} and counts as 0
_SCALED, _NEGLIGIBLE = 700.0, 1600.0
_HALF_EDGE = float.fromhex("0x1p1023")  # the float just above DBL_MAX/2
