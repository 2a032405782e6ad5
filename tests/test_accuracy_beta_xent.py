"""The Beta and Dirichlet cross-entropies' ψ terms (issue 11, "Numbers": no spurious NaN/inf, ≤ 16 ULP with
special functions), against the textbook formula evaluated in mpmath at high precision from the exact float
inputs:

    CE(Dir(α) ‖ Dir(β)) = log B(β) + Σᵢ (βᵢ − 1)(ψ(α₀) − ψ(αᵢ)),   α₀ = Σ αᵢ, B(β) = Π Γ(βᵢ)/Γ(Σ βᵢ)

(Penny 2001, "KL-divergences of Normal, Gamma, Dirichlet and Wishart densities": E_P[log xᵢ] = ψ(αᵢ) − ψ(α₀);
the Beta is K = 2). As separate terms (1 − α₂)ψ(α₁) + (α₂ + β₂ − 2)ψ(α₁ + β₁) was ∞ − ∞ = NaN where the
cross-entropy is +∞; the rule writes them as −Σ cᵢ·psi_diff(xᵢ, S − xᵢ), each difference ≥ 0.
"""

import functools
import importlib.util

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.functions import log_beta, psi_diff
from symce.numeric.impl.digamma_diff import psi_diff as psi_diff_numpy
from symce.numeric.rewrite import stabilise
from symce.numeric.ulp import ulp_distance

BACKENDS = ["numpy", "math", "mpmath"] + [b for b in ("torch",) if importlib.util.find_spec(b)]
a1, b1, a2, b2 = sp.symbols("alpha1 beta1 alpha2 beta2", positive=True)


def _digits(*xs):
    # ψ(x) ≈ −1/x for x = 1e-308 and the differences of such terms: the precision covers the exponents. Three
    # times the largest decimal exponent covers a product of two terms against a result at the smallest one
    # (60 + 2·Σ|exponent| gave bit-identical references at every point here, at up to 2500 digits and 20 s each)
    return 60 + 3 * max((abs(int(mpmath.log10(x))) for x in xs if x), default=0)


def textbook_ce(p, q):
    """Penny 2001's E_P[−log q] for Dirichlet P = Dir(p), Q = Dir(q)."""
    return _textbook_ce(tuple(map(float, p)), tuple(map(float, q)))


@functools.lru_cache(maxsize=None)  # every backend's test asks for the same references
def _textbook_ce(p, q):
    x = [mpmath.mpf(float(v)) for v in (*p, *q)]
    with mpmath.workdps(_digits(*x)):
        p, q = x[:len(p)], x[len(p):]
        s = mpmath.fsum(p)
        log_b = mpmath.fsum(mpmath.loggamma(v) for v in q) - mpmath.loggamma(mpmath.fsum(q))
        out = log_b + mpmath.fsum((qi - 1) * (mpmath.digamma(s) - mpmath.digamma(pi)) for pi, qi in zip(p, q))
    with mpmath.workdps(50):
        return +out


# (α₁, β₁, α₂, β₂): the worst inputs of the accuracy section before the rule (NaN for +∞), and ordinary ones
INF_POINTS = [(1.8624914686212287e-308, 8.57449684388999e-260, 2.266433462705325e+296, 1.787791648297196e+158),
              (9.451625668286513e-66, 1.91848731838981e-100, 9.468506708456596e+293, 1.0293381580189489e-80)]
# (P ≈ Q with large shapes, 40, 60 ‖ 41, 59: log B(β) against the ψ terms cancels, 78 ULP — open, not this rule)
FINITE_POINTS = [(0.7, 2.5, 3.0, 0.4), (1e-300, 1.0, 2.0, 3.0), (1e-5, 3e-5, 7.0, 0.25)]


@functools.lru_cache(maxsize=None)
def _ce(backend):
    return sc.lambdify(_derivation(), [a1, b1, a2, b2], backend=backend)


@functools.lru_cache(maxsize=None)
def _derivation():
    return sc.cross_entropy(sc.Beta(a1, b1), sc.Beta(a2, b2))


