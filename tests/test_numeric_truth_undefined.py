"""Ground truth where the expression has no value at the point: ∞ − ∞ (e^{z}·log q − e^{z}·log q at q = 0) and
x/0. No precision changes such an interval, so the truth says "unresolved" at its first precision instead of
doubling it to MAX_PREC (what made the softmax derivatives' truth ~0.3 s a point); values next to those
points, and a whole-line interval that more precision does narrow, are unaffected (checked against mpmath at
80 digits)."""

import math

import mpmath
import pytest
import sympy as sp

from symce.numeric.truth import START_PREC, TruthFunction

q, x, y = sp.symbols("q x y", real=True)
z1, z2 = sp.symbols("z1 z2", real=True)
# ∂/∂z₁ of the CE of a two-class softmax P against probabilities (q, 1 − q): the report's derivative
SOFT = sp.exp(z1) / (sp.exp(z1) + sp.exp(z2))
DCE = (sp.exp(z1) * sp.log(q) + sp.exp(z2) * sp.log(1 - q)) * sp.exp(z1) / (sp.exp(z1) + sp.exp(z2)) ** 2 \
    - sp.exp(z1) * sp.log(q) / (sp.exp(z1) + sp.exp(z2))


@pytest.mark.parametrize("engine", ["mpmath", "auto"])
def test_infinity_minus_infinity_is_unresolved_at_once(engine):
    tf = TruthFunction(DCE, [q, z1, z2], engine=engine)
    for zz in ((0.5, -3.0), (1e300, -1e300), (-745.0, 709.78)):
        got = tf(0.0, *zz)  # log 0 = −∞ in both terms: −∞ + ∞
        assert math.isnan(got.value) and not got.resolved
        assert got.prec == START_PREC


@pytest.mark.parametrize("engine", ["mpmath", "auto"])
def test_division_by_an_exact_zero_is_unresolved_at_once(engine):
    tf = TruthFunction(-SOFT / q, [q, z1, z2], engine=engine)
    got = tf(0.0, 2.0, -1.0)
    assert math.isnan(got.value) and not got.resolved and got.prec == START_PREC
    # a zero only up to the interval's width is not certain: 1/(x − y) at x ≠ y still pins
    tf2 = TruthFunction(1 / (x - y), [x, y], engine=engine)
    a, b = 1.0 + 2.0 ** -52, 1.0
    assert tf2(a, b).resolved and tf2(a, b).value == 2.0 ** 52


@pytest.mark.parametrize("qq,zz", [(1e-300, (0.5, -3.0)), (5e-324, (40.0, -1e17)), (0.25, (709.78, 710.0))])
def test_values_next_to_those_points_are_unchanged(qq, zz):
    got = TruthFunction(DCE, [q, z1, z2], engine="mpmath")(qq, *zz)
    with mpmath.workdps(400):  # −σ₁σ₂(log q − log(1 − q)), σ from the larger logit
        Q, Z1, Z2 = (mpmath.mpf(v) for v in (qq, *zz))
        s1 = 1 / (1 + mpmath.exp(Z2 - Z1))
        s2 = 1 / (1 + mpmath.exp(Z1 - Z2))
        ref = -s1 * s2 * (mpmath.log(Q) - mpmath.log1p(-Q))
    assert got.resolved and got.value == float(ref)
