r"""k-class losses on (…, k) tensors as one torch operation: the softmax cross-entropy
Σᵢ tᵢ (logsumexp z − zᵢ) and the categorical KL Σᵢ xᵢ log(xᵢ/yᵢ), forward and backward over the classes'
trailing axis.

Why: the generated function of a k-class loss takes each class as its own argument; fed an (n, k) tensor,
the signature layer (:mod:`symce.numeric.signature`) would hand torch 2k column views — 2k select nodes in
the autograd graph, and a backward that computes each class's partial derivative as its own expression
(k softmaxes where one serves). Here the whole tensor goes in (the signature layer's ``on_groups`` hook) and
the backward is the stabilised symbolic derivative of the node, written over the axis:

* ∂/∂zⱼ Σ tᵢ(lse z − zᵢ) = softmax(z)ⱼ·Σtᵢ − tⱼ, ∂/∂tⱼ = lse z − zⱼ (the gap, ≥ 0);
* ∂/∂yⱼ Σ xᵢ log(xᵢ/yᵢ) = −xⱼ/yⱼ, ∂/∂xⱼ = log(xⱼ/yⱼ) + 1.

Accuracy is the shared array kernels' (:mod:`.arrays.softmax`, :mod:`.arrays.elementwise`): e^{z − m} with the
rounding error of z − m put back (TwoSum), the maximum's own e⁰ = 1 left out of the sum so log1p sees the
remainder exactly, compensated sums over the classes, and x log(x/y) − x + y ≥ 0 by the inner series of
:mod:`.torch_near_kl` where y/x is within a factor 2 (its exact y − x summed apart), so that a KL near
P = Q keeps its digits. Rows whose value comes out non-finite (logits near ±DBL_MAX, zeros, NaN) are
recomputed by the careful shared kernels.

The partial derivatives are computed in the forward pass where inputs need them (a training step: the
value's intermediate results are shared), and backward multiplies by the incoming gradient. With
``create_graph`` the backward is recorded from torch's own differentiable operations on the same formulas
(a second derivative of a softmax has no kink to protect).
"""

from __future__ import annotations

import functools

import sympy as sp

#: the k-class nodes with a kernel here (the stable function's class name → the kind of loss)
KINDS = ("softmax_xent", "rel_entr_sum")
_NORMAL_LO, _NORMAL_HI = 2.2250738585072014e-308, 1.7976931348623157e308


def _sum(parts):
    """Σ over the last axis of ``parts`` (rows, m), compensated: the columns added pairwise, a level at a time
    (one operation over half the columns per step, not one per column), each addition's rounding error taken
    exactly (TwoSum, branch-free) and the errors summed apart — a KL's terms cancel near P = Q. The result
    is within about one rounding of the exact sum plus O(log m·u²·Σ|parts|)."""
    import torch

    s, c = parts, None
    while s.shape[-1] > 1:
        h = s.shape[-1] // 2
        a, b = s[:, :h], s[:, h:2 * h]
        t = a + b
        bp = t - a
        e = torch.sub(t, bp).neg_().add_(a)  # a − (t − bp)
        e += bp.neg_().add_(b)  # + (b − bp)
        e = e.sum(-1)
        c = e if c is None else c.add_(e)
        s = t if s.shape[-1] == 2 * h else torch.cat((t, s[:, 2 * h:]), -1)
    return s[:, 0] if c is None else s[:, 0] + c


def _careful(kind, a, b, out):
    """The shared careful kernel on the rows where ``out`` is not finite (in place)."""
    import torch

    from symce.numeric.impl import impls

    if bool(torch.isfinite(out.sum())):
        return out
    bad = ~torch.isfinite(out)
    ab, bb = a[bad], b[bad]
    k = a.shape[-1]
    out[bad] = impls("torch")[kind](*[ab[:, j] for j in range(k)], *[bb[:, j] for j in range(k)])
    return out


