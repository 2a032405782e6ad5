"""``lambdify``: stable numeric code from a derivation or an expression.

The expression is first rewritten by :func:`symce.numeric.rewrite.stabilise` (without proofs by default:
the rules are exact identities and ``stabilise(expr)`` proves them on request), then *lowered*: functions
whose numeric form needs more than their arguments get it here — kl_div(x, y) and log1pmx_ratio(a, b)
receive the difference y − x / a − b as an extra argument computed from the original inputs (so it is
exact where it matters), log_offset(x, c) gets e^{−c} as a double-double. Exact constants (log 2, π)
are folded to correctly rounded floats. SymPy's printers then emit calls resolved through a module
dictionary per backend (:mod:`symce.numeric.impl`).
"""

from __future__ import annotations

import functools
import math
from typing import Callable, Sequence

import mpmath
import numpy as np
import sympy as sp

from symce.engine.derivation import Derivation
from symce.errors import ArgumentTypeError
from symce.numeric import codegen, impl
from symce.numeric.functions import StableFunction, kl_div, log1pmx_ratio, log_offset, logit_prob_kl, prob_logit_kl, rel_entr_sum, wprod
from symce.numeric.rewrite import stabilise

BACKENDS = ("numpy", "scipy", "math", "mpmath", "torch", "jax")


def _fold_constants(e):
    """Exact constants that are not rationals (log 2, π/2, …) → Floats (printed with 25 digits, so Python
    reads them as the correctly rounded float64)."""
    def is_const(x):
        return x.is_number and not x.is_Rational and x.is_real and not isinstance(x, sp.Float)

    return e.replace(is_const, lambda x: sp.Float(sp.N(x, 30), 25))


