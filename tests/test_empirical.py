"""Empirical distributions: H(p̂_n, Q) is the average negative log-likelihood.

Oracles: the average of log-densities written here from the textbook formulas and evaluated by mpmath at
40 digits (never through symce's engine), and the KL of an empirical distribution summed by hand.
"""

import mpmath
import pytest
import sympy as sp

import symce as sc
from symce.learning.empirical import S, Empirical, empirical_identity, nll
from symce.errors import ArgumentTypeError, DimensionMismatchError, InvalidParameterError
from symce.families.categorical import Categorical

MP_DPS = 40  # set around each test of this module by conftest.py
n = sp.Symbol("n", integer=True, positive=True)
p = sp.Symbol("p", positive=True)
z = sp.Symbol("z", real=True)
mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
k = sp.Symbol("k", integer=True, positive=True)

FAMILIES = {
    "bernoulli": sc.Bernoulli(p),
    "bernoulli-logit": sc.Bernoulli.from_logit(z),
    "normal": sc.Normal(mu, sigma),
    "categorical-k3": Categorical([sp.Symbol(f"p{m}", positive=True) for m in (1, 2, 3)]),
    "categorical-logits-k3": Categorical.from_logits(k=3),
    "categorical-symbolic-k": Categorical(sp.IndexedBase("q", positive=True), k=k),
    "categorical-logits-symbolic-k": Categorical.from_logits(k=k),
}


@pytest.mark.parametrize("label", FAMILIES)
def test_cross_entropy_of_empirical_is_average_nll_proved(label):
    proof = empirical_identity(FAMILIES[label], n)
    assert proof.status == "proved", str(proof)


# -- explicit data against an independent mpmath average of log-densities ----------------------------
def _mp_log_bernoulli(x, pv):
    return x * mpmath.log(pv) + (1 - x) * mpmath.log(1 - pv)


def _mp_log_normal(x, m, s):
    # textbook density N(x; m, s²)
    return -mpmath.log(s) - mpmath.log(2 * mpmath.pi) / 2 - (x - m) ** 2 / (2 * s**2)


def _val(e, subs):
    return mpmath.mpf(str(sp.N(e.xreplace(subs), 45)))


def test_bernoulli_explicit_data():
    data = [1, 0, 1, 1, 0, 1, 1]
    J = nll(sc.Bernoulli(p), data=data).result
    pv = mpmath.mpf(3) / 10
    oracle = -mpmath.fsum(_mp_log_bernoulli(x, pv) for x in data) / len(data)
    assert mpmath.almosteq(_val(J, {p: sp.Rational(3, 10)}), oracle, 1e-35)


def test_normal_explicit_and_symbolic_agree_with_oracle():
    data = [sp.Rational(1, 2), sp.Integer(2), sp.Rational(-3, 4), sp.Rational(5, 3)]
    at = {mu: sp.Rational(1, 3), sigma: sp.Rational(7, 5)}
    oracle = -mpmath.fsum(_mp_log_normal(mpmath.mpf(x.p) / x.q, mpmath.mpf(1) / 3, mpmath.mpf(7) / 5)
                          for x in data) / len(data)
    J = nll(sc.Normal(mu, sigma), data=data).result
    assert mpmath.almosteq(_val(J, at), oracle, 1e-35)
    # the symbolic-n form, evaluated at the same samples
    Js = nll(sc.Normal(mu, sigma), n).result
    y = sp.IndexedBase("y", real=True)
    v = Js.xreplace({n: len(data)}).doit().xreplace({y[s + 1]: x for s, x in enumerate(data)})
    assert mpmath.almosteq(_val(v, at), oracle, 1e-35)


def test_normal_nll_reads_like_the_textbook():
    # J = log σ + ½ log 2π + (1/(2nσ²)) Σ (y_s − μ)²  (Bishop 2006, eq. 1.54 divided by n)
    J = nll(sc.Normal(mu, sigma), n).result
    y = sp.IndexedBase("y", real=True)
    s = S
    textbook = sp.log(sigma) + sp.log(2 * sp.pi) / 2 + sp.Sum((y[s] - mu) ** 2, (s, 1, n)) / (2 * n * sigma**2)
    assert sp.expand(J - textbook) == 0


def test_categorical_explicit_data_frequencies():
    ps = [sp.Symbol(f"p{m}", positive=True) for m in (1, 2, 3)]
    J = nll(Categorical(ps), data=[1, 2, 2, 3, 2]).result
    expected = -(sp.log(ps[0]) + 3 * sp.log(ps[1]) + sp.log(ps[2])) / 5
    assert sp.expand(J - expected) == 0


def test_kl_of_empirical_discrete():
    data = [1, 1, 0, 1]
    P = Empirical(data, like=sc.Bernoulli(p))
    d = sc.kl(P, sc.Bernoulli(p))
    at = {p: sp.Rational(2, 5)}
    oracle = (mpmath.mpf(3) / 4 * mpmath.log((mpmath.mpf(3) / 4) / (mpmath.mpf(2) / 5))
              + mpmath.mpf(1) / 4 * mpmath.log((mpmath.mpf(1) / 4) / (mpmath.mpf(3) / 5)))
    assert mpmath.almosteq(_val(d.result, at), oracle, 1e-35)


def test_data_where_the_model_has_no_mass_gives_infinity():
    d = sc.cross_entropy(Empirical([1, 0], like=sc.Bernoulli(1)), sc.Bernoulli(1))
    assert d.result == sp.oo and "absolutely continuous" in d.infinite_reason


def test_derivation_steps_recorded():
    d = nll(sc.Bernoulli.from_logit(z), n)
    assert d.steps[0].rule.startswith("average negative log-likelihood")
    assert any("empirical measure" in s.rule for s in d.steps)


# -- errors -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [0, -3])
def test_n_not_positive(bad):
    with pytest.raises(InvalidParameterError, match="n"):
        nll(sc.Bernoulli(p), bad)


def test_n_symbol_without_assumptions():
    with pytest.raises(InvalidParameterError, match="positive integer"):
        nll(sc.Bernoulli(p), sp.Symbol("m"))


def test_empty_data():
    with pytest.raises(InvalidParameterError, match="at least one sample"):
        nll(sc.Bernoulli(p), data=[])


@pytest.mark.parametrize("family,data", [
    (sc.Bernoulli(p), [0, 1, 2]),
    (Categorical.from_logits(k=3), [1, 4]),
    (Categorical.from_logits(k=3), [0]),
    (sc.Normal(mu, sigma), [1.0, float("nan")]),
    (sc.Normal(mu, sigma), [1.0, float("inf")]),
])
def test_data_outside_support(family, data):
    with pytest.raises(InvalidParameterError, match="support"):
        nll(family, data=data)


def test_mismatched_shapes():
    from symce.families.mvnormal import MultivariateNormal

    Q = MultivariateNormal.symbolic(2, cholesky=False)
    with pytest.raises(DimensionMismatchError, match="dimension d = 2"):
        nll(Q, data=[[1, 2], [1, 2, 3]])
    with pytest.raises(DimensionMismatchError, match="n = 3"):
        Empirical([1, 0], 3, like=sc.Bernoulli(p))


def test_wrong_types():
    with pytest.raises(ArgumentTypeError):
        Empirical([1, 0], like="bernoulli")
    with pytest.raises(ArgumentTypeError):
        nll(sc.Bernoulli(p), data=["1"])
    with pytest.raises(ArgumentTypeError):
        nll(sc.Bernoulli(p))