def softmax_xent(t, z, need_t, need_z):
    """Σ tᵢ(lse z − zᵢ) over the last axis, and the partials ∂/∂t (the gaps), ∂/∂z (softmax·Σt − t)."""
    import torch

    mx, am = z.max(-1, keepdim=True)
    d = z - mx  # ≤ 0; its rounding error put back below (16 ULP of e^d at a gap of 37 otherwise)
    bb = d - z
    err = (z - (d - bb)) - (mx + bb)
    e = torch.exp(d)
    err.mul_(e)
    err.nan_to_num_(nan=0.0)  # z = ±∞: no correction (the careful kernel takes those rows)
    e += err
    e.scatter_(-1, am, 0.0)  # the maximum's own e⁰ = 1 out of the sum: log1p sees the remainder exactly
    rest = e.sum(-1, keepdim=True)
    gap = torch.neg(d).add_(torch.log1p(rest))  # (m − zᵢ) + log1p(rest) ≥ 0
    out = _sum(t * gap)
    out = _careful("softmax_xent", t, z, out)
    gz = None
    if need_z:
        e.scatter_(-1, am, 1.0)
        # softmax·Σt − t with softmax = e/(1 + rest)
        gz = e.mul_(t.sum(-1, keepdim=True) / (1.0 + rest)).sub_(t)
    return out, (gap if need_t else None), gz


def rel_entr_sum(x, y, need_x, need_y):
    """Σ xᵢ log(xᵢ/yᵢ) over the last axis, and the partials ∂/∂x = log(x/y) + 1, ∂/∂y = −x/y — in two
    tiers, as the numpy kernel (:func:`.fast._rel_entr_sum`):

    1. the terms tᵢ = xᵢ log(xᵢ/yᵢ) directly (one ``xlogy`` pass: 0 for x = 0) and their compensated sum S.
       Each term is off by ≤ u(xᵢ + 3|tᵢ|) (the rounding of x/y moves the log by u; the log and the product
       round), so S by ≤ u(Σx + 3Σ|t| + |S|): a row is kept where Σx + 3Σ|t| ≤ 8|S| (nine in ten
       realistic simplex rows);
    2. the other rows (a KL near P = Q, whose terms cancel): where ½ ≤ y/x ≤ 2 (y − x exact, Sterbenz) a
       term is split as (x log(x/y) − x + y) − (y − x), the first ≥ 0 by the inner series of
       :mod:`.torch_near_kl` and the second exact, so the compensated sum keeps the KL's digits."""
    import torch

    from symce.numeric.impl.torch_kernels import log_ratio as log_ratio_d

    r = x / y
    lo, hi = torch.aminmax(r)
    if lo < _NORMAL_LO or hi > _NORMAL_HI:  # x/y subnormal, 0 or ∞: log x − log y (no cancellation there)
        lr = torch.where((r < _NORMAL_LO) | (r > _NORMAL_HI), torch.log(x) - torch.log(y), torch.log(r))
        v = torch.where(x == 0, 0.0, lr * x)
    else:
        v = torch.xlogy(x, r)  # x log(x/y), 0 where x = 0, one pass
    out = _sum(v)
    bound = torch.abs(v).sum(-1).mul_(3.0).add_(x.sum(-1))
    lossy = bound > torch.abs(out).mul_(8.0)
    if bool(lossy.any()):
        rows = lossy.nonzero().reshape(-1)
        out[rows] = _split_sum(x[rows], y[rows], v[rows])
    out = _careful("rel_entr_sum", x, y, out)
    gx = log_ratio_d(x, y, x - y).add_(1.0) if need_x else None
    gy = r.neg_() if need_y else None  # −x/y
    return out, gx, gy


def _split_sum(x, y, v):
    """Tier 2 of :func:`rel_entr_sum` on rows (m, k): v (the direct terms, a fresh copy) is overwritten by
    x log(x/y) − x + y where ½ ≤ y/x ≤ 2, whose y − x are then summed with it."""
    import torch

    from symce.numeric.impl.torch_near_kl import near_inner

    d = y - x
    near = near_inner(x.reshape(-1), y.reshape(-1), d.reshape(-1), v.view(-1)).view(x.shape)
    return _sum(torch.cat([v, torch.neg(d).mul_(near)], -1))


def _recorded(kind, a, b):
    """The partials as differentiable torch operations (create_graph: a second derivative)."""
    import torch

    if kind == "softmax_xent":
        lse = torch.logsumexp(b, -1, keepdim=True)
        return lse - b, torch.softmax(b, -1) * a.sum(-1, keepdim=True) - a
    return torch.log(a / b) + 1.0, -a / b


#: rows per block: 2¹³ rows of k = 10 float64 (640 KiB a temporary) keep the kernels' temporaries in the L2
#: cache; a fresh 80 MB temporary per operation costs more in page faults than the arithmetic
ROWS = 1 << 13


