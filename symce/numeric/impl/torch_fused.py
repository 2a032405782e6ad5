r"""The torch backend's fused operation: a whole stabilised expression as one ``torch.autograd.Function``.

forward: the expression's torch code (symce's code generator over torch kernels: :mod:`.arrays` bound to
torch, overridden by the leaner :mod:`.torch_kernels`), on the tensors' device, no numpy. backward: the
vector–Jacobian product Σᵢ gᵢ·∂eᵢ/∂xⱼ printed as torch code too, with each ∂eᵢ/∂xⱼ the *stabilised* symbolic
derivative (SymPy's chain rule through each stable function's ``fdiff``, then the stabilising rewrite), so the
gradient is right at the kernels' kinks (softplus's |z| at z = 0, tied logits, P = Q) and as accurate as a
value. With ``create_graph=True`` the backward is itself a fused operation (the Jacobian's entries), so
derivatives of any order exist.

Why one operation and not one per stable function: autograd records one node per tensor operation; a loss
printed as ten torch operations over 10⁶ elements keeps ten 8 MB temporaries alive for its backward and
pays ten more passes there. Fused, nothing but the inputs is saved, and both passes run over blocks of
:data:`BLOCK` elements, so every temporary stays in the L2 cache instead of being a fresh 8 MB allocation
(page faults, memory bandwidth): the same reason the numpy backend evaluates in blocks
(:data:`symce.numeric.printed.BLOCK`).

An expression with a node that has no torch kernel (special functions torch lacks an accurate kernel for,
the exact kernels bound by ``lowering()``) is not fused: :func:`fused` returns None and the caller uses the
per-node operations of :mod:`.torch_bridge`.
"""

from __future__ import annotations

import functools
import math

import sympy as sp

from symce.numeric import codegen
from symce.numeric.functions import StableFunction
from symce.numeric.impl.torch_kernels import unbroadcast as _unbroadcast

#: kernels whose torch form is less accurate than numpy's (long-double weights of the mixed probability/logit
#: KLs, σ/softmax weights below the float range, the compensated Σ x log(x/y): 6 ULP on the categorical KL
#: where numpy has 1): expressions with them keep the numpy bridge (:mod:`.torch_bridge`)
WEAK = frozenset({"_prob_logit_kl", "_logit_prob_kl", "_wprod_sigmoid", "_wprod_softmax", "rel_entr_sum",
                  "_rel_entr_sum_pos"})

#: elements per block: 2¹⁶ float64 (512 KiB a temporary) keeps a kernel's few temporaries in the L2 cache
BLOCK = 1 << 16


def _elementary() -> dict:
    import torch

    return {"exp": torch.exp, "log": torch.log, "absolute": torch.abs, "sin": torch.sin, "cos": torch.cos,
            "tanh": torch.tanh, "arctan": torch.atan, "sqrt": torch.sqrt, "power": torch.pow,
            "array": lambda rows: rows[0]}


@functools.lru_cache(maxsize=None)
def torch_names() -> dict:
    """The kernels the torch code calls: the shared array kernels bound to torch, the special functions torch
    evaluates accurately, and the torch-only kernels of :mod:`.torch_kernels` in place of the shared ones."""
    from symce.numeric.impl import impls
    from symce.numeric.impl.torch_kernels import torch_kernels

    return {**impls("torch"), **torch_kernels()}


def _log_ratio_form(node):
    """rational_log_sum(K, R₀, c₁, R₁, …) with every |cᵢ| = c as K + R₀ + c·log(N/M) (N the product of the
    Rᵢ with cᵢ > 0, M of the others), the log taken by the ``_log_ratio`` kernel with N − M from the inputs
    (a rational function with its numerator expanded: (1 − p) − p = 1 − 2p, p(1 − q) − q(1 − p) = p − q);
    None for other coefficients (the exact numpy kernel then)."""
    from symce.numeric.functions import log_offset

    K, R0, *cr = node.args
    cs, rs = cr[::2], cr[1::2]
    if not all(ci.is_number for ci in cs):
        return None  # a coefficient that is a function of the inputs (Pareto's α₂): the exact kernel
    if len(cs) == 1 and K != 0 and rs[0].is_Symbol:
        # K + R₀ + c·log x (a univariate normal's CE): the logarithm with its constant as log_offset, which
        # cancels near x = e^{−K/c} without loss (what the form was before R₀ joined it)
        return R0 + cs[0] * log_offset(rs[0], K / cs[0])
    c = abs(cs[0])
    if c == 0 or any(abs(ci) != c for ci in cs):
        return None
    num = sp.Mul(*[r for ci, r in zip(cs, rs) if ci > 0])
    den = sp.Mul(*[r for ci, r in zip(cs, rs) if ci < 0])
    top, bottom = sp.fraction(sp.together(num - den))
    diff = sp.expand(top) / bottom
    if den == 1 and (diff.is_Symbol or (-diff).is_Symbol):
        # log(1 + d) with d an input (±): log1p of the exact d, one pass (the Bernoulli entropy's log(1 − p))
        return K + R0 + c * sp.Function("_log1p")(diff)
    return K + R0 + c * sp.Function("_log_ratio")(num, den, diff)


