"""The Beta/Dirichlet cross-entropy at the worst points of the accuracy section (issue 11: ≤ 16 ULP with special
functions, no spurious NaN/inf), against the textbook formula evaluated in mpmath from the exact float inputs:

    CE(Dir(α) ‖ Dir(β)) = log B(β) + Σᵢ (βᵢ − 1)(ψ(α₀) − ψ(αᵢ)),   α₀ = Σ αᵢ, B(β) = Π Γ(βᵢ)/Γ(Σ βᵢ)

(Penny 2001, "KL-divergences of Normal, Gamma, Dirichlet and Wishart densities"; Gil, Alajaji & Linder 2013
for the Beta, K = 2). Each point names the defect it caught and its error before the fix.
"""

import functools

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.impl.arrays import array_impls
from symce.numeric.impl.dirichlet_xent import MPMATH
from symce.numeric.ulp import ulp_distance

_MAX = 1.7976931348623157e308
_EPS = 2.0**-52


def _digits(*xs):
    # log Γ(1e300) ≈ 7e302 and (β − 1)·ψ(α₀) with β ≈ 1e300 carry twice the largest exponent in digits before the
    # terms cancel; a tiny x enters once (ψ(x) ≈ −1/x, log Γ(x) ≈ −log x). Checked: the same float at every
    # point with 60 + 3·(the largest |exponent|) digits, which costs 3× the time
    big = max((int(mpmath.log10(x)) for x in xs if x >= 1), default=0)
    small = max((-int(mpmath.log10(x)) for x in xs if 0 < x < 1), default=0)
    return 60 + 2 * big + small


def _lean_digits(*xs):
    # the span of the inputs' exponents (the sums α₀, Σβ exact) plus the largest exponent once (log Γ(Σβ) and
    # (β − 1)·ψ(α₀) to an absolute 1e-60): checked at the issue-11 points, the same float as with 60 + 3·big + small
    # at a fifth of the time
    big = max((int(mpmath.log10(x)) for x in xs if x >= 1), default=0)
    small = max((-int(mpmath.log10(x)) for x in xs if 0 < x < 1), default=0)
    return 60 + big + small


@functools.lru_cache(maxsize=None)
def textbook_ce(p, q):
    x = [mpmath.mpf(v) for v in (*p, *q)]
    with mpmath.workdps((_lean_digits if (p, q) in POINTS[_ISSUE_11:] else _digits)(*x)):
        p, q = x[:len(p)], x[len(p):]
        s = mpmath.fsum(p)
        log_b = mpmath.fsum(mpmath.loggamma(v) for v in q) - mpmath.loggamma(mpmath.fsum(q))
        out = log_b + mpmath.fsum((qi - 1) * (mpmath.digamma(s) - mpmath.digamma(pi)) for pi, qi in zip(p, q))
    return float(out)


# (P's concentrations, Q's concentrations): the defect, and the error before the fix
POINTS = [
    # log B(1 + 2⁻⁵², 1) = −log(1 + 2⁻⁵²): the rounding of β₁ + β₂ to 2 was the whole value (3.8e15 ULP)
    ((710.0, 1e-8), (1.0 + _EPS, 1.0)),
    # Stirling's form left out beyond 2⁵⁰⁰ (1e300·1e300 overflowed its products): 200-fold cancellation, 228 ULP
    ((709.78, 1e300), (38.0, 1.0000000000000002e300)),
    ((2.0, 33.0, 1.7976931348623155e308), (5e-324, 800.0, 1.7976931348623151e308)),  # 613 ULP
    # (β₂ − 1)·D + (β₃ − 1)·D with D = 1e8: the 1e-9 left is the rounding of 1e-17 − 1 (3.0e5 ULP)
    ((0.5, 1e-8, 1e-8), (30.0, 2.0, 1e-17)),
    # Stirling's form at every size: kl_div(β₁, β₁ + d) with β₁ + d beyond DBL_MAX lost a term of 2.8e291 (18265 ULP
    # before it was taken at the scale 2⁻ᵉᵇ)
    ((_MAX, 0.5, 38.0), (1.7976931348623155e308, 709.78, 1e300)),
    # issue 11 (reference at _lean_digits), near the CE's zero: the value ~100× below its log B and ψ terms (each
    # within 1–3 ULP of itself), now the mpmath kernel where |value| < Σ|terms|/8. 203, 37, 157 and 31 ULP before
    ((4.7795522653431513e+27, 9.531653027668502e+268), (2.391538062578725e-240, 1.574956178880061e-229)),
    ((1e300, 40.0), (1.0000000000000002, 1e-300)),
    ((1e-17, 40.0, _MAX), (1.0, 2.2250738585072014e-308, 2.0)),
    ((0.6470381800841422, 291.97091018609143, 23.03647833086737),
     (0.005135766573582464, 476.8334115273281, 55.57455779116785)),
]
_ISSUE_11 = 5  # the points from here on


@functools.lru_cache(maxsize=None)
def _beta_ce():
    a1, b1, a2, b2 = sp.symbols("alpha1 beta1 alpha2 beta2", positive=True)
    return sc.lambdify(sc.cross_entropy(sc.Beta(a1, b1), sc.Beta(a2, b2)), [a1, b1, a2, b2])