def blocked(kernel, a, b, need_a, need_b):
    """kernel over blocks of rows of the (…, k) tensors a, b (one shape): the value (…) and the partials
    (…, k) where needed."""
    import torch

    shape, k = a.shape, a.shape[-1]
    a2, b2 = a.reshape(-1, k), b.reshape(-1, k)
    n = a2.shape[0]
    if n <= 2 * ROWS:
        out, ga, gb = kernel(a2, b2, need_a, need_b)
    else:
        out = torch.empty(n, dtype=a.dtype, device=a.device)
        ga = torch.empty(n, k, dtype=a.dtype, device=a.device) if need_a else None
        gb = torch.empty(n, k, dtype=a.dtype, device=a.device) if need_b else None
        for i in range(0, n, ROWS):
            o, pa, pb = kernel(a2[i:i + ROWS], b2[i:i + ROWS], need_a, need_b)
            out[i:i + ROWS] = o
            if need_a:
                ga[i:i + ROWS] = pa
            if need_b:
                gb[i:i + ROWS] = pb
    return (out.reshape(shape[:-1]), None if ga is None else ga.reshape(shape),
            None if gb is None else gb.reshape(shape))


@functools.lru_cache(maxsize=None)
def _function():
    import torch

    class KClassOp(torch.autograd.Function):
        """forward: the loss over the last axis (and the partials it shares work with); backward: g·partials."""

        @staticmethod
        def forward(ctx, kind, a, b):
            need_a, need_b = ctx.needs_input_grad[1], ctx.needs_input_grad[2]
            kernel = softmax_xent if kind == "softmax_xent" else rel_entr_sum
            out, ga, gb = blocked(kernel, a, b, need_a, need_b)
            ctx.kind, ctx.partials = kind, (ga, gb)
            ctx.save_for_backward(a, b)
            return out

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            if torch.is_grad_enabled():  # create_graph: the partials recorded as operations
                ga, gb = _recorded(ctx.kind, a, b)
            else:
                ga, gb = ctx.partials
            if g.dim() and all(st == 0 for st in g.stride()):  # the mean's or sum's gradient: one number
                g = g.as_strided((), ())
            else:
                g = g.unsqueeze(-1)
            return (None, None if ga is None or not ctx.needs_input_grad[1] else ga * g,
                    None if gb is None or not ctx.needs_input_grad[2] else gb * g)

    return KClassOp


def grouped(expr, syms):
    """The ``on_groups`` hook of the generated torch function of ``expr`` (a single k-class node of the
    flat arguments ``syms``), or None: hook(groups, xs) evaluates the node on the groups' (…, k) tensors
    when node argument i and k + i are column c of the two groups for every class (their sum runs over the
    whole axis), and answers NotImplemented otherwise (the per-symbol path then)."""
    if type(expr).__name__ not in KINDS or len(expr.args) % 2:
        return None
    if not all(isinstance(a, sp.Symbol) for a in expr.args):
        return None
    kind, k = type(expr).__name__, len(expr.args) // 2

    @functools.lru_cache(maxsize=8)
    def layout(groups):
        where = {s: (gi, idx) for gi, g in enumerate(groups) for idx, s in g.slots}
        if len(groups) != 2 or any(g.shape != (k,) or len(g.slots) != k for g in groups):
            return None
        cells = [where.get(s) for s in expr.args]
        if any(c is None for c in cells):
            return None
        ga, gb = {c[0] for c in cells[:k]}, {c[0] for c in cells[k:]}
        if len(ga) != 1 or len(gb) != 1 or ga == gb:
            return None
        if any(cells[i][1] != cells[k + i][1] for i in range(k)):
            return None
        return ga.pop(), gb.pop()

    def hook(groups, xs):
        import torch

        got = layout(tuple(groups))
        if got is None or not all(isinstance(x, torch.Tensor) and x.is_floating_point() for x in xs):
            return NotImplemented
        a, b = xs[got[0]], xs[got[1]]
        if a.dim() == 0 or b.dim() == 0 or a.shape[-1] != k or b.shape[-1] != k or a.device != b.device:
            return NotImplemented
        kind_out = torch.promote_types(a.dtype, b.dtype)
        # float32 in: computed in float64 (the kernels' thresholds are float64's), rounded once
        a, b = torch.broadcast_tensors(a.to(torch.float64), b.to(torch.float64))
        out = _function().apply(kind, a, b)
        return out if kind_out == torch.float64 else out.to(kind_out)

    return hook


__all__ = ["grouped", "softmax_xent", "rel_entr_sum", "KINDS"]
