r"""stirling_bregman_sum where one pair dominates: F = Σᵢ B(yᵢ, xᵢ) − B(Y, X) (Y = Σ yᵢ, X = Σ xᵢ, B the
Stirling–Bregman term, functions.gamma.stirling_bregman_sum) when the other coordinates are tiny beside
the largest xⱼ (δx = X − xⱼ ≤ 2⁻¹⁰xⱼ, δy = Y − yⱼ ≤ 2⁻¹⁰yⱼ). There B(yⱼ, xⱼ) and B(Y, X) are O(1)–O(10¹⁷)
and agree to all but the last digits, while F is the small Σ_{i≠j} B(yᵢ, xᵢ) minus an O(δ) bracket: the
terms' sum of :func:`symce.numeric.impl.gamma_kernels.stirling_bregman_sum` returned 0 for 5·10⁻²⁵
(Beta(1 − 2⁻⁵³, 10⁻³⁰⁰) against Beta(37, 1.000000000001·10⁻³⁰⁰)) and for 10⁻²⁸³ (α₂ = 10⁻¹⁷ against α₁ = 33).

The bracket B(Y, X) − B(yⱼ, xⱼ), exactly rearranged (h′ the derivative of Stirling's remainder h):

    B(Y, yⱼ) − B(X, xⱼ) + δy·(h′(yⱼ) − h′(X)) + (yⱼ − xⱼ − δx)·(h′(xⱼ) − h′(X)),

each piece small and computed from the exact small differences δy, δx (B by Gauss–Legendre of δ²h″, the
h′ differences from _h1_diff's quadrature of δh″ where the arguments are close).

Up to δ ≤ 2⁻¹⁰ this form is always taken; up to δ ≤ ½ only where its pieces' magnitudes (its error bound) are
below the terms' Σ|B(yᵢ, xᵢ)| + |B(Y, X)|: at α₁ = 2.77, α₂ = 139.8, β ≈ 0.003 (δx = 1.05·2⁻¹⁰x₁) the terms
B(α₂, α₁) ≈ B(Y, X) ≈ 24.2, each to ~1 ULP, cancelled to 0.153 (101 ULP of the KL, now 0).
"""

from __future__ import annotations

import numpy as np

from symce.numeric.impl import gamma_kernels as _g

_REL = 2.0**-1
_STRICT = 2.0**-10


