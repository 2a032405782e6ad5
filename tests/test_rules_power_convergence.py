"""rules_power.euler_with_logs reports kernels whose convergence the assumptions leave open (their Beta
function is then only the analytic continuation, which the engine cross-checks numerically)."""

import mpmath
import sympy as sp

from symce.engine.rules_power import euler_with_logs

u = sp.Symbol("u", positive=True)
a, b = sp.symbols("a b", positive=True)
r = sp.Symbol("r", real=True)


def test_decided_kernel_matches_quadrature():
    undecided = []
    got = euler_with_logs(u ** (a - 1) * (1 - u) ** (b - 1) * sp.log(u), u, undecided)
    assert undecided == []
    at = {a: sp.Rational(3, 2), b: sp.Rational(5, 2)}
    mpmath.mp.dps = 30
    want = mpmath.quad(lambda t: t ** mpmath.mpf(0.5) * (1 - t) ** mpmath.mpf(1.5) * mpmath.log(t), [0, 1])
    assert abs(sp.N(got.xreplace(at), 30) - sp.Float(str(want), 30)) < 1e-20


def test_undecided_kernel_is_reported():
    undecided = []
    assert euler_with_logs(u ** r * (1 - u), u, undecided) is not None
    assert undecided  # r > −1 is not known: B(r + 1, ·) may be a divergent integral's continuation
    undecided = []
    euler_with_logs(u ** (-a - 1), u, undecided)  # α + 1 = −a < 0: diverges, reported
    assert len(undecided) == 1
