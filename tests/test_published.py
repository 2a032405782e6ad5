"""Closed forms against formulas published elsewhere (each cited where it is used).

Each comparison is made twice: symbolically with ``sc.prove`` (status must be "proved") and numerically at
random parameter points with mpmath at 40 digits (so a bug in ``prove`` cannot hide a wrong result).
"""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy as sp

import symce as sc
import oracles

mu1, mu2 = sp.symbols("mu1 mu2", real=True)
s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
p, q = sp.symbols("p q", positive=True)
t = sp.Symbol("t", positive=True)
z = sp.Symbol("z", real=True)

_UNIT = [sp.StrictLessThan(0, p), sp.StrictLessThan(p, 1), sp.StrictLessThan(0, q), sp.StrictLessThan(q, 1),
         sp.StrictLessThan(0, t), sp.StrictLessThan(t, 1)]


def _numeric_points(expr_symbols, n=4, seed=2013):
    rng = random.Random(seed)
    for _ in range(n):
        pt = {}
        for s in expr_symbols:
            if s in (p, q, t):
                pt[s] = sp.Rational(rng.randint(1, 999), 1000)
            elif s.is_positive:
                pt[s] = sp.Rational(rng.randint(50, 5000), 1000)
            else:
                pt[s] = sp.Rational(rng.randint(-5000, 5000), 1000)
        yield pt


def _agree(derived, published, assumptions=()):
    proof = sc.prove(derived, published, assumptions)
    assert proof.status == "proved", f"derived {derived} vs published {published}:\n{proof}"
    syms = sorted((derived - published).free_symbols | published.free_symbols, key=str)
    for pt in _numeric_points(syms):
        a, b = oracles.value(derived, pt), oracles.value(published, pt)
        assert oracles.digits_agree(a, b) >= 35, f"at {pt}: derived {a}, published {b}"


def test_normal_kl_penny_2001():
    # W. D. Penny (2001), "KL-Divergences of Normal, Gamma, Dirichlet and Wishart densities", eq. (2)
    # (the d-variate normal KL) in its univariate case d = 1:
    #   KL(N(μ_q, σ_q²) ‖ N(μ_p, σ_p²)) = ½ log(σ_p²/σ_q²) + σ_q²/(2σ_p²) + (μ_q − μ_p)²/(2σ_p²) − ½
    published = (sp.log(s2**2 / s1**2) / 2 + s1**2 / (2 * s2**2) + (mu1 - mu2) ** 2 / (2 * s2**2)
                 - sp.Rational(1, 2))
    _agree(sc.kl(sc.Normal(mu1, s1), sc.Normal(mu2, s2)).result, published)


def test_normal_kl_gil_alajaji_linder_2013():
    # M. Gil, F. Alajaji, T. Linder (2013), "Rényi divergence measures for commonly used univariate
    # continuous distributions", Information Sciences 249, Table 3 (KL divergence, the α → 1 limit), Normal:
    #   D(f_i ‖ f_j) = 1/(2σ_j²) [(μ_i − μ_j)² + σ_i² − σ_j²] + ln(σ_j/σ_i)
    published = ((mu1 - mu2) ** 2 + s1**2 - s2**2) / (2 * s2**2) + sp.log(s2 / s1)
    _agree(sc.kl(sc.Normal(mu1, s1), sc.Normal(mu2, s2)).result, published)


def test_normal_entropy_cover_thomas():
    # T. M. Cover, J. A. Thomas (2006), "Elements of Information Theory", 2nd ed., Example 8.1.2 /
    # eq. (8.9) and Table 17.1: h(N(μ, σ²)) = ½ log(2πeσ²) nats
    published = sp.log(2 * sp.pi * sp.E * s1**2) / 2
    _agree(sc.entropy(sc.Normal(mu1, s1)).result, published)


def test_bernoulli_entropy_cover_thomas():
    # Cover & Thomas (2006), eq. (2.5): H(X) = −p log p − (1 − p) log(1 − p)  (in nats here)
    published = -p * sp.log(p) - (1 - p) * sp.log(1 - p)
    _agree(sc.entropy(sc.Bernoulli(p)).result, published, _UNIT)


def test_bernoulli_cross_entropy_bce():
    # binary cross-entropy of target t and prediction q, e.g. the documented formula of
    # torch.nn.BCELoss: ℓ = −[t log q + (1 − t) log(1 − q)]
    published = -t * sp.log(q) - (1 - t) * sp.log(1 - q)
    _agree(sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli(q)).result, published, _UNIT)


