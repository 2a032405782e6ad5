"""Gradients in the logits of the Multinomial(n = 3, softmax z) entropy, KL and cross-entropy where the result is
subnormal or at the bottom of the normal range: the stable form's terms c·w₁·(w₂·(…·v)) (c = 12, 24, 48) go to
one kernel call, wscale (functions/weight_quotient.py, through the code generator), so neither c nor an outer
weight scales a subnormal partial product's rounding (10 units of H ∂/∂z₁₂ before, 5 of KL and CE ∂/∂z₁ᵢ).

Reference: mpmath's numerical derivative of the definitions — the finite sums over the ten outcomes x of
n = 3 draws, P(x) = 3!/(x₁!x₂!x₃!)·Π sᵢ^{xᵢ}: H = −Σ P log P, KL = Σ P log(P/Q), CE = −Σ P log Q — at a precision
raised until two derivatives agree to 2⁻⁷⁰ (the derivative is 10⁻³²¹ of the value).
"""

import functools
import itertools

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.app.accuracy_catalog import common_catalog
from symce.numeric.ulp import ulp_distance

_OUTCOMES = [x for x in itertools.product(range(4), repeat=3) if sum(x) == 3]


def _softmax(z):
    m = max(z)
    e = [mpmath.exp(v - m) for v in z]
    return [v / sum(e) for v in e]


def _log_pmf(x, logp):
    coef = mpmath.log(mpmath.factorial(3)) - sum(mpmath.log(mpmath.factorial(k)) for k in x)
    return coef + sum(k * lp for k, lp in zip(x, logp))


def _log_probs(q):
    # log softmax from the logits (e^{−1e300} keeps its logarithm), or log p for probabilities
    if q[0] == "z":
        z = q[1]
        m = max(z)
        lse = m + mpmath.log(sum(mpmath.exp(v - m) for v in z))
        return [v - lse for v in z]
    return [mpmath.log(p) for p in q[1]]


def _definition(kind, P, Q):
    lp = _log_probs(P)
    total = mpmath.mpf(0)
    for x in _OUTCOMES:
        a = _log_pmf(x, lp)
        if kind == "H":
            total -= mpmath.exp(a) * a
        elif kind == "KL":
            total += mpmath.exp(a) * (a - _log_pmf(x, _log_probs(Q)))
        else:
            total -= mpmath.exp(a) * _log_pmf(x, _log_probs(Q))
    return total


def _reference(kind, z1, other, i):
    """∂/∂z1_i of the definition; ``other`` ("p", p₂) or ("z", z₂) or None."""
    prev = None
    for dps in (400, 800, 1600):
        with mpmath.workdps(dps):
            zs = [mpmath.mpf(v) for v in z1]
            Q = None if other is None else (other[0], [mpmath.mpf(v) for v in other[1]])

            def f(t):
                zz = list(zs)
                zz[i] = t
                return _definition(kind, ("z", zz), Q)

            got = mpmath.diff(f, zs[i])
            if prev is not None and got != 0 and abs(got - prev) <= abs(got) * mpmath.mpf(2) ** -70:
                return float(got)
            prev = got
    raise AssertionError("reference did not settle")


@functools.lru_cache(maxsize=None)
def _gradient(name, var):
    d = dict(common_catalog())[name]()
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    return d.gradient(next(s for s in args if s.name == var)), args


@functools.lru_cache(maxsize=None)
def _compiled(name, var, backend="numpy"):
    g, args = _gradient(name, var)
    return sc.lambdify(g, args, backend=backend), [a.name for a in args]


H = "H(multinomial-logits-n3-k3)"
KL = "KL(multinomial-logits-n3-k3 ‖ multinomial-n3-k3)"
CE = "CE(multinomial-logits-n3-k3 ‖ multinomial-logits-n3-k3)"
_THIRD = (0.33333333333333337, 0.3333333333333333, 0.3333333333333333)
# (formula, ∂/∂z1_i, z1, ("p" | "z", the other distribution's parameters) or None): the derivative table's worst
# points before wscale; the last one's chain 24·s₃·(s₂·(s₁·(s₁·v))) has its subnormal weight inside
POINTS = [(H, 2, (1e-300, -745.0, 5e-324), None),  # 3.2e-321 for 3.15e-321 (10 units)
          (KL, 1, (-1e-17, 38.0, 745.0), ("p", _THIRD)),  # −6.285e-321 for −6.31e-321 (5)
          (KL, 2, (745.0, 1e-08, 5e-324), ("p", (1.1102230246251565e-16, 1.1102230246251565e-16, 0.9999999999999998))),
          (CE, 1, (-745.0, 2.2250738585072014e-308, -1e300), ("z", (38.0, -1e-300, -40.0))),  # −3.56e-322, −3.3e-322
          (CE, 3, (5e-324, 709.78, -0.5), ("z", (-5e-324, -36.0, -33.0))),  # −4.15980992063146[37 for 13]e-308
          (CE, 2, (1e-300, -745.0, 5e-324), ("z", (800.0, -709.78, 33.0)))]  # 4.79e-321 for 4.77e-321 (5)


