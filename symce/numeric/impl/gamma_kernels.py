r"""Kernels of the Stirling split of log Γ (:mod:`symce.numeric.functions.gamma`): h(x) = log Γ(x) − x log x + x,
h′(x) = ψ(x) − log x and the Bregman divergence B(y, x) = h(y) − h(x) − (y − x)h′(x), in numpy and mpmath.

numpy, for x ≥ T = 16 the asymptotic series (Bernoulli numbers B₂ … B₁₈: the first omitted term is below
2⁻⁶⁰ of the value there)

    h(x) = ½ log(2π/x) + Σ B₂ₖ/(2k(2k − 1)x²ᵏ⁻¹),  h′(x) = −1/(2x) − Σ B₂ₖ/(2k x²ᵏ),  h″(x) = 1/(2x²) + Σ B₂ₖ/x²ᵏ⁺¹;

below T the recurrences Γ(x + 1) = xΓ(x) in forms without cancellation (u = 1/x):
h(x) − h(x + 1) = u + (x + 1)·log1pmx(u) ≥ 0, h′(x) − h′(x + 1) = log1pmx(u) ≤ 0, and
h″(x) − h″(x + 1) = 1/(x²(x + 1)) > 0 (ψ′(x) − ψ′(x + 1) = 1/x² less 1/x − 1/(x + 1)); h(x) for x ≤ 1 is
log Γ(x) − x log x + x directly (log Γ ≈ −log x dominates). B(y, x) for |y − x| ≤ min(x, y) is the
integral (y − x)²∫₀¹(1 − s)h″(x + s(y − x))ds by 12-point Gauss–Legendre (h″ is analytic with its nearest
pole at 0, at least 3 half-lengths away: error below 10⁻¹⁸ relative), with (y − x)² folded into the ratios
so nothing overflows; farther apart the three terms, which then cancel at most a few times — except for
x, y ≤ 1 (:func:`_small_far`) and x, y ≥ T (:func:`_large_far`).
"""

from __future__ import annotations

import functools

import mpmath
import numpy as np

from symce.numeric.impl import gamma_sum, trigamma_ratio
from symce.numeric.impl.arrays import elementwise
from symce.numeric.impl.arrays.namespace import _Array
from symce.numeric.impl.double_double import _two_prod, _two_sum
from symce.numeric.special import SCIPY

T = 16.0
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798)
_HALF_LOG_2PI = 0.9189385332046727


@functools.lru_cache(maxsize=None)
def _xp():
    return _Array("numpy")


def _log1pmx(u):
    return elementwise.log1pmx(_xp(), u)


def _series(x, coeffs, first_power):
    """Σ_k c_k x^−(first_power + 2k) by Horner in 1/x²."""
    r = 1.0 / x
    r2 = r * r
    acc = np.zeros_like(r)
    for c in reversed(coeffs):
        acc = acc * r2 + c
    return acc * r ** first_power


def _h_asym(x):
    c = [b / ((2 * k + 2) * (2 * k + 1)) for k, b in enumerate(_BERNOULLI)]
    return _HALF_LOG_2PI - 0.5 * np.log(x) + _series(x, c, 1)


def _h1_asym(x):
    c = [b / (2 * k + 2) for k, b in enumerate(_BERNOULLI)]
    return -0.5 / x - _series(x, c, 2)


def _shifts(x):
    """(x + n, the steps k = 0 … 15, masks x + k < T): the recurrences' shifts up to T."""
    steps = [(k, x + k < T) for k in range(int(T))]
    n = sum(np.where(m, 1.0, 0.0) for _, m in steps)
    return x + n, steps


def lgamma_rem(x, loggamma):
    x = np.asarray(x, dtype=np.float64)
    z, steps = _shifts(np.maximum(x, 1.0))
    acc = _h_asym(z)
    for k, m in steps:
        xk = np.maximum(x, 1.0) + k
        u = 1.0 / xk
        acc = acc + np.where(m, u + (xk + 1.0) * _log1pmx(u), 0.0)
    small = x - x * np.log(x) + loggamma(x)  # x ≤ 1: log Γ(x) ≈ −log x dominates
    out = np.where(x <= 1.0, small, acc)
    return np.where(x == 0, np.inf, np.where(x < 0, np.nan, out))


def digamma_rem(x):
    x = np.asarray(x, dtype=np.float64)
    z, steps = _shifts(x)
    acc = _h1_asym(z)
    for k, m in steps:
        acc = acc + np.where(m, _log1pmx(1.0 / (x + k)), 0.0)
    return np.where(x < 0, np.nan, acc)


def _scaled_h2(t, d):
    """d²·h″(t), with d² folded into ratios (no overflow of 1/t², no underflow of d²)."""
    z, steps = _shifts(t)
    r = d / z
    c = list(_BERNOULLI)
    acc = r * r * (0.5 + _series(z, c, 1))
    for k, m in steps:
        tk = t + k
        q = d / tk
        acc = acc + np.where(m, q * q / (tk + 1.0), 0.0)
    return acc


@functools.lru_cache(maxsize=None)
def _gauss(n: int = 10):
    u, w = np.polynomial.legendre.leggauss(n)
    return (u + 1) / 2, w / 2


