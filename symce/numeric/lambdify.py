"""``lambdify``: stable numeric code from a derivation or an expression.

The expression is first rewritten by :func:`symce.numeric.rewrite.stabilise` (without proofs by default:
the rules are exact identities and ``stabilise(expr)`` proves them on request), then *lowered*
(:mod:`symce.numeric.lowering`: functions whose numeric form needs more than their arguments get it, exact
constants are folded to correctly rounded floats) and printed (:mod:`symce.numeric.printed`): calls resolved
through a module dictionary per backend (:mod:`symce.numeric.impl`). The torch backend bridges the nodes
whose torch kernel is weaker than numpy's (:mod:`symce.numeric.impl.torch_bridge`); the jax backend calls the
numpy code (:mod:`symce.numeric.jax_backend`). Both build on :mod:`symce.numeric.printed`, which does not
import this module: the dependency runs one way.
"""

from __future__ import annotations

from typing import Callable, Sequence

import sympy as sp

from symce.core.collector import without_gc
from symce.core.procedure import Procedure
from symce.engine.derivation import Derivation
from symce.errors import ArgumentTypeError
from symce.numeric import impl, kept
from symce.numeric.impl import torch_bridge, torch_fused
from symce.numeric.jax_backend import lambdify_jax
from symce.numeric.lowering import lower
from symce.numeric.printed import finish, print_function, printed_function, stable_form
from symce.numeric.rewrite_terms import has_type
from symce.numeric.signature import flat_args, groups_of, resolve_args, signed

BACKENDS = ("numpy", "scipy", "math", "mpmath", "torch", "jax")


def lambdify(obj, args: Sequence | None = None, backend: str = "numpy", *, stable: bool = True) -> Callable:
    """A numeric function of ``obj`` (a Derivation, a procedure such as a Fisher information, or a SymPy expression).

    The function's parameters (``inspect.signature(f)``, ``help(f)``): for a Derivation, its distributions'
    parameters in declaration order (P's, then Q's), named by their symbols; a vector parameter
    (categorical probabilities/logits, an MVN mean) is one array with a trailing axis (n, k), a matrix
    parameter one with trailing axes (n, d, d); keywords accepted; one argument per symbol works too, in the
    order of ``f.args`` (:mod:`symce.numeric.signature`). For an expression: its free symbols in natural
    order (t2 before t10). ``args`` fixes the order instead (symbols, or names of the expression's
    symbols). The input dtype is kept (float32 in, float32 out; computed in float64).
    ``backend``: "numpy" (vectorised, the default), "scipy" (numpy with scipy.special kernels where scipy
    has them), "math" (Python floats), "mpmath" (mpmath numbers at the current ``mpmath.mp.prec``),
    "torch" (float64 tensors; needs torch), "jax" (float64 jax arrays, differentiable with jax.grad; needs
    jax, sets jax_enable_x64). ``stable=False`` prints the expression as it is (plain
    ``sympy.lambdify`` behaviour, for comparison). The stable expression is ``f.expr``.

    A Matrix result (a gradient, Hessian, Fisher information): numpy, scipy and torch give an array/tensor
    of shape ``(rows, cols, *batch)`` (SymPy's layout; torch stacks the entries, so autograd, device and dtype
    are kept); math a tuple of rows of Python floats; mpmath an ``mpmath.matrix`` (one point: array
    arguments raise ArgumentTypeError); jax refuses it.

    ``backend="torch"`` gives a torch function: tensors (or numbers) in, a tensor of the broadcast shape and
    the inputs' dtype out, differentiable with autograd, on the inputs' device. Where every stable function
    has a torch kernel as accurate as numpy's, the whole expression is one ``torch.autograd.Function``
    (:mod:`symce.numeric.impl.torch_fused`): torch code forward, and backward the vector–Jacobian product of
    the stabilised symbolic derivative (each stable function's ``fdiff``, chain rule), evaluated in blocks;
    in a training step the partial derivatives come out of the forward pass; double backward works. Nodes
    without such a kernel (special functions torch lacks, the exact kernels bound by ``lowering()``, the
    mixed probability/logit KLs) are evaluated by the numpy backend, one operation per node, with their
    symbolic derivatives (:mod:`symce.numeric.impl.torch_bridge`): identical values, a CPU round trip.
    """
    if backend not in BACKENDS:
        raise ArgumentTypeError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    derived = isinstance(obj, (Derivation, Procedure))
    expr = obj.result if derived else obj
    if isinstance(obj, Procedure) and not isinstance(expr, (sp.Basic, sp.MatrixBase)):
        raise ArgumentTypeError(
            f"lambdify: the result of this {obj.method} procedure is a mapping {expr}, not an expression; "
            "lambdify one of its expressions (for an MLE, its .stationarity derivation or an estimate)")
    if not isinstance(expr, (sp.Basic, sp.MatrixBase)):
        raise ArgumentTypeError(f"lambdify needs a Derivation, a procedure (Fisher information) or a SymPy "
                                f"expression, not {type(obj).__name__}")
    expr = _checked_expr(expr)
    if args is not None:
        args = _checked_args(args)
    # the arguments: the distributions' parameters in declaration order (vector ones as one array), or
    # ``args`` as given — strings mapped to symbols, so no user text reaches the printed source
    if args is None:
        groups = groups_of(getattr(obj, "distributions", ()) if derived else (), expr)
    else:
        groups = groups_of((), expr, resolve_args(args, expr))
    return signed(_build(obj, expr, flat_args(groups), backend, stable, derived), groups, expr, backend)


