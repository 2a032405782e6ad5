"""The mpmath backend: each function at a working precision raised by the bits its cancellation costs."""

from __future__ import annotations

import mpmath

from symce.numeric import special
from symce.numeric.impl import gamma_kernels
from symce.numeric.impl.arrays import log_diff as log_diff_kernels
from symce.numeric.impl import digamma_diff as digamma_diff_kernels
from symce.numeric.impl import log_beta as log_beta_kernels
from symce.numeric.impl import dirichlet_xent as dirichlet_xent_kernels
from symce.numeric.impl import kl_share as kl_share_kernels
from symce.numeric.impl import scaled_kl as scaled_kl_kernels
from symce.numeric.impl import weight_quotient as weight_quotient_kernels
from symce.numeric.impl import log_gap as log_gap_kernels
from symce.numeric.impl import sigmoid_mix as sigmoid_mix_kernels
from symce.numeric.impl import exp_excess as exp_excess_kernels
from symce.numeric.impl import exp_ramp as exp_ramp_kernels
from symce.numeric.impl import gamma_scaled_grad as gamma_scaled_grad_kernels
from symce.numeric.impl import trigamma_diff as trigamma_diff_kernels
from symce.numeric.impl.arrays import logit_ratio as logit_ratio_kernels
from symce.numeric.impl.arrays import vonmises as vonmises_kernels
from symce.numeric.impl import vonmises_grad as vonmises_grad_kernels
from symce.numeric.impl.logprod import logprod_offset_mp
from symce.numeric.impl.logsum import rational_log_sum_mp
from symce.numeric.impl.screened_sum import screened_sum_mp
from symce.numeric.impl.mixed_kl import logit_prob_kl_exact, prob_logit_kl_exact


def _extra_bits(*vals) -> int:
    """Guard bits for a cancellation of size |vals[0]| against the others: −log2 of the ratio, ≥ 0."""
    try:
        mags = [mpmath.mag(v) for v in vals if v != 0]
    except (TypeError, ValueError):
        return 20
    if len(mags) < 2:
        return 20
    return max(0, max(mags[1:]) - mags[0]) * 2 + 20


def _expm1mx(c):
    """e^c − 1 − c at the working precision: the series Σ_{n≥2} c^n/n! for |c| < 1/2 (expm1(c) − c cancels
    there, by 2·log2(1/|c|) bits: unbounded for c = e^{−10^308}-size differences), else expm1(c) − c."""
    mp = mpmath.mp
    if abs(c) >= 0.5:
        with mpmath.workprec(mp.prec + 10):
            return +(mpmath.expm1(c) - c)
    term, total, n = c * c / 2, mpmath.mpf(0), 2
    eps = mpmath.ldexp(1, -mp.prec - 10)
    while term != 0 and abs(term) > eps * abs(total):
        total += term
        n += 1
        term = term * c / n
    return total


def softplus(x):
    return mpmath.log1p(mpmath.exp(x))


def log_sigmoid(x):
    return -mpmath.log1p(mpmath.exp(-x))


def sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


def xlogy(x, y):
    return mpmath.mpf(0) if x == 0 else x * mpmath.log(y)


def xlog1py(x, y):
    return mpmath.mpf(0) if x == 0 else x * mpmath.log1p(y)


def log1pmx(u):
    with mpmath.workprec(mpmath.mp.prec + _extra_bits(u, 1)):
        return +(mpmath.log1p(u) - u)


def log1pmx_ratio(a, b, d):
    with mpmath.workprec(mpmath.mp.prec + _extra_bits(d, b)):
        return +(mpmath.log(a / b) - d / b)


def kl_div(x, y, d):
    if x == 0:
        return +y
    if y == 0:
        return mpmath.inf
    with mpmath.workprec(mpmath.mp.prec + _extra_bits(d, x)):
        return +(x * mpmath.log(x / y) + d)


def diff_ratio(a, b, s):
    return (a - b) / s


def log_offset(x, c_hi, c_lo, x0_hi, x0_lo):
    with mpmath.workprec(mpmath.mp.prec + 60):
        return +(mpmath.log(x) + mpmath.mpf(c_hi) + mpmath.mpf(c_lo))


def logsumexp(*xs):
    mx = max(xs)
    if mpmath.isinf(mx):
        return mx
    return mx + mpmath.log(mpmath.fsum(mpmath.exp(x - mx) for x in xs))


def fsum(*xs):
    return mpmath.fsum(xs)


def rel_entr_sum(*args):
    k = len(args) // 2
    with mpmath.workprec(mpmath.mp.prec * 2 + 60):
        return +mpmath.fsum(0 if x == 0 else (mpmath.inf if y == 0 else x * (mpmath.log(x) - mpmath.log(y)))
                            for x, y in zip(args[:k], args[k:]))


def softmax_xent(*args):
    k = len(args) // 2
    t, z = args[:k], args[k:]
    mx = max(z)
    with mpmath.workprec(mpmath.mp.prec + 20):
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v - mx) for v in z))
        return +mpmath.fsum(0 if ti == 0 else ti * ((mx - zi) + lse) for ti, zi in zip(t, z))


def logit_xent(*args):
    # Σ_i softmax(x)_i ((m − z_i) + log Σ_j e^{z_j − m}): every term ≥ 0, and mpmath's exponent range
    # has no underflow, so the weights need no scaling
    k = len(args) // 2
    x, z = args[:k], args[k:]
    mx, mz = max(x), max(z)
    with mpmath.workprec(mpmath.mp.prec + 20):
        ex = [mpmath.exp(v - mx) for v in x]
        sx = mpmath.fsum(ex)
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v - mz) for v in z))
        return +(mpmath.fsum(e * ((mz - zi) + lse) for e, zi in zip(ex, z)) / sx)


