"""KL between a probability vector and softmax logits (either way round), numpy and exact mpmath:
the kernels behind :class:`~symce.numeric.functions.prob_logit_kl` and ``logit_prob_kl``."""

from __future__ import annotations

import math

import mpmath
import numpy as np

from symce.numeric.impl.class_sum import sum_classes

# 1/n! for n = 2…31: (e^c − 1 − c)/c² = Σ c^{n−2}/n!, enough terms for |c| < 2 (2^30/32! < 2^−87)
_EXP_SERIES_2 = [1.0 / math.factorial(n) for n in range(2, 32)]
# the near form is used where every δ_j keeps ≥ 55 bits: the log ratio carries 64 (long double), so
# |δ_j| ≥ 2^−8·(|log(p_j/p_r)| + 1) (the + 1 for the rounding of p_j = a_j + b_j in long double)
_DELTA_GUARD = 2.0 ** -8


def _two_diff(a, b):
    """a − b as an unevaluated pair wh + wl (TwoSum: wh the rounded difference, wl its exact rounding
    error; 0 where wh overflowed)."""
    wh = a - b
    bb = wh - a
    return wh, np.where(np.isfinite(wh), (a - (wh - bb)) + (-b - bb), 0.0)


def _neumaier_rows(parts):
    """Σ over axis 0 of a 2-d array (Neumaier, column-wise)."""
    s = parts[0] * 1.0
    c = np.zeros_like(s)
    for x in parts[1:]:
        t = s + x
        c += np.where(np.abs(s) >= np.abs(x), (s - t) + x, (x - t) + s)
        s = t
    return np.where(np.isinf(s), s, s + c)


def _expm1mx(c):
    """φ(c) = e^c − 1 − c: its Taylor series for |c| < 2 (expm1(c) − c cancels there), expm1(c) − c elsewhere."""
    phi = np.expm1(c) - c
    small = np.abs(c) < 2
    if small.any():
        cs = c[small]
        acc = np.full_like(cs, _EXP_SERIES_2[-1])
        for coef in _EXP_SERIES_2[-2::-1]:
            acc *= cs
            acc += coef
        phi[small] = cs * cs * acc
    return phi


def _deltas(Z, zr, ell, pos, sign):
    """w = z − z_r as a TwoSum pair (wh, wl) and δ = sign·(w − ℓ) in long double (0 off the support), δ in
    float64, and where δ lost more than 8 bits to the cancellation of w against ℓ (the exact path's cue)."""
    wh, wl = _two_diff(Z, zr)
    delta_ld = np.where(pos, (wh - ell) + wl, 0) if sign > 0 else np.where(pos, (ell - wh) - wl, 0)
    delta = delta_ld.astype(np.float64)
    lossy = pos & (np.abs(delta) < _DELTA_GUARD * (np.abs(ell.astype(np.float64)) + 1)) & (delta != 0)
    return wh, wl, delta_ld, delta, lossy


def _mass(one, A, B, P):
    """(ε, S): ε = Σ p − 1 exactly-compensated from the parts p = a + b, and S = Σ p (0 and 1 when the p are
    known to sum to 1 identically)."""
    n = P.shape[1]
    if one:
        return np.zeros(n), np.ones(n)
    eps = _neumaier_rows(np.concatenate([A, B, -np.ones((1, n))]))
    # S = 1 + ε from the compensated ε, not the plain Σ p: that rounds (1 + 2⁻⁵² for ten probabilities summing
    # to exactly 1), and S scales the whole value and divides m, whose error e^{c} carries into log1p: the
    # categorical-k10 ‖ logits-k10 KL was 5–7 ULP at KL ≈ 27 (the k-class goal is 4)
    return eps, 1.0 + eps


