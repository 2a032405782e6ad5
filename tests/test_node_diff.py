"""The gradient's own differentiation (``derivation._sympy_diff``, which applies the rules of Add, Mul, Pow and
of Function's chain rule itself to skip SymPy's per-node ``Derivative``) must give exactly SymPy's ``diff``:
the reference here is ``sympy.diff`` itself, compared by ``srepr`` on the closed forms of several families and on
hand-picked shapes (powers of powers, functions of sums, a class with its own derivative rule)."""

from __future__ import annotations

import pytest
import sympy as sp

import symce as sc
from symce.engine.derivation import _sympy_diff
from symce.families import COMMON

x, y = sp.symbols("x y", positive=True)
z = sp.Symbol("z", real=True)
HAND = [x**x, sp.log(x) * sp.exp(x**2 * y), sp.loggamma(x + y) - sp.polygamma(1, x * y), sp.besseli(0, x / y),
        sp.erf(z * x) ** 2 / (1 + z**2), sp.Abs(z - x) * sp.log(y), sp.Piecewise((x, z > 0), (x**2, True)),
        sp.sqrt(x + sp.exp(-z)) * sp.atan(x / y), (x + y) ** sp.Rational(-3, 2), sp.Integer(3)]


@pytest.mark.parametrize("expr", HAND, ids=lambda e: sp.sstr(e)[:40])
def test_hand_shapes_match_sympy(expr):
    for w in sorted(expr.free_symbols | {x}, key=str):
        assert sp.srepr(_sympy_diff(expr, w)) == sp.srepr(sp.diff(expr, w))


@pytest.mark.parametrize("label", ["gamma", "beta", "student-t", "von-mises", "laplace", "continuous-bernoulli"])
def test_catalog_closed_forms_match_sympy(label):
    ex = next(e for e in COMMON if e.label == label)
    for quantity in (sc.cross_entropy, sc.kl):
        e = quantity(ex.build(1), ex.build(2)).result
        for w in sorted(e.free_symbols, key=str):
            if isinstance(w, sp.Symbol):
                assert sp.srepr(_sympy_diff(e, w)) == sp.srepr(sp.diff(e, w)), (label, quantity.__name__, w)