def test_the_rule_writes_the_psi_terms_as_differences_and_proves_it():
    s = stabilise(_derivation().result)
    # the differences are then taken into dirichlet_xent with log B (the Dirichlet cross-entropy rule)
    step = next(t for t in s.steps if t.rule.startswith("digamma differences"))
    assert step.after.has(psi_diff) and not step.after.has(sp.polygamma) and s.proved, str(s)


@pytest.mark.parametrize("backend", BACKENDS)
def test_beta_cross_entropy_is_inf_where_the_textbook_value_is(backend):
    f = _ce(backend)
    for p1, q1, p2, q2 in INF_POINTS:
        assert float(textbook_ce((p1, q1), (p2, q2))) == np.inf  # the reference itself overflows float64
        assert float(f(p1, q1, p2, q2)) == np.inf, (backend, p1, q1, p2, q2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_beta_cross_entropy_within_16_ulp_of_the_textbook_formula(backend):
    f = _ce(backend)
    for p1, q1, p2, q2 in FINITE_POINTS:
        got, exact = float(f(p1, q1, p2, q2)), float(textbook_ce((p1, q1), (p2, q2)))
        assert ulp_distance(got, exact) <= 16, (backend, (p1, q1, p2, q2), got, exact)


@pytest.mark.parametrize("x, d", [(1.0, 1e-16), (0.5, 0.25), (3.0, 3.0), (1e10, 3e10), (1e-310, 1e-300),
                                  (2.34e-7, 2.5e-319), (1e308, 1e308), (1e-5, 1e5), (0.3, 0.9)])
def test_psi_diff_kernel_against_mpmath(x, d):
    with mpmath.workdps(_digits(x, d)):
        exact = float(mpmath.digamma(mpmath.mpf(x) + mpmath.mpf(d)) - mpmath.digamma(mpmath.mpf(x)))
    assert ulp_distance(float(psi_diff_numpy(x, d)), exact) <= 4, (x, d)


def test_psi_diff_derivative_is_the_trigamma_difference():
    x, d = sp.symbols("x d", positive=True)
    assert sp.simplify(sp.diff(psi_diff(x, d), x) - sp.diff(psi_diff(x, d).elementary(), x)) == 0
    assert sp.simplify(sp.diff(psi_diff(x, d), d) - sp.diff(psi_diff(x, d).elementary(), d)) == 0


# -- log B(β): the log Γ terms as one log_beta (rewrite_log_beta.py, impl/log_beta.py) ---------------------
# as separate terms log Γ(β₁) + log Γ(β₂) − log Γ(β₁ + β₂) was inf − inf = NaN where an argument or the sum is
# near 1.8e308; (α₁, β₁, α₂, β₂) and Dirichlet (α, β) points of the accuracy section before the rule
_MAX = 1.7976931348623157e308
LOG_B_INF_POINTS = [(5e-324, 5e-324, 1.7976931348623155e308, 1e300)]
LOG_B_FINITE_POINTS = [(0.5, 0.5, 1e300, 1e308), (710.0, 0.5, 5e-324, 1e300), (2.0, 3.0, 1e10, 0.5)]
DIRICHLET_INF_POINTS = [((1.0, 1.0, 1.0), (1e300, _MAX, 1e300))]
DIRICHLET_FINITE_POINTS = [((1.0, 2.0, 3.0), (1.0, 2.0, 3.4e305)), ((0.5, 0.25, 4.0), (1e300, 1e306, 1e-300))]


@functools.lru_cache(maxsize=None)
def _dirichlet_ce(backend):
    from symce.families.dirichlet import Dirichlet

    xs, ys = sp.Matrix(sp.symbols("x1:4", positive=True)), sp.Matrix(sp.symbols("y1:4", positive=True))
    return sc.lambdify(sc.cross_entropy(Dirichlet(xs), Dirichlet(ys)), [*xs, *ys], backend=backend)


def test_the_log_gamma_terms_become_one_log_beta_and_it_is_proved():
    s = stabilise(_derivation().result)
    step = next(t for t in s.steps if t.rule.startswith("log Beta"))
    assert step.after.has(log_beta) and not step.after.has(sp.loggamma) and s.proved, str(s)


@pytest.mark.parametrize("backend", BACKENDS)
def test_beta_cross_entropy_where_log_b_overflowed(backend):
    f = _ce(backend)
    for p1, q1, p2, q2 in LOG_B_INF_POINTS:
        assert float(textbook_ce((p1, q1), (p2, q2))) == np.inf
        assert float(f(p1, q1, p2, q2)) == np.inf, (backend, p1, q1, p2, q2)
    for p1, q1, p2, q2 in LOG_B_FINITE_POINTS:
        got, exact = float(f(p1, q1, p2, q2)), float(textbook_ce((p1, q1), (p2, q2)))
        assert np.isfinite(exact) and ulp_distance(got, exact) <= 16, (backend, (p1, q1, p2, q2), got, exact)


@pytest.mark.parametrize("backend", ["numpy", "mpmath"])
def test_dirichlet_cross_entropy_where_log_b_overflowed(backend):
    f = _dirichlet_ce(backend)
    for p, q in DIRICHLET_INF_POINTS:
        assert float(textbook_ce(p, q)) == np.inf
        assert float(f(*p, *q)) == np.inf, (backend, p, q)
    for p, q in DIRICHLET_FINITE_POINTS:
        got, exact = float(f(*p, *q)), float(textbook_ce(p, q))
        assert np.isfinite(exact) and ulp_distance(got, exact) <= 16, (backend, p, q, got, exact)


@pytest.mark.parametrize("bs", [(1e300, _MAX), (1e300, _MAX, 1e300), (3.4e305, 1.0, 2.0), (0.5, 1e10), (3.0, 4.0),
                                (0.3, 0.4), (1e-300, 1e-300), (40.0, 60.0), (5e-324, _MAX), (_MAX, 5e-324, 1.0),
                                (5e-324, 1e300), (1.0, 1.0, 1.0), (1e5, 1e-5), (1.7976931348623155e308, 0.9999999999999999),
                                # S beyond DBL_MAX with three and four arguments (S/2 overflows for the first)
                                (1.2e308, 1.2e308, 1e300), (1e308, 5e-324, 7e307), (_MAX, 1e300, 1e300, 1e300)])
def test_log_beta_kernel_against_mpmath(bs):
    from symce.numeric.impl.arrays import array_impls

    with mpmath.workdps(_digits(*bs)):
        x = [mpmath.mpf(b) for b in bs]
        exact = float(mpmath.fsum(mpmath.loggamma(b) for b in x) - mpmath.loggamma(mpmath.fsum(x)))
    assert ulp_distance(float(array_impls()["log_beta"](*bs)), exact) <= 4, bs


def test_log_beta_is_minus_inf_exactly_where_the_definition_is_below_the_float_range():
    from symce.numeric.impl.arrays import array_impls

    # log B(M, M) = −2M log 2 + O(log M) < −1.8e308
    assert float(array_impls()["log_beta"](_MAX, _MAX)) == -np.inf
    # three and four arguments: S = Σ bᵢ and S/2 overflow, each bᵢ log(bᵢ/S) = −M log n overflows (was NaN)
    assert float(array_impls()["log_beta"](_MAX, _MAX, _MAX)) == -np.inf
    assert float(array_impls()["log_beta"](_MAX, _MAX, _MAX, _MAX)) == -np.inf
    # CE(Dir(1, 1, 1) ‖ Dir(M, M, M)) = log B(β) + 3(M − 1)(ψ(3) − ψ(1)) ≈ −3.3M + 4.5M: +∞ (was NaN), the
    # definition at 30 digits (log Γ and ψ directly: textbook_ce's escalation costs 15 s here)
    with mpmath.workdps(30):
        m = mpmath.mpf(_MAX)
        assert 3 * mpmath.loggamma(m) - mpmath.loggamma(3 * m) + 3 * (m - 1) * (mpmath.digamma(3) - mpmath.digamma(1)) > _MAX
    assert float(array_impls()["dirichlet_xent"](1.0, 1.0, 1.0, _MAX, _MAX, _MAX)) == np.inf
    assert np.isnan(array_impls()["log_beta"](-1.0, 2.0))
