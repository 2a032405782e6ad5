"""The torch kernels log_offset(x, c) = log x + c and log_ratio(a, 1, d) (symce/numeric/impl/torch_kernels.py):
log_offset on blocks that mix x below x0/8 (x0 = e^{−c}: probabilities near 0 against the Bernoulli entropy's c = 1) with x near the root,
where log1p((x − x0)/x0) carries the value — the arithmetic select of the two forms — and with 0 and ∞,
which take the general form. Reference: mpmath at 40 digits."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

torch = pytest.importorskip("torch")

from symce.numeric import impl  # noqa: E402
from symce.numeric.impl.torch_kernels import log_offset  # noqa: E402


@pytest.mark.parametrize("c", [sp.Integer(1), sp.Rational(1, 2) + sp.log(2 * sp.pi) / 2], ids=["1", "normal"])
def test_log_offset_mixed_block_within_2_ulp(c):
    c_hi, c_lo = impl.split_constant(c)
    x0_hi, x0_lo = impl.split_constant(sp.exp(-c))
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(0, 1, 200), np.exp(rng.uniform(-700, 700, 50)),
                        x0_hi * (1 + rng.choice([-1, 1], 50) * 10.0 ** rng.uniform(-16, -1, 50)),
                        [x0_hi, x0_hi / 8, 8 * x0_hi, 5e-324]])
    got = log_offset(torch.as_tensor(x), c_hi=c_hi, c_lo=c_lo, x0_hi=x0_hi, x0_lo=x0_lo).numpy()
    with mpmath.workdps(40):
        cm = mpmath.mpf(str(sp.N(c, 40)))
        want = [float(mpmath.log(mpmath.mpf(v)) + cm) for v in x]
    worst = max(abs(g - w) / math.ulp(w) for g, w in zip(got, want))
    assert worst <= 2, worst
    edge = log_offset(torch.tensor([0.3, 0.0, math.inf, 0.01], dtype=torch.float64), c_hi=c_hi, c_lo=c_lo,
                      x0_hi=x0_hi, x0_lo=x0_lo).tolist()
    assert edge[1] == -math.inf and edge[2] == math.inf
    with mpmath.workdps(40):
        for v, g in ((0.3, edge[0]), (0.01, edge[3])):
            w = float(mpmath.log(v) + cm)
            assert abs(g - w) <= 2 * math.ulp(w)


def test_log_ratio_against_one_with_the_exact_difference():
    # log((1 − p)/1) with d = −p exact and 1 − p rounded (the Bernoulli entropy's gradient); p over
    # (0, 1), tiny p (where 1 − p rounds to 1) and p one ulp below 1
    from symce.numeric.impl.torch_kernels import log_ratio

    rng = np.random.default_rng(4)
    p = np.concatenate([rng.uniform(0, 1, 200), np.exp(rng.uniform(-700, 0, 50)), [1e-300, 0.5, 1 - 2.0 ** -53]])
    got = log_ratio(torch.as_tensor(1 - p), 1.0, torch.as_tensor(-p)).tolist()
    with mpmath.workdps(400):
        want = [float(mpmath.log(1 - mpmath.mpf(v))) for v in p]
    assert max(abs(g - w) / math.ulp(w) for g, w in zip(got, want)) <= 1


def test_log_ratio_against_one_with_a_rounded_difference():
    # log σ as log(σ/1) with d = σ − 1 rounded (a rational_log_sum's log ratio): the exact a carries it,
    # log1p(d) would lose 1/(σ·|log σ|) ulps at small σ; a subnormal σ (|d|/σ overflows): log σ
    from symce.numeric.impl.torch_kernels import log_ratio

    s = np.array([1e-5, 3e-3, 0.25, 0.7, 1.3, 5e4, 1e-310])
    got = log_ratio(torch.as_tensor(s), 1.0, torch.as_tensor(s - 1.0)).tolist()
    with mpmath.workdps(60):
        want = [float(mpmath.log(mpmath.mpf(v))) for v in s]
    assert max(abs(g - w) / math.ulp(w) for g, w in zip(got, want)) <= 2