def stirling_bregman(y, x, d=None, *, loggamma):
    """B(y, x); d = y − x from the original inputs where the lowering gives it (y and x sums of inputs, the
    Beta KL's α₂ + β₂ and α₁ + β₁: their rounding would dominate a difference of 10⁻¹² relative)."""
    if d is None:
        d = np.asarray(y, dtype=np.float64) - np.asarray(x, dtype=np.float64)
    y, x, d = np.broadcast_arrays(np.asarray(y, dtype=np.float64), np.asarray(x, dtype=np.float64),
                                  np.asarray(d, dtype=np.float64))
    # an argument +∞ from a sum that overflowed on the way (the Weibull KL's z = (k₁ + k₂)/k₁ at k₁ = k₂ =
    # 1.8e308, z = 2) where d from the inputs is finite: it is the other one ± d (+∞ below only if that is)
    with np.errstate(over="ignore", invalid="ignore"):
        fin = np.abs(d) < np.inf
        y = np.where((y == np.inf) & fin & (np.abs(x) < np.inf), x + d, y)
        x = np.where((x == np.inf) & fin & (np.abs(y) < np.inf), y - d, x)
    near = np.abs(d) <= np.minimum(x, y)
    out = np.empty(np.shape(d))
    if np.any(near):
        xn, dn = x[near], d[near]
        s_nodes, w = _gauss(12)
        acc = np.zeros_like(xn)
        for s, wi in zip(s_nodes, w):
            acc = acc + wi * (1 - s) * _scaled_h2(xn + s * dn, dn)
        out[near] = acc
    tiny = ~near & (np.maximum(x, y) <= 1.0)
    if np.any(tiny):
        out[tiny] = _small_far(y[tiny], x[tiny], d[tiny])
    large = ~near & (np.minimum(x, y) >= T)
    if np.any(large):
        out[large] = _large_far(y[large], x[large], d[large])
    far = ~near & ~tiny & ~large
    if np.any(far):
        xf, yf, df = x[far], y[far], d[far]
        out[far] = lgamma_rem(yf, loggamma) - lgamma_rem(xf, loggamma) - df * digamma_rem(xf)
    # both below 2⁻⁹⁶⁰ (the Beta KL's β₁ = 5e-312, β₂ = 1e-311): the quadrature's nodes x + s·d are subnormal,
    # rounded to 2⁻¹⁰⁷⁴ (4e-13 of B, 2348 ULP of the KL). There log Γ(x) = −log x − γx + O(x²) gives
    # B(y, x) = r − 1 − log r + (y − x) − y·log r + O(x²), r = y/x: r − 1 − log r ≈ (r − 1)²/2 ≥ 2⁻²³⁰ at the
    # least (distinct floats below 2⁻⁹⁶⁰ differ by ≥ 2⁻¹¹⁴ relative), the rest below 2⁻⁹⁵⁰: B = −log1pmx_ratio
    sub = (np.maximum(x, y) < 2.0**-960) & (x > 0) & (y > 0)
    if np.any(sub):
        out[sub] = -elementwise.log1pmx_ratio(_xp(), y[sub], x[sub], d[sub])
    # an argument that underflowed to 0 (χ²'s ν/2 of the smallest subnormal) stands for a positive number
    # below every float: B(y, 0⁺) = B(0⁺, x) = +∞ (h′(x) ≈ −1/x and h(y) ≈ −log y diverge); both 0 has no limit
    # likewise one argument that overflowed to +∞ (the Weibull KL's 1 + k₂/k₁): B(∞, x) = B(y, ∞) = +∞
    zero = ((x == 0) & (y > 0)) | ((y == 0) & (x > 0)) | (np.isinf(x) ^ np.isinf(y))
    bad = (x < 0) | (y < 0) | ((x == 0) & (y == 0)) | (np.isinf(x) & np.isinf(y)) | np.isnan(x) | np.isnan(y)
    # y = 0 against a finite x: the one positive y of the catalog that rounds to 0 is ν/2 at ν = 2⁻¹⁰⁷⁴ (χ²'s
    # k₂ = 5e-324), y = 2⁻¹⁰⁷⁵ exactly (a tie, rounded to even): B(y, x) = h(y) − h(x) + x·h′(x) − y·h′(x), with
    # h(2⁻¹⁰⁷⁵) = 1075 log 2 to double precision and −y·h′(x) ≈ y/x
    # (KL(χ²₁ ‖ χ²₂) at k₁ = 10⁻³⁰⁰, k₂ = 5e-324 is 52.66, not +∞)
    y_tie = (y == 0) & (x > 0) & np.isfinite(x)
    if np.any(y_tie):
        xt = np.where(y_tie, x, 1.0)
        with np.errstate(all="ignore"):
            tie = ((_H_TIE_HI - lgamma_rem(xt, loggamma)) + (xt * digamma_rem(xt) + _H_TIE_LO)) + 2.0 ** -1075 / xt
        zero = zero & ~(y_tie & np.isfinite(tie))
        out = np.where(y_tie, tie, out)
    return np.where(bad, np.nan, np.where(zero, np.inf, out))


# h(2⁻¹⁰⁷⁵) = log Γ(y) − y log y + y = 1075 log 2 (to 10⁻³⁰⁰), as hi + lo: 1075·ln2_hi is exact (ln2_hi has 32 bits)
_H_TIE_HI, _H_TIE_LO = 1075 * 6.93147180369123816490e-01, 1075 * 1.90821492927058770002e-10


def _large_far(y, x, d):
    """B(y, x) for x, y ≥ T far apart: ½(y/x − 1 − log(y/x)) plus the differences of the asymptotic
    series (h(y) and h(x) share −½ log x, which cancels in h(y) − h(x))."""
    ch = [b / ((2 * k + 2) * (2 * k + 1)) for k, b in enumerate(_BERNOULLI)]
    c1 = [b / (2 * k + 2) for k, b in enumerate(_BERNOULLI)]
    r = y / x
    main = 0.5 * (d / x - np.log(r))
    return main + ((_series(y, ch, 1) - _series(x, ch, 1)) + d * _series(x, c1, 2))


