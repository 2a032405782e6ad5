r"""The array KL kernels between logit vectors, for numpy or torch (each takes the array namespace ``xp``
first): KL(softmax x ‖ softmax y), and the careful (torch, and numpy fallback) forms of the KL between
a probability vector and softmax logits either way round (numpy's fast forms: :mod:`..mixed_kl`).

KL(softmax x ‖ softmax y) = log Σ_j s_j e^{c_j} with s = softmax x and c_j = Σ_i s_i δ_i − δ_j,
δ = (x − y) − (x_r − y_r) for r = argmax x; since Σ_j s_j c_j = 0 this is log1p(Σ_j s_j (e^{c_j} − 1 − c_j)),
every term ≥ 0, so nothing cancels where the KL is small.
"""

from __future__ import annotations

from symce.numeric.impl.arrays.elementwise import _neumaier, _on, rel_entr_sum_pos, xlogy
from symce.numeric.impl.arrays.softmax import (_double, _exp_shifted, _max_arg, _scaled_softmax, _two_diff, _wmul, softmax,
                                               softmax_xent)
from symce.numeric.impl.class_sum import sum_classes
from symce.numeric.impl.constants import _EXP_SERIES


def _exp_series(xp, c):
    """Σ_{n≥2} c^n/n! (Horner on the coefficients 1/n!, times c²)."""
    acc = xp.full_like(c, _EXP_SERIES[-1])
    for coef in reversed(_EXP_SERIES[:-1]):
        acc = acc * c + coef
    return c * c * acc


def _expm1mx(xp, c):
    """e^c − 1 − c (≥ 0): Taylor series Σ_{n≥2} c^n/n! for |c| < 1 (expm1(c) − c cancels there), on
    those elements only."""
    m = xp.m
    small = m.abs(c) < 1
    return m.where(small, _on(xp, small, _exp_series, c), m.expm1(c) - c)


def softmax_kl(xp, *args):
    m = xp.m
    k = len(args) // 2
    x, y = xp.stack(args[:k]), xp.stack(args[k:])
    # the weights s = softmax x as w·2^{−N}: a class whose weight underflows (gap > 745) still counts
    # where it multiplies a huge logit difference (s_j·δ_j = e^{−800}·1e308), and a subnormal weight
    # keeps all its bits (a subnormal KL is then right to the last place)
    w, n, mx, am, idx, rest_x = _scaled_softmax(xp, x)
    # d = x − y as a double-length hi + lo (TwoSum), then δ = d − d_r for the reference r = argmax x:
    # a common shift of the logits cancels exactly and the near-equal differences keep every bit
    dh, dl = _two_diff(xp, x, y)
    at_r = idx == am
    dh_r = m.where(at_r, dh, 0.0).sum(0)
    dl_r = m.where(at_r, dl, 0.0).sum(0)
    delta = (dh - dh_r) + (dl - dl_r)
    dbar = _neumaier(xp, list(_wmul(xp, w, n, delta)))
    c = dbar - delta
    # near: log Σ_j s_j e^{c_j} = log1p(Σ_j s_j (e^{c_j} − 1 − c_j)) (Σ s_j c_j = 0 used exactly).
    # For c_j ≥ 2, e^{c_j} of the rounded c_j would be off by |c_j|·2^−53 relative (16 ULP at c = 37);
    # there s_j e^{c_j} = e^{(y_j − y_r) + Σ s_i δ_i}/Σ_i e^{x_i − x_r} exactly, the exponent a TwoSum pair
    # (and no weight in it: a class whose weight underflows counts as much as its e^{c_j} says)
    big = c >= 2.0
    terms = _wmul(xp, w, n, _expm1mx(xp, m.where(big, 0.0, c)))
    if bool(big.any()):
        y_r = m.where(at_r, y, 0.0).sum(0)
        grid = xp.zeros_like(y)
        terms = m.where(big, _on(xp, big, _big_term, y, y_r + grid, dbar + grid, rest_x + grid, w, n, c), terms)
    near = m.log1p(_neumaier(xp, list(terms)))
    ok = m.isfinite(near)
    if bool(ok.all()):
        return near
    # far (e^{c_j} overflowed, or δ did: KL is then not small), on those elements only
    if x.ndim == 1:  # one point (the math backend)
        return m.where(ok, near, _softmax_kl_far(xp, x, y, w, n, mx, rest_x))
    bad = ~ok
    far = _softmax_kl_far(xp, x[:, bad], y[:, bad], w[:, bad], n[:, bad], mx[bad], rest_x[bad])
    out = near * 1.0
    out[bad] = far
    return out


def _big_term(xp, y, y_r, dbar, rest_x, w, n, c):
    """s_j (e^{c_j} − 1 − c_j) for c_j ≥ 2, s_j e^{c_j} from the exact identity above."""
    m = xp.m
    yh, yl = _two_diff(xp, y, y_r)
    th = yh + dbar
    bb = th - yh
    tl = m.where(m.isfinite(th), ((yh - (th - bb)) + (dbar - bb)) + yl, 0.0)
    e = m.exp(th)
    return (e + e * tl) / (1 + rest_x) - _wmul(xp, w, n, 1 + c)


def _softmax_kl_far(xp, x, y, w, n, mx, rest_x):
    """Σ_i s_i (g(y)_i − g(x)_i) with the gaps g(v)_i = logsumexp(v) − v_i ≥ 0, all halved so logits of
    opposite signs near ±DBL_MAX do not overflow (the halving and doubling are exact)."""
    m = xp.m
    my, amy, idx = _max_arg(xp, y)
    ey = _exp_shifted(xp, y, my)
    hx = (mx * 0.5 - x * 0.5) + 0.5 * m.log1p(rest_x)
    hy = (my * 0.5 - y * 0.5) + 0.5 * m.log1p(sum_classes(m.where(idx == amy, 0.0, ey)))
    return _double(xp, _neumaier(xp, list(_wmul(xp, w, n, hy - hx))))


def prob_logit_kl(xp, one, *args, scale=1):
    """scale·(Σ p_i log p_i + softmax_xent(p, z)) with p_i = a_i + b_i: exact to the definition for p off the
    simplex, without cancellation where KL ≫ H(p) (the numpy version adds the near form). scale (the
    Multinomial's n) inside the weights, Σ xlogy(n·p_i, p_i) + softmax_xent(n·p, z) (both linear in the
    weights): n·(a sum rounded up near DBL_MAX/n) overflowed where the value is just below DBL_MAX."""
    k = len(args) // 3
    p = [xp.asarray(a) + xp.asarray(b) for a, b in zip(args[:k], args[k:2 * k])]
    w = p if scale == 1 else [scale * v for v in p]
    return _neumaier(xp, [*[xlogy(xp, u, v) for u, v in zip(w, p)], softmax_xent(xp, *w, *args[2 * k:])])


def logit_prob_kl(xp, one, *args):
    """rel_entr_sum of the softmax weights against q_i = a_i + b_i (+∞ where some q_i = 0)."""
    k = len(args) // 3
    zs = args[:k]
    q = [xp.asarray(a) + xp.asarray(b) for a, b in zip(args[k:2 * k], args[2 * k:])]
    return rel_entr_sum_pos(xp, *[softmax(xp, z, *zs) for z in zs], *q)
