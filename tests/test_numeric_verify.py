"""verify(): finds the known faults of naive implementations, passes symce's generated code, and is
deterministic. Sample counts are small here; benchmarks/numeric.py runs the full 10⁴ + grid."""

import math

import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric import lambdify, verify
from symce.numeric.verify import from_ordinal, ordinal, ulp_distance

p1, p2 = sp.symbols("p1 p2", positive=True)
z2 = sp.Symbol("z2", real=True)
m1, m2 = sp.symbols("mu1 mu2", real=True)
s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
GOAL = {"max_ulp": 3, "median_ulp": 0.5, "nonfinite": 0}


def naive_bce_logits(t, z):  # σ then log, as written in many code bases
    s = 1 / (1 + np.exp(-z))
    return -(t * np.log(s) + (1 - t) * np.log(1 - s))


def naive_entropy(p):
    return -p * np.log(p) - (1 - p) * np.log(1 - p)


def naive_normal_kl(mu1, mu2, sigma1, sigma2):
    return np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5


def test_ulp_distance_counts_floats_between():
    assert ulp_distance(1.0, np.nextafter(1.0, 2)) == 1
    assert ulp_distance(-0.0, 0.0) == 0
    assert ulp_distance(5e-324, -5e-324) == 2
    assert ulp_distance(np.nan, 1.0) == math.inf
    x = np.array([-3.5, -0.0, 1e-300, 7.0])
    np.testing.assert_array_equal(from_ordinal(ordinal(x)), np.where(x == 0, 0.0, x))


def test_finds_naive_bce_with_logits_fault():
    d = sc.cross_entropy(sc.Bernoulli(p1), sc.Bernoulli.from_logit(z2))
    rep = verify(naive_bce_logits, d, [p1, z2], n=200, grid_max=300, thresholds=GOAL)
    assert rep.nonfinite > 0 and not rep.passed
    bad = rep.inputs[:, np.isfinite(rep.truth) & ~np.isfinite(rep.computed)]
    assert any(t == 0 and z >= 37 for t, z in bad.T)  # e.g. t = 0, z = 40: log(1 − σ(40)) = log 0
    good = verify(lambdify(d), d, n=200, grid_max=300, thresholds=GOAL)
    assert good.passed, good.table()


def test_finds_naive_entropy_nan_at_zero():
    d = sc.entropy(sc.Bernoulli(p1))
    rep = verify(naive_entropy, d, [p1], n=100)
    i = np.where(rep.inputs[0] == 0.0)[0]
    assert i.size and np.isnan(rep.computed[i]).all() and rep.truth[i[0]] == 0.0
    good = verify(lambdify(d), d, n=300, thresholds=GOAL)
    assert good.passed, good.table()


def test_finds_normal_kl_cancellation_at_near_equal_scales():
    d = sc.kl(sc.Normal(m1, s1), sc.Normal(m2, s2))
    a = np.array([1.5, 0.3, 7.0])
    b = a * (1 + 1e-12)
    zero = np.zeros(3)
    args = [m1, m2, s1, s2]
    from symce.numeric.truth import TruthFunction

    tf = TruthFunction(d.result, args)
    exact = np.array([tf(0.0, 0.0, x, y).value for x, y in zip(a, b)])
    naive_err = ulp_distance(naive_normal_kl(zero, zero, a, b), exact)
    stable_err = ulp_distance(lambdify(d, args)(zero, zero, a, b), exact)
    assert naive_err.min() > 1e6  # every digit lost
    assert stable_err.max() <= 2
    good = verify(lambdify(d, args), d, args, n=300, grid_max=400, thresholds=GOAL)
    assert good.passed, good.table()


def test_deterministic_for_a_seed_and_reports():
    d = sc.entropy(sc.Bernoulli(p1))
    f = lambdify(d)
    r1, r2 = verify(f, d, n=100, seed=7), verify(f, d, n=100, seed=7)
    np.testing.assert_array_equal(r1.inputs, r2.inputs)
    assert r1.metrics() == r2.metrics()
    assert "max ULP" in r1.table() and "<table>" in r1._repr_html_()
    assert verify(f, d, n=100, seed=8).inputs[0, 0] != r1.inputs[0, 0]


def test_scalar_callables_are_called_point_by_point():
    d = sc.entropy(sc.Bernoulli(p1))

    def scalar_entropy(p):  # math.log raises at 0: counted as NaN, not a crash
        return -p * math.log(p) - (1 - p) * math.log1p(-p)

    rep = verify(scalar_entropy, d, [p1], n=50)
    assert rep.nonfinite >= 1  # p = 0 and p = 1
    assert rep.median_ulp <= 1


def test_plot_is_optional(tmp_path):
    pytest.importorskip("matplotlib")
    d = sc.entropy(sc.Bernoulli(p1))
    rep = verify(lambdify(d), d, n=50)
    rep.plot(tmp_path / "err.png")
    assert (tmp_path / "err.png").stat().st_size > 1000


def test_torch_tensors():
    torch = pytest.importorskip("torch")
    d = sc.cross_entropy(sc.Bernoulli(p1), sc.Bernoulli.from_logit(z2))

    def torch_bce(t, z):
        return torch.nn.functional.binary_cross_entropy_with_logits(z, t, reduction="none")

    rep = verify(torch_bce, d, [p1, z2], n=100, grid_max=200, mode="torch")
    assert rep.n > 100
    ft = lambdify(d, [p1, z2], backend="torch")
    assert verify(ft, d, [p1, z2], n=100, grid_max=200, mode="torch", thresholds=GOAL).passed
