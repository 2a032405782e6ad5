r"""Array kernels of :mod:`symce.numeric.functions.logit_ratio` (numpy and torch): with t = 2x − 1 and
P = Σ t²ⁿ/(2n + 3) (log1pmx's series, :func:`.elementwise._poly`), atanh(t)/t = 1 + t²P, so for |t| ≤ ½

    logit_ratio(x) = 2 + 2t²P,    cbern_mean(x) = ½ + tP/(2(1 + t²P)),

sums of positive terms (t is exact there: 2x − 1 for x ≥ ¼ by Sterbenz); for |t| > ½ the definitions with
logit x = log x − log1p(−x), which then cancel by less than a factor 3.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from symce.numeric.impl import cbern_dd
from symce.numeric.impl.arrays.elementwise import _on, _poly, log1pmx


def _parts(xp, x):
    m = xp.m
    x = xp.asarray(x)
    t = 2 * x - 1
    near = m.abs(t) <= 0.5
    safe_t = m.where(near, xp.full_like(t, 1.0), t)
    logit = m.log(x) - m.log1p(-x)
    return x, t, near, safe_t, logit


def logit_ratio(xp, x):
    m = xp.m
    x, t, near, safe_t, logit = _parts(xp, x)
    series = _on(xp, near, lambda xp, u: 2 + 2 * (u * u) * _poly(xp, u * u), t)
    return m.where(near, series, logit / safe_t)


def cbern_mean(xp, x):
    m = xp.m
    x, t, near, safe_t, logit = _parts(xp, x)

    def series(xp, u):
        p = _poly(xp, u * u)
        return 0.5 + u * p / (2 * (1 + u * u * p))

    return m.where(near, _on(xp, near, series, t), x / safe_t - 1 / logit)


__all__ = ["logit_ratio", "cbern_mean", "cbern_kl", "cbern_negentropy", "cbern_xent", "cbern_var"]


# -- the KL between two continuous Bernoullis: the Bregman divergence of A(η) = log((e^η − 1)/η) ------------------
# the tables below are computed on first use, not at import: the Gauss–Legendre polish was 0.03 s of every
# `import symce` (mpmath at 40 digits), which a process that never evaluates this kernel need not pay
@lru_cache(maxsize=None)
def _var_coefficients(terms: int = 32) -> tuple:
    """A″(η) = 1/η² − 1/(4 sinh²(η/2)) = Σ_{k≥1} B₂ₖ(2k − 1)/(2k)!·η^{2k−2} (|η| < 2π), as floats."""
    import mpmath

    with mpmath.workdps(40):
        return tuple(float(mpmath.bernoulli(2 * k) * (2 * k - 1) / mpmath.factorial(2 * k))
                     for k in range(1, terms + 1))


@lru_cache(maxsize=None)
def _gauss_legendre(n: int = 24) -> tuple:
    """Nodes s and weights w·(1 − s) of ∫₀¹ (1 − s) f(s) ds, n-point Gauss–Legendre: numpy's nodes polished by
    Newton's method on Pₙ (three-term recurrence) at 40 digits, then rounded once — numpy's own were off by
    ~1e-16, which biased Σ w·s by 8 ulp of 1/6 and the KL with it."""
    import mpmath
    import numpy as np

    nodes, weights = [], []
    with mpmath.workdps(40):
        for x0 in np.polynomial.legendre.leggauss(n)[0]:
            x = mpmath.mpf(float(x0))
            for _ in range(4):
                p0, p1 = mpmath.mpf(1), x
                for k in range(2, n + 1):
                    p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
                dp = n * (x * p1 - p0) / (x * x - 1)
                x -= p1 / dp
            s = (x + 1) / 2
            nodes.append(float(s))
            weights.append(float(1 / ((1 - x * x) * dp * dp) * (1 - s)))
    return tuple(nodes), tuple(weights)


#: 1/(2k + 1)! for k ≥ 1: sinh(h)/h − 1 = Σ h^{2k}/(2k + 1)!, positive terms (h ≤ 4: 22 of them reach 2⁻⁵⁸)
_SINHC = tuple(1.0 / __import__("math").factorial(2 * k + 1) for k in range(1, 23))
#: 2/(2k)! for k ≥ 2: (4 sinh²(a/2) − a²)/a⁴ = 2(cosh a − 1 − a²/2)/a⁴ = Σ_{k≥2} 2a^{2k−4}/(2k)!, positive terms
_COSH = tuple(2.0 / __import__("math").factorial(2 * k) for k in range(2, 40))


def _variance(xp, eta):
    """A″(η) = 1/η² − 1/(4 sinh²(η/2)) (the variance of ContinuousBernoulli at natural parameter η), a = |η|:
    for a ≤ 1 the Bernoulli-number series (1/12 − a²/240 + …, its first term dominates); for 1 < a ≤ 8
    [(4 sinh²(a/2) − a²)/a⁴]/[sinh(a/2)/(a/2)]², the numerator a series of positive terms; for a > 8
    1/a² − e^{−a}/expm1(−a)², the second term below 3 % of the first. No step cancels."""
    m = xp.m
    a = m.abs(eta)
    a2 = a * a
    coefficients = _var_coefficients()
    acc = xp.full_like(a, coefficients[-1])
    for c in reversed(coefficients[:-1]):
        acc = acc * a2 + c
    mid_a = m.where((a > 1.0) & (a <= 8.0), a, xp.full_like(a, 2.0))
    h = mid_a / 2
    num = xp.full_like(a, _COSH[-1])
    m2 = mid_a * mid_a
    for c in reversed(_COSH[:-1]):
        num = num * m2 + c
    # sinh(h)/h = 1 + Σ h^{2k}/(2k + 1)! (positive terms: np.sinh's own rounding was most of A″'s error)
    ratio = 1 + _horner(xp, _SINHC, h * h)
    mid = num / (ratio * ratio)
    big = m.where(a > 8.0, a, xp.full_like(a, 9.0))
    e = m.exp(-big)
    tail = 1 / (big * big) - e / (m.expm1(-big) ** 2)
    return m.where(a <= 1.0, acc, m.where(a <= 8.0, mid, tail))


#: 4^k B₂ₖ/(2k)!: h coth h − 1 = h²/3 − h⁴/45 + … (radius π; the first term dominates for h ≤ 1)
@lru_cache(maxsize=None)
def _coth_coefficients() -> tuple:
    import mpmath

    with mpmath.workdps(40):
        return tuple(float(4**k * mpmath.bernoulli(2 * k) / mpmath.factorial(2 * k)) for k in range(1, 36))


def _logit(xp, x):
    """logit x, from 2 atanh(2x − 1) for |2x − 1| ≤ ½ (2x − 1 exact there; log x − log1p(−x) cancels)."""
    m = xp.m
    t = 2 * x - 1
    near = m.abs(t) <= 0.5
    return m.where(near, 2 * m.arctanh(m.where(near, t, xp.zeros_like(t))), m.log(x) - m.log1p(-x))


def _log_sinhc(xp, h):
    """log(sinh h/h) ≥ 0 (even): log1p of the positive series for |h| ≤ 2, else |h| − log 2|h| + log1p(−e^{−2|h|})
    (|h| − log 2|h| ≥ 0.61 there: log 2|h| cancels by at most 3.3×)."""
    m = xp.m
    a = m.abs(h)
    small = a <= 2.0
    series = _on(xp, small, lambda xp, u: m.log1p(_horner(xp, _SINHC, u * u)), a)
    big = m.where(small, xp.full_like(a, 3.0), a)
    return m.where(small, series, (big - m.log(2 * big)) + m.log1p(-m.exp(-2 * big)))


def _coth_minus_inv(xp, h):
    """L(h) = coth h − 1/h (odd, |L| < 1) as (h coth h − 1)/h: the alternating series for |h| ≤ 1, else
    (|h| − 1) + 2|h|·e^{−2|h|}/(1 − e^{−2|h|}), positive terms."""
    m = xp.m
    a = m.abs(h)
    small = a <= 1.0
    series = _on(xp, small, lambda xp, u: _horner(xp, _coth_coefficients(), u * u), a)
    big = m.where(small, xp.full_like(a, 2.0), a)
    e = m.exp(-2 * big)
    f1 = m.where(small, series, (big - 1) + 2 * big * e / (-m.expm1(-2 * big)))
    safe = m.where(a > 0, a, xp.full_like(a, 1.0))
    return m.sign(h) * m.where(a > 0, f1 / safe, xp.zeros_like(a))


def cbern_kl(xp, x, y):
    """KL(CB(x) ‖ CB(y)) rounded once from double-doubles inside (0, 1) (:func:`_kl_dd`); the float forms of
    :func:`_cbern_kl_float` at the ends. numpy: the double-double forms only (the float forms' 24-point
    Gauss–Legendre was most of the time); torch: the float forms on the device, corrected on the CPU."""
    return _rounded_once(xp, x, y, _kl_dd, lambda a, b: _cbern_kl_float(xp, a, b))


def _kl_dd(x, y):
    """The double-double KL: the difference of its parts, or near P = Q (below 2⁻⁴⁴ of them) the integral of
    L′ (:func:`..cbern_dd.cbern_kl_near_dd`; the float Gauss–Legendre there lost up to 4.5 ulp)."""
    value, scale = cbern_dd.cbern_kl_dd(x, y)
    near = ~(value > _KL_SHARE * scale)
    if near.any():
        value[near] = cbern_dd.cbern_kl_near_dd(x[near], y[near])
    return value


def _dd_first(x, y, dd, flt):
    """numpy: dd(x, y) on the 1-d inputs inside (0, 1), flt(x, y) on the rest and where dd gave NaN (dd declines)."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    shape, xf, yf = x.shape, x.reshape(-1), y.reshape(-1)
    out = np.full(xf.shape, np.nan)
    inside = _inside(xf, yf)
    with np.errstate(all="ignore"):
        if inside.any():
            out[inside] = dd(xf[inside], yf[inside])
        rest = np.isnan(out)
        if rest.any():
            out[rest] = np.asarray(flt(xf[rest], yf[rest]), dtype=np.float64).reshape(-1)
    return out.reshape(shape) if shape else out[0]


