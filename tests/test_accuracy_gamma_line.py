"""Accuracy of the Gamma, inverse-gamma, χ², Gumbel and Weibull formulas at the points where the generated code
failed before (issue 11, "Numbers": ≤ 16 ULP with special functions, no spurious NaN/inf): each derived
formula through ``symce.lambdify`` (numpy and math backends) against the textbook formula evaluated by mpmath
at 60 digits from the exact float inputs.

The textbook formulas (independent of the derivation and of the stabilising rewrite), from the moments
E[X] = α/β, E[log X] = ψ(α) − log β of Gamma(α, β) and E[1/X] = α/β, E[log X] = log β − ψ(α) of
InverseGamma(α, β) (e.g. Johnson, Kotz & Balakrishnan, *Continuous Univariate Distributions* 1, ch. 17):

* CE(Gamma₁ ‖ Gamma₂) = −α₂ log β₂ + log Γ(α₂) − (α₂ − 1)(ψ(α₁) − log β₁) + β₂α₁/β₁;
* CE(InvGamma₁ ‖ InvGamma₂) = −α₂ log β₂ + log Γ(α₂) + (α₂ + 1)(log β₁ − ψ(α₁)) + β₂α₁/β₁;
* χ²(k) = Gamma(k/2, ½): CE(χ²₁ ‖ χ²₂) and H(χ²) = CE(χ² ‖ χ²) from the Gamma formula;
* KL(Gumbel₁ ‖ Gumbel₂) = log(β₂/β₁) + γ(β₁/β₂ − 1) + e^{(μ₂ − μ₁)/β₂} Γ(β₁/β₂ + 1) − 1 − (μ₂ − μ₁)/β₂;
* KL(Weibull₁ ‖ Weibull₂) = log(k₁/k₂) + k₂ log(λ₂/λ₁) + (λ₁/λ₂)^{k₂} Γ(1 + k₂/k₁) − 1 − γ + γk₂/k₁
  (Bauckhage 2013, "Computing the Kullback–Leibler divergence between two Weibull distributions").

The Gamma cross-entropy formula itself is checked against mpmath quadrature of −∫ p log q.
"""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.engine.information import cross_entropy, entropy, kl
from symce.numeric.impl.gamma_excess import excess_from_ratio
from symce.numeric.impl.gamma_kernels import lgamma_stirling, wdigamma_stirling
from symce.numeric.rewrite import stabilise
from symce.numeric.verify import ulp_distance

BACKENDS = ["numpy", "math"]


def _mp(*xs):
    return [mpmath.mpf(float(x)) for x in xs]


def _gamma_ce(a1, a2, b1, b2):
    a1, a2, b1, b2 = _mp(a1, a2, b1, b2)
    return -a2 * mpmath.log(b2) + mpmath.loggamma(a2) - (a2 - 1) * (mpmath.digamma(a1) - mpmath.log(b1)) + b2 * a1 / b1


def _inverse_gamma_ce(a1, a2, b1, b2):
    a1, a2, b1, b2 = _mp(a1, a2, b1, b2)
    return -a2 * mpmath.log(b2) + mpmath.loggamma(a2) + (a2 + 1) * (mpmath.log(b1) - mpmath.digamma(a1)) + b2 * a1 / b1


def _chi2_ce(k1, k2):
    k1, k2 = _mp(k1, k2)
    half = mpmath.mpf(1) / 2
    return _gamma_ce_mp(k1 / 2, k2 / 2, half, half)


def _gamma_ce_mp(a1, a2, b1, b2):
    return -a2 * mpmath.log(b2) + mpmath.loggamma(a2) - (a2 - 1) * (mpmath.digamma(a1) - mpmath.log(b1)) + b2 * a1 / b1


def _chi2_h(k):
    return _chi2_ce(k, k)


def _gumbel_kl(b1, b2, m1, m2):
    b1, b2, m1, m2 = _mp(b1, b2, m1, m2)
    t = (m2 - m1) / b2
    return mpmath.log(b2 / b1) + mpmath.euler * (b1 / b2 - 1) + mpmath.exp(t) * mpmath.gamma(b1 / b2 + 1) - 1 - t


def _weibull_kl(k1, k2, l1, l2):
    k1, k2, l1, l2 = _mp(k1, k2, l1, l2)
    return (mpmath.log(k1 / k2) + k2 * mpmath.log(l2 / l1) + (l1 / l2) ** k2 * mpmath.gamma(1 + k2 / k1) - 1
            - mpmath.euler + mpmath.euler * k2 / k1)


