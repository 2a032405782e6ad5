"""``lambdify(..., backend="jax")``: symce's stable numpy code, made a differentiable JAX function.

JAX has no printer that knows symce's stable kernels (double-double offsets, exact max-shifts, compensated
k-class sums), and re-implementing each of them in ``jax.numpy`` would be a second set of kernels to prove.
So the value is symce's numpy function of the *same* expression — the code the accuracy goals are measured
on — called through :func:`jax.pure_callback`, and equal to it bit for bit. Differentiation goes through
:class:`jax.custom_jvp`: the tangent is Σ_i ∂f/∂x_i · ẋ_i, where ∂f/∂x_i is the *symbolic* derivative of the
expression (``sympy.diff``), lambdified by the same stable numpy backend and called through its own
callback. The derivative functions are built lazily (the first time JAX differentiates), and each is itself
such a function, so ``jax.grad`` of ``jax.grad`` works too.

Works under ``jax.jit``, ``jax.grad``/``jax.jvp``/``jax.vjp`` and ``jax.vmap``. The code runs on the host
(numpy): on an accelerator every call copies its inputs to the CPU and back.

float64: the numpy code computes in float64 and the callbacks return float64, which JAX only represents when
``jax_enable_x64`` is on. Building a jax function sets it (``jax.config.update("jax_enable_x64", True)``);
calling one with x64 switched off again raises :class:`~symce.errors.ArgumentTypeError` instead of silently
rounding to float32.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from symce.errors import ArgumentTypeError
from symce.numeric.printed import printed_function

MISSING = "backend 'jax' needs jax installed (pip install jax)"


def _jax():
    """The jax module with float64 enabled, or the ArgumentTypeError torch's backend also raises."""
    try:
        import jax
    except ImportError as exc:
        raise ArgumentTypeError(MISSING) from exc
    jax.config.update("jax_enable_x64", True)
    return jax


def _check_x64(jax):
    if not jax.config.read("jax_enable_x64"):
        raise ArgumentTypeError("backend 'jax' computes in float64 and needs jax_enable_x64; it was switched off "
                                "after the function was built (jax.config.update('jax_enable_x64', True))")