def _small_far(y, x, d):
    """B(y, x) for x, y ≤ 1 far apart, from h″(t) = 1/t² − 1/t + ψ′(t + 1): the first two integrate to
    y/x − 1 − log(y/x) − kl_div(y, x), the last (analytic beyond t = −1) by 12-point Gauss–Legendre. The
    three terms h(y) − h(x) − (y − x)h′(x) cancel there (h ≈ −log t, h′ ≈ −1/t: B(2·10⁻³⁰⁰, 10⁻³⁰⁰) =
    1 − log 2 − …)."""
    from scipy.special import polygamma

    s_nodes, w = _gauss(12)
    acc = np.zeros_like(x)
    for s, wi in zip(s_nodes, w):
        acc = acc + wi * (1 - s) * polygamma(1, x + s * d + 1.0)
    # y/x − 1 − log(y/x) with the logarithm of the ratio itself (1 + (d/x) loses d/x's digits as y → 0),
    # log y − log x where the ratio overflows
    r = y / x
    log_r = np.where(np.isfinite(r) & (r > 0), np.log(r), np.log(y) - np.log(x))
    return (d / x - log_r) - elementwise.kl_div(_xp(), y, x, -d) + d * d * acc


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _accurate_sum(terms, passes: int = 3):
    """Σ terms as if in ≥ 3-fold working precision (Ogita, Rump & Oishi 2005, SumK): Y − X of the Beta and
    Dirichlet KLs from the inputs, where (α₂ + β₂) − (α₁ + β₁) rounded twice would dominate a difference of
    10⁻¹² relative (what lowering.exact_difference gives the single stirling_bregman)."""
    p = [np.asarray(t, dtype=np.float64) for t in terms]
    for _ in range(passes - 1):
        for i in range(1, len(p)):
            p[i], p[i - 1] = _two_sum(p[i], p[i - 1])
    return sum(p[:-1], np.zeros_like(p[-1])) + p[-1]


def _h1_diff(x, delta):
    """D = h′(x) − h′(x + δ) for δ > 0 (δ = X − xᵢ, the other coordinates' sum, exact in its terms):
    −δ∫₀¹h″(x + sδ)ds by 12-point Gauss–Legendre where δ ≤ x (h′(x) and h′(X) agree to many digits there,
    δ·h″ with δ folded into the ratios), the difference itself farther apart (it cancels at most ~2×);
    for x < 1 there with ψ(x) = ψ(x + 1) − 1/x, so the −1/x that overflows for subnormal x stays separate
    from the O(log x) rest: (−1/x, rest)."""
    from scipy.special import psi

    near = delta <= x
    with np.errstate(all="ignore"):
        s_nodes, w = _gauss(12)
        acc = np.zeros_like(x)
        for s, wi in zip(s_nodes, w):
            t = x + s * delta
            z, steps = _shifts(np.where(near, t, T))
            r = delta / z
            part = (r / z) * (0.5 + _series(z, list(_BERNOULLI), 1))  # δ·h″(z) = (δ/z²)(½ + Σ B₂ₖ/z²ᵏ⁻¹)
            for k, m in steps:
                tk = t + k
                part = part + np.where(m, (delta / tk) / tk / (tk + 1.0), 0.0)
            acc = acc + wi * part
        big = x + delta
        # X overflowed (x + δ > 1.8e308): h′(X) = −1/(2X) from X/2 (its series terms are below 10⁻⁶⁰⁰ there)
        ovf = np.isinf(big)
        half = 0.5 * x + 0.5 * delta
        h1_big = np.where(ovf, -0.25 / half, digamma_rem(np.where(ovf, 1.0, big)))
        xs = np.where(x < 1.0, x, 1.0)
        rest_small = psi(xs + 1.0) - np.log(xs) - h1_big
        far_large = digamma_rem(np.maximum(x, 1.0)) - h1_big
    inv = np.where(~near & (x < 1.0), -1.0 / x, 0.0)
    rest = np.where(near, -acc, np.where(x < 1.0, rest_small, far_large))
    # near with X overflowed (x ≥ 9e307): the nodes x + sδ overflow too; −δ/(2xX) is the whole difference
    rest = np.where(near & ovf, -0.25 * (delta / x) / half, rest)
    return inv, rest


def _h_big(t, half, loggamma, k=1):
    """h(t), also where t overflowed: ½ log(2π/t) from ``half`` = t·2⁻ᵏ (t/2 by default) summed from the parts
    times 2⁻ᵏ (h(t) for t ≥ 10³⁰⁰ is ½ log(2π/t) to double precision)."""
    with np.errstate(all="ignore"):
        inf = np.isinf(t)
        return np.where(inf, _HALF_LOG_2PI - 0.5 * (np.log(half) + k * np.log(2.0)),
                        lgamma_rem(np.where(inf, 1.0, t), loggamma))