def _h1_gap(a, b):
    """h′(a) − h′(b) for a, b > 0: from the exact difference by quadrature where they are within 2×, else
    the difference of h′ (it cancels at most ~2× there)."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    gap = hi - lo
    inv, rest = _g._h1_diff(lo, gap)  # h′(lo) − h′(hi)
    d = np.where(gap <= lo, inv + rest, _g.digamma_rem(lo) - _g.digamma_rem(hi))
    return np.where(a <= b, d, -d)


_SHIFT = 100  # the scale of δx in _times_h1_diff


def _times_h1_diff(w, x, dx, hd):
    """w·hd, hd = h′(x) − h′(x + δx) ≈ −δx·h″(x). Where δx is tiny hd is subnormal and keeps only a few bits
    (δx = 2.2e-308 beside x = 710: 2.2e-314, 32 bits) while w·hd is not (w = α₂ − α₁ ≈ 1.8e308: 4e-6 of a Beta
    KL of 0.1, 132 ULP). There hd is taken at δx·2¹⁰⁰ and the product scaled back: _h1_diff is δ times the
    mean of h″ over [x, x + δ], and with δ·2¹⁰⁰ ≤ 2⁻⁶⁰x that mean moves by ≤ 2⁻⁶⁰ of itself."""
    tiny = (np.abs(hd) < 2.0**-960) & (dx * 2.0**(_SHIFT + 60) <= x)
    if not np.any(tiny):
        return w * hd
    inv, rest = _g._h1_diff(x, np.where(tiny, np.ldexp(dx, _SHIFT), dx))
    return np.where(tiny, np.ldexp(w * (inv + rest), -_SHIFT), w * hd)


def _alt_size(rest, yj, xj, dyj, dxj, hd, sb):
    """Σ of the dominant-pair form's pieces' magnitudes: its error is ~ε times it."""
    g1 = _h1_gap(yj, xj)
    pieces = list(rest) + [sb(yj + dyj, yj, dyj), sb(xj + dxj, xj, dxj), dyj * g1, dyj * hd, ((yj - xj) - dxj) * hd]
    return sum((np.abs(p) for p in pieces[1:]), np.abs(pieces[0]))


def stirling_bregman_sum(*args, loggamma):
    out = np.asarray(_g.stirling_bregman_sum(*args, loggamma=loggamma), dtype=np.float64)
    arrs = np.broadcast_arrays(*[np.asarray(a, dtype=np.float64) for a in args])
    ys, xs = arrs[0::2], arrs[1::2]
    k = len(xs)
    if k < 2:
        return out
    out = np.array(out, dtype=np.float64, copy=True)
    with np.errstate(all="ignore"):
        top = np.argmax(np.stack(xs), axis=0)
        for j in range(k):
            dx = sum(x for i, x in enumerate(xs) if i != j)
            dy = sum(y for i, y in enumerate(ys) if i != j)
            # Y = yⱼ + δy and X = xⱼ + δx finite too: the bracket's B(Y, yⱼ) is +∞ where Y overflowed (α₂ =
            # (1.8e308, 709.78, 1e300): the form gave −∞ for 1.3e298, which the terms' far form gets)
            dom = ((top == j) & (dx <= _REL * xs[j]) & (dy <= _REL * ys[j]) & np.isfinite(xs[j]) & np.isfinite(ys[j])
                   & np.isfinite(xs[j] + dx) & np.isfinite(ys[j] + dy)
                   & (dx > 0) & (dy > 0) & np.all([(x > 0) & (y > 0) for x, y in zip(xs, ys)], axis=0))
            if not np.any(dom):
                continue
            yj, xj, dyj, dxj = ys[j][dom], xs[j][dom], dy[dom], dx[dom]
            sb = lambda y, x, d: _g.stirling_bregman(y, x, d, loggamma=loggamma)  # noqa: E731
            rest = [sb(ys[i][dom], xs[i][dom], ys[i][dom] - xs[i][dom]) for i in range(k) if i != j]
            inv, h1 = _g._h1_diff(xj, dxj)  # h′(xⱼ) − h′(X), δx ≤ xⱼ: the quadrature (inv = 0)
            hd = inv + h1
            bracket = (sb(yj + dyj, yj, dyj) - sb(xj + dxj, xj, dxj) + dyj * (_h1_gap(yj, xj) + hd)
                       + _times_h1_diff((yj - xj) - dxj, xj, dxj, hd))
            alt = sum(rest[1:], rest[0].copy()) - bracket
            # F = +∞ (B(yⱼ, xⱼ) overflows: yⱼ/xⱼ > 1.8e308) leaves ∞ − ∞ in the bracket: the terms' value stays.
            # Beyond δ ≤ 2⁻¹⁰ the form with the smaller error bound (its pieces' magnitudes) is taken
            strict = (dxj <= _STRICT * xj) & (dyj <= _STRICT * yj)
            sa = _alt_size(rest, yj, xj, dyj, dxj, hd, sb)
            sn = sum((np.abs(sb(ys[i][dom], xs[i][dom], ys[i][dom] - xs[i][dom])) for i in range(k)),
                     np.abs(sb(yj + dyj, xj + dxj, _g._accurate_sum([yj, dyj, -xj, -dxj]))))
            use = ~np.isnan(alt) & (strict | (sa < sn))
            out[dom] = np.where(use, alt, out[dom])
    return out


__all__ = ["stirling_bregman_sum"]