def softmax(a, *zs):
    mx = max(zs)
    with mpmath.workprec(mpmath.mp.prec + 20):
        return +(mpmath.exp(a - mx) / mpmath.fsum(mpmath.exp(z - mx) for z in zs))


def softmax_rest(a, *zs):
    # Σ_{j≠i} e^{z_j − m}/Σ_j e^{z_j − m}, class i the first logit equal to a: 1 − softmax would cancel where
    # class i dominates (the rest is e^{−700} there)
    mx = max(zs)
    i = next(j for j, z in enumerate(zs) if z == a)
    with mpmath.workprec(mpmath.mp.prec + 20):
        e = [mpmath.exp(z - mx) for z in zs]
        r = mpmath.fsum(v for j, v in enumerate(e) if j != i)
        return +(r / (r + e[i]))


def softmax_var(a, *zs):
    # s(1 − s) as e^{a − m}·R/D² with R the others' share (no 1 − s)
    mx = max(zs)
    i = next(j for j, z in enumerate(zs) if z == a)
    with mpmath.workprec(mpmath.mp.prec + 20):
        e = [mpmath.exp(z - mx) for z in zs]
        r = mpmath.fsum(v for j, v in enumerate(e) if j != i)
        return +(e[i] * r / (r + e[i]) ** 2)


def softmax_kl(*args):
    k = len(args) // 2
    x, y = args[:k], args[k:]
    # the numpy algorithm with exact differences: δ_j = (x_j − y_j) − (x_r − y_r) (exact subtraction, so
    # a common shift gives exactly 0), KL = log1p(Σ s_j (e^{c_j} − 1 − c_j)), c = Σ s_i δ_i − δ
    r = max(range(k), key=lambda i: x[i])
    d_r = mpmath.fsub(x[r], y[r], exact=True)
    delta = [mpmath.fsub(mpmath.fsub(xi, yi, exact=True), d_r, exact=True) for xi, yi in zip(x, y)]
    if all(v == 0 for v in delta):
        return mpmath.mpf(0)
    with mpmath.workprec(2 * mpmath.mp.prec + 60):
        ex = [mpmath.exp(v - x[r]) for v in x]
        sx = mpmath.fsum(ex)
        s = [e / sx for e in ex]
        dbar = mpmath.fsum(si * di for si, di in zip(s, delta))
        c = [dbar - di for di in delta]
        return +mpmath.log1p(mpmath.fsum(si * _expm1mx(ci) for si, ci in zip(s, c)))


def rel_entr_sum_pos(*args):
    k = len(args) // 2
    return mpmath.inf if any(q == 0 for q in args[k:]) else rel_entr_sum(*args)


def prob_logit_kl(one, *args, scale=1):
    k = len(args) // 3
    return scale * prob_logit_kl_exact(args[:k], args[k:2 * k], args[2 * k:], bits=mpmath.mp.prec)


def logit_prob_kl(one, *args):
    k = len(args) // 3
    return +logit_prob_kl_exact(args[:k], args[k:2 * k], args[2 * k:], bits=mpmath.mp.prec)


_IMPLS = {"sigmoid": sigmoid, "softplus": softplus, "log_sigmoid": log_sigmoid, "xlogy": xlogy,
          "xlog1py": xlog1py, "log1pmx": log1pmx, "_log1pmx_ratio": log1pmx_ratio, "_kl_div": kl_div,
          "diff_ratio": diff_ratio, "_log_offset": log_offset, "logsumexp": logsumexp, "fsum": fsum,
          "softmax_xent": softmax_xent, "logit_xent": logit_xent, "rel_entr_sum": rel_entr_sum, "softmax": softmax,
          "softmax_rest": softmax_rest, "softmax_var": softmax_var, "wtanh": lambda w, a: w * mpmath.tanh(a / 2), "softmax_kl": softmax_kl, "log1p": mpmath.log1p, "_wprod_sigmoid": lambda w, v, *_: w * v,
          "_wprod_softmax": lambda w, v, *_: w * v, "_rel_entr_sum_pos": rel_entr_sum_pos,
          "_prob_logit_kl": prob_logit_kl, "_logit_prob_kl": logit_prob_kl,
          # the printed argument of exact_rational is evaluated in mpmath already
          "exact_rational": lambda x: x, "logprod_offset": logprod_offset_mp,
          "rational_log_sum": rational_log_sum_mp, "screened_sum": screened_sum_mp}


def mpmath_impls() -> dict:
    """name -> implementation at the current ``mpmath.mp.prec`` (each function reads it when called)."""
    return {**_IMPLS, **special.mpmath_kernels(), **gamma_kernels.MPMATH, **logit_ratio_kernels.MPMATH,
            **log_diff_kernels.MPMATH, **vonmises_kernels.MPMATH, **vonmises_grad_kernels.MPMATH_GRAD, **scaled_kl_kernels.MPMATH, **kl_share_kernels.MPMATH,
            **digamma_diff_kernels.MPMATH, **log_beta_kernels.MPMATH, **dirichlet_xent_kernels.MPMATH, **weight_quotient_kernels.MPMATH,
            **log_gap_kernels.MPMATH, **sigmoid_mix_kernels.MPMATH, **exp_excess_kernels.MPMATH, **exp_ramp_kernels.MPMATH,
            **gamma_scaled_grad_kernels.MPMATH, **trigamma_diff_kernels.MPMATH}
