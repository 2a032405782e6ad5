"""Categorical with softmax logits on the P side, and the logit–logit KL: the softmax rewrite, its proofs,
and the accuracy of the generated code.

Before this rewrite the generated code evaluated e^{z_i}/Σ e^{z_j} directly: H(Cat(softmax z)) gave
NaN/inf at 362 (k = 2) and 445 (k = 3) of ~800 points, and the logit–logit KL lost every digit near
z₁ = z₂ (8.5e18 ULP at z₁ = −1, z₂ = −1 − 2⁻⁵²). The references here are the *definitions* (mpmath at
high precision / the interval ground truth), never the code under test."""

import mpmath
import numpy as np
import pytest
import sympy as sp

import oracles

from symce import prove
from symce.families import EXAMPLES
from symce.engine.information import cross_entropy, entropy, kl
from symce.numeric import functions as F
from symce.numeric import lambdify, verify
from symce.numeric.rewrite import stabilise
from symce.numeric.truth import ground_truth
from symce.numeric.verify import ulp_distance

_EX = {e.label: e for e in EXAMPLES}
x1, x2, x3, y1, y2, y3 = sp.symbols("x1 x2 x3 y1 y2 y3", real=True)


def _d(quantity, a, b=None):
    if quantity == "H":
        return entropy(_EX[a].build(1))
    return {"CE": cross_entropy, "KL": kl}[quantity](_EX[a].build(1), _EX[b].build(2))


LOGIT_P = [("H", "categorical-logits-k3", None), ("CE", "categorical-logits-k3", "categorical-k3"),
           ("KL", "categorical-logits-k3", "categorical-k3"), ("CE", "categorical-logits-k3", "categorical-logits-k3"),
           ("KL", "categorical-logits-k3", "categorical-logits-k3"), ("KL", "bernoulli-logit", "bernoulli-logit")]


# -- the functions -----------------------------------------------------------------------------------------------
def _mp_softmax_kl(x, y):
    sx = mpmath.fsum(mpmath.exp(v) for v in x)
    sy = mpmath.fsum(mpmath.exp(v) for v in y)
    return mpmath.fsum(mpmath.exp(a) / sx * (mpmath.log(mpmath.exp(a) / sx) - mpmath.log(mpmath.exp(b) / sy))
                       for a, b in zip(x, y))


FUNCS = [
    (F.softmax(x2, x1, x2, x3), sp.exp(x2) / (sp.exp(x1) + sp.exp(x2) + sp.exp(x3)),
     lambda a, b, c: mpmath.exp(b) / (mpmath.exp(a) + mpmath.exp(b) + mpmath.exp(c)), [x1, x2, x3],
     [(0.5, -1.25, 2.0), (3.0, 0.1, -4.0)]),
    # KL(softmax x ‖ softmax y) = Σ s_i log(s_i / t_i), written from the definition of KL
    (F.softmax_kl(x1, x2, x3, y1, y2, y3), None, lambda *v: _mp_softmax_kl(v[:3], v[3:]), [x1, x2, x3, y1, y2, y3],
     [(0.5, -1.25, 2.0, 0.25, 1.0, -3.0), (3.0, 0.1, -4.0, 2.5, 0.5, -3.5)]),
]


def test_function_definitions_are_proved():
    f, definition = FUNCS[0][:2]
    assert prove(F.to_elementary(f), definition).status == "proved"
    s = [sp.exp(v) / sum(sp.exp(w) for w in (x1, x2, x3)) for v in (x1, x2, x3)]
    t = [sp.exp(v) / sum(sp.exp(w) for w in (y1, y2, y3)) for v in (y1, y2, y3)]
    kl_def = sum(si * (sp.log(si) - sp.log(ti)) for si, ti in zip(s, t))
    proof = prove(F.to_elementary(FUNCS[1][0]), kl_def)
    assert proof.status in ("proved", "checked numerically"), str(proof)


@pytest.mark.parametrize("case", FUNCS, ids=["softmax", "softmax_kl"])
def test_derivatives_against_mpmath_diff(case):
    f, _, ref, args, points = case
    oracles.assert_derivatives_match_mpmath(f, ref, args, points)


@pytest.mark.parametrize("backend", ["numpy", "mpmath"])
def test_softmax_kl_near_equal_and_shifted_logits(backend):
    # x ≈ y (cancellation of the plain form), y = x + C (KL exactly 0), y = x + C + tiny
    pts = [(-1.0, 0.0, -1.0000000000000002, 0.0), (0.3, 0.7, 0.3 + 1e-9, 0.7),
           (1e5 + 0.25, 1e5 - 3.0, 0.25, -3.0), (40.0, -38.0, 40.0 + 2e-12, -38.0),
           (709.78, -745.0, 709.0, -745.0), (-800.0, 1.0, -799.0, 1.0)]
    X = [sp.Symbol(f"v{i}", real=True) for i in range(4)]
    definition = F.to_elementary(F.softmax_kl(*X))
    f = lambdify(F.softmax_kl(*X), X, backend=backend)
    for pt in pts:
        truth = ground_truth(definition, X, pt).value
        got = float(f(*pt))
        assert ulp_distance(got, truth) <= 4, (pt, got, truth)


