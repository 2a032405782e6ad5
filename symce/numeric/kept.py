"""Sums and integrals that a derivation keeps unevaluated (no closed form: E[log X!] under a Poisson) still
get a numeric function: each is evaluated pointwise with mpmath (``nsum`` / ``quad``) at 30 digits and
rounded once — slow (about a millisecond a point) but as accurate as the float result can be.

:func:`replace` swaps every outermost ``Sum``/``Integral`` for an opaque function of its free symbols and
returns the module dictionary that implements them for the backend.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from symce.engine.rules_counts import sum_series

_DIGITS = 30


def _bound(e, env):
    if e == sp.oo:
        return mpmath.inf
    if e == -sp.oo:
        return mpmath.ninf
    return sp.lambdify(list(env), e, modules="mpmath")(*env.values()) if e.free_symbols else mpmath.mpf(sp.Float(e, _DIGITS))


def _evaluator(node, symbols):
    """value(*xs): the Sum/Integral at the point xs (one limit; nested limits evaluate inside out)."""
    (var, lo, hi), rest = node.limits[-1], node.limits[:-1]
    inner = type(node)(node.function, *rest) if rest else node.function
    body = sp.lambdify([var, *symbols], inner, modules="mpmath") if not rest else None
    inner_value = _evaluator(inner, [var, *symbols]) if rest else None

    def value(*xs):
        with mpmath.workdps(_DIGITS):
            xs = [mpmath.mpf(x) if not isinstance(x, mpmath.mpf) else x for x in xs]
            env = dict(zip(symbols, xs))
            f = (lambda t: body(t, *xs)) if body is not None else (lambda t: inner_value(t, *xs))
            a, b = _bound(lo, env), _bound(hi, env)
            if isinstance(node, sp.Sum):
                return sum_series(f, a, b)  # nsum alone misses late peaks (Poisson(150))
            return mpmath.quad(f, [a, b])
    return value


def replace(expr, backend: str):
    """(expr with its outermost Sum/Integral nodes replaced by opaque calls, {name: implementation})."""
    nodes = [n for n in sp.preorder_traversal(expr) if isinstance(n, (sp.Sum, sp.Integral))]
    outer = [n for n in nodes if not any(n != m and m.has(n) for m in nodes)]
    mapping, modules = {}, {}
    for i, node in enumerate(dict.fromkeys(outer)):
        symbols = sorted(node.free_symbols, key=lambda s: s.name)
        name = f"_defining_{i}"
        value = _evaluator(node, symbols)
        if backend == "mpmath":
            impl = value
        elif backend in ("numpy", "scipy"):
            impl = np.vectorize(lambda *xs, value=value: float(value(*[float(x) for x in xs])), otypes=[float])
        else:
            impl = (lambda *xs, value=value: float(value(*[float(x) for x in xs])))
        modules[name] = impl
        mapping[node] = sp.Function(name)(*symbols)
    return expr.xreplace(mapping), modules
