r"""x log(x/y) − x + y and log(a/b) − (a − b)/b for torch: the window method of :mod:`.near_kl` (the numpy
kernels' Chebyshev-economised series d·s − 2x·s³·R(s²) on 1/5 ≤ y/x ≤ 5, its polynomial and outer-band
arithmetic shared — they are plain arithmetic on arrays), with torch's indexing in place of numpy's: the
series on the whole block where most elements are inside the window (realistic probabilities and scales),
the far form log(x/y) on the others by index. The careful shared kernels (:mod:`.arrays`) take the
elements that come out non-finite (x = 0, infinities). Values within the numpy kernels' ULP bounds
(tests/test_numeric_torch.py against numpy and the exact value on the verifier's inputs).
"""

from __future__ import annotations

from symce.numeric.impl import near_kl as _nk

_NORMAL_LO, _NORMAL_HI = 3.307553003638408e-308, 3.0233831442760750e307


def _flat(*args):
    import torch

    xs = torch.broadcast_tensors(*(torch.as_tensor(a, dtype=torch.float64) for a in args))
    return xs[0].shape, [x.reshape(-1) for x in xs]


def log_ratio(x, y):
    """log(x/y), and log x − log y where x/y is subnormal, 0 or inf (|log r| ≥ 708 there: no cancellation)."""
    import torch

    r = x / y
    lr = torch.log(r)
    if bool((lr.abs() < 708.0).all()):  # |log r| ≥ 708 exactly where r is subnormal, 0 or inf
        return lr
    idx = ((r < _NORMAL_LO) | (r > _NORMAL_HI)).nonzero().reshape(-1)
    lr[idx] = torch.log(x[idx]) - torch.log(y[idx])
    return lr


def _series(x, y, d, s, z):
    out = d * s - _nk._tail(x, s, z, _nk._R_INNER)
    outer = (z > _nk._Z_INNER) & (z < _nk._Z_EDGE)
    if bool(outer.any()):
        idx = outer.nonzero().reshape(-1)
        out[idx] = _nk._outer(x[idx], y[idx], d[idx])
    return out


def window(x, y, d, far, near_post=None):
    """x log(x/y) − x + y (d = y − x) on the window 1/5 ≤ y/x ≤ 5 — then ``near_post(value, x)`` — and
    ``far(x, y, d)`` elsewhere, for flat tensors of one length (as :func:`.near_kl.window`)."""
    import torch

    S = x + y
    s = d / S
    z = s * s
    near = z < _nk._Z_EDGE
    if not bool(torch.isfinite(S.sum())):  # x + y overflows (s = 0 there): the far form decides
        near &= torch.isfinite(S)
    count = int(near.sum())
    if 2 * count > z.numel():
        out = _series(x, y, d, s, z)
        if near_post is not None:
            out = near_post(out, x)
        if count < z.numel():
            idx = (~near).nonzero().reshape(-1)
            out[idx] = far(x[idx], y[idx], d[idx])
        return out
    out = far(x, y, d)
    if count:
        inside = near.nonzero().reshape(-1)
        xi = x[inside]
        v = _series(xi, y[inside], d[inside], s[inside], z[inside])
        out[inside] = v if near_post is None else near_post(v, xi)
    return out


def _fix(out, careful, *args):
    """The careful kernel where the fast one gave a non-finite value (x = 0, y = ∞, NaN inputs)."""
    import torch

    if bool(torch.isfinite(out.sum())):
        return out
    bad = (~torch.isfinite(out)).nonzero().reshape(-1)
    out[bad] = careful(*(a[bad] for a in args))
    return out


def kl_div(careful):
    def kl_div(x, y, d):
        shape, (x, y, d) = _flat(x, y, d)
        out = window(x, y, d, lambda x_, y_, d_: x_ * log_ratio(x_, y_) + d_)
        return _fix(out, careful, x, y, d).reshape(shape)

    return kl_div


def log1pmx_ratio(careful):
    def log1pmx_ratio(a, b, d, u=None):
        """log(a/b) − (a − b)/b = −kl_div(b, a)/b inside the window, log(a/b) − d/b outside."""
        shape, (a, b, d) = _flat(a, b, d)
        out = window(b, a, d, lambda b_, a_, d_: log_ratio(a_, b_) - d_ / b_, lambda v, b_: -(v / b_))
        if not bool((out == out).all()):  # NaN only: ±inf are the values at a or b = 0, ∞
            bad = (out != out).nonzero().reshape(-1)
            out[bad] = careful(a[bad], b[bad], d[bad])
        return out.reshape(shape)

    return log1pmx_ratio


__all__ = ["kl_div", "log1pmx_ratio", "log_ratio", "window"]
