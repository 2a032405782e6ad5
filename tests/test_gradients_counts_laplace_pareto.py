"""Gradients of the Binomial, NegativeBinomial, Pareto and Laplace formulas at the points where the accuracy
section (``--common-derivatives``) found them wrong (issue 12 item 1), against textbook derivatives in mpmath
from the exact float inputs:

* KL(Bin(n, p₁) ‖ Bin(n, p₂)) = n[p₁ log(p₁/p₂) + (1 − p₁) log((1 − p₁)/(1 − p₂))], ∂/∂p₁ = n[log(p₁/p₂) −
  log((1 − p₁)/(1 − p₂))]; KL(NB(r, p₁) ‖ NB(r, p₂)) = r[p₁/(1 − p₁)·log(p₁/p₂) + log((1 − p₁)/(1 − p₂))]
  (torch's parameterisation, mean r·p/(1 − p)), ∂/∂p₁ = r·log(p₁/p₂)/(1 − p₁)²: the rational_log_sum
  kernel's float pass took log(x/y) as log1p((x − y)/y), which loses every digit of a small x/y (9.2e11 ULP at
  p₁ = 1e-17, 2.5e12 at p₁ = 5e-324);
* H(Pareto(x₁, α₁), Pareto(x₂, α₂)) = −log α₂ − α₂ log x₂ + (α₂ + 1)(log x₁ + 1/α₁) (x₁ ≥ x₂), ∂/∂α₁ =
  −(α₂ + 1)/α₁²: α₁² overflowed (−0 for −2e-117);
* Laplace (Gil, Alajaji & Linder 2013): H(P, Q) = log(2b₂) + (b₁e^{−|Δ|/b₁} + |Δ|)/b₂ and KL = H(P, Q) −
  log(2e·b₁), Δ = μ₁ − μ₂, differentiated by SymPy and evaluated in mpmath: e^{−t} − 1 returned 0 for 3e-64,
  (μ₁ − μ₂)/b₁ was ∞ − ∞ at b₁ = 5e-324, ∂/∂b₂ ∞ − ∞ at b₂ = 5e-324 and cancelled near b₂ = b₁.
"""

import functools

import mpmath
import numpy as np
import pytest
import sympy as sp

from symce.app.accuracy_catalog import common_catalog
from symce.numeric.functions import rational_log_sum
from symce.numeric.lambdify import lambdify
from symce.numeric.ulp import ulp_distance

DPS = 60


@functools.lru_cache(maxsize=None)
def _formula(name):
    return dict(common_catalog())[name]()


@functools.lru_cache(maxsize=None)
def _gradient(name, wrt):
    d = _formula(name)
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    g = d.gradient(next(s for s in args if s.name == wrt))
    return lambdify(g, args, backend="numpy"), [s.name for s in args]


def _check(name, wrt, point, exact, tol):
    f, names = _gradient(name, wrt)
    got = float(f(*[point[k] for k in names]))
    assert np.isfinite(got) == np.isfinite(exact), (got, exact)
    if np.isfinite(exact):
        assert ulp_distance(got, exact) <= tol, (got, exact)
    else:
        assert got == exact


@pytest.mark.parametrize("c, x, y", [(709.78, 1e-17, 0.9), (1.0, 5e-324, 0.75), (1.0, 1e-300, 1e10),
                                     (3.0, 0.7, 0.7000000001), (2.5, 1e300, 1e-300)])
def test_rational_log_sum_of_a_far_quotient(c, x, y):
    n, p, q = sp.symbols("n p q", positive=True)
    f = lambdify(rational_log_sum(0, 0, n, p / q), [n, p, q], backend="numpy")
    with mpmath.workdps(DPS):
        exact = float(mpmath.mpf(c) * mpmath.log(mpmath.mpf(x) / mpmath.mpf(y)))
    assert ulp_distance(float(f(c, x, y)), exact) <= 1
    assert ulp_distance(float(f(np.array([c]), np.array([x]), np.array([y]))[0]), exact) <= 1


@pytest.mark.parametrize("n, p1, p2", [(709.78, 1e-17, 0.9), (1.0, 5e-324, 0.75), (3.0, 0.3, 0.30000000001)])
def test_binomial_kl_dp1(n, p1, p2):
    with mpmath.workdps(DPS):
        n_, a, b = (mpmath.mpf(v) for v in (n, p1, p2))
        exact = float(n_ * (mpmath.log(a / b) - mpmath.log((1 - a) / (1 - b))))
        # the stable form's terms n·log(p₁/p₂), −n·log1p(−p₁), n·log1p(−p₂): the last two cancel near p₁ = p₂,
        # where the accuracy section's goal is in units of their size
        size = float(abs(n_ * mpmath.log(a / b)) + abs(n_ * mpmath.log1p(-a)) + abs(n_ * mpmath.log1p(-b)))
    f, names = _gradient("KL(binomial ‖ binomial)", "p1")
    got = float(f(*[{"n": n, "p1": p1, "p2": p2}[k] for k in names]))
    assert abs(got - exact) <= 4 * np.spacing(max(abs(exact), size)), (got, exact)


@pytest.mark.parametrize("r, p1, p2", [(745.0000000000001, 1e-17, 0.9), (1.0, 5e-324, 0.75), (2.0, 0.5, 0.25)])
def test_negative_binomial_kl_dp1(r, p1, p2):
    with mpmath.workdps(DPS):
        r_, a, b = (mpmath.mpf(v) for v in (r, p1, p2))
        exact = float(r_ * mpmath.log(a / b) / (1 - a) ** 2)
    _check("KL(negative-binomial ‖ negative-binomial)", "p1", {"r": r, "p1": p1, "p2": p2}, exact, 4)