def _cbern_kl_float(xp, x, y):
    """KL(CB(x) ‖ CB(y)) = d²∫₀¹(1 − s)A″(η_x + s·d)ds with d = η_y − η_x = log1p((y − x)/x) −
    log1p((x − y)/(1 − x)) (the difference of the logits from y − x, exact near y = x) by 24-point
    Gauss–Legendre where |d| ≤ 8 or the segment is short against its distance to 0 (A″ is analytic
    within 2π of the real axis and away from 0: error below 10⁻²⁵); farther apart
    A(η_y) − A(η_x) − d·μ(x), A = −log logit_ratio − log(1 − λ), which no longer cancels much."""
    m = xp.m
    x, y = xp.asarray(x), xp.asarray(y)
    x0, y0 = x, y
    # KL(CB(x) ‖ CB(y)) = KL(CB(1 − x) ‖ CB(1 − y)) (X ↦ 1 − X): x ≥ ½ is reflected (1 − x exact), so that
    # λ near 1 is λ near 0, where log λ keeps its digits — unless y < ¼, whose 1 − y would round away y
    flip = (x >= 0.5) & (y >= 0.25)
    # the difference from the inputs: 1 − y rounds for y < ½ (by up to 2⁻⁵⁴, which near P = Q was 370 ulp of the KL)
    diff = m.where(flip, x - y, y - x)
    x, y = m.where(flip, 1 - x, x), m.where(flip, 1 - y, y)
    eta = _logit(xp, x)  # 2 atanh(2x − 1) near ½, where log x − log1p(−x) cancels
    # the logits' difference from y − x, log1p(diff/x) − log1p(−diff/(1 − x)), unless an argument of log1p
    # nears −1 (y → 0 or y → 1, where 1 + it cancels); there the difference of the logits, far apart
    # (two terms of one sign at any y/x that is finite: log(y/x) + log1p(−x) − log1p(−y) cancelled 2.5 ulp at
    # x = 0.12, y = 0.33)
    close = (diff >= -0.5 * x) & (diff <= 0.5 * (1 - x)) & m.isfinite(diff / x)
    # apart: log(y/x) + log1p(−x) − log1p(−y), two terms of one sign (log y − log x where y/x over- or
    # underflows); the difference of the logits would cancel for tiny x, y (η ≈ −379 each, d ≈ 1)
    q = y / x
    ok_q = m.isfinite(q) & (q >= 2.2250738585072014e-308)  # not subnormal: every digit of y/x kept
    log_q = m.where(ok_q, m.log(m.where(ok_q, q, xp.full_like(q, 1.0))), m.log(y) - m.log(x))
    d = m.where(close, m.log1p(diff / x) - m.log1p(-diff / (1 - x)), log_q + (m.log1p(-x) - m.log1p(-y)))
    # A″ has its poles at 2πik: the segment [η_x, η_y] is far enough from them when it is short, or when it
    # lies on one side of 0 and is no longer than its distance to 0 (both λ tiny: η ≈ −700; the poles then
    # lie ≥ 2 half-lengths away: Gauss–Legendre's error below 4.2⁻⁴⁸)
    eta_y = _logit(xp, y)  # itself: η_x + d cancels where η_y ≪ η_x
    gap = m.minimum(m.abs(eta), m.abs(eta_y))
    near = (m.abs(d) <= 8.0) | ((eta * eta_y > 0) & (m.abs(d) <= gap))
    acc = xp.zeros_like(d * 1.0)
    for s, w in zip(*_gauss_legendre()):  # 24-point Gauss–Legendre on [0, 1], weights w·(1 − s)
        acc = acc + w * _variance(xp, eta + s * d)
    inner = d * d * acc
    # the three-point form KL(x ‖ ½) + KL(½ ‖ y) − (η_y/2)·L(η_x/2) (L(h) = coth h − 1/h = 2μ − 1), from the
    # inputs as given (each part is symmetric under the reflection): −H(x) ≥ 0, log(sinh h_y/h_y) ≥ 0 and a third
    # term ≥ 0 where x and y lie on either side of ½ — three positive terms, used there at any distance (near
    # P = Q too: their sum is (η_x − η_y)²/24 + …); where they share a side the third is negative but at most a
    # sixth of the second far apart. A(η_y) − A(η_x) − d·μ(x) cancelled its terms of size |η| (14 ulp at
    # x = 1 − 2⁻⁵³), and Gauss–Legendre lost 7 ulp to A″'s roundings over a long segment
    hx, hy = 0.5 * _logit(xp, x0), 0.5 * _logit(xp, y0)
    positive, third = cbern_negentropy(xp, x0) + _log_sinhc(xp, hy), hy * _coth_minus_inv(xp, hx)
    far = positive - third
    # any side: taken wherever it cancels at most 2× (the third a third of the others or less: one λ near ½,
    # the other far) — there it beats Gauss–Legendre's ~5 ulp over a long segment and the tail's 3–6× cancellation
    apart = (hx * hy <= 0) | (3 * m.abs(third) <= positive)
    # both logits negative: A(η) = −log(−η) + log1p(−e^η), so the KL is −log1pmx(η_y/η_x − 1) ≥ 0, with
    # η_y/η_x − 1 = d/η_x, plus the same Bregman form of log1p(−e^η) (below e^η: small where the first is not);
    # the three logarithms of the direct form cancel there (η_x = −312, η_y = −144: 25×)
    neg = (eta <= -1.0) & (eta_y < 0)  # η_x near 0: d·e^η/(1 − e^η) would be large and cancel
    ex = m.exp(m.where(neg, eta, xp.full_like(eta, -1.0)))
    safe_eta = m.where(neg, eta, xp.full_like(eta, -1.0))
    safe_eta_y = m.where(neg, eta_y, xp.full_like(eta, -1.0))

    def log_one_minus_exp(v):  # log(1 − e^v), v < 0: log(−expm1 v) near 0, where 1 − e^v cancels
        return m.where(v < -1.0, m.log1p(-m.exp(v)), m.log(-m.expm1(v)))
    u = d / safe_eta
    # near u = −1 (η_y ≪ η_x) 1 + u is the ratio η_y/η_x itself, taken as the quotient (u's rounding would
    # dominate 1 + u)
    ratio = safe_eta_y / safe_eta
    # for ρ = η_y/η_x in [¼, ½] (u in [−¾, −½]) with z = (1 − ρ)/(1 + ρ) = −d/(η_x + η_y) (from d, not from ρ):
    # ρ − 1 − log ρ = 2(atanh z − z) + 2z²/(1 + z), two positive terms (u − log ρ cancelled 3–6×: 8 ulp)
    zmask = (u < -0.5) & (ratio >= 0.25)
    z = -d / (safe_eta + safe_eta_y)
    zform = _on(xp, zmask, lambda xp, v: 2 * v * v * v * _poly(xp, v * v) + 2 * v * v / (1 + v), z)
    main = m.where(u >= -0.5, -log1pmx(xp, u), m.where(zmask, zform, u - m.log(ratio)))
    tail = main + ((log_one_minus_exp(safe_eta_y) - log_one_minus_exp(safe_eta)) + d * ex / (-m.expm1(safe_eta)))
    # (every form here rounds its parts — Gauss–Legendre's sum, the tails' logarithms: 4–6 ulp; cbern_kl replaces
    # them inside (0, 1) by the double-double forms)
    return m.where(apart, far, m.where(near, inner, m.where(neg, tail, far)))


