"""symce.core.walk.free_symbols and has_free_symbols against SymPy's own ``free_symbols``, on expressions whose classes bind
symbols (Integral, Sum, Derivative, Lambda, Subs), carry Indexed and matrix symbols, and share subtrees."""

import sympy as sp

from symce.core.walk import free_symbols, has_free_symbols

x, y, z, n = sp.symbols("x y z n")
a = sp.IndexedBase("a")
M = sp.MatrixSymbol("M", 2, 2)
f = sp.Function("f")


def _cases():
    shared = sp.log(1 + sp.exp(x - y)) * sp.gamma(z)
    return [
        x, sp.S(3), sp.pi, x + 2 * y, sp.Integral(x * y, (x, 0, 1)), sp.Integral(x * y, x),
        sp.Sum(a[n] * x ** n, (n, 1, z)), sp.Derivative(f(x) * y, x), sp.Lambda(x, x + y) + z,
        sp.Subs(f(x) * y, x, z), a[n] + a[1] * x, M[0, 1] * x + sp.Trace(M),
        sp.Piecewise((x, y > 0), (sp.Integral(x * z, (x, 0, y)), True)),
        sum((shared ** k * x for k in range(1, 30)), sp.S.Zero) + shared,
        sp.ImmutableMatrix([[shared, 0], [sp.Sum(x ** n, (n, 0, z)), shared * y]]),
        sp.Matrix([[x, 0], [0, 0]]), sp.zeros(2, 2),
    ]


def test_free_symbols_equals_sympys():
    for e in _cases():
        assert free_symbols(e) == e.free_symbols, e


def test_free_symbols_is_a_fresh_set():
    e = x + y
    s = free_symbols(e)
    s.add(z)
    assert free_symbols(e) == {x, y}


def test_has_free_symbols_equals_sympys():
    closed = [sp.Integral(x, (x, 0, 1)), sp.Sum(1 / n**2, (n, 1, sp.oo)), sp.Lambda(x, x) (sp.S(2)), sp.S.Half]
    for e in [c for c in _cases() if not isinstance(c, sp.MatrixBase)] + closed:
        assert has_free_symbols(e) == bool(e.free_symbols), e
