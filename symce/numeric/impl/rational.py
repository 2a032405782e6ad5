r"""``exact_rational(R)``: the correctly rounded value of a rational function R of the inputs (the
Mahalanobis and trace terms of a Gaussian KL: sums of squares of triangular solves, whose residuals
x − Σ lᵢⱼ yⱼ cancel and whose products overflow where the value does not).

Ziv's strategy: a fast path in extended-range double-double (:mod:`.double_double`), each node carrying a
bound on its relative error, then an exact rational evaluation (``fractions.Fraction`` on the exact
binary values of the inputs; int/int true division rounds correctly) for the elements whose bound is too
loose to round correctly (cancellation of more than ~2⁴⁴ in some sum, a vanishing denominator). The result
is the correctly rounded value except in the subnormal range (one double rounding). Also the tree walker
that the other exact kernels (:mod:`.logsum`) compile their rational parts with.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np

from symce.numeric.impl.double_double import _add, _const, _leaf, _mul, _pow

_TOL = 2.0 ** -60       # accept the fast path where the relative error bound is below this


class NotRational(ValueError):
    """The expression is not a rational function of its arguments (numbers, +, ·, integer powers)."""


def _walk(e, index, leaf, const, add, mul, power, memo=None):
    """Evaluate the tree of ``e`` with the given operations (memoised per node; pass one ``memo`` to share
    the common subexpressions of several trees)."""
    memo = {} if memo is None else memo

    def go(node):
        got = memo.get(node)
        if got is not None:
            return got
        if node.is_Symbol:
            if node not in index:
                raise NotRational(f"symbol {node} is not an argument")
            v = leaf(index[node])
        elif node.is_Rational:
            v = const(Fraction(int(node.p), int(node.q)))
        elif node.is_Add:
            parts = [go(a) for a in node.args]
            v = parts[0]
            for p in parts[1:]:
                v = add(v, p)
        elif node.is_Mul:
            parts = [go(a) for a in node.args]
            v = parts[0]
            for p in parts[1:]:
                v = mul(v, p)
        elif node.is_Pow and node.exp.is_Integer:
            v = power(go(node.base), int(node.exp))
        else:
            raise NotRational(f"{type(node).__name__} in a rational kernel")
        memo[node] = v
        return v

    return go(e)


def check_rational(expr, args) -> None:
    """Raise :class:`NotRational` unless ``expr`` is built from ``args``, rationals, +, · and integer powers."""
    index = {a: i for i, a in enumerate(args)}
    _walk(expr, index, lambda i: 0, lambda c: 0, lambda a, b: 0, lambda a, b: 0, lambda a, n: 0)


def exact_value(expr, args, point) -> float:
    """The correctly rounded float64 of the rational ``expr`` at float inputs ``point`` (exact arithmetic)."""
    index = {a: i for i, a in enumerate(args)}
    xs = [Fraction(float(v)) for v in point]
    try:
        v = _walk(expr, index, lambda i: xs[i], lambda c: c, lambda a, b: a + b, lambda a, b: a * b,
                  lambda a, n: a ** n)
    except ZeroDivisionError:
        return float("nan")
    try:
        return float(v)  # Fraction → float: int/int true division, correctly rounded
    except OverflowError:
        return float("inf") if v > 0 else float("-inf")


@lru_cache(maxsize=256)
def rational_kernel(expr, args: tuple):
    """A vectorised numpy function of ``args`` returning the correctly rounded value of the rational
    ``expr`` (see the module docstring)."""
    check_rational(expr, args)
    index = {a: i for i, a in enumerate(args)}

    def plain(cols):
        # IEEE arithmetic for inputs that are not finite (the exact path has no ∞)
        return _walk(expr, index, lambda i: cols[i], lambda c: float(c), lambda a, b: a + b,
                     lambda a, b: a * b, lambda a, n: a ** float(n))

    def kernel(*xs):
        with np.errstate(all="ignore"):
            shape, flat, n = _flat_columns(xs)
            h, l, e, r = _walk(expr, index, lambda i: _leaf(flat[i]), lambda c: _const(c, (n,)), _add, _mul,
                               lambda a, k: _pow(a, k, (n,)))
            out = np.ldexp(h, np.clip(e, -2200, 2200).astype(np.int32))
            finite_in = np.ones(n, dtype=bool)
            for c in flat:
                finite_in &= np.isfinite(c)
            bad = ~(r <= _TOL) | ~np.isfinite(h) | ~finite_in
            if bad.any():
                special = bad & ~finite_in
                if special.any():
                    out[special] = np.asarray(plain([c[special] for c in flat]), dtype=np.float64)
                for i in np.flatnonzero(bad & finite_in):
                    out[i] = exact_value(expr, args, [c[i] for c in flat])
            return out.reshape(shape)

    kernel.__name__ = "exact_rational"
    return kernel


def _flat_columns(xs):
    """The inputs broadcast to one shape and flattened: (shape, flat float64 columns, element count)."""
    cols = np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in xs])
    shape = cols[0].shape if cols else ()
    flat = [c.ravel() for c in cols]
    return shape, flat, (flat[0].size if flat else 1)
