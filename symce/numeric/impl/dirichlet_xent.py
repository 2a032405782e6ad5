r"""Kernels of :class:`symce.numeric.functions.dirichlet_xent.dirichlet_xent`:
L = log B(b) + Σᵢ wᵢ·Dᵢ, wᵢ = bᵢ − 1, Dᵢ = ψ(X) − ψ(xᵢ) = psi_diff(xᵢ, dᵢ), dᵢ = Σ_{j≠i} xⱼ.

* Dᵢ from the others' sum dᵢ and the half X/2 = Σ xⱼ/2, so an overflowed dᵢ is a finite X beyond DBL_MAX
  (impl/digamma_diff.psi_diff's ``half``); wᵢ·Dᵢ by weighted_psi_diff (w/x + w·r where D ≈ 1/x overflows);
* log B(b) as its Stirling parts (impl/log_beta.log_beta_parts), each ≤ S/e in size;
* the terms summed as they are; where that sum is not finite (log B ≈ −2.5e308 against w·D ≈ +6e308), summed
  again at the scale 2⁻⁶⁴ (every weight and part times 2⁻⁶⁴, exact) and scaled back: ±∞ where the value is
  beyond DBL_MAX, the value where only a partial sum overflowed. At that scale the negative terms are finite
  (w ≥ −1, D ≤ 1/x + 710 ≤ 2e323; |log B| ≤ K·DBL_MAX/e), so only +∞ can remain and the sum is never NaN;
* where those terms cancel (Σ|terms| large beside the sum: P ≈ Q with large parameters, log B ≈ −1000 against
  ψ terms ≈ +1000) Stirling's form (_stirling_form), whose terms are relative entropies of the shares and
  O(log) remainders, is taken wherever its own terms are smaller in sum (h′(X) − h′(xᵢ) counted as its two
  parts, which cancel for a tiny xᵢ whose others' sum is smaller still).
"""

from __future__ import annotations

import mpmath
import numpy as np

_SCALE = 2.0**-64


def dirichlet_xent(*args, loggamma, kl_div):
    from symce.numeric.impl.digamma_diff import weighted_psi_diff
    from symce.numeric.impl.log_beta import log_beta_parts

    k = len(args) // 2
    cols = np.broadcast_arrays(*[np.asarray(a, dtype=np.float64) for a in args])
    xs, bs = cols[:k], cols[k:]
    parts, bad = log_beta_parts(*bs, loggamma=loggamma)
    with np.errstate(all="ignore"):
        half = sum((0.5 * x for x in xs[1:]), 0.5 * xs[0])
        others = [sum((xs[j] for j in range(k) if j != i), np.zeros_like(xs[i])) for i in range(k)]

        def total(scale):
            psi_terms = [weighted_psi_diff((b - 1.0) * scale, x, d, half) for x, b, d in zip(xs, bs, others)]
            return sum((p * scale for p in parts[1:]), sum(psi_terms[1:], psi_terms[0]) + parts[0] * scale)

        out = total(1.0)
        redo = ~np.isfinite(out)
        if np.any(redo):
            out = np.where(redo, total(_SCALE) / _SCALE, out)
        # where the terms above cancel (P ≈ Q with large parameters: log B(β) ≈ −1000 against ψ terms ≈ +1000,
        # 4229 ULP) Stirling's form, if its terms cancel less
        ok = np.isfinite(out)
        if np.any(ok):
            size = sum((np.abs(weighted_psi_diff(b - 1.0, x, d, half)) for x, b, d in zip(xs, bs, others)),
                       sum(np.abs(p) for p in parts))
            alt, alt_size = _stirling_form(xs, bs, loggamma, kl_div)
            # xᵢ·B/X leaves the float range at the extremes: there the terms above stay
            tame = ok.copy()
            for x, b in zip(xs, bs):
                tame &= (x > 2.0**-500) & (x < 2.0**500) & (b > 2.0**-500) & (b < 2.0**500)
            better = tame & np.isfinite(alt) & (alt_size < size)
            out = np.where(better, alt, out)
    for x in xs:
        bad |= np.isnan(x) | (x <= 0)
    out = np.where(bad, np.nan, out)
    return out if out.ndim else out[()]


