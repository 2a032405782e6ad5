"""Cross-entropies whose rational part and logarithms cancel along a curve, and Pareto's log ratio (issue 11:
benchmarks/accuracy_common.md's worst inputs), against the textbook formulas in mpmath at 50 digits.

H(P, Q) = E_P[−log q(X)] from the moments of P (E X = 1/λ₁, E X² = σ₁², E log X = μ₁ or log x₁ + 1/α₁):

* Exponential: −log λ₂ + λ₂/λ₁, which cancels where λ₂/λ₁ ≈ log λ₂ (82 ULP at λ₁ = 52.25, λ₂ = 296.2);
* half-normal: ½ log(π/2) + log σ₂ + σ₁²/(2σ₂²) (12 ULP at σ₁ = 0.5, σ₂ = 0.5000000005);
* log-normal: μ₁ + ½ log 2π + log σ₂ + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) (118 ULP at μ₁ = −709.78);
* normal (Gil, Alajaji & Linder 2013, Table 3, with H(P) = ½ log 2πeσ₁²): ½ log 2πσ₂² + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²);
* Pareto (x ≥ x_m, density α x_m^α / x^{α+1}): for x₁ ≥ x₂, −log α₂ − α₂ log x₂ + (α₂ + 1)(log x₁ + 1/α₁), +∞
  otherwise; KL = CE − H(P), H(P) = log(x₁/α₁) + 1/α₁ + 1 (163 ULP where log x₁ − log x₂ cancels; the KL's
  log α₁ − log α₂ − 1 + α₂/α₁ gave 2.2e-16 for 2.5e-32 at α₂ = α₁(1 + 2⁻⁵²)).

Each at its hard points (and one on the curve itself, where the value is ~1e-17 and only the exact pass
settles it) plus a small seeded sample, on the numpy (one array call) and math backends.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.functions import rational_log_sum
from symce.numeric.rewrite import stabilise

DPS = 50
GOAL = {"elementary": 4, "normal": 3}  # the goals (≤ 3 ULP for the seed's normal forms)

lam1, lam2, s1, s2, a1, a2, x1, x2 = sp.symbols("lambda1 lambda2 sigma1 sigma2 alpha1 alpha2 xm1 xm2", positive=True)
m1, m2 = sp.symbols("mu1 mu2", real=True)


def _exp_ce(l1, l2):
    return -mpmath.log(l2) + l2 / l1


def _half_normal_ce(t1, t2):
    return mpmath.log(mpmath.pi / 2) / 2 + mpmath.log(t2) + t1 ** 2 / (2 * t2 ** 2)


def _log_normal_ce(u1, u2, t1, t2):
    return u1 + mpmath.log(2 * mpmath.pi) / 2 + mpmath.log(t2) + (t1 ** 2 + (u1 - u2) ** 2) / (2 * t2 ** 2)


def _normal_ce(u1, u2, t1, t2):
    return mpmath.log(2 * mpmath.pi * t2 ** 2) / 2 + (t1 ** 2 + (u1 - u2) ** 2) / (2 * t2 ** 2)


def _pareto_ce(b1, b2, y1, y2):
    if y1 < y2:
        return mpmath.inf
    return -mpmath.log(b2) - b2 * mpmath.log(y2) + (b2 + 1) * (mpmath.log(y1) + 1 / b1)


def _pareto_kl(b1, b2, y1, y2):
    if y1 < y2:
        return mpmath.inf
    # α₂ log(x₁/x₂) + log(α₁/α₂) + α₂/α₁ − 1, each part at 50 digits (CE − H(P) would cancel)
    return b2 * mpmath.log(y1 / y2) + mpmath.log(b1 / b2) + b2 / b1 - 1


_ON_CURVE_EXP = 296.19908735588035 / math.log(296.19908735588035)  # λ₂/λ₁ = log λ₂, rounded: CE ≈ 1e-17
_ON_CURVE_HN = math.exp(-math.log(math.pi / 2) / 2 - 0.5)  # σ₁ = σ₂ = e^{−½ log(π/2) − ½}: CE ≈ 1e-17

CASES = {
    "exponential": (lambda: sc.cross_entropy(sc.Exponential(lam1), sc.Exponential(lam2)), [lam1, lam2], _exp_ce,
                    [(52.25252974223789, 296.19908735588035), (12.314723150044129, 45.17073155382814),
                     (81.75783397051751, 525.4184578081706), (_ON_CURVE_EXP, 296.19908735588035),
                     (5e-324, 1.7976931348623157e308), (1.7976931348623157e308, 5e-324)],
                    [(1e-3, 1e3), (1e-3, 1e3)], "elementary"),
    "half-normal": (lambda: sc.cross_entropy(sc.HalfNormal(s1), sc.HalfNormal(s2)), [s1, s2], _half_normal_ce,
                    [(0.5, 0.5000000005), (0.5, 0.4999995), (0.007379087086497694, 0.0022427301540339163),
                     (_ON_CURVE_HN, _ON_CURVE_HN), (1e300, 1e-300), (5e-324, 1.7976931348623157e308)],
                    [(1e-3, 1e3), (1e-3, 1e3)], "elementary"),
    "log-normal": (lambda: sc.cross_entropy(sc.LogNormal(m1, s1), sc.LogNormal(m2, s2)), [m1, m2, s1, s2],
                   _log_normal_ce,
                   [(-709.78, 30.0, 0.9999999999999999, 1.7976931348623157e308),
                    (-10.594545997102308, 9.171226783231501e-182, 0.0011985011409561945, 2.2785430113651413),
                    (-38.909550595626406, -30.559438426647077, 49.701508168950824, 5.7289473242606865)],
                   [(-50, 50), (-50, 50), (1e-3, 1e3), (1e-3, 1e3)], "elementary"),
    "normal": (lambda: sc.cross_entropy(sc.Normal(m1, s1), sc.Normal(m2, s2)), [m1, m2, s1, s2], _normal_ce,
               [(-5.044744870282186e-44, 4.393709603448861e-23, 0.1959434583827033, 0.09187532164231765),
                (-2.0801600608159421e-128, 9.281420966360952e-262, 0.028688453357716956, 0.009672199058023767),
                (0.0, 0.0, 0.24197072451914337, 0.24197072451914337), (1e200, -1e200, 1e-100, 1e100)],
               [(-50, 50), (-50, 50), (1e-3, 1e3), (1e-3, 1e3)], "normal"),
    "pareto-ce": (lambda: sc.cross_entropy(sc.Pareto(x1, a1), sc.Pareto(x2, a2)), [a1, a2, x1, x2], _pareto_ce,
                  [(30.0, 800.0, 2.2250738585072014e-308, 2.225073858504976e-308),
                   (0.5, 709.78, 1.7976931348623157e308, 1.797693134860518e308),
                   (1.4739705081132942e29, 1.081201829711586e-151, 7.988637488232157e58, 2.613963280878972e-308),
                   (1.0, 1.7976931348623157e308, 1e300, 1e17), (2.0, 3.0, 1.0, 2.0)],
                  [(1e-3, 1e3), (1e-3, 1e3), (1e-3, 1e3), (1e-3, 1e3)], "elementary"),
    "pareto-kl": (lambda: sc.kl(sc.Pareto(x1, a1), sc.Pareto(x2, a2)), [a1, a2, x1, x2], _pareto_kl,
                  [(2.2250738585072014e-308, 2.225073858507202e-308, 800.0, 1e-08),
                   (1e-17, 9.999999999990001e-18, 710.0, 709.78),
                   (6.711240609090686e-15, 2.7910743808626467e-20, 6.232056729838671e283, 6.3203455289339e-145),
                   (3.0, 3.0, 5.0, 5.0), (2.0, 3.0, 1.0, 2.0)],
                  [(1e-3, 1e3), (1e-3, 1e3), (1e-3, 1e3), (1e-3, 1e3)], "elementary"),
}


@pytest.fixture(scope="module")
def derived():
    return {name: case[0]() for name, case in CASES.items()}


def _sample(ranges, n=12, seed=11):
    """A small seeded sample: log-uniform for positive ranges, uniform otherwise."""
    rng = np.random.default_rng(seed)
    cols = [np.exp(rng.uniform(math.log(lo), math.log(hi), n)) if lo > 0 else rng.uniform(lo, hi, n)
            for lo, hi in ranges]
    return [tuple(float(c[i]) for c in cols) for i in range(n)]


def _ulps(got: float, exact) -> float:
    if mpmath.isinf(exact):
        return 0.0 if got == float(exact) else math.inf
    e = float(exact)
    if math.isinf(e):  # beyond the float range: the correctly rounded value is ±∞
        return 0.0 if got == e else math.inf
    if not math.isfinite(got):
        return math.inf
    return float(abs(mpmath.mpf(got) - exact)) / math.ulp(e) if e != 0 else abs(got) / 5e-324


@pytest.mark.parametrize("name", list(CASES))
def test_cross_entropy_on_the_cancelling_curve_against_the_textbook_formula(name, derived):
    _, args, oracle, hard, ranges, goal = CASES[name]
    points = hard + _sample(ranges)
    d = derived[name]
    if name.startswith("pareto"):  # the x₁ ≥ x₂ branch in the sample (the other branch is +∞, a hard point)
        points = hard + [(p[0], p[1], max(p[2], p[3]), min(p[2], p[3])) for p in _sample(ranges)]
    with mpmath.workdps(DPS):
        exact = [oracle(*[mpmath.mpf(v) for v in p]) for p in points]
    f_np = sc.lambdify(d, args)
    f_math = sc.lambdify(d, args, backend="math")
    cols = [np.array([p[i] for p in points]) for i in range(len(args))]
    got_np = np.asarray(f_np(*cols), dtype=float)
    for p, ex, g in zip(points, exact, got_np):
        for backend, got in (("numpy", float(g)), ("math", float(f_math(*p)))):
            u = _ulps(got, ex)
            assert u <= GOAL[goal], (name, backend, p, got, float(ex), u)


@pytest.mark.parametrize("name", ["exponential", "half-normal", "pareto-ce", "pareto-kl"])
def test_the_stable_forms_are_proved(name, derived):
    d = derived[name]
    s = stabilise(d.result)
    assert s.proved
    assert s.expr.has(rational_log_sum)
