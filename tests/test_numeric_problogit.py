"""KL of a categorical with probabilities against one with logits: the prob_logit_kl function, its rewrite
rule and proofs, and the accuracy of the generated code.

Before this rule the generated code was Σ p log p + softmax_xent(p, z) (Bernoulli: xlogy + p·softplus(−z)
+ (1 − p)·softplus(z)): the entropy and the cross-entropy cancel near p = softmax z, and at p = 0.5,
z = 1e-8 it returned 1.1e-16 where the value is 1.25e-17 (1.4e16 ULP; categorical k = 2: 2.5e17 ULP,
k = 3: 9 ULP). References here are the *definition* Σ p_i log(p_i / softmax(z)_i) (interval ground truth
or mpmath at high precision), never the code under test."""

import mpmath
import pytest
import sympy as sp

from symce import prove
from symce.families import EXAMPLES
from symce.engine.information import kl
from symce.numeric import functions as F
from symce.numeric import lambdify, verify
from symce.numeric.rewrite import stabilise
from symce.numeric.truth import ground_truth
from symce.numeric.verify import defining_expression, ulp_distance

_EX = {e.label: e for e in EXAMPLES}
p1, p2, p3, z1, z2, z3 = sp.symbols("p1 p2 p3 z1 z2 z3", positive=True)
y1, y2, y3 = sp.symbols("y1 y2 y3", real=True)
CASES = [("bernoulli", "bernoulli-logit", 3), ("categorical-k2", "categorical-logits-k2", 4),
         ("categorical-k3", "categorical-logits-k3", 4)]


def _kl(a, b):
    return kl(_EX[a].build(1), _EX[b].build(2))


def _mp_def(p, z):
    """Σ p_i log(p_i / softmax(z)_i), straight from the definition of KL."""
    s = mpmath.fsum(mpmath.exp(v) for v in z)
    return mpmath.fsum(pi * (mpmath.log(pi) - mpmath.log(mpmath.exp(zi) / s)) for pi, zi in zip(p, z))


def test_definition_is_proved():
    f = F.prob_logit_kl(p1, p2, p3, y1, y2, y3)
    soft = [sp.exp(v) / (sp.exp(y1) + sp.exp(y2) + sp.exp(y3)) for v in (y1, y2, y3)]
    definition = sum(p * (sp.log(p) - sp.log(s)) for p, s in zip((p1, p2, p3), soft))
    assert prove(F.to_elementary(f), definition).status == "proved"


def test_derivatives_against_mpmath_diff():
    f = F.prob_logit_kl(p1, p2, y1, y2)
    args = [p1, p2, y1, y2]
    for pt in [(0.3, 0.7, 0.5, -1.25), (0.9, 0.2, 3.0, 0.1)]:  # the second off the simplex on purpose
        for i, s in enumerate(args):
            d = F.to_elementary(sp.diff(f, s))
            got = complex(sp.N(d.subs({a: sp.Float(v, 40) for a, v in zip(args, pt)}), 30))
            with mpmath.workdps(40):
                want = mpmath.diff(lambda t: _mp_def([t if j == i else mpmath.mpf(pt[j]) for j in (0, 1)],
                                                     [t if j == i else mpmath.mpf(pt[j]) for j in (2, 3)]), pt[i])
            assert abs(got - complex(want)) <= 1e-25 * max(1, abs(complex(want))), (s, pt, got, want)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_rewrite_proved_and_used(case):
    d = _kl(case[0], case[1])
    st = stabilise(d.result, assumptions=d.conditions)
    assert isinstance(st.expr, F.prob_logit_kl), st.expr
    assert any("probability–logit KL" in s.rule for s in st.steps)
    for step in st.steps:
        assert step.proof.status == "proved", f"{step.rule}:\n{step.proof}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_goal_met(case):
    # before: 1.4e16 / 2.5e17 / 9 ULP (accuracy_section, n = 500)
    a, b, goal = case
    d = _kl(a, b)
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    rep = verify(lambdify(d, args), d, args, n=150, grid_max=150, seed=4)
    assert rep.nonfinite == 0 and rep.max_ulp <= goal and rep.median_ulp <= 0.5, rep.worst(3)


