"""rules_exp_poly: ∫ xⁿ e^{ax+b} pieces by parts, against mpmath quadrature of the same integrand."""

import mpmath
import pytest
import sympy as sp

from symce.engine.rules_exp_poly import exp_poly_integral

x = sp.Symbol("x", real=True)
b = sp.Symbol("b", positive=True)
m = sp.Symbol("m", real=True)


@pytest.mark.parametrize("f, lo, hi", [
    ((3 + x + x**2 / 5) * sp.exp(-(x - m) / b), m, sp.oo),      # a Laplace right tail with a quadratic statistic
    ((2 - x) * sp.exp((x - m) / b) / (2 * b), -sp.oo, m),         # the left tail
    (x**3 * sp.exp(-x / b + 1) - sp.exp(x / b), sp.Integer(-1), sp.Rational(5, 2)),  # a bounded piece: both signs
])
def test_matches_quadrature(f, lo, hi):
    got = exp_poly_integral(f, x, lo, hi)
    assert got is not None
    at = {b: sp.Rational(7, 5), m: sp.Rational(-3, 10)}
    mpmath.mp.dps = 30
    g = sp.lambdify(x, f.xreplace(at), "mpmath")
    ends = [mpmath.inf if e == sp.oo else -mpmath.inf if e == -sp.oo else mpmath.mpf(sp.N(e.xreplace(at), 40)) for e in (lo, hi)]
    want = mpmath.quad(g, ends)
    assert abs(sp.N(got.xreplace(at), 30) - sp.Float(str(want), 30)) < 1e-20 * max(1, abs(float(want)))


def test_declines_what_it_cannot_decide():
    a = sp.Symbol("a", real=True)  # the sign of the slope unknown: the infinite end may diverge
    assert exp_poly_integral(sp.exp(a * x), x, 0, sp.oo) is None
    assert exp_poly_integral(sp.exp(x / b), x, 0, sp.oo) is None  # diverges at +∞
    assert exp_poly_integral(1 + x, x, 0, sp.oo) is None          # a polynomial alone over an infinite piece
    assert exp_poly_integral(sp.exp(-x**2), x, 0, sp.oo) is None  # not affine in the exponent
    assert exp_poly_integral(sp.log(x) * sp.exp(-x), x, 1, sp.oo) is None
