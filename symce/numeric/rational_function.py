r"""``is_rational_function(e)``: SymPy's ``e.is_rational_function()`` (in all of e's free symbols), in one
bottom-up pass.

SymPy's Pow test asks ``base.has(*syms)`` and ``exp.has(*syms)`` at every power and recurses into the base,
so a rational function whose denominators nest sums of ratios (the LowRankMultivariateNormal CE and KL and
their gradients) is walked once per enclosing power, with every free symbol as a pattern: the rules that
test their terms spent most of their time there. On a tree of sums, products, powers, symbols and numbers
(no bound symbols: "has a free symbol" is "has a Symbol"), this returns the same answer from one pass,
memoised per subexpression; any other node hands the whole expression to SymPy.
"""

from __future__ import annotations

import functools

import sympy as sp
from sympy.core.numbers import NumberSymbol

from symce.core.walk import has_free_symbols

_ILLEGAL = (sp.nan, sp.zoo, sp.oo, -sp.oo)  # SymPy's _illegal: not rational functions
_ATOMS = (sp.Number, NumberSymbol, sp.core.numbers.ImaginaryUnit)


class _Other(Exception):
    """A node outside sums, products, powers, symbols and numbers."""


@functools.lru_cache(maxsize=8192)
def _walk(x) -> tuple[bool, bool]:
    """(x is a rational function of the symbols, x has a symbol), as SymPy's _eval_is_rational_function
    decides it for Add, Mul, Pow and atoms."""
    if isinstance(x, sp.Symbol):
        return True, True
    if isinstance(x, _ATOMS):
        return x not in _ILLEGAL, False
    if isinstance(x, (sp.Add, sp.Mul)):
        parts = [_walk(a) for a in x.args]
        return all(ok for ok, _ in parts), any(hs for _, hs in parts)
    if isinstance(x, sp.Pow):
        b_ok, b_hs = _walk(x.base)
        e_ok, e_hs = _walk(x.exp)
        if e_hs:
            return False, True
        if b_hs:
            return bool(b_ok and x.exp.is_Integer), True
        return True, False
    raise _Other


def is_rational_function(e) -> bool:
    """``e.is_rational_function()``, the same answer."""
    if not isinstance(e, sp.Expr) or e in _ILLEGAL:
        return e.is_rational_function()
    try:
        return _walk(e)[0] if has_free_symbols(e) else True  # bool(e.free_symbols), shared subtrees once
    except _Other:
        return e.is_rational_function()


__all__ = ["is_rational_function"]
