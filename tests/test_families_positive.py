"""The families on the positive half-line (issue 11) against formulas published elsewhere, and the pairs
between them.

* entropy and same-family KL of Exponential, Chi2, InverseGamma, LogNormal, HalfNormal, Rayleigh and
  Weibull against the published closed forms (each cited where it is written down), evaluated with
  mpmath at 40 digits at a few parameter points — the formulas are transcribed here, never imported
  from symce;
* the cross-family pairs torch.distributions registers (Exponential ↔ Gamma, Chi2 ↔ Gamma through
  torch's Chi2 ⊂ Gamma, Exponential → Normal) against torch float64, and TFP's Weibull → Gamma against
  its published formula and the definition (tests/oracles.py);
* every ordered pair of distinct families of the group (Gamma included) derives under a time limit, and
  each closed form agrees with the definition; a law written in two families (Exp(λ) = Gamma(1, λ) =
  Weibull(1/λ, 1), Rayleigh(σ) = Weibull(√2 σ, 2), Chi2(k) = Gamma(k/2, ½)) has KL exactly 0.
"""

from __future__ import annotations

import time

import mpmath
import pytest
import sympy as sp

import symce as sc
from symce.errors import DerivationTimeoutError
from symce.families.chi2 import Chi2
from symce.families.exponential import Exponential
from symce.families.gamma import Gamma
from symce.families.half_normal import HalfNormal
from symce.families.inverse_gamma import InverseGamma
from symce.families.log_normal import LogNormal
from symce.families.rayleigh import Rayleigh
from symce.families.weibull import Weibull
from conftest import oracle
import oracles

DIGITS = 30
R = sp.Rational
a1, a2, b1, b2, l1, l2, k1, k2, s1, s2 = sp.symbols("a1 a2 b1 b2 l1 l2 k1 k2 s1 s2", positive=True)
m1, m2 = sp.symbols("m1 m2", real=True)
EG = mpmath.euler
mp = mpmath

# parameter points: exact rationals inside the ranges where the closed forms are well conditioned
POINTS = [
    {a1: R(7, 10), a2: R(23, 10), b1: R(3, 2), b2: R(2, 5), l1: R(13, 10), l2: R(1, 3), k1: R(3, 4), k2: R(27, 10),
     s1: R(4, 5), s2: R(9, 4), m1: R(-1, 2), m2: R(6, 5)},
    {a1: R(41, 10), a2: R(1, 2), b1: R(1, 5), b2: R(17, 10), l1: R(5, 2), l2: R(12, 5), k1: R(19, 5), k2: R(11, 10),
     s1: R(3, 2), s2: R(7, 20), m1: R(9, 10), m2: R(-3, 10)},
]


def _agree(derived, published, values, what):
    oracles.assert_published(derived, published, values, what, DIGITS)