@pytest.mark.parametrize("a1, a2", [(5.1423112125302196e+166, 5.407172857632951e+216), (1e200, 1e100),
                                    (3.0, 0.5), (1e-170, 2.0)])
def test_pareto_cross_entropy_dalpha1(a1, a2):
    with mpmath.workdps(DPS):
        exact = float(-(mpmath.mpf(a2) + 1) / mpmath.mpf(a1) ** 2)
    point = {"alpha1": a1, "alpha2": a2, "xm1": 1.3818734059580587e+244, "xm2": 9.860336644214315e-176}
    _check("CE(pareto ‖ pareto)", "alpha1", point, exact, 2)


@functools.lru_cache(maxsize=None)
def _laplace_textbook(kind, wrt):
    mu1, mu2 = sp.symbols("mu1 mu2", real=True)
    b1, b2 = sp.symbols("b1 b2", positive=True)
    d = sp.Abs(mu1 - mu2)
    ce = sp.log(2 * b2) + (b1 * sp.exp(-d / b1) + d) / b2
    f = ce - sp.log(2 * sp.E * b1) if kind == "KL" else ce
    w = {"mu1": mu1, "mu2": mu2, "b1": b1, "b2": b2}[wrt]
    return sp.lambdify([b1, b2, mu1, mu2], sp.diff(f, w), "mpmath")


LAPLACE_POINTS = [
    (7.828840718443854, 763.4407340019427, -5.052359128340936e-225, -1.8103291306587012e-60),  # e^{−t} − 1 → 0
    (5e-324, 710.0, 1.0, 800.0),  # (μ₁ − μ₂)/b₁ apart: ∞ − ∞
    (710.0, 5e-324, -745.0, 0.5),  # ∂/∂b₂ ∞ − ∞ (truth −∞)
    (800.0, 800.0007999999999, 0.0, 1e-08),  # ∂/∂b₂: 1 − (b₁e^{−t} + |Δ|)/b₂ cancelled
    (1.0334315518080347e-97, 2.303038328930405e+42, -1.507575503075452e+129, -3.7783986650568054e+212),
    (2.0, 3.0, 1.5, -0.25),
]


@pytest.mark.parametrize("kind", ["CE", "KL"])
@pytest.mark.parametrize("wrt", ["mu1", "mu2", "b1", "b2"])
@pytest.mark.parametrize("point", LAPLACE_POINTS)
def test_laplace_gradients(kind, wrt, point):
    b1, b2, mu1, mu2 = point
    # 1 − e^{−t} at t = 2.3e-61 (the first point) needs ~80 digits beyond t's exponent
    with mpmath.workdps(150):
        exact = float(_laplace_textbook(kind, wrt)(*(mpmath.mpf(v) for v in point)))
    name = f"{kind}(laplace ‖ laplace)"
    f, names = _gradient(name, wrt)
    got = float(f(*[dict(b1=b1, b2=b2, mu1=mu1, mu2=mu2)[k] for k in names]))
    assert not np.isnan(got)
    if not np.isfinite(exact):
        assert got == exact
        return
    # near the zero of ∂/∂b₂ (the optimum b₂ = b₁e^{−t} + |Δ|) the terms' size is the scale of the error
    scale = max(abs(exact), abs(1 / b2) if wrt == "b2" else abs(exact), abs(1 / b1) if wrt == "b1" and kind == "KL"
                else abs(exact))
    assert abs(got - exact) <= 4 * np.spacing(scale) or ulp_distance(got, exact) <= 4, (got, exact)


def _multinomial_logits_ce_definition(z, p, n=3):
    """H(Mult(n, softmax z), Mult(n, p)) = −Σ_x P(x) log Q(x), summed over every count vector x (Σ xᵢ = n)."""
    with mpmath.workdps(DPS):
        zs, ps = [mpmath.mpf(v) for v in z], [mpmath.mpf(v) for v in p]
        m = max(zs)
        es = [mpmath.exp(v - m) for v in zs]
        s = [e / sum(es) for e in es]
        total = mpmath.mpf(0)
        for x1 in range(n + 1):
            for x2 in range(n + 1 - x1):
                x = (x1, x2, n - x1 - x2)
                coef = mpmath.factorial(n) / mpmath.fprod(mpmath.factorial(k) for k in x)
                P = coef * mpmath.fprod(si ** k for si, k in zip(s, x))
                total -= P * (mpmath.log(coef) + mpmath.fsum(k * mpmath.log(pi) for pi, k in zip(ps, x)))
        return float(total)


# the accuracy section's former worst point (6 ULP: each −3·s_i log p_i homogenised into s_i³ + … terms)
@pytest.mark.parametrize("p, z", [((0.1235359451167165, 0.13719551279523046, 0.739268542088053),
                                   (-10.228822078276515, -7.80667880239919, 7.361694494683292)),
                                  ((0.2, 0.3, 0.5), (0.1, -0.4, 2.0)),
                                  ((1e-300, 0.5, 0.5), (-800.0, 1.0, 1.0))])
def test_multinomial_logits_cross_entropy_value(p, z):
    name = "CE(multinomial-logits-n3-k3 ‖ multinomial-n3-k3)"
    d = _formula(name)
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    f = lambdify(d, args, backend="numpy")
    got = float(f(*p, *z))
    assert ulp_distance(got, _multinomial_logits_ce_definition(z, p)) <= 3, got
