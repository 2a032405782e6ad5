r"""Array kernels of :mod:`symce.numeric.functions.logit_ratio` (numpy and torch): with t = 2x − 1 and
P = Σ t²ⁿ/(2n + 3) (log1pmx's series, :func:`.elementwise._poly`), atanh(t)/t = 1 + t²P, so for |t| ≤ ½

    logit_ratio(x) = 2 + 2t²P,    cbern_mean(x) = ½ + tP/(2(1 + t²P)),

sums of positive terms (t is exact there: 2x − 1 for x ≥ ¼ by Sterbenz); for |t| > ½ the definitions with
logit x = log x − log1p(−x), which then cancel by less than a factor 3.
"""

from __future__ import annotations

from symce.numeric.impl.arrays.elementwise import _on, _poly


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


__all__ = ["logit_ratio", "cbern_mean"]


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
