"""The Gumbel cross-entropy and KL gradients (Derivation.gradient, lambdified through the stabilising rewrite)
against the textbook CE in mpmath at 60 digits: with r = β₁/β₂, L = (μ₂ − μ₁)/β₂ and
E_P[e^{−(X − μ₂)/β₂}] = e^L·Γ(1 + r) (the Gumbel moment generating function, Kotz & Nadarajah 2000,
*Extreme Value Distributions*, §1.2), H(P, Q) = log β₂ + γr + e^L·Γ(1 + r) − L and KL = H(P, Q) − log β₁ − γ − 1.
Its partials, checked against mpmath.diff at an ordinary point, are taken analytically at the hard points:

* ∂/∂μ₂ = (G − 1)/β₂, G = e^L·Γ(1 + r); ∂/∂β₁ = (Gψ(1 + r) + γ)/β₂ (− 1/β₁ for the KL);
* ∂/∂β₂ = (1 − γr + L − G(rψ(1 + r) + L))/β₂.

The points are where the raw gradients failed (issue #12 item 1): μ₁G − μ₂G = ∞ − ∞ at β₁ = 960, β₂ = 5.1
(truth −∞), G/β₂ − 1/β₂ = ∞ − ∞ at β₂ = 5e-324, L + log Γ(1 + r) = −∞ + ∞ at β₂ = 2.2e-308 (truth −1/β₂),
e^s rounded from s ≈ 83 (63 ULP), and the points where r = β₁/β₂ or L overflow in floats."""

import math

import mpmath
import pytest
import sympy as sp

import symce as sc
from symce.numeric.functions import gamma_scaled, gamma_scaled_drift, gamma_scaled_psi
from symce.numeric.rewrite import stabilise

m1, m2 = sp.symbols("mu1 mu2", real=True)
b1, b2 = sp.symbols("beta1 beta2", positive=True)
ARGS = [b1, b2, m1, m2]
# (β₁, β₂, μ₁, μ₂)
POINTS = [(959.888437543171, 5.095333782527965, 1.3456064662827391e-58, 4.950971015132437e-231),
          (238.54593155143368, 7.4082093298511005, 1.5261492882387808e-120, -4.354969222066288),
          (710.0, 30.0, 38.0, -30.0), (745.0, 37.0, 710.0, -1e-300),
          (2.0, 3.0, 0.5, -1.0), (1.0, 1.0, 0.0, 0.0), (0.3, 0.31, 1.0, 1.0 + 1e-9)]


def _partials(p, kl):
    """[∂β₁, ∂β₂, ∂μ₁, ∂μ₂] and the magnitudes of their terms (the scale of their cancellation)."""
    x1, x2, u1, u2 = (mpmath.mpf(v) for v in p)
    r, big_l = x1 / x2, (u2 - u1) / x2
    g = mpmath.exp(big_l + mpmath.loggamma(1 + r))
    psi = mpmath.digamma(1 + r)
    d1 = [g * psi / x2, mpmath.euler / x2] + ([-1 / x1] if kl else [])
    d2 = [1 / x2, -mpmath.euler * r / x2, big_l / x2, -g * (r * psi + big_l) / x2]
    dm = [g / x2, -1 / x2]
    return [(sum(t), sum(abs(v) for v in t)) for t in (d1, d2, [-v for v in dm], dm)]


def _mp_ce(x1, x2, u1, u2):
    r, big_l = x1 / x2, (u2 - u1) / x2
    return mpmath.log(x2) + mpmath.euler * r + mpmath.exp(big_l) * mpmath.gamma(1 + r) - big_l


def _within(got, want, scale, units):
    w = float(want)
    if math.isinf(w) or math.isinf(got):
        return got == w
    return abs(got - w) <= units * math.ulp(max(abs(w), float(scale), 5e-324))


@pytest.fixture(scope="module")
def gradients():
    p, q = sc.Gumbel(m1, b1), sc.Gumbel(m2, b2)
    return {"ce": [sc.cross_entropy(p, q).gradient(w) for w in ARGS], "kl": [sc.kl(p, q).gradient(w) for w in ARGS]}


