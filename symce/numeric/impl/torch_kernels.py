r"""Torch-only kernels of the stable functions, in place of the shared array code (:mod:`.arrays`) where a
shorter sequence of torch operations is as accurate: fewer passes over the data, torch's own fused kernels
(``xlogy``, ``xlog1py``, ``sigmoid``) where they are accurate, no host synchronisation (``.item()``,
``.any()``) and no numpy — device and dtype follow the input (float64 in the generated code).

* σ(x): ``torch.sigmoid`` is 1/(1 + e^{−x}), within 2 ULP while e^{−x} is finite; below x = −709.78 it
  returns 0 where σ(x) = e^x(1 − e^x + …) is e^x to the last bit, so the larger of the two is taken
  (e^{min(x, −700)} ≤ σ(x) up to rounding wherever x ≥ −700).
* softplus(±y) = max(±y, 0) + log1p(e^{−|y|}), the transcendental part shared between y and −y (as the
  numpy code generator does, :mod:`.softplus_parts`).
* diff_ratio(a, b, s) = (a − b)/s, halved and doubled where a − b overflows.
* log x + c near its root as log1p of the exact relative difference, elsewhere log x + c.
* a log ratio c·(log A − log B) with the difference A − B from the inputs (the logit of a probability,
  the Bernoulli KL's ∂/∂p): log1p((A − B)/B) near A = B, log(A/B) elsewhere.
"""

from __future__ import annotations

import functools
import math

_BIG = 8.98846567431158e307  # 2^1023: a − b may overflow from here


def sigmoid(x):
    import torch

    x = torch.as_tensor(x, dtype=torch.float64)
    return torch.maximum(torch.sigmoid(x), torch.exp(torch.clamp(x, max=-700.0)))


def softplus_core(y):
    """log1p(e^{−|y|}), the same for y and −y."""
    import torch

    return _core(torch.as_tensor(y, dtype=torch.float64))


def softplus_pos(y, core):
    return y.clamp_min(0.0) + core if hasattr(y, "clamp_min") else max(y, 0.0) + core


def softplus_neg(y, core):
    return core - y.clamp_max(0.0) if hasattr(y, "clamp_max") else core - min(y, 0.0)


def softplus(x):
    import torch

    x = torch.as_tensor(x, dtype=torch.float64)
    return x.clamp_min(0.0) + _core(x)


def _core(y):
    """log1p(e^{−|y|}) in one pass (torch's softplus below its threshold is log1p(exp(x)))."""
    import torch

    return torch.nn.functional.softplus(-torch.abs(y))


def exp_neg_abs(y):
    import torch

    return torch.abs(torch.as_tensor(y, dtype=torch.float64)).neg_().exp_()  # one temporary, in place


def sign(y):
    import torch

    return torch.sign(torch.as_tensor(y, dtype=torch.float64))


def _in_place(base, *others) -> bool:
    """Whether temporaries shaped like the tensor ``base`` can take the others in place (their broadcast
    shape is base's)."""
    import torch

    if not isinstance(base, torch.Tensor):
        return False
    shapes = [o.shape for o in others if isinstance(o, torch.Tensor)]
    return torch.broadcast_shapes(base.shape, *shapes) == base.shape


def step_sub(sg, b):
    """H(y) − b with H(y) = (1 + sign y)/2 (0, ½ or 1, exact) and one rounding of the difference: the weight
    of the value's and of the gradient's pair forms, shared by both in a training step. sign and scalar
    arithmetic are single cheap passes, where ``heaviside``/``where`` are not vectorised."""
    import torch

    if not _in_place(sg, b):
        return (sg + 1) * 0.5 - b
    return torch.add(sg, 1.0).mul_(0.5).sub_(b)  # one temporary, in place