def _scaled_form(r):
    """A homogeneous rational function N/sⁿ as s^{m−n}·N(x/s) with its differences as diff_ratio (the
    stabilising rewrite's scaled quotient: no overflow or underflow of sⁿ), else None (the exact kernel)."""
    from symce.numeric.rewrite_gradients import scaled_quotient

    got = scaled_quotient(r)
    if got != r and not any(hasattr(f, "lowering") for f in got.atoms(StableFunction)):
        return got
    # a product of powers of inputs and of two-term sums (1/σ, (p − q)/(q(q − 1))): each factor correctly
    # rounded in float (Sterbenz where the terms are close), the product within a few ULP
    f = sp.factor(r)
    if all(len(a.args) <= 2 and all(t.is_Symbol or t.is_Number or (-t).is_Symbol for t in a.args)
           for a in f.atoms(sp.Add)):
        return f
    return None


#: the native rational_log_sum kernels (:mod:`.torch_logsum`) by the name _torch_form gives their node
_NATIVE: dict = {}


def _torch_form(expr):
    """expr with the nodes whose kernel is bound by ``lowering()`` (numpy) in a form with torch kernels, or
    None where some have none."""
    from symce.numeric.functions import exact_rational, rational_log_sum

    from symce.numeric.impl.torch_logsum import native

    nodes = [f for f in expr.atoms(StableFunction) if hasattr(f, "lowering")]
    subs = {}
    for f in nodes:
        new = None
        if isinstance(f, rational_log_sum):
            # the native torch kernel (float pass, double-double where the terms cancel), else the log ratio
            got = native(f)
            if got is not None:
                _NATIVE[got[0]] = got[1]
                new = sp.Function(got[0])(*got[2])
            else:
                new = _log_ratio_form(f)
        elif isinstance(f, exact_rational):
            new = _scaled_form(f.args[0])
        if new is None:
            return None
        subs[f] = new
    return expr.xreplace(subs) if subs else expr


def _pair_form(expr):
    """Pairs of terms a·F(y) + b·F(−y) (F = softplus or σ) whose weights make them one shifted function, as
    one kernel call: a·softplus(y) + b·softplus(−y) with a + b = 1 (binary cross-entropy with logits, t and
    1 − t) is log1p(e^{−|y|}) + (H(y) − b)·y, and a·σ(y) + b·σ(−y) with a − b = 1 (its gradient
    (1 − t)·σ(z) − t·σ(−z)) is σ(y) + b, taken as (H(y) + b) − (2H(y) − 1)·σ(−|y|) (H the unit step):
    identities, one exp (and log1p) instead of two and no ``where`` — each part is a sum of terms of one
    sign or an exact difference, as in the pair (b = −1: −σ(−|y|) exactly; the BCE gradient at t = 1)."""
    from symce.core.special import sigmoid
    from symce.numeric.functions import softplus

    def pair(add):
        terms = list(add.args)
        found = {}
        for i, term in enumerate(terms):
            c, rest = term.as_independent(softplus, sigmoid, as_Add=False)
            if isinstance(rest, (softplus, sigmoid)) and not c.has(softplus, sigmoid):
                y = rest.args[0]
                neg = y.could_extract_minus_sign()
                found.setdefault((type(rest), -y if neg else y), {})[neg] = (i, c)
        used, new = set(), []
        for (cls, y), sides in found.items():
            if len(sides) != 2 or sides[False][0] in used or sides[True][0] in used:
                continue
            (i, a), (j, b) = sides[False], sides[True]
            # e^{−|y|} and sign y as nodes of their own: the value and its derivative computed in one
            # function (a training step) share them
            e, sg = sp.Function("_exp_neg_abs")(y), sp.Function("_sign")(y)
            # and the weight H(y) − c as a node: the value's H(y) − b and the gradient's H(y) + b' are the
            # same node (b' = −t, b = t), computed once in a training step
            if cls is softplus and sp.expand(a + b - 1) == 0:
                new.append(sp.Function("_softplus_mix")(y, sp.Function("_step_sub")(sg, b), e))
            elif cls is sigmoid and sp.expand(a - b - 1) == 0:
                new.append(sp.Function("_sigmoid_shift")(sp.Function("_step_sub")(sg, -b), e, sg))
            else:
                continue
            used |= {i, j}
        if not used:
            return add
        return sp.Add(*new, *[t for k, t in enumerate(terms) if k not in used])

    return expr.replace(lambda e: e.is_Add and e.has(softplus, sigmoid), pair)


