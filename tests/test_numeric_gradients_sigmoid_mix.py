"""Second derivatives in the logit of the Bernoulli-logit entropy, cross-entropy and KL (issue 12): σ²σ′c₁ + σσ′²c₂
as one long-double kernel (sigmoid_var_mix), and c·(σ²σ′ − σσ′²) as σσ′·c·tanh(a/2) (wtanh).

KL(σ(z₁) ‖ σ(z₂)) ∂²/∂z₁² read 4 units at z₁ = −9.83 (a chain of weighted products: each σ ≤ 2 ULP, each product
and the sum rounding); CE ∂²/∂z₁² = z₂σσ′(σ − σ′) cancelled near z₁ = 0 (7.8e18 plain ULP). References: mpmath.diff
of the definitions at 60 digits (more for a tiny z₂), never the generated code."""

import mpmath
import numpy as np
import pytest

from symce.app.accuracy_derivatives import _catalog, derivatives
from symce.numeric.lambdify import lambdify

NAMES = ("KL(bernoulli-logit ‖ bernoulli-logit)", "CE(bernoulli-logit ‖ bernoulli-logit)", "H(bernoulli-logit)")


def _mp_def(name, x, y):
    s, t = 1 / (1 + mpmath.exp(-x)), 1 / (1 + mpmath.exp(x))
    if name.startswith("H"):
        return -s * mpmath.log(s) - t * mpmath.log(t)
    u, v = 1 / (1 + mpmath.exp(-y)), 1 / (1 + mpmath.exp(y))
    ce = -s * mpmath.log(u) - t * mpmath.log(v)
    return ce if name.startswith("CE") else ce + s * mpmath.log(s) + t * mpmath.log(t)


@pytest.fixture(scope="module")
def hessians():
    out = {}
    for name in NAMES:
        d = dict(_catalog())[name]()
        args = sorted(d.result.free_symbols, key=lambda s: s.name)
        g = next(g for lab, _, g in derivatives(name, d, args) if lab == "∂²/∂z1²")
        out[name] = lambdify(g, args)
    return out


def _points():
    rng = np.random.default_rng(12)
    pts = [(-9.831969312835227, 3.636391748040504e-292), (1e-300, 2.5), (-3.0, 40.0), (0.5, 0.5), (35.0, -1.0)]
    pts += [(rng.uniform(-30, 30), rng.normal(0, 5)) for _ in range(8)]
    return pts


@pytest.mark.parametrize("name", NAMES)
def test_second_derivative_in_the_logit(hessians, name):
    f = hessians[name]
    for x, y in _points():
        # the CE's softplus(−z₂) − softplus(z₂) = −z₂ and its σ(z₁) − σ(−z₁) ≈ z₁/2 need the digits down to the
        # smallest input (3.6e-292, 1e-300 here)
        dps = 60 + max(0, int(-mpmath.log10(min(abs(x), abs(y)))))
        with mpmath.workdps(dps):
            want = mpmath.diff(lambda t: _mp_def(name, t, mpmath.mpf(y)), mpmath.mpf(x), 2)
        got = float(f(x, y) if not name.startswith("H") else f(x))
        # ULPs of max(|exact|, Σ|terms|) with the terms σ²σ′c₁, σσ′²c₂ of the kernel's bracket (KL, H: they cancel
        # at a zero of the Hessian); the CE's z₂σσ′ tanh(z₁/2) is one product: plain ULPs
        with mpmath.workdps(60):
            X, Y = mpmath.mpf(x), mpmath.mpf(y)
            s, t = 1 / (1 + mpmath.exp(-X)), 1 / (1 + mpmath.exp(X))
            c1, c2 = (X - 1, -X - 1) if name.startswith("H") else (1 + Y - X, 1 + X - Y)
            terms = 0 if name.startswith("CE") else s * t * (s * abs(c1) + t * abs(c2))
        ref = float(max(abs(want), terms))
        assert abs(got - float(want)) <= 2 * np.spacing(ref), (name, x, y, got, want)