def _checked_expr(expr):
    """An expression or explicit matrix that has a numeric value; refused up front with what was given, since
    the printers fail on the others with raw KeyError / PrintMethodNotImplementedError / TypeError."""
    if isinstance(expr, sp.MatrixBase):
        return sp.ImmutableMatrix(expr)  # the printers and caches hash it; a mutable Matrix is not hashable
    if isinstance(expr, sp.logic.boolalg.Boolean) and not isinstance(expr, sp.Expr):  # Eq, x < 1, True (a Symbol is both)
        raise ArgumentTypeError(f"lambdify: argument obj must be an expression, not the {type(expr).__name__} "
                                f"{expr!s:.80} (a relation or truth value); lambdify one side, e.g. lhs - rhs")
    if isinstance(expr, sp.MatrixExpr):
        raise ArgumentTypeError(f"lambdify: argument obj must be an expression or an explicit Matrix, not the matrix "
                                f"expression {expr!s:.80} ({expr.shape[0]}×{expr.shape[1]}); write it out with "
                                "sympy.Matrix(...) or lambdify an expression of its entries")
    if not isinstance(expr, sp.Expr) or isinstance(expr, sp.IndexedBase):
        raise ArgumentTypeError(f"lambdify: argument obj must be an expression with a numeric value, not "
                                f"{type(expr).__name__} {expr!s:.80}")
    # a node equal to zoo is the ComplexInfinity singleton: the classes' one walk (rewrite_terms.has_type)
    bad = [a for a, t in ((sp.zoo, type(sp.zoo)), (sp.AccumBounds, sp.AccumBounds)) if has_type(expr, t)]
    if bad:
        raise ArgumentTypeError(f"lambdify: argument obj {expr!s:.80} contains "
                                + ("zoo (complex infinity, e.g. 1/0)" if bad[0] is sp.zoo else "an AccumBounds")
                                + ", which has no numeric value; an expression of numbers and symbols is allowed")
    return expr