# -- entropies -------------------------------------------------------------------------------------------
# A. C. G. Verdugo Lazo & P. N. Rathie (1978), "On the entropy of continuous probability distributions",
# IEEE Trans. Inf. Theory 24(1):120–122, Table I (natural logarithms); the same forms in T. M. Cover &
# J. A. Thomas, Elements of Information Theory, 2nd ed. (2006), Table 17.1.
ENTROPIES = [
    ("exponential", Exponential(l1), lambda l1, **_: 1 - mp.log(l1)),  # L&R: 1 − log λ
    # L&R, chi-squared with n degrees of freedom: log(2Γ(n/2)) − (n/2 − 1)ψ(n/2) + n/2
    ("chi2", Chi2(k1), lambda k1, **_: mp.log(2 * mp.gamma(k1 / 2)) - (k1 / 2 - 1) * mp.digamma(k1 / 2) + k1 / 2),
    # L&R, log-normal: μ + ½ log(2πeσ²)
    ("log_normal", LogNormal(m1, s1), lambda m1, s1, **_: m1 + mp.log(2 * mp.pi * mp.e * s1**2) / 2),
    # L&R, Rayleigh with density (x/σ²) e^{−x²/2σ²}: 1 + log(σ/√2) + γ/2
    ("rayleigh", Rayleigh(s1), lambda s1, **_: 1 + mp.log(s1 / mp.sqrt(2)) + EG / 2),
    # L&R, Weibull with density (k/λ)(x/λ)^{k−1} e^{−(x/λ)^k}: (k − 1)γ/k + log(λ/k) + 1
    ("weibull", Weibull(l1, k1), lambda l1, k1, **_: (k1 - 1) * EG / k1 + mp.log(l1 / k1) + 1),
    # half-normal = |N(0, σ²)|: the normal's ½ log(2πeσ²) (Cover & Thomas, Table 17.1) less log 2 (the two
    # halves folded onto one): ½ log(πeσ²/2)
    ("half_normal", HalfNormal(s1), lambda s1, **_: mp.log(mp.pi * mp.e * s1**2 / 2) / 2),
    # inverse gamma: α + log(βΓ(α)) − (1 + α)ψ(α) (e.g. the entropy torch.distributions.InverseGamma
    # implements; = H(Gamma(α, β)) − 2 E[log Y], Y ~ Gamma(α, β), with Lazo & Rathie's gamma entropy)
    ("inverse_gamma", InverseGamma(a1, b1),
     lambda a1, b1, **_: a1 + mp.log(b1 * mp.gamma(a1)) - (1 + a1) * mp.digamma(a1)),
]


@pytest.mark.parametrize("label, P, published", [pytest.param(*e, id=e[0]) for e in ENTROPIES])
def test_entropy_against_published(label, P, published):
    d = sc.entropy(P)
    assert not d.result.has(sp.Integral), f"H({P!r}) kept as an integral: {d.result}"
    for values in POINTS:
        _agree(d.result, published, values, f"H({P!r})")


# -- same-family KL --------------------------------------------------------------------------------------
def _kl_gamma_penny(a1, b1, a2, b2):
    # W. D. Penny (2001), "KL-divergences of Normal, Gamma, Dirichlet and Wishart densities", Wellcome
    # Department of Cognitive Neurology, section on Gamma densities, with shape b and scale c:
    #   KL(Ga(b_q, c_q) ‖ Ga(b_p, c_p)) = (b_q − 1)ψ(b_q) − log c_q − b_q − log Γ(b_q) + log Γ(b_p) + b_p log c_p
    #                                     − (b_p − 1)(ψ(b_q) + log c_q) + b_q c_q / c_p
    bq, cq, bp, cp = a1, 1 / b1, a2, 1 / b2
    return ((bq - 1) * mp.digamma(bq) - mp.log(cq) - bq - mp.loggamma(bq) + mp.loggamma(bp) + bp * mp.log(cp)
            - (bp - 1) * (mp.digamma(bq) + mp.log(cq)) + bq * cq / cp)


