"""Maximum likelihood by stationarity.

Oracles: scipy.optimize minimising a negative log-likelihood written here with numpy/scipy.stats (not
symce) on a generated data set; numpy's sample mean and biased covariance (np.cov(bias=True)); the
textbook estimators (Casella & Berger 2002, Examples 7.2.7 and 7.2.11: p̂ = ȳ, μ̂ = ȳ,
σ̂² = (1/n) Σ (y_s − ȳ)²; Bishop 2006 eqs. 2.121–2.122 for the multivariate normal).
"""

import numpy as np
import pytest
import sympy as sp
from scipy import optimize, stats

import symce as sc
from symce.learning.empirical import S, distribute_sum
from symce.errors import DerivationError
from symce.families.categorical import Categorical
from symce.families.mvnormal import MultivariateNormal

n = sp.Symbol("n", integer=True, positive=True)
p = sp.Symbol("p", positive=True)
z = sp.Symbol("z", real=True)
mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
y = sp.IndexedBase("y", real=True)
RNG = np.random.default_rng(20240601)


def at_data(e, data):
    """A symbolic-n estimate evaluated at explicit samples (y[1..n] = data): each Σ_s f(y_s) summed with
    numpy over the data (f lambdified with the sample as its argument), then n substituted."""
    data = np.asarray(data, dtype=float)
    cols = data.reshape(len(data), -1)
    ys = [sp.Dummy(f"y{j}") for j in range(cols.shape[1])]

    def total(sm):
        f = sm.function
        f = f.xreplace({y[S]: ys[0]}) if data.ndim == 1 else f.xreplace({y[S, j]: ys[j] for j in range(len(ys))})
        vals = np.vectorize(sp.lambdify(ys, f, "math"))(*cols.T)
        return sp.Float(float(np.sum(np.broadcast_to(vals, (len(data),)))), 30)

    v = e.replace(lambda x: isinstance(x, sp.Sum), total)
    return float(v.xreplace({n: len(data)}))


def test_bernoulli_sample_mean_and_second_order():
    d = sc.mle(sc.Bernoulli(p), n)
    assert sp.simplify(d.result[p] - sp.Sum(y[S], (S, 1, n)) / n) == 0
    assert d.second_order.status == "proved"
    # Hessian of J at p̂ is the Fisher information 1/(p̂(1 − p̂)) (Casella & Berger 2002, Ex. 7.3.6)
    assert sp.simplify(d.second_order.hessian[0, 0] - 1 / (p * (1 - p))) == 0
    data = (RNG.random(200) < 0.3).astype(float)
    res = optimize.minimize_scalar(lambda q: -np.mean(stats.bernoulli.logpmf(data, q)),
                                   bounds=(1e-9, 1 - 1e-9), method="bounded", options={"xatol": 1e-12})
    assert abs(at_data(d.result[p], data) - res.x) < 1e-8


def test_bernoulli_logit_mle():
    d = sc.mle(sc.Bernoulli.from_logit(z), data=[1, 1, 0, 1])
    assert sp.simplify(d.result[z] - sp.log(3)) == 0   # logit(3/4)
    assert d.second_order.proved


def test_normal_mean_and_biased_variance():
    d = sc.mle(sc.Normal(mu, sigma), n)
    mu_hat, s_hat = d.result[mu], d.result[sigma]
    assert sp.simplify(mu_hat - sp.Sum(y[S], (S, 1, n)) / n) == 0
    biased = distribute_sum((y[S] - mu_hat) ** 2, S, n) / n           # (1/n) Σ (y_s − ȳ)²
    assert sc.prove(s_hat**2, biased).status == "proved"
    assert d.second_order.status == "proved"
    assert d.second_order.hessian == sp.ImmutableMatrix([[1 / sigma**2, 0], [0, 2 / sigma**2]])
    data = RNG.normal(1.5, 0.7, size=300)
    res = optimize.minimize(lambda th: -np.mean(stats.norm.logpdf(data, th[0], np.exp(th[1]))), [0.0, 0.0],
                            method="BFGS", options={"gtol": 1e-12})
    assert abs(at_data(mu_hat, data) - res.x[0]) < 1e-6
    assert abs(at_data(s_hat, data) - np.exp(res.x[1])) < 1e-6
    assert abs(at_data(s_hat, data) - np.std(data)) < 1e-12        # numpy's ddof=0 standard deviation


def test_categorical_simplex_lagrange():
    ps = [sp.Symbol(f"p{m}", positive=True) for m in (1, 2, 3)]
    d = sc.mle(Categorical(ps), n)
    assert d.multiplier == 1
    assert "Lagrange" in d.method
    for m, pm in enumerate(ps, 1):
        assert sp.simplify(d.result[pm] - sp.Sum(sp.KroneckerDelta(m, y[S]), (S, 1, n)) / n) == 0
    assert d.second_order.proved
    data = RNG.integers(1, 4, size=500)
    counts = np.bincount(data, minlength=4)[1:]

    def nll(zz):  # softmax logits, unconstrained; oracle written with numpy only
        logq = zz - np.log(np.sum(np.exp(zz)))
        return -np.sum(counts * logq) / len(data)

    res = optimize.minimize(nll, np.zeros(3), method="BFGS", options={"gtol": 1e-12})
    q = np.exp(res.x) / np.sum(np.exp(res.x))
    got = [at_data(d.result[pm], data) for pm in ps]
    assert np.allclose(got, q, atol=1e-7)
    assert np.allclose(got, counts / len(data), atol=1e-15)


