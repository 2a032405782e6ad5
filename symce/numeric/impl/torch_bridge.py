r"""The torch backend's numpy bridge: stable functions whose torch kernel is weaker than numpy's run the
numpy kernel, inside a ``torch.autograd.Function``.

This is the fallback: an expression whose every node has a torch kernel as accurate as numpy's is one
fused operation instead (:mod:`.torch_fused`, no numpy at all). What still comes here: the mixed
probability/logit KLs and σ/softmax-weighted products (long-double weights), the compensated
Σ x log(x/y) of categorical KLs, the exact kernels bound by ``lowering()`` in a value (Gaussian
rational_log_sum, exact_rational, logprod_offset), the special functions torch has no accurate kernel for
(ψ, ψ⁽ⁿ⁾, Γ, B, Ei, Eₙ, H_x, ζ, I_ν; :func:`symce.numeric.special.torch_bridged`), and the Stirling kernels of
the Gamma-family KLs.

Some numpy kernels have no torch counterpart of the same accuracy: long-double weights (``_wprod_*``, the
mixed probability/logit KLs of :mod:`.mixed_kl`), fast paths that also carry the careful extended forms
(:mod:`.fast`), and kernels bound by ``lowering()`` (exact rational parts, double-double offsets,
``rational_log_sum`` of the Gaussian KLs, :mod:`.extended`). For those the torch function evaluates the
*stable-function node* — the node with its symbolic arguments, so the lowering still gets the exact
differences of the original inputs — with the numpy backend on the CPU, and turns the result back into a
float64 tensor on the input's device. The rest of the expression stays torch code printed by the numpy
code generator (same operations in the same order as the numpy backend, torch's elementary functions).

Gradients: ∂node/∂xⱼ is the node's symbolic derivative (SymPy's chain rule through each stable function's
``fdiff``), lambdified with the numpy backend on first use and bridged the same way — so derivatives of
any order are available (``create_graph=True`` records the derivative bridges too).

Which nodes are bridged is decided per kernel name (:func:`kernel_name`): a kernel is bridged when its numpy
implementation is not the shared array code of :mod:`.arrays` (so a kernel that gets a numpy fast path or
long-double form later is bridged without a change here), and every function with a ``lowering``.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from symce.core.special import sigmoid
from symce.numeric import codegen, special
from symce.numeric.functions import (StableFunction, diff_ratio, kl_div, log1pmx_ratio, log_offset, logit_prob_kl,
                                     prob_logit_kl, rel_entr_sum, wprod)
from symce.numeric.impl import impls
from symce.numeric.impl.torch_kernels import unbroadcast as _unbroadcast
from symce.numeric.printed import printed_function, stable_form, wrap


def kernel_name(node) -> str | None:
    """The name of the implementation a stable-function node is evaluated with (None: not a stable
    function, or one printed as plain arithmetic)."""
    if not isinstance(node, StableFunction):
        return None
    if isinstance(node, kl_div):
        return "_kl_div"
    if isinstance(node, log1pmx_ratio):
        return "_log1pmx_ratio"
    if isinstance(node, log_offset):
        return "_log_offset"
    if isinstance(node, diff_ratio):
        return None if node.args[1] == 0 else "diff_ratio"  # (a − 0)/s is printed as a/s
    if isinstance(node, wprod):
        return codegen.positive_weight(node.args[0])[0]  # None: printed as w·v
    if isinstance(node, prob_logit_kl):
        return "_prob_logit_kl"
    if isinstance(node, logit_prob_kl):
        return "_logit_prob_kl"
    if isinstance(node, rel_entr_sum) and codegen.all_positive(node.args[: len(node.args) // 2]):
        return "_rel_entr_sum_pos"
    return type(node).__name__


def _code(fn):
    fn = getattr(fn, "func", fn)  # functools.partial
    return getattr(fn, "__code__", None)


@functools.lru_cache(maxsize=None)
def _bridged_names() -> frozenset:
    """Kernels whose numpy implementation differs from the shared array code (the torch one)."""
    np_names, torch_names = impls("numpy"), impls("torch")
    return frozenset(name for name, fn in np_names.items()
                     if name not in torch_names or _code(fn) is None or _code(fn) is not _code(torch_names[name]))


def needs_bridge(node) -> bool:
    name = kernel_name(node)
    if name is None:
        return False
    return hasattr(node, "lowering") or name in _bridged_names()


class Bridge:
    """``expr`` (a SymPy expression in ``syms``) evaluated by the numpy backend, as a torch operation."""

    def __init__(self, expr, syms: tuple, stable: bool = True):
        # stable: expr is already in stable form (a node of the stabilised expression); a derivative is not
        self.expr, self.syms, self.stable = expr, tuple(syms), stable
        self._grads: dict = {}

    @functools.cached_property
    def numpy(self):
        if self.stable:
            # printed as it is: stabilising a stable node again may rewrite inside it (an exact_rational's
            # rational argument would get a diff_ratio its exact kernel cannot take)
            try:
                return wrap(codegen.generate(list(self.syms), self.expr, impls("numpy")), "numpy", len(self.syms))
            except codegen.Unsupported:
                pass
        return printed_function(self.expr, list(self.syms), "numpy")

    def grad(self, j: int):
        """The bridge of ∂expr/∂syms[j] (None where it is identically 0)."""
        if j not in self._grads:
            d = sp.diff(self.expr, self.syms[j])
            self._grads[j] = None if d == 0 else Bridge(d, self.syms, stable=False)
        return self._grads[j]

    def __call__(self, *xs):
        import torch

        xs = [torch.as_tensor(x, dtype=torch.float64) for x in xs]
        return _function().apply(self, *xs)


@functools.lru_cache(maxsize=None)
def _function():
    import torch

    class NumpyBridge(torch.autograd.Function):
        """forward: the numpy kernel on the CPU values; backward: the bridged symbolic derivatives."""

        @staticmethod
        def forward(ctx, bridge, *xs):
            ctx.bridge = bridge
            ctx.save_for_backward(*xs)
            arrays = [x.detach().cpu().numpy() for x in xs]
            with np.errstate(all="ignore"):
                out = np.asarray(bridge.numpy(*arrays), dtype=np.float64)
            shape = np.broadcast_shapes(*[a.shape for a in arrays])
            # a kernel may hand back 0-d inputs as shape (1,): the op's result has the inputs' broadcast shape
            out = out.reshape(shape) if out.size == np.prod(shape) else np.broadcast_to(out, shape)
            device = xs[0].device if xs else None
            if not (out.flags.c_contiguous and out.flags.writeable):  # (np.ascontiguousarray makes 0-d 1-d)
                out = out.copy()
            return torch.from_numpy(out).to(device=device)

        @staticmethod
        def backward(ctx, grad_out):
            xs = ctx.saved_tensors
            grads = []
            for j, x in enumerate(xs):
                d = ctx.bridge.grad(j) if ctx.needs_input_grad[j + 1] else None
                grads.append(None if d is None else _unbroadcast(d(*xs) * grad_out, x.shape))
            return (None, *grads)

    return NumpyBridge


class Native(Bridge):
    """``expr`` (a stable-function node or σ) evaluated by its torch kernel, as a torch operation whose
    backward is the node's stabilised symbolic derivative (not autograd through the kernel's operations).

    The kernels branch on the input (``where(x > 0, x + t, t)`` with ``t = log1p(e^{−|x|})`` for
    softplus; |x|, maximum, clamp): autograd through them takes d|x|/dx = 0 at x = 0 and gives a
    gradient of 0 exactly at the kink (BCE with logits at z = 0). ∂expr/∂xⱼ from SymPy's chain rule
    through each function's ``fdiff``, stabilised and printed as torch code built the same way, is right
    at every point, and is itself differentiable (double backward)."""

    def __init__(self, expr, syms: tuple, fn):
        super().__init__(expr, syms)
        self.fn = fn

    def grad(self, j: int):
        if j not in self._grads:
            d = sp.diff(self.expr, self.syms[j])
            self._grads[j] = None if d == 0 else torch_function(d, self.syms)
        return self._grads[j]

    def __call__(self, *xs):
        import torch

        xs = [torch.as_tensor(x, dtype=torch.float64) for x in xs]
        return _native().apply(self, *xs)


def torch_function(expr, syms):
    """A torch function of ``syms`` computing ``expr`` (stabilised): native nodes and numpy bridges, each
    with its symbolic backward (None where the generator does not print it: a numpy bridge of the whole)."""
    import torch

    stable = stable_form(expr, ())
    code_expr, bridges = bridge(stable)
    fn = generate(list(syms), code_expr, {**impls("torch"), **bridges})
    if fn is None:
        return Bridge(expr, syms, stable=False)

    def f(*xs):
        out = fn(*xs)
        if not isinstance(out, torch.Tensor):  # a constant derivative
            out = torch.as_tensor(out, dtype=torch.float64, device=xs[0].device if xs else None)
        return out

    return f


def _native_node(node, syms):
    """A Native for node, or None where the code generator does not print it (the node is then bridged)."""
    try:
        fn = codegen.generate(list(syms), node, impls("torch"))
    except codegen.Unsupported:
        return None
    fn.__globals__.update(_torch_elementary())
    return Native(node, syms, fn)


@functools.lru_cache(maxsize=None)
def _native():
    import torch

    class TorchNode(torch.autograd.Function):
        """forward: the torch kernel; backward: the node's stabilised symbolic derivatives (torch code)."""

        @staticmethod
        def forward(ctx, node, *xs):
            ctx.node = node
            ctx.save_for_backward(*xs)
            out = node.fn(*xs)
            shape = torch.broadcast_shapes(*[x.shape for x in xs])
            out = torch.as_tensor(out, dtype=torch.float64, device=xs[0].device)
            return out.expand(shape).clone() if out.shape != shape else out

        @staticmethod
        def backward(ctx, grad_out):
            xs = ctx.saved_tensors
            grads = []
            for j, x in enumerate(xs):
                d = ctx.node.grad(j) if ctx.needs_input_grad[j + 1] else None
                grads.append(None if d is None else _unbroadcast(d(*xs) * grad_out, x.shape))
            return (None, *grads)

    return TorchNode


