"""Sums and integrals that a derivation keeps unevaluated (no closed form: E[log X!] under a Poisson) still
get a numeric function: each is evaluated pointwise with mpmath (``nsum`` / ``quad``) at 30 digits and
rounded once — slow (about a millisecond a point) but as accurate as the float result can be.

:func:`replace` swaps every outermost ``Sum``/``Integral`` for an opaque function of its free symbols and
returns the module dictionary that implements them for the backend.
"""

from __future__ import annotations

import functools
import inspect

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


# SymPy's lambdify prints the whole body again for a docstring nobody sees (the body is internal): skipped where
# SymPy has the option (1.13 on), as printed.py does
_NO_DOCSTRING = {"docstring_limit": 0} if "docstring_limit" in inspect.signature(sp.lambdify).parameters else {}


@functools.lru_cache(maxsize=256)
def _evaluator(node, symbols: tuple):
    """value(*xs): the Sum/Integral at the point xs (one limit; nested limits evaluate inside out). Memoised:
    value is a pure function of (node, symbols), and a derivation's kept sum recurs in its relatives (the
    Poisson's E[log X!] in H, H(P, Q), KL and their gradients: 29 calls, 15 distinct, over the cold catalog)."""
    (var, lo, hi), rest = node.limits[-1], node.limits[:-1]
    inner = type(node)(node.function, *rest) if rest else node.function
    inner_value = _evaluator(inner, (var, *symbols)) if rest else None

    @functools.cache
    def body():
        # printed at the first evaluation, not here: a lambdified formula is often never evaluated (the cold
        # catalog builds 15 kept sums and integrals, 0.25 s of cProfile printing their bodies, and calls none)
        return sp.lambdify([var, *symbols], inner, modules="mpmath", **_NO_DOCSTRING)

    def value(*xs):
        fn = body() if inner_value is None else None
        with mpmath.workdps(_DIGITS):
            xs = [mpmath.mpf(x) if not isinstance(x, mpmath.mpf) else x for x in xs]
            env = dict(zip(symbols, xs))
            f = (lambda t: fn(t, *xs)) if fn is not None else (lambda t: inner_value(t, *xs))
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
        value = _evaluator(node, tuple(symbols))
        if backend == "mpmath":
            impl = value
        elif backend in ("numpy", "scipy"):
            impl = np.vectorize(lambda *xs, value=value: float(value(*[float(x) for x in xs])), otypes=[float])
        elif backend == "torch":
            impl = _torch_impl(node, symbols, value)
        else:
            impl = (lambda *xs, value=value: float(value(*[float(x) for x in xs])))
        modules[name] = impl
        mapping[node] = sp.Function(name)(*symbols)
    return expr.xreplace(mapping), modules


def _torch_impl(node, symbols, value):
    """The kept node on tensors: elementwise through numpy, a float64 tensor of the broadcast shape back on
    the first tensor's device. Differentiable: ∂/∂θ of a sum or integral with fixed limits is the sum or
    integral of ∂f/∂θ, evaluated the same way (an integer symbol such as n has no gradient)."""
    import torch

    def vectorised(v):
        return np.vectorize(lambda *xs: float(v(*[float(x) for x in xs])), otypes=[float])

    forward = vectorised(value)

    def partial(s):
        if s.is_integer:
            return None  # a count (Binomial's n): no gradient
        d = sp.diff(node, s)  # Sum/Integral of ∂f/∂s; not doit(): that would try to close it
        if not (isinstance(d, type(node)) and d.limits == node.limits):
            return s  # a limit depends on s (Leibniz terms): refused in backward rather than silently 0
        return vectorised(_evaluator(d, tuple(symbols)))
    partials = [partial(s) for s in symbols]

    class Kept(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *xs):
            ctx.save_for_backward(*xs)
            return torch.as_tensor(forward(*[x.detach().cpu().numpy() for x in xs]), dtype=torch.float64,
                                   device=xs[0].device)

        @staticmethod
        def backward(ctx, grad):
            xs = ctx.saved_tensors
            arrays = [x.detach().cpu().numpy() for x in xs]
            out = []
            for x, d in zip(xs, partials):
                if d is None or not ctx.needs_input_grad[len(out)]:
                    out.append(None)
                    continue
                if isinstance(d, sp.Symbol):
                    raise NotImplementedError(f"the gradient in {d} of a kept {type(node).__name__} whose "
                                              "limits depend on it is not implemented")
                g = grad * torch.as_tensor(d(*arrays), dtype=torch.float64, device=x.device)
                # back to the input's shape (broadcasting may have widened it)
                while g.dim() > x.dim():
                    g = g.sum(0)
                for i, size in enumerate(x.shape):
                    if size == 1 and g.shape[i] != 1:
                        g = g.sum(i, keepdim=True)
                out.append(g)
            return tuple(out)

    def impl(*xs):
        tensors = [x if isinstance(x, torch.Tensor) else torch.as_tensor(x, dtype=torch.float64) for x in xs]
        return Kept.apply(*tensors)
    return impl
