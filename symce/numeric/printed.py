"""Numeric functions printed from an expression: symce's code generator where it prints the expression
(numpy, scipy), SymPy's printers otherwise (math, mpmath, and what the generator does not print), over
the backend's module dictionary (:mod:`symce.numeric.impl`) — then wrapped so every backend takes and
returns the same kinds of numbers.

:func:`printed_function` is ``lambdify`` for the backends that need nothing but printing; the torch and
jax backends (:mod:`symce.numeric.impl.torch_bridge`, :mod:`symce.numeric.jax_backend`) build on it for
the numpy code they call.
"""

from __future__ import annotations

import functools
import inspect
import math
from typing import Sequence

import mpmath
import numpy as np
import sympy as sp

from symce.errors import ArgumentTypeError
from symce.numeric import codegen, impl, kept, special
from symce.numeric.lowering import fold_constants, lower
from symce.numeric.rewrite import stabilise
from symce.numeric.rewrite_terms import has_type


@functools.lru_cache(maxsize=1024)
def stable_form(expr, conditions):
    """The stabilised expression (memoised: the report and the verifier lambdify the same results again)."""
    return stabilise(expr, prove=False, assumptions=conditions).expr


def finish(raw, expr, args, backend):
    """raw wrapped for ``backend``, with ``args``, ``expr`` and ``backend``; for a Matrix ``expr``, raw gives
    its entries row-major (:func:`wrap_matrix` assembles them)."""
    f = wrap_matrix(raw, backend, expr.shape) if isinstance(expr, sp.MatrixBase) else wrap(raw, backend, len(args))
    f.args, f.expr, f.backend = tuple(args), expr, backend
    return f


def print_function(expr, code_expr, args: Sequence, backend: str, *, stable: bool = True, bridges=None,
                   printer=None, first_module=None):
    """SymPy's printer for ``code_expr`` (``expr`` as it will be evaluated): lowered with the backend's
    stable kernels (and ``bridges``) when ``stable``, constants folded except for mpmath; ``first_module``
    is searched before the others and ``printer`` replaces the backend's default one."""
    modules: list = []
    if stable:
        code_expr, extra = lower(code_expr, backend)
        modules.append({**impl.impls(backend), **extra, **(bridges or {})})
    else:
        modules.append({"sigmoid": impl.impls(backend)["sigmoid"]})
    if backend != "mpmath":
        code_expr = fold_constants(code_expr)
    module = {"scipy": "numpy", "torch": "torch"}.get(backend, backend)
    if not stable and module == "numpy" and any(special.kernel_call(f) for f in code_expr.atoms(sp.Function)):
        # plain sympy.lambdify of a formula with special functions: modules="scipy" (SciPy's printer knows
        # polygamma, besseli, Ei, …, numpy's prints them bare), as a user would call it
        module = "scipy"
    modules.append(module)
    if isinstance(code_expr, sp.MatrixBase):
        # the entries as a list (one CSE over all): SymPy prints a matrix as ImmutableDenseMatrix, which the
        # math module does not define, and as array([...]) of entries whose shapes may differ (wrap_matrix)
        code_expr = list(code_expr)
    if first_module is not None:
        modules.insert(0, first_module)
    raw = sp.lambdify(args, code_expr, modules=modules, cse=_cse if stable else True, printer=printer,
                      **_NO_DOCSTRING)
    return finish(raw, expr, args, backend)


def _cse(exprs):
    """sympy.cse without reciprocals as common subexpressions: x0 = 1/b, then (μ₁ − μ₂)·x0 is 0·∞ = NaN at a
    subnormal b (1/5e-324 overflows) where (μ₁ − μ₂)/b = 0 (the Laplace CE); x/b also rounds once, not twice."""
    reps, reduced = sp.cse(exprs, list=False)  # as lambdify's cse=True: one expression in, one out
    inline: dict = {}
    kept = []
    for sym, value in reps:
        value = value.xreplace(inline)
        if value.is_Pow and value.exp == -1:
            inline[sym] = value
        else:
            kept.append((sym, value))
    if isinstance(reduced, (list, tuple)):
        return kept, type(reduced)(r.xreplace(inline) for r in reduced)
    return kept, reduced.xreplace(inline)


