r"""Stable special functions as SymPy functions.

Each is an ordinary ``sympy.Function`` with

* an exact **elementary definition** (``elementary()``), which is what proofs and the ground truth use;
* a derivative (``fdiff``) written with the same stable functions;
* mpmath evaluation (``_eval_evalf`` via the elementary form, which mpmath evaluates at any precision);
* numeric implementations for numpy, scipy, math, mpmath and torch in :mod:`symce.numeric.impl`.

=================  ==========================================  =============================================
function           definition                                  why it exists
=================  ==========================================  =============================================
softplus(x)        log(1 + e^x)                                e^x overflows for x > 709.78
log_sigmoid(x)     log σ(x) = −log(1 + e^{−x})                 σ(x) rounds to 0 or 1, log then gives −inf/0
xlogy(x, y)        x log y, and 0 where x = 0                  0·log 0 = 0 (the entropy convention)
xlog1py(x, y)      x log(1 + y), and 0 where x = 0             log(1 − p) for tiny p loses every digit
logsumexp(x, …)    log Σ e^{x_i}                               overflow/underflow; exact max-shift
log1pmx(x)         log(1 + x) − x                              cancels for small x (≈ −x²/2)
log1pmx_ratio(a,b) log(a/b) − a/b + 1  = log1pmx(a/b − 1)      the scale part of normal KL, near a = b
kl_div(x, y)       x log(x/y) − x + y  (≥ 0; 0 where x = 0)    relative entropy terms, near x = y
diff_ratio(a,b,s)  (a − b)/s                                   a − b overflows for a ≈ −b ≈ 1e308
log_offset(x, c)   log x + c (c a constant)                    cancels near x = e^{−c}
fsum(x, …)         x₁ + x₂ + …                                 compensated summation of a small remainder
softmax_xent(t,z)  Σ t_i (logsumexp z − z_i)                   softmax CE: no cancellation, no overflow
rel_entr_sum(p,q)  Σ p_i log(p_i/q_i)                          categorical KL near p = q, off the simplex
softmax(a; z…)     e^a / Σ e^{z_j}                             e^{z_j} overflows, ∞/∞ = NaN; exact max-shift
softmax_kl(x, y)   KL(softmax x ‖ softmax y)                   logit KL near x = y (up to a shift): cancels
softmax_rest(a; z) 1 − softmax(a; z) = Σ_{j≠i} e^{z_j}/Σ e^{z}  1 − s_i rounds to 0 (one-hot gradients)
softmax_var(a; z)  s(1 − s), s = softmax(a; z)                 the product of two kernels adds their errors
wtanh(w, a)        w·tanh(a/2) = w·(σ(a) − σ(−a))               a/2 rounds for a subnormal a (0 at 5e-324)
wdiv(w, v, x, n)   w·v/xⁿ for a weight w = σ(a) or softmax(a; z) w subnormal where w/q is not (−s_j/q_j, σ/p²)
wscale(w, v, c)    c·w·v for such a weight and a number c         c times a subnormal product (Multinomial-logit ∇)
log_gap(a,b,x,y,c) c·(a − b + log x − log y)                      logit gap minus log-ratio: cancels at softmax z = q
sigmoid_var_mix    σ(a)σ(−a)(σ(a)c₁ + σ(−a)c₂)                    a Bernoulli-logit Hessian: a chain of products rounds
log1p(x)           log(1 + x)                                  log(1 − p) for tiny p loses every digit
wprod(w, v)        w·v for a weight w = σ(a) or softmax(a; z)  w rounds to 0 (or a subnormal) below e^{−708}
                                                               where w·v does not: 0·log 0 = 0, not +∞
prob_logit_kl(p,z) Σ p_i log(p_i / softmax(z)_i)              KL(probabilities ‖ logits) near p = softmax z
logit_prob_kl(z,q) Σ s_i log(s_i / q_i), s = softmax(z)        KL(logits ‖ probabilities) near softmax z = q
exact_rational(R) R (a rational function of the inputs)      triangular-solve residuals cancel, products
                                                               overflow: correctly rounded evaluation
logprod_offset     Σ log x_i + c (c a constant)                Π x_i overflows; cancels near Π x_i = e^{−c}
lgamma_rem(x)      log Γ(x) − x log x + x  (Stirling's h)      log Γ overflows for x > 2.5e305
digamma_rem(x)     ψ(x) − log x  (h′)                           ψ(x) and log x agree for large x
stirling_bregman   h(y) − h(x) − (y − x)h′(x)  (≥ 0)           Gamma/Beta/Dirichlet KL near P = Q
stirling_bregman_sum Σ B(yᵢ, xᵢ) − B(Σ y, Σ x)                  Beta/Dirichlet KL: the B ≈ y/x overflow
log_besseli(ν, x)  log I_ν(x)                                   I₀(x) overflows for x > 713 (von Mises)
besseli_ratio      I_ν(x)/I_μ(x)                                ∞/∞ for x > 713
gamma_scaled(z, L) e^L·Γ(z)                                     λ^k·Γ(·) of a Weibull KL: ∞·0
logit_ratio(x)     logit(x)/(2x − 1)  (2 at x = ½)               continuous Bernoulli normaliser: 0/0 at ½
cbern_mean(x)      x/(2x − 1) − 1/logit(x)  (½ at x = ½)         continuous Bernoulli mean: ∞ − ∞ at ½
log_diff(b, a)     log(b − a)                                   b − a rounds or overflows (Uniform)
log_diff_ratio     log((b − a)/(d − c))                         Uniform KL, near equal supports
psi_diff(x, d)     ψ(x + d) − ψ(x) ≥ 0                          Beta/Dirichlet CE, Dirichlet H: ∞ − ∞ of ψ terms
wtrigamma_diff     w·(ψ′(x) − ψ′(x + Σ dᵢ)), difference ≥ 0       Beta/Dirichlet ∂α₁: ψ′ of close arguments, ∞ − ∞
wtrigamma_of_sum   w·ψ′(x₁ + … + x_n)                           (sums of their parts: finite where Σ overflows)
log_beta(b₁, …)    Σ log Γ(bᵢ) − log Γ(Σ bᵢ)                    Beta/Dirichlet log B: ∞ − ∞ at 1.8e308
log_sum(x₁, …)     log(x₁ + … + x_n)                            Beta/Dirichlet H: the sum α₀ overflows
lgamma_rem_sum     h(x₁ + … + x_n)                              (its parts are the arguments: log α₀,
wdigamma_rem_sum   (c + Σ xᵢ)·h′(Σ xᵢ)                           h(α₀), (α₀ − K)h′(α₀) from α₀/2ᵏ)
wdigamma_rem_gap   (S − K)h′(S) − Σ (xᵢ − 1)h′(xᵢ), S = Σ xᵢ      Beta/Dirichlet H: the poles ∓1/x, ∞ − ∞
wtrigamma_sum      (c + Σ xᵢ)·ψ′(Σ xᵢ + 1)                       Beta/Dirichlet ∂H: α₀ overflows (∞·0)
dirichlet_xent(x, b) log B(b) + Σ (bᵢ − 1)(ψ(Σx) − ψ(xᵢ))        Beta/Dirichlet CE: log B and ψ terms ∓∞
cbern_kl(x, y)     KL(CB(x) ‖ CB(y)), a Bregman divergence       ContinuousBernoulli KL near P = Q
cbern_negentropy   −H(CB(x)) = KL(CB(x) ‖ U(0, 1)) ≥ 0            ContinuousBernoulli H: terms cancel at ½
cbern_xent(x, y)   H(CB(x), CB(y)) = KL(U ‖ CB(y)) − η_y(μ_x − ½)  ContinuousBernoulli CE: terms cancel at ½
cbern_var(x)       A″(logit x) = 1/logit(x)² − x(1 − x)/(2x − 1)²  the mean's derivative: ∞ − ∞ at ½ (gradients)
cbern_logit(x)     logit x = 2 atanh(2x − 1)                      CB gradients: (2x − 1)·r split cancels at ½
cbern_dmean(w, x)  w·cbern_var(x)/(x(1 − x)) = w·dμ/dx           CB gradients: x − x² cancels near 1
cbern_mean_gap(x,y) (μ(y) − μ(x))/(y(1 − y))                       ∂H(P, Q)/∂y, ∂KL/∂y: 0/0 terms at ½
cbern_dxent(x, y)  −logit(y)·dμ/dx (H′(x) at y = x)               ∂H(P, Q)/∂x: correctly rounded (double-double)
cbern_dkl(x, y)    (logit x − logit y)·dμ/dx                      ∂KL/∂x: the logits cancel near P = Q
vonmises_kl(κ₁, κ₂, μ₁, μ₂) KL(VM ‖ VM): Bregman part + κ₂A·2sin²  von Mises KL near P = Q, κ > 713
vonmises_entropy(κ) log 2π + log I₀(κ) − κA(κ)                   log I₀ ≈ κA ≈ κ cancel for large κ
vonmises_xent(κ₁, κ₂, μ₁, μ₂) log 2π + log I₀(κ₂) − κ₂A(κ₁)cos Δ   von Mises cross-entropy, large κ
lgamma_stirling(x) log Γ(x) − (x − ½) log x + x − ½ log 2π (μ)  entropies: the logs cancel at H = 0
lgamma_balanced(x) μ(x) − ½ log(1 + 1/x)  (ν, bounded)            Gamma/χ² CE: μ ≈ −½ log x for small x
trigamma_ratio     w·ψ′(x) + (a − c·b)/b                          Gamma/χ² ∂α₁: ∞ − ∞ and 0·∞ at a tiny x
gamma_scaled_m1    (w/x)(e^L·Γ(z) − 1), exponent in double-double  Weibull ∂λ: 0 at P = Q, ∞ − ∞ beside k₂/λ
digamma_stirling   ψ(x) − log x + 1/(2x)  (μ′)                   with μ, the entropies' ψ terms
wdigamma_stirling  w·μ′(x)                                         the Gamma CE's e·μ′(α₁) (finite at α₁ = 5e-324)
gamma_scaled_excess e^L·Γ(z) − 1 − L − log Γ(z)  (≥ 0)          Weibull/Gumbel KL near P = Q
gamma_excess_shift gamma_scaled_excess(z, L) + (a − b)/s         Weibull CE: +∞ − ∞ at a subnormal k₁
scaled_kl_div(c,d,x,y) (c/d)·kl_div(x, y)                        count KLs at subnormal probabilities
kl_div_share(x,a,t,s) kl_div(x, a·t/s), t, s sums               Beta/Dirichlet KL: a·t/s under/overflows
scaled_expm1mx(a,s,t,q) (a/s)(e^{−t} − 1 + t), q = a·t/s        Laplace KL near P = Q (≈ r·t²/2)
exp_ramp(a,b,s,r)  (1 + t)e^{−t}/r, t = (b − a)/s                Laplace ∂/∂b₁: e^{−t} subnormal, t rounded
exp_rise(a,b,s,r)  (1 − e^{−t})/r, t = (b − a)/s                 Laplace ∂/∂μ: t subnormal or 0, t/r not
gamma_scaled_psi   e^L·Γ(z)·ψ(z)                                   Gumbel ∂/∂β₁: 0·∞ where Γ's argument overflows
gamma_scaled_drift e^L·Γ(z)·((z − 1)ψ(z) + L) − L                Gumbel ∂/∂β₂: ∞ − ∞ where z − 1 or L overflow
screened_sum(t…)   t₁ + … + t_k, exact where |Σ| < Σ|tᵢ|/8          Gamma/χ² CE split: its terms cancel at CE = 0
=================  ==========================================  =============================================
"""