def stirling_bregman_sum(*args, loggamma):
    """Σᵢ B(yᵢ, xᵢ) − B(Y, X), Y = Σ yᵢ, X = Σ xᵢ (functions.gamma.stirling_bregman_sum).

    As the terms' sum, each B from the exact difference, where their sizes are modest (every point near
    P = Q: the terms are O((y − x)²) and no other form is as accurate). Where a term is large — B(y, x) ≈
    y/x for tiny x, the terms overflow (y/x > 1.8·10³⁰⁸) or cancel to a finite difference (exact 7.4·10²⁸⁵
    from two terms of 6.7·10³²⁴) — the identity

        Σᵢ B(yᵢ, xᵢ) − B(Y, X) = [Σ h(yᵢ) − h(Y)] − [Σ h(xᵢ) − h(X)] − Σᵢ (yᵢ − xᵢ)(h′(xᵢ) − h′(X)),

    in which h′(xᵢ) − h′(X) comes from X − xᵢ = Σ_{j≠i} xⱼ (no difference of the overflowing 1/xᵢ and
    1/X), the h terms are O(log) (h(Y) from Y/2 where Y overflows) and the last sum's terms are ≥ −O(1) each:
    that form's error is ~ε·(its terms' magnitudes), used where that bound is below the first's."""
    arrs = np.broadcast_arrays(*[np.asarray(a, dtype=np.float64) for a in args])
    ys, xs = arrs[0::2], arrs[1::2]
    with np.errstate(all="ignore"):
        big_y = sum(ys[1:], ys[0].copy())
        big_x = sum(xs[1:], xs[0].copy())
        d = _accurate_sum(list(ys) + [-x for x in xs])
        terms = [stirling_bregman(y, x, y - x, loggamma=loggamma) for y, x in zip(ys, xs)]
        whole = stirling_bregman(big_y, big_x, d, loggamma=loggamma)
        out = sum(terms[1:], terms[0].copy()) - whole
        size = sum((np.abs(t) for t in terms), np.abs(whole))
    bad = np.isnan(big_y) | np.isnan(big_x) | np.any([(y < 0) | (x < 0) for y, x in zip(ys, xs)], axis=0)
    # terms that cancel where an argument is below 1 (h(t) ≈ −log t up to 745 each: α₁ = 1 + 2⁻⁵², α₂ = β₁ =
    # β₂ = 10⁻³⁰⁰ left B(y₁, x₁) ≈ 690.8 against B(Y, X) ≈ 690.1, 495 ULP of the KL ≈ log 2): the far form too,
    # whose −log t pair up exactly (_log_pairs)
    tiny = np.any([np.minimum(y, x) < 1.0 for y, x in zip(ys, xs)], axis=0)
    far = ~bad & (~np.isfinite(out) | (size > 1e6) | (tiny & (size > 8.0 * np.abs(out))))
    if np.any(far):
        out = np.array(out, dtype=np.float64, copy=True)
        out[far] = _bregman_sum_far([y[far] for y in ys], [x[far] for x in xs], out[far], size[far], loggamma)
    return out


def _g_small(t, loggamma):
    """g(t) = h(t) + log t = log Γ(1 + t) − t log t + t for 0 < t < 1 (in [0, 1]: no −log t of up to 745)."""
    ts = np.where((t > 0) & (t < 1.0), t, 0.5)
    return loggamma(ts + 1.0) - ts * np.log(ts) + ts


def _log_pairs(num, den):
    """Σ log n − Σ log d over the n, d below 1 (the −log t parts of h), as logs of ratios: both sorted, the
    k-th smallest n against the k-th smallest d (the matching with the least Σ|log(n/d)|), a 1 in place of
    each argument ≥ 1. Within 2× log1p((n − d)/d), n − d exact (Sterbenz): within ε of |log(n/d)| relative;
    farther (|log(n/d)| > log 2) log(n/d) is within ε(1 + |log(n/d)|) ≤ 2.5ε|log(n/d)| where n/d is a normal
    float, and beyond (n/d < 2⁻¹⁰²² or > 1.8·10³⁰⁸: |log n − log d| > 708) log n − log d costs ≲ 2 ULP of that."""
    n = np.sort(np.stack([np.where((t > 0) & (t < 1.0), t, 1.0) for t in num]), axis=0)
    d = np.sort(np.stack([np.where((t > 0) & (t < 1.0), t, 1.0) for t in den]), axis=0)
    r = n / d
    close = (r >= 0.5) & (r <= 2.0)
    ok = (r >= 2.0**-1022) & (r < np.inf)
    out = np.where(ok, np.log(np.where(ok, r, 1.0)), np.log(n) - np.log(d))
    return list(np.where(close, np.log1p((n - d) / d), out))


def _bregman_sum_far(ys, xs, near_value, near_size, loggamma):
    with np.errstate(all="ignore"):
        big_y = sum(ys[1:], ys[0].copy())
        big_x = sum(xs[1:], xs[0].copy())
        hy = [_h_big(y, 0.5 * y, loggamma) for y in ys]
        hx = [_h_big(x, 0.5 * x, loggamma) for x in xs]
        # Y, X from the parts times 2⁻ᵏ, 2ᵏ ≥ K (halves overflowed too for 1.8e308 + 1e300 + 1.8e308: −∞, NaN)
        k = max(1, (len(xs) - 1).bit_length())
        h_big_y = _h_big(big_y, sum((y * 2.0**-k for y in ys[1:]), ys[0] * 2.0**-k), loggamma, k)
        h_big_x = _h_big(big_x, sum((x * 2.0**-k for x in xs[1:]), xs[0] * 2.0**-k), loggamma, k)
        # Σ h(yᵢ) − h(Y) − Σ h(xᵢ) + h(X) with h(t) = −log t + g(t) below 1 (the logs paired up: _log_pairs)
        num, den = [big_y] + list(xs), list(ys) + [big_x]
        logs = _log_pairs(num, den)
        g = lambda t, h: np.where((t > 0) & (t < 1.0), _g_small(t, loggamma), h)  # noqa: E731
        parts = ([g(y, h) for y, h in zip(ys, hy)] + [-g(big_y, h_big_y)] + [-g(x, h) for x, h in zip(xs, hx)]
                 + [g(big_x, h_big_x)] + logs)
        for i, (y, x) in enumerate(zip(ys, xs)):
            others = [xj for j, xj in enumerate(xs) if j != i]
            delta = sum(others[1:], others[0].copy())
            inv, rest = _h1_diff(x, delta)
            dyx = y - x
            # x < 1 far from X: −(y − x)(−1/x + rest) = (y/x − 1)(1 − x·rest), x·rest = O(x log x) < 1, so
            # y/x overflowing (KL = +∞) is not ∞ − ∞ against (y − x)·rest ≈ y log(1/x)
            parts.append(np.where(inv != 0, (y / x - 1.0) * (1.0 - x * rest), -dyx * rest))
        total = sum(parts[1:], parts[0].copy())
        size = sum((np.abs(p) for p in parts[1:]), np.abs(parts[0]))
    # the form with the smaller error bound (a finite first form against an overflowed or NaN second too)
    use = ~np.isfinite(near_value) | ((size < near_size) & ~np.isnan(total))
    return np.where(use, total, near_value)


