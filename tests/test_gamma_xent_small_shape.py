"""The Gamma, inverse-gamma and χ² cross-entropies where Q's shape α₂ is small (issue 11). Stirling's split
with Binet's μ left μ(α₂) ≈ −½ log α₂ outside the log sum, against its −½ log α₂: CE(Gamma) was 70 ULP at
α₂ = 2.4e-240 (551 against −3.86) and 23 ULP at α₂ = 0.052. The split now takes ν(α₂) = μ(α₂) − ½ log(1 + 1/α₂)
(lgamma_balanced, bounded). References: the closed forms from the textbook moments E_P[X] = α₁/β₁,
E_P[log X] = ψ(α₁) − log β₁ of Gamma(α₁, β₁) (Penny 2001; Gil, Alajaji & Linder 2013), E_P[1/X] = α₁/β₁,
E_P[log X] = log β₁ − ψ(α₁) of InverseGamma(α₁, β₁), χ²(k) = Gamma(k/2, ½), in mpmath at 60 digits from the
exact float inputs; ν's kernel against its definition."""

import random

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy.special import gammaln

import symce as sc
from symce.numeric.impl.gamma_kernels import lgamma_balanced
from symce.numeric.rewrite import stabilise

A1, B1, A2, B2 = sp.symbols("alpha1 beta1 alpha2 beta2", positive=True)
K1, K2 = sp.symbols("k1 k2", positive=True)


def gamma_ce(a1, b1, a2, b2):
    with mpmath.workdps(60):
        a1, b1, a2, b2 = (mpmath.mpf(v) for v in (a1, b1, a2, b2))
        return (-a2 * mpmath.log(b2) + mpmath.loggamma(a2) - (a2 - 1) * (mpmath.digamma(a1) - mpmath.log(b1))
                + a1 * b2 / b1)


def inverse_gamma_ce(a1, b1, a2, b2):
    with mpmath.workdps(60):
        a1, b1, a2, b2 = (mpmath.mpf(v) for v in (a1, b1, a2, b2))
        return (-a2 * mpmath.log(b2) + mpmath.loggamma(a2) + (a2 + 1) * (mpmath.log(b1) - mpmath.digamma(a1))
                + b2 * a1 / b1)


def chi2_ce(k1, k2):
    return gamma_ce(mpmath.mpf(k1) / 2, 0.5, mpmath.mpf(k2) / 2, 0.5)


def _sample(n, seed):
    rng = random.Random(seed)
    return [(10 ** rng.uniform(-2, 3), 10 ** rng.uniform(-3, 3), 10 ** rng.uniform(-300, 0), 10 ** rng.uniform(-3, 3))
            for _ in range(n)]


# the worst point and its typical one; then α₂ from 5e-324 to 1
GAMMA = [(4.7795522653431513e+27, 9.531653027668502e+268, 2.391538062578725e-240, 1.574956178880061e-229),
         (15.53364924423909, 403.4130366678853, 0.05222722680220386, 0.0044245309691276205),
         (2.0, 1.0, 5e-324, 3.0), (0.7, 2.0, 0.3, 0.5), (3.0, 1.5, 0.9999999999999999, 1.0)] + _sample(8, 5)
INVERSE = [(3.0, 2.0, 1e-200, 0.5), (15.5, 403.4, 0.0522, 0.0044), (0.7, 2.0, 0.3, 0.5)] + _sample(4, 6)
CHI2 = [(3.0, 1e-250), (31.0, 0.1044), (1.5, 0.6)]


def ulps(got, want):
    return abs(float(got) - float(want)) / np.spacing(abs(float(want)))


@pytest.fixture(scope="module")
def derivations():
    return {"gamma": sc.cross_entropy(sc.Gamma(A1, B1), sc.Gamma(A2, B2)),
            "inverse": sc.cross_entropy(sc.InverseGamma(A1, B1), sc.InverseGamma(A2, B2)),
            "chi2": sc.cross_entropy(sc.Chi2(K1), sc.Chi2(K2))}


def test_the_split_is_proved(derivations):
    for d in derivations.values():
        steps = stabilise(d.result).steps
        assert any(s.rule.startswith("cross-entropy split") for s in steps)
        assert all(s.status == "proved" for s in steps)


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_gamma_small_shape(derivations, backend):
    f = sc.lambdify(derivations["gamma"], backend=backend)
    for p in GAMMA:
        assert ulps(f(*p), gamma_ce(*p)) <= 4, p


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_inverse_gamma_and_chi2_small_shape(derivations, backend):
    f = sc.lambdify(derivations["inverse"], backend=backend)
    for p in INVERSE:
        assert ulps(f(*p), inverse_gamma_ce(*p)) <= 4, p
    g = sc.lambdify(derivations["chi2"], backend=backend)
    for p in CHI2:
        assert ulps(g(*p), chi2_ce(*p)) <= 4, p


def test_gamma_small_shape_torch(derivations):
    torch = pytest.importorskip("torch")
    f = sc.lambdify(derivations["gamma"], backend="torch")
    got = f(*(torch.tensor([p[i] for p in GAMMA], dtype=torch.float64) for i in range(4)))
    assert max(ulps(g, gamma_ce(*p)) for g, p in zip(got, GAMMA)) <= 4


def test_balanced_remainder_kernel():
    """ν(x) = log Γ(x) − (x − 1) log x − ½ log(1 + x) + x − ½ log 2π: below 1 to 2.5ε absolute (it lies in
    (−0.92, −0.26) there), from 1 on to 4 ULP (μ(x) − ½ log1p(1/x) does not cancel)."""
    xs = [5e-324, 1e-300, 1e-20, 1e-3, 0.3, 0.5, 0.999, 1.0, 1.001, 2.5, 40.0, 1e8, 1e300]
    got = lgamma_balanced(np.array(xs), loggamma=gammaln)
    for x, g in zip(xs, got):
        # the definition's terms cancel to ν ≈ −5/(12x): digits for x log x beyond ν's own
        with mpmath.workdps(40 + 2 * max(0, int(mpmath.log10(x)))):
            x = mpmath.mpf(x)
            want = (mpmath.loggamma(x) - (x - 1) * mpmath.log(x) - mpmath.log1p(x) / 2 + x
                    - mpmath.log(2 * mpmath.pi) / 2)
        if x < 1:
            assert abs(g - want) <= 2.5 * 2.0 ** -53, (x, g, want)
        else:
            assert ulps(g, want) <= 4, (x, g, want)