def _gumbel_ce(b1, b2, m1, m2):
    """−E_P[log q]: E_P[(X − μ₂)/β₂] = (μ₁ + γβ₁ − μ₂)/β₂, E_P[e^{−(X − μ₂)/β₂}] = e^{(μ₂ − μ₁)/β₂}Γ(1 + β₁/β₂)."""
    b1, b2, m1, m2 = _mp(b1, b2, m1, m2)
    t = (m2 - m1) / b2
    return mpmath.log(b2) + (mpmath.euler * b1 - (m2 - m1)) / b2 + mpmath.exp(t) * mpmath.gamma(b1 / b2 + 1)


def _weibull_ce(k1, k2, l1, l2):
    """−E_P[log q]: E_P[log X] = log λ₁ − γ/k₁, E_P[X^{k₂}] = λ₁^{k₂}Γ(1 + k₂/k₁)."""
    k1, k2, l1, l2 = _mp(k1, k2, l1, l2)
    return (-mpmath.log(k2) + k2 * mpmath.log(l2) - (k2 - 1) * (mpmath.log(l1) - mpmath.euler / k1)
            + (l1 / l2) ** k2 * mpmath.gamma(1 + k2 / k1))


def _syms(names):
    return sp.symbols(names, positive=True)


def _real(names):
    return sp.symbols(names, real=True)


def _ce_gamma():
    return cross_entropy(sc.Gamma(*_syms("alpha1 beta1")), sc.Gamma(*_syms("alpha2 beta2")))


def _ce_inverse_gamma():
    return cross_entropy(sc.InverseGamma(*_syms("alpha1 beta1")), sc.InverseGamma(*_syms("alpha2 beta2")))


def _ce_chi2():
    return cross_entropy(sc.Chi2(sp.Symbol("k1", positive=True)),
                         sc.Chi2(sp.Symbol("k2", positive=True)))


def _kl_gumbel():
    m1, m2 = _real("mu1 mu2")
    b1, b2 = _syms("beta1 beta2")
    return kl(sc.Gumbel(m1, b1), sc.Gumbel(m2, b2))


def _kl_weibull():
    return kl(sc.Weibull(*_syms("lambda1 k1")), sc.Weibull(*_syms("lambda2 k2")))


def _ce_gumbel():
    m1, m2 = _real("mu1 mu2")
    b1, b2 = _syms("beta1 beta2")
    return cross_entropy(sc.Gumbel(m1, b1), sc.Gumbel(m2, b2))


def _ce_weibull():
    return cross_entropy(sc.Weibull(*_syms("lambda1 k1")), sc.Weibull(*_syms("lambda2 k2")))