# M. Gil, F. Alajaji & T. Linder (2013), "Rényi divergence measures for commonly used univariate continuous
# distributions", Information Sciences 249:124–131, Table 3 (Kullback–Leibler divergences).
KLS = [
    # G-A-L: log(λ_i/λ_j) + λ_j/λ_i − 1
    ("exponential", Exponential(l1), Exponential(l2), lambda l1, l2, **_: mp.log(l1 / l2) + l2 / l1 - 1),
    # G-A-L: log(Γ(d_j/2)/Γ(d_i/2)) + (d_i − d_j)/2 · ψ(d_i/2)
    ("chi2", Chi2(k1), Chi2(k2),
     lambda k1, k2, **_: mp.loggamma(k2 / 2) - mp.loggamma(k1 / 2) + (k1 - k2) / 2 * mp.digamma(k1 / 2)),
    # G-A-L (log-normal = the normal's KL of log X): (μ_i − μ_j)²/(2σ_j²) + ½(σ_i²/σ_j² − 1 − log(σ_i²/σ_j²))
    ("log_normal", LogNormal(m1, s1), LogNormal(m2, s2),
     lambda m1, s1, m2, s2, **_: (m1 - m2) ** 2 / (2 * s2**2) + (s1**2 / s2**2 - 1 - mp.log(s1**2 / s2**2)) / 2),
    # G-A-L, Rayleigh: 2 log(σ_j/σ_i) + (σ_i² − σ_j²)/σ_j²
    ("rayleigh", Rayleigh(s1), Rayleigh(s2),
     lambda s1, s2, **_: 2 * mp.log(s2 / s1) + (s1**2 - s2**2) / s2**2),
    # G-A-L, Weibull (also C. Bauckhage (2013), "Computing the Kullback–Leibler divergence between two
    # Weibull distributions", arXiv:1310.3713, eq. (11)):
    #   log(k₁/λ₁^{k₁}) − log(k₂/λ₂^{k₂}) + (k₁ − k₂)(log λ₁ − γ/k₁) + (λ₁/λ₂)^{k₂} Γ(k₂/k₁ + 1) − 1
    ("weibull", Weibull(l1, k1), Weibull(l2, k2),
     lambda l1, k1, l2, k2, **_: (mp.log(k1 / l1**k1) - mp.log(k2 / l2**k2) + (k1 - k2) * (mp.log(l1) - EG / k1)
                                  + (l1 / l2) ** k2 * mp.gamma(k2 / k1 + 1) - 1)),
    # half-normal = |N(0, σ²)|: folding is a sufficient statistic of the two zero-mean normals, so the KL is
    # the normal one at μ = 0 (Penny 2001, eq. (2) with d = 1): log(σ₂/σ₁) + σ₁²/(2σ₂²) − ½
    ("half_normal", HalfNormal(s1), HalfNormal(s2),
     lambda s1, s2, **_: mp.log(s2 / s1) + s1**2 / (2 * s2**2) - mp.mpf(1) / 2),
    # inverse gamma: KL is invariant under the bijection x ↦ 1/x, and 1/X ~ Gamma(α, rate β): Penny's Gamma KL
    ("inverse_gamma", InverseGamma(a1, b1), InverseGamma(a2, b2),
     lambda a1, b1, a2, b2, **_: _kl_gamma_penny(a1, b1, a2, b2)),
]


@pytest.mark.parametrize("label, P, Q, published", [pytest.param(*e, id=e[0]) for e in KLS])
def test_kl_against_published(label, P, Q, published):
    d = sc.kl(P, Q)
    assert not d.result.has(sp.Integral), f"KL({P!r} ‖ {Q!r}) kept as an integral: {d.result}"
    for values in POINTS:
        _agree(d.result, published, values, f"KL({P!r} ‖ {Q!r})")


# -- cross-family pairs ----------------------------------------------------------------------------------
def _torch(D, values):
    torch = pytest.importorskip("torch")
    cls = getattr(torch.distributions, type(D).__name__)
    names = {"mu": "loc", "sigma": "scale"}  # the seed catalog's Normal(mu, sigma) is torch's Normal(loc, scale)
    args = {names.get(k, k): torch.tensor(float(oracles.value(v, values)), dtype=torch.float64)
            for k, v in D.parameters.items()}
    return cls(**args, validate_args=False)


TORCH_PAIRS = [  # registered in torch/distributions/kl.py (Chi2 pairs through Chi2's base class Gamma)
    ("exponential|gamma", Exponential(l1), Gamma(a2, b2)),
    ("gamma|exponential", Gamma(a1, b1), Exponential(l2)),
    ("chi2|gamma", Chi2(k1), Gamma(a2, b2)),
    ("gamma|chi2", Gamma(a1, b1), Chi2(k2)),
    ("chi2|exponential", Chi2(k1), Exponential(l2)),
    ("exponential|chi2", Exponential(l1), Chi2(k2)),
    ("exponential|normal", Exponential(l1), sc.Normal(m2, s2)),
]


