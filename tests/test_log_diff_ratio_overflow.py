"""log_diff_ratio(b, a, d, c) = log((b − a)/(d − c)) where b − a passes DBL_MAX (symce/numeric/impl/arrays/log_diff.py):
the Uniform KL log((b₂ − a₂)/(b₁ − a₁)) (supp P ⊆ supp Q) at bounds ±1e300 … ±1.8e308 (seed 1 of the accuracy
benchmark: 5 ULP, from the difference of two logarithms ≈ 710 − 691). Reference: the quotient of the exact
differences in mpmath at 200 bits."""

import mpmath
import numpy as np
import pytest

import symce as sc
from symce import families
from symce.engine.information import kl
from symce.numeric import impl


def _exact(b, a, d, c):
    with mpmath.workprec(200):
        num = mpmath.fsub(mpmath.mpf(b), mpmath.mpf(a), exact=True)
        den = mpmath.fsub(mpmath.mpf(d), mpmath.mpf(c), exact=True)
        return float(mpmath.log(num / den))


POINTS = [  # (b, a, d, c): b − a beyond DBL_MAX, d − c finite; both beyond; one just below 2¹⁰²²
    (1.5e300, -1.7976931348623155e308, 1e300, 33.0),
    (1.7976931348623157e308, -1.7e308, 1.7976931348623157e308, -1.6e308),
    (1.7976931348623157e308, -1e-310, 1.0, 0.0),
    (9e307, -9e307, 1e307, -5e-324),
]


@pytest.mark.parametrize("b, a, d, c", POINTS)
def test_log_diff_ratio_beyond_dbl_max_within_1_ulp(b, a, d, c):
    got = impl.impls("numpy")["log_diff_ratio"](np.float64(b), np.float64(a), np.float64(d), np.float64(c))
    want = _exact(b, a, d, c)
    assert abs(got - want) <= np.spacing(abs(want)), (got, want)


def test_uniform_kl_at_the_benchmark_point():
    u = {e.label: e for e in families.COMMON}["uniform"]
    d = kl(u.build(1), u.build(2))
    f = sc.lambdify(d, ["a1", "a2", "b1", "b2"])
    a1, a2, b1, b2 = 33.0, -1.7976931348623155e308, 1e300, 1.5e300
    want = _exact(b2, a2, b1, a1)  # KL(U(a₁, b₁) ‖ U(a₂, b₂)) = log((b₂ − a₂)/(b₁ − a₁)) for [a₁, b₁] ⊆ [a₂, b₂]
    assert abs(f(a1, a2, b1, b2) - want) <= np.spacing(abs(want))
