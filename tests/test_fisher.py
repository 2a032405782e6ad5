"""Fisher information: Hessian of KL at Q = P equals E[score scoreᵀ], proved for the catalog.

Oracles: published closed forms — Bernoulli I(p) = 1/(p(1 − p)) (Lehmann & Casella 1998, Table 2.5.1;
Casella & Berger 2002, Ex. 7.3.6), normal I(μ, σ) = diag(1/σ², 2/σ²) (Lehmann & Casella 1998, Ex. 2.6.3),
categorical in (p_1..p_k) unconstrained diag(1/p_i), softmax logits diag(s) − ssᵀ (Bishop 2006 eq. 4.106);
and the *defining* expectation E[(∂_a log p)(∂_b log p)] with the score by mpmath.diff of a log-density
written here and the expectation by mpmath.quad / an explicit sum at 40 digits.
"""

import mpmath
import pytest
import sympy as sp

import symce as sc
from symce.errors import DerivationError
from symce.families import EXAMPLES
from symce.learning.fisher import fisher_identity, fisher_information, fisher_score_form

MP_DPS = 40  # set around each test of this module by conftest.py

# the catalog, minus what is out of reach here: symbolic sizes (no finite parameter vector) and the
# largest explicit sizes (softmax k = 10: 20 s; MVN d = 3 and the full 2×2 Σ: 10–30 s)
SKIP = {"categorical-logits-k10", "mvnormal-d3", "mvnormal-d2-full", "mvnormal-symbolic-d",
        "categorical-symbolic-k", "categorical-logits-symbolic-k"}
CATALOG = [e for e in EXAMPLES if e.label not in SKIP]


@pytest.mark.parametrize("ex", CATALOG, ids=[e.label for e in CATALOG])
def test_fisher_identity_proved_for_catalog(ex):
    assert fisher_identity(ex.build(1)).status == "proved"


def test_bernoulli_published():
    p = sp.Symbol("p", positive=True)
    I = fisher_information(sc.Bernoulli(p)).result
    assert sp.simplify(I[0, 0] - 1 / (p * (1 - p))) == 0


def test_normal_published():
    mu, s = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
    I = fisher_information(sc.Normal(mu, s))
    assert I.result == sp.ImmutableMatrix([[1 / s**2, 0], [0, 2 / s**2]])
    assert "Hessian of KL" in I.method


def test_softmax_logits_published():
    P = sc.Categorical.from_logits(k=3)
    z = list(P.entries)
    sm = [sp.exp(v) / sum(sp.exp(u) for u in z) for v in z]
    ref = sp.Matrix(3, 3, lambda i, j: (sm[i] if i == j else 0) - sm[i] * sm[j])
    assert sc.prove(fisher_information(P).result, ref).status == "proved"


def test_normal_against_defining_integral():
    m0, s0 = mpmath.mpf("0.3"), mpmath.mpf("1.7")
    logp = lambda x, m, s: -mpmath.log(s) - mpmath.log(2 * mpmath.pi) / 2 - (x - m) ** 2 / (2 * s**2)
    # the textbook score (Casella & Berger 2002, Ex. 7.2.11); finite differences are checked once below
    score = lambda x: ((x - m0) / s0**2, -1 / s0 + (x - m0) ** 2 / s0**3)
    x1 = mpmath.mpf("0.9")
    assert mpmath.almosteq(score(x1)[1], mpmath.diff(lambda s: logp(x1, m0, s), s0), 1e-30)
    dens = lambda x: mpmath.exp(logp(x, m0, s0))
    mu, s = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
    I = fisher_score_form(sc.Normal(mu, s)).result
    for a in range(2):
        for b in range(2):
            ref = mpmath.quad(lambda x: score(x)[a] * score(x)[b] * dens(x), [-mpmath.inf, m0, mpmath.inf])
            got = mpmath.mpf(str(sp.N(I[a, b].xreplace({mu: sp.Rational(3, 10), s: sp.Rational(17, 10)}), 45)))
            assert mpmath.almosteq(got, ref, 1e-20)


def test_bernoulli_logit_against_defining_sum():
    z = sp.Symbol("z", real=True)
    I = fisher_information(sc.Bernoulli.from_logit(z)).result[0, 0]
    z0 = mpmath.mpf("-0.8")
    logp = lambda x, zz: x * zz - mpmath.log(1 + mpmath.exp(zz))
    ref = mpmath.fsum(mpmath.exp(logp(x, z0)) * mpmath.diff(lambda zz: logp(x, zz), z0) ** 2 for x in (0, 1))
    assert mpmath.almosteq(mpmath.mpf(str(sp.N(I.xreplace({z: sp.Rational(-8, 10)}), 45))), ref, 1e-25)


def test_mvn_d2_against_normal_closed_form():
    # Σ = LLᵀ, d = 2: the μ-block of I is Σ⁻¹ (Mardia, Kent & Bibby 1979, §4.2)
    P = sc.MultivariateNormal.symbolic(2, "1")
    I = fisher_information(P).result
    Sigma = P.L * P.L.T
    assert sp.simplify(I[:2, :2] - Sigma.inv()) == sp.zeros(2, 2)


def test_symbolic_size_refused():
    k = sp.Symbol("k", integer=True, positive=True)
    with pytest.raises(DerivationError, match="explicit"):
        fisher_information(sc.Categorical(sp.IndexedBase("p", positive=True), k=k))


def test_fisher_latex_does_not_equate_kl_with_information():
    # the steps are actions (derive KL, differentiate, set θ' = θ), not a chain KL = … = I(θ)
    lam = sp.Symbol("lambda1", positive=True)
    P = sc.Normal(sp.Symbol("mu", real=True), lam)
    information = r"I{\left(\mu,\lambda_{1} \right)}"
    for tex in (fisher_information(P).latex(), sc.latex(fisher_information(P))):
        rows = tex.split("\\\\\n")
        assert not any("&=" in r for r in rows)
        assert not any("KL" in r and information in r for r in rows if "=" in r)
        assert sum(information + " = " in r for r in rows) == 1