def kl_div_logy(kl_div, x, y, d, log_y, *inputs, ratio=None):
    """kl_div(x, y) with log y given (the generated code passes y = α₁β₂/β₁ correctly rounded, and ``ratio``
    of ``inputs``, y/x correctly rounded): where y is subnormal or 0 (digits lost) the value is
    x(log x − log y) − x + y, from log y; where y is +∞ (a y that overflowed on the way, α₁β₂ > 1.8e308 with
    α₁β₂/β₁ finite, is e^{log y}) see below."""
    x, y, log_y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), np.asarray(log_y, np.float64)
    d = np.asarray(d, dtype=np.float64)
    tiny = 2.2250738585072014e-308  # below it y has lost digits (subnormal) or all of them (0)
    lost = ~np.isfinite(y) | (np.abs(y) < tiny)
    if np.any(lost):
        y = np.where(lost, np.exp(log_y), y)
    out = np.asarray(kl_div(x, y, d), dtype=np.float64)
    over = (y == np.inf) & (x > 0) & (x < np.inf) & ~np.isnan(log_y)
    if np.any(over):
        # y = α₁β₂/β₁ above 1.8e308 while the KL x·(r − 1 − log r), r = y/x, need not be (α₁ = α₂ = 1.8e308,
        # β₂/β₁ = 40/37: 5.6e305, was 0). kl_div is homogeneous of degree 1: with d = y − x finite,
        # 4·kl_div(x/4, x/4 + d/4, d/4), all scalings exact (x, d ≥ 2⁹⁷⁰ here: y − d = x ≤ 1.8e308 < y);
        # with d = ∞ too (r ≥ 2: the KL ≥ 0.3·d may still be finite) x·(r − 1 − log r) from r = y/x correctly
        # rounded (``ratio(*inputs)``; r − 1 is exact, the bracket cancels ≤ 3.3×: ≤ 4 ULP), else from log y
        with np.errstate(all="ignore"):
            x4, d4 = x * 0.25, d * 0.25
            scaled = 4.0 * np.asarray(kl_div(x4, x4 + d4, d4), dtype=np.float64)
            wide = over & ~np.isfinite(d)
            if ratio is not None and np.any(wide):
                r = np.broadcast_to(np.asarray(ratio(*inputs), dtype=np.float64), np.shape(out))
                # r = ∞ (x·r = y ≫ x log r): the KL is +∞ too, not ∞ − ∞ (Gumbel's kl_div(1, β₁/β₂))
                wide_v = np.where(r == np.inf, np.inf, x * ((r - 1.0) - np.log(r)))
            else:
                t = log_y - np.log(x)
                wide_v = x * (np.expm1(t) - t)
        out = np.where(over, np.where(wide, wide_v, scaled), out)
    under = lost & (y < tiny) & (x > 0) & np.isfinite(log_y)
    if np.any(under):
        # d = y − x correctly rounded is 0 only where |y − x| < 2⁻¹⁰⁷⁵, and there the KL ≈ (y − x)²/2x
        # underflows: 0, not the rounding of log x − log y (χ² KL at k₁ = k₂ = 2⁻¹⁰²² was −3.5e-322 < 0)
        out = np.where(under, np.where(d == 0, 0.0, x * (np.log(x) - log_y) - x + y), out)
    return out


# -- Binet's remainder μ(x) = h(x) − ½ log(2π/x) and μ′ (the entropies' form, functions/gamma.py) -----------------
def _step_series(y, odd: bool):
    """μ(y) − μ(y + 1) = Σ_{n≥1} t²ⁿ/(2n + 1) and μ′(y) − μ′(y + 1) = −Σ_{n≥1} 4n/(2n + 1)·t²ⁿ⁺¹, t = 1/(2y + 1)
    ((y + ½) log(1 + 1/y) − 1 = atanh(t)/t − 1): positive series without cancellation, 20 terms for
    y ≥ 1 (t ≤ ⅓: the first omitted term is below 2⁻⁶⁰ of the value)."""
    with np.errstate(over="ignore"):  # y of the masked-out lanes may be ~10³⁰⁸
        t = 1.0 / (2.0 * y + 1.0)
    t2 = t * t
    acc = np.zeros_like(t)
    for n in range(20, 0, -1):
        acc = acc * t2 + ((-4.0 * n / (2 * n + 1)) if odd else (1.0 / (2 * n + 1)))
    return acc * t2 * (t if odd else 1.0)


def _binet(x, odd: bool, small):
    """μ(x) (odd False) or μ′(x) (odd True): the asymptotic series from T down by the step series for
    x ≥ 1; below 1 ``small(x)``, the definition, whose terms cancel at most a few times there."""
    x = np.asarray(x, dtype=np.float64)
    xs = np.maximum(x, 1.0)
    z, steps = _shifts(xs)
    if odd:
        acc = -_series(z, [b / (2 * k + 2) for k, b in enumerate(_BERNOULLI)], 2)
    else:
        acc = _series(z, [b / ((2 * k + 2) * (2 * k + 1)) for k, b in enumerate(_BERNOULLI)], 1)
    for k, m in steps:
        acc = acc + np.where(m, _step_series(xs + k, odd), 0.0)
    with np.errstate(all="ignore"):
        low = small(np.minimum(np.where(np.isnan(x), 1.0, x), 1.0))
    out = np.where(x < 1.0, low, acc)
    return np.where(x < 0, np.nan, out)