@pytest.mark.parametrize("label, P, Q", [pytest.param(*e, id=e[0]) for e in TORCH_PAIRS])
def test_cross_family_kl_agrees_with_torch(label, P, Q):
    torch = pytest.importorskip("torch")
    d = sc.kl(P, Q)
    assert not d.result.has(sp.Integral, sp.Piecewise), d.result
    for values in POINTS:
        want = float(torch.distributions.kl_divergence(_torch(P, values), _torch(Q, values)))
        got = float(oracles.value(d.result, values))
        assert abs(got - want) <= 1e-9 * max(1.0, abs(want)), f"KL({P!r} ‖ {Q!r}) at {values}: {got} vs torch {want}"


def test_weibull_gamma_against_published_and_definition():
    # M. Zhang, B. Chen, D. Guo & M. Zhou (2018), "WHAI: Weibull hybrid autoencoding inference for deep topic
    # modeling", ICLR, eq. (7) (registered in TFP as weibull._kl_weibull_gamma):
    #   KL(Weibull(k, λ) ‖ Gamma(α, β)) = γα/k − α log λ + log k + βλΓ(1 + 1/k) − γ − 1 − α log β + log Γ(α)
    P, Q = Weibull(l1, k1), Gamma(a2, b2)
    d = sc.kl(P, Q)

    def published(l1, k1, a2, b2, **_):
        return (EG * a2 / k1 - a2 * mp.log(l1) + mp.log(k1) + b2 * l1 * mp.gamma(1 + 1 / k1) - EG - 1
                - a2 * mp.log(b2) + mp.loggamma(a2))
    for values in POINTS:
        _agree(d.result, published, values, "KL(Weibull ‖ Gamma)")
    values = POINTS[1]  # k > 1: p is smooth at 0, Gauss–Legendre converges
    assert oracles.digits_agree(oracles.value(d.result, values), oracle(oracles.kl, P, Q, values, dps=30)) >= 20


SAME_LAW = [  # one law written in two families: KL must be exactly 0
    (Exponential(l1), Gamma(1, l1)),
    (Gamma(1, l1), Exponential(l1)),
    (Exponential(l1), Weibull(1 / l1, 1)),
    (Rayleigh(s1), Weibull(sp.sqrt(2) * s1, 2)),
    (Weibull(sp.sqrt(2) * s1, 2), Rayleigh(s1)),
    (Chi2(k1), Gamma(k1 / 2, R(1, 2))),
    (Gamma(k1 / 2, R(1, 2)), Chi2(k1)),
    (Chi2(2), Exponential(R(1, 2))),
]


@pytest.mark.parametrize("P, Q", [pytest.param(P, Q, id=f"{type(P).__name__}|{type(Q).__name__}") for P, Q in SAME_LAW])
def test_same_law_in_two_families_has_kl_zero(P, Q):
    r = sc.kl(P, Q).result
    assert sp.simplify(r) == 0, f"KL({P!r} ‖ {Q!r}) = {r}"


# every ordered pair of distinct families of the group: derived in time, and equal to the definition
GROUP = {"exponential": Exponential(l1), "gamma": Gamma(a1, b1), "chi2": Chi2(k1), "inverse_gamma": InverseGamma(a1, b1),
         "log_normal": LogNormal(m1, s1), "half_normal": HalfNormal(s1), "rayleigh": Rayleigh(s1),
         "weibull": Weibull(l1, k1)}
GROUP_Q = {"exponential": Exponential(l2), "gamma": Gamma(a2, b2), "chi2": Chi2(k2), "inverse_gamma": InverseGamma(a2, b2),
           "log_normal": LogNormal(m2, s2), "half_normal": HalfNormal(s2), "rayleigh": Rayleigh(s2),
           "weibull": Weibull(l2, k2)}
CROSS = [pytest.param(p, q, id=f"{p}|{q}") for p in GROUP for q in GROUP_Q if p != q]