def softplus_mix(y, w, e):
    """(1 − b)·softplus(y) + b·softplus(−y) = log1p(e) + w·y with e = e^{−|y|} and w = H(y) − b (1 − b for
    y > 0, −b for y < 0, rounded once as in the pair; at y = 0 the product is 0 whatever w): two terms of
    one sign, nothing cancels."""
    import torch

    if not _in_place(e, w, y):
        return torch.log1p(torch.as_tensor(e)) + w * y
    # in place on the log1p's fresh temporary (the generated code's tensors are shared: never modified)
    return torch.log1p(e).addcmul_(w, y)


def sigmoid_shift(w, e, sg):
    """σ(y) + b = (H(y) + b) − (2H(y) − 1)·σ(−|y|) with w = H(y) + b and σ(−|y|) = e/(1 + e), e = e^{−|y|}
    ≤ 1 (no overflow, right to the last subnormal); at y = 0 both halves give ½ + b (sign 0, w = ½ + b)."""
    import torch

    if not _in_place(e, w, sg):
        return w - sg * (e / (1 + e))
    q = torch.add(e, 1.0)
    q = torch.div(e, q, out=q)  # σ(−|y|)
    return torch.addcmul(w, sg, q, value=-1.0)


def _x_times(x, y, logf):
    """x·logf(y), 0 where x = 0 and y is not NaN (0·log 0 = 0): one log pass and one product; the fix-up
    (a ``where``, slow on the CPU) only where a sum says something is not finite."""
    import torch

    x, y = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    out = x * logf(y)
    if out.device.type != "meta" and bool(torch.isfinite(out.sum())):
        return out
    return torch.where((x == 0) & ~torch.isnan(y), 0.0, out)


def xlogy(x, y):
    import torch

    return _x_times(x, y, torch.log)


def xlog1py(x, y):
    import torch

    return _x_times(x, y, torch.log1p)


def diff_ratio(a, b, s):
    import torch

    a, b, s = (torch.as_tensor(v, dtype=torch.float64) for v in (a, b, s))
    d = a - b
    if d.device.type != "meta" and bool(torch.isfinite(d.sum())):  # one reduction decides: no overflow
        return d.div_(s) if d.shape == torch.broadcast_shapes(d.shape, s.shape) else d / s
    # |a|, |b| ≥ 2^1023 (a − b = ±∞ for finite inputs): exact halving, quotient, doubling
    over = torch.isinf(d) & (torch.abs(a) < float("inf")) & (torch.abs(b) < float("inf"))
    return torch.where(over, ((a * 0.5 - b * 0.5) / s) * 2, d / s)