def _stirling_form(xs, bs, loggamma, kl_div):
    """(L, Σ|terms|) from log Γ(x) = x log x − x + h(x), ψ(x) = log x + h′(x) (h = lgamma_rem):

        L = Σᵢ kl_div(bᵢ, xᵢB/X) − Σᵢ log(X/xᵢ) + Σᵢ (bᵢ − 1)(h′(X) − h′(xᵢ)) + Σᵢ h(bᵢ) − h(B),

    the x log x parts of log B(b) and the logs of the ψ terms collected into relative entropies of the shares
    (Σ bᵢ log((bᵢ/B)/(xᵢ/X)) = Σ kl_div(bᵢ, xᵢB/X), each ≥ 0), their differences xᵢB/X − bᵢ =
    Σⱼ (xᵢbⱼ − bᵢxⱼ)/X from exact products (TwoProd), so nothing cancels near equal shares."""
    from symce.numeric.impl.double_double import _two_prod
    from symce.numeric.impl.gamma_kernels import digamma_rem, lgamma_rem

    k = len(xs)
    big_x, big_b = sum(xs[1:], xs[0]), sum(bs[1:], bs[0])
    hx = digamma_rem(big_x)
    terms = [-lgamma_rem(big_b, loggamma)]
    size = np.abs(terms[0])
    for i in range(k):
        num = np.zeros_like(big_x)
        for j in range(k):
            if j != i:
                p1, e1 = _two_prod(xs[i], bs[j])
                p2, e2 = _two_prod(bs[i], xs[j])
                exact = (p1 - p2) + (e1 - e2)
                num = num + np.where(np.isfinite(exact), exact, p1 - p2)
        d = num / big_x
        # y = bᵢ + d only near bᵢ (there d carries the digits); far from it bᵢ + d cancels, xᵢ·(B/X) does not
        y = np.where(np.abs(d) < 0.5 * bs[i], bs[i] + d, xs[i] * (big_b / big_x))
        hxi = digamma_rem(xs[i])
        terms += [kl_div(bs[i], y, d), -np.log(big_x / xs[i]), (bs[i] - 1.0) * (hx - hxi), lgamma_rem(bs[i], loggamma)]
        # h′(X) − h′(xᵢ) cancels where the others' sum is small beside a tiny xᵢ (h′ ≈ −1/x): its size counts
        # the two parts, so the choice below sees that cancellation
        size = size + np.abs(bs[i] - 1.0) * (np.abs(hx) + np.abs(hxi)) + np.abs(terms[-4]) + np.abs(terms[-3]) + np.abs(terms[-1])
    return sum(terms[1:], terms[0]), size


def _mp_dirichlet_xent(*args):
    k = len(args) // 2
    v = [mpmath.mpf(a) for a in args]
    if not all(a > 0 for a in v):
        return mpmath.mpf("nan")
    if any(mpmath.isinf(a) for a in v):
        return mpmath.inf if not any(mpmath.isinf(a) for a in v[:k]) else mpmath.mpf("nan")
    target = mpmath.mp.prec
    # ψ(x) ≈ −1/x of a subnormal x beside 1e-17, log Γ(1.8e308) ≈ 1.3e311 beside a result near 1: the
    # cancellation is not known beforehand, so the working precision doubles until two results agree at the
    # caller's precision (the sum X of the inputs is exact at the working precision once it spans them)
    prec, prev = target + 64, None
    while True:
        with mpmath.workprec(prec):
            xs, bs = v[:k], v[k:]
            big_x = mpmath.fsum(xs)
            log_b = mpmath.fsum(mpmath.loggamma(b) for b in bs) - mpmath.loggamma(mpmath.fsum(bs))
            got = log_b + mpmath.fsum((b - 1) * (mpmath.digamma(big_x) - mpmath.digamma(x)) for x, b in zip(xs, bs))
        got = +got  # rounded to the caller's precision
        if prev is not None and (got == prev or prec > 64 * target + 8192):
            return got
        prev, prec = got, 2 * prec


MPMATH = {"dirichlet_xent": _mp_dirichlet_xent}

__all__ = ["dirichlet_xent", "MPMATH"]