#: below this share of its parts the KL keeps the float forms near P = Q (the double-double difference keeps
#: ~100 bits of the parts: ~2⁻⁵⁶ of the KL at 2⁻⁴⁴ of them)
_KL_SHARE = 2.0**-44


def _inside(x, y):
    """Both parameters inside (0, 1), where the double-double forms are defined (the ends keep the float limits)."""
    return (x > 0) & (x < 1) & (y > 0) & (y < 1)


def _dd_fix(xp, out, redo, x, y, f):
    """out with the elements where ``redo`` replaced by f(x, y), a numpy double-double kernel (:mod:`..cbern_dd`)
    on 1-d arrays: numpy in place; torch with those elements on the CPU, added as a detached correction (a traced
    graph keeps the float form's derivative, which the stable symbolic derivative replaces anyway)."""
    m = xp.m
    if xp.kind == "numpy":
        if not np.any(redo):
            return out
        shape = np.shape(out)
        flat = np.array(out, dtype=np.float64).reshape(-1)
        xv, yv = (np.broadcast_to(v, shape).reshape(-1) for v in (x, y))
        idx = np.flatnonzero(np.broadcast_to(redo, shape))
        flat[idx] = f(xv[idx], yv[idx])
        return flat.reshape(shape) if shape else flat[0]
    if not bool(redo.any()):  # one device sync; the copies only where there are any
        return out
    x_, y_, _ = m.broadcast_tensors(x, y, out)
    xt, yt, ot = (v.detach()[redo].cpu().numpy() for v in (x_, y_, out))
    with np.errstate(invalid="ignore"):
        value = f(xt, yt)
        fix = value - ot
    # where either is ±∞ (a derivative beyond DBL_MAX at λ = 5e-324) the value itself, not ∞ − ∞
    whole = ~np.isfinite(fix)
    corr, put = m.zeros_like(out.detach()), m.zeros_like(out.detach())
    corr[redo] = m.as_tensor(np.where(whole, 0.0, fix), dtype=out.dtype).to(out.device)
    put[redo] = m.as_tensor(np.where(whole, value, 0.0), dtype=out.dtype).to(out.device)
    keep = m.zeros_like(redo)
    keep[redo] = m.as_tensor(whole).to(out.device)
    return m.where(keep, put, out + corr)


