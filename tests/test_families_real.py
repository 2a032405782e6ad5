"""The families on the real line and with parameter-dependent supports (issue 11) against formulas published
elsewhere, torch.distributions float64, and the pairs between them and the normal.

* entropy of Laplace, Logistic, Gumbel, Cauchy, HalfCauchy, StudentT, Uniform and Pareto, and the same-family
  KL where a closed form is published, against those formulas (each cited where it is written down),
  evaluated with mpmath at 40 digits — the formulas are transcribed here, never imported from symce;
* the pairs without a closed form (Student t against Student t, logistic against logistic) are an honest
  kept integral, equal to the definition; Student t with ν = 1 is the Cauchy and closes;
* Uniform and Pareto: +∞ exactly where supp P ⊄ supp Q, the finite value elsewhere;
* the cross-family pairs torch.distributions registers among these, the normal, the exponential and the gamma
  (finite and constant +∞) against torch float64 ``kl_divergence``.
"""

from __future__ import annotations

import mpmath as mp
import pytest
import sympy as sp

import symce as sc
from symce.families.cauchy import Cauchy
from symce.families.exponential import Exponential
from symce.families.gamma import Gamma
from symce.families.gumbel import Gumbel
from symce.families.half_cauchy import HalfCauchy
from symce.families.laplace import Laplace
from symce.families.logistic import Logistic
from symce.families.pareto import Pareto
from symce.families.student_t import StudentT
from symce.families.uniform import Uniform
from conftest import oracle
import oracles

DIGITS = 30
R = sp.Rational
EG = mp.euler
m1, m2, lo1, hi1, lo2, hi2 = sp.symbols("m1 m2 lo1 hi1 lo2 hi2", real=True)
b1, b2, n1, n2, x1, x2, a1, a2, l1, l2, c1, c2 = sp.symbols("b1 b2 n1 n2 x1 x2 a1 a2 l1 l2 c1 c2", positive=True)

# parameter points: exact rationals. The first has nested supports ([lo1, hi1] ⊂ [lo2, hi2], x1 > x2, x2 ≤ lo1)
# and α₁ > 2; the second does not (Uniform/Pareto KLs +∞) and has α₁ < 2 (E_Pareto[X²] = +∞)
POINTS = [
    {m1: R(-1, 2), m2: R(6, 5), b1: R(4, 5), b2: R(9, 4), n1: R(7, 2), n2: R(3, 2), lo1: R(1, 2), hi1: R(13, 5),
     lo2: R(-1, 3), hi2: R(3), x1: R(12, 5), x2: R(2, 5), a1: R(27, 10), a2: R(3, 4), l1: R(13, 10), l2: R(1, 3),
     c1: R(7, 10), c2: R(23, 10)},
    {m1: R(9, 10), m2: R(-3, 10), b1: R(3, 2), b2: R(7, 20), n1: R(3, 4), n2: R(5), lo1: R(-2), hi1: R(1, 5),
     lo2: R(-1), hi2: R(1, 2), x1: R(3, 10), x2: R(11, 10), a1: R(3, 2), a2: R(19, 5), l1: R(5, 2), l2: R(12, 5),
     c1: R(41, 10), c2: R(1, 2)},
]


def _agree(derived, published, values, what):
    oracles.assert_published(derived, published, values, what, DIGITS)


# -- entropies -------------------------------------------------------------------------------------------
# A. C. G. Verdugo Lazo & P. N. Rathie (1978), "On the entropy of continuous probability distributions",
# IEEE Trans. Inf. Theory 24(1):120–122, Table I (natural logarithms; a location-scale family's entropy is the
# standard one plus log scale). The same forms in Cover & Thomas (2006), Table 17.1.
def _h_student_t(n1, b1, **_):
    # L&R, Student t with ν degrees of freedom: (ν+1)/2 [ψ((1+ν)/2) − ψ(ν/2)] + log(√ν B(ν/2, ½))
    return ((n1 + 1) / 2 * (mp.digamma((1 + n1) / 2) - mp.digamma(n1 / 2)) + mp.log(mp.sqrt(n1) * mp.beta(n1 / 2, 0.5))
            + mp.log(b1))


