"""The ContinuousBernoulli's entropy, cross-entropy and KL as generated float code, against references that do
not use the code under test:

* the definition in mpmath: H(P, Q) = −∫₀¹ p(x) log q(x) dx by quadrature, p(x) = C(λ) λˣ (1 − λ)¹⁻ˣ with
  C(λ) = 2 artanh(1 − 2λ)/(1 − 2λ) (Loaiza-Ganem & Cunningham 2019, "The continuous Bernoulli", NeurIPS, eq. 3);
* their published entropy, their eq. for E[X] = λ/(2λ − 1) + 1/(2 artanh(1 − 2λ)) (the mean) in mpmath at
  raised precision (−H = log C(λ) + E[X] logit λ + log(1 − λ));
* torch.distributions.ContinuousBernoulli float64 entropy and KL away from its own Taylor window (|λ − ½| < 10⁻³).

Near λ = ½ the closed form's terms of size 1 cancel to O((2λ − 1)²) (H = 0 at the uniform density): the stable
forms are −cbern_negentropy(λ), cbern_xent(λ₁, λ₂) and cbern_kl(λ₁, λ₂), and each rewrite step is proved (the
continuous Bernoulli step over λ = u/(1 + u), u > 0, which the condition λ < 1 allows).
"""

from __future__ import annotations

import math
import random

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.families.continuous_bernoulli import ContinuousBernoulli
from symce.numeric.rewrite import stabilise

l1, l2 = sp.Symbol("l1", positive=True), sp.Symbol("l2", positive=True)
P, Q = ContinuousBernoulli(l1), ContinuousBernoulli(l2)
ULP = 2.0**-52


@pytest.fixture(scope="module")
def derived():
    return {"H": sc.entropy(P), "CE": sc.cross_entropy(P, Q), "KL": sc.kl(P, Q)}


def _two_atanh(lam):
    """2 artanh(1 − 2λ) = log((1 − λ)/λ): artanh near λ = ½ (1 − 2λ exact there), the logarithms elsewhere
    (1 − 2λ rounds to 1 for tiny λ at any fixed precision)."""
    t = 1 - 2 * lam
    return 2 * mpmath.atanh(t) if abs(t) <= 0.5 else mpmath.log1p(-lam) - mpmath.log(lam)


def _log_c(lam):
    t = 1 - 2 * lam
    return mpmath.log(2) if t == 0 else mpmath.log(_two_atanh(lam) / t)


def _log_density(lam, x):
    return _log_c(lam) + x * mpmath.log(lam) + (1 - x) * mpmath.log1p(-lam)


def _xent_quad(a, b):
    """−∫₀¹ p_a log p_b by quadrature of the definition (40 digits: the values near ½ are ~1e-20)."""
    with mpmath.workdps(40):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        return -mpmath.quad(lambda x: mpmath.exp(_log_density(a, x)) * _log_density(b, x), [0, 1])


def _xent_published(a, b):
    """−E_a[log p_b] = −log C(b) − E_a[X]·logit b − log(1 − b), E[X] = λ/(2λ − 1) + 1/(2 artanh(1 − 2λ))
    (Loaiza-Ganem & Cunningham 2019), at a precision that covers the cancellation of its terms near λ = ½."""
    with mpmath.workprec(400):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        mean = mpmath.mpf(0.5) if a == 0.5 else a / (2 * a - 1) + 1 / _two_atanh(a)
        logit = 0 if b == 0.5 else mpmath.log(b) - mpmath.log1p(-b)
        return -_log_c(b) - mean * logit - mpmath.log1p(-b)


def _entropy_published(lam):
    return _xent_published(lam, lam)


def _ulps(got, exact):
    exact = mpmath.mpf(exact)
    if exact == 0:
        return 0.0 if got == 0 else math.inf
    return float(abs(mpmath.mpf(got) - exact) / np.spacing(abs(float(exact))))


def test_every_step_is_proved_and_the_stable_forms_are_the_kernels(derived):
    F = sc.numeric.functions
    want = {"H": -F.cbern_negentropy(l1), "CE": F.cbern_xent(l1, l2), "KL": F.cbern_kl(l1, l2)}
    for name, d in derived.items():
        s = stabilise(d.result, assumptions=d.conditions)
        assert s.expr == want[name] and s.proved, (name, str(s))


# λ = ½ ± a few ulps, 1e-9 off, the series/far switch points (t = ½, 0.9), tiny and near-1 λ
HARD = [0.5, 0.5 + 2**-52, 0.5 - 2**-54, 0.5 + 1e-9, 0.25, 0.75, 0.05, 0.95, 1e-300, 1 - 2**-53, 0.3]