def test_categorical_explicit_data():
    ps = [sp.Symbol(f"p{m}", positive=True) for m in (1, 2, 3)]
    d = sc.mle(Categorical(ps), data=[1, 2, 2, 3])
    assert d.result == {ps[0]: sp.Rational(1, 4), ps[1]: sp.Rational(1, 2), ps[2]: sp.Rational(1, 4)}


def test_multivariate_normal_d2():
    Q = MultivariateNormal.symbolic(2, cholesky=False)
    d = sc.mle(Q, n, samples=y)
    m1, m2 = Q.mu
    S11, S12, S22 = Q.Sigma[0, 0], Q.Sigma[0, 1], Q.Sigma[1, 1]
    data = RNG.multivariate_normal([1.0, -2.0], [[2.0, 0.6], [0.6, 1.0]], size=150)
    mean = data.mean(axis=0)
    cov = np.cov(data.T, bias=True)
    assert abs(at_data(d.result[m1], data) - mean[0]) < 1e-12
    assert abs(at_data(d.result[m2], data) - mean[1]) < 1e-12
    for sym, ref in ((S11, cov[0, 0]), (S12, cov[0, 1]), (S22, cov[1, 1])):
        assert abs(at_data(d.result[sym], data) - ref) < 1e-12
    assert d.second_order.status in ("proved", "checked numerically")

    def nll(th):
        L = np.array([[np.exp(th[2]), 0], [th[3], np.exp(th[4])]])
        return -np.mean(stats.multivariate_normal.logpdf(data, th[:2], L @ L.T))

    res = optimize.minimize(nll, [0, 0, 0, 0, 0], method="BFGS", options={"gtol": 1e-10})
    L = np.array([[np.exp(res.x[2]), 0], [res.x[3], np.exp(res.x[4])]])
    assert np.allclose(res.x[:2], mean, atol=1e-5) and np.allclose(L @ L.T, cov, atol=1e-5)


def test_steps_recorded():
    d = sc.mle(sc.Normal(mu, sigma), n)
    rules = [s.rule for s in d.steps]
    assert any("stationarity" in r for r in rules) and any("second-order" in r for r in rules)


# -- errors --------------------------------------------------------------------------------------------
def test_boundary_maximum_is_reported():
    with pytest.raises(DerivationError, match="boundary"):
        sc.mle(sc.Bernoulli(p), data=[0, 0, 0])


def test_softmax_logits_not_identifiable():
    with pytest.raises(DerivationError, match="not identifiable"):
        sc.mle(Categorical.from_logits(k=3), n)


def test_bad_n():
    from symce.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError):
        sc.mle(sc.Bernoulli(p), 0)


# -- the result type: a procedure with a real stationarity derivation ----------------------------------
def test_mle_result_type_and_stationarity_derivation():
    d = sc.mle(sc.Bernoulli(p), data=[1, 0, 1, 1])
    assert d.result == {p: sp.Rational(3, 4)} and d.estimate == d.result
    grad = d.stationarity
    assert isinstance(grad, sc.Derivation)
    # the textbook derivative of the Bernoulli average NLL: −(x̄/p − (1 − x̄)/(1 − p)), x̄ = 3/4
    xbar, p0 = 0.75, 0.3
    assert abs(sc.lambdify(grad)(p0) - (-(xbar / p0 - (1 - xbar) / (1 - p0)))) < 1e-12
    second = grad.gradient(p)   # J'' = x̄/p² + (1 − x̄)/(1 − p)²
    reference = xbar / p0**2 + (1 - xbar) / (1 - p0) ** 2
    assert abs(float(second.result.xreplace({p: sp.Rational(3, 10)})) - reference) < 1e-12
    assert "partial" in grad.latex()
    assert grad.result.xreplace({p: sp.Rational(3, 4)}) == 0


def test_mle_prints_numbered_steps_not_equalities():
    d = sc.mle(sc.Bernoulli(p), data=[1, 0, 1, 1])
    tex = sc.latex(d)
    assert tex == d.latex()
    assert "&=" not in tex                       # no step continues another's equality
    assert "\\text{1. " in tex and "\\text{4. " in tex
    assert "\\hat{p} = \\frac{3}{4}" in tex
    md = d.markdown()
    assert "\n1. " in md and "\n2. " in md
    assert "\\ln" in sc.latex(d, log_notation="ln")   # the printer's settings reach the steps


def test_constrained_stationarity_is_of_the_lagrangian():
    ps = [sp.Symbol(f"p{m}", positive=True) for m in (1, 2, 3)]
    d = sc.mle(Categorical(ps), data=[1, 2, 2, 3])
    lam = sp.Symbol("lambda", real=True)
    g = d.stationarity.result
    assert g.shape == (3, 1)
    at = {**d.result, lam: d.multiplier}
    assert all(sp.simplify(e.xreplace(at)) == 0 for e in g)


def test_symbolic_n_stationarity_vanishes_at_the_estimate():
    d = sc.mle(sc.Bernoulli(p), n)
    assert sp.simplify(d.stationarity.result.xreplace({p: d.result[p]})) == 0
    assert d.objective.result == sc.nll(sc.Bernoulli(p), n).result