def _kernel():
    return array_impls("numpy")["dirichlet_xent"]


@pytest.mark.parametrize("p, q", POINTS, ids=[f"k{len(p)}-{i}" for i, (p, q) in enumerate(POINTS)])
def test_cross_entropy_at_the_former_worst_points(p, q):
    got = float(_kernel()(*p, *q))
    assert ulp_distance(got, textbook_ce(p, q)) <= 16, (got, textbook_ce(p, q))


def test_beta_cross_entropy_near_the_zero_of_log_b_lambdified():
    # the generated function, not only its kernel: (α₁, β₁, α₂, β₂) in the lambdified order
    p, q = POINTS[0]
    got = float(_beta_ce()(p[0], p[1], q[0], q[1]))
    assert ulp_distance(got, textbook_ce(p, q)) <= 16 and got < 0


def test_log_beta_at_its_zero():
    lb = array_impls("numpy")["log_beta"]
    for b in (1.0 + _EPS, 1.0 + 2 * _EPS, 1.0 - _EPS / 2):
        exact = float(-mpmath.log(mpmath.mpf(b)))  # B(b, 1) = 1/b
        assert ulp_distance(float(lb(b, 1.0)), exact) <= 2, b


def test_a_zero_weight_beside_an_overflowed_difference_is_zero():
    # β₁ = 1: (β₁ − 1)·(ψ(1e-323) − ψ(5e-324)) is 0·∞ in floats; the CE is +∞ from β₂ = 36 (NaN before)
    got = float(_kernel()(5e-324, 5e-324, 1.0, 36.0))
    assert got == np.inf
    # and where every weight's product overflows the other way round, still +∞ (not ∞ − ∞)
    assert float(_kernel()(5e-324, 5e-324, 1.7976931348623155e308, 1e300)) == np.inf


def test_the_mpmath_kernel_does_not_stop_at_a_false_agreement():
    # at 117 and 234 bits 1e300 + 709.78 lost 709.78 alike: two equal wrong results (25315.8 for −124.54)
    p, q = POINTS[1]
    with mpmath.workprec(53):
        got = float(MPMATH["dirichlet_xent"](*p, *q))
    assert ulp_distance(got, textbook_ce(p, q)) <= 1


def test_psi_diff_where_x_plus_d_overflows_beside_x_near_dbl_max():
    # log(X/x) was log(X/2) + log 2 − log x: 709.78 − 709.78 cancelled (0.69314718055989 for 0.6931471805599454)
    from symce.numeric.impl.digamma_diff import psi_diff

    x, d = 1.7976931348623155e308, _MAX
    with mpmath.workdps(60 + 2 * 308):
        exact = float(mpmath.digamma(mpmath.mpf(x) + mpmath.mpf(d)) - mpmath.digamma(mpmath.mpf(x)))
    assert ulp_distance(float(psi_diff(x, d)), exact) <= 2


def test_beta_cross_entropy_gradient_in_the_second_shape_of_q_near_dbl_max():
    # ∂/∂β₂ CE(Beta(α₁, β₁) ‖ Beta(α₂, β₂)) = ψ(β₂) − ψ(α₂ + β₂) + ψ(α₁ + β₁) − ψ(β₁) (Gil, Alajaji & Linder 2013's
    # CE differentiated); the accuracy section's worst point of that partial (496 ULP before)
    a1, b1, a2, b2 = sp.symbols("alpha1 beta1 alpha2 beta2", positive=True)
    g = sc.lambdify(sc.cross_entropy(sc.Beta(a1, b1), sc.Beta(a2, b2)).gradient([b2]), [a1, b1, a2, b2])
    p1, q1, p2, q2 = 1.0, 30.0, _MAX, 1.7976931348623155e308
    v = [mpmath.mpf(t) for t in (p1, q1, p2, q2)]
    with mpmath.workdps(60 + 2 * 308):
        psi = mpmath.digamma
        exact = float(psi(v[3]) - psi(v[2] + v[3]) + psi(v[0] + v[1]) - psi(v[1]))
    got = float(np.ravel(g(p1, q1, p2, q2))[0])
    assert ulp_distance(got, exact) <= 16, (got, exact)


def test_a_cancelled_element_has_the_same_value_alone_and_in_a_batch():
    # the exact path is taken element by element: the rows around it (typical, not cancelled) change nothing
    p, q = POINTS[-1]
    alone = float(_kernel()(*p, *q))
    rng = np.random.default_rng(11)
    cols = [np.concatenate([rng.uniform(0.5, 50.0, 4), [v], rng.uniform(0.5, 50.0, 4)]) for v in (*p, *q)]
    batch = _kernel()(*cols)
    assert float(batch[4]) == alone and ulp_distance(alone, textbook_ce(p, q)) <= 16
    for i in (0, 1, 2, 3, 5, 6, 7, 8):
        row = [c[i] for c in cols]
        assert ulp_distance(float(batch[i]), textbook_ce(tuple(row[:3]), tuple(row[3:]))) <= 16
