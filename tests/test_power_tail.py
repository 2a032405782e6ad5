"""definition._power_tail: E[X^s] under a power-law tail in closed form, against mpmath quadrature; declined
where the integral does not converge at s = 0."""

import mpmath
import sympy as sp

from symce.engine.definition import _power_tail

x = sp.Symbol("x", positive=True)
a, c = sp.symbols("alpha c", positive=True)
s = sp.Dummy("s")


def test_matches_quadrature_near_zero():
    f = x**s * a * c**a * x**(-a - 1)  # a Pareto density times x^s
    got = _power_tail(f, x, c, sp.oo, s)
    assert got is not None
    at = {a: sp.Rational(5, 2), c: sp.Rational(3, 4)}
    for sv in (sp.Rational(-1, 3), sp.Rational(1, 5)):
        g = sp.lambdify(x, f.xreplace({**at, s: sv}), "mpmath")
        mpmath.mp.dps = 30
        want = mpmath.quad(g, [mpmath.mpf(3) / 4, mpmath.inf])
        assert abs(sp.N(got.xreplace({**at, s: sv}), 30) - sp.Float(str(want), 30)) < 1e-20


def test_declines():
    assert _power_tail(x**s * x**(-sp.Rational(1, 2)), x, c, sp.oo, s) is None  # diverges at s = 0
    assert _power_tail(x**s * x**(-a), x, c, sp.oo, s) is None  # a + 1 < 0 not decided (a > 0 only)
    assert _power_tail(x**s * x**(-a - 2), x, sp.S.Zero, sp.oo, s) is None  # the lower end must be > 0
    assert _power_tail(x**s * sp.exp(-x), x, c, sp.oo, s) is None  # not a power
