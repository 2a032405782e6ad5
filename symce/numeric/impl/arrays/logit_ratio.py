r"""Array kernels of :mod:`symce.numeric.functions.logit_ratio` (numpy and torch): with t = 2x − 1 and
P = Σ t²ⁿ/(2n + 3) (log1pmx's series, :func:`.elementwise._poly`), atanh(t)/t = 1 + t²P, so for |t| ≤ ½

    logit_ratio(x) = 2 + 2t²P,    cbern_mean(x) = ½ + tP/(2(1 + t²P)),

sums of positive terms (t is exact there: 2x − 1 for x ≥ ¼ by Sterbenz); for |t| > ½ the definitions with
logit x = log x − log1p(−x), which then cancel by less than a factor 3.
"""

from __future__ import annotations

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


__all__ = ["logit_ratio", "cbern_mean", "cbern_kl"]


# -- the KL between two continuous Bernoullis: the Bregman divergence of A(η) = log((e^η − 1)/η) ------------------
def _var_coefficients(terms: int = 32) -> tuple:
    """A″(η) = 1/η² − 1/(4 sinh²(η/2)) = Σ_{k≥1} B₂ₖ(2k − 1)/(2k)!·η^{2k−2} (|η| < 2π), as floats."""
    import mpmath

    with mpmath.workdps(40):
        return tuple(float(mpmath.bernoulli(2 * k) * (2 * k - 1) / mpmath.factorial(2 * k))
                     for k in range(1, terms + 1))


_VAR = _var_coefficients()
#: 24-point Gauss–Legendre on [0, 1]: nodes s and weights w·(1 − s) of ∫₀¹ (1 − s) f(s) ds
_NODES, _WEIGHTS = (lambda u, w: ([float((a + 1) / 2) for a in u], [float(b / 2 * (1 - (a + 1) / 2))
                                                                       for a, b in zip(u, w)]))(
    *__import__("numpy").polynomial.legendre.leggauss(24))


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
    acc = xp.full_like(a, _VAR[-1])
    for c in reversed(_VAR[:-1]):
        acc = acc * a2 + c
    mid_a = m.where((a > 1.0) & (a <= 8.0), a, xp.full_like(a, 2.0))
    h = mid_a / 2
    num = xp.full_like(a, _COSH[-1])
    m2 = mid_a * mid_a
    for c in reversed(_COSH[:-1]):
        num = num * m2 + c
    ratio = m.sinh(h) / h
    mid = num / (ratio * ratio)
    big = m.where(a > 8.0, a, xp.full_like(a, 9.0))
    e = m.exp(-big)
    tail = 1 / (big * big) - e / (m.expm1(-big) ** 2)
    return m.where(a <= 1.0, acc, m.where(a <= 8.0, mid, tail))


def cbern_kl(xp, x, y):
    """KL(CB(x) ‖ CB(y)) = d²∫₀¹(1 − s)A″(η_x + s·d)ds with d = η_y − η_x = log1p((y − x)/x) −
    log1p((x − y)/(1 − x)) (the difference of the logits from y − x, exact near y = x) by 24-point
    Gauss–Legendre where |d| ≤ 8 or the segment is short against its distance to 0 (A″ is analytic
    within 2π of the real axis and away from 0: error below 10⁻²⁵); farther apart
    A(η_y) − A(η_x) − d·μ(x), A = −log logit_ratio − log(1 − λ), which no longer cancels much."""
    m = xp.m
    x, y = xp.asarray(x), xp.asarray(y)
    # KL(CB(x) ‖ CB(y)) = KL(CB(1 − x) ‖ CB(1 − y)) (X ↦ 1 − X): x ≥ ½ is reflected (1 − x exact), so that
    # λ near 1 is λ near 0, where log λ keeps its digits — unless y < ¼, whose 1 − y would round away y
    flip = (x >= 0.5) & (y >= 0.25)
    x, y = m.where(flip, 1 - x, x), m.where(flip, 1 - y, y)
    diff = y - x
    eta = m.log(x) - m.log1p(-x)
    # the logits' difference from y − x, log1p(diff/x) − log1p(−diff/(1 − x)), unless an argument of log1p
    # nears −1 (y → 0 or y → 1, where 1 + it cancels); there the difference of the logits, far apart
    close = (diff >= -0.5 * x) & (diff <= 0.5 * (1 - x)) & (diff <= x)
    # apart: log(y/x) + log1p(−x) − log1p(−y), two terms of one sign (log y − log x where y/x over- or
    # underflows); the difference of the logits would cancel for tiny x, y (η ≈ −379 each, d ≈ 1)
    q = y / x
    ok_q = m.isfinite(q) & (q >= 2.2250738585072014e-308)  # not subnormal: every digit of y/x kept
    log_q = m.where(ok_q, m.log(m.where(ok_q, q, xp.full_like(q, 1.0))), m.log(y) - m.log(x))
    d = m.where(close, m.log1p(diff / x) - m.log1p(-diff / (1 - x)), log_q + (m.log1p(-x) - m.log1p(-y)))
    # A″ has its poles at 2πik: the segment [η_x, η_y] is far enough from them when it is short, or when it
    # lies on one side of 0 and is no longer than its distance to 0 (both λ tiny: η ≈ −700; the poles then
    # lie ≥ 2 half-lengths away: Gauss–Legendre's error below 4.2⁻⁴⁸)
    eta_y = m.log(y) - m.log1p(-y)  # itself: η_x + d cancels where η_y ≪ η_x
    gap = m.minimum(m.abs(eta), m.abs(eta_y))
    near = (m.abs(d) <= 8.0) | ((eta * eta_y > 0) & (m.abs(d) <= gap))
    acc = xp.zeros_like(d * 1.0)
    for s, w in zip(_NODES, _WEIGHTS):
        acc = acc + w * _variance(xp, eta + s * d)
    inner = d * d * acc
    far = (m.log(logit_ratio(xp, x)) + m.log1p(-x) - m.log(logit_ratio(xp, y)) - m.log1p(-y)
           - d * cbern_mean(xp, x))
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
    main = m.where(u >= -0.5, -log1pmx(xp, u), u - m.log(ratio))
    tail = main + ((log_one_minus_exp(safe_eta_y) - log_one_minus_exp(safe_eta)) + d * ex / (-m.expm1(safe_eta)))
    return m.where(near, inner, m.where(neg, tail, far))


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
