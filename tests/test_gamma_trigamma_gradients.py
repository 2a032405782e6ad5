"""∂/∂α₁ of the Gamma and inverse-gamma cross-entropies and KLs and ∂/∂k₁ of the χ² ones (issue 12 item 1):
w·ψ′(x) + a/b, where ψ′(x) ≈ 1/x² overflows below x ≈ 1.5e-154. Before the rule 'trigamma ratio': NaN for
∞ − ∞ where w·ψ′(α₁) and β₂/β₁ overflow with opposite signs (the value is ±∞), NaN for 0·∞ (KL(χ²) at
k₁ = k₂ = 1e-300, value 0), −∞ at k₂ = 1.8e308 where (2 − k₂)ψ′(1)/4 = −7.4e307. References: the partials of
the textbook closed forms (Penny 2001; Gil, Alajaji & Linder 2013; χ²(k) = Gamma(k/2, ½)),
∂CE(Gamma)/∂α₁ = (1 − α₂)ψ′(α₁) + β₂/β₁, ∂KL/∂α₁ = (α₁ − α₂)ψ′(α₁) − 1 + β₂/β₁,
∂CE(InvGamma)/∂α₁ = −(α₂ + 1)ψ′(α₁) + β₂/β₁, ∂CE(χ²)/∂k₁ = (2 − k₂)ψ′(k₁/2)/4 + ½, ∂KL(χ²)/∂k₁ =
(k₁ − k₂)ψ′(k₁/2)/4, in mpmath (unbounded exponents) at 40 digits; these checked against mpmath.diff of the
closed forms at a moderate point."""

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.rewrite import stabilise

A1, B1, A2, B2 = sp.symbols("alpha1 beta1 alpha2 beta2", positive=True)
K1, K2 = sp.symbols("k1 k2", positive=True)
BIG = 1.7976931348623157e308


def _mp(*xs):
    return [mpmath.mpf(x) for x in xs]


def d_gamma_ce(a1, b1, a2, b2):
    a1, b1, a2, b2 = _mp(a1, b1, a2, b2)
    return (1 - a2) * mpmath.psi(1, a1) + b2 / b1


def d_gamma_kl(a1, b1, a2, b2):
    a1, b1, a2, b2 = _mp(a1, b1, a2, b2)
    return (a1 - a2) * mpmath.psi(1, a1) - 1 + b2 / b1


def d_inverse_ce(a1, b1, a2, b2):
    a1, b1, a2, b2 = _mp(a1, b1, a2, b2)
    return -(a2 + 1) * mpmath.psi(1, a1) + b2 / b1


def d_chi2_ce(k1, k2):
    k1, k2 = _mp(k1, k2)
    return (2 - k2) * mpmath.psi(1, k1 / 2) / 4 + mpmath.mpf(1) / 2


def d_chi2_kl(k1, k2):
    k1, k2 = _mp(k1, k2)
    return (k1 - k2) * mpmath.psi(1, k1 / 2) / 4


def as_float(v):
    return float("inf") if v > BIG else float("-inf") if v < -BIG else float(v)


def close(got, want, ulps=4):
    want = as_float(want)
    if np.isinf(want) or want == 0:
        return got == want
    return abs(got - want) <= ulps * np.spacing(abs(want))


@pytest.fixture(scope="module")
def partials():
    g = (sc.Gamma(A1, B1), sc.Gamma(A2, B2))
    ig = (sc.InverseGamma(A1, B1), sc.InverseGamma(A2, B2))
    c = (sc.Chi2(K1), sc.Chi2(K2))
    return {"gamma_ce": (sc.cross_entropy(*g).gradient([A1]), d_gamma_ce),
            "gamma_kl": (sc.kl(*g).gradient([A1]), d_gamma_kl),
            "inverse_ce": (sc.cross_entropy(*ig).gradient([A1]), d_inverse_ce),
            "chi2_ce": (sc.cross_entropy(*c).gradient([K1]), d_chi2_ce),
            "chi2_kl": (sc.kl(*c).gradient([K1]), d_chi2_kl)}