def test_the_analytic_partials_are_the_textbook_derivatives():
    with mpmath.workdps(40):
        p = [mpmath.mpf(v) for v in (2.0, 3.0, 0.5, -1.0)]
        got = _partials(p, kl=False)
        for i in range(4):
            def f(t, i=i):
                y = list(p)
                y[i] = t
                return _mp_ce(*y)
            assert mpmath.almosteq(got[i][0], mpmath.diff(f, p[i]), 1e-25)


@pytest.mark.parametrize("name", ["ce", "kl"])
@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_gumbel_gradients_at_the_hard_points(gradients, name, backend):
    g = gradients[name]
    fs = [sc.lambdify(g[i], ARGS, backend=backend) for i in range(4)]
    for p in POINTS:
        with mpmath.workdps(60):
            want = _partials(p, kl=name == "kl")
        for i, f in enumerate(fs):
            got = float(f(*p))
            assert _within(got, want[i][0], want[i][1], 16), (name, ARGS[i], p, got, float(want[i][0]))


# where r or L overflow in floats: L + log Γ(1 + r) = −∞ + ∞ (G = 0: ∂/∂μ₂ = −1/β₂), r = ∞ and L = ∞ (G = ∞ − 1
# over β₂ = 5e-324), r = ∞ with G = 0 (G·ψ(1 + r) = 0·∞: ∂/∂β₁ = γ/β₂ = 5.4e267), L = −∞ and rψ(1 + r) = ∞
FARS = [(0.9999999999999999, 2.2250738585072014e-308, 1.7976931348623157e308, 1.7976931348623153e308),
        (710.0, 5e-324, -745.0, 0.5),
        (6.115183250398698e191, 1.0757827221126078e-268, 6.50457760257417e56, -8.130881838049854e281),
        (7.003680190461886e301, 8.142184074351952e-143, 1.968783760264088e281, -9.333874814494758e177),
        (1e-08, 1.0000000000000002e-08, -1.7976931348623157e308, 2.0)]


@pytest.mark.parametrize("name", ["ce", "kl"])
def test_gumbel_gradients_where_r_or_l_overflow(gradients, name):
    fs = [sc.lambdify(g, ARGS) for g in gradients[name]]
    for far in FARS:
        with mpmath.workdps(60):
            want = _partials(far, kl=name == "kl")
        for i, f in enumerate(fs):
            got = float(f(*far))
            assert _within(got, want[i][0], want[i][1], 16), (name, ARGS[i], far, got, float(want[i][0]))


@pytest.mark.parametrize("backend", ["mpmath", "torch"])
def test_gumbel_kl_gradient_on_the_other_backends(gradients, backend):
    torch = pytest.importorskip("torch") if backend == "torch" else None
    for i, g in enumerate(gradients["kl"]):
        f = sc.lambdify(g, ARGS, backend=backend)
        for p in ((POINTS[1], POINTS[-1]) if torch else (POINTS[1], POINTS[5], POINTS[-1])):
            with mpmath.workdps(60):
                want = _partials(p, kl=True)[i]
            if torch:
                got = f(*[torch.tensor(v, dtype=torch.float64) for v in p])
            else:  # the printed z = (β₁ + β₂)/β₂ and L round at the working precision (e^s at s ≈ 83: 60 ULP at 53 bits)
                with mpmath.workprec(80):
                    got = f(*p)
            assert _within(float(got), want[0], want[1], 16), (backend, ARGS[i], p, float(got), float(want[0]))


def test_the_location_scale_step_is_proved(gradients):
    for g in gradients["kl"]:
        st = stabilise(g.result, assumptions=tuple(g.conditions))
        mine = [s for s in st.steps if s.rule.startswith("Γ-scaled location–scale")]
        assert st.expr.has(gamma_scaled_drift) or st.expr.has(gamma_scaled_psi) or st.expr.has(gamma_scaled)
        assert mine and all(s.status == "proved" for s in mine), [(s.rule, s.status) for s in mine]
