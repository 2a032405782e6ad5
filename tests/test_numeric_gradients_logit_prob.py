"""Derivatives of the logit families against probabilities (issue 12): CE/KL(categorical-logits ‖ categorical)
and CE(bernoulli-logit ‖ bernoulli), at the points where the weight σ(z) or softmax(z)_j is subnormal while
the quotient by the probability is not (wdiv), where q₂ = 0 makes ±∞ coefficients (two-class tanh
difference), and where the logit gap and the log-ratio cancel (log_gap).

References: the closed forms −s_j/q_j, σ(z)/p² + σ(−z)/(1 − p)², s_i Σ_j s_j ((z_i − log q_i) − (z_j − log q_j))
in mpmath at 120 digits, and the unstabilised symbolic derivative evaluated by SymPy at 100 digits; never the
generated code."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from symce.app.accuracy_derivatives import _catalog, derivatives
from symce.numeric import functions as F
from symce.numeric.lambdify import lambdify
from symce.numeric.rewrite import stabilise

DPS = 120


@pytest.fixture(scope="module")
def grads():
    """name -> (args, {label: Derivation}) for the formulas measured here (derived once)."""
    out = {}
    for name in ("KL(categorical-logits-k3 ‖ categorical-k3)", "KL(categorical-logits-k2 ‖ categorical-k2)",
                 "CE(bernoulli-logit ‖ bernoulli)"):
        d = dict(_catalog())[name]()
        args = sorted(d.result.free_symbols, key=lambda s: s.name)
        out[name] = args, {lab: g for lab, _, g in derivatives(name, d, args)}
    return out


def _ulps(got, want):
    want = float(want)
    return 0.0 if got == want else abs(got - want) / np.spacing(abs(want))


def _softmax(z):
    m = max(z)
    e = [mpmath.exp(v - m) for v in z]
    s = mpmath.fsum(e)
    return [v / s for v in e]


def _symbolic(g, args, pt):
    """The unstabilised derivative at pt, by SymPy at 100 digits."""
    return g.result.subs({a: sp.Float(v, 100) for a, v in zip(args, pt)}).evalf(100)


def test_subnormal_softmax_over_probability(grads):
    # −s₂/q₂ with s₂ = e^{−745}/… subnormal and q₂ = 1.1e-16: was −4.45e-308 for −2.54e-308 (3.9e15 ULP)
    args, gs = grads["KL(categorical-logits-k3 ‖ categorical-k3)"]
    pts = [(2.0 ** -53, 2.0 ** -53, 1 - 2.0 ** -52, 745.0, 1e-8, 5e-324),
           (0.3, 1e-300, 0.4, 1.0, -800.0, 3.0), (0.2, 0.3, 0.5, 0.25, -1.5, 2.0)]
    f = lambdify(gs["∂/∂p2_2"], args)
    for pt in pts:
        with mpmath.workdps(DPS):
            want = -_softmax([mpmath.mpf(v) for v in pt[3:]])[1] / mpmath.mpf(pt[1])
        assert _ulps(float(f(*pt)), want) <= 2, pt


def test_sigmoid_over_square(grads):
    # σ(z)/p² + σ(−z)/(1 − p)² with σ/p subnormal (p = 1e-310, z = −1400: 4e-7 relative before), 1/p overflowing
    args, gs = grads["CE(bernoulli-logit ‖ bernoulli)"]  # (p2, z1)
    f = lambdify(gs["∂²/∂p2²"], args)
    for p, z in [(1e-310, -1400.0), (1e-200, -800.0), (5e-324, -1.7976931348623157e308), (2e-217, -6e178),
                 (0.3, 2.0), (0.5, 1e-300), (1e-300, -700.0)]:
        with mpmath.workdps(DPS):
            P, Z = mpmath.mpf(p), mpmath.mpf(z)
            want = 1 / (1 + mpmath.exp(-Z)) / P ** 2 + 1 / (1 + mpmath.exp(Z)) / (1 - P) ** 2
        assert _ulps(float(f(p, z)), want) <= 2, (p, z)


def test_two_class_hessian_at_a_zero_probability(grads):
    # ±log q in the coefficients of s₁ and s₂: ∞ − ∞ = NaN where the exact ∂²/∂z₁² is
    # −(e^{z₁} − e^{z₂})e^{z₁}e^{z₂} log(q₂/q₁)/(Σ e^{z})³ + finite = ±∞ (the sign of (z₁ − z₂)·log(q₁/q₂))
    args, gs = grads["KL(categorical-logits-k2 ‖ categorical-k2)"]  # (p2_1, p2_2, z1_1, z1_2)
    f = lambdify(gs["∂²/∂z1_1²"], args)
    assert f(1.0, 0.0, 4.0e-95, 1.6e-241) == math.inf
    assert f(0.0, 1.0, 1.0, -2.0) == -math.inf
    assert f(1.0, 0.0, -3.0, 2.0) == -math.inf


@pytest.mark.parametrize("label", ["∂/∂z1_1", "∂²/∂z1_1²"])
def test_two_class_near_equal_probabilities(grads, label):
    # log q₂ − log q₁ at q₁ ≈ q₂ lost ulp(log q) (6 units); seeded points near softmax z = q too
    args, gs = grads["KL(categorical-logits-k2 ‖ categorical-k2)"]
    f = lambdify(gs[label], args)
    rng = np.random.default_rng(12)
    pts = [(0.49607828535455734, 0.5039217146454427, -4.3766071906833934e-284, 3.6023225870026055e-88)]
    for _ in range(6):
        q = rng.uniform(0.05, 0.95)
        pts.append((q, 1 - q, rng.normal(0, 3), rng.normal(0, 3)))
    for pt in pts:
        assert _ulps(float(f(*pt)), _symbolic(gs[label], args, pt)) <= 3, pt


def test_logit_gap_cancelling_with_log_ratio(grads):
    # (z₂ − z₁) + log(q₁/q₂) = −0.08 from 1.39 and 1.31: 21 ULP (5.25 units of Σ|terms|) before log_gap
    args, gs = grads["KL(categorical-logits-k3 ‖ categorical-k3)"]
    f = lambdify(gs["∂/∂z1_2"], args)
    pt = (0.6311103129051967, 0.16954237285755946, 0.19934731423724383, 3.974066143398261, 2.5793640167062293,
          -2.55427205993633e-209)
    with mpmath.workdps(DPS):
        q, z = [mpmath.mpf(v) for v in pt[:3]], [mpmath.mpf(v) for v in pt[3:]]
        s = _softmax(z)
        g = [zi - mpmath.log(qi) for zi, qi in zip(z, q)]
        want = s[1] * mpmath.fsum(sj * (g[1] - gj) for sj, gj in zip(s, g))
    assert _ulps(float(f(*pt)), want) <= 3


def test_rewrites_are_proved(grads):
    args, gs = grads["KL(categorical-logits-k2 ‖ categorical-k2)"]
    for label in ("∂/∂p2_2", "∂/∂z1_1", "∂²/∂z1_1²"):
        g = gs[label]
        st = stabilise(g.result, prove=True, assumptions=tuple(g.conditions))
        assert st.expr.has(F.wdiv, F.log_gap), (label, st.expr)
        assert st.proved, str(st)


def test_common_weight_outermost_at_a_subnormal_gradient():
    # ∂/∂z₂ = s₂ Σ_j s_j g_2j with s₂ ≈ e^{−745}: s₂ outermost rounds once in extended range; inside, each
    # wprod(s_j, ·) rounded its subnormal product again (5 units at this grid point of the k = 10 KL)
    name = "KL(categorical-logits-k10 ‖ categorical-k10)"
    d = dict(_catalog())[name]()
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    f = lambdify(d.gradient(next(a for a in args if a.name == "z1_2")), args)
    q = [1e-8 - 6.07747e-17] * 10
    q[5] = 0.9999999100000005
    z = [2.0, 2.2250738585072014e-308, 745.0, -710.0, 745.0, -745.0, 5e-324, 5e-324, 38.0, -33.0]
    point = {**{f"p2_{i + 1}": v for i, v in enumerate(q)}, **{f"z1_{i + 1}": v for i, v in enumerate(z)}}
    with mpmath.workdps(DPS):
        Q, Z = [mpmath.mpf(v) for v in q], [mpmath.mpf(v) for v in z]
        s = _softmax(Z)
        g = [zi - mpmath.log(qi) for zi, qi in zip(Z, Q)]
        want = s[1] * mpmath.fsum(sj * (g[1] - gj) for sj, gj in zip(s, g))
    assert _ulps(float(f(*[point[a.name] for a in args])), want) <= 3
