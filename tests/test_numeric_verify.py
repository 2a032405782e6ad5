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


# -- covariance matrices given by their entries: symmetric positive definite samples ---------------------------
def _leading_minors(m):
    """Sylvester's criterion, independently of the sampler's LDLᵀ: the leading principal minors of the
    exact rational values of the float entries, by cofactor expansion (d ≤ 3)."""
    from fractions import Fraction

    a = [[Fraction(float(v)) for v in row] for row in m]
    d = len(a)
    minors = [a[0][0]]
    if d >= 2:
        minors.append(a[0][0] * a[1][1] - a[0][1] * a[1][0])
    if d >= 3:
        minors.append(a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
                      - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
                      + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]))
    return minors


def _exactly_spd(m) -> bool:
    return all(m[i][j] == m[j][i] for i in range(len(m)) for j in range(i)) and all(x > 0 for x in _leading_minors(m))


@pytest.mark.parametrize("d", [2, 3])
def test_spd_sampler_gives_only_exactly_positive_definite_matrices(d):
    from symce.numeric.verify_inputs import _spd_points

    rng = np.random.default_rng(3)
    for adversarial in (False, True):
        mats = _spd_points(rng, d, 3000, adversarial)
        assert len(mats) > 100
        assert all(_exactly_spd(m) for m in mats)


def test_spd_sampler_spreads_over_the_float_exponents_and_reaches_near_singular():
    from fractions import Fraction

    from symce.numeric.verify_inputs import _spd_points

    mats = _spd_points(np.random.default_rng(0), 2, 5000, False)
    diag = np.log10(mats[:, [0, 1], [0, 1]].ravel())
    assert diag.min() < -250 and diag.max() > 250
    off = np.abs(mats[:, 0, 1])
    assert np.log10(off[off > 0]).min() < -250 and np.log10(off[off > 0]).max() > 250
    # det Σ / (Σ11 Σ22) = 1 − ρ²: from ~1 down to the float resolution (conditioning spread too)
    rel = [1 - Fraction(float(m[0, 1])) ** 2 / (Fraction(float(m[0, 0])) * Fraction(float(m[1, 1])))
           for m in mats[:2000] if m[0, 1] != 0]
    assert min(rel) < Fraction(1, 10**12) and max(rel) > Fraction(999, 1000)
    grid = _spd_points(np.random.default_rng(0), 2, 0, True)
    assert any(m[0, 1] == 0 for m in grid)  # diagonal
    assert any(0 < abs(m[0, 1]) <= 1e-300 for m in grid)  # ±tiny off the diagonal
    assert any(np.sign(m[0, 1]) < 0 for m in grid)
    assert any(_leading_minors(m)[1] < Fraction(1, 10**14) * _leading_minors(m)[0] * Fraction(float(m[1, 1]))
               for m in grid)  # nearly singular
    assert max(Fraction(float(m[0, 0])) / Fraction(float(m[1, 1])) for m in grid) > 10**300  # huge condition number


def test_full_covariance_domain_is_read_from_the_family_and_deterministic():
    from symce.numeric.verify import domain_of, make_inputs

    S1 = sc.MultivariateNormal.symbolic(2, "1", cholesky=False)
    S2 = sc.MultivariateNormal.symbolic(2, "2", cholesky=False)
    d = sc.kl(S1, S2)
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    dom = domain_of(d, args)
    assert len(dom.spd) == 2 and dom.spd_pairs == ((0, 1),)
    assert "symmetric positive definite" in str(dom)
    cols, is_grid = make_inputs(dom, 400, seed=5, grid_max=200)
    again, _ = make_inputs(dom, 400, seed=5, grid_max=200)
    np.testing.assert_array_equal(cols, again)
    assert not np.array_equal(make_inputs(dom, 400, seed=6, grid_max=200)[0][:, :400], cols[:, :400])
    for g in dom.spd:
        idx = [[g[i][j] for j in range(2)] for i in range(2)]
        for k in range(cols.shape[1]):
            m = [[cols[idx[i][j], k] for j in range(2)] for i in range(2)]
            assert _exactly_spd(m), m
    assert is_grid.sum() > 400  # every adversarial matrix at least once, plus near-equal pairs for KL
    # a Cholesky-parameterised MVN has no joint constraint: its entries stay independent intervals
    chol = sc.entropy(sc.MultivariateNormal.symbolic(2, "1"))
    assert domain_of(chol, sorted(chol.result.free_symbols, key=lambda s: s.name)).spd == ()


def test_spd_group_given_by_hand():
    from symce.errors import ArgumentTypeError
    from symce.numeric.verify import Domain, make_inputs

    a, b, c = sp.symbols("a b c", real=True)
    dom = Domain.of([a, b, c], spd=[sp.Matrix([[a, b], [b, c]])])
    cols, _ = make_inputs(dom, 200, seed=0, grid=False)
    assert all(_exactly_spd([[x, y], [y, z]]) for x, y, z in cols.T)
    with pytest.raises(ArgumentTypeError, match="symmetric"):
        Domain.of([a, b, c], spd=[[[a, b], [c, a]]])
    verify_rep = verify(lambda x, y, z: np.log(x * z - y * y), sp.log(a * c - b**2), [a, b, c], domain=dom, n=100)
    assert verify_rep.n > 100  # the truth is defined (finite log det) at every point
