"""log_offset(x, c) = log x + c between 2⁻¹⁰x0 and x0/2 (x0 = e^{−c}; symce/numeric/impl/fast.py): there the
log1p form's x − x0_hi is rounded and its condition number reaches 3 — the logistic entropy log s + 2
(Lazo & Rathie 1978, Table 1: H = log s + 2) lost 6 ULP at s = 0.0192 (seed 2 of the accuracy benchmark).
Reference: mpmath at 200 bits of the defining log x + c."""

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce import families
from symce.engine.information import entropy
from symce.numeric import impl


def _ulps(got, exact):
    return np.abs(np.asarray(got) - exact) / np.spacing(np.abs(exact))


@pytest.mark.parametrize("c", [sp.Integer(2), sp.Integer(1) + sp.log(2), sp.EulerGamma + 1, sp.Integer(10)])
def test_log_offset_below_the_root_within_2_ulp(c):
    c_hi, c_lo = impl.split_constant(c)
    x0_hi, x0_lo = impl.split_constant(sp.exp(-c))
    x = x0_hi * np.exp(np.random.default_rng(1).uniform(np.log(2.0**-10), np.log(0.5), 2000))
    with mpmath.workprec(200):
        cm = mpmath.mpf(sp.N(c, 70))
        exact = np.array([float(mpmath.log(mpmath.mpf(v)) + cm) for v in x])
    fn = impl.impls("numpy")["_log_offset"]
    assert _ulps(fn(x, c_hi=c_hi, c_lo=c_lo, x0_hi=x0_hi, x0_lo=x0_lo), exact).max() <= 2
    # one element alone (the scalar path) as in a batch
    assert fn(x[:1][0], c_hi=c_hi, c_lo=c_lo, x0_hi=x0_hi, x0_lo=x0_lo) == fn(x, c_hi=c_hi, c_lo=c_lo,
                                                                               x0_hi=x0_hi, x0_lo=x0_lo)[0]


def test_logistic_entropy_at_the_benchmark_point():
    logistic = {e.label: e for e in families.COMMON}["logistic"]
    d = entropy(logistic.build(1))
    f = sc.lambdify(d)  # (mu1, s1): the entropy does not depend on mu1
    for s in (0.019174601336748497, 0.026680332918885462):
        with mpmath.workprec(200):
            exact = float(mpmath.log(mpmath.mpf(s)) + 2)  # Lazo & Rathie 1978: H(logistic) = log s + 2
        assert _ulps(f(0.0, s), exact) <= 2, (s, f(0.0, s), exact)