def lower(expr, backend: str):
    """Replace functions that need extra numeric arguments by private undefined functions, returning the
    new expression and the extra module-dictionary entries."""
    extra = {}
    names = impl.impls(backend)
    kl = sp.Function("sx_kl_div")
    lr = sp.Function("sx_log1pmx_ratio")
    extra["sx_kl_div"] = names["_kl_div"]
    extra["sx_log1pmx_ratio"] = names["_log1pmx_ratio"]

    def offset(f):
        x, c = f.args
        c_hi, c_lo = impl.split_constant(c)
        x0_hi, x0_lo = impl.split_constant(sp.exp(-c))
        name = f"sx_log_offset_{len(extra)}"
        extra[name] = functools.partial(names["_log_offset"], c_hi=c_hi, c_lo=c_lo, x0_hi=x0_hi, x0_lo=x0_lo)
        return sp.Function(name)(x)

    e = expr
    if backend == "math":
        # functions that bind their own numpy kernel (exact rational parts, double-double offsets): the math
        # backend runs that kernel on 0-d arrays, as it does every other numpy kernel, so a Python float
        # gets the same overflow and cancellation handling as an array
        np_names = impl.impls("numpy")

        def bound(f):
            fn, fargs = f.lowering(np_names)
            name = f"sx_{type(f).__name__}_{len(extra)}"
            extra[name] = _scalar(fn)
            return sp.Function(name)(*fargs)

        e = e.replace(lambda f: isinstance(f, StableFunction) and hasattr(f, "lowering"), bound)
    e = e.replace(lambda f: isinstance(f, kl_div), lambda f: kl(f.args[0], f.args[1], f.args[1] - f.args[0]))
    e = e.replace(lambda f: isinstance(f, log1pmx_ratio),
                  lambda f: lr(f.args[0], f.args[1], f.args[0] - f.args[1]))
    e = e.replace(lambda f: isinstance(f, log_offset), offset)

    # a weight σ(a)/softmax(a; z) times v: the implementation gets the logits for where w underflows
    def weighted(f):
        name, logits = codegen.positive_weight(f.args[0])
        if name is None:
            return f.args[0] * f.args[1]
        extra["sx" + name] = names[name]
        return sp.Function("sx" + name)(*f.args, *logits)

    e = e.replace(lambda f: isinstance(f, wprod), weighted)
    if e.has(prob_logit_kl):
        extra["sx_prob_logit_kl"] = names["_prob_logit_kl"]
        plk = sp.Function("sx_prob_logit_kl")
        e = e.replace(lambda f: isinstance(f, prob_logit_kl), lambda f: plk(*codegen.prob_logit_kl_args(f)))
    if e.has(logit_prob_kl):
        extra["sx_logit_prob_kl"] = names["_logit_prob_kl"]
        lpk = sp.Function("sx_logit_prob_kl")
        e = e.replace(lambda f: isinstance(f, logit_prob_kl), lambda f: lpk(*codegen.logit_prob_kl_args(f)))
    if e.has(rel_entr_sum):
        extra["sx_rel_entr_sum_pos"] = names["_rel_entr_sum_pos"]
        pos = sp.Function("sx_rel_entr_sum_pos")
        e = e.replace(lambda f: isinstance(f, rel_entr_sum) and codegen.all_positive(f.args[: len(f.args) // 2]),
                      lambda f: pos(*f.args))
    # x²/2 as (x/2)·x: x² overflows for |x| > 1.34e154 where x²/2 is still finite up to |x| = 1.9e154
    half_sq = sp.Function("sx_half_sq")
    extra["sx_half_sq"] = (lambda x: x * x / 2) if backend == "mpmath" else (lambda x: (x * 0.5) * x)

    def is_half_square(m):
        if not isinstance(m, sp.Mul) or len(m.args) != 2:
            return False
        c, pw = m.args
        return c == sp.S.Half and isinstance(pw, sp.Pow) and pw.exp == 2

    e = e.replace(is_half_square, lambda m: half_sq(m.args[1].base))
    return e, extra


def _scalar(fn):
    def g(*args):
        with np.errstate(all="ignore"):
            return float(np.asarray(fn(*[np.asarray(a, dtype=np.float64) for a in args])).reshape(-1)[0])
    return g


@functools.lru_cache(maxsize=1024)
def _stable_form(expr, conditions):
    """The stabilised expression (memoised: the report and the verifier lambdify the same results again)."""
    return stabilise(expr, prove=False, assumptions=conditions).expr


def lambdify(obj, args: Sequence | None = None, backend: str = "numpy", *, stable: bool = True) -> Callable:
    """A numeric function of ``obj`` (a Derivation or a SymPy expression).

    ``args`` fixes the argument order (default: free symbols sorted by name; stored as ``f.args``).
    ``backend``: "numpy" (vectorised, the default), "scipy" (numpy with scipy.special kernels where scipy
    has them), "math" (Python floats), "mpmath" (mpmath numbers at the current ``mpmath.mp.prec``),
    "torch" (float64 tensors; needs torch), "jax" (float64 jax arrays, differentiable with jax.grad; needs
    jax, sets jax_enable_x64). ``stable=False`` prints the expression as it is (plain
    ``sympy.lambdify`` behaviour, for comparison). The stable expression is ``f.expr``.

    ``backend="torch"`` gives a torch function: float64 tensors (or numbers) in, a float64 tensor of the
    broadcast shape out, differentiable with autograd. Stable functions whose torch kernel would be weaker
    than numpy's (numpy fast paths, long-double weights, the exact kernels bound by ``lowering()``; chosen
    per kernel name, :mod:`symce.numeric.impl.torch_bridge`) are evaluated by the numpy backend: their values
    are identical to numpy's, at the cost of a round trip through CPU numpy arrays for those nodes, and
    their gradients come from the node's symbolic derivative (each stable function's ``fdiff``, lambdified
    with numpy; higher derivatives too, with ``create_graph=True``). The rest is torch code doing the numpy
    code's operations in the same order; the logit kernels (softmax_kl, logit_xent, logsumexp) stay
    torch code (on the input's device, autograd through their operations), within 2 ULP of numpy.
    """
    if backend not in BACKENDS:
        raise ArgumentTypeError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    expr = obj.result if isinstance(obj, Derivation) else obj
    if not isinstance(expr, (sp.Basic, sp.MatrixBase)):
        raise ArgumentTypeError(f"lambdify needs a Derivation or a SymPy expression, not {type(obj).__name__}")
    if args is None:
        args = sorted(expr.free_symbols, key=lambda s: s.name)
    args = list(args)
    if backend == "jax":  # symce's numpy code through jax.pure_callback, differentiable (jax_backend.py)
        from symce.numeric.jax_backend import lambdify_jax

        return lambdify_jax(expr, args, tuple(obj.conditions) if isinstance(obj, Derivation) else (), stable)
    if stable:
        conditions = tuple(obj.conditions) if isinstance(obj, Derivation) else ()
        expr = _stable_form(expr, conditions)
        if backend in ("numpy", "scipy"):
            try:
                raw = codegen.generate(args, expr, impl.impls(backend))
            except codegen.Unsupported:
                raw = None
            if raw is not None:
                f = raw if isinstance(expr, sp.MatrixBase) else _wrap(raw, backend, len(args))
                f.args, f.expr, f.backend = tuple(args), expr, backend
                return f
    code_expr = expr
    modules: list = []
    if backend == "torch":
        try:
            import torch  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ArgumentTypeError("backend 'torch' needs torch installed (pip install torch)") from exc
    bridges: dict = {}
    if backend == "torch" and stable:
        # stable functions whose torch kernel is weaker than numpy's run the numpy kernel (impl.torch_bridge)
        from symce.numeric.impl import torch_bridge

        code_expr, bridges = torch_bridge.bridge(expr)
        raw = torch_bridge.generate(args, code_expr, {**impl.impls(backend), **bridges})
        if raw is not None:
            f = _wrap(raw, backend, len(args))
            f.args, f.expr, f.backend = tuple(args), expr, backend
            return f
    if stable:
        code_expr, extra = lower(code_expr, backend)
        modules.append({**impl.impls(backend), **extra, **bridges})
    else:
        modules.append({"sigmoid": impl.impls(backend)["sigmoid"]})
    if backend != "mpmath":
        code_expr = _fold_constants(code_expr)
    printer_module = {"scipy": "numpy", "torch": "torch"}.get(backend, backend)
    modules.append(printer_module)
    printer = None
    if backend == "torch":  # SymPy's torch printer refuses unknown functions unless told not to be strict
        from sympy.printing.pytorch import TorchPrinter

        printer = TorchPrinter({"allow_unknown_functions": True, "strict": False})
        # inside an unknown function's arguments the printer leaves log/exp bare, and `from torch import *`
        # does not define them
        import torch

        modules.insert(0, {name: getattr(torch, name) for name in
                           ("log", "exp", "log1p", "expm1", "sqrt", "abs", "tanh", "sin", "cos", "atan")})
    raw = sp.lambdify(args, code_expr, modules=modules, cse=True, printer=printer)
    f = raw if isinstance(expr, sp.MatrixBase) else _wrap(raw, backend, len(args))
    f.args = tuple(args)
    f.expr = expr
    f.backend = backend
    return f


# Elements per block of the numpy code: the generated code makes one pass over its arrays per operation and
# allocates a temporary for most of them. On 10⁶ inputs those are 8 MB arrays, each fresh from the kernel
# (page faults) and streamed through memory; blocks of 2¹⁶ float64 (512 KiB an array) stay in the L2 cache
# and reuse the allocator's memory: 2–2.5× the throughput of the stable kernels on 10⁶ inputs (Bernoulli KL,
# normal CE, categorical KL; measured by benchmarks/numeric.py, 2¹²–2¹⁸ tried). Every generated function is elementwise over the broadcast
# batch shape (k-class functions take one array per class), so blocks of the flattened inputs give the
# same values as one call.
BLOCK = 1 << 16


def _wrap(raw, backend, nargs):
    if backend in ("numpy", "scipy"):
        @functools.wraps(raw)
        def f(*xs):
            with np.errstate(all="ignore"):
                xs = [np.asarray(x, dtype=np.float64) for x in xs]
                shape = np.broadcast_shapes(*[x.shape for x in xs]) if xs else ()
                size = math.prod(shape)
                if size > 2 * BLOCK and getattr(raw, "blocked", True):
                    return _blocked(raw, xs, shape, size)
                out = raw(*xs)
                return np.broadcast_to(np.asarray(out, dtype=np.float64), shape).copy() if np.ndim(out) < len(shape) \
                    else np.asarray(out, dtype=np.float64)
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
            return raw(*[mpmath.mpf(x) if not isinstance(x, mpmath.mpf) else x for x in xs])
        return f
    if backend == "torch":
        import torch

        @functools.wraps(raw)
        def f(*xs):
            xs = [torch.as_tensor(x, dtype=torch.float64) for x in xs]
            out = raw(*xs)
            out = torch.as_tensor(out, dtype=torch.float64)
            shape = torch.broadcast_shapes(*[x.shape for x in xs]) if xs else ()
            return out.expand(shape).clone() if out.shape != shape else out
        return f
    return raw


def _blocked(raw, xs, shape, size):
    """raw over blocks of BLOCK elements of the flattened, broadcast inputs (scalars stay scalars)."""
    flat = [x if x.ndim == 0 else np.broadcast_to(x, shape).reshape(-1) for x in xs]
    out = np.empty(size)
    for i in range(0, size, BLOCK):
        out[i:i + BLOCK] = raw(*[x if x.ndim == 0 else x[i:i + BLOCK] for x in flat])
    return out.reshape(shape)


__all__ = ["lambdify", "lower", "BACKENDS"]
