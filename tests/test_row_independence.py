"""A value of the generated numpy code must not depend on the other elements of its batch, nor on whether it
is computed as a scalar, a one-element array or inside a block of 2¹⁶: the kernels choose between a whole-block
form and a per-element fix-up for speed, and the per-element rule must be the same either way. Hostile inputs
alone and in shuffled batches dominated by each branch, bit-identical, and within the goal of the exact value
(mpmath at 50 digits). References: the definitions, H(N(μ, σ²)) = log σ + ½ log(2πe) (Cover & Thomas,
Elements of Information Theory, 2nd ed., eq. 8.9)."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.ulp import ulp_distance


def _same_bits(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return (got.view(np.int64) == want.view(np.int64)) | (np.isnan(got) & np.isnan(want))


@pytest.fixture(scope="module")
def normal_entropy():
    mu, s = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
    return sc.lambdify(sc.entropy(sc.Normal(mu, s)))


def test_normal_entropy_element_alone_equals_element_in_any_block(normal_entropy):
    """log σ + c (the fast kernel log_offset): log1p(((σ − x0) …)/x0) near the root x0 = e^{−c}, log σ + c
    elsewhere; its two block forms once differed above 8·x0, and a NaN in the block kept the log1p form for
    every σ below x0/8."""
    f = normal_entropy
    x0 = math.exp(-0.5 * math.log(2 * math.pi * math.e))
    edges = [x0 / 8, x0 * 8, x0 * 1024]
    sig = [e * (1 + d * 2.0 ** -52) for e in edges for d in (-1, 0, 1)]
    rng = np.random.default_rng(2)
    sig += list(x0 * np.exp(rng.uniform(-4, 9, 30))) + [1e-300, 5e-324, 1e300, 1.7976931348623157e308]
    sig = np.array(sig)
    want = []
    with mpmath.workdps(50):
        c = mpmath.log(2 * mpmath.pi * mpmath.e) / 2
        want = np.array([float(mpmath.log(mpmath.mpf(v)) + c) for v in sig])
    scalar = np.array([float(f(0.0, v)) for v in sig])
    assert ulp_distance(scalar, want).max() <= 1
    one = np.array([np.asarray(f(0.0, np.array([v])))[0] for v in sig])
    assert _same_bits(one, scalar).all()
    inside = x0 * np.exp(rng.uniform(-1, 2, 3000))  # blocks mostly near the root: the log1p form everywhere
    outside = 10.0 ** rng.uniform(-300, 300, 3000)  # bit patterns: the log form everywhere
    for filler in (inside, outside, np.concatenate([inside, [np.nan]])):
        batch = np.concatenate([sig, filler])
        perm = rng.permutation(batch.size)
        got = np.empty(batch.size)
        got[perm] = np.asarray(f(0.0, batch[perm]))
        assert _same_bits(got[: sig.size], scalar).all(), sig[~_same_bits(got[: sig.size], scalar)]