def log_offset(x, c_hi, c_lo, x0_hi, x0_lo):
    """log x + c; for x within a factor 8 of x0 = e^{−c}: log1p(((x − x0_hi) − x0_lo)/x0_hi)."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float64)
    t = torch.sub(x, x0_hi).sub_(x0_lo).div_(x0_hi)  # one temporary, in place
    # t = (x − x0)/x0 to within 2^−53 relative (x − x0_hi exact by Sterbenz); log1p(t) stays within ~1 ulp
    # for every x ≥ x0/8 where t is finite (above 2x0 t ≈ x/x0 and log1p(t) ≈ log x + c has no cancellation):
    # on realistic scales one form for the whole block, decided by one reduction over x (t is finite
    # where x is and x/x0 does not overflow; NaN fails both comparisons)
    if x.device.type != "meta" and x.numel():
        lo, hi = torch.aminmax(x) if x.dim() else (x, x)
        if bool(hi <= 8.98846567431158e307 * x0_hi):
            if bool(lo >= x0_hi * 0.125):
                return t.log1p_()
            # some x below x0/8 (probabilities near 0 against x0 = 1/e): both forms and an exact arithmetic
            # select by a 0/1 mask (``where`` and boolean masks cost as much as a logarithm on the CPU)
            m = torch.gt(x, x0_hi * 0.125, out=torch.empty_like(x))
            far = torch.log(x).add_(c_hi + c_lo)
            out = far.addcmul_(far, m, value=-1.0).addcmul_(t.log1p_(), m)
            if bool(out.sum().isfinite()):  # x = 0, ∞, NaN: 0·∞ in the select; the general form below
                return out
            t = torch.sub(x, x0_hi).sub_(x0_lo).div_(x0_hi)
    # below x0/8 log x + c has nothing left to cancel (and far above (x − x0)/x0 could overflow)
    near = (x > x0_hi * 0.125) & (x < x0_hi * 8)
    return torch.where(near, torch.log1p(t), torch.log(x) + (c_hi + c_lo))


def log_ratio(a, b, d):
    """log(a/b) for a, b > 0 with d = a − b from the inputs: sign(d)·log1p(|d|/min(a, b)) — log1p(d/b) for
    a ≥ b, −log1p(−d/a) for a < b — whose argument is ≥ 0, so nothing cancels and no ``where`` is needed;
    where |d|/min(a, b) overflows (a ratio beyond the float range), log a − log b."""
    import torch

    if (isinstance(b, (int, float)) and isinstance(a, torch.Tensor) and isinstance(d, torch.Tensor)
            and a.shape == d.shape):
        # a constant b (log(1 − p) = log((1 − p)/1) of the Bernoulli entropy's gradient): min(a, b) by one
        # clamp and the sign by copysign, in place — five passes, not seven (log1p(d) alone would do only
        # where d is exact: d = σ − 1 of a log σ is rounded, and log1p(d) then loses 1/(a·|log a|) ulps)
        a, d = a.to(torch.float64), d.to(torch.float64)
        m = torch.clamp_max(a, float(b))
        out = torch.div(d.abs(), m, out=m).log1p_().copysign_(d)
        if out.device.type == "meta" or bool(torch.isfinite(out.sum())):
            return out
        return torch.where(torch.isfinite(out), out, torch.log(a) - math.log(b))
    else:
        a, b, d = (torch.as_tensor(v, dtype=torch.float64) for v in (a, b, d))
        out = torch.sign(d) * torch.log1p(torch.abs(d) / torch.minimum(a, b))
    if out.device.type == "meta" or bool(torch.isfinite(out.sum())):
        return out
    return torch.where(torch.isfinite(out), out, torch.log(a) - torch.log(b))


def log1p(x):
    import torch

    return torch.log1p(torch.as_tensor(x, dtype=torch.float64))


def unbroadcast(g, shape):
    """g summed down to ``shape`` (the gradient of an input that was broadcast): shared by the fused
    operation (:mod:`.torch_fused`) and the per-node bridge (:mod:`.torch_bridge`)."""
    if g.shape == shape:
        return g
    lead = g.dim() - len(shape)
    if lead:
        g = g.sum(dim=tuple(range(lead)))
    dims = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(dim=dims, keepdim=True) if dims else g


@functools.lru_cache(maxsize=None)
def torch_kernels() -> dict:
    from symce.numeric.impl import torch_near_kl
    from symce.numeric.impl.arrays import careful_impls

    careful = careful_impls("torch")
    return {"sigmoid": sigmoid, "softplus": softplus, "_softplus_core": softplus_core,
            "_softplus_pos": softplus_pos, "_softplus_neg": softplus_neg, "xlogy": xlogy, "xlog1py": xlog1py,
            "_softplus_mix": softplus_mix, "_step_sub": step_sub, "_exp_neg_abs": exp_neg_abs, "_sign": sign, "_sigmoid_shift": sigmoid_shift, "diff_ratio": diff_ratio, "_log_offset": log_offset, "_log_ratio": log_ratio, "_log1p": log1p,
            "_log1pmx_ratio": torch_near_kl.log1pmx_ratio(careful["_log1pmx_ratio"]),
            "_kl_div": torch_near_kl.kl_div(careful["_kl_div"])}


__all__ = ["torch_kernels", "unbroadcast", "sigmoid", "softplus", "diff_ratio", "log_offset", "log_ratio"]
