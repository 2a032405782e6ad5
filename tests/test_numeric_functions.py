"""The stable special functions: definitions (proved), derivatives (against mpmath.diff), mpmath values,
and the float64 implementations of every backend (in ULPs against exact values)."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import oracles

from symce import prove
from symce.core.special import sigmoid
from symce.numeric import functions as F
from symce.numeric import impl
from symce.numeric.truth import ground_truth
from symce.numeric.verify import ulp_distance

x = sp.Symbol("x", real=True)
y = sp.Symbol("y", positive=True)
a, b = sp.symbols("a b", positive=True)
u = sp.Symbol("u", positive=True)

# (stable expression, its definition written independently, mpmath reference of the definition, args, points)
CASES = [
    (F.softplus(x), sp.log(1 + sp.exp(x)), lambda x: mpmath.log(1 + mpmath.exp(x)), [x], [(-3.5,), (0.25,), (12.0,)]),
    (F.log_sigmoid(x), sp.log(1 / (1 + sp.exp(-x))), lambda x: -mpmath.log(1 + mpmath.exp(-x)), [x],
     [(-3.5,), (0.25,), (12.0,)]),
    (F.xlogy(x, y), x * sp.log(y), lambda x, y: x * mpmath.log(y), [x, y], [(0.3, 0.7), (-2.0, 5.5)]),
    (F.xlog1py(x, y), x * sp.log(1 + y), lambda x, y: x * mpmath.log(1 + y), [x, y], [(0.3, 0.7), (-2.0, 5.5)]),
    (F.logsumexp(x, y, a), sp.log(sp.exp(x) + sp.exp(y) + sp.exp(a)),
     lambda x, y, a: mpmath.log(mpmath.exp(x) + mpmath.exp(y) + mpmath.exp(a)), [x, y, a], [(0.5, 1.5, 2.5), (-3.0, 0.1, 4.0)]),
    (F.log1pmx(u), sp.log(1 + u) - u, lambda u: mpmath.log(1 + u) - u, [u], [(0.001,), (0.75,), (6.0,)]),
    (F.log1pmx_ratio(a, b), sp.log(a / b) - a / b + 1, lambda a, b: mpmath.log(a / b) - a / b + 1, [a, b],
     [(0.3, 0.7), (2.5, 1.25)]),
    (F.kl_div(a, b), a * sp.log(a / b) - a + b, lambda a, b: a * mpmath.log(a / b) - a + b, [a, b],
     [(0.3, 0.7), (2.5, 1.25)]),
    (F.diff_ratio(x, y, a), (x - y) / a, lambda x, y, a: (x - y) / a, [x, y, a], [(0.3, 0.7, 2.0), (-2.5, 1.25, 0.5)]),
    (F.log_offset(a, sp.Rational(1, 2) + sp.log(2 * sp.pi) / 2), sp.log(a * sp.sqrt(2 * sp.pi * sp.E)),
     lambda a: mpmath.log(a * mpmath.sqrt(2 * mpmath.pi * mpmath.e)), [a], [(0.3,), (2.5,)]),
]

# the functions the catalog's rewrite needs beyond those: k = 2 forms, each definition written from the math
z1, z2 = sp.symbols("z1 z2", real=True)
p1, p2, q1, q2 = sp.symbols("p1 p2 q1 q2", positive=True)


def _sm(a, zs):  # softmax probability e^a / Σ e^z, mpmath
    return mpmath.exp(a) / mpmath.fsum(mpmath.exp(v) for v in zs)


_SM1 = sp.exp(z1) / (sp.exp(z1) + sp.exp(z2))
_SM2 = sp.exp(z2) / (sp.exp(z1) + sp.exp(z2))
_SX1 = sp.exp(x) / (sp.exp(x) + sp.exp(a))
_SX2 = sp.exp(a) / (sp.exp(x) + sp.exp(a))
CASES += [
    (F.fsum(x, y, a), x + y + a, lambda x, y, a: x + y + a, [x, y, a], [(0.3, 0.7, 2.0), (-2.5, 1.25, 0.5)]),
    (F.softmax_xent(p1, p2, z1, z2), -p1 * sp.log(_SM1) - p2 * sp.log(_SM2),
     lambda p1, p2, z1, z2: -p1 * mpmath.log(_sm(z1, [z1, z2])) - p2 * mpmath.log(_sm(z2, [z1, z2])),
     [p1, p2, z1, z2], [(0.3, 0.7, 0.5, -1.0), (0.9, 0.1, 3.0, 2.0)]),
    (F.logit_xent(x, a, z1, z2), -_SX1 * sp.log(_SM1) - _SX2 * sp.log(_SM2),
     lambda x, a, z1, z2: -_sm(x, [x, a]) * mpmath.log(_sm(z1, [z1, z2])) - _sm(a, [x, a]) * mpmath.log(_sm(z2, [z1, z2])),
     [x, a, z1, z2], [(0.3, 0.7, 0.5, -1.0), (-2.0, 1.0, 3.0, 2.0)]),
    (F.rel_entr_sum(p1, p2, q1, q2), p1 * sp.log(p1 / q1) + p2 * sp.log(p2 / q2),
     lambda p1, p2, q1, q2: p1 * mpmath.log(p1 / q1) + p2 * mpmath.log(p2 / q2), [p1, p2, q1, q2],
     [(0.3, 0.7, 0.5, 0.5), (0.9, 0.1, 0.2, 0.8)]),
    (F.softmax(z1, z1, z2), _SM1, lambda z1, z2: _sm(z1, [z1, z2]), [z1, z2], [(0.5, -1.0), (3.0, 2.0)]),
    # 1 − softmax as the other classes' share (Σ_{j≠i} e^{z_j}/Σ e^{z}; the reference sums the others, no 1 − s)
    (F.softmax_rest(z1, z1, z2), 1 - _SM1,
     lambda z1, z2: mpmath.exp(z2) / (mpmath.exp(z1) + mpmath.exp(z2)), [z1, z2], [(0.5, -1.0), (3.0, 2.0), (40.0, 1.0)]),
    (F.softmax_var(z1, z1, z2), _SM1 * (1 - _SM1),
     lambda z1, z2: mpmath.exp(z1) * mpmath.exp(z2) / (mpmath.exp(z1) + mpmath.exp(z2)) ** 2, [z1, z2],
     [(0.5, -1.0), (3.0, 2.0), (40.0, 1.0)]),
    # w·tanh(a/2), the reference from its exponential form (σ(a) − σ(−a) = (1 − e^{−a})/(1 + e^{−a}))
    (F.wtanh(x, z1), x * sp.tanh(z1 / 2), lambda x, a: x * (1 - mpmath.exp(-a)) / (1 + mpmath.exp(-a)), [x, z1],
     [(0.7, 0.5), (-3.0, -2.0), (2.0, 1e-300)]),
    # w·v/xⁿ for a weight w (functions/weight_quotient.py), here σ(z1)·x/a²
    (F.wdiv(sigmoid(z1), x, a, 2), x / (a ** 2 * (1 + sp.exp(-z1))),
     lambda z1, x, a: x / (a ** 2 * (1 + mpmath.exp(-z1))), [z1, x, a], [(0.5, 0.7, 0.3), (-3.0, -2.0, 2.5)]),
    # c·w·v for a weight w (functions/weight_quotient.py), here 12·σ(z1)·x
    (F.wscale(sigmoid(z1), x, 12), 12 * x / (1 + sp.exp(-z1)), lambda z1, x: 12 * x / (1 + mpmath.exp(-z1)), [z1, x],
     [(0.5, 0.7), (-3.0, -2.0)]),
    # c·(a − b + log x − log y) (functions/log_gap.py)
    (F.log_gap(z1, z2, a, b, sp.Rational(1, 4)), (z1 - z2 + sp.log(a / b)) / 4,
     lambda z1, z2, a, b: (z1 - z2 + mpmath.log(a / b)) / 4, [z1, z2, a, b], [(0.5, -1.0, 0.3, 0.7), (3.0, 2.0, 2.5, 1.25)]),
    # (a/s)(e^{−t} − 1 + t), the fourth argument q = a·t/s only a kernel input (functions/exp_excess.py)
    (F.scaled_expm1mx(a, b, u, y), a / b * (sp.exp(-u) - 1 + u), lambda a, b, u, y: a / b * (mpmath.exp(-u) - 1 + u),
     [a, b, u, y], [(0.3, 2.5, 0.7, 0.084), (40.0, 0.7, 3.0, 171.4)]),
    # (1 + t)e^{−t}/r with t = (b − a)/s, the Laplace ∂/∂b₁ (functions/exp_ramp.py)
    (F.exp_ramp(x, z1, a, b), (1 + (z1 - x) / a) * sp.exp((x - z1) / a) / b,
     lambda x, z1, a, b: (1 + (z1 - x) / a) * mpmath.exp((x - z1) / a) / b, [x, z1, a, b],
     [(0.3, 0.7, 2.0, 0.5), (-2.5, 1.25, 0.5, 3.0)]),
    # (1 − e^{−t})/r with t = (b − a)/s, the Laplace ∂/∂μ (functions/exp_ramp.py)
    (F.exp_rise(x, z1, a, b), (1 - sp.exp((x - z1) / a)) / b, lambda x, z1, a, b: (1 - mpmath.exp((x - z1) / a)) / b,
     [x, z1, a, b], [(0.3, 0.7, 2.0, 0.5), (-2.5, 1.25, 0.5, 3.0)]),
    # e^L·Γ(z)·ψ(z) and e^L·Γ(z)·((z − 1)ψ(z) + L) − L, the Gumbel gradients' products (functions/gamma_scaled_grad.py)
    (F.gamma_scaled_psi(a, x), sp.exp(x) * sp.gamma(a) * sp.polygamma(0, a),
     lambda a, x: mpmath.exp(x) * mpmath.gamma(a) * mpmath.digamma(a), [a, x], [(0.3, 0.7), (40.0, -2.5)]),
    (F.gamma_scaled_drift(a, x), sp.exp(x) * sp.gamma(a) * ((a - 1) * sp.polygamma(0, a) + x) - x,
     lambda a, x: mpmath.exp(x) * mpmath.gamma(a) * ((a - 1) * mpmath.digamma(a) + x) - x, [a, x],
     [(0.3, 0.7), (40.0, -2.5), (2.0, 0.0)]),
    # σ(a)σ(−a)(σ(a)c₁ + σ(−a)c₂) (functions/sigmoid_mix.py)
    (F.sigmoid_var_mix(z1, x, a), sp.exp(-z1) / (1 + sp.exp(-z1)) ** 2 * (x / (1 + sp.exp(-z1)) + a / (1 + sp.exp(z1))),
     lambda z1, x, a: mpmath.exp(-z1) / (1 + mpmath.exp(-z1)) ** 2 * (x / (1 + mpmath.exp(-z1)) + a / (1 + mpmath.exp(z1))),
     [z1, x, a], [(0.5, 0.7, 0.3), (-3.0, -2.0, 2.5)]),
    (F.softmax_kl(x, a, z1, z2), _SX1 * sp.log(_SX1 / _SM1) + _SX2 * sp.log(_SX2 / _SM2),
     lambda x, a, z1, z2: (_sm(x, [x, a]) * mpmath.log(_sm(x, [x, a]) / _sm(z1, [z1, z2]))
                           + _sm(a, [x, a]) * mpmath.log(_sm(a, [x, a]) / _sm(z2, [z1, z2]))),
     [x, a, z1, z2], [(0.3, 0.7, 0.5, -1.0), (-2.0, 1.0, 3.0, 2.0)]),
    (F.log1p(u), sp.log(1 + u), lambda u: mpmath.log(1 + u), [u], [(0.001,), (0.75,), (6.0,)]),
    (F.wprod(sigmoid(x), y), y / (1 + sp.exp(-x)), lambda x, y: y / (1 + mpmath.exp(-x)), [x, y],
     [(0.3, 0.7), (-2.0, 5.5)]),
    (F.prob_logit_kl(p1, p2, z1, z2), p1 * sp.log(p1 / _SM1) + p2 * sp.log(p2 / _SM2),
     lambda p1, p2, z1, z2: p1 * mpmath.log(p1 / _sm(z1, [z1, z2])) + p2 * mpmath.log(p2 / _sm(z2, [z1, z2])),
     [p1, p2, z1, z2], [(0.3, 0.7, 0.5, -1.0), (0.9, 0.1, 3.0, 2.0)]),
    (F.logit_prob_kl(z1, z2, q1, q2), _SM1 * sp.log(_SM1 / q1) + _SM2 * sp.log(_SM2 / q2),
     lambda z1, z2, q1, q2: (_sm(z1, [z1, z2]) * mpmath.log(_sm(z1, [z1, z2]) / q1)
                             + _sm(z2, [z1, z2]) * mpmath.log(_sm(z2, [z1, z2]) / q2)),
     [z1, z2, q1, q2], [(0.5, -1.0, 0.3, 0.7), (3.0, 2.0, 0.9, 0.1)]),
    (F.exact_rational((x - y) ** 2 / (2 * a ** 2) + x / a), (x - y) ** 2 / (2 * a ** 2) + x / a,
     lambda x, y, a: (x - y) ** 2 / (2 * a ** 2) + x / a, [x, y, a], [(0.3, 0.7, 2.0), (-2.5, 1.25, 0.5)]),
    (F.logprod_offset(a, b, sp.Rational(1, 2) + sp.log(2 * sp.pi) / 2), sp.log(a * b * sp.sqrt(2 * sp.pi * sp.E)),
     lambda a, b: mpmath.log(a * b * mpmath.sqrt(2 * mpmath.pi * mpmath.e)), [a, b], [(0.3, 0.7), (2.5, 1.25)]),
    (F.rational_log_sum(sp.Rational(1, 2), x ** 2 / a, sp.Rational(1, 2), a * b),
     sp.Rational(1, 2) + x ** 2 / a + sp.log(sp.sqrt(a * b)),
     lambda x, a, b: mpmath.mpf(1) / 2 + x ** 2 / a + mpmath.log(mpmath.sqrt(a * b)), [x, a, b],
     [(0.3, 0.7, 2.0), (-2.5, 1.25, 0.5)]),
    # the Stirling split of log Γ (functions/gamma.py)
    (F.lgamma_rem(a), sp.loggamma(a) - a * sp.log(a) + a, lambda a: mpmath.loggamma(a) - a * mpmath.log(a) + a, [a],
     [(0.3,), (2.5,), (40.0,)]),
    (F.digamma_rem(a), sp.polygamma(0, a) - sp.log(a), lambda a: mpmath.digamma(a) - mpmath.log(a), [a],
     [(0.3,), (2.5,), (40.0,)]),
    (F.stirling_bregman(a, b),
     sp.loggamma(a) - sp.loggamma(b) - (a - b) * sp.polygamma(0, b) - a * sp.log(a / b) + a - b,
     lambda a, b: mpmath.loggamma(a) - mpmath.loggamma(b) - (a - b) * mpmath.digamma(b) - a * mpmath.log(a / b) + a - b,
     [a, b], [(0.3, 0.7), (2.5, 1.25), (40.0, 41.0)]),
    # Σ B(yᵢ, xᵢ) − B(Σy, Σx), B the Stirling–Bregman term above (the Beta and Dirichlet KLs)
    (F.stirling_bregman_sum(a, b, y, u),
     sum(c * (sp.loggamma(p) - sp.loggamma(q) - (p - q) * sp.polygamma(0, q) - p * sp.log(p / q) + p - q)
         for c, (p, q) in ((1, (a, b)), (1, (y, u)), (-1, (a + y, b + u)))),
     lambda a, b, y, u: sum(c * (mpmath.loggamma(p) - mpmath.loggamma(q) - (p - q) * mpmath.digamma(q)
                                 - p * mpmath.log(p / q) + p - q)
                            for c, (p, q) in ((1, (a, b)), (1, (y, u)), (-1, (a + y, b + u)))),
     [a, b, y, u], [(0.3, 0.7, 2.5, 1.25), (40.0, 41.0, 3.0, 2.0)]),
    # (c/d)·kl_div(x, y): the Binomial and NegativeBinomial KLs at subnormal probabilities (functions/scaled_kl.py)
    (F.scaled_kl_div(a, b, y, u), a / b * (y * sp.log(y / u) - y + u),
     lambda a, b, y, u: a / b * (y * mpmath.log(y / u) - y + u), [a, b, y, u],
     [(3.0, 0.5, 0.3, 0.7), (40.0, 1.0, 2.5, 1.25)]),
    # kl_div(x, a·t/s): the Beta/Dirichlet KL terms kl_div(α₂ᵢ, α₁ᵢ·Σα₂/Σα₁) (functions/kl_share.py)
    (F.kl_div_share(a, b, y, u), a * sp.log(a * u / (b * y)) - a + b * y / u,
     lambda a, b, y, u: a * mpmath.log(a * u / (b * y)) - a + b * y / u, [a, b, y, u],
     [(3.0, 0.5, 0.3, 0.7), (40.0, 1.0, 2.5, 1.25)]),
    # I_ν without overflow (functions/bessel.py)
    (F.log_besseli(0, a), sp.log(sp.besseli(0, a)), lambda a: mpmath.log(mpmath.besseli(0, a)), [a],
     [(0.3,), (2.5,), (40.0,)]),
    (F.besseli_ratio(1, 0, a), sp.besseli(1, a) / sp.besseli(0, a),
     lambda a: mpmath.besseli(1, a) / mpmath.besseli(0, a), [a], [(0.3,), (2.5,), (40.0,)]),
    (F.gamma_scaled(a, x), sp.exp(x) * sp.gamma(a), lambda a, x: mpmath.exp(x) * mpmath.gamma(a), [a, x],
     [(0.3, -2.0), (2.5, 1.5)]),
    # Binet's μ, μ′ (the entropies) and e^L Γ(z) − 1 − L − log Γ(z) (the Weibull and Gumbel KLs)
    (F.lgamma_stirling(a), sp.loggamma(a) - (a - sp.S.Half) * sp.log(a) + a - sp.log(2 * sp.pi) / 2,
     lambda a: mpmath.loggamma(a) - (a - 0.5) * mpmath.log(a) + a - mpmath.log(2 * mpmath.pi) / 2, [a],
     [(0.3,), (2.5,), (40.0,)]),
    # (w/x)(e^L·Γ(z) − 1), the Weibull partials ∂/∂λ (functions/gamma.py)
    (F.gamma_scaled_m1(a, x, b, p1), b / p1 * (sp.exp(x) * sp.gamma(a) - 1),
     lambda a, x, b, p1: b / p1 * (mpmath.exp(x) * mpmath.gamma(a) - 1), [a, x, b, p1],
     [(0.3, -2.0, 1.5, 0.7), (2.5, 1.5, 0.2, 3.0)]),
    # w·ψ′(x) + (a − c·b)/b, the Gamma/χ² partials ∂/∂α₁ (functions/gamma.py, impl/trigamma_ratio.py)
    (F.trigamma_ratio(z1, a, b, p1, q1), z1 * sp.polygamma(1, a) + (b - q1 * p1) / p1,
     lambda z1, a, b, p1, q1: z1 * mpmath.psi(1, a) + (b - q1 * p1) / p1, [z1, a, b, p1, q1],
     [(-2.0, 0.3, 1.5, 0.7, 0.0), (0.5, 40.0, 2.0, 3.0, 1.0)]),
    # ν = μ(x) − ½ log(1 + 1/x), bounded at both ends (the Gamma/χ² cross-entropies)
    (F.lgamma_balanced(a), sp.loggamma(a) - (a - 1) * sp.log(a) - sp.log(1 + a) / 2 + a - sp.log(2 * sp.pi) / 2,
     lambda a: mpmath.loggamma(a) - (a - 1) * mpmath.log(a) - mpmath.log(1 + a) / 2 + a - mpmath.log(2 * mpmath.pi) / 2,
     [a], [(0.3,), (2.5,), (40.0,)]),
    (F.digamma_stirling(a), sp.polygamma(0, a) - sp.log(a) + 1 / (2 * a),
     lambda a: mpmath.digamma(a) - mpmath.log(a) + 1 / (2 * a), [a], [(0.3,), (2.5,), (40.0,)]),
    (F.wdigamma_stirling(x, a), x * (sp.polygamma(0, a) - sp.log(a) + 1 / (2 * a)),
     lambda x, a: x * (mpmath.digamma(a) - mpmath.log(a) + 1 / (2 * a)), [x, a], [(-2.0, 0.3), (1.5, 40.0)]),
    (F.gamma_scaled_excess(a, x), sp.exp(x) * sp.gamma(a) - 1 - x - sp.loggamma(a),
     lambda a, x: mpmath.exp(x) * mpmath.gamma(a) - 1 - x - mpmath.loggamma(a), [a, x], [(0.3, -2.0), (2.5, 1.5)]),
    (F.gamma_excess_shift(a, x, y, u, b), sp.exp(x) * sp.gamma(a) - 1 - x - sp.loggamma(a) + (y - u) / b,
     lambda a, x, y, u, b: mpmath.exp(x) * mpmath.gamma(a) - 1 - x - mpmath.loggamma(a) + (y - u) / b,
     [a, x, y, u, b], [(0.3, -2.0, 0.5, 0.25, 2.0), (2.5, 1.5, 0.3, 0.5772156649015329, 0.75)]),
    # the continuous Bernoulli's normaliser and mean (functions/logit_ratio.py)
    (F.logit_ratio(a), (sp.log(a) - sp.log(1 - a)) / (2 * a - 1),
     lambda a: (mpmath.log(a) - mpmath.log(1 - a)) / (2 * a - 1), [a], [(0.1,), (0.45,), (0.8,)]),
    (F.cbern_mean(a), a / (2 * a - 1) - 1 / (sp.log(a) - sp.log(1 - a)),
     lambda a: a / (2 * a - 1) - 1 / (mpmath.log(a) - mpmath.log(1 - a)), [a], [(0.1,), (0.45,), (0.8,)]),
    # log(b − a) with the difference exact (functions/log_diff.py)
    (F.log_diff(a, b), sp.log(a - b), lambda a, b: mpmath.log(a - b), [a, b], [(2.5, 0.3), (40.0, 0.7)]),
    (F.cbern_kl(a, b), sp.log(F.logit_ratio(a)) + sp.log(1 - a) - sp.log(F.logit_ratio(b)) - sp.log(1 - b)
     - (sp.log(b) - sp.log(1 - b) - sp.log(a) + sp.log(1 - a)) * F.cbern_mean(a),
     lambda a, b: (mpmath.log(mpmath.log(a / (1 - a)) / (2 * a - 1)) + mpmath.log(1 - a)
                   - mpmath.log(mpmath.log(b / (1 - b)) / (2 * b - 1)) - mpmath.log(1 - b)
                   - (mpmath.log(b / (1 - b)) - mpmath.log(a / (1 - a)))
                   * (a / (2 * a - 1) - 1 / mpmath.log(a / (1 - a)))), [a, b], [(0.3, 0.6), (0.8, 0.7)]),
    # the continuous Bernoulli's −H and cross-entropy (functions/logit_ratio.py): C(λ) = logit λ/(2λ − 1)
    (F.cbern_negentropy(a), sp.log(F.logit_ratio(a)) + sp.log(1 - a) + a * F.logit_ratio(a) - 1,
     lambda a: (mpmath.log(mpmath.log(a / (1 - a)) / (2 * a - 1)) + mpmath.log(1 - a)
                + a * mpmath.log(a / (1 - a)) / (2 * a - 1) - 1), [a], [(0.1,), (0.45,), (0.8,)]),
    (F.cbern_xent(a, b), -sp.log(F.logit_ratio(b)) - sp.log(1 - b) - (2 * b - 1) * F.logit_ratio(b) * F.cbern_mean(a),
     lambda a, b: (-mpmath.log(mpmath.log(b / (1 - b)) / (2 * b - 1)) - mpmath.log(1 - b)
                   - mpmath.log(b / (1 - b)) * (a / (2 * a - 1) - 1 / mpmath.log(a / (1 - a)))), [a, b],
     [(0.3, 0.6), (0.8, 0.7), (0.25, 0.1)]),
    (F.cbern_var(a), 1 / (sp.log(a) - sp.log(1 - a)) ** 2 - a * (1 - a) / (2 * a - 1) ** 2,
     lambda a: 1 / mpmath.log(a / (1 - a)) ** 2 - a * (1 - a) / (2 * a - 1) ** 2, [a], [(0.1,), (0.45,), (0.8,)]),
    # the continuous Bernoulli gradients' pieces (rewrite_cbern_gradients.py): logit, w·μ′, (μ(y) − μ(x))/(y(1 − y))
    (F.cbern_logit(a), 2 * sp.atanh(2 * a - 1), lambda a: mpmath.log(a / (1 - a)), [a], [(0.1,), (0.45,), (0.8,)]),
    (F.cbern_dmean(b, a), b * (1 / (sp.log(a) - sp.log(1 - a)) ** 2 - a * (1 - a) / (2 * a - 1) ** 2) / (a * (1 - a)),
     lambda b, a: b * (1 / mpmath.log(a / (1 - a)) ** 2 - a * (1 - a) / (2 * a - 1) ** 2) / (a * (1 - a)), [b, a],
     [(0.7, 0.1), (-2.0, 0.45), (3.0, 0.8)]),
    (F.cbern_mean_gap(a, b), (b / (2 * b - 1) - 1 / (sp.log(b) - sp.log(1 - b)) - a / (2 * a - 1)
                              + 1 / (sp.log(a) - sp.log(1 - a))) / (b * (1 - b)),
     lambda a, b: (b / (2 * b - 1) - 1 / mpmath.log(b / (1 - b)) - a / (2 * a - 1) + 1 / mpmath.log(a / (1 - a)))
     / (b * (1 - b)), [a, b], [(0.3, 0.6), (0.8, 0.7), (0.25, 0.1)]),
    # whole partials ∂H(P, Q)/∂x and ∂KL/∂x (double-double kernels, impl/cbern_dd.py)
    # (logit as 2 atanh(2λ − 1), as cbern_logit: their equality needs λ < 1, the CB rewrite's unit-interval proof)
    (F.cbern_dxent(a, b), -2 * sp.atanh(2 * b - 1) * (1 / (sp.log(a) - sp.log(1 - a)) ** 2
                                                       - a * (1 - a) / (2 * a - 1) ** 2) / (a * (1 - a)),
     lambda a, b: -mpmath.log(b / (1 - b)) * (1 / mpmath.log(a / (1 - a)) ** 2 - a * (1 - a) / (2 * a - 1) ** 2)
     / (a * (1 - a)), [a, b], [(0.3, 0.6), (0.8, 0.7), (0.25, 0.1)]),
    (F.cbern_dkl(a, b), (2 * sp.atanh(2 * a - 1) - 2 * sp.atanh(2 * b - 1))
     * (1 / (sp.log(a) - sp.log(1 - a)) ** 2 - a * (1 - a) / (2 * a - 1) ** 2) / (a * (1 - a)),
     lambda a, b: (mpmath.log(a / (1 - a)) - mpmath.log(b / (1 - b)))
     * (1 / mpmath.log(a / (1 - a)) ** 2 - a * (1 - a) / (2 * a - 1) ** 2) / (a * (1 - a)), [a, b],
     [(0.3, 0.6), (0.8, 0.7), (0.25, 0.1)]),
    (F.log_diff_ratio(a, b, x, y), sp.log(a - b) - sp.log(x - y),
     lambda a, b, x, y: mpmath.log(a - b) - mpmath.log(x - y), [a, b, x, y], [(2.5, 0.3, 4.0, 1.5)]),
    # the von Mises KL (Kitagawa & Rowley 2022), functions/vonmises.py
    (F.vonmises_kl(a, b, x, u), sp.besseli(1, a) / sp.besseli(0, a) * (a - b * sp.cos(x - u))
     - sp.log(sp.besseli(0, a)) + sp.log(sp.besseli(0, b)),
     lambda a, b, x, u: (mpmath.besseli(1, a) / mpmath.besseli(0, a) * (a - b * mpmath.cos(x - u))
                         - mpmath.log(mpmath.besseli(0, a)) + mpmath.log(mpmath.besseli(0, b))),
     [a, b, x, u], [(2.5, 0.7, 0.3, 1.1), (40.0, 35.0, -1.0, 2.0)]),
    (F.vonmises_entropy(a), sp.log(2 * sp.pi) + sp.log(sp.besseli(0, a)) - a * sp.besseli(1, a) / sp.besseli(0, a),
     lambda a: (mpmath.log(2 * mpmath.pi) + mpmath.log(mpmath.besseli(0, a))
                - a * mpmath.besseli(1, a) / mpmath.besseli(0, a)), [a], [(0.4,), (17.0,), (300.0,)]),
    (F.vonmises_xent(a, b, x, u), sp.log(2 * sp.pi) + sp.log(sp.besseli(0, b))
     - b * sp.besseli(1, a) / sp.besseli(0, a) * sp.cos(x - u),
     lambda a, b, x, u: (mpmath.log(2 * mpmath.pi) + mpmath.log(mpmath.besseli(0, b))
                         - b * mpmath.besseli(1, a) / mpmath.besseli(0, a) * mpmath.cos(x - u)),
     [a, b, x, u], [(2.5, 0.7, 0.3, 1.1), (40.0, 35.0, -1.0, 2.0)]),
    # the Beta/Dirichlet CE's ψ differences (functions/digamma_diff.py)
    (F.psi_diff(a, b), sp.polygamma(0, a + b) - sp.polygamma(0, a),
     lambda a, b: mpmath.digamma(a + b) - mpmath.digamma(a), [a, b], [(0.3, 2.5), (40.0, 0.7), (2.5, 1e-9)]),
    # the Beta/Dirichlet gradients' trigamma difference and trigamma at a sum, weighted (functions/trigamma_diff.py)
    (F.wtrigamma_diff(x, a, b, y), x * (sp.polygamma(1, a) - sp.polygamma(1, a + b + y)),
     lambda x, a, b, y: x * (mpmath.psi(1, a) - mpmath.psi(1, a + b + y)), [x, a, b, y],
     [(-2.0, 2.3, 2.5, 1.0), (0.5, 40.0, 0.7, 1e-3)]),
    (F.wtrigamma_of_sum(x, a, b), x * sp.polygamma(1, a + b), lambda x, a, b: x * mpmath.psi(1, a + b), [x, a, b],
     [(-2.0, 0.3, 2.5), (0.5, 40.0, 0.7)]),
    # log B of the Beta/Dirichlet CE and entropy (functions/log_beta.py): 2 and 3 arguments
    (F.log_beta(a, b), sp.loggamma(a) + sp.loggamma(b) - sp.loggamma(a + b),
     lambda a, b: mpmath.log(mpmath.beta(a, b)), [a, b], [(0.3, 2.5), (40.0, 0.7), (2.5, 30.0)]),
    (F.log_beta(a, b, x), sp.loggamma(a) + sp.loggamma(b) + sp.loggamma(x) - sp.loggamma(a + b + x),
     lambda a, b, x: mpmath.log(mpmath.gamma(a) * mpmath.gamma(b) * mpmath.gamma(x) / mpmath.gamma(a + b + x)),
     [a, b, x], [(0.3, 2.5, 1.0), (40.0, 0.7, 9.0)]),
    # Stirling's parts at a sum, from the parts (functions/gamma_sum.py; the Beta/Dirichlet entropies)
    (F.log_sum(a, b, y), sp.log(a + b + y), lambda a, b, y: mpmath.log(a + b + y), [a, b, y],
     [(0.3, 2.5, 1.0), (1e-3, 2e-3, 4e-3)]),
    (F.lgamma_rem_sum(a, b), sp.loggamma(a + b) - (a + b) * sp.log(a + b) + a + b,
     lambda a, b: mpmath.loggamma(a + b) - (a + b) * mpmath.log(a + b) + a + b, [a, b], [(0.3, 2.5), (40.0, 0.7)]),
    (F.wdigamma_rem_sum(x, a, b), (a + b + x) * (sp.polygamma(0, a + b) - sp.log(a + b)),
     lambda x, a, b: (a + b + x) * (mpmath.digamma(a + b) - mpmath.log(a + b)), [x, a, b],
     [(-2.0, 0.3, 2.5), (0.5, 40.0, 0.7)]),
    # the Beta/Dirichlet entropies' ψ terms gathered, and their gradients' (S + c)ψ′(S + 1) (functions/gamma_sum.py)
    (F.wdigamma_rem_gap(a, b, y), (a + b + y - 3) * (sp.polygamma(0, a + b + y) - sp.log(a + b + y))
     - sum((t - 1) * (sp.polygamma(0, t) - sp.log(t)) for t in (a, b, y)),
     lambda a, b, y: ((a + b + y - 3) * (mpmath.digamma(a + b + y) - mpmath.log(a + b + y))
                      - sum((t - 1) * (mpmath.digamma(t) - mpmath.log(t)) for t in (a, b, y))), [a, b, y],
     [(0.3, 2.5, 1.0), (40.0, 0.7, 3e-3)]),
    (F.wtrigamma_sum(x, a, b), (a + b + x) * sp.polygamma(1, a + b + 1),
     lambda x, a, b: (a + b + x) * mpmath.psi(1, a + b + 1), [x, a, b], [(-2.0, 0.3, 2.5), (0.5, 40.0, 0.7)]),
    # the Beta/Dirichlet cross-entropy's log B and ψ terms as one (functions/dirichlet_xent.py), Penny 2001
    (F.dirichlet_xent(a, b, x, u), sp.loggamma(x) + sp.loggamma(u) - sp.loggamma(x + u)
     + (x - 1) * (sp.polygamma(0, a + b) - sp.polygamma(0, a)) + (u - 1) * (sp.polygamma(0, a + b) - sp.polygamma(0, b)),
     lambda a, b, x, u: (mpmath.log(mpmath.beta(x, u)) + (x - 1) * (mpmath.digamma(a + b) - mpmath.digamma(a))
                         + (u - 1) * (mpmath.digamma(a + b) - mpmath.digamma(b))),
     [a, b, x, u], [(0.3, 2.5, 1.5, 0.7), (40.0, 0.7, 9.0, 3.0)]),
    # a sum recomputed exactly where its terms cancel (functions/screened_sum.py; the Gamma/χ² CE split)
    (F.screened_sum(F.lgamma_balanced(a), x), sp.loggamma(a) - (a - 1) * sp.log(a) - sp.log(1 + a) / 2 + a
     - sp.log(2 * sp.pi) / 2 + x,
     lambda a, x: mpmath.loggamma(a) - (a - 1) * mpmath.log(a) - mpmath.log1p(a) / 2 + a - mpmath.log(2 * mpmath.pi) / 2 + x,
     [a, x], [(0.3, 2.5), (1.0, 0.08), (40.0, 0.7)]),
]
IDS = [type(c[0]).__name__ for c in CASES]


def test_every_stable_function_has_a_case():
    # a new stable function is tested (definition proved, derivatives, mpmath value) by adding it to CASES
    covered = {type(c[0]) for c in CASES}
    assert set(F.STABLE_FUNCTIONS) <= covered, set(F.STABLE_FUNCTIONS) - covered


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_definition_is_proved(case):
    f, definition, *_ = case
    proof = prove(F.to_elementary(f), definition)
    assert proof.status == "proved", str(proof)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_derivatives_against_mpmath_diff(case):
    f, _, ref, args, points = case
    oracles.assert_derivatives_match_mpmath(f, ref, args, points)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_evalf_matches_mpmath(case):
    f, _, ref, args, points = case
    for pt in points:
        got = f.subs(dict(zip(args, map(sp.Float, pt)))).evalf(30)
        with mpmath.workdps(40):
            want = ref(*map(mpmath.mpf, pt))
        assert abs(float(got) - float(want)) <= 1e-14 * max(1, abs(float(want)))


# -- float64 implementations, in ULPs against exact values -----------------------------------------------------
def _ulps(fn, expr, args, cols):
    with np.errstate(all="ignore"):
        got = np.asarray(fn(*cols), dtype=float)
    exact = np.array([ground_truth(expr, args, pt).value for pt in zip(*cols)])
    return ulp_distance(got, exact)


def _bits(rng, lo, hi, n):
    from symce.numeric.verify import sample_interval

    return sample_interval(rng, (lo, hi, True, True), n)


NP = impl.array_impls("numpy")


def test_numpy_softplus_and_log_sigmoid_within_2_ulp():
    rng = np.random.default_rng(1)
    z = np.concatenate([_bits(rng, -1e3, 1e3, 300), [-800, -745, -40, -37, 0, 37, 40, 709.78, 710, 800]])
    assert _ulps(NP["softplus"], sp.log(1 + sp.exp(x)), [x], [z]).max() <= 2
    assert _ulps(NP["log_sigmoid"], -sp.log(1 + sp.exp(-x)), [x], [z]).max() <= 2


def test_numpy_log1pmx_within_2_ulp():
    rng = np.random.default_rng(2)
    v = np.concatenate([_bits(rng, -0.999, 1e6, 300), [1e-300, 1e-12, -0.5, 0.5, 2, 4, -0.8]])
    assert _ulps(NP["log1pmx"], sp.log(1 + x) - x, [x], [v]).max() <= 2


def test_numpy_xlogy_zero_convention_and_accuracy():
    assert NP["xlogy"](0.0, 0.0) == 0.0 and NP["xlog1py"](0.0, -1.0) == 0.0
    rng = np.random.default_rng(3)
    p, q = _bits(rng, 0, 1, 200), _bits(rng, 0, 1, 200)
    assert _ulps(NP["xlogy"], x * sp.log(y), [x, y], [p, q]).max() <= 1


def test_numpy_logsumexp_huge_gap_and_ties():
    f = NP["logsumexp"]
    assert f(np.array([800.0]), np.array([0.0]))[0] == 800.0  # no overflow
    assert f(np.array([-800.0]), np.array([-800.0]))[0] == pytest.approx(-800 + math.log(2), rel=1e-16)
    z = sp.symbols("z1:4", real=True)
    rng = np.random.default_rng(4)
    cols = [rng.normal(0, 30, 200) for _ in range(3)]
    assert _ulps(f, sp.log(sum(sp.exp(t) for t in z)), list(z), cols).max() <= 2


def test_math_and_mpmath_backends_agree_with_numpy():
    m = impl.math_impls()
    mp = impl.mpmath_impls()
    for name, args in [("softplus", (3.5,)), ("log1pmx", (1e-9,)), ("xlogy", (0.0, 0.0)), ("logsumexp", (1.0, 800.0))]:
        want = float(np.asarray(NP[name](*args)))
        assert m[name](*args) == want
        with mpmath.workdps(30):
            assert abs(float(mp[name](*map(mpmath.mpf, args))) - want) <= 2e-16 * max(1, abs(want))


def test_torch_backend_matches_numpy():
    torch = pytest.importorskip("torch")
    T = impl.array_impls("torch")
    z = np.array([-800.0, -40.0, 0.0, 3.0, 40.0, 800.0])
    for name in ("softplus", "log_sigmoid", "sigmoid", "log1pmx"):
        got = T[name](torch.as_tensor(z, dtype=torch.float64)).numpy()
        with np.errstate(all="ignore"):
            want = NP[name](z)
        np.testing.assert_array_equal(got, want)


def test_plain_sympy_latex_keeps_powers_of_every_stable_function():
    # no printer may drop an exponent: (xlogy(x, y))² was once printed as xlogy(x, y). The notation is the
    # printing layer's (symce.printing.stable), so plain sympy.latex writes SymPy's own name^{2}(args) form
    import sympy as sp

    from symce.numeric.functions import kl_div, log_sigmoid, softplus, xlogy

    x, y = sp.symbols("x y", positive=True)
    for f in (xlogy(x, y), kl_div(x, y), log_sigmoid(x), softplus(x)):
        assert "^{2}" in sp.latex(f**2), sp.latex(f**2)


def test_symce_latex_keeps_powers_of_every_stable_function():
    from symce.printing.printer import latex

    xs = sp.symbols("x1:7", positive=True)
    for cls in F.STABLE_FUNCTIONS:
        for k in (1, 2, 3, 4, 6):
            try:
                f = cls(*xs[:k])
            except (TypeError, ValueError):
                continue
            if isinstance(f, cls):  # not evaluated to a plain expression
                assert "^{2}" in latex(f**2), (cls, latex(f**2))
