r"""x log(x/y) − x + y and log(a/b) − (a − b)/b for torch: the window method of :mod:`.near_kl` (the numpy
kernels' Chebyshev-economised series d·s − 2x·s³·R(s²) on 1/5 ≤ y/x ≤ 5, the same two polynomials, the
outer band with the rounding errors of y − x and y + x put back, and — where x + y overflows (σ ≈ DBL_MAX)
— s and the outer band from the halved inputs) in torch operations of its own (numpy's module is tuned for
numpy and its private names are its own business; tests/test_torch_near_kl.py holds the two to the same
values and to mpmath). Where x + y is finite (every realistic block) :func:`_both_forms` evaluates the
outer polynomial and the far form on the whole block and joins them by an exact 0/1-mask select —
``nonzero``, gathers and ``where`` cost as much as a logarithm each on the CPU; elsewhere :func:`window`
takes its bands by index. The careful shared kernels (:mod:`.arrays`) take the elements that come out
non-finite (x = 0, infinities). Values within the numpy kernels' ULP bounds (tests/test_torch_log1pmx.py
against mpmath; tests/test_numeric_torch.py against numpy and the exact value on the verifier's inputs).
"""

from __future__ import annotations

import functools

# R(z) = Σ zⁿ/(2n + 3) on [0, 1/9] and on [0, 4/9], highest power first: the Chebyshev fits of
# :mod:`.near_kl` (mpmath.chebyfit at 60 digits, relative error below 2^−57.9), doubled (exact): the tail is
# 2x·s³·R(s²)
_R_INNER = tuple(2 * c for c in (
    0.07815288900461424, 0.03746071897775384, 0.05422589197440007, 0.05867139530651599,
    0.06667589315724629, 0.07692271982430275, 0.09090909948981357, 0.11111111099118386,
    0.1428571428580005, 0.19999999999999762, 0.3333333333333333))
_R_OUTER = tuple(2 * c for c in (
    4.306210039411948, -14.664237566984744, 24.11076069323323, -24.582600491326573,
    17.436097719160202, -8.955383922823435, 3.526245866994221, -1.0009507720640074,
    0.2779986738971196, 0.0013320131993982362, 0.053356852467608434, 0.0520373460632605,
    0.05886954333075943, 0.06666407036427749, 0.07692317973889416, 0.09090908820547107,
    0.11111111115444725, 0.14285714285677628, 0.20000000000000123, 0.3333333333333333))
_Z_INNER = 1.0 / 9.0
_Z_EDGE = 0.445  # the window's edge s = ±⅔ is s² = 4/9 up to rounding
_NORMAL_LO, _NORMAL_HI = 3.307553003638408e-308, 3.0233831442760750e307


def _flat(*args):
    import torch

    xs = torch.broadcast_tensors(*(torch.as_tensor(a, dtype=torch.float64) for a in args))
    return xs[0].shape, [x.reshape(-1) for x in xs]


def _finite_sum(t) -> bool:
    return t.device.type == "meta" or bool(t.sum().isfinite())


def log_ratio(x, y):
    """log(x/y), and log x − log y where x/y is subnormal, 0 or inf (|log r| ≥ 708 there: no cancellation)."""
    import torch

    r = x / y
    lr = torch.log(r)
    if lr.device.type == "meta" or bool((lr.abs() < 708.0).all()):  # |log r| ≥ 708 exactly where r is
        return lr                                                    # subnormal, 0 or inf
    idx = ((r < _NORMAL_LO) | (r > _NORMAL_HI)).nonzero().reshape(-1)
    lr[idx] = torch.log(x[idx]) - torch.log(y[idx])
    return lr


def _tail(x, s, z, coeffs):
    """2x·s³·R(s²) (the coefficients come doubled), in place on one temporary."""
    acc = z * coeffs[0]
    acc += coeffs[1]
    for c in coeffs[2:]:
        acc *= z
        acc += c
    acc *= z
    acc *= s
    acc *= x
    return acc


def _ratio(x, y, d):
    """s = d/(x + y), from the halved inputs where x + y overflows (s = 0 there would pass for y = x and
    send a near pair to the far form, which cancels: the normal KL at σ₁ = DBL_MAX, σ₂ one ulp below)."""
    import torch

    S = x + y
    s = d / S
    if not _finite_sum(S):
        i = (~torch.isfinite(S) & torch.isfinite(x) & torch.isfinite(y)).nonzero().reshape(-1)
        s[i] = (d[i] * 0.5) / (x[i] * 0.5 + y[i] * 0.5)
    return s


def _outer(x, y, d):
    """The outer band with the rounding errors of y − x and y + x put back (TwoSum); where x + y overflows
    the inputs are halved and the value doubled (exact at that scale)."""
    import torch

    S = x + y
    if not _finite_sum(S):
        h = ~torch.isfinite(S) & torch.isfinite(x) & torch.isfinite(y)
        if bool(h.any()):
            half = torch.where(h, 0.5, 1.0)
            out = _outer_core(x * half, y * half, d * half)
            return out * torch.where(h, 2.0, 1.0)
    return _outer_core(x, y, d)


