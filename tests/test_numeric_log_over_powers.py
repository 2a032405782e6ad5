"""The Geometric entropy/CE/KL derivatives ∂/∂p₁ (issue 12 item 1): log(1 − p)/p² and its CE/KL forms once took
1/p² first, −∞ (or ∞ − ∞ = NaN) from p ≈ 1.5e-154 where the derivative is finite. Reference: mpmath.diff of the
textbook closed forms at 400 digits, H = −((1 − p)/p)·log(1 − p) − log p, H(P, Q) = −((1 − p)/p)·log(1 − q) − log q
(E[X] = (1 − p)/p failures before the first success), KL = H(P, Q) − H(P)."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from symce import Geometric, cross_entropy, entropy, gradient, kl, lambdify

p, q = sp.symbols("p q", positive=True)
DPS = 400  # 1 − p₁ keeps p₁ = 5e-324 (324 digits), beside the step h = p₁·1e-40


def _h(p1, p2):
    return -((1 - p1) / p1) * mpmath.log1p(-p1) - mpmath.log(p1)


def _ce(p1, p2):
    return -((1 - p1) / p1) * mpmath.log1p(-p2) - mpmath.log(p2)


def _kl(p1, p2):
    return _ce(p1, p2) - _h(p1, p2)


REFS = {"H": _h, "CE": _ce, "KL": _kl}
DERIVS = {"H": lambda: entropy(Geometric(p)), "CE": lambda: cross_entropy(Geometric(p), Geometric(q)),
          "KL": lambda: kl(Geometric(p), Geometric(q))}

# hard points from benchmarks/accuracy_common_derivatives.md (the worst inputs), then a small seeded sample
HARD = [(2.1251483411953697e-161, 0.5), (8.940535524925885e-167, 1.3580947641578833e-212),
        (2.3623554558379574e-239, 0.9999999999999999), (1e-300, 1e-300), (5e-324, 0.3), (0.3, 0.3),
        (1 - 2.0 ** -53, 0.5), (1e-8, 1e-8 * (1 + 2.0 ** -40)), (0.25, 0.24999999999975), (1e-200, 3e-200)]
_rng = np.random.default_rng(12)
SAMPLE = [(float(10.0 ** a), float(10.0 ** b)) for a, b in _rng.uniform(-300, -1e-3, (12, 2))]


def _exact(name, p1, p2):
    """(∂/∂p₁ exact, Σ|terms|) at 400 digits; the terms of the KL's two logarithms over p₁² for the allowance."""
    with mpmath.workdps(DPS):  # a local precision: other code may set mpmath.mp.dps
        x1, x2 = mpmath.mpf(p1), mpmath.mpf(p2)
        d = mpmath.diff(lambda t: REFS[name](t, x2), x1, h=x1 * mpmath.mpf(10) ** -40)
        terms = abs(mpmath.log1p(-x1)) / x1**2 if name != "CE" else 0
        terms += abs(mpmath.log1p(-x2)) / x1**2 if name != "H" else 0
        return d, max(abs(d), terms)


@pytest.fixture(scope="module", params=["numpy", "math"])
def funcs(request):
    out = {}
    for name, make in DERIVS.items():
        out[name] = lambdify(gradient(make(), [p, q]), [p, q], backend=request.param)
    return out


@pytest.mark.parametrize("name", ["H", "CE", "KL"])
def test_derivative_p1_within_4_units(funcs, name):
    for p1, p2 in HARD + SAMPLE:
        got = float(np.asarray(funcs[name](p1, p2)[0]).reshape(-1)[0])
        exact, scale = _exact(name, p1, p2)
        if abs(exact) > mpmath.mpf(np.finfo(float).max):
            assert got == (math.inf if exact > 0 else -math.inf), (name, p1, p2, got)
            continue
        assert math.isfinite(got), (name, p1, p2, got, exact)
        ulp = math.ulp(float(scale)) if float(scale) > 0 else 5e-324
        with mpmath.workdps(DPS):
            assert abs(mpmath.mpf(got) - exact) <= 4 * ulp, (name, p1, p2, got, float(exact))


@pytest.mark.parametrize("name", ["H", "KL"])
def test_rule_step_is_proved(name):
    from symce.numeric.rewrite import stabilise

    d = sp.diff(DERIVS[name]().result, p)
    got = stabilise(d)
    steps = [s for s in got.steps if s.rule.startswith("log over a power")]
    assert len(steps) == 1 and steps[0].status == "proved", [(s.rule, s.status) for s in got.steps]