from __future__ import annotations

from symce.numeric.functions.base import StableFunction, to_elementary
from symce.numeric.functions.elementary import (diff_ratio, fsum, kl_div, log1p, log1pmx, log1pmx_ratio, log_offset,
                                                log_sigmoid, logsumexp, softplus, wprod, xlog1py, xlogy)
from symce.numeric.functions.bessel import besseli_ratio, log_besseli
from symce.numeric.functions.gamma import (digamma_rem, digamma_stirling, gamma_scaled, gamma_excess_shift, gamma_scaled_excess, lgamma_rem,
                                           lgamma_balanced, lgamma_stirling, stirling_bregman, stirling_bregman_sum,
                                           trigamma_ratio, wdigamma_stirling, gamma_scaled_m1)
from symce.numeric.functions.exact import exact_rational, logprod_offset, rational_log_sum
from symce.numeric.functions.log_diff import log_diff, log_diff_ratio
from symce.numeric.functions.digamma_diff import psi_diff
from symce.numeric.functions.trigamma_diff import wtrigamma_diff, wtrigamma_of_sum
from symce.numeric.functions.log_beta import log_beta
from symce.numeric.functions.gamma_sum import lgamma_rem_sum, log_sum, wdigamma_rem_gap, wdigamma_rem_sum, wtrigamma_sum
from symce.numeric.functions.dirichlet_xent import dirichlet_xent
from symce.numeric.functions.screened_sum import screened_sum
from symce.numeric.functions.logit_ratio import (cbern_dkl, cbern_dmean, cbern_dxent, cbern_kl, cbern_logit, cbern_mean,
                                                 cbern_mean_gap, cbern_negentropy, cbern_var, cbern_xent, logit_ratio)