def generate(args, exprs):
    """A torch function of ``args`` returning the list of ``exprs`` (tensors or Python floats), or None where
    the code generator does not print them with torch kernels."""
    exprs = [_torch_form(_pair_form(e)) for e in exprs]
    if any(e is None for e in exprs):
        return None
    try:
        fn = codegen.generate(list(args), sp.ImmutableMatrix([list(exprs)]), {**torch_names(), **_NATIVE})
    except codegen.Unsupported:
        return None
    if any(name.startswith("sx_") and not name.startswith("sx_log_offset") for name in fn.__globals__):
        return None  # a kernel bound by lowering() inside the generator (the exact y − x of a kl_div): numpy
    fn.__globals__.update(_elementary())
    return fn


@functools.lru_cache(maxsize=4096)
def _node_partial(node, x):
    """∂node/∂x of one stable-function node, stabilised (its ``fdiff`` then the stabilising rewrite)."""
    from symce.numeric.printed import stable_form

    return stable_form(sp.diff(node, x), ())


def _is_node(e) -> bool:
    from symce.core.special import sigmoid

    return isinstance(e, (StableFunction, sigmoid, sp.Function)) and not isinstance(
        e, (sp.exp, sp.log, sp.Abs, sp.sin, sp.cos, sp.tanh, sp.atan))


@functools.lru_cache(maxsize=4096)
def _partial(expr, x):
    """∂expr/∂x of a stabilised expression by the chain rule with each stable-function node's own stabilised
    derivative (what autograd through one operation per node computes, as one expression): (d, d), or None
    where it is identically 0. Not the stabilising rewrite of the whole derivative: that expands sums the
    rewrite then no longer recognises (−t·σ(−z) + (1 − t)·σ(z) becomes −t·σ(−z) − t·σ(z) + σ(z), which
    cancels at t = 1), and not the derivative of the expression before the rewrite (the logit Bernoulli
    KL's a·σ(−a)σ(a) + b·σ(a)² − b·σ(a) cancels at a = b where softmax_kl's own derivative is 0)."""
    nodes, seen = [], set()

    def top(e):  # outermost stable-function nodes that depend on x
        if e in seen or x not in e.free_symbols:
            return
        seen.add(e)
        if _is_node(e):
            nodes.append(e)
            return
        for a in e.args:
            top(a)

    top(expr)
    us = [sp.Function(f"_u{i}")(x) for i in range(len(nodes))]
    d = sp.diff(expr.xreplace(dict(zip(nodes, us))), x)
    back = {sp.Derivative(u, x): _node_partial(n, x) for u, n in zip(us, nodes)}
    d = d.xreplace(back).xreplace(dict(zip(us, nodes)))
    return None if d == 0 else (d, d)


class Fused:
    """``exprs`` (stabilised SymPy expressions of ``syms``) as one torch operation with several outputs."""

    def __init__(self, exprs: tuple, syms: tuple, fn):
        self.exprs, self.syms, self.fn = exprs, syms, fn
        self._vjp: dict = {}
        self._jac: dict = {}
        self._with: dict = {}

    @classmethod
    def build(cls, exprs, syms):
        fn = generate(syms, exprs)
        return None if fn is None else cls(tuple(exprs), tuple(syms), fn)

    def partials(self, js):
        """[[(∂eᵢ/∂x_j, the same) for i] for j in js] (None entries: identically 0)."""
        return [[_partial(e, self.syms[j]) for e in self.exprs] for j in js]

    def vjp(self, js):
        """A torch function of (x…, g…) giving [Σᵢ gᵢ ∂eᵢ/∂x_j for j in js], or None (not printable)."""
        if js not in self._vjp:
            gs = sp.symbols(f"g0:{len(self.exprs)}", cls=sp.Dummy)
            rows = [sp.Add(*[sp.Mul(g, d[1], evaluate=False) for g, d in zip(gs, col) if d is not None])
                    for col in self.partials(js)]
            self._vjp[js] = generate((*self.syms, *gs), rows)
        return self._vjp[js]

    def with_partials(self, js):
        """A torch function of the inputs giving [e, ∂e/∂x_j for j in js] (one output e), or None."""
        if js not in self._with:
            cols = self.partials(js)
            rows = [self.exprs[0], *[sp.S.Zero if col[0] is None else col[0][1] for col in cols]]
            self._with[js] = generate(self.syms, rows)
        return self._with[js]

    def jacobian(self, js):
        """The Fused of the Jacobian entries [∂eᵢ/∂x_j for j in js for i] (a differentiable backward)."""
        if js not in self._jac:
            flat = [sp.S.Zero if d is None else d[1] for col in self.partials(js) for d in col]
            self._jac[js] = Fused.build(tuple(flat), self.syms)
        return self._jac[js]

    def __call__(self, *xs):
        """The outputs as float64 tensors of the inputs' broadcast shape (an autograd operation)."""
        return _function().apply(self, *xs)


