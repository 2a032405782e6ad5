"""Sampling where losses live: the audit's mutants are caught at the default 10⁴ samples (every seed tried
here; benchmarks/verify_mutants.py runs 10 seeds), stratification covers every binade, two verdicts side by
side, domains narrow the family's constraints, arguments match by name, and a swapped order is pointed out."""

import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.errors import ArgumentTypeError
from symce.numeric.ulp import binades, ordinal, sample_binades, sample_linear
from symce.numeric.verify import domain_of, make_inputs, verify

t = sp.Symbol("t", positive=True)
z = sp.Symbol("z", real=True)
BCE = sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli.from_logit(z))


def stable(t, z):  # (1 − t)·softplus(z) + t·softplus(−z): within 2 ULP everywhere
    return (1 - t) * np.logaddexp(0, z) + t * np.logaddexp(0, -z)


def strip_1e6(t, z):  # the audit's mutant: 1e-6 relative error on 0.55 ≤ t ≤ 0.7, 2.5 ≤ |z| ≤ 8
    bad = (t >= 0.55) & (t <= 0.7) & (np.abs(z) >= 2.5) & (np.abs(z) <= 8)
    return stable(t, z) * np.where(bad, 1 + 1e-6, 1.0)


def nan_strip(t, z):  # NaN on z ∈ [3, 3.25)
    return np.where((z >= 3) & (z < 3.25), np.nan, stable(t, z))


def off_by_one_ulp(t, z):
    return np.nextafter(stable(t, z), np.inf)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_audit_mutants_are_caught_at_the_default_sample_count(seed):
    rep = verify(stable, BCE, seed=seed)  # defaults: n = 10⁴ + grid, default thresholds, typical verdict
    assert rep.passed, rep.table()
    for mutant in (strip_1e6, nan_strip, off_by_one_ulp):
        m = rep.against(mutant)  # the same inputs and truth
        assert not m.passed, (mutant.__name__, m.table())
        assert not m.verdicts["typical"]
    # where they are caught: the strip has ~20 samples, the NaN interval ≥ 6 (stratified slices)
    tt, zz = rep.inputs[:, :10_000]
    assert ((tt >= 0.55) & (tt <= 0.7) & (np.abs(zz) >= 2.5) & (np.abs(zz) <= 8)).sum() >= 8
    assert ((zz >= 3) & (zz < 3.25)).sum() >= 6