@pytest.mark.parametrize("backend", ["numpy", "math", "mpmath"])
def test_near_equality(backend):
    d = _kl("bernoulli", "bernoulli-logit")
    args = sorted(d.result.free_symbols, key=lambda s: s.name)  # (p1, z2)
    f = lambdify(d, args, backend=backend)
    with mpmath.workprec(200):
        near = float(mpmath.log(mpmath.mpf(0.3) / (1 - mpmath.mpf(0.3))))
    # p = 0.5 against z = 1e-8; p = σ(1) rounded against z = 1 (KL ≈ 7e-34); z within 1e-16 of logit(0.3);
    # p tiny and one-hot with underflowing σ
    pts = [(0.5, 1e-8), (0.7310585786300049, 1.0), (0.3, near), (1e-300, -690.77), (0.0, 3.0), (1.0, -800.0),
           (2.2250738585072014e-308, -709.78)]
    for pt in pts:
        truth = ground_truth(d.result, args, pt).value
        got = float(f(*pt))
        assert ulp_distance(got, truth) <= 3, (pt, got, truth)
    with mpmath.workprec(300):  # the first point from the definition: p = 1/2 on both classes
        want = _mp_def([mpmath.mpf(0.5)] * 2, [mpmath.mpf(1e-8), mpmath.mpf(0)])
    assert ulp_distance(float(f(0.5, 1e-8)), want) <= 1


def test_categorical_near_equality_and_zero_classes():
    d = _kl("categorical-k3", "categorical-logits-k3")
    args = sorted(d.result.free_symbols, key=lambda s: s.name)  # p1_1..p1_3, z2_1..z2_3
    f = lambdify(d, args)
    pts = [(0.25, 0.25, 0.5, 0.0, 1e-9, 0.6931471805599453), (5e-324, 5e-324, 1.0, -745.0, -710.0, 1.0),
           (0.0, 0.5, 0.5, 40.0, 0.0, 1e-12), (0.0, 0.0, 1.0, 800.0, -800.0, 0.0)]
    for pt in pts:
        truth = ground_truth(defining_expression(d), args, pt).value
        got = float(f(*pt))
        assert ulp_distance(got, truth) <= 4, (pt, got, truth)



# -- the roles swapped: KL(logits ‖ probabilities) ------------------------------------------------------------------
SWAPPED = [("bernoulli-logit", "bernoulli", 3), ("categorical-logits-k2", "categorical-k2", 4),
           ("categorical-logits-k3", "categorical-k3", 4)]


def _mp_def_swapped(z, q):
    s = mpmath.fsum(mpmath.exp(v) for v in z)
    return mpmath.fsum(mpmath.exp(zi) / s * (mpmath.log(mpmath.exp(zi) / s) - mpmath.log(qi)) for zi, qi in zip(z, q))


def test_swapped_definition_and_derivatives():
    f = F.logit_prob_kl(y1, y2, y3, p1, p2, p3)
    soft = [sp.exp(v) / (sp.exp(y1) + sp.exp(y2) + sp.exp(y3)) for v in (y1, y2, y3)]
    definition = sum(s * (sp.log(s) - sp.log(q)) for s, q in zip(soft, (p1, p2, p3)))
    assert prove(F.to_elementary(f), definition).status == "proved"
    g = F.logit_prob_kl(y1, y2, p1, p2)
    args = [y1, y2, p1, p2]
    for pt in [(0.5, -1.25, 0.3, 0.7), (3.0, 0.1, 0.9, 0.2)]:
        for i, s in enumerate(args):
            got = complex(sp.N(F.to_elementary(sp.diff(g, s)).subs({a: sp.Float(v, 40) for a, v in zip(args, pt)}), 30))
            with mpmath.workdps(40):
                want = mpmath.diff(lambda t: _mp_def_swapped([t if j == i else mpmath.mpf(pt[j]) for j in (0, 1)],
                                                             [t if j == i else mpmath.mpf(pt[j]) for j in (2, 3)]), pt[i])
            assert abs(got - complex(want)) <= 1e-25 * max(1, abs(complex(want))), (s, pt, got, want)