# an argument that underflowed to 0 from a positive number (χ²'s k/2 at k = 5e-324) stands for one below 2⁻¹⁰⁷⁴:
# μ(x) ≈ −½ log x − ½ log 2π is still finite there (≈ 371.6 at 2⁻¹⁰⁷⁵) while μ′(x) ≈ −1/(2x) is −∞, so an
# entropy's (1 − x)μ′(x) + μ(x) − 1/k is −∞ (its value), not ∞ − ∞
_MU_UNDERFLOW = 0.5 * 1075 * 0.6931471805599453 - _HALF_LOG_2PI


def lgamma_stirling(x, loggamma):
    out = _binet(x, False, lambda v: loggamma(v) - (v - 0.5) * np.log(v) + v - _HALF_LOG_2PI)
    return np.where(np.asarray(x) == 0, _MU_UNDERFLOW, out)


def lgamma_balanced(x, loggamma):
    """ν(x) = μ(x) − ½ log1p(1/x) for x ≥ 1 (μ ≤ 0.082 against ≥ 0.34: no cancellation); below 1 Binet's step
    μ(x) = μ(x + 1) + (x + ½) log(1 + 1/x) − 1 makes it μ(x + 1) + x·log(1 + 1/x) − 1, x·log(1 + 1/x) =
    x(log1p(x) − log x) ∈ [0, log 2] (1/x overflows below 5.6e-309; 0 at x = 0): absolute error ≈ 2ε."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        big = lgamma_stirling(np.maximum(x, 1.0), loggamma) - 0.5 * np.log1p(1.0 / np.maximum(x, 1.0))
        xs = np.clip(x, 0.0, 1.0)
        xlog = np.where(xs > 0, xs * (np.log1p(xs) - np.log(xs)), 0.0)
        small = (lgamma_stirling(xs + 1.0, loggamma) - 1.0) + xlog
        out = np.where(x >= 1.0, big, small)
    return np.where(np.isnan(x) | (x < 0), np.nan, out)


def digamma_stirling(x, digamma):
    # ψ(v) = ψ(v + 1) − 1/v: −1/v + 1/(2v) as one term (both overflow below 10⁻³⁰⁸, their sum later)
    out = _binet(x, True, lambda v: digamma(v + 1.0) - np.log(v) - 0.5 / v)
    return np.where(np.asarray(x) == 0, -np.inf, out)


def wdigamma_stirling(w, x, digamma):
    """w·μ′(x); where 1/(2x) overflows (x < 2⁻¹⁰²⁰) as (w/x)·x·μ′(x) with x·μ′(x) = −½ + x(ψ(x + 1) − log x)
    (ψ(x) = ψ(x + 1) − 1/x), |x(ψ(x + 1) − log x)| < 10⁻³⁰⁴ there: −½·(w/x), one rounding (or the overflow of
    the value itself)."""
    w, x = np.asarray(w, dtype=np.float64), np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        out = w * digamma_stirling(x, digamma)
        # (below 2⁻⁹⁰⁰ 1/(2x) is the whole value to 10⁻²⁷⁰ and Dekker's split of it would overflow)
        below = (x < 1.0) & (x >= 2.0 ** -900) & np.isfinite(w)
        if np.any(below):
            out = np.where(below, _wdigamma_below_one(w, np.where(below, x, 0.5), digamma), out)
        tiny = (x > 0) & (x < 2.0 ** -1020)
        if np.any(tiny):
            # one product: −½(w/x) + w(ψ(x + 1) − log x) is ∞ − ∞ where w/x overflows (α₂ = 1.8e308)
            small = (w / x) * (-0.5 + x * (digamma(x + 1.0) - np.log(x)))
            out = np.where(tiny, small, out)
        return np.where(w == 0, 0.0, out)  # e = 0 exactly: the term is 0 (as eval), also against μ′(0) = −∞


def _trigamma_near(y):
    """ψ′(y) for y ≥ 1 to ~10⁻⁹ relative (6 steps of ψ′(y) = ψ′(y + 1) + 1/y², then 1/z + 1/(2z²) + 1/(6z³)
    − 1/(30z⁵)): only the first-order correction for a rounded argument, whose size is ~10⁻¹⁶, needs it."""
    acc = np.zeros_like(y)
    for k in range(6):
        acc = acc + 1.0 / ((y + k) * (y + k))
    z = y + 6.0
    return acc + (1.0 + (0.5 + (1.0 / 6.0 - 1.0 / (30.0 * z * z)) / z) / z) / z


def _wdigamma_below_one(w, x, digamma):
    """w·μ′(x) for 2⁻⁹⁰⁰ ≤ x < 1, μ′(x) = −1/(2x) + (ψ(x + 1) − log x), in double-double: there
    −1/(2x) dominates (−16.7 at x = 0.03 against 2.96), so its rounding (½ ULP of 16.7, a whole ULP of μ′),
    ψ(x + 1)'s rounded argument and the product by w each cost about half an ULP of the value (1.5 in all: the
    Gamma CE, where w·μ′ ≈ 12.9 cancels to −0.73, was 24 ULP off). Here 1/(2x) carries its remainder
    (0.5 − hi·x exact by TwoProd), ψ(x + 1) the first-order correction for x + 1's rounding error, and the
    sum and the product by w are error-free transformations: about half an ULP plus ψ and log's own errors
    (≤ ¼ ULP of μ′ where the cancellation is large)."""
    hi = 0.5 / x
    p, e = _two_prod(hi, x)
    lo = ((0.5 - p) - e) / x  # 0.5 − hi·x exactly (|0.5 − p| small: Sterbenz), over x
    y, dy = _two_sum(x, 1.0)
    g = (digamma(y) + dy * _trigamma_near(y)) - np.log(x)
    s, t = _two_sum(-hi, g)
    t = t - lo
    m, k = np.frexp(w)  # w = m·2ᵏ: the split of a w near 1.8e308 would overflow
    ph, pl = _two_prod(m, s)
    return np.ldexp(ph + (pl + m * t), k)


_EXP_TAYLOR = tuple(1.0 / float(np.prod(np.arange(1, n + 1, dtype=np.float64))) for n in range(2, 22))


def expm1mx(s):
    """e^s − 1 − s: Σ_{n≥2} sⁿ/n! for |s| < ½ (expm1(s) − s cancels there), else expm1(s) − s."""
    s = np.asarray(s, dtype=np.float64)
    with np.errstate(all="ignore"):
        acc = np.zeros_like(s)
        for c in reversed(_EXP_TAYLOR):
            acc = (acc + c) * s
        near = acc * s
        far = np.expm1(s) - s
    return np.where(np.abs(s) < 0.5, near, np.where(np.isinf(s), np.inf, far))  # e^s − 1 − s → +∞ at ±∞


def gamma_scaled(z, big_l, loggamma):
    """e^L·Γ(z) = e^{L + log Γ(z)} (the function's lowering takes L + log Γ(z) in double-double where it can)."""
    with np.errstate(all="ignore"):
        return np.exp(np.asarray(big_l, dtype=np.float64) + loggamma(z))


def gamma_scaled_m1(z, big_l, w, x, loggamma):
    """(w/x)·(e^L·Γ(z) − 1) = (w/x)·expm1(L + log Γ(z)) (the function's lowering takes the exponent in
    double-double and the product in extended range)."""
    with np.errstate(all="ignore"):
        return (np.asarray(w, dtype=np.float64) / x) * np.expm1(np.asarray(big_l, dtype=np.float64) + loggamma(z))


def gamma_scaled_excess(z, big_l, loggamma):
    """e^L·Γ(z) − 1 − L − log Γ(z) = expm1mx(L + log Γ(z))."""
    with np.errstate(all="ignore"):
        return expm1mx(np.asarray(big_l, dtype=np.float64) + loggamma(z))


def gamma_excess_shift_parts(*args, g, n, loggamma, diff):
    """g(*args[:n]) + (a − b)/s, args = (g's arguments…, z, L, a, b, s). Where the float sum is ∞ − ∞
    (e^s overflowed, the quotient −∞: the Weibull CE at a subnormal k₁) the value is e^s − (b − a)/s up to
    terms ≤ 10⁴, whose sign is that of s − log((b − a)/s), s = L + log Γ(z) (+∞ where z overflowed)."""
    z, big_l, a, b, s = args[n:]
    with np.errstate(all="ignore"):
        head, quot = g(*args[:n]), diff(a, b, s)
        out = np.asarray(head + quot, dtype=np.float64)
        bad = np.isnan(out) & ~np.isnan(head) & ~np.isnan(quot)
        if np.any(bad):
            z, big_l, a, b, s = (np.broadcast_to(np.asarray(v, dtype=np.float64), out.shape)[bad]
                                 for v in (z, big_l, a, b, s))
            expo = big_l + loggamma(z)
            # log|a − b| without the overflow of a − b
            log_quot = np.log(np.abs(a * 0.5 - b * 0.5)) + np.log(2.0) - np.log(s)
            out = np.array(out, copy=True)
            out[bad] = np.where(expo > log_quot, np.inf, -np.inf)  # head is +∞ (≥ 0), quot −∞
    return out[()] if out.ndim == 0 else out


def gamma_excess_shift(z, big_l, a, b, s, loggamma):
    """gamma_scaled_excess(z, L) + (a − b)/s from (z, L) (the function's lowering uses the parts form)."""
    return gamma_excess_shift_parts(z, big_l, z, big_l, a, b, s, g=functools.partial(gamma_scaled_excess,
                                    loggamma=loggamma), n=2, loggamma=loggamma, diff=lambda a, b, s: (a - b) / s)


def numpy_kernels(loggamma, kl_div, digamma=None) -> dict:
    return {"_kl_div_logy": functools.partial(kl_div_logy, kl_div),"lgamma_rem": functools.partial(lgamma_rem, loggamma=loggamma), "digamma_rem": digamma_rem,
            "stirling_bregman": functools.partial(stirling_bregman, loggamma=loggamma),
            "_stirling_bregman": functools.partial(stirling_bregman, loggamma=loggamma),
            "stirling_bregman_sum": functools.partial(stirling_bregman_sum, loggamma=loggamma),
            "gamma_scaled": functools.partial(gamma_scaled, loggamma=loggamma),
            "gamma_scaled_m1": functools.partial(gamma_scaled_m1, loggamma=loggamma),
            "lgamma_stirling": functools.partial(lgamma_stirling, loggamma=loggamma),
            "lgamma_balanced": functools.partial(lgamma_balanced, loggamma=loggamma),
            "trigamma_ratio": functools.partial(trigamma_ratio.trigamma_ratio, trigamma=_scipy_polygamma1()),
            "digamma_stirling": functools.partial(digamma_stirling, digamma=digamma or _scipy_psi()),
            "wdigamma_stirling": functools.partial(wdigamma_stirling, digamma=digamma or _scipy_psi()),
            "gamma_scaled_excess": functools.partial(gamma_scaled_excess, loggamma=loggamma),
            "gamma_excess_shift": functools.partial(gamma_excess_shift, loggamma=loggamma),
            # h, (S + c)h′ and log at a sum S, from its parts (the Beta/Dirichlet entropies: impl/gamma_sum.py)
            "log_sum": gamma_sum.log_sum,
            "lgamma_rem_sum": functools.partial(gamma_sum.lgamma_rem_sum,
                                                lgamma_rem=functools.partial(lgamma_rem, loggamma=loggamma)),
            "wdigamma_rem_sum": functools.partial(gamma_sum.wdigamma_rem_sum, digamma_rem=digamma_rem),
            "wdigamma_rem_gap": functools.partial(gamma_sum.wdigamma_rem_gap, digamma_rem=digamma_rem,
                                                  digamma=digamma or _scipy_psi()),
            "wtrigamma_sum": functools.partial(gamma_sum.wtrigamma_sum, trigamma=_scipy_polygamma1())}


def _scipy_polygamma1():
    return functools.partial(SCIPY.polygamma, 1)  # scipy imported at the first call (numeric/special.py)


def _scipy_psi():
    return SCIPY.psi


# -- mpmath: the definitions at a precision raised by the bits they cancel -----------------------------------
def _bits(*xs) -> int:
    return sum(3 * abs(mpmath.mag(x)) for x in xs if x != 0) + 60


def mp_lgamma_rem(x):
    with mpmath.workprec(mpmath.mp.prec + _bits(x)):
        return +(mpmath.loggamma(x) - x * mpmath.log(x) + x)


def mp_digamma_rem(x):
    with mpmath.workprec(mpmath.mp.prec + _bits(x)):
        return +(mpmath.digamma(x) - mpmath.log(x))


def mp_stirling_bregman(y, x):
    d = mpmath.fsub(y, x, exact=True)
    if d == 0:
        return mpmath.mpf(0)
    extra = 2 * max(0, mpmath.mag(x) - mpmath.mag(d)) + _bits(x, y)
    with mpmath.workprec(mpmath.mp.prec + extra):
        h = lambda t: mpmath.loggamma(t) - t * mpmath.log(t) + t  # noqa: E731
        return +(h(y) - h(x) - d * (mpmath.digamma(x) - mpmath.log(x)))


def mp_lgamma_stirling(x):
    with mpmath.workprec(mpmath.mp.prec + _bits(x)):
        return +(mpmath.loggamma(x) - (x - mpmath.mpf(0.5)) * mpmath.log(x) + x - mpmath.log(2 * mpmath.pi) / 2)


def mp_gamma_scaled_m1(z, big_l, w, x):
    with mpmath.workprec(mpmath.mp.prec + _bits(z, big_l)):
        s = big_l + mpmath.loggamma(z)
    with mpmath.workprec(mpmath.mp.prec + 20):
        return +(w / x * mpmath.expm1(s))


def mp_lgamma_balanced(x):
    with mpmath.workprec(mpmath.mp.prec + _bits(x)):
        return +(mpmath.loggamma(x) - (x - 1) * mpmath.log(x) - mpmath.log1p(x) / 2 + x - mpmath.log(2 * mpmath.pi) / 2)


def mp_digamma_stirling(x):
    with mpmath.workprec(mpmath.mp.prec + _bits(x)):
        return +(mpmath.digamma(x) - mpmath.log(x) + 1 / (2 * x))


def mp_wdigamma_stirling(w, x):
    return w * mp_digamma_stirling(x) if w != 0 else mpmath.mpf(0)


def mp_gamma_scaled_excess(z, big_l):
    with mpmath.workprec(mpmath.mp.prec + _bits(z, big_l)):
        s = big_l + mpmath.loggamma(z)
    if mpmath.isnan(s) or s == 0:
        return s
    if mpmath.isinf(s):  # e^s − 1 − s → +∞ at both ends
        return mpmath.inf
    with mpmath.workprec(mpmath.mp.prec + 2 * max(0, -mpmath.mag(s)) + 20):
        return +(mpmath.expm1(s) - s)


def mp_gamma_excess_shift(z, big_l, a, b, s):
    """The two parts at a precision raised by their cancellation (each up to 10³²³ at a subnormal s)."""
    extra = 2 * max(abs(mpmath.mag(x)) for x in (z, big_l, a, b, s) if x != 0) + 60
    with mpmath.workprec(mpmath.mp.prec + extra):
        return +(mp_gamma_scaled_excess(z, big_l) + (a - b) / s)


def mp_stirling_bregman_sum(*args):
    """The definition at a precision raised by the terms' cancellation (B(yᵢ, xᵢ) ~ yᵢ/xᵢ against a
    difference that may be 10⁻³⁰⁰ of it) and by the sums' exponent range (Y, X exact)."""
    ys, xs = args[0::2], args[1::2]
    extra = 2 * sum(abs(mpmath.mag(a)) for a in args if a != 0) + 60
    with mpmath.workprec(mpmath.mp.prec + extra):
        big_y = mpmath.fsum(ys)
        big_x = mpmath.fsum(xs)
        total = mpmath.fsum(mp_stirling_bregman(y, x) for y, x in zip(ys, xs)) - mp_stirling_bregman(big_y, big_x)
    return +total


MPMATH = {"stirling_bregman_sum": mp_stirling_bregman_sum, "lgamma_stirling": mp_lgamma_stirling, "lgamma_balanced": mp_lgamma_balanced, "gamma_scaled_m1": mp_gamma_scaled_m1, **trigamma_ratio.MPMATH, "digamma_stirling": mp_digamma_stirling,
          "wdigamma_stirling": mp_wdigamma_stirling,
          "gamma_scaled_excess": mp_gamma_scaled_excess, "gamma_excess_shift": mp_gamma_excess_shift,
          "gamma_scaled": lambda z, big_l: mpmath.exp(big_l) * mpmath.gamma(z), "lgamma_rem": mp_lgamma_rem, "digamma_rem": mp_digamma_rem, "stirling_bregman": mp_stirling_bregman,
          **gamma_sum.MPMATH}

__all__ = ["numpy_kernels", "MPMATH", "lgamma_rem", "digamma_rem", "stirling_bregman", "stirling_bregman_sum", "lgamma_stirling",
           "lgamma_balanced", "gamma_scaled",
           "digamma_stirling", "wdigamma_stirling", "gamma_scaled_excess", "gamma_excess_shift", "expm1mx", "T"]