def prob_logit_kl_numpy(careful, one, *args):
    """KL(p ‖ softmax z) with p_i = a_i + b_i (a constant part a_i and the rest b_i, e.g. 1 and −p for 1 − p).

    near form: S·log1p(ε + Σ_j p_j φ(c_j)), see :class:`~symce.numeric.functions.prob_logit_kl`;
    φ(c) by its Taylor series for |c| < 1, expm1(c) − c up to c = 30, and p_r e^{w_j + m} − p_j(1 + c_j)
    beyond (p_j e^{c_j} = p_r e^{w_j + m} exactly, without the large-argument exp of the rounded log ratio);
    classes with p_j = 0 contribute p_r e^{w_j + m}. Where that overflows, the far form
    Σ p log p + softmax_xent(p, z) (KL ≳ 700: nothing to cancel). Where some δ_j lost more than 8 bits to
    z_j − z_r ≈ log(p_j/p_r), the careful mpmath evaluation (rare: p within 2^−8 of softmax z)."""
    k = len(args) // 3
    shape = np.broadcast_shapes(*[np.shape(x) for x in args])
    A = np.stack([np.broadcast_to(np.asarray(x, np.float64), shape) for x in args[:k]]).reshape(k, -1)
    B = np.stack([np.broadcast_to(np.asarray(x, np.float64), shape) for x in args[k:2 * k]]).reshape(k, -1)
    Z = np.stack([np.broadcast_to(np.asarray(x, np.float64), shape) for x in args[2 * k:]]).reshape(k, -1)
    P = A + B
    n = P.shape[1]
    cols = np.arange(n)
    r = P.argmax(0)
    zr = Z[r, cols]
    # ℓ_j = log(p_j/p_r) in long double (p_j = a_j + b_j there too: 1 − p exact for p ≥ 2^−11)
    ld = np.longdouble
    Pl = A.astype(ld) + B.astype(ld)
    prl = Pl[r, cols]
    ratio = Pl / prl
    pos = P > 0
    with np.errstate(all="ignore"):
        ell = np.where(ratio >= 0.5, np.log1p((Pl - prl) / prl), np.log(np.where(pos, ratio, 1)))
        tiny = pos & (ratio < 1e-4900)  # long double underflow: log p_j − log p_r
        if tiny.any():
            ell = np.where(tiny, np.log(Pl) - np.log(prl), ell)
        # w_j = z_j − z_r double-length (TwoSum), δ_j = (ℓ_j − w_h) − w_l
        wh, wl, delta_ld, delta, lossy = _deltas(Z, zr, ell, pos, -1)
        eps, S = _mass(one, A, B, P)
        m = _neumaier_rows(np.where(pos, P * delta, 0.0)) / S
        c = m - delta
        # φ(c) = e^c − 1 − c: Taylor series for |c| < 2 (expm1(c) − c cancels there), expm1(c) − c below −2
        terms = P * _expm1mx(c)
        # above 2 (and for p_j = 0): p_j e^{c_j} − p_j(1 + c_j) in long double, c_j = m − δ_j from the
        # long-double δ_j (rounding δ_j to float64 first would cost |c_j|·2^−53 in e^{c_j}: 4 ULP at c = 9);
        # p_j = 0: p_r e^{w_j + m} (p_j e^{c_j} = p_r e^{w_j + m} for p_j > 0)
        big = (c >= 2) & pos
        if big.any():
            mb = np.broadcast_to(m, c.shape)[big]
            c_ld = mb - delta_ld[big]
            pb = Pl[big]
            terms[big] = (pb * np.exp(c_ld) - pb * (1 + c_ld)).astype(np.float64)
        zero = ~pos
        if zero.any():
            mb = np.broadcast_to(m, c.shape)[zero]
            w_ld = wh[zero].astype(ld) + wl[zero]
            terms[zero] = (np.broadcast_to(prl, c.shape)[zero] * np.exp(w_ld + mb)).astype(np.float64)
        Y = _neumaier_rows(np.concatenate([eps[None], terms]))
        near = S * np.log1p(Y)
        ok = np.isfinite(near) & np.isfinite(delta).all(0) & np.isfinite(m)
        # off the simplex a negative ε cancels against Σ p φ
        lossy_eps = (eps != 0) & (np.abs(Y) < 0.5 * np.abs(Y - eps))
    out = near
    if not ok.all():
        far = careful["_prob_logit_kl"](one, *[np.asarray(x) for x in (*A, *B, *Z)])
        out = np.where(ok, near, far)
    bad = (lossy.any(0) | lossy_eps) & ok
    if bad.any():
        idx = np.nonzero(bad)[0]
        out = np.array(out, dtype=np.float64)
        for j in idx:
            out[j] = float(prob_logit_kl_exact(A[:, j], B[:, j], Z[:, j]))
    return out.reshape(shape) if shape else out[0]