def _flat(x, shape):
    """x as a 1-d view over the broadcast shape (a 0-d tensor where it is one value broadcast)."""
    if x.numel() == 1 or (x.dim() and all(s == 0 for s in x.stride())):
        return x.reshape(-1)[0] if x.numel() == 1 else x.as_strided((), ())
    return x.expand(shape).reshape(-1)  # a view where x already has the shape (no copy)


def run(fn, xs, nout):
    """fn over the broadcast inputs, block by block for long ones: nout float64 tensors of that shape."""
    import torch

    shape = torch.broadcast_shapes(*[x.shape for x in xs]) if xs else torch.Size()
    size = math.prod(shape)
    device = xs[0].device if xs else None
    if not blocked(size):
        outs = fn(*xs)
        return [_full(o, shape, device) for o in outs]
    flat = [_flat(x, shape) for x in xs]
    outs = [torch.empty(size, dtype=torch.float64, device=device) for _ in range(nout)]
    for i in range(0, size, BLOCK):
        got = fn(*[x if x.dim() == 0 else x[i:i + BLOCK] for x in flat])
        for o, r in zip(outs, got):
            o[i:i + BLOCK] = r
    return [o.view(shape) for o in outs]


def blocked(size: int) -> bool:
    """Whether :func:`run` takes ``size`` elements block by block, into output tensors of its own (fresh,
    referenced by nothing else: the forward's partials may then be scaled in place by the backward)."""
    return size > 2 * BLOCK


def _full(o, shape, device):
    import torch

    if not isinstance(o, torch.Tensor):
        return torch.full(shape, float(o), dtype=torch.float64, device=device)
    if o.shape != shape:
        return o.expand(shape).clone()
    return o


@functools.lru_cache(maxsize=None)
def _function():
    import torch

    class FusedOp(torch.autograd.Function):
        """forward: the expression's torch code; backward: its stabilised symbolic vector–Jacobian product."""

        @staticmethod
        def forward(ctx, op, *xs):
            ctx.op = op
            js = tuple(j for j in range(len(xs)) if ctx.needs_input_grad[j + 1])
            with_grad = op.with_partials(js) if js and len(op.exprs) == 1 else None
            if with_grad is None:
                ctx.partials = None
                outs = run(op.fn, xs, len(op.exprs))
            else:
                # a training step: the partial derivatives in the same pass as the value, sharing its
                # intermediate results (e^{−|z|} of BCE with logits and of its gradient); backward multiplies
                outs = run(with_grad, xs, 1 + len(js))
                ctx.partials = dict(zip(js, outs[1:]))
                ctx.fresh = blocked(outs[0].numel())
                outs = outs[:1]
            ctx.save_for_backward(*xs)
            return outs[0] if len(outs) == 1 else tuple(outs)

        @staticmethod
        def backward(ctx, *gs):
            op, xs = ctx.op, ctx.saved_tensors
            js = tuple(j for j in range(len(xs)) if ctx.needs_input_grad[j + 1])
            grads = [None] * len(xs)
            if not js:
                return (None, *grads)
            vjp = op.vjp(js)
            if torch.is_grad_enabled() or (vjp is None and ctx.partials is None):
                # create_graph (double backward): the Jacobian as a differentiable operation of its own
                got = _recorded_vjp(op, js, xs, gs)
            elif ctx.partials is not None and all(j in ctx.partials for j in js):
                g = gs[0]
                if g.dim() and all(st == 0 for st in g.stride()):  # the mean's or sum's gradient: one number
                    g = g.as_strided((), ())
                parts = ctx.partials
                if ctx.fresh:
                    # run()'s own output tensors: scaled in place (no fresh 8 MB product, whose page faults
                    # cost as much as the pass); used up, so a second backward (retain_graph) takes the vjp
                    ctx.partials = None
                    got = [parts[j].mul_(g) if g.dim() == 0 or g.shape == parts[j].shape else parts[j] * g
                           for j in js]
                else:  # a small input's partials may be the inputs themselves (∂(x·y)/∂x = y): a product
                    got = [parts[j] * g for j in js]
            else:
                got = run(vjp, (*xs, *gs), len(js))
            for j, g in zip(js, got):
                grads[j] = _unbroadcast(g, xs[j].shape)
            return (None, *grads)

    return FusedOp