def test_softmax_never_nan_for_huge_logits():
    f = lambdify(F.softmax(x1, x1, x2), [x1, x2])
    z = np.array([[1e308, -1e308, 800.0, -800.0, 0.0], [-1e308, 1e308, 799.0, -800.0, 745.0]])
    got = f(*z)
    assert np.all(np.isfinite(got))
    want = [1.0, 0.0, float(1 / (1 + mpmath.exp(-1))), 0.5, float(mpmath.exp(-745) / (1 + mpmath.exp(-745)))]
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)


# -- the rewrite ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", LOGIT_P, ids=[f"{q} {a} {b or ''}" for q, a, b in LOGIT_P])
def test_every_step_proved(case):
    d = _d(*case)
    st = stabilise(d.result, assumptions=d.conditions)
    assert any("softmax" in s.rule or "logit KL" in s.rule for s in st.steps)
    for step in st.steps:
        assert step.proof.status == "proved", f"{step.rule}:\n{step.proof}"


def test_the_stable_forms():
    def funcs(case):
        d = _d(*case)
        return {type(f) for f in lambdify(d).expr.atoms(sp.Function)}

    assert F.logit_xent in funcs(LOGIT_P[0])  # H = Σ s_i (logsumexp z − z_i) from the logits, every term ≥ 0
    assert F.logit_prob_kl in funcs(LOGIT_P[2])  # KL(cat-logits ‖ cat) = Σ s_i log(s_i/p_i), from logit differences
    assert F.softmax_kl in funcs(LOGIT_P[4]) and F.softmax_kl in funcs(LOGIT_P[5])


# -- accuracy of the generated code -------------------------------------------------------------------------------
@pytest.mark.parametrize("case", LOGIT_P + [("H", "categorical-logits-k2", None), ("CE", "categorical-logits-k2", "categorical-k2")],
                         ids=lambda c: f"{c[0]} {c[1]} {c[2] or ''}")
def test_no_spurious_nan_or_inf(case):
    # before: 362–648 NaN/inf per formula on the same kind of sample (accuracy_section, n = 500)
    d = _d(*case)
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    rep = verify(lambdify(d, args), d, args, n=200, grid_max=150, seed=1)
    assert rep.nonfinite == 0, rep.worst(3)
    assert rep.median_ulp <= 0.5


def test_logit_kl_near_equality_meets_goal():
    # the near-equal grid of verify (Q's logit = P's·(1 + δ)) is where the plain form lost every digit
    d = _d("KL", "bernoulli-logit", "bernoulli-logit")
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    rep = verify(lambdify(d, args), d, args, n=0, grid_max=400, seed=2)
    near = [j for j in range(rep.inputs.shape[1])
            if 0 < abs(rep.inputs[0, j]) < 700 and abs(rep.inputs[1, j] / rep.inputs[0, j] - 1) <= 1e-3]
    assert len(near) > 20
    assert max(rep.ulps[near]) <= 3, [(rep.inputs[:, j], rep.ulps[j]) for j in near if rep.ulps[j] > 3]


# -- positive weights: σ(z)/softmax(z) rounds to 0 (or a subnormal) where the product does not -------------------
WEIGHTED = [("CE", "bernoulli-logit", "bernoulli", 3), ("CE", "categorical-logits-k2", "categorical-k2", 4),
            ("H", "bernoulli-logit", None, 3), ("CE", "bernoulli-logit", "bernoulli-logit", 3)]


@pytest.mark.parametrize("case", WEIGHTED, ids=lambda c: f"{c[0]} {c[1]} {c[2] or ''}")
def test_positive_weights_meet_goal(case):
    # before: xlogy(σ(z), 0) = 0 where the truth is +∞ (9.2e18 ULP), σ(−800)·softplus(1.8e308) = 0 where
    # it is 6.6e−40 (4e18 ULP), subnormal σ(−745)·745 off by 320 ULP in H(bernoulli-logit)
    q, a, b, goal = case
    d = _d(q, a, b)
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    rep = verify(lambdify(d, args), d, args, n=100, grid_max=200, seed=3)
    assert rep.nonfinite == 0 and rep.max_ulp <= goal and rep.median_ulp <= 0.5, rep.worst(3)


@pytest.mark.parametrize("backend", ["numpy", "math", "mpmath"])  # math: log(0) = −∞, not a domain error
def test_positive_weight_products_at_the_edges(backend):
    d = _d("CE", "bernoulli-logit", "bernoulli")
    f = lambdify(d, sorted(d.result.free_symbols, key=lambda s: s.name), backend=backend)  # (p2, z1)
    # p = 0 and p = 1 with a weight that underflows: −σ(z)·log 0 = +∞ for every finite z
    assert float(f(0.0, 800.0)) == float("inf") and float(f(1.0, -800.0)) == float("inf")
    g = lambdify(_d("CE", "bernoulli-logit", "bernoulli-logit"), backend=backend)
    z1, z2 = 800.0, 1.7976931348623157e308
    with mpmath.workprec(200):
        want = mpmath.exp(-mpmath.mpf(z1)) / (1 + mpmath.exp(-mpmath.mpf(z1))) * mpmath.mpf(z2)
    assert ulp_distance(float(g(z1, z2)), want) <= 3