@pytest.mark.parametrize("p, q", CROSS)
def test_cross_family_kl_derives_in_time_and_matches_definition(p, q):
    P, Q = GROUP[p], GROUP_Q[q]
    limit = sc.get_time_limit()
    sc.set_time_limit(10)
    try:
        started = time.process_time()
        d = sc.kl(P, Q)
        spent = time.process_time() - started
    except DerivationTimeoutError as e:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"KL({P!r} ‖ {Q!r}) ran past 10 s: {e}")
    finally:
        sc.set_time_limit(limit)
    assert spent < 10
    assert not d.result.has(sp.Integral), f"KL({P!r} ‖ {Q!r}) kept as an integral: {d.result}"
    assert sc.kl_decomposition(P, Q).status == "proved"  # KL = H(P, Q) − H(P), across families too
    if d.result == sp.oo:
        # E_P[1/X] = ∫ p(x)/x dx diverges at 0 when p(0) > 0 (Exponential, half-normal): Q = inverse gamma
        assert q == "inverse_gamma" and p in ("exponential", "half_normal"), f"KL({P!r} ‖ {Q!r}) = +∞"
        return
    values = POINTS[1]  # P smooth at 0 (shapes > 2) and light-tailed enough for quadrature at 30 digits
    got = oracles.value(d.result, values)
    want = oracle(oracles.kl, P, Q, values, dps=30)
    assert oracles.digits_agree(got, want) >= 20, f"KL({P!r} ‖ {Q!r}) at {values}: {got} vs definition {want}"


def test_a_moment_that_diverges_for_some_shapes_is_a_piecewise_with_infinity():
    # E[X] under InverseGamma(α, β) is β/(α − 1) for α > 1 and +∞ for α ≤ 1: KL(InvGamma ‖ Exponential) says so
    P, Q = InverseGamma(a1, b1), Exponential(l2)
    r = sc.kl(P, Q).result
    assert r.has(sp.Piecewise)
    assert oracles.value(r, {a1: R(7, 10), b1: R(3, 2), l2: R(1, 3)}) == mpmath.inf
    assert oracles.value(r, {a1: 1, b1: R(3, 2), l2: R(1, 3)}) == mpmath.inf
    values = {a1: R(41, 10), b1: R(3, 2), l2: R(1, 3)}
    assert oracles.digits_agree(oracles.value(r, values), oracles.kl(P, Q, values, dps=30)) >= 20


@pytest.mark.parametrize("backend", ["numpy", "math", "torch"])
def test_results_lambdify(backend):
    # every entropy and same-family KL above, and a Piecewise with a +∞ branch, as float64 code
    if backend == "torch":
        torch = pytest.importorskip("torch")
    cases = [sc.entropy(P) for _, P, _ in ENTROPIES] + [sc.kl(P, Q) for _, P, Q, _ in KLS]
    cases.append(sc.kl(InverseGamma(a1, b1), Exponential(l2)))
    for values in (POINTS[1], {**POINTS[1], a1: R(7, 10)}):
        for d in cases:
            f = sc.lambdify(d, backend=backend)
            args = [float(values[s]) for s in f.args]
            got = float(f(*[torch.tensor(v, dtype=torch.float64) for v in args]) if backend == "torch" else f(*args))
            want = float(oracles.value(d.result, values))
            assert got == want or abs(got - want) <= 1e-12 * max(1.0, abs(want)), (d.result, values, got, want)


@pytest.mark.parametrize("p", list(GROUP))
def test_kl_against_a_normal(p):
    # KL(P ‖ N(m, s²)) needs E_P[(X − m)²]: a polynomial whose moments may diverge (inverse gamma: E[X²] = +∞
    # for α ≤ 2, and then the whole expectation is +∞, never ∞ − ∞); the other way round the supports decide +∞
    P, N = GROUP[p], sc.Normal(m2, s2)
    d = sc.kl(P, N)
    assert not d.result.has(sp.Integral), d.result
    values = POINTS[1]
    want = oracle(oracles.kl, P, N, values, dps=30)
    assert oracles.digits_agree(oracles.value(d.result, values), want) >= 20
    if p == "inverse_gamma":
        assert oracles.value(d.result, {**values, a1: R(3, 2)}) == mpmath.inf
    back = sc.kl(N, P)
    assert back.result == sp.oo and "not absolutely continuous" in back.infinite_reason