def test_bce_with_logits():
    # torch.nn.BCEWithLogitsLoss documents ℓ = −[t log σ(z) + (1 − t) log(1 − σ(z))], which equals
    # log(1 + e^z) − t z (the form it evaluates, via the log-sum-exp trick)
    published = sp.log(1 + sp.exp(z)) - t * z
    documented = -(t * sp.log(sc.sigmoid(z)) + (1 - t) * sp.log(1 - sc.sigmoid(z)))
    derived = sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli.from_logit(z)).result
    _agree(derived, published, _UNIT)
    # the documented form and the evaluated form are the same function (numerically: the symbolic
    # equality needs log σ(z) = z − log(1 + e^z), which the rewrites may not reach)
    for pt in _numeric_points([t, z]):
        assert oracles.digits_agree(oracles.value(derived, pt), oracles.value(documented, pt)) >= 35


def test_bce_with_logits_gradient_is_sigmoid_minus_target():
    # ∂/∂z [log(1 + e^z) − t z] = σ(z) − t: the well-known logistic-regression gradient
    g = sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli.from_logit(z)).gradient(z)
    proof = sc.prove(g.result, sc.sigmoid(z) - t, _UNIT)
    assert proof.status == "proved", str(proof)
    for pt in _numeric_points([t, z]):
        with mpmath.workdps(50):
            expected = 1 / (1 + mpmath.exp(-oracles._mpf(sp.N(pt[z], 50)))) - oracles._mpf(sp.N(pt[t], 50))
        assert oracles.digits_agree(oracles.value(g.result, pt), expected) >= 35


@pytest.mark.skipif(not hasattr(sc, "Categorical"), reason="Categorical is not in symce yet")
def test_softmax_cross_entropy_explicit_k():
    # softmax cross-entropy with soft targets t (e.g. torch.nn.CrossEntropyLoss with class
    # probabilities): ℓ = −Σ_i t_i log softmax(z)_i = log Σ_j e^{z_j} − Σ_i t_i z_i  when Σ_i t_i = 1
    k = 3
    ts = sp.symbols(f"t1:{k + 1}", positive=True)
    zs = sp.symbols(f"z1:{k + 1}", real=True)
    published = sp.log(sp.Add(*[sp.exp(zz) for zz in zs])) - sp.Add(*[a * b for a, b in zip(ts, zs)])
    derived = sc.cross_entropy(sc.Categorical(list(ts)), sc.Categorical.from_logits(list(zs))).result
    proof = sc.prove(derived, published, [sp.Eq(sp.Add(*ts), 1)])
    assert proof.status == "proved", str(proof)
    # numerically, at points of the simplex (the identity needs Σ t_i = 1)
    rng = random.Random(7)
    for _ in range(3):
        w = [rng.randint(1, 100) for _ in ts]
        pt = {**{a: sp.Rational(b, sum(w)) for a, b in zip(ts, w)},
              **{a: sp.Rational(rng.randint(-4000, 4000), 1000) for a in zs}}
        assert oracles.digits_agree(oracles.value(derived, pt), oracles.value(published, pt)) >= 35


@pytest.mark.skipif(not hasattr(sc, "Categorical"), reason="Categorical is not in symce yet")
def test_softmax_cross_entropy_symbolic_k_and_its_gradient():
    # the same loss with a symbolic number of classes k; its gradient ∂ℓ/∂z_m = softmax(z)_m − t_m
    # (e.g. Goodfellow, Bengio & Courville 2016, "Deep Learning", §6.2.2.3)
    k = sp.Symbol("k", integer=True, positive=True)
    i, j, m = (sp.Symbol(n, integer=True, positive=True) for n in "ijm")
    T, Z = sp.IndexedBase("t", positive=True), sp.IndexedBase("z", real=True)
    d = sc.cross_entropy(sc.Categorical(T, k=k), sc.Categorical.from_logits(Z, k=k))
    simplex = [sp.Eq(sp.Sum(T[i], (i, 1, k)), 1)]
    published = sp.log(sp.Sum(sp.exp(Z[j]), (j, 1, k))) - sp.Sum(T[i] * Z[i], (i, 1, k))
    proof = sc.prove(d.result, published, simplex)
    assert proof.status == "proved", str(proof)
    softmax_minus_t = sp.exp(Z[m]) / sp.Sum(sp.exp(Z[j]), (j, 1, k)) - T[m]
    proof = sc.prove(d.gradient(Z[m]).result, softmax_minus_t, simplex)
    assert proof.status == "proved", str(proof)