# (formula, point in lambdify's order: P's parameters, then Q's)
POINTS = [
    ("gamma_ce", (2.372429430512174e-141, 1.6692234489462603e-234, 3.5067931508973325e+53, 2.156182331278684e+104)),
    ("gamma_ce", (1e-160, 1.0, 3.0, 1.0)),
    ("gamma_ce", (2.5, 1.5, 0.7, 3.0)),
    # −39·ψ′(709.78) + 1/18: 0.0549 against 0.0556 (the sum in double-double; 25 ULP from the float parts)
    ("gamma_ce", (709.78, 36.0, 40.0, 2.0)),
    ("gamma_kl", (1.2761294555958339e-272, 1.4374822088393055e-245, 2.6114182716613217e-31, 1.5011917540458893e+297)),
    ("gamma_kl", (1e-200, 1.0, 1e-200, 1.0)),
    ("gamma_kl", (2.5, 1.5, 0.7, 3.0)),
    ("inverse_ce", (1e-170, 1e-300, 2.0, 1e10)),
    ("inverse_ce", (2.5, 1.5, 0.7, 3.0)),
    ("chi2_ce", (2.0, BIG)),
    ("chi2_ce", (3.0, 5.5)),
    ("chi2_kl", (1e-300, 1e-300)),
    ("chi2_kl", (3.0, 5.5)),
]


def test_references_are_the_partials_of_the_closed_forms():
    with mpmath.workdps(30):
        a1, b1, a2, b2 = _mp(2.5, 1.5, 0.7, 3.0)

        def ce(a):
            return -a2 * mpmath.log(b2) + mpmath.loggamma(a2) - (a2 - 1) * (mpmath.digamma(a) - mpmath.log(b1)) + a * b2 / b1

        assert abs(mpmath.diff(ce, a1) - d_gamma_ce(2.5, 1.5, 0.7, 3.0)) < 1e-25
        chi2 = lambda k: ce_chi2(k, mpmath.mpf(5.5))  # noqa: E731
        assert abs(mpmath.diff(chi2, mpmath.mpf(3)) - d_chi2_ce(3.0, 5.5)) < 1e-25


def ce_chi2(k1, k2):
    half = mpmath.mpf(1) / 2
    return (-k2 / 2 * mpmath.log(half) + mpmath.loggamma(k2 / 2)
            - (k2 / 2 - 1) * (mpmath.digamma(k1 / 2) - mpmath.log(half)) + (k1 / 2) * half / half)


def test_rule_applies_and_is_proved(partials):
    for d, _ in partials.values():
        steps = stabilise(d.result[0]).steps
        assert any(s.rule.startswith("trigamma ratio") for s in steps)
        assert all(s.status == "proved" for s in steps)


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_partials_at_the_hard_points(partials, backend):
    fs = {k: sc.lambdify(d.result[0], list(_args(k)), backend=backend) for k, (d, _) in partials.items()}
    with mpmath.workdps(40):
        for name, p in POINTS:
            with np.errstate(all="ignore"):
                got = float(fs[name](*p))
            want = partials[name][1](*p)
            assert close(got, want), (name, p, got, want)


def test_partials_torch(partials):
    torch = pytest.importorskip("torch")
    with mpmath.workdps(40):
        for name in ("gamma_ce", "chi2_kl"):
            pts = [p for n, p in POINTS if n == name]
            f = sc.lambdify(partials[name][0].result[0], list(_args(name)), backend="torch")
            got = f(*(torch.tensor([p[i] for p in pts], dtype=torch.float64) for i in range(len(pts[0]))))
            for g, p in zip(got, pts):
                assert close(float(g), partials[name][1](*p)), (name, p, float(g))


def _args(name):
    return (K1, K2) if name.startswith("chi2") else (A1, B1, A2, B2)