def cbern_var(xp, x):
    """A″(logit x), the variance of ContinuousBernoulli(x): :func:`_variance` at the logit (from 2 atanh(2x − 1)
    near ½), whose series and cosh forms do not cancel (the definition's 1/η² − x(1 − x)/t² is ∞ − ∞ at ½)."""
    return _variance(xp, _logit(xp, xp.asarray(x)))


def cbern_xent(xp, x, y):
    """H(CB(x), CB(y)): numpy rounds it once from double-doubles inside (0, 1) (:func:`..cbern_dd.cbern_xent_dd`; the
    float forms below left up to ~5 ulp where they do not cancel, from the logits' and G's roundings); torch keeps
    the float forms on the device, corrected on the CPU where their parts cancel (:func:`_cbern_xent_float`)."""
    if xp.kind == "numpy":
        return _dd_first(x, y, cbern_dd.cbern_xent_dd, lambda a, b: _cbern_xent_float(xp, a, b))
    return _cbern_xent_float(xp, x, y)


def _cbern_xent_float(xp, x, y):
    """H(CB(x), CB(y)) = A(η_y) − η_y·μ(x) = KL(½ ‖ y) − (η_y/2)·L(η_x/2) = log(sinh h_y/h_y) − h_y·(coth h_x −
    1/h_x), h = logit(λ)/2: two terms, each without cancellation (logit from 2 atanh(2λ − 1) near ½), or the
    direct form where its terms are smaller; they cancel where the cross-entropy itself crosses 0. H(P) + KL(P ‖ Q) cancelled wherever the value was
    small against −H(P) (25 ulp at x = 1 − 2⁻⁵³, y = 0.525)."""
    m = xp.m
    x, y = xp.asarray(x), xp.asarray(y)
    hx, hy = 0.5 * _logit(xp, x), 0.5 * _logit(xp, y)
    g, cross = _log_sinhc(xp, hy), hy * _coth_minus_inv(xp, hx)
    # on one side of ½ and far from it the two parts are ≈ |h_y| each (G ≈ |h| − log 2|h|, |L| → 1): there the
    # direct A(η_y) − η_y·μ(x), whose parts are log|η_y| and |η_y|·μ(x) (λ₁ = 1e-17, λ₂ = 5e-324: 60× less
    # cancellation); each point takes the form whose parts are smaller
    log_c, log_q = m.log(logit_ratio(xp, y)), m.log1p(-y)
    lin = 2 * hy * cbern_mean(xp, x)
    # A(η_y)'s own two logarithms count as parts: they cancel near λ₂ = ½ (25× at λ₂ = 0.487, 9 ulp)
    direct = m.abs(log_c) + m.abs(log_q) + m.abs(lin) < g + m.abs(cross)
    out = m.where(direct, (-log_c - log_q) - lin, g - cross)
    # near the zero curve G(h_y) and h_y·L(h_x) cancel to any degree (696 ulp at λ₁ = 1.1e-17, λ₂ = 2.1e-91): where
    # they cancel by more than 2×, both as double-doubles (absolute error ~2⁻¹⁰⁰ of the parts), rounded once
    redo = _inside(x, y) & m.isfinite(out) & (m.abs(out) < 0.9 * (g + m.abs(cross)))
    return _dd_fix(xp, out, redo, x, y, cbern_dd.cbern_xent_dd)