# (name, derivation, argument order of the reference, points, reference, max ULP): the points are the worst
# inputs of the accuracy section before the rules of this file's commits (ULP then in the comment)
CASES = [
    ("CE(gamma)", _ce_gamma, "alpha1 alpha2 beta1 beta2", [
        (1e17, 1.0000000000010002e17, 1e-300, 1e-300),  # 0 for 711.8
        (416.1285177082547, 165.69996129905746, 708.450818999952, 274.20350893952025),  # 1005 ULP
        (1e6, 1e6, 1e3, 1e3),                       # α log α terms cancel to ½ log α
        (465.8881145753895, 470.0, 85.87152961319265, 86.0),
        (1e-300, 0.9999999999999999, 745.0, 1.0),   # (1 − α₂)ψ(α₁) ≈ −1.1·10²⁸⁴
        (1e-17, 1.0000000000000002, 1e-08, 1e17),
        (0.02992693687674634, 0.06156026370191107, 0.45390959937115777, 424.73118404309344),
        (5e-324, 0.9999999999999999, 0.5, 1.7976931348623155e308),  # e·μ′(α₁): μ′ ≈ −1e323 overflowed, −∞
        (1e-309, 1.1, 2.0, 0.5),                                     # −0.1·ψ(1e-309) ≈ 1e308, μ′ overflowed
        (2.0, 1.0000000000000002, 1.7976931348623155e308, 0.5),     # kl_div's ±708 apart from the log sum: 890 ULP
        (0.5, 0.4999999999995, 1.7976931348623157e308, 1e-300),     # 115 ULP
    ], _gamma_ce, 16),
    ("CE(inverse-gamma)", _ce_inverse_gamma, "alpha1 alpha2 beta1 beta2", [
        (1e17, 1.0000000000010002e17, 1e-300, 1e-300),  # 0 for −748.1
        (1e17, 38.0, 1e17, 37.0),                   # 674 ULP
        (310.88630039077015, 89.50104101884735, 954.7487065509937, 284.57371536497544),
        (1e6, 1e6, 1e-3, 1e-3),
    ], _inverse_gamma_ce, 16),
    ("CE(chi2)", _ce_chi2, "k1 k2", [
        (1e17, 1e17),                               # 0 for 21.3
        (856.9965806502446, 787.969369481188),      # 421 ULP
        (709.78, 709.7800000000001),                # 232 ULP
        (1e-08, 2.0),
        (0.3894368956553266, 0.018714696420983404),
        (1e6, 1e6 + 2.0),
        (30.0, 1e300),
    ], _chi2_ce, 16),
    ("KL(gumbel)", _kl_gumbel, "beta1 beta2 mu1 mu2", [
        (176.52948344513266, 1.1135424479789537, 29.199153714073944, -2.457885370835541),  # 1086 ULP
        (29.359811263334407, 0.46130545742384566, 43.08155164889787, -17.711297289981616),  # 555
        (1e17, 9.99999e16, 1.0, 37.0),                                                        # 1.9·10⁵
        (1e300, 1.000001e300, -709.78, 33.0),                                                 # 1.2·10⁵
        (1e300, 1.000000000001e300, 38.0, 800.0),                                             # 6.8·10¹⁰
        (279.2341343176356, 277.7478328620569, 3.9405087027585637, 16.19827362011793),
    ], _gumbel_kl, 4),
    ("KL(weibull)", _kl_weibull, "k1 k2 lambda1 lambda2", [
        (633.5612256267951, 975.307097797648, 436.0056560845989, 345.32109657155604),  # 3109 ULP
        (36.0, 710.0, 1e-08, 1.0000000000000002e-08),                                  # 2·10⁴
        (30.0, 800.0, 2.2250738585072014e-308, 2.225073858504976e-308),                # 1.2·10⁵
        (1e-08, 9.999999999999999e-09, 800.0, 40.0),                                   # 2.1·10⁷
        (1e-17, 9.999999999990001e-18, 710.0, 709.78),                                 # 7.4·10¹⁰
        (2.2250738585072014e-308, 2.225073858507202e-308, 800.0, 1e-08),               # 8·10¹⁴
        (0.9999999999999999, 1.0009999999999997, 36.0, 33.0),
    ], _weibull_kl, 4),
    # the cross-entropies' log β₁ (log k₁) of the entropy part with the KL's kl_div(1, β₁/β₂): ≈ ±744 apart
    ("CE(gumbel)", _ce_gumbel, "beta1 beta2 mu1 mu2", [
        (5e-324, 0.9999999999999999, -1.7976931348623157e308, -1.7976931348623157e308),  # 492 ULP
        (5e-324, 800.0, -33.0, 2.2250738585072014e-308),                                  # 151 ULP
        (459.93963078299, 672.5137378104876, -1.7663235018991854e-52, 4.532948146419388e-265),
        (1.0, 1.0, 0.0, 0.0),
    ], _gumbel_ce, 16),
    ("CE(weibull)", _ce_weibull, "k1 k2 lambda1 lambda2", [
        (1.015535803553164, 501.64679767795906, 0.0033269850923736445, 989.5666406250822),
        (0.1, 0.5, 2.0, 3.0),
        (1e17, 1e-300, 1e-300, 1.0000000000010002e-300),  # log λ₁ − log k₂ ≈ ±691 for CE = 1: 42 ULP
        (2.0, 3.0, 1.5, 0.7),
    ], _weibull_ce, 16),
]


def _value(f, backend, args):
    return float(f(*args))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_formula_at_its_former_worst_points(case, backend):
    name, build, order, points, reference, bound = case
    d = build()
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    f = sc.lambdify(d, args, backend=backend)
    pos = [a.name for a in args]
    for pt in points:
        named = dict(zip(order.split(), pt))
        with mpmath.workdps(60):
            exact = reference(*pt)
        got = _value(f, backend, [named[p] for p in pos])
        assert math.isfinite(got), (name, backend, pt, got)
        u = ulp_distance(np.float64(got), float(exact))
        assert u <= bound, (name, backend, pt, got, mpmath.nstr(exact, 20), u)