# SymPy's lambdify prints the whole expression for its docstring, which symce's own (signature.py) replaces:
# a sixth of its time, skipped where SymPy has the option (1.13 on; symce accepts 1.12)
_NO_DOCSTRING = {"docstring_limit": 0} if "docstring_limit" in inspect.signature(sp.lambdify).parameters else {}


def printed_function(expr, args: Sequence, backend: str = "numpy", *, stable: bool = True, conditions: tuple = ()):
    """``lambdify(expr, args, backend)`` for backend numpy, scipy, math or mpmath: ``expr`` stabilised under
    ``conditions`` (unless ``stable`` is false), printed by the code generator where it can (numpy, scipy),
    by SymPy's printer otherwise."""
    if has_type(expr, sp.Sum, sp.Integral):  # kept sums/integrals: evaluated pointwise by mpmath (numeric/kept.py)
        code_expr, defining = kept.replace(expr, backend)
        if stable:
            code_expr = stable_form(code_expr, tuple(conditions))
        return print_function(expr, code_expr, args, backend, stable=stable, first_module=defining)
    if stable:
        expr = stable_form(expr, tuple(conditions))
        if backend in ("numpy", "scipy"):
            try:
                raw = codegen.generate(list(args), tuple(expr) if isinstance(expr, sp.MatrixBase) else expr,
                                       impl.impls(backend))
            except codegen.Unsupported:
                raw = None
            if raw is not None:
                return finish(raw, expr, args, backend)
    return print_function(expr, expr, args, backend, stable=stable)


# Elements per block of the numpy code: the generated code makes one pass over its arrays per operation and
# allocates a temporary for most of them. On 10⁶ inputs those are 8 MB arrays, each fresh from the kernel
# (page faults) and streamed through memory; blocks of 2¹⁶ float64 (512 KiB an array) stay in the L2 cache
# and reuse the allocator's memory: 2–2.5× the throughput of the stable kernels on 10⁶ inputs (Bernoulli KL,
# normal CE, categorical KL; measured by benchmarks/numeric.py, 2¹²–2¹⁸ tried). Every generated function is
# elementwise over the broadcast batch shape (k-class functions take one array per class), so blocks of the
# flattened inputs give the same values as one call.
BLOCK = 1 << 16


def wrap(raw, backend, nargs):
    if backend in ("numpy", "scipy"):
        @functools.wraps(raw)
        def f(*xs):
            with np.errstate(all="ignore"):
                kind = _numpy_dtype(xs)
                xs = [np.asarray(x, dtype=np.float64) for x in xs]
                shape = np.broadcast_shapes(*[x.shape for x in xs]) if xs else ()
                size = math.prod(shape)
                if size > 2 * BLOCK and getattr(raw, "blocked", True):
                    return _keep(blocked(raw, xs, shape, size), kind)
                out = raw(*xs)
                out = np.broadcast_to(np.asarray(out, dtype=np.float64), shape).copy() if np.ndim(out) < len(shape) \
                    else np.asarray(out, dtype=np.float64)
                return _keep(out, kind)
        return f
    if backend == "math":
        @functools.wraps(raw)
        def f(*xs):
            with np.errstate(all="ignore"):
                return float(raw(*[float(x) for x in xs]))
        return f
    if backend == "mpmath":
        @functools.wraps(raw)
        def f(*xs):
            return raw(*[_mpf(x) for x in xs])
        return f
    if backend == "torch":
        import torch

        @functools.wraps(raw)
        def f(*xs):
            xs, device, kind = _torch_inputs(torch, xs)
            out = raw(*xs)
            out = torch.as_tensor(out, dtype=torch.float64, device=device)
            shape = torch.broadcast_shapes(*[x.shape for x in xs]) if xs else ()
            out = out.expand(shape).clone() if out.shape != shape else out
            # float32 in, float32 out: computed in float64 (the kernels' thresholds and extended forms are
            # float64's), rounded once at the end
            return out if kind == torch.float64 else out.to(kind)
        return f
    return raw