from symce.numeric.functions.scaled_kl import scaled_kl_div
from symce.numeric.functions.tanh_half import wtanh
from symce.numeric.functions.weight_quotient import wdiv, wscale
from symce.numeric.functions.log_gap import log_gap
from symce.numeric.functions.sigmoid_mix import sigmoid_var_mix
from symce.numeric.functions.exp_excess import scaled_expm1mx
from symce.numeric.functions.exp_ramp import exp_ramp, exp_rise
from symce.numeric.functions.gamma_scaled_grad import gamma_scaled_drift, gamma_scaled_psi
from symce.numeric.functions.kl_share import kl_div_share
from symce.numeric.functions.vonmises import vonmises_entropy, vonmises_kl, vonmises_xent
from symce.numeric.functions.logits import (logit_prob_kl, logit_xent, prob_logit_kl, rel_entr_sum, softmax, softmax_kl,
                                            softmax_rest, softmax_var, softmax_xent)

STABLE_FUNCTIONS = (softplus, log_sigmoid, xlogy, xlog1py, logsumexp, log1pmx, log1pmx_ratio, kl_div,
                    diff_ratio, log_offset, fsum, softmax_xent, logit_xent, rel_entr_sum, softmax, softmax_kl, log1p,
                    wprod, prob_logit_kl, logit_prob_kl, exact_rational, logprod_offset, rational_log_sum,
                    lgamma_rem, digamma_rem, stirling_bregman, stirling_bregman_sum, log_besseli, besseli_ratio, gamma_scaled,
                    lgamma_stirling, lgamma_balanced, trigamma_ratio, gamma_scaled_m1, digamma_stirling, wdigamma_stirling, gamma_scaled_excess, gamma_excess_shift, logit_ratio, cbern_mean,
                    log_diff, log_diff_ratio, cbern_kl, cbern_negentropy, cbern_xent, cbern_var, cbern_logit, cbern_dmean, cbern_mean_gap, cbern_dxent, cbern_dkl, vonmises_kl, vonmises_entropy,
                    vonmises_xent, softmax_rest, softmax_var, wtanh, wdiv, wscale, log_gap, sigmoid_var_mix, scaled_kl_div, kl_div_share, psi_diff, log_beta,
                    log_sum, lgamma_rem_sum, wdigamma_rem_sum, wdigamma_rem_gap, wtrigamma_sum, dirichlet_xent, scaled_expm1mx, exp_ramp, exp_rise,
                    wtrigamma_diff, wtrigamma_of_sum, gamma_scaled_psi, gamma_scaled_drift, screened_sum)