def prob_logit_kl_exact(a, b, z, bits: int = 53):
    """Σ p_i (log p_i − z_i) + (Σ p) logsumexp(z) at the exact inputs (p_i = a_i + b_i, every float exact).

    Each part is evaluated to relative precision (logsumexp as max + log1p of the rest, (Σ p)·lse as
    lse + (Σ p − 1)·lse), so their rounding errors are at most Σ|part|·2^−prec; the precision is doubled
    until the sum is larger than that bound by 2^(bits + 8). The sum is exactly 0 only for equal p_i
    (summing to 1) and equal z_i (e^{z_i − z_j} is irrational for z_i ≠ z_j, Lindemann)."""
    if all(x == a[0] and y == b[0] for x, y in zip(a, b)) and all(v == z[0] for v in z):
        with mpmath.workprec(2 * bits + 40):
            S = mpmath.fsum(mpmath.fadd(mpmath.mpf(x), mpmath.mpf(y), exact=True) for x, y in zip(a, b))
            if S == 1:
                return mpmath.mpf(0)
    prec = 2 * bits + 40
    while True:
        with mpmath.workprec(prec):
            p = [mpmath.fadd(mpmath.mpf(x), mpmath.mpf(y), exact=True) for x, y in zip(a, b)]
            zz = [mpmath.mpf(v) for v in z]
            r = max(range(len(zz)), key=lambda i: zz[i])
            lse = zz[r] + mpmath.log1p(mpmath.fsum(mpmath.exp(v - zz[r]) for i, v in enumerate(zz) if i != r))
            eps = mpmath.fsum([*p, -1])
            parts = [pi * (mpmath.log(pi) - zi) for pi, zi in zip(p, zz) if pi != 0] + [lse, eps * lse]
            val = mpmath.fsum(parts)
            bound = mpmath.fsum(abs(x) for x in parts) * mpmath.ldexp(1, 4 - prec)
        if abs(val) > bound * mpmath.ldexp(1, bits + 8) or prec >= 1 << 16:
            return val
        prec *= 2


def _log_ratio_ld(Pl, prl, pos):
    """log(p_j/p_r) in long double: log1p of the exact difference within a factor 2."""
    ratio = np.where(pos, Pl / prl, 1)
    ell = np.where((ratio >= 0.5) & (ratio <= 2), np.log1p((Pl - prl) / prl), np.log(ratio))
    tiny = pos & (ratio < 1e-4900)  # long double underflow: log p_j − log p_r
    if tiny.any():
        ell = np.where(tiny, np.log(np.where(pos, Pl, 1)) - np.log(prl), ell)
    return ell