def test_gamma_cross_entropy_reference_against_quadrature():
    """The textbook Gamma cross-entropy equals −∫ p log q (mpmath quadrature) at a moderate point."""
    a1, a2, b1, b2 = 2.5, 3.25, 1.5, 0.75
    with mpmath.workdps(30):
        def integrand(x):
            logp = a1 * mpmath.log(b1) - mpmath.loggamma(a1) + (a1 - 1) * mpmath.log(x) - b1 * x
            logq = a2 * mpmath.log(b2) - mpmath.loggamma(a2) + (a2 - 1) * mpmath.log(x) - b2 * x
            return -mpmath.exp(logp) * logq
        quad = mpmath.quad(integrand, [0, 1, 5, mpmath.inf])
        assert abs(quad - _gamma_ce(a1, a2, b1, b2)) < mpmath.mpf(10) ** -20


@pytest.mark.parametrize("build", [_ce_gamma, _ce_inverse_gamma, _ce_chi2])
def test_cross_entropy_split_is_proved_and_has_no_bare_log_gamma(build):
    s = stabilise(build().result)
    assert s.steps[0].rule.startswith("cross-entropy split") and s.proved, [(st.rule, st.status) for st in s.steps]
    assert not s.expr.has(sp.loggamma, sp.polygamma)


def _chi2_kl(k1, k2):
    k1, k2 = _mp(k1, k2)
    return mpmath.loggamma(k2 / 2) - mpmath.loggamma(k1 / 2) + (k1 - k2) / 2 * mpmath.digamma(k1 / 2)


@pytest.mark.parametrize("k1", [1e-300, 1.0, 710.0, 3e-308, 1e300])
def test_chi2_kl_where_half_of_q_degrees_of_freedom_underflows(k1):
    """k₂ = 5·10⁻³²⁴: k₂/2 = 2⁻¹⁰⁷⁵ rounds to 0, where the KL is finite (52.66 at k₁ = 10⁻³⁰⁰; +∞ before)."""
    a, b = sp.Symbol("k1", positive=True), sp.Symbol("k2", positive=True)
    f = sc.lambdify(kl(sc.Chi2(a), sc.Chi2(b)), [a, b])
    with mpmath.workdps(60):
        exact = _chi2_kl(k1, 5e-324)
    assert ulp_distance(np.float64(f(k1, 5e-324)), float(exact)) <= 16


def test_chi2_entropy_where_half_the_degrees_of_freedom_underflow():
    """k = 5·10⁻³²⁴: k/2 rounds to 0, where H ≈ −2/k is beyond the float range: −∞, not NaN; at k = 10⁻³⁰⁰
    the value itself."""
    k = sp.Symbol("k1", positive=True)
    d = entropy(sc.Chi2(k))
    with mpmath.workdps(60):
        assert _chi2_h(5e-324) < -mpmath.mpf("1.8e308")
        exact = _chi2_h(1e-300)
    for backend in BACKENDS:
        f = sc.lambdify(d, [k], backend=backend)
        assert float(f(5e-324)) == -math.inf
        assert ulp_distance(np.float64(f(1e-300)), float(exact)) <= 4


@pytest.mark.parametrize("build, point, order", [
    (_kl_gumbel, (7.077164737410258e+292, 1.6066157915238602e-260, -6.741439017370414e+151, -7.940611819222138e+228),
     "beta1 beta2 mu1 mu2"),
    (_kl_gumbel, (22.688464067284123, 3.8413874443940375e-240, 6.656947977697537e+80, -3.3507128091708024e+219),
     "beta1 beta2 mu1 mu2"),
    (_kl_weibull, (3.631785737211741e-42, 3.884392724838157e+307, 5.351453898426466e-166, 1.0911744624887475e+267),
     "k1 k2 lambda1 lambda2"),
    # β₁ + β₂ overflows in z = (β₁ + β₂)/β₂: kl_div(∞, 2) was NaN
    (_kl_gumbel, (1.7976931348623155e+308, 1e+300, 1e+17, -1.7976931348623157e+308), "beta1 beta2 mu1 mu2"),
    (_kl_weibull, (1.7976931348623155e+308, 1e+300, 745.0, 37.0), "k1 k2 lambda1 lambda2"),
])
def test_kl_beyond_the_float_range_is_infinite_not_nan(build, point, order):
    """Where the exact KL exceeds the float range (L = ±∞ against log Γ(z) = ∞ in floats) the value is +∞."""
    ref = _gumbel_kl if build is _kl_gumbel else _weibull_kl
    with mpmath.workdps(60):
        assert ref(*point) > mpmath.mpf("1.8e308")
    d = build()
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    named = dict(zip(order.split(), point))
    f = sc.lambdify(d, args)
    assert float(f(*[named[a.name] for a in args])) == math.inf


