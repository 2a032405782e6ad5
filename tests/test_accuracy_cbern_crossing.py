"""The ContinuousBernoulli cross-entropy where it crosses 0 and the KL at the points where the float forms lost
4–700 ulp, against references that do not use the code under test:

* the definition by mpmath quadrature, H(P, Q) = −∫₀¹ p(x) log q(x) dx with p(x) = C(λ)λˣ(1 − λ)¹⁻ˣ,
  C(λ) = 2 artanh(1 − 2λ)/(1 − 2λ) (Loaiza-Ganem & Cunningham 2019, "The continuous Bernoulli", NeurIPS, eq. 3);
* their closed form −log C(λ₂) − E_P[X]·logit λ₂ − log(1 − λ₂), E[X] = λ/(2λ − 1) + 1/(2 artanh(1 − 2λ)), at
  400 bits (KL = H(P, Q) − H(P, P)).

The entropy is −H(P, P) of the same parts. The cross-entropy is 0 on a curve where its parts log(sinh h₂/h₂) and h₂·(coth h₁ − 1/h₁) (h = artanh(2λ − 1))
cancel to any degree; the kernels take them as double-doubles there (symce/numeric/impl/cbern_dd.py).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.families.continuous_bernoulli import ContinuousBernoulli
from symce.numeric.impl import cbern_dd

l1, l2 = sp.Symbol("l1", positive=True), sp.Symbol("l2", positive=True)
P, Q = ContinuousBernoulli(l1), ContinuousBernoulli(l2)

# (λ₁, λ₂): the cross-entropy near its zero curve (696, 71, 105, 41 ulp before), A(η₂)'s logarithms cancelling
# (λ₂ = 0.487: 9 ulp), the KL near P = Q and far apart (4–6 ulp before)
CROSSING = [(1.0810341250853158e-17, 2.1101054792454402e-91), (0.6602949640535912, 0.7968383039640745),
            (8.028181318269097e-43, 7.5098371256733826e-270), (0.25, 0.1), (3.14518478952214e-275, 0.48656348848082853)]
KL_POINTS = [(0.3166534723645478, 0.3403186693924956), (0.3310706090799339, 0.13363884794168818),
             (1.2201124858128872e-132, 1.5015315864973274e-171), (0.9999999989392873, 0.9999999999999999),
             (0.6602949640535912, 0.7968383039640745)]


@pytest.fixture(scope="module")
def derived():
    return {"CE": sc.cross_entropy(P, Q), "KL": sc.kl(P, Q)}


def _two_atanh(lam):
    t = 1 - 2 * lam
    return 2 * mpmath.atanh(t) if abs(t) <= 0.5 else mpmath.log1p(-lam) - mpmath.log(lam)


def _log_density(lam, x):
    t = 1 - 2 * lam
    log_c = mpmath.log(2) if t == 0 else mpmath.log(_two_atanh(lam) / t)
    return log_c + x * mpmath.log(lam) + (1 - x) * mpmath.log1p(-lam)


def _xent_quad(a, b):
    """−∫₀¹ p_a log p_b by tanh-sinh quadrature at 45 digits (the parts are ≤ 10³ and cancel to ≥ 10⁻³)."""
    with mpmath.workdps(45):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        return -mpmath.quad(lambda x: mpmath.exp(_log_density(a, x)) * _log_density(b, x), [0, 1])


def _xent_published(a, b):
    with mpmath.workprec(400):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        t = 1 - 2 * b
        log_c = mpmath.log(2) if t == 0 else mpmath.log(_two_atanh(b) / t)
        mean = mpmath.mpf(0.5) if a == 0.5 else a / (2 * a - 1) + 1 / _two_atanh(a)
        logit = 0 if b == 0.5 else mpmath.log(b) - mpmath.log1p(-b)
        return -log_c - mean * logit - mpmath.log1p(-b)


def _ulps(got, exact):
    return float(abs(mpmath.mpf(float(got)) - exact) / np.spacing(abs(float(exact))))


def _call(f, backend, a, b):
    if backend == "torch":
        torch = pytest.importorskip("torch")
        return float(f(torch.tensor([a], dtype=torch.float64), torch.tensor([b], dtype=torch.float64))[0])
    return float(f(a, b))


@pytest.mark.parametrize("backend", ["numpy", "math", "mpmath", "torch"])
def test_cross_entropy_at_its_zero_curve(derived, backend):
    f = sc.lambdify(derived["CE"], [l1, l2], backend=backend)
    for a, b in CROSSING:
        exact = _xent_published(a, b)
        assert _ulps(_call(f, backend, a, b), exact) <= 1, (a, b, _call(f, backend, a, b), exact)


def test_the_published_reference_is_the_definition():
    # the oracle itself against quadrature of the density at the former worst points (value ~1e-3 from parts ~100)
    for a, b in CROSSING[:2]:
        assert abs(_xent_quad(a, b) - _xent_published(a, b)) <= 1e-30


@pytest.mark.parametrize("backend", ["numpy", "math", "torch"])
def test_kl_at_the_former_worst_points(derived, backend):
    f = sc.lambdify(derived["KL"], [l1, l2], backend=backend)
    for a, b in KL_POINTS:
        exact = _xent_published(a, b) - _xent_published(a, a)
        assert _ulps(_call(f, backend, a, b), exact) <= 1, (a, b)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_kl_near_p_equals_q_keeps_its_relative_accuracy(derived, backend):
    # below 2⁻⁴⁴ of its parts the KL is δ²∫(1 − s)L′(h₁ + sδ)ds in double-double, δ = h₂ − h₁ from λ₂ − λ₁ (the
    # float Gauss–Legendre lost up to 4.5 ulp there; the parts' difference would lose every bit)
    f = sc.lambdify(derived["KL"], [l1, l2], backend=backend)
    for a in (0.3, 1e-8, 0.999, 1e-200):
        for rel in (1e-6, 1e-11, 1e-15):
            b = a * (1 + rel)
            exact = _xent_published(a, b) - _xent_published(a, a)
            assert _ulps(_call(f, backend, a, b), exact) <= 0.5 + 1e-6, (a, b)


def test_entropy_is_rounded_once():
    # −H = h·L(h) − G(h) in double-double (numpy): near ½ both parts ~h², far from it ~|h|; the float series and
    # tail forms left up to 4 units
    f = sc.lambdify(sc.entropy(P), [l1])
    assert f(0.5) == 0.0
    for lam in (0.5 + 2**-52, 0.5 - 2**-54, 0.5 + 1e-9, 0.05, 1e-300, 5e-324, 1 - 2**-53, 0.3, 0.9060183710507127):
        assert _ulps(f(lam), _xent_published(lam, lam)) <= 0.5 + 1e-6, lam


def test_double_double_pieces_against_mpmath():
    with mpmath.workprec(300):
        for v in (5e-324, 1e-300, 0.3, 0.999, 1.0000001, 2.0, 1e300):
            h, lo = cbern_dd.log_dd(np.array([v]), np.array([0.0]))
            assert abs(mpmath.mpf(h[0]) + lo[0] - mpmath.log(v)) <= 2.0**-95 * max(1, abs(mpmath.log(v)))
        for v in (-600.0, -2.0, -0.3, 1e-20, 3.7, 700.0):  # (below e^{−700} the low part is subnormal)
            h, lo = cbern_dd.exp_dd(np.array([v]), np.array([0.0]))
            assert abs((mpmath.mpf(h[0]) + lo[0]) / mpmath.exp(v) - 1) <= 2.0**-95