def wrap_matrix(raw, backend, shape):
    """The function of a matrix result from ``raw`` (its entries, row-major, as the backend computes them).

    numpy/scipy: an array (rows, cols, *batch), SymPy's layout (an entry that does not depend on every input
    broadcast); math: a tuple of rows, each a tuple of Python floats (numpy's (rows, cols) array for scalar
    inputs, as Python numbers); mpmath: an ``mpmath.matrix`` of mpf (scalar inputs only); torch: a tensor
    (rows, cols, *batch) stacked from the entries (autograd kept) on the inputs' device, in their dtype."""
    rows, cols = shape
    if backend in ("numpy", "scipy"):
        @functools.wraps(raw)
        def f(*xs):
            with np.errstate(all="ignore"):
                kind = _numpy_dtype(xs)
                xs = [np.asarray(x, dtype=np.float64) for x in xs]
                outs = [np.asarray(o, dtype=np.float64) for o in raw(*xs)]
                batch = np.broadcast_shapes(*[x.shape for x in xs], *[o.shape for o in outs])
                out = np.empty((rows * cols, *batch))
                for i, o in enumerate(outs):
                    out[i] = o
                return _keep(out.reshape(rows, cols, *batch), kind)
        return f
    if backend == "math":
        @functools.wraps(raw)
        def f(*xs):
            with np.errstate(all="ignore"):
                outs = [float(o) for o in raw(*[float(x) for x in xs])]
                return tuple(tuple(outs[i * cols:(i + 1) * cols]) for i in range(rows))
        return f
    if backend == "mpmath":
        @functools.wraps(raw)
        def f(*xs):
            outs = raw(*[_mpf(x) for x in xs])
            m = mpmath.matrix(rows, cols)
            for k, o in enumerate(outs):
                m[k // cols, k % cols] = o
            return m
        return f
    if backend == "torch":
        import torch

        @functools.wraps(raw)
        def f(*xs):
            xs, device, kind = _torch_inputs(torch, xs)
            outs = [torch.as_tensor(o, dtype=torch.float64, device=device) for o in raw(*xs)]
            batch = torch.broadcast_shapes(*[x.shape for x in xs], *[o.shape for o in outs])
            # torch.stack, not torch.tensor: the entries keep their autograd history
            out = torch.stack([o.expand(batch) for o in outs]).reshape(rows, cols, *batch)
            return out if kind == torch.float64 else out.to(kind)
        return f
    return raw


def _mpf(x):
    """An mpmath number of one scalar input; arrays refused (the mpmath backend evaluates one point)."""
    if isinstance(x, (mpmath.mpf, mpmath.mpc)):
        return x
    if np.ndim(x) != 0:
        raise ArgumentTypeError(f"backend 'mpmath' evaluates one point: each argument must be a number, not "
                                f"{type(x).__name__} of shape {np.shape(x)} (use the numpy backend for arrays)")
    return mpmath.mpf(x.item() if isinstance(x, np.ndarray) else x)  # a 0-d array: mpf takes its number


def _numpy_dtype(xs):
    """The floating dtype the result is given: that of the floating numpy inputs (float32 in, float32 out),
    float64 where there are none or they differ upward."""
    kinds = [x.dtype for x in xs if isinstance(x, (np.ndarray, np.generic)) and np.issubdtype(x.dtype, np.floating)]
    return np.result_type(*kinds) if kinds else np.dtype(np.float64)


def _keep(out, kind):
    # computed in float64 (the kernels' thresholds and extended forms are float64's), rounded once
    return out if kind == np.float64 else out.astype(kind)


def blocked(raw, xs, shape, size):
    """raw over blocks of BLOCK elements of the flattened, broadcast inputs (scalars stay scalars)."""
    flat = [x if x.ndim == 0 else np.broadcast_to(x, shape).reshape(-1) for x in xs]
    out = np.empty(size)
    for i in range(0, size, BLOCK):
        out[i:i + BLOCK] = raw(*[x if x.ndim == 0 else x[i:i + BLOCK] for x in flat])
    return out.reshape(shape)



def _torch_inputs(torch, xs):
    """The arguments as float64 tensors on the first tensor's device, that device, and the dtype the result
    is returned in (the promoted floating dtype of the tensor arguments; float64 without one)."""
    tensors = [x for x in xs if isinstance(x, torch.Tensor)]
    device = tensors[0].device if tensors else None
    floats = [x.dtype for x in tensors if x.is_floating_point()]
    kind = functools.reduce(torch.promote_types, floats) if floats else torch.float64
    return [torch.as_tensor(x, dtype=torch.float64, device=device) for x in xs], device, kind

__all__ = ["printed_function", "print_function", "finish", "stable_form", "wrap", "wrap_matrix", "BLOCK"]
