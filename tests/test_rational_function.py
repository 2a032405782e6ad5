"""is_rational_function gives SymPy's own answer (the definition: a ratio of polynomials in the free symbols,
integer powers only), on the shapes where its fast pass and its fallback differ."""

import pytest
import sympy as sp

from symce.numeric.rational_function import is_rational_function

x, y, z = sp.symbols("x y z", positive=True)

CASES = [
    (x / (y - x / (z + 1 / y)) + 3, True),  # nested ratios: the LowRank MVN shape
    ((x + y) ** -2 * (z - x) ** 3, True),
    (x ** sp.Rational(1, 2) + y, False),  # a non-integer power of a symbol
    (2 ** x + y, False),  # a symbol in an exponent
    (sp.pi * x / (y + sp.I), True),  # constants are coefficients
    (sp.sqrt(2) * x, True),  # a power without symbols
    (sp.log(x) + y, False),  # a function: SymPy decides
    (sp.log(2) * x + y, True),
    (sp.Integer(3), True),
    (sp.oo, False),
]


@pytest.mark.parametrize("e, expected", CASES, ids=[str(c[0]) for c in CASES])
def test_same_answer_as_the_definition_and_sympy(e, expected):
    assert is_rational_function(e) is expected
    assert e.is_rational_function() is expected