def _outer_core(x, y, d):
    h = y - x
    bb = h - y
    l = (y - (h - bb)) + (-x - bb)
    l *= h == d  # the given d is not y − x: it is the caller's own (more accurate) difference
    S = x + y
    bb = S - x
    e = (x - (S - bb)) + (y - bb)
    t = d / S
    s = t + (l - t * e) / S
    z = s * s
    out = d * s
    out += l * s
    out -= _tail(x, s, z, _R_OUTER)
    return out


def _series(x, y, d, s, z):
    out = d * s
    out -= _tail(x, s, z, _R_INNER)
    outer = (z > _Z_INNER) & (z < _Z_EDGE)
    if out.device.type == "meta" or bool(outer.any()):
        idx = outer.nonzero().reshape(-1)
        out[idx] = _outer(x[idx], y[idx], d[idx])
    return out


def window(x, y, d, far, near_post=None, mask=False):
    """x log(x/y) − x + y (d = y − x) on the window 1/5 ≤ y/x ≤ 5 — then ``near_post(value, x)`` — and
    ``far(x, y, d)`` elsewhere, for flat tensors of one length (as :func:`.near_kl.window`); with ``mask``
    also the window's elements (a boolean tensor)."""
    s = _ratio(x, y, d)
    z = s * s
    near = z < _Z_EDGE
    count = int(near.sum()) if near.device.type != "meta" else near.numel()
    if 2 * count > z.numel():
        out = _series(x, y, d, s, z)
        if near_post is not None:
            out = near_post(out, x)
        if count < z.numel():
            idx = (~near).nonzero().reshape(-1)
            out[idx] = far(x[idx], y[idx], d[idx])
    else:
        out = far(x, y, d)
        if count:
            inside = near.nonzero().reshape(-1)
            xi = x[inside]
            v = _series(xi, y[inside], d[inside], s[inside], z[inside])
            out[inside] = v if near_post is None else near_post(v, xi)
    return (out, near) if mask else out


def near_inner(x, y, d, out):
    """out = x log(x/y) − x + y by the inner polynomial where ½ ≤ y/x ≤ 2 (s² ≤ 1/9, d = y − x exact
    there) and x + y is finite, in place on flat tensors; returns that mask (the categorical KL's split).
    The polynomial runs on the whole block: cheaper than gathering a third of the elements by index
    (``nonzero`` alone costs as much as the series)."""
    import torch

    S = x + y
    s = d / S
    z = s * s
    v = (d * s).sub_(_tail(x, s, z, _R_INNER))
    near = z <= _Z_INNER
    if not _finite_sum(S):
        near &= torch.isfinite(S)
    # out = near ? v : out without torch.where (not vectorised on the CPU: a third of the kernel's time):
    # out is finite where near (x, y > 0 within a factor 2), v is made finite where it is not used
    out.mul_(~near)
    out.add_(v.nan_to_num_(nan=0.0, posinf=0.0, neginf=0.0).mul_(near))
    return near


def _fix(out, careful, *args):
    """The careful kernel where the fast one gave a non-finite value (x = 0, y = ∞, NaN inputs)."""
    import torch

    if _finite_sum(out):
        return out
    bad = (~torch.isfinite(out)).nonzero().reshape(-1)
    out[bad] = careful(*(a[bad] for a in args))
    return out


def kl_div(careful):
    def kl_div(x, y, d):
        """x log(x/y) − x + y: :func:`_both_forms` where x + y is finite, else :func:`window`; the careful
        kernel takes what comes out non-finite (x = 0, y = ∞, NaN)."""
        shape, (x, y, d) = _flat(x, y, d)
        S = x + y
        if x.device.type != "meta" and x.numel() and _finite_sum(S):
            out = _both_forms(y, x, d, S, kl=True)
        else:
            out = window(x, y, d, lambda x_, y_, d_: x_ * log_ratio(x_, y_) + d_)
        return _fix(out, careful, x, y, d).reshape(shape)

    return kl_div


def log1pmx_ratio(careful):
    def log1pmx_ratio(a, b, d, u=None):
        """log(a/b) − (a − b)/b: :func:`_both_forms` where a + b is finite (every realistic block), else
        −kl_div(b, a)/b inside the window and log(a/b) − d/b outside (:func:`_general`); the careful kernel
        takes what comes out NaN."""
        import torch

        shape, (a, b, d) = _flat(a, b, d)
        S = a + b
        if a.device.type != "meta" and a.numel() and _finite_sum(S):
            out = _both_forms(a, b, d, S)
            if _finite_sum(out):
                return out.reshape(shape)
            bad = (~torch.isfinite(out)).nonzero().reshape(-1)  # ±inf, NaN: by the general path
            out[bad] = _general(careful, a[bad], b[bad], d[bad])
            return out.reshape(shape)
        return _general(careful, a, b, d).reshape(shape)

    return log1pmx_ratio