ENTROPIES = [
    ("laplace", Laplace(m1, b1), lambda b1, **_: 1 + mp.log(2 * b1)),          # L&R: 1 + log 2b
    ("logistic", Logistic(m1, b1), lambda b1, **_: mp.log(b1) + 2),            # L&R: 2 (standard)
    ("gumbel", Gumbel(m1, b1), lambda b1, **_: mp.log(b1) + EG + 1),           # L&R, extreme value: log β + γ + 1
    ("cauchy", Cauchy(m1, b1), lambda b1, **_: mp.log(4 * mp.pi * b1)),        # L&R: log 4πγ
    # half-Cauchy = |Cauchy(0, γ)|: the two halves folded onto one lose log 2 of the Cauchy's log 4πγ
    ("half_cauchy", HalfCauchy(b1), lambda b1, **_: mp.log(2 * mp.pi * b1)),
    ("student_t", StudentT(n1, m1, b1), _h_student_t),
    ("uniform", Uniform(lo1, hi1), lambda lo1, hi1, **_: mp.log(hi1 - lo1)),    # L&R: log(b − a)
    ("pareto", Pareto(x1, a1), lambda x1, a1, **_: mp.log(x1 / a1) + 1 / a1 + 1),  # L&R: log(x_m/α) + 1/α + 1
]


@pytest.mark.parametrize("label, P, published", [pytest.param(*e, id=e[0]) for e in ENTROPIES])
def test_entropy_against_published(label, P, published):
    d = sc.entropy(P)
    assert not d.result.has(sp.Integral), f"H({P!r}) kept as an integral: {d.result}"
    for values in POINTS:
        _agree(d.result, published, values, f"H({P!r})")


# -- same-family KL --------------------------------------------------------------------------------------
def _kl_cauchy(m1, b1, m2, b2, **_):
    # F. Chyzak & F. Nielsen (2019), "A closed-form formula for the Kullback-Leibler divergence between Cauchy
    # distributions", arXiv:1905.10965, eq. (1): log(((γ₁ + γ₂)² + (l₁ − l₂)²)/(4γ₁γ₂))
    return mp.log(((b1 + b2) ** 2 + (m1 - m2) ** 2) / (4 * b1 * b2))


# M. Gil, F. Alajaji & T. Linder (2013), "Rényi divergence measures for commonly used univariate continuous
# distributions", Information Sciences 249:124–131, Table 3 (Kullback–Leibler divergences).
KLS = [
    # G-A-L, Laplace: log(b_j/b_i) + |μ_i − μ_j|/b_j + (b_i/b_j) e^{−|μ_i − μ_j|/b_i} − 1
    ("laplace", Laplace(m1, b1), Laplace(m2, b2),
     lambda m1, b1, m2, b2, **_: mp.log(b2 / b1) + abs(m1 - m2) / b2 + b1 / b2 * mp.exp(-abs(m1 - m2) / b1) - 1),
    # G-A-L, uniform: log((b_j − a_j)/(b_i − a_i)) for [a_i, b_i] ⊆ [a_j, b_j], +∞ otherwise
    ("uniform", Uniform(lo1, hi1), Uniform(lo2, hi2),
     lambda lo1, hi1, lo2, hi2, **_: mp.log((hi2 - lo2) / (hi1 - lo1)) if lo2 <= lo1 and hi1 <= hi2 else mp.inf),
    # G-A-L, Pareto (scale m, shape a): log(a_i/a_j) + a_j log(m_i/m_j) + a_j/a_i − 1 for m_i ≥ m_j, +∞ otherwise
    ("pareto", Pareto(x1, a1), Pareto(x2, a2),
     lambda x1, a1, x2, a2, **_: mp.log(a1 / a2) + a2 * mp.log(x1 / x2) + a2 / a1 - 1 if x1 >= x2 else mp.inf),
    ("cauchy", Cauchy(m1, b1), Cauchy(m2, b2), _kl_cauchy),
    # half-Cauchy: |·| is a sufficient statistic for two zero-centred Cauchy laws, so the KL is Chyzak &
    # Nielsen's at l₁ = l₂ = 0
    ("half_cauchy", HalfCauchy(b1), HalfCauchy(b2), lambda b1, b2, **_: _kl_cauchy(0, b1, 0, b2)),
    # Student t with ν = 1 is the Cauchy: Chyzak & Nielsen again
    ("student_t_1", StudentT(1, m1, b1), StudentT(1, m2, b2), _kl_cauchy),
    # Gumbel (as torch.distributions.kl._kl_gumbel_gumbel implements it; with z = β₁/β₂):
    #   log(β₂/β₁) + γ(z − 1) + e^{(μ₂ − μ₁)/β₂} Γ(z + 1) − 1 + (μ₁ − μ₂)/β₂
    ("gumbel", Gumbel(m1, b1), Gumbel(m2, b2),
     lambda m1, b1, m2, b2, **_: (mp.log(b2 / b1) + EG * (b1 / b2 - 1) + mp.exp((m2 - m1) / b2) * mp.gamma(b1 / b2 + 1)
                                  - 1 + (m1 - m2) / b2)),
]