def test_every_binade_of_the_full_range_gets_samples():
    rng = np.random.default_rng(0)
    iv = (-1.7976931348623157e308, 1.7976931348623157e308, True, True)
    B = binades(iv)
    assert B == 2 * 2047  # 2046 normal exponents + the subnormals, each sign
    x = sample_binades(rng, iv, B)
    blocks = ordinal(x) // 2**52
    assert len(set(blocks.tolist())) == B  # one in each
    # with n < B the binades drawn are distinct
    y = sample_binades(rng, (0.0, 1.0, True, True), 500)
    assert len(set((ordinal(y) // 2**52).tolist())) == 500
    s = sample_linear(rng, (-50.0, 50.0, True, True), 1000)
    assert ((s >= 3) & (s < 3.25)).sum() >= 2  # a 0.25-wide slice: 2.5 draws by construction


def test_two_verdicts_typical_and_full_range():
    def log1p_exp(t, z):  # exact except that it overflows for z > 709: fine where losses live
        with np.errstate(over="ignore"):
            return (1 - t) * np.log1p(np.exp(z)) + t * np.log1p(np.exp(-z))

    rep = verify(log1p_exp, BCE, n=2000, grid_max=300)
    assert rep.verdicts == {"typical": True, "full": False}  # NaN = inf − inf at |z| > 709 only
    assert rep.passed and not verify(log1p_exp, BCE, n=2000, grid_max=300, region="both").passed
    typ = rep.part("typical")
    assert np.all(np.abs(typ.inputs[1]) <= 50) and np.all((typ.inputs[0] >= 0) & (typ.inputs[0] <= 1))
    assert rep.part("full").n > typ.n
    table = rep.table()
    assert "typical" in table and "full" in table and "z ∈ [-50, 50]" in table
    # near 0 and near 1 of a probability, in the typical region
    t_typ = typ.inputs[0]
    assert ((t_typ > 0.999) & (t_typ < 1)).sum() >= 20 and ((t_typ > 0) & (t_typ < 1e-3)).sum() >= 20


def test_passed_applies_default_thresholds():
    rep = verify(lambda t, z: stable(t, z) * 1.001, BCE, n=200, grid_max=50)
    assert rep.thresholds["max_ulp"] == 3 and not rep.passed
    assert verify(lambda t, z: stable(t, z) * 1.001, BCE, n=200, grid_max=50,
                  thresholds={"max_ulp": 1e16, "median_ulp": 1e16}).passed


def test_domain_narrows_and_keeps_the_family_constraints():
    rep = verify(stable, BCE, domain={"t": (-5, 5), "z": (-3, 3)}, n=400, grid_max=100)
    tt, zz = rep.inputs
    assert tt.min() >= 0 and tt.max() <= 1  # t stays a probability
    assert zz.min() >= -3 and zz.max() <= 3
    with pytest.raises(ArgumentTypeError, match="t"):
        verify(stable, BCE, domain={"t": (2, 3)}, n=10)
    with pytest.raises(ArgumentTypeError, match="not arguments"):
        verify(stable, BCE, domain={"w": (0, 1)}, n=10)


def test_categorical_probabilities_lie_exactly_on_the_simplex():
    from fractions import Fraction

    ts = sp.symbols("t1:4", positive=True)
    zs = sp.symbols("z1:4", real=True)
    d = sc.cross_entropy(sc.Categorical(list(ts)), sc.Categorical.from_logits(list(zs)))
    args = [*ts, *zs]
    cols, _ = make_inputs(domain_of(d, args), 2000, seed=3, grid_max=200)
    for p in cols[:3].T:
        assert sum(Fraction(float(v)) for v in p) == 1 and min(p) >= 0


def test_arguments_match_by_name_and_a_swap_is_pointed_out():
    def by_name(z, t):  # the names match the spec: called as by_name(z=…, t=…) in this order
        return stable(t, z)

    assert verify(by_name, BCE, n=300, grid_max=50).passed

    def torch_order(input, target):  # torch's (input, target): the logit first, other names
        return stable(target, input)

    rep = verify(torch_order, BCE, [t, z], n=300, grid_max=50)
    assert not rep.passed
    assert "f(z, t)" in rep.hint and "f(z, t)" in rep.table()
    assert verify(torch_order, BCE, [z, t], n=300, grid_max=50).passed


def test_declaration_order_is_the_default():
    m1, m2 = sp.symbols("mu1 mu2", real=True)
    s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
    d = sc.kl(sc.Normal(m1, s1), sc.Normal(m2, s2))

    def kl(a, b, c, e):  # (mu1, sigma1, mu2, sigma2), as the families declare them
        return np.log(e / b) + (b**2 + (a - c) ** 2) / (2 * e**2) - 0.5

    rep = verify(kl, d, n=50, grid_max=20)
    assert rep.args == (m1, s1, m2, s2)


def test_absolute_floor_is_stated_and_applied():
    x = sp.Symbol("x", real=True)
    rep = verify(lambda x: x * 0 + 5e-17, x - x, [x], n=20, grid=False)  # truth exactly 0
    assert rep.max_ulp > 1e18 and "no absolute floor" in rep.table()
    floored = verify(lambda x: x * 0 + 5e-17, x - x, [x], n=20, grid=False, abs_floor=1.0)
    assert floored.max_ulp < 1 and "ULPs of 1" in floored.table()


def test_a_narrowed_simplex_entry_keeps_the_points_on_the_simplex():
    from fractions import Fraction

    ts = list(sp.symbols("t1:4", positive=True))
    zs = list(sp.symbols("z1:4", real=True))
    d = sc.cross_entropy(sc.Categorical(ts), sc.Categorical.from_logits(zs))
    args = [*ts, *zs]
    dom = domain_of(d, args).narrow({"t1": (0.5, 1.0)})
    cols, _ = make_inputs(dom, 600, seed=0, grid_max=100)
    assert cols[0].min() >= 0.5
    for p in cols[:3].T:
        assert sum(Fraction(float(v)) for v in p) == 1