def _rebuild(node, args):
    if isinstance(node, (sp.Add, sp.Mul, sp.Pow, sp.Function)):
        return node.func(*args, evaluate=False)
    return node.func(*args)  # (Piecewise pairs, relations: no term order to keep)


def _scaled_kl(node) -> bool:
    """n·prob_logit_kl (the Multinomial's n) bridged whole: the numpy kernel takes n inside its weights where
    n·(the KL rounded up near DBL_MAX/n) overflows (codegen), a product in torch would not."""
    if not node.is_Mul:
        return False
    n, f = node.as_coeff_Mul()
    return isinstance(f, prob_logit_kl) and n.is_Integer and n > 1


def bridge(expr):
    """(expr with every node that needs the bridge replaced by a call ``sx_bridge_N(x…)`` of its free
    symbols, {name: Bridge}). The rest of the tree is rebuilt unevaluated, so its terms and factors keep
    their order and the torch code does the numpy code's operations in the same order."""
    bridges: dict = {}
    memo: dict = {}

    def go(node):
        got = memo.get(node)
        if got is not None:
            return got
        native = None
        if node.free_symbols and isinstance(node, (StableFunction, sigmoid)) and not needs_bridge(node):
            native = _native_node(node, tuple(sorted(node.free_symbols, key=lambda s: s.name)))
        if native is not None:
            name = f"sx_native_{len(bridges)}"
            bridges[name] = native
            new = sp.Function(name)(*native.syms)
        elif node.free_symbols and (needs_bridge(node) or isinstance(node, StableFunction)
                                    or special.torch_bridged(node) or _scaled_kl(node)):
            syms = tuple(sorted(node.free_symbols, key=lambda s: s.name))
            name = f"sx_bridge_{len(bridges)}"
            bridges[name] = Bridge(node, syms)
            new = sp.Function(name)(*syms)
        elif node.is_Atom or not node.args:
            new = node
        else:
            args = [go(a) for a in node.args]
            new = node if all(a is b for a, b in zip(args, node.args)) else _rebuild(node, args)
        memo[node] = new
        return new

    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(go), bridges
    return go(expr), bridges


def _torch_elementary() -> dict:
    import torch

    return {"exp": torch.exp, "log": torch.log, "absolute": torch.abs, "sin": torch.sin, "cos": torch.cos,
            "tanh": torch.tanh, "arctan": torch.atan, "sqrt": torch.sqrt, "power": torch.pow}


def generate(args, expr, names: dict):
    """The code generator's function of ``args`` for a (bridged) scalar expression, with torch's elementary
    functions and the torch kernels ``names``; None where the generator does not print the expression (the
    caller falls back to SymPy's torch printer)."""
    if isinstance(expr, sp.MatrixBase):
        return None
    try:
        fn = codegen.generate(args, expr, names)
    except codegen.Unsupported:
        return None
    # the generator binds numpy's elementary functions in the function's namespace (its globals); the same
    # names bound to torch's give torch code
    fn.__globals__.update(_torch_elementary())
    return fn


__all__ = ["Bridge", "Native", "bridge", "torch_function", "generate", "kernel_name", "needs_bridge"]