@pytest.mark.parametrize("label, P, Q, published", [pytest.param(*e, id=e[0]) for e in KLS])
def test_kl_against_published(label, P, Q, published):
    d = sc.kl(P, Q)
    assert not d.result.has(sp.Integral), f"KL({P!r} ‖ {Q!r}) kept as an integral: {d.result}"
    for values in POINTS:
        _agree(d.result, published, values, f"KL({P!r} ‖ {Q!r})")


@pytest.mark.parametrize("P, Q", [
    pytest.param(StudentT(n1, m1, b1), StudentT(n2, m2, b2), id="student_t"),
    pytest.param(Logistic(m1, b1), Logistic(m2, b2), id="logistic"),
])
def test_kl_without_closed_form_is_the_kept_definition(P, Q):
    """No closed form is known for these pairs (E_P[log(1 + ((X − μ₂)/σ₂)²/ν₂)] under another t is a ₂F₁-type
    integral; E_P[log(1 + e^{−(X − μ₂)/s₂})] under another logistic a series): the engine keeps the defining
    integral — exact, and equal to the definition's value."""
    d = sc.kl(P, Q)
    assert d.result.has(sp.Integral), d.result
    assert any("kept as the defining integral" in s.rule for s in d.steps), [s.rule for s in d.steps]
    values = POINTS[0]
    got = oracles.value(d.result, values, dps=20)
    want = oracle(oracles.kl, P, Q, values, dps=20)
    assert oracles.digits_agree(got, want) >= 15, f"KL({P!r} ‖ {Q!r}) at {values}: {got} vs definition {want}"


# -- torch.distributions, float64 ------------------------------------------------------------------------
def _torch(D, values):
    torch = pytest.importorskip("torch")
    cls = getattr(torch.distributions, type(D).__name__)
    names = {"mu": "loc", "sigma": "scale"}  # the seed catalog's Normal(mu, sigma) is torch's Normal(loc, scale)
    args = {names.get(k, k): torch.tensor(float(oracles.value(v, values)), dtype=torch.float64)
            for k, v in D.parameters.items()}
    return cls(**args, validate_args=False)


N = sc.Normal
TORCH_PAIRS = [  # registered in torch/distributions/kl.py
    ("laplace|normal", Laplace(m1, b1), N(m2, b2)),
    ("gumbel|normal", Gumbel(m1, b1), N(m2, b2)),
    ("normal|laplace", N(m1, b1), Laplace(m2, b2)),
    ("normal|gumbel", N(m1, b1), Gumbel(m2, b2)),
    ("uniform|normal", Uniform(lo1, hi1), N(m2, b2)),
    ("uniform|gumbel", Uniform(lo1, hi1), Gumbel(m2, b2)),
    ("uniform|pareto", Uniform(lo1, hi1), Pareto(x2, a2)),         # +∞ where low < scale
    ("uniform|exponential", Uniform(lo1, hi1), Exponential(l2)),   # +∞ where low < 0
    ("uniform|gamma", Uniform(lo1, hi1), Gamma(c2, l2)),
    ("pareto|normal", Pareto(x1, a1), N(m2, b2)),                  # +∞ where α ≤ 2 (E[X²] diverges)
    ("pareto|exponential", Pareto(x1, a1), Exponential(l2)),       # +∞ where α ≤ 1
    ("pareto|gamma", Pareto(x1, a1), Gamma(c2, l2)),
    ("exponential|gumbel", Exponential(l1), Gumbel(m2, b2)),
    ("gamma|gumbel", Gamma(c1, l1), Gumbel(m2, b2)),
    # constant +∞ (supp P ⊄ supp Q)
    ("normal|uniform", N(m1, b1), Uniform(lo2, hi2)),
    ("normal|pareto", N(m1, b1), Pareto(x2, a2)),
    ("laplace|uniform", Laplace(m1, b1), Uniform(lo2, hi2)),
    ("laplace|pareto", Laplace(m1, b1), Pareto(x2, a2)),
    ("laplace|exponential", Laplace(m1, b1), Exponential(l2)),
    ("gumbel|uniform", Gumbel(m1, b1), Uniform(lo2, hi2)),
    ("gumbel|gamma", Gumbel(m1, b1), Gamma(c2, l2)),
    ("pareto|uniform", Pareto(x1, a1), Uniform(lo2, hi2)),
    ("exponential|pareto", Exponential(l1), Pareto(x2, a2)),
    ("gamma|uniform", Gamma(c1, l1), Uniform(lo2, hi2)),
]