__all__ = ["StableFunction", "softplus", "log_sigmoid", "xlogy", "xlog1py", "logsumexp", "log1pmx",
           "log1pmx_ratio", "kl_div", "diff_ratio", "log_offset", "fsum", "softmax_xent", "logit_xent", "rel_entr_sum",
           "softmax", "softmax_kl", "log1p", "wprod", "prob_logit_kl", "logit_prob_kl",
           "exact_rational", "logprod_offset", "rational_log_sum",
           "lgamma_rem", "digamma_rem", "stirling_bregman", "stirling_bregman_sum", "log_besseli", "besseli_ratio", "gamma_scaled",
           "lgamma_stirling", "lgamma_balanced", "trigamma_ratio", "gamma_scaled_m1", "digamma_stirling", "wdigamma_stirling", "gamma_scaled_excess", "gamma_excess_shift", "logit_ratio", "cbern_mean",
           "log_diff", "log_diff_ratio", "cbern_kl", "cbern_negentropy", "cbern_xent", "cbern_var", "cbern_logit", "cbern_dmean", "cbern_mean_gap", "cbern_dxent", "cbern_dkl", "vonmises_kl", "vonmises_entropy", "vonmises_xent",
           "softmax_rest", "softmax_var", "wtanh", "wdiv", "wscale", "log_gap", "sigmoid_var_mix", "scaled_kl_div", "kl_div_share", "psi_diff", "log_beta",
           "log_sum", "lgamma_rem_sum", "wdigamma_rem_sum", "wdigamma_rem_gap", "wtrigamma_sum", "dirichlet_xent", "scaled_expm1mx", "exp_ramp", "exp_rise", "wtrigamma_diff", "wtrigamma_of_sum", "gamma_scaled_psi", "gamma_scaled_drift", "screened_sum", "STABLE_FUNCTIONS",
           "to_elementary"]
