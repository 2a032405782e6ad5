"""The ContinuousBernoulli H, CE and KL partial derivatives, rounded once from double-doubles (cbern_dxent,
cbern_dkl, cbern_mean_gap; symce/numeric/impl/cbern_dd.py), against the derivative of the published formulas
(Loaiza-Ganem & Cunningham 2019, "The continuous Bernoulli", NeurIPS: C(λ) = 2 artanh(1 − 2λ)/(1 − 2λ),
E[X] = λ/(2λ − 1) + 1/(2 artanh(1 − 2λ)), H(P, Q) = −log C(λ₂) − E_P[X]·logit λ₂ − log(1 − λ₂)) by mpmath's
numerical differentiation at 400 bits; and the rewrite steps' proofs (∂KL/∂λ₁'s was only 'checked numerically').
"""

from __future__ import annotations

import functools
import math
import random

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.families.continuous_bernoulli import ContinuousBernoulli
from symce.numeric.functions.logit_ratio import cbern_dkl, cbern_dxent
from symce.numeric.rewrite import stabilise
from symce.numeric.rewrite_proof import prove_step

l1, l2 = sp.Symbol("l1", positive=True), sp.Symbol("l2", positive=True)
P, Q = ContinuousBernoulli(l1), ContinuousBernoulli(l2)

# the former misses: ∂/∂λ₂ ∞ at (5e-324, 1e-8) ((y − x)/x overflowed), ∂KL/∂λ₁ 1e13 ulp near P = Q (the rounded
# logits' difference), ∂CE/∂λ₁ 4 ulp, H′ 1 ulp at half the points (five roundings)
POINTS = [(5e-324, 1e-8), (1e-8, 1.000000000001e-08), (4.852764747924091e-16, 7.569653776582782e-241),
          (0.9060183710507127, 0.3), (0.5, 0.5 + 1e-9), (0.3, 0.3 * (1 + 1e-14)), (1 - 2**-53, 0.75)]


@pytest.fixture(scope="module")
def grads():
    out = {}
    for name, d, ws in (("H", sc.entropy(P), [l1]), ("CE", sc.cross_entropy(P, Q), [l1, l2]),
                        ("KL", sc.kl(P, Q), [l1, l2])):
        out[name] = [d.gradient(w) for w in ws]
    return out


def _two_atanh(lam):
    t = 1 - 2 * lam
    return 2 * mpmath.atanh(t) if abs(t) <= 0.5 else mpmath.log1p(-lam) - mpmath.log(lam)


def _xent(a, b):
    t = 1 - 2 * b
    log_c = mpmath.log(2) if t == 0 else mpmath.log(_two_atanh(b) / t)
    mean = mpmath.mpf(0.5) if a == 0.5 else a / (2 * a - 1) + 1 / _two_atanh(a)
    logit = 0 if b == 0.5 else mpmath.log(b) - mpmath.log1p(-b)
    return -log_c - mean * logit - mpmath.log1p(-b)


@functools.lru_cache(maxsize=None)
def _exact(name, i, a, b):
    """The partial by central differences at 400 bits, the step 1e-30 of the distance to 0 and 1."""
    with mpmath.workprec(400):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        if name == "H":
            f, x = (lambda u: _xent(u, u)), a
        elif i == 0:
            f, x = (lambda u: _xent(u, b) - (_xent(u, u) if name == "KL" else 0)), a
        else:
            f, x = (lambda v: _xent(a, v)), b
        return mpmath.diff(f, x, h=min(x, 1 - x) * mpmath.mpf(10) ** -30)


def _ulps(got, exact):
    if abs(exact) > 1.7976931348623157e308:
        return 0.0 if math.isinf(got) and (got > 0) == (exact > 0) else math.inf
    return float(abs(mpmath.mpf(got) - exact) / np.spacing(abs(float(exact))))


def test_every_partial_is_rounded_once(grads):
    rng = random.Random(12)
    pts = POINTS + [(rng.uniform(0, 1), rng.uniform(0, 1))]
    for name, gs in grads.items():
        for i, g in enumerate(gs):
            f = sc.lambdify(g, [l1] if name == "H" else [l1, l2])
            for a, b in pts:
                got = float(f(a) if name == "H" else f(a, b))
                # correctly rounded: within half an ulp of the exact value (the reference's error ~1e-50)
                assert _ulps(got, _exact(name, i, a, b)) <= 0.5 + 1e-6, (name, i, a, b, got)


def test_math_and_torch_at_the_former_misses(grads):
    torch = pytest.importorskip("torch")
    for name in ("KL",):  # (its partials are CE's ∂/∂λ₂ and the harder ∂/∂λ₁)
        for i, g in enumerate(grads[name]):
            fm = sc.lambdify(g, [l1, l2], backend="math")
            ft = sc.lambdify(g, [l1, l2], backend="torch")
            a, b = zip(*POINTS[:3])
            col = ft(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)).reshape(-1)
            for (u, v), t in zip(POINTS[:3], col.tolist()):
                exact = _exact(name, i, u, v)
                assert _ulps(fm(u, v), exact) <= 0.5 + 1e-6 and _ulps(t, exact) <= 0.5 + 1e-6, (name, i, u, v, t)


def test_every_gradient_step_is_proved(grads):
    forms = {("H", 0): "cbern_dxent(l1, l1)", ("CE", 0): "cbern_dxent(l1, l2)", ("CE", 1): "cbern_mean_gap(l1, l2)",
             ("KL", 0): "cbern_dkl(l1, l2)", ("KL", 1): "cbern_mean_gap(l1, l2)"}
    for (name, i), want in forms.items():
        g = grads[name][i]
        s = stabilise(g.result, assumptions=g.conditions)
        assert str(s.expr) == want and s.proved, (name, i, str(s))


def test_a_wrong_gradient_step_is_not_proved(grads):
    # the log-atoms form of the proof (log λ, log(1 − λ) as independent symbols) must still refute a false step
    # (∂CE/∂λ₁ for ∂KL/∂λ₁: they differ by H′; and the right form off by 10⁻⁹)
    g = grads["KL"][0]
    for wrong in (cbern_dxent(l1, l2), cbern_dkl(l1, l2) + sp.Rational(1, 10**9)):
        proof = prove_step("continuous Bernoulli forms", g.result, wrong, g.conditions)
        assert proof.status != "proved", str(proof)