@pytest.mark.parametrize("label, P, Q", [pytest.param(*e, id=e[0]) for e in TORCH_PAIRS])
def test_cross_family_kl_agrees_with_torch(label, P, Q):
    torch = pytest.importorskip("torch")
    d = sc.kl(P, Q)
    assert not d.result.has(sp.Integral), d.result
    for values in POINTS:
        want = float(torch.distributions.kl_divergence(_torch(P, values), _torch(Q, values)))
        got = float(oracles.value(d.result, values))
        if want == float("inf"):
            assert got == want, f"KL({P!r} ‖ {Q!r}) at {values}: {got}, torch +∞"
        else:
            assert abs(got - want) <= 1e-9 * max(1.0, abs(want)), f"KL({P!r} ‖ {Q!r}) at {values}: {got} vs torch {want}"


def test_support_condition_is_stated():
    # the finite value holds exactly where supp P ⊆ supp Q: the condition of the Piecewise says which
    r = sc.kl(Uniform(lo1, hi1), Uniform(lo2, hi2)).result
    assert isinstance(r, sp.Piecewise) and r.args[-1] == (sp.oo, True)
    assert set(sp.And.make_args(r.args[0][1])) == {sp.Ge(lo1, lo2), sp.Le(hi1, hi2)}
    assert sc.kl(Pareto(x1, a1), Pareto(x2, a2)).result.args[0][1] == sp.Ge(x1, x2)
    assert sc.kl(Uniform(0, 1), Uniform(R(1, 2), 2)).result == sp.oo
    assert sc.kl(Uniform(1, 2), Uniform(0, 3)).result == sp.log(3)


def _quad_kl(P, Q, values, kink):
    """∫ p (log p − log q) dx by mpmath quadrature split at P's kink (tests/oracles.py differentiates the
    log-density twice to find a mode, which a kink |x − μ| does not allow)."""
    x = P.variable()
    lp = sp.lambdify(x, P.log_density(x).xreplace(values), "mpmath")
    lq = sp.lambdify(x, Q.log_density(x).xreplace(values), "mpmath")
    with mp.workdps(40):
        c = mp.mpf(kink.p) / kink.q
        return mp.quad(lambda t: mp.exp(lp(t)) * (lp(t) - lq(t)), [-mp.inf, c - 10, c, c + 10, mp.inf])


def test_a_divergent_piece_is_infinity_not_a_formula():
    # E_P[e^{−X/β₂}] under a Laplace(μ₁, b₁) has the tail e^{x/b₁ − x/b₂} at −∞: finite only for b₁ < b₂. SymPy's
    # integrator drops that condition (conds="none"); the kink rule keeps it, so the KL is +∞ for b₁ ≥ b₂
    P, Q = Laplace(m1, b1), Gumbel(m2, b2)
    r = sc.kl(P, Q).result
    assert r.has(sp.Piecewise), r
    assert oracles.value(r, {m1: R(1, 3), b1: 2, m2: R(-1, 2), b2: 1}) == mp.inf
    assert oracles.value(r, {m1: R(1, 3), b1: 1, m2: R(-1, 2), b2: 1}) == mp.inf
    values = {m1: R(1, 3), b1: R(1, 2), m2: R(-1, 2), b2: R(3, 2)}
    assert oracles.digits_agree(oracles.value(r, values), _quad_kl(P, Q, values, R(1, 3))) >= 20
    # the same for the logistic (moment generating function: Γ(1 − b₁/b₂) needs b₁ < b₂)
    r = sc.kl(Logistic(m1, b1), Gumbel(m2, b2)).result
    assert oracles.value(r, {m1: R(1, 3), b1: 2, m2: R(-1, 2), b2: 1}) == mp.inf
    values = {m1: R(1, 3), b1: R(1, 2), m2: R(-1, 2), b2: R(3, 2)}
    assert oracles.digits_agree(oracles.value(r, values),
                                oracle(oracles.kl, Logistic(m1, b1), Gumbel(m2, b2), values, dps=30)) >= 20


def test_polynomial_moments_under_heavy_tails():
    # E[(X − μ₂)²] under a Student t is σ²ν/(ν − 2) + (μ₁ − μ₂)² for ν > 2 and +∞ for ν ≤ 2 (Cauchy: always +∞)
    P, Q = StudentT(n1, m1, b1), N(m2, b2)
    r = sc.kl(P, Q).result
    assert r.has(sp.Piecewise) and not r.has(sp.Integral), r
    values = {n1: R(7, 2), m1: R(-1, 2), b1: R(4, 5), m2: R(6, 5), b2: R(9, 4)}
    assert oracles.digits_agree(oracles.value(r, values), oracle(oracles.kl, P, Q, values, dps=30)) >= 20
    assert oracles.value(r, {**values, n1: R(3, 2)}) == mp.inf
    assert sc.kl(Cauchy(m1, b1), N(m2, b2)).result == sp.oo
    assert sc.kl(HalfCauchy(b1), N(m2, b2)).result == sp.oo