@pytest.mark.parametrize("name, i, z1, other, backend", [(*p, "numpy") for p in POINTS] + [(*POINTS[1], "math")])
def test_logit_partial_against_mpmath_diff(name, i, z1, other, backend):
    # math: the lowering writes the same wscale (numeric/lowering.py); torch prints c·wprod as before
    f, names = _compiled(name, f"z1_{i}", backend)
    values = {f"z1_{k + 1}": v for k, v in enumerate(z1)}
    if other is not None:
        values.update({f"{other[0]}2_{k + 1}": v for k, v in enumerate(other[1])})
    got = float(f(*[values[n] for n in names]))
    want = _reference(name[:2].rstrip("("), z1, other, i - 1)
    # ≤ 2 ULP (units of 2⁻¹⁰⁷⁴ here; the goal is 4): the float64 chain c·(w·(…)) read 5–10
    assert ulp_distance(np.float64(got), np.float64(want)) <= 2, (name, i, got, want)


def test_wscale_kernel_special_values():
    from symce.numeric.impl.weight_quotient import wscale_numpy

    kw = {"kinds": ("softmax",), "sizes": (3,), "num": 12, "den": 1}
    # a weight e^{−1e91} (0 in float64) against v = −∞ (a target probability 0): −∞, not 0·∞ = NaN
    assert wscale_numpy(-np.inf, 0.0, -1e91, -1e91, 0.0, **kw) == -np.inf
    assert wscale_numpy(0.0, 0.0, -1e91, -1e91, 0.0, **kw) == 0.0
    assert np.isnan(wscale_numpy(np.nan, 0.5, 0.0, 0.0, 1e-300, **kw))
    # a subnormal weight e^{−745}/(1 + e^{−745} + 1) from its logits: 12·w·v, one rounding
    w = float(_softmax([mpmath.mpf(-745), mpmath.mpf(0), mpmath.mpf(0)])[0])
    got = wscale_numpy(3.0, w, -745.0, 0.0, 0.0, **kw)
    with mpmath.workdps(50):
        want = float(36 * _softmax([mpmath.mpf(-745), mpmath.mpf(0), mpmath.mpf(0)])[0])
    assert got == want


# the derivative table's worst normal-range points (seeds 1–3): the 9-term softmax polynomial's terms, each four
# rounded softmax weights and four products in float64 (2–3 ULP a term), read 5–6 units; the terms from the
# logits in long double (wscale's kernel), one rounding each, ≤ 3 ULP of the value
NORMAL_POINTS = [
    (H, 2, (-5.581825766268231, -5.378341504673714e-261, -15.32256215379794), None),  # seed 2: 5.5
    (H, 3, (3.026881880005868e-41, 2.9950670114462125e-176, 7.38506770320857), None),  # seed 2: 4.8
    (H, 3, (8.64200026971158, 23.709663337710424, -9.295260642189025e-166), None),  # seed 3: 5
    (CE, 3, (36.7322592892385, -22.744536290464286, 7.326751442959734e-272),  # seed 2: 4.7
     ("z", (1.050388407898029e-50, -3.3563576394406566e-46, 1.4938320732975448e-37))),
    (CE, 3, (2.717030352134604e-67, 5.787626665973633, -2.53540303818815),  # seed 1: 5
     ("z", (-10.975168638110745, -1.3145291914162839e-30, 2.436726954301191e-35)))]


@pytest.mark.skipif(np.finfo(np.longdouble).nmant <= 52, reason="the kernel's float64 products where long double "
                    "is no wider (5–6 units at these points)")
@pytest.mark.parametrize("name, i, z1, other", NORMAL_POINTS)
def test_logit_partial_normal_range(name, i, z1, other):
    f, names = _compiled(name, f"z1_{i}")
    values = {f"z1_{k + 1}": v for k, v in enumerate(z1)}
    if other is not None:
        values.update({f"{other[0]}2_{k + 1}": v for k, v in enumerate(other[1])})
    got = float(f(*[values[n] for n in names]))
    want = _reference(name[:2].rstrip("("), z1, other, i - 1)
    assert ulp_distance(np.float64(got), np.float64(want)) <= 3, (name, i, got, want)