@functools.lru_cache(maxsize=None)  # on the first jax callback, not at import (find_library runs ldconfig)
def _default_fp_env():
    """(enter, leave) for the default IEEE floating-point environment on the calling thread, or None.

    XLA's CPU runtime runs host callbacks on its own threads with flush-to-zero and denormals-are-zero set
    (MXCSR 0x9fe2 where Python's is 0x1fa2, measured with jax 0.10.2 on x86-64): numpy there reads the
    subnormal 5e-324 as 0, and Bernoulli entropy at p = 5e-324 came out 0 instead of 3.68e-321. The stable
    kernels assume IEEE arithmetic, so each callback runs in glibc's default environment (FE_DFL_ENV, the
    pointer −1: round to nearest, all exceptions masked, no FTZ/DAZ) and restores the caller's afterwards.
    Elsewhere (no glibc) this is None and the callback runs in whatever environment XLA set."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        get, set_ = libm.fegetenv, libm.fesetenv
    except (OSError, AttributeError):
        return None
    dfl = ctypes.c_void_p(-1)

    def enter():
        saved = ctypes.create_string_buffer(64)  # fenv_t is 32 bytes on x86-64, 8 on aarch64
        get(saved)
        set_(dfl)
        return saved

    return enter, set_


def _host(numpy_fn):
    """The host side of a callback: numpy_fn on float64 arrays, broadcast to the inputs' common shape (under
    ``vmap_method="expand_dims"`` unbatched inputs arrive with size-1 batch axes; the result must have the
    full batched shape and exactly the declared dtype)."""
    def run(*xs):
        xs = [np.asarray(x, dtype=np.float64) for x in xs]
        shape = np.broadcast_shapes(*[x.shape for x in xs]) if xs else ()
        fp_env = _default_fp_env()
        saved = fp_env[0]() if fp_env else None
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(numpy_fn(*xs), dtype=np.float64)
            return np.broadcast_to(out, shape).copy()
        finally:
            if saved is not None:
                fp_env[1](saved)  # a fresh C-ordered array (ascontiguousarray makes 0-d 1-d)
    return run


def jax_function(numpy_fn: Callable, grad_fns, nargs: int) -> Callable:
    """A JAX function of ``nargs`` float64 arguments whose value is ``numpy_fn`` (elementwise over the
    broadcast inputs) and whose partial derivatives are ``grad_fns``.

    ``grad_fns``: a sequence of ``nargs`` callables, or a zero-argument callable returning one (called once,
    when JAX first differentiates). Each entry is either a function made by ``jax_function`` (then
    differentiable again) or a numpy function of the same arguments (called through a callback; JAX cannot
    differentiate it further).
    """
    jax = _jax()
    jnp = jax.numpy
    from jax.custom_derivatives import SymbolicZero

    host = _host(numpy_fn)

    @functools.cache
    def grads():
        gs = list(grad_fns() if callable(grad_fns) else grad_fns)
        if len(gs) != nargs:
            raise ArgumentTypeError(f"jax_function: grad_fns has {len(gs)} entries for {nargs} arguments")
        return [g if getattr(g, "backend", None) == "jax" else _plain(g, jax) for g in gs]

    @jax.custom_jvp
    def core(*xs):
        # every input already has the broadcast shape (see fn): under vmap the batch axis is then the
        # leading axis of each, so numpy's right-aligned broadcasting on the host lines the axes up
        spec = jax.ShapeDtypeStruct(xs[0].shape if xs else (), jnp.float64)
        return jax.pure_callback(host, spec, *xs, vmap_method="expand_dims")

    def core_jvp(primals, tangents):
        out = core(*primals)
        # symbolic zeros: the inputs not being differentiated; skipping them saves their derivative's
        # callback, and keeps an infinite ∂f/∂x_j (Bernoulli entropy at p = 0) from turning 0·∞ into NaN
        terms = [g(*primals) * t for g, t in zip(grads(), tangents) if not isinstance(t, SymbolicZero)]
        return out, functools.reduce(jnp.add, terms) if terms else jnp.zeros_like(out)

    core.defjvp(core_jvp, symbolic_zeros=True)

    def fn(*xs):
        if len(xs) != nargs:
            raise ArgumentTypeError(f"this function takes {nargs} arguments, not {len(xs)}")
        _check_x64(jax)
        xs = [jnp.asarray(x, dtype=jnp.float64) for x in xs]
        shape = jnp.broadcast_shapes(*[x.shape for x in xs]) if xs else ()
        # broadcast in JAX, outside the custom_jvp: its transpose sums a gradient back onto a broadcast input
        return core(*[jnp.broadcast_to(x, shape) for x in xs])

    fn.backend = "jax"
    fn.numpy_fn = numpy_fn
    return fn


def _plain(numpy_fn, jax):
    """A numpy derivative function called through a callback (not differentiable again)."""
    host = _host(numpy_fn)

    def g(*xs):
        spec = jax.ShapeDtypeStruct(xs[0].shape if xs else (), jax.numpy.float64)
        return jax.pure_callback(host, spec, *xs, vmap_method="expand_dims")
    return g


def lambdify_jax(expr, args: Sequence, conditions: tuple = (), stable: bool = True) -> Callable:
    """``lambdify(expr, args, backend="jax")``: the value from symce's numpy code of ``expr`` (stabilised
    under ``conditions`` unless ``stable=False``), the partial derivatives from the numpy code of
    ``sympy.diff`` of that (stabilised) expression w.r.t. each argument, built when JAX first differentiates.
    Scalar expressions only."""
    _jax()
    if not isinstance(expr, sp.Expr):
        raise ArgumentTypeError(f"backend 'jax' takes a scalar expression, not {type(expr).__name__} "
                                "(lambdify each entry of a matrix)")
    args = tuple(args)
    conditions = tuple(conditions)

    def build(e):
        f_np = printed_function(e, args, "numpy", stable=stable, conditions=conditions)
        # differentiate the stabilised form (proved equal to e, so the same derivative): the stable
        # functions differentiate into stable functions (softplus' = σ, not eᶻ/(1 + eᶻ), which is inf/inf for
        # z > 709). Measured with verify against the exact derivative of e: normal CE ∂/∂μ₁ 27 NaN/inf of 548
        # points from sympy.diff(e) → 0 and max 1 ULP; Bernoulli-logit entropy median 4.5e15 → 0 ULP.
        fn = jax_function(f_np, lambda: [build(sp.diff(f_np.expr, a)) for a in args], len(args))
        fn.args, fn.expr, fn.backend = args, f_np.expr, "jax"
        return fn

    return build(expr)


__all__ = ["jax_function", "lambdify_jax", "MISSING"]