@pytest.mark.parametrize("case", SWAPPED, ids=lambda c: f"{c[0]}-{c[1]}")
def test_swapped_rewrite_proved_and_goal_met(case):
    # before: 4.4e18 (Bernoulli), 8.5e18 (k = 2), 1.3e16 (k = 3) ULP (accuracy_section, n = 500)
    a, b, goal = case
    d = _kl(a, b)
    st = stabilise(d.result, assumptions=d.conditions)
    assert isinstance(st.expr, F.logit_prob_kl), st.expr
    assert all(step.proof.status == "proved" for step in st.steps)
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    rep = verify(lambdify(d, args), d, args, n=150, grid_max=150, seed=5)
    assert rep.nonfinite == 0 and rep.max_ulp <= goal and rep.median_ulp <= 0.5, rep.worst(3)


@pytest.mark.parametrize("backend", ["numpy", "math", "mpmath"])
def test_swapped_near_equality(backend):
    d = _kl("bernoulli-logit", "bernoulli")
    args = sorted(d.result.free_symbols, key=lambda s: s.name)  # (p2, z1)
    f = lambdify(d, args, backend=backend)
    # z = 1e-8 against p = 0.5 (truth 1.25e-17, computed 0 before); σ(1) rounded against z = 1; a zero
    # probability (KL = +∞); weights that underflow; huge logits
    pts = [(0.5, 1e-8), (0.7310585786300049, 1.0), (1e-17, -37.0), (2.2250738585072014e-308, -745.0),
           (5e-324, 1e300), (0.25, 1e-300)]
    for pt in pts:
        truth = ground_truth(defining_expression(d), args, pt).value
        got = float(f(*pt))
        assert ulp_distance(got, truth) <= 3, (pt, got, truth)
    assert float(f(0.0, 3.0)) == float("inf") and float(f(1.0, -800.0)) == float("inf")
    with mpmath.workprec(300):
        want = _mp_def_swapped([mpmath.mpf(1e-8), mpmath.mpf(0)], [mpmath.mpf(0.5)] * 2)
    assert ulp_distance(float(f(0.5, 1e-8)), want) <= 1


# -- backend="math": IEEE values where Python's math raises ------------------------------------------------------
@pytest.mark.parametrize("pair", [("bernoulli-logit", "bernoulli"), ("normal", "normal"),
                                  ("categorical-logits-k2", "categorical-k2")], ids=lambda p: f"{p[0]}-{p[1]}")
def test_math_backend_never_raises_and_matches_numpy(pair):
    # before: wprod(w, log 0) raised "math domain error" (log(0) is −∞ and the CE +∞), the long-double
    # weight product failed on Python floats, and log_offset's root could not be passed to the scalar kernel
    import numpy as np

    from symce.engine.information import cross_entropy
    from symce.numeric.verify import domain_of, make_inputs

    for quantity in (cross_entropy, kl):
        d = quantity(_EX[pair[0]].build(1), _EX[pair[1]].build(2))
        args = sorted(d.result.free_symbols, key=lambda s: s.name)
        f, g = lambdify(d, args, backend="math"), lambdify(d, args)
        cols, _ = make_inputs(domain_of(d, args), 20, 0, grid_max=120)
        want = g(*cols)
        for j in range(cols.shape[1]):
            got = f(*cols[:, j])
            assert got == want[j] or (np.isnan(got) and np.isnan(want[j])) or \
                abs(got - want[j]) <= 1e-13 * abs(want[j]), (d.lhs, cols[:, j], got, want[j])
    if pair[0] == "bernoulli-logit":
        f = lambdify(cross_entropy(_EX[pair[0]].build(1), _EX[pair[1]].build(2)), backend="math")  # (z1, p2)
        assert f(p2=0.0, z1=800.0) == float("inf") and f(p2=1.0, z1=-800.0) == float("inf")
