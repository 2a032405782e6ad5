"""log_offset(x, c) = log x + c within 2^±10 of its root x0 = e^{−c} (symce/numeric/impl/fast.py): there the
numpy kernel takes log(x·e^c) with the product's rounding put back (TwoProd), ≤ 2 ULP. The points: log-uniform
over the window, the root's neighbours x0(1 + k·2⁻⁵²) (the value ~k·2⁻⁵², where every bit of the product
counts), and constants far from 1 (c = ±650: x and e^c scaled by a power of two first). Reference: the
defining log x + c in mpmath at 300 bits."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from symce.numeric import impl

CONSTANTS = [sp.log(2 * sp.pi * sp.E) / 2,   # the normal entropy (Cover & Thomas, eq. 8.9: ½ log 2πeσ²)
             sp.Integer(1), sp.Integer(2), sp.Integer(-3), sp.Rational(1, 3), sp.Integer(650), sp.Integer(-650)]


def _ulps(got, exact):
    return np.abs(np.asarray(got) - exact) / np.spacing(np.abs(exact))


def _exact(x, c):
    with mpmath.workprec(300):
        cm = mpmath.mpf(sp.N(c, 120))
        return np.array([float(mpmath.log(mpmath.mpf(v)) + cm) for v in x])


def _call(x, c):
    c_hi, c_lo = impl.split_constant(c)
    x0_hi, x0_lo = impl.split_constant(sp.exp(-c))
    return impl.impls("numpy")["_log_offset"](x, c_hi=c_hi, c_lo=c_lo, x0_hi=x0_hi, x0_lo=x0_lo), x0_hi


@pytest.mark.parametrize("c", CONSTANTS, ids=str)
def test_log_offset_near_its_root_within_2_ulp(c):
    _, x0 = _call(np.ones(1), c)
    rng = np.random.default_rng(7)
    x = np.concatenate([x0 * np.exp(rng.uniform(-10 * math.log(2), 10 * math.log(2), 1500)),
                        x0 * (1 + np.arange(-40, 41) * 2.0**-52),
                        x0 * (1 + rng.uniform(-1e-6, 1e-6, 200))])
    exact = _exact(x, c)
    for batch in (x, x[::-1][:100]):  # the whole window (product form everywhere) and a short block
        got, _ = _call(batch, c)
        want = exact if batch is x else exact[::-1][:100]
        u = _ulps(got, want)
        assert u.max() <= 2 and np.median(u) <= 0.5, (u.max(), batch[np.argmax(u)])
    # bit patterns around it: the log form everywhere, the window's elements by index, same bits
    mixed = np.concatenate([10.0 ** rng.uniform(-300, 300, 3000), x[:50]])
    got, _ = _call(mixed, c)
    assert np.array_equal(got[-50:], _call(x, c)[0][:50])


def test_log_offset_without_a_window():
    # c = 1000: e^{−c} underflows to 0, so there is no root in float64 and log x + c_hi is the value
    c = sp.Integer(1000)
    x = np.array([1e-300, 1.0, 1e300, 5e-324, 0.0, np.inf, np.nan])
    with np.errstate(divide="ignore", invalid="ignore"):
        got, x0 = _call(x, c)
    assert x0 == 0.0
    assert _ulps(got[:4], _exact(x[:4], c)).max() <= 2  # log x and c_hi each rounded; |log x| < 3|value|
    assert got[4] == -np.inf and got[5] == np.inf and np.isnan(got[6])