# -- the negative entropy −H = KL(CB(x) ‖ U(0, 1)), even in t = 2x − 1 (H(x) = H(1 − x)) ----------------------------
def _negentropy_t_coefficients(terms: int) -> tuple:
    """−H = log S + S − 1 + ½ log(1 − q) with S = atanh(t)/t = Σ qⁿ/(2n + 1), q = t²: its power series
    Σ_{k≥1} d_k q^k (d₁ = 1/6, d₂ = 1/15, …; the terms of the closed form cancel 4:1 at q → 0, the series does not),
    composed at 60 digits (log S by L′ = S′/S)."""
    import mpmath

    with mpmath.workdps(60):
        s = [mpmath.mpf(1) / (2 * n + 1) for n in range(terms + 1)]
        log_s = [mpmath.mpf(0)] * (terms + 1)
        for n in range(1, terms + 1):
            log_s[n] = s[n] - sum(k * log_s[k] * s[n - k] for k in range(1, n)) / n
        return tuple(float(log_s[k] + s[k] - mpmath.mpf(1) / (2 * k)) for k in range(1, terms + 1))





@lru_cache(maxsize=None)
def _neg_t(terms: int) -> tuple:
    return _negentropy_t_coefficients(terms)


#: e as a double-double: log(2a) − 1 = log1p((2a − e)/e) keeps the digits that cancel near 2a = e
_E_HI, _E_LO = 2.718281828459045, 1.4456468917292502e-16