def test_entropy_near_and_far_from_one_half(derived):
    f = sc.lambdify(derived["H"], [l1])
    rng = random.Random(11)
    points = HARD + [rng.uniform(0, 1) for _ in range(4)]
    for lam in points:
        exact = _entropy_published(lam)
        got = float(f(lam))
        assert _ulps(got, exact) <= 4, (lam, got, exact)
    # the definition by quadrature at a few points, one of them where the closed form cancels 30 digits
    for lam in (0.5 + 2**-50, 0.3, 0.97):
        assert _ulps(float(f(lam)), _xent_quad(lam, lam)) <= 4, lam


def test_cross_entropy_and_kl_against_the_definition(derived):
    ce = sc.lambdify(derived["CE"], [l1, l2])
    kl = sc.lambdify(derived["KL"], [l1, l2])
    rng = random.Random(5)
    pairs = [(0.5, 0.5 + 1e-9), (0.5 + 2**-40, 0.3), (1 - 2**-53, 0.125), (0.94, 0.28), (0.998, 0.49),
             (1e-17, 0.6), (0.3, 0.3 * (1 + 1e-7))] + [(rng.uniform(0, 1), rng.uniform(0, 1)) for _ in range(3)]
    for a, b in pairs:
        c_ab, c_aa = _xent_quad(a, b), _xent_quad(a, a)
        # the cross-entropy crosses 0 (H(P) + KL(P ‖ Q) = 0 on a curve): error in units of its parts' size,
        # |H(P)| + KL, as the report measures entropies near their zero
        scale = max(abs(c_ab), abs(c_aa) + abs(c_ab - c_aa))
        assert abs(float(ce(a, b)) - c_ab) <= 4 * ULP * scale, (a, b)
        assert _ulps(float(kl(a, b)), c_ab - c_aa) <= 4, (a, b, float(kl(a, b)), c_ab - c_aa)


def test_no_spurious_nan_or_inf_at_the_edges(derived):
    x = np.array([5e-324, 1e-300, 2**-53, 0.5, 1 - 2**-53, 0.9999999999999999])
    X, Y = np.meshgrid(x, x)
    for name, d in derived.items():
        args = [l1] if name == "H" else [l1, l2]
        f = sc.lambdify(d, args)
        got = f(X.ravel()) if name == "H" else f(X.ravel(), Y.ravel())
        assert np.all(np.isfinite(got)), (name, got)


def test_torch_entropy_and_kl_agree_away_from_their_taylor_window(derived):
    torch = pytest.importorskip("torch")
    T = torch.distributions.ContinuousBernoulli
    h, kl = sc.lambdify(derived["H"], [l1]), sc.lambdify(derived["KL"], [l1, l2])
    for a, b in [(0.1, 0.7), (0.3, 0.2), (0.62, 0.9), (0.97, 0.4)]:
        ta, tb = T(probs=torch.tensor(a, dtype=torch.float64)), T(probs=torch.tensor(b, dtype=torch.float64))
        assert float(h(a)) == pytest.approx(float(ta.entropy()), rel=1e-12, abs=1e-15)
        assert float(kl(a, b)) == pytest.approx(float(torch.distributions.kl_divergence(ta, tb)), rel=1e-12)


def test_torch_gradients_at_and_near_one_half(derived):
    # autograd through the stable functions' derivatives: cbern_mean′ = A″(η)/(x(1 − x)) by cbern_var, not
    # −1/t² + 1/(x(1 − x)t²C²) (0/0 at λ = ½: NaN, and 0 instead of −1.3e-9 for H′ at ½ + 1e-9). Reference: the
    # derivative of the published entropy and cross-entropy, by mpmath's numerical differentiation
    torch = pytest.importorskip("torch")
    h, kl = sc.lambdify(derived["H"], [l1], backend="torch"), sc.lambdify(derived["KL"], [l1, l2], backend="torch")
    for a, b in [(0.5, 0.2), (0.5 + 1e-9, 0.4)]:
        x = torch.tensor(a, dtype=torch.float64, requires_grad=True)
        h(x).backward()
        with mpmath.workdps(30):
            want = mpmath.diff(_entropy_published, a)
        assert float(x.grad) == pytest.approx(float(want), rel=1e-12, abs=1e-300), (a, float(x.grad), want)
        x = torch.tensor(a, dtype=torch.float64, requires_grad=True)
        kl(x, torch.tensor(b, dtype=torch.float64)).backward()
        with mpmath.workdps(30):
            want = mpmath.diff(lambda u: _xent_published(u, b) - _xent_published(u, u), a)
        assert float(x.grad) == pytest.approx(float(want), rel=1e-10), (a, b, float(x.grad), want)