def _both_forms(a, b, d, S, kl=False):
    """log(a/b) − (a − b)/b on flat tensors with S = a + b finite, every element by both forms and the one of its
    side of the window taken by an exact arithmetic select (``where`` and ``nonzero`` each cost as much as a
    logarithm on the CPU; the three-band window of :func:`window` paid two ``nonzero`` and their gathers a
    block, over half the normal KL's training step): inside 1/5 < a/b < 5 −(ū·s − 2s³R(s²)) with the outer
    band's polynomial (its fit covers the whole window, s² ≤ 4/9), s = (a − b)/(a + b) corrected by the
    TwoSum errors of a + b and of a − b (where d is a − b rounded), ū = (d + c)/b likewise.
    Scale-free — no b·u² that underflows at tiny scales (the numpy kernel rescales such b, 842b078) — and
    both forms finite wherever u is (s, s² < 1), so the select never meets inf·0; outside log(a/b) − u.
    With ``kl``: kl_div(b, a) = b log(b/a) − b + a (d = a − b), inside (d + c)·s − b·2s³R(s²), outside
    b log(b/a) + d, the forms of :func:`window`."""
    import torch

    # TwoSum, each step one pass into a temporary of its own (out=, no negations)
    bb = S - a
    e = torch.sub(S, bb)
    e = torch.sub(a, e, out=e).add_(torch.sub(b, bb, out=bb))  # a + b = S + e exactly
    h = a - b
    torch.sub(h, a, out=bb)
    c = torch.sub(h, bb)
    c = torch.sub(a, c, out=c).sub_(bb.add_(b))  # a − b = h + c exactly
    # a given d other than h is the caller's own difference of the exact quantities a and b are roundings of
    # (p − q for (1 − q) − (1 − p)): taken as it is, as in :func:`_outer_core`
    c.mul_(torch.eq(h, d, out=h))
    t = d / S
    s = torch.addcmul(c, t, e, value=-1.0).div_(S).add_(t)  # (d + c)/(a + b) to first order in e, c
    z = s * s
    m = torch.lt(z, _Z_EDGE, out=torch.empty_like(z))  # 1.0 inside the window, else 0.0
    acc = torch.full_like(z, _R_OUTER[0])
    for coef in _coefficients(z.device)[1:]:  # Horner, one addcmul a step
        acc = torch.addcmul(coef, acc, z, out=acc)
    acc.mul_(z).mul_(s)  # 2s³R(s²) (the coefficients come doubled)
    if kl:
        inside = torch.mul(d, s).addcmul_(c, s).addcmul_(b, acc, value=-1.0)
        far = torch.div(b, a).log_()
        lo, hi = torch.aminmax(far)
        if not bool((lo > -708.0) & (hi < 708.0)):
            far = log_ratio(b, a)
        far.mul_(b).add_(d)
        return far.addcmul_(far, m, value=-1.0).addcmul_(inside, m)
    u = d / b
    inside = c.div_(b).add_(u).mul_(s).sub_(acc)  # ū·s − 2s³R(s²) = kl_div(b, a)/b
    far = torch.div(a, b).log_()  # log(a/b), not log1p(u): u's rounding is 1/ρ times larger in 1 + u
    lo, hi = torch.aminmax(far)
    if not bool((lo > -708.0) & (hi < 708.0)):  # a/b subnormal, 0 or ∞ somewhere: log a − log b there
        far = log_ratio(a, b)
    far.sub_(u)
    return far.addcmul_(far, m, value=-1.0).addcmul_(inside, m, value=-1.0)


@functools.lru_cache(maxsize=None)
def _coefficients(device):
    """_R_OUTER as 0-d float64 tensors on ``device`` (made once: a tensor a coefficient a block cost a tenth
    of the polynomial)."""
    import torch

    return tuple(torch.tensor(c, dtype=torch.float64, device=device) for c in _R_OUTER)


def _general(careful, a, b, d):
    """The window of :func:`window` (the numpy kernel's bands and forms) on flat tensors, with b below 2^−800
    first scaled by 2^600 (exact, the value is scale-free) where the series' b·u²/2 would underflow."""
    import torch

    tiny = (b.abs() < _TINY_B) & (a.abs() < _A_CAP)
    if b.device.type != "meta" and bool(tiny.any()):
        scale = torch.ones_like(b).masked_fill_(tiny, _UP)
        a, b, d = a * scale, b * scale, d * scale
    out = window(b, a, d, lambda b_, a_, d_: log_ratio(a_, b_) - d_ / b_, lambda v, b_: -(v / b_))
    if out.device.type != "meta" and not bool((out == out).all()):  # NaN only: ±inf are the values
        bad = (out != out).nonzero().reshape(-1)                     # at a or b = 0, ∞
        out[bad] = careful(a[bad], b[bad], d[bad])
    return out


# as fast.log1pmx_ratio: kl_div(b, a) ≈ b·u²/2 underflows for b below ~2^−916; |a| < 2^400 keeps a, d finite
_TINY_B, _A_CAP, _UP = 2.0 ** -800, 2.0 ** 400, 2.0 ** 600


__all__ = ["kl_div", "log1pmx_ratio", "log_ratio", "window"]