def _horner(xp, coeffs, z):
    acc = xp.full_like(z, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        acc = acc * z + c
    return acc * z


def cbern_negentropy(xp, x):
    """−H(CB(x)) = h·L(h) − G(h) (the cross-entropy at y = x, negated): numpy rounds it once from double-doubles
    inside (0, 1) (:func:`..cbern_dd.cbern_xent_dd`; both parts are ~h²/3, h²/6 near ½, so nothing cancels beyond
    2×; the float forms below left up to 4 units); torch keeps :func:`_negentropy_float`."""
    if xp.kind == "numpy":
        # (0 − v, not −v: +0 at x = ½)
        return _dd_first(x, x, lambda a, b: 0.0 - cbern_dd.cbern_xent_dd(a, a), lambda a, b: _negentropy_float(xp, a))
    return _negentropy_float(xp, x)


def _negentropy_float(xp, x):
    """−H(CB(x)) = KL(CB(x) ‖ U(0, 1)) = log C + log(1 − x) + x·C − 1 (C = logit_ratio) ≥ 0, 0 at x = ½, where the
    closed form's terms of size 1 cancel to O(t²). With y = min(x, 1 − x) (1 − x exact for x ≥ ½) and t = 1 − 2y
    (exact for y ≥ ¼, within half an ulp below): for t ≤ 0.9 the series Σ d_k t^{2k} of positive terms (40 of
    them for t ≤ ½, 200 to 0.9: the radius is 1); beyond, a = ½(log1p(−y) − log y) ≥ atanh 0.9 = 1.47 and
    −H = a coth a − 1 − log(sinh a/a) = log1p((2a − e)/e) + 2a·e^{−2a}/(1 − e^{−2a}) − log1p(−e^{−2a}), three
    positive terms for 2a ≥ e (e as a double-double: 2a − e keeps its digits)."""
    m = xp.m
    x = xp.asarray(x)
    y = m.where(x >= 0.5, 1 - x, x)
    t = 1 - 2 * y
    near, mid = t <= 0.5, (t > 0.5) & (t <= 0.9)
    series = (_on(xp, near, lambda xp, u: _horner(xp, _neg_t(40), u * u), t)
              + _on(xp, mid, lambda xp, u: _horner(xp, _neg_t(200), u * u), t))
    big = near | mid
    a = 0.5 * (m.log1p(-y) - m.log(m.where(big, xp.full_like(y, 0.01), y)))
    # 2a·e^{−2a}/(1 − e^{−2a}) rather than 2a/expm1(2a), which overflows (to the right 0) for a > 354
    e = m.exp(-2 * a)
    far = m.log1p(((2 * a - _E_HI) - _E_LO) / _E_HI) + 2 * a * e / (-m.expm1(-2 * a)) - m.log1p(-e)
    return m.where(big, series, far)


# -- mpmath: the definitions at a precision raised by the bits t = 2x − 1 cancels -------------------------------
def _mp(f):
    import mpmath

    def kernel(x):
        x = mpmath.mpf(x)
        t = 2 * x - 1
        extra = max(0, -mpmath.mag(t)) if t != 0 else 0
        with mpmath.workprec(mpmath.mp.prec + 2 * extra + 20):
            return +f(mpmath, x, t)

    return kernel


MPMATH = {
    "logit_ratio": _mp(lambda mp, x, t: mp.mpf(2) if t == 0 else (mp.log(x) - mp.log1p(-x)) / t),
    "cbern_mean": _mp(lambda mp, x, t: mp.mpf(0.5) if t == 0 else x / t - 1 / (mp.log(x) - mp.log1p(-x))),
}


def _mp_cbern_kl(x, y):
    import mpmath

    x, y = mpmath.mpf(x), mpmath.mpf(y)
    if x == y:
        return mpmath.mpf(0)
    extra = 2 * max(0, -mpmath.mag(y - x)) + 40
    with mpmath.workprec(mpmath.mp.prec + extra):
        def big_a(v):
            return -mpmath.log(MPMATH["logit_ratio"](v)) - mpmath.log1p(-v)

        logit = lambda v: mpmath.log(v) - mpmath.log1p(-v)  # noqa: E731
        return +(big_a(y) - big_a(x) - (logit(y) - logit(x)) * MPMATH["cbern_mean"](x))


MPMATH["cbern_kl"] = _mp_cbern_kl
# −H: its terms cancel by 2·log₂|t| bits near ½, which _mp's precision covers when logit x is taken as 2 atanh t
# (t = 2x − 1 exact; log x − log1p(−x) would lose another log₂|t| bits itself)
# near ½; far from it t = 2x − 1 may round to ±1 (x < 2^−prec) where the logarithms do not cancel
def _mp_negentropy(mp, x, t):
    if t == 0:
        return mp.mpf(0)
    lg = 2 * mp.atanh(t) if abs(t) <= 0.5 else mp.log(x) - mp.log1p(-x)
    return mp.log(lg / t) + mp.log1p(-x) + x * lg / t - 1


MPMATH["cbern_negentropy"] = _mp(_mp_negentropy)


def _mp_cbern_xent(x, y):
    """log(sinh h_y/h_y) − h_y·(coth h_x − 1/h_x), h = atanh(2λ − 1), with the bits each part cancels near h = 0
    (2·log₂(1/|h|)) and those of t = 2λ − 1 (exact at the raised precision) added."""
    import mpmath

    x, y = mpmath.mpf(x), mpmath.mpf(y)
    base = mpmath.mp.prec
    with mpmath.workprec(base + 1100):  # 2λ − 1 exact for every double λ
        tx, ty = 2 * x - 1, 2 * y - 1
    extra = sum(2 * max(0, -mpmath.mag(t)) for t in (tx, ty) if t != 0) + 40

    def parts():
        hx = mpmath.atanh(tx) if abs(tx) <= 0.5 else (mpmath.log(x) - mpmath.log1p(-x)) / 2
        hy = mpmath.atanh(ty) if abs(ty) <= 0.5 else (mpmath.log(y) - mpmath.log1p(-y)) / 2
        g = mpmath.log(mpmath.sinh(hy) / hy) if hy != 0 else mpmath.mpf(0)
        lx = mpmath.coth(hx) - 1 / hx if hx != 0 else mpmath.mpf(0)
        return g, hy * lx

    with mpmath.workprec(base + extra):
        g, p = parts()
        # near its zero curve the two parts cancel by as many bits as they exceed the value: again with those
        lost = mpmath.mag(g) - mpmath.mag(g - p) if g != p else base
        if lost > 20:
            with mpmath.workprec(base + extra + min(lost, 4 * base) + 20):
                g, p = parts()
        return +(g - p)


MPMATH["cbern_xent"] = _mp_cbern_xent


def _mp_cbern_var(x):
    """1/η² − 1/(4 sinh²(η/2)) at a precision raised by the bits its terms (~1/η²) cancel to 1/12."""
    import mpmath

    x = mpmath.mpf(x)
    base = mpmath.mp.prec
    with mpmath.workprec(base + 1100):  # 2x − 1 exact for every double x
        t = 2 * x - 1
    if t == 0:
        return mpmath.mpf(1) / 12
    with mpmath.workprec(base + 4 * max(0, -mpmath.mag(t)) + 40):
        eta = 2 * mpmath.atanh(t) if abs(t) <= 0.5 else mpmath.log(x) - mpmath.log1p(-x)
        return +(1 / eta**2 - 1 / (4 * mpmath.sinh(eta / 2) ** 2))


MPMATH["cbern_var"] = _mp_cbern_var


# -- the derivative pieces (symce.numeric.rewrite_cbern_gradients) --------------------------------------------
def cbern_logit(xp, x):
    """logit x: 2 atanh(2x − 1) near ½, log x − log1p(−x) elsewhere (:func:`_logit`)."""
    return _logit(xp, xp.asarray(x))


def cbern_dmean(xp, w, x):
    """w·cbern_var(x)/(x(1 − x)): the weight first (w = 0 at μ′ = ∞ is 0; no overflow of μ′ alone where w·μ′ is
    finite), three roundings after the variance (1 − x exact for x ≥ ½)."""
    x = xp.asarray(x)
    return (w * cbern_var(xp, x)) / (x * (1 - x))


def _mean_centred(xp, x):
    """cbern_mean(x) − ½ to full relative accuracy: tP/(2(1 + t²P)) for |t| ≤ ½ (the series without its ½), else
    μ − ½ (exact by Sterbenz for μ ≥ ¼; below, an absolute ulp(½): cbern_mean_gap then subtracts the means)."""
    m = xp.m
    x, t, near, safe_t, logit = _parts(xp, x)

    def series(xp, u):
        p = _poly(xp, u * u)
        return u * p / (2 * (1 + u * u * p))

    return m.where(near, _on(xp, near, series, t), (x / safe_t - 1 / logit) - 0.5)


def _gap_near(xp, x, y):
    """μ(y) − μ(x) for |2x − 1|, |2y − 1| ≤ ½ without cancellation as y → x: with μ − ½ = t·h(t²), h = P/(2(1 + t²P))
    (the series of cbern_mean), t_y h_y − t_x h_x = (t_y − t_x)·[h_y + t_x(t_x + t_y)(DD − P_xP_y)/(2D_xD_y)], D = 1 + t²P,
    DD = (P(q_y) − P(q_x))/(q_y − q_x) = Σ cₙ Sₙ with Sₙ = Σ_k q_y^k q_x^{n−1−k} ≥ 0 (no subtraction)."""
    from symce.numeric.impl.arrays.elementwise import _SERIES

    tx, ty = 2 * x - 1, 2 * y - 1
    qx, qy = tx * tx, ty * ty
    px, py = _poly(xp, qx), _poly(xp, qy)
    s_n, pw, dd = xp.full_like(qx, 1.0), qx, xp.full_like(qx, _SERIES[1])
    for c in _SERIES[2:32]:  # q ≤ ¼: ¼³⁰ < 2⁻⁵⁶
        s_n = qy * s_n + pw
        pw = pw * qx
        dd = dd + c * s_n
    dx, dy = 1 + qx * px, 1 + qy * py
    return (ty - tx) * (py / (2 * dy) + tx * (tx + ty) * (dd - px * py) / (2 * dx * dy))


def _gap_far(xp, x, y):
    """μ(y) − μ(x) = (x − y)/(t_x t_y) + (η_y − η_x)/(η_x η_y) (x/t's difference is exactly (x − y)/(t_x t_y)), with
    η_y − η_x = log1p((y − x)/x) − log1p((x − y)/(1 − x)), two terms of one sign: on one side of ½ with |t| ≥ 0.4
    the two parts cancel at most ~20× (1/t² against μ′), where μ(y) − μ(x) of the rounded means lost everything."""
    m = xp.m
    d = y - x
    tx, ty = 2 * x - 1, 2 * y - 1
    ex, ey = _logit(xp, x), _logit(xp, y)
    return -d / (tx * ty) + (m.log1p(d / x) - m.log1p(-d / (1 - x))) / (ex * ey)


def cbern_dxent(xp, x, y):
    """−logit(y)·μ′(x) (∂H(P, Q)/∂x; H′ at y = x): correctly rounded from double-doubles inside (0, 1)
    (:func:`..cbern_dd.grad_xent_dd`: the float product's five roundings left half the points 1 ulp off)."""
    def flt(x, y):
        return cbern_dmean(xp, -cbern_logit(xp, y), xp.asarray(x))

    return _rounded_once(xp, x, y, cbern_dd.grad_xent_dd, flt)


def _rounded_once(xp, x, y, dd, flt):
    """dd(x, y) (a numpy double-double kernel, correctly rounded) inside (0, 1), flt(x, y) at the ends: numpy
    without the float work inside; torch as flt corrected on the CPU."""
    if xp.kind == "numpy":
        return _dd_first(x, y, dd, flt)
    x, y = xp.asarray(x), xp.asarray(y)
    return _dd_fix(xp, flt(x, y), _inside(x, y), x, y, dd)


def cbern_dkl(xp, x, y):
    """(logit x − logit y)·μ′(x) (∂KL/∂x), the logits' difference from y − x near P = Q, in double-double inside
    (0, 1) (:func:`..cbern_dd.grad_kl_dd`)."""
    def flt(x, y):
        return cbern_dmean(xp, cbern_logit(xp, x) - cbern_logit(xp, y), xp.asarray(x))

    return _rounded_once(xp, x, y, cbern_dd.grad_kl_dd, flt)


def cbern_mean_gap(xp, x, y):
    """(μ(y) − μ(x))/(y(1 − y)): correctly rounded from double-doubles inside (0, 1) (:func:`..cbern_dd.mean_gap_dd`;
    the float forms below lost up to 12 ulp, and ∞ at λ₁ = 5e-324, λ₂ = 1e-8, where (y − x)/x overflowed)."""
    return _rounded_once(xp, x, y, cbern_dd.mean_gap_dd, lambda a, b: _mean_gap_float(xp, a, b))


def _mean_gap_float(xp, x, y):
    """(cbern_mean(y) − cbern_mean(x))/(y(1 − y)) as ((μ(y) − ½) − (μ(x) − ½))/(y(1 − y)): the ½ off both means,
    so near λ = ½ the difference keeps its relative accuracy (μ(½ ± 1e-9) − ½ = ±3.3e-10 whole, not ½'s ulp);
    it cancels only as far as μ(y) − μ(x) itself does near x = y."""
    m = xp.m
    x, y = xp.asarray(x), xp.asarray(y)
    # both far from ½ (|2λ − 1| > ½): the means themselves (μ − ½ would round to ulp(½) for μ < ¼: 791 ulp at
    # λ₁ = 5e-324, λ₂ = 1e-300); otherwise their centred parts
    ax, ay = m.abs(2 * x - 1), m.abs(2 * y - 1)
    far = (ax > 0.5) & (ay > 0.5)
    gap = m.where(far, cbern_mean(xp, y) - cbern_mean(xp, x), _mean_centred(xp, y) - _mean_centred(xp, x))
    # close pairs (λ₂ = λ₁ + ulp: the rounded means' difference was 1e15 ULP off): their difference quotients
    both_near = (ax <= 0.5) & (ay <= 0.5)
    # on one side of ½, with y − x > −¾x and x − y > −¾(1 − x) (log1p's arguments ≥ −¾: the logits' difference
    # exact to a few ulps; 63 ULP of the means' difference at λ₁ = 8e-111, λ₂ = 2.7e-108)
    near_pair = ((2 * x - 1) * (2 * y - 1) > 0) & (ax >= 0.4) & (ay >= 0.4) & ~both_near & (
        y >= 0.25 * x) & (1 - y >= 0.25 * (1 - x))
    gap = m.where(both_near, _on(xp, both_near, _gap_near, x, y), gap)
    gap = m.where(near_pair, _on(xp, near_pair, _gap_far, x, y), gap)
    return gap / (y * (1 - y))


def _mp_gap(x, y):
    import mpmath

    x, y = mpmath.mpf(x), mpmath.mpf(y)
    if x == y:
        return mpmath.mpf(0)
    with mpmath.workprec(mpmath.mp.prec + max(0, -mpmath.mag(y - x)) + 20):
        return +((MPMATH["cbern_mean"](y) - MPMATH["cbern_mean"](x)) / (y * (1 - y)))


def _mp_dmean(w, x):
    import mpmath

    w, x = mpmath.mpf(w), mpmath.mpf(x)
    with mpmath.workprec(mpmath.mp.prec + 20):
        return +(w * MPMATH["cbern_var"](x) / (x * (1 - x)))


def _mp_dxent(x, y):
    import mpmath

    with mpmath.workprec(mpmath.mp.prec + 20):
        return +_mp_dmean(-MPMATH["cbern_logit"](y), x)


def _mp_dkl(x, y):
    import mpmath

    x, y = mpmath.mpf(x), mpmath.mpf(y)
    if x == y:
        return mpmath.mpf(0)
    # the logits cancel by ~log₂|y − x| bits near x = y
    with mpmath.workprec(mpmath.mp.prec + max(0, -mpmath.mag(y - x)) + 20):
        return +_mp_dmean(MPMATH["cbern_logit"](x) - MPMATH["cbern_logit"](y), x)


MPMATH.update({"cbern_logit": _mp(lambda mp, x, t: mp.mpf(0) if t == 0 else mp.log(x) - mp.log1p(-x)),
               "cbern_dmean": _mp_dmean, "cbern_mean_gap": _mp_gap, "cbern_dxent": _mp_dxent, "cbern_dkl": _mp_dkl})
__all__ += ["cbern_logit", "cbern_dmean", "cbern_mean_gap", "cbern_dxent", "cbern_dkl"]
