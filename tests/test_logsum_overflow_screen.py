"""The rational_log_sum kernel's overflow screen (``logsum.beyond_range``): where the float terms overflow, the
log₂ magnitudes and signs of R₀'s terms decide ±∞ without the long double pass. Checked against exact rational
arithmetic (``fractions``): every element it calls ±∞ has |R₀| > 2^1095 with that sign, it does call the
clear cases, it refuses cancelling terms; and through the normal cross-entropy ½ log 2πσ₂² +
(σ₁² + (μ₁ − μ₂)²)/(2σ₂²) (Gil, Alajaji & Linder 2013) against mpmath, on either side of DBL_MAX. Also the
long double pass's K + log σ₂ as log(σ₂/x₀) near the CE's zero curve."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

import symce as sc
from symce.numeric.impl.logsum import _xr_program, beyond_range

a, b, c, d = sp.symbols("a b c d")
INDEX = {a: 0, b: 1, c: 2, d: 3}


def _exact(terms, cols, j):
    vals = {s: Fraction(float(cols[i][j])) for s, i in INDEX.items()}
    return sum(Fraction(str(0)) + _ev(t, vals) for t in terms)


def _ev(e, vals):
    if e.is_Symbol:
        return vals[e]
    if e.is_Rational:
        return Fraction(int(e.p), int(e.q))
    if e.is_Add:
        return sum(_ev(x, vals) for x in e.args)
    if e.is_Mul:
        out = Fraction(1)
        for x in e.args:
            out *= _ev(x, vals)
        return out
    return _ev(e.base, vals) ** int(e.exp)


def _columns(n, seed):
    rng = np.random.default_rng(seed)
    cols = []
    for _ in range(4):
        m = rng.uniform(-1, 1, n)
        e = rng.integers(-1074, 1024, n)
        cols.append(np.ldexp(m, e))
    return cols


def test_screen_against_exact_arithmetic():
    cases = [
        [c**2 / (2 * d**2), (a - b) ** 2 / (2 * d**2)],   # the normal CE's R₀
        [-(a**2) / d**2, -((c + 2 * b) ** 3) / 3],         # negative terms, an odd power of a sum
        [-a**3 * b / d**4, c / 3],                        # either sign, a constant not dyadic
        [a**2 / c**2, -(b**2) / c**2],                    # terms of opposite signs may cancel: never called
    ]
    for terms in cases:
        xr = _xr_program(terms, INDEX)
        assert xr is not None
        cols = _columns(400, 1)
        # equal huge magnitudes on purpose: a = b makes the last case cancel exactly
        cols[1][:50] = cols[0][:50]
        sign = beyond_range(xr, cols)
        fired = 0
        for j in range(400):
            if sign[j] == 0:
                continue
            fired += 1
            exact = _exact(terms, cols, j)
            assert abs(exact) > Fraction(2) ** 1095, (terms, j)
            assert (exact > 0) == (sign[j] > 0), (terms, j)
        if terms[1] == -(b**2) / c**2:
            assert fired == 0
        else:
            assert fired > 20, terms  # random exponents: many terms are far beyond the range


def test_sums_of_rounded_values_refused():
    # (a − 1/3)²: a sum whose operand is rounded may cancel without bound, so no screen; nor a sum of three
    assert _xr_program([(a - sp.Rational(1, 3)) ** 2 / d**2], INDEX) is None
    assert _xr_program([(a - 3 * b) ** 2 / d**2], INDEX) is None
    assert _xr_program([(a + b + c) ** 2 / d**2], INDEX) is None
    assert _xr_program([(a - 2 * b) ** 2 / d**2], INDEX) is not None  # 2b is exact


def test_normal_ce_either_side_of_the_range():
    m1, m2 = sp.symbols("mu1 mu2", real=True)
    s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
    f = sc.lambdify(sc.cross_entropy(sc.Normal(m1, s1), sc.Normal(m2, s2)), [m1, m2, s1, s2])
    pts = [
        (1e-100, 0.0, 1.0, 5e-324),      # ratio 2e223: far beyond, the screen
        (-1e300, 1e300, 1e-300, 1e-300),  # both quadratic terms far beyond
        (1.8e154, 0.0, 1.0, 1.0),         # 1.62e308: finite, the float screen
        (1.8961e154, 0.0, 1.0, 1.0),      # 1.7976e308 + log: finite, just below DBL_MAX
        (1.9e154, 0.0, 1e-10, 1.0),       # 1.805e308: +∞ by the long double pass
        (2.0 ** 535, 0.0, 1.0, 2.0 ** -10),  # 2^1089: +∞, below the screen's reach (the long double pass)
        (2.0 ** 540, 0.0, 1.0, 2.0 ** -10),  # 2^1099: +∞, at the screen's threshold
    ]
    got = f(*[np.array([p[i] for p in pts]) for i in range(4)])
    with mpmath.workdps(40):
        for p, g in zip(pts, got):
            u1, u2, t1, t2 = (mpmath.mpf(v) for v in p)
            exact = mpmath.log(2 * mpmath.pi * t2**2) / 2 + (t1**2 + (u1 - u2) ** 2) / (2 * t2**2)
            if exact > mpmath.mpf(np.finfo(float).max) * (1 + mpmath.mpf(2) ** -53):
                assert g == np.inf, p
            else:
                assert np.isfinite(g) and abs(mpmath.mpf(float(g)) - exact) <= 3 * mpmath.mpf(np.spacing(float(g))), p


def test_long_double_pass_near_the_zero_curve():
    """The long double pass takes K + log σ₂ as log(σ₂/x₀), x₀ = e^{−K} = 1/√(2π) (its size is then that
    term's, not |K| + |log σ₂|): points on the CE's zero curve, cancelling by 2⁴ … 2¹⁷, either side of x₀
    and of its window [x₀/2, 2x₀], against mpmath; ≤ 2 ULP whichever tier takes each."""
    m1, m2 = sp.symbols("mu1 mu2", real=True)
    s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
    f = sc.lambdify(sc.cross_entropy(sc.Normal(m1, s1), sc.Normal(m2, s2)), [m1, m2, s1, s2])
    rng = np.random.default_rng(11)
    n = 160
    t2 = np.exp(rng.uniform(np.log(0.02), np.log(0.3989), n))
    rel = np.exp(rng.uniform(np.log(1e-5), np.log(5e-2), n)) * rng.choice([-1, 1], n)
    t1 = t2 * np.sqrt(-np.log(2 * np.pi * t2 * t2) * (1 + rel))
    u1 = rng.normal(0, 1e-3, n)
    cols = [u1, np.zeros(n), t1, t2]
    got = f(*cols)
    with mpmath.workdps(40):
        for j in range(n):
            a1, a2, b1, b2 = (mpmath.mpf(float(c[j])) for c in cols)
            exact = mpmath.log(2 * mpmath.pi * b2**2) / 2 + (b1**2 + (a1 - a2) ** 2) / (2 * b2**2)
            err = abs(mpmath.mpf(float(got[j])) - exact) / mpmath.mpf(np.spacing(abs(float(exact))))
            assert err <= 2, (j, [float(c[j]) for c in cols], float(got[j]), float(exact))