def test_excess_kernel_against_the_definition():
    """e^s − 1 − s, s = L + log Γ(1 + q/d), from q, d and L: within 2 ULP of the definition at 80 digits over
    q/d from 10⁻⁶ to 10⁶ and |L| ≤ 60 (e^s up to ~10²⁶), and near s = 0."""
    from scipy.special import gammaln

    rng = np.random.default_rng(11)
    q = np.concatenate([10 ** rng.uniform(-3, 3, 150), [1.0000000000000002, 0.9999999999999999, 1.5, 3.0, 7.0]])
    d = np.concatenate([10 ** rng.uniform(-3, 3, 150), np.ones(5)])
    big_l = np.concatenate([rng.uniform(-60, 60, 150), [0.0, 1e-20, 0.0, 0.0, -2.0]])
    got = excess_from_ratio(q, d, big_l, np.zeros_like(big_l), mu=lambda z: lgamma_stirling(z, gammaln))
    for qi, di, li, g in zip(q, d, big_l, got):
        with mpmath.workdps(80):
            s = mpmath.mpf(float(li)) + mpmath.loggamma(1 + mpmath.mpf(float(qi)) / mpmath.mpf(float(di)))
            exact = mpmath.expm1(s) - s
        assert ulp_distance(np.float64(g), float(exact)) <= 2, (qi, di, li, g, mpmath.nstr(exact, 20))


def test_wdigamma_stirling_below_one_against_the_definition():
    """w·(ψ(x) − log x + 1/(2x)) for x < 0.1, where −1/(2x) dominates: within 1 ULP of the definition at 40
    digits (from the float w), as the Gamma CE needs where w·μ′(α₁) ≈ 12.9 cancels to −0.73 (1.5 ULP before:
    24 ULP of the CE once the Stirling split's logarithms are one double-double sum)."""
    from scipy.special import psi

    rng = np.random.default_rng(12)
    x = np.concatenate([10 ** rng.uniform(-300, -1, 40), rng.uniform(0.01, 0.1, 40), [0.02992693687674634]])
    w = np.concatenate([rng.uniform(-3, 3, 80) * 10 ** rng.uniform(-5, 5, 80), [1 - 0.06156026370191107]])
    got = wdigamma_stirling(w, x, psi)
    for wi, xi, g in zip(w, x, got):
        with mpmath.workdps(40):
            xm = mpmath.mpf(float(xi))
            exact = mpmath.mpf(float(wi)) * (mpmath.digamma(xm) - mpmath.log(xm) + 1 / (2 * xm))
        assert ulp_distance(np.float64(g), float(exact)) <= 1, (wi, xi, g, mpmath.nstr(exact, 20))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("point", [(5e-324, 0.9999999999999999, 0.5, 1.7976931348623155e308),
                                   (5e-324, 800.0, 40.0, 30.0)])
def test_weibull_cross_entropy_is_infinite_not_nan_at_the_smallest_shape(point, backend):
    """k₁ = 5e-324: Γ(1 + k₂/k₁) is beyond the float range, so CE = +∞; (k₂ − k₁)/k₁ − γ/k₁ of the former form
    was ∞ − ∞ = NaN, (k₂ − γ)/k₁ is one quotient."""
    with mpmath.workdps(60):
        exact = _weibull_ce(*point)
    assert exact > mpmath.mpf(2) ** 1024
    d = _ce_weibull()
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    named = dict(zip("k1 k2 lambda1 lambda2".split(), point))
    got = float(sc.lambdify(d, args, backend=backend)(*[named[a.name] for a in args]))
    assert got == math.inf


@pytest.mark.parametrize("backend", BACKENDS)
def test_gamma_cross_entropy_infinite_where_w_over_alpha1_overflows(backend):
    """α₁ = 5e-324, α₂ = 1.8e308: (1 − α₂)ψ(α₁) ≈ +3.6e631, CE = +∞; −½(w/α₁) + w(ψ(α₁ + 1) − log α₁) in
    the w·μ′ kernel was ∞ − ∞ = NaN."""
    point = (5e-324, 1.7976931348623155e308, 5e-324, 1e300)
    with mpmath.workdps(60):
        assert _gamma_ce(*point) > mpmath.mpf(2) ** 1024
    d = _ce_gamma()
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    named = dict(zip("alpha1 alpha2 beta1 beta2".split(), point))
    assert float(sc.lambdify(d, args, backend=backend)(*[named[a.name] for a in args])) == math.inf
