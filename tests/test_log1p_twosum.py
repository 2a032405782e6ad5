"""The numpy kernels' log1p(y) = log s + e/s with 1 + y = s + e exactly (symce/numeric/impl/fast.py, used by
xlog1py: BCE on probabilities, the Bernoulli entropy's (1 − p)·log1p(−p)). Reference: mpmath's log1p at 200
bits; the special values against np.log1p (IEEE: log1p(−1) = −∞, log1p(∞) = ∞, NaN below −1; a zero's sign is not kept)."""

import math

import mpmath
import numpy as np

from symce.numeric.impl.fast import _log1p


def test_log1p_within_1_ulp_over_its_domain():
    rng = np.random.default_rng(3)
    y = np.concatenate([rng.uniform(-1, 1, 4000), -rng.uniform(0, 1, 1000) ** 8,  # near −1: 1 + y exact
                        10.0 ** rng.uniform(-320, 300, 1500), -(10.0 ** rng.uniform(-320, -1e-9, 1500)),
                        [5e-324, -5e-324, 1e-300, 2.0**-53, -(2.0**-53), 2.0**-54, 1.0, -1 + 2.0**-53, 1e308]])
    with mpmath.workprec(200):
        want = np.array([float(mpmath.log1p(mpmath.mpf(v))) for v in y])
    got = _log1p(y)
    assert (np.abs(got - want) <= np.spacing(np.abs(want))).all()
    assert _log1p(np.float64(0.5)) == math.log1p(0.5)  # a 0-d input through the same code


def test_log1p_special_values_as_numpy():
    y = np.array([0.0, -0.0, -1.0, np.inf, np.nan, -2.0, -np.inf, 0.25])
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(_log1p(y), np.log1p(y))
    # np.log1p(−0) is −0, this form +0 (log 1 + 0/1); equal as values, and every caller multiplies it