def logit_prob_kl_numpy(careful, one, *args):
    """KL(softmax z ‖ q) with q_i = a_i + b_i: :func:`prob_logit_kl_numpy` with the roles swapped.

    δ_j = (z_j − z_r) − log(q_j/q_r) (r = argmax q; z_j − z_r double-length, the log ratio in long double),
    m = Σ s_i δ_i, c_j = m − δ_j, KL = log1p((Σ_j s_j φ(c_j) − ε)/Q); above c = 2 the term is
    e^{log(q_j/q_r) + m + log s_r} − s_j(1 + c_j) in long double (s_j e^{c_j} without z_j: it may round to 0)."""
    k = len(args) // 3
    shape = np.broadcast_shapes(*[np.shape(x) for x in args])

    def rows(xs):
        return np.stack([np.broadcast_to(np.asarray(x, np.float64), shape) for x in xs]).reshape(k, -1)

    Z, A, B = rows(args[:k]), rows(args[k:2 * k]), rows(args[2 * k:])
    Q = A + B
    n = Q.shape[1]
    cols = np.arange(n)
    # the reference class is the largest weight (max z): m = Σ s_i δ_i then has no large δ_i on a large
    # weight, and its rounding error enters KL to first order only through terms that are large already
    r = Z.argmax(0)
    ld = np.longdouble
    with np.errstate(all="ignore"):
        Ql = A.astype(ld) + B.astype(ld)
        qrl = Ql[r, cols]
        pos = Q > 0
        ell = _log_ratio_ld(Ql, qrl, pos & (qrl > 0))
        # softmax weights (max-shift with the shift's rounding error put back) and log s_r in long double
        mx = Z.max(0)
        am = Z.argmax(0)
        d = Z - mx
        bb = d - Z
        err = (Z - (d - bb)) + (-mx - bb)
        ex = np.exp(d)
        ex = ex + ex * np.where(np.isfinite(err), err, 0.0)
        sx = sum_classes(ex)
        S_ = ex / sx
        zr = Z[r, cols]
        wh, wl, delta_ld, delta, lossy = _deltas(Z, zr, ell, pos, +1)
        eps, Qs = _mass(one, A, B, Q)
        m = _neumaier_rows(np.where(S_ == 0, 0.0, S_ * delta))
        c = m - delta
        phi = _expm1mx(c)
        terms = S_ * phi
        big = ((c >= 2) | (S_ == 0)) & pos
        # weights below 2^−963 (subnormal or nearly, where s_j carries few digits): s_j in long double
        tw = pos & (S_ < 1e-290)
        if big.any() or tw.any():
            # log s_r = −log Σ e^{z − z_r} (r = argmax z), long double; log s_j = (z_j − z_r) + log s_r
            zl = Z.astype(ld)
            lsr = -np.log(sum_classes(np.exp(zl - zl[r, cols])))
            lsr_b = np.broadcast_to(lsr, c.shape)
            s_ld = np.exp((wh.astype(ld) + wl) + lsr_b)
            if tw.any():
                terms[tw] = (s_ld[tw] * phi[tw]).astype(np.float64)
            if big.any():
                mb = np.broadcast_to(m, c.shape)[big]
                c_ld = mb - delta_ld[big]
                e_ld = np.exp(ell[big] + mb + lsr_b[big])
                sb = s_ld[big]
                terms[big] = (e_ld - np.where(sb == 0, 0, sb * (1 + c_ld))).astype(np.float64)
        terms = np.where(pos, terms, 0.0)
        Y = _neumaier_rows(np.concatenate([-eps[None], terms]))
        near = np.log1p(Y / Qs)
        # a large |m| loses its absolute accuracy (KL is then far from 0: the far form); a class of weight 0
        # (s_j underflowed) enters through e^{log(q_j/q_r) + m + log s_r} alone, whatever its δ_j
        ok = np.isfinite(near) & np.isfinite(np.where(pos & (S_ > 0), delta, 0)).all(0) & (np.abs(m) <= 700)
        # off the simplex ε cancels against Σ s φ (the value is then as small as the rounding of Q)
        lossy_eps = (eps != 0) & (np.abs(Y) < 0.5 * np.abs(Y + eps))  # Y includes −ε
    out = near
    if not ok.all():
        # far: Σ s_i (log s_i − log q_i) with log q_i = log a_i + log1p(b_i/a_i) (1 − q keeps its digits)
        with np.errstate(all="ignore"):
            ls = d - np.log1p(sum_classes(np.where(np.arange(k)[:, None] == am, 0.0, ex)))
            lq = np.where(A != 0, np.log(np.abs(A)) + np.log1p(B / np.where(A != 0, A, 1)), np.log(B))
            far = _neumaier_rows(np.where(S_ == 0, 0.0, S_ * (ls - lq)))
        out = np.where(ok, near, far)
    out = np.where((~pos).any(0), np.inf, out)  # s_j > 0 exactly: a zero q_j makes the KL +∞
    bad = (lossy.any(0) | lossy_eps) & ok & pos.all(0)
    if bad.any():
        out = np.array(out, dtype=np.float64)
        for j in np.nonzero(bad)[0]:
            out[j] = float(logit_prob_kl_exact(Z[:, j], A[:, j], B[:, j]))
    return out.reshape(shape) if shape else out[0]


def logit_prob_kl_exact(z, a, b, bits: int = 53):
    """Σ s_i (log s_i − log q_i), s = softmax z, at the exact inputs (q_i = a_i + b_i); precision doubled
    until the sum exceeds the rounding bound of its parts by 2^(bits + 8)."""
    prec = 2 * bits + 40
    while True:
        with mpmath.workprec(prec):
            q = [mpmath.fadd(mpmath.mpf(x), mpmath.mpf(y), exact=True) for x, y in zip(a, b)]
            if any(v == 0 for v in q):
                return mpmath.inf
            zz = [mpmath.mpf(v) for v in z]
            r = max(range(len(zz)), key=lambda i: zz[i])
            gaps = [mpmath.fsub(v, zz[r], exact=True) for v in zz]
            lse = mpmath.log1p(mpmath.fsum(mpmath.exp(g) for i, g in enumerate(gaps) if i != r))
            ls = [g - lse for g in gaps]
            lq = [mpmath.log(v) for v in q]
            parts = [mpmath.exp(x) * (x - y) for x, y in zip(ls, lq)]
            val = mpmath.fsum(parts)
            bound = mpmath.fsum(mpmath.exp(x) * (abs(x) + abs(y)) for x, y in zip(ls, lq)) * mpmath.ldexp(1, 4 - prec)
        if val == 0 and all(g == 0 for g in gaps) and all(v == q[0] for v in q) and mpmath.fsum(q) == 1:
            return val
        if abs(val) > bound * mpmath.ldexp(1, bits + 8) or prec >= 1 << 16:
            return val
        prec *= 2