def _checked_args(args):
    """``args``: a list or tuple (or an explicit Matrix) of symbols or symbol names; one symbol alone is one
    argument. A string is refused rather than split into characters, an IndexedBase rather than iterated forever."""
    if isinstance(args, (sp.Symbol, sp.Indexed)):
        return [args]
    if isinstance(args, sp.MatrixBase):
        args = list(args)
    if not isinstance(args, (list, tuple)):
        raise ArgumentTypeError(f"lambdify: argument args must be a list or tuple of symbols (or their names), "
                                f"not {type(args).__name__} {args!r:.80}")
    for a in args:
        if not isinstance(a, (str, sp.Symbol, sp.Indexed)):
            raise ArgumentTypeError(f"lambdify: args holds {type(a).__name__} {a!r:.80}; each argument must be a "
                                    "SymPy symbol (or Indexed such as w[1]) or the name of one")
    return list(args)


@without_gc  # the stabilising rewrite builds acyclic SymPy objects by the ten thousand: core/collector.py
def _build(obj, expr, args, backend, stable, derived):
    conditions = tuple(obj.conditions) if derived else ()
    if backend == "jax":  # symce's numpy code through jax.pure_callback, differentiable (jax_backend.py)
        return lambdify_jax(expr, args, conditions, stable)
    if backend != "torch":
        return printed_function(expr, args, backend, stable=stable, conditions=conditions)
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ArgumentTypeError("backend 'torch' needs torch installed (pip install torch)") from exc
    if isinstance(expr, sp.MatrixBase):
        # a gradient, Hessian or Fisher information: the entries as one fused operation with several outputs
        # where every node has an accurate torch kernel, else each entry as a scalar torch function (fused or
        # bridged); stacked to (rows, cols, *batch) by finish()
        if stable and not has_type(expr, sp.Sum, sp.Integral):
            stab = stable_form(expr, conditions)
            raw = torch_fused.fused_entries(tuple(stab), args)
            if raw is not None:
                return finish(raw, stab, args, backend)
        entries = [_build(obj, e, args, backend, stable, derived) for e in expr]
        return finish(lambda *xs: [f(*xs) for f in entries], expr, args, backend)
    bridges: dict = {}
    defining: dict = {}
    if has_type(expr, sp.Sum, sp.Integral):  # kept sums/integrals: evaluated pointwise by mpmath (numeric/kept.py)
        expr, defining = kept.replace(expr, backend)
    if stable:
        expr = stable_form(expr, conditions)
        # the whole expression as one torch operation with its stabilised symbolic backward (impl.torch_fused)
        raw = None if defining else torch_fused.fused(expr, args)
        if raw is not None:
            return finish(raw, expr, args, backend)
        # else one operation per stable function, numpy kernels bridged where torch has none (impl.torch_bridge)
        code_expr, bridges = torch_bridge.bridge(expr)
        raw = torch_bridge.generate(args, code_expr, {**impl.impls(backend), **bridges, **defining})
        if raw is not None:
            return finish(raw, expr, args, backend)
    else:
        code_expr = expr
    # SymPy's torch printer refuses unknown functions unless told not to be strict (imported here, with torch:
    # it is part of the optional torch support, and recent in SymPy, which symce accepts from 1.12)
    from sympy.core.function import AppliedUndef
    from sympy.printing.pytorch import TorchPrinter

    class Printer(TorchPrinter):
        def _print_Function(self, f):
            # a bridged node (sx_bridge_N) by its name: TorchPrinter prints an unknown function but marks it
            # "not supported" with comment lines, which break `x0 = …` where CSE names the call (a Piecewise
            # with bridged nodes — the Weibull CE's two forms — is printed here, not by the code generator)
            if isinstance(f, AppliedUndef):
                return "%s(%s)" % (f.func.__name__, ", ".join(self._print(a) for a in f.args))
            return super()._print_Function(f)

    printer = Printer({"allow_unknown_functions": True, "strict": False})
    # inside an unknown function's arguments the printer leaves log/exp bare, and `from torch import *`
    # does not define them
    elementary = {name: getattr(torch, name) for name in
                  ("log", "exp", "log1p", "expm1", "sqrt", "abs", "tanh", "sin", "cos", "atan")}
    return print_function(expr, code_expr, args, backend, stable=stable, bridges=bridges, printer=printer,
                          first_module={**elementary, **defining})


__all__ = ["lambdify", "lower", "BACKENDS"]