def _recorded_vjp(op, js, xs, gs):
    jac = op.jacobian(js)
    if jac is None:  # a derivative with a node torch has no kernel for: the per-node operations
        from symce.numeric.impl.torch_bridge import torch_function

        entries = [[torch_function(d[1], op.syms) if d is not None else None for d in col]
                   for col in op.partials(js)]
        parts = [[None if f is None else f(*xs) for f in col] for col in entries]
    else:
        flat = jac(*xs)
        flat = flat if isinstance(flat, tuple) else (flat,)
        m = len(op.exprs)
        parts = [list(flat[k * m:(k + 1) * m]) for k in range(len(js))]
    out = []
    for col in parts:
        terms = [g * p for g, p in zip(gs, col) if p is not None]
        out.append(sum(terms[1:], terms[0]) if terms else gs[0] * 0.0)
    return out


def fused(expr, syms):
    """A torch function of ``syms`` computing the stabilised ``expr`` as one fused operation, or None where
    it cannot be (a matrix, a node whose torch kernel is weaker than numpy's or missing). For a single
    k-class node the function also has ``on_groups`` (:mod:`.torch_kclass`)."""
    if isinstance(expr, sp.MatrixBase):
        return None
    from symce.numeric.impl.torch_kclass import grouped

    hook = grouped(expr, syms)
    if hook is not None:
        # a k-class node: (…, k) tensors go whole to its kernel over the trailing axis (the signature
        # layer's on_groups hook); one tensor per class takes the fused operation or the numpy bridge
        f = _one_per_class(expr, syms)
        if f is not None:
            f.on_groups = hook
        return f
    return _fused(expr, syms)


def _one_per_class(expr, syms):
    """The function of the columns (one tensor per class) of a k-class node: the fused operation, else
    the numpy bridge of :mod:`.torch_bridge` (the categorical KL's compensated sum, as lambdify builds it)."""
    f = _fused(expr, syms)
    if f is not None:
        return f
    from symce.numeric.impl import impls
    from symce.numeric.impl.torch_bridge import bridge, generate as bridge_generate

    code_expr, bridges = bridge(expr)
    raw = bridge_generate(list(syms), code_expr, {**impls("torch"), **bridges})
    if raw is None:
        return None

    @functools.wraps(raw)  # a fresh function: on_groups is set on it, not on a cached generated one
    def f(*xs):
        return raw(*xs)

    return f


def fused_entries(exprs, syms):
    """A torch function of ``syms`` giving the list of the stabilised ``exprs`` (a matrix's entries) as one
    fused operation with several outputs (common subexpressions shared), or None as :func:`fused`."""
    op = _fusable(exprs, syms)
    if op is None:
        return None

    def f(*xs):
        out = op(*xs)
        return list(out) if isinstance(out, tuple) else [out]

    return f


def _fusable(exprs, syms):
    from symce.numeric import special
    from symce.numeric.impl.torch_bridge import kernel_name

    # only where every node's torch kernel is as accurate as numpy's (else the numpy kernel is bridged, one
    # operation per node: impl.torch_bridge); a node without a torch kernel makes generate() give None
    from symce.numeric.functions import rational_log_sum
    from symce.numeric.impl.torch_logsum import native

    if any(kernel_name(f) in WEAK or special.torch_bridged(f)
           or (hasattr(f, "lowering") and not (isinstance(f, rational_log_sum) and native(f) is not None))
           for expr in exprs for f in expr.atoms(sp.Function)):
        # (a value with an exact kernel bound by lowering() — the Gaussian rational_log_sum, exact_rational —
        # keeps it: the torch forms of _torch_form are for derivatives, whose terms are few and bounded)
        return None
    return Fused.build(tuple(exprs), tuple(syms))


def _fused(expr, syms):
    op = _fusable((expr,), syms)
    if op is None:
        return None

    def f(*xs):
        return op(*xs)

    f.op = op
    return f


__all__ = ["Fused", "fused", "fused_entries", "generate", "run", "torch_names", "BLOCK"]
