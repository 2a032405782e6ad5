"""Numeric code from derived formulas.

This first version lambdifies a derivation's closed form with SymPy's printers, mapping symce's named
functions (σ) to vectorised implementations. Stable rewrites (softplus, xlogy, log1pmx, …) and the exact
verifier are the next step (see docs/design.md).
"""

from __future__ import annotations

from typing import Callable, Sequence

import sympy as sp

from ..derivation import Derivation
from ..errors import ArgumentTypeError

_BACKENDS = ("numpy", "math", "mpmath")


def _sigmoid_impl(backend: str):
    if backend == "numpy":
        import numpy as np

        def sigmoid(z):
            # branch on the sign so exp never overflows: σ(z) = 1/(1+e^{−z}) = e^z/(1+e^z)
            z = np.asarray(z, dtype=float)
            e = np.exp(-np.abs(z))
            return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

        return sigmoid
    if backend == "math":
        import math

        return lambda z: 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
    import mpmath

    return lambda z: 1 / (1 + mpmath.exp(-z))


def lambdify(obj, args: Sequence | None = None, backend: str = "numpy") -> Callable:
    """A numeric function of ``obj`` (a Derivation or a SymPy expression).

    ``args`` fixes the argument order (default: free symbols sorted by name; the chosen order is stored
    as ``f.args``). ``backend`` is one of "numpy" (vectorised), "math" (scalars), "mpmath" (any precision).
    """
    if backend not in _BACKENDS:
        raise ArgumentTypeError(f"backend must be one of {', '.join(_BACKENDS)}, not {backend!r}")
    expr = obj.result if isinstance(obj, Derivation) else obj
    if not isinstance(expr, (sp.Basic, sp.MatrixBase)):
        raise ArgumentTypeError(f"lambdify needs a Derivation or a SymPy expression, not {type(obj).__name__}")
    if args is None:
        args = sorted(expr.free_symbols, key=lambda s: s.name)
    modules = [{"sigmoid": _sigmoid_impl(backend)}, backend]
    f = sp.lambdify(list(args), expr, modules=modules, cse=True)
    f.args = tuple(args)
    return f
