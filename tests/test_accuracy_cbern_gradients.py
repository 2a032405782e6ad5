"""Gradients of the ContinuousBernoulli entropy, cross-entropy and KL (``Derivation.gradient``, lambdified through
the stabilising rewrite: cbern_logit, cbern_dmean, cbern_mean_gap) against the derivative of the published
formulas (Loaiza-Ganem & Cunningham 2019, "The continuous Bernoulli", NeurIPS: C(λ) = 2 artanh(1 − 2λ)/(1 − 2λ),
E[X] = λ/(2λ − 1) + 1/(2 artanh(1 − 2λ)), H(P, Q) = −log C(λ₂) − E_P[X]·logit λ₂ − log(1 − λ₂)) by mpmath's
numerical differentiation at 400 bits with a step relative to the distance to 0, ½ and 1. The closed forms'
derivatives are 0/0 at λ = ½ (NaN; a ZeroDivisionError in the math backend) and cancel to nothing near it.
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

l1, l2 = sp.Symbol("l1", positive=True), sp.Symbol("l2", positive=True)
P, Q = ContinuousBernoulli(l1), ContinuousBernoulli(l2)
HARD = [0.5, 0.5 + 1e-9, 0.5 - 1e-9, 5e-324, 1e-300, 1 - 2**-53, 0.25, 0.9]


@pytest.fixture(scope="module")
def grads():
    return {"H": sc.entropy(P).gradient([l1]), "CE": sc.cross_entropy(P, Q).gradient([l1, l2]),
            "KL": sc.kl(P, Q).gradient([l1, l2])}


def _two_atanh(lam):
    t = 1 - 2 * lam
    return 2 * mpmath.atanh(t) if abs(t) <= 0.5 else mpmath.log1p(-lam) - mpmath.log(lam)


def _xent(a, b):
    """The published H(CB(a), CB(b)) (limits at ½)."""
    with mpmath.workprec(400):
        return _xent400(mpmath.mpf(a), mpmath.mpf(b))


def _xent400(a, b):
    t = 1 - 2 * b
    log_c = mpmath.log(2) if t == 0 else mpmath.log(_two_atanh(b) / t)
    mean = mpmath.mpf(0.5) if a == 0.5 else a / (2 * a - 1) + 1 / _two_atanh(a)
    logit = 0 if b == 0.5 else mpmath.log(b) - mpmath.log1p(-b)
    return -log_c - mean * logit - mpmath.log1p(-b)


def _d(f, x):
    """f′(x) by central differences at 400 bits, the step 1e-30 of the distance to 0 and 1 (x = 5e-324 too)."""
    with mpmath.workprec(400):
        x = mpmath.mpf(x)
        h = min(x, 1 - x) * mpmath.mpf(10) ** -30
        return mpmath.diff(f, x, h=h)


def _exact(name, i, a, b=None):
    a, b = mpmath.mpf(a), (None if b is None else mpmath.mpf(b))
    if name == "H":
        return _d(lambda u: _xent(u, u), a)
    if i == 0:
        return _d(lambda u: _xent(u, b) - (_xent(u, u) if name == "KL" else 0), a)
    return _d(lambda v: _xent(a, v), b)


def _ulps(got, exact):
    exact = mpmath.mpf(exact)
    if abs(exact) < 1e-300:
        return 0.0 if abs(got) < 1e-300 else math.inf
    if abs(exact) > 1.7e308:
        return 0.0 if math.isinf(got) and (got > 0) == (exact > 0) else math.inf
    return float(abs(mpmath.mpf(got) - exact) / np.spacing(abs(float(exact))))


def _points(name):
    rng = random.Random(3)
    if name == "H":
        return [(a,) for a in HARD + [rng.uniform(0, 1) for _ in range(3)]]
    pairs = [(a, b) for a in (0.5, 0.5 + 1e-9, 5e-324, 1 - 2**-53) for b in (0.5, 0.5 - 1e-9, 1e-300, 0.9)]
    return pairs + [(rng.uniform(0, 1), rng.uniform(0, 1)) for _ in range(3)]


def _measure(grads, backend):
    worst = {}
    for name, g in grads.items():
        args = [l1] if name == "H" else [l1, l2]
        # entry by entry: the math backend prints no matrices
        fs = [sc.lambdify(e, args, backend=backend) for e in g.result]
        for p in _points(name):
            for i, f in enumerate(fs):
                v = float(f(*p))
                assert not math.isnan(v), (name, backend, p, i)
                exact = _exact(name, i, *p)
                worst[(name, i)] = max(worst.get((name, i), 0.0), _ulps(v, exact))
                # no pair here has λ₁ ≈ λ₂ ≠ ½, where ∂/∂λ₂ = (μ(λ₂) − μ(λ₁))/(λ₂(1 − λ₂)) cancels (see the report)
                # ∂/∂λ₂: two means, their difference and a quotient by λ₂(1 − λ₂) (5 ULP at a sampled pair)
                assert _ulps(v, exact) <= (6 if i == 1 else 4), (name, backend, i, p, v, float(exact))
    return worst


@pytest.mark.parametrize("backend", ["numpy", "math", "mpmath"])
def test_gradients_finite_and_accurate_at_and_near_one_half_and_the_ends(grads, backend):
    worst = _measure(grads, backend)
    print(backend, {k: round(v, 1) for k, v in worst.items()})
    assert worst[("H", 0)] <= 3


def test_torch_gradients(grads):
    torch = pytest.importorskip("torch")
    f = sc.lambdify(grads["H"].result[0], [l1], backend="torch")  # entry by entry: a matrix of tensors is refused
    x = torch.tensor([p[0] for p in _points("H")], dtype=torch.float64)
    for v, a in zip(f(x).reshape(-1).tolist(), x.tolist()):
        assert _ulps(v, _exact("H", 0, a)) <= 3, (a, v)
    for name in ("CE", "KL"):
        a = torch.tensor([0.5, 0.5 + 1e-9, 0.3], dtype=torch.float64)
        b = torch.tensor([0.5 - 1e-9, 0.5, 0.5], dtype=torch.float64)
        for i, e in enumerate(grads[name].result):
            col = sc.lambdify(e, [l1, l2], backend="torch")(a, b)
            for u, w, v in zip(a.tolist(), b.tolist(), col.reshape(-1).tolist()):
                exact = _exact(name, i, u, w)
                assert math.isfinite(v) and abs(v - float(exact)) <= 8 * 2.0**-52 * max(abs(float(exact)), 4.0), (
                    name, i, u, w, v, exact)


def test_the_lambda2_partial_on_close_pairs(grads):
    # ∂/∂λ₂ = (μ(λ₂) − μ(λ₁))/(λ₂(1 − λ₂)) near P = Q: the difference of the rounded means was 1e15 ULP off at
    # (0.75, 0.75 + 2⁻⁵²); now the series' divided difference near ½, a difference quotient of the logits on one
    # side of it (cancels ≤ ~20× at |2λ − 1| ≥ 0.4: 12 ULP measured at λ ≈ 0.223)
    f = sc.lambdify(grads["KL"].result[1], [l1, l2])
    for a, b in [(0.75, 0.75 + 2**-52), (0.5 + 1e-9, 0.5 + 2e-9), (0.3, 0.3 * (1 + 1e-12)), (0.8, 0.8 + 1e-13),
                 (0.05, 0.05000001), (0.2232389646070145, 0.2232388333240695), (0.74, 0.76)]:
        assert _ulps(float(f(a, b)), _exact("KL", 1, a, b)) <= 16, (a, b)
