r"""The stabilising rewrite: derived formulas → forms built from the stable functions.

Each rule is an exact identity applied to the whole expression; :func:`stabilise` records every step that
changed something and (by default) proves it equal to its input with :func:`symce.prove`, after replacing
the stable functions by their elementary definitions. Rules, in order:

0'. ``continuous Bernoulli forms`` — its normaliser and mean as logit_ratio and cbern_mean (0/0 at λ = ½):
   :mod:`symce.numeric.rewrite_logit_ratio`; ``log of a difference`` — log(b − a) of two inputs as
   log_diff(b, a), the difference exact (Uniform: :mod:`symce.numeric.functions.log_diff`);
0. ``Stirling split`` and (after rule 1) ``collect ψ`` and ``scaled relative entropy`` — the O((y − x)²)
   part of a Gamma/Beta/Dirichlet KL as one function, log Γ and ψ of an entropy as Stirling's remainder h
   and its derivative plus logarithms: :mod:`symce.numeric.rewrite_special`; before it ``cross-entropy split``
   — the Gamma, inverse-gamma and χ² cross-entropies' log Γ(y) and ψ(x) of different arguments as
   kl_div(y, Y) + μ(y) + e·μ′(x) + one rational_log_sum: :mod:`symce.numeric.rewrite_gamma_xent`;
1. ``separate logarithms`` — log(a/b) → log a − log b for positive a, b (expand_log without force) and
   products distributed over sums (expand_mul), so the rules below see individual terms;
1a. ``softmax`` — e^a/Σ_j e^{z_j} → softmax(a; z), log Σ e^{z_j} → logsumexp(z) (categorical with logits
   on the P side: e^{z} overflows and the quotient becomes ∞/∞);
2. ``softplus`` — log(1 + e^a) → softplus(a); log σ(a) → log_sigmoid(a); 1 − σ(a) → σ(−a);
2a. ``logit KL`` — logsumexp(y) − logsumexp(x) + Σ softmax(x)_i (x_i − y_i) → softmax_kl(x, y), and the
   Bernoulli form softplus(b) − softplus(a) + σ(a)(a − b) → softmax_kl(a, 0, b, 0): no cancellation near x = y;
2b. ``log-softmax`` — Σ s_i z_i − logsumexp(z) → Σ s_i log s_i when every s_i also has a −s_i log B_i
   partner, so rule 3 makes the categorical-logits KL a rel_entr_sum of the softmax probabilities;
3. ``relative entropy`` — A log A − A log B → kl_div(A, B) + A − B, applied only when the A − B parts of
   all pairs cancel exactly (Bernoulli: p₁ − p₂ + (1 − p₁) − (1 − p₂) = 0), so every kl_div term is ≥ 0
   and no cancellation is left between terms;
3'. ``common-factor relative entropy`` — the same for pairs c·B log B − c·B log B′ whose coefficients share a
   factor c (Binomial n, Geometric 1/p₁, NegativeBinomial r/(1 − p₁), Multinomial n):
   :mod:`symce.numeric.rewrite_counts`, which also writes 1 − 1/x as (x − 1)/x (Geometric, near p = 1);
4. ``softplus with a linear term`` — softplus(a) − t·a → (1 − t)·softplus(a) + t·softplus(−a): both terms
   ≥ 0 for 0 ≤ t ≤ 1, where the input cancels catastrophically (t = 1, a ≫ 0);
5. ``scale log-ratio`` — −c·log(a/b) + P(a) with P(b(1+u)) = c·u + O(u²) → −c·log1pmx_ratio(a, b) +
   (P − c·u) in u = (a − b)/b: the normal KL's log σ₂/σ₁ − 1/2 + σ₁²/(2σ₂²) becomes
   −log1pmx(σ₁/σ₂ − 1) + u²/2, all terms ≥ 0;
6. ``scaled squares`` — (a − b)²/s² → diff_ratio(a, b, s)², a²/s² → diff_ratio(a, 0, s)² (no overflow
   of a² when a/s is representable);
7. ``xlogy`` — A·log B → xlogy(A, B), A·log(1 + y) → xlog1py(A, y) (0·log 0 = 0);
8. ``log offset`` — c·log x + K (K a constant) → c·log_offset(x, K/c) (cancels at x = e^{−K/c});
9. ``logsumexp`` — log Σ e^{a_i} → logsumexp(a_1, …);
10. ``softmax cross-entropy`` — logsumexp(z) − Σ t_i z_i → softmax_xent(t, z) = Σ t_i (logsumexp z − z_i),
    using the assumption Σ t_i = 1 (the proof eliminates one t_i with it) or t = softmax(x) (Σ t_i = 1
    identically: the entropy and cross-entropy of a categorical with logits); every term is ≥ 0;
11. ``positive weights`` — xlogy(w, y) → wprod(w, log y), xlog1py(w, y) → wprod(w, log1p y), w·F →
    wprod(w, F) for w = σ(a) or softmax(a; z): w > 0 exactly but rounds to 0 below e^{−745}, so xlogy's
    0·log 0 = 0 is wrong there (the value is +∞); wprod takes the product in extended range from the logits.
13.–16. rules for the shapes derivatives take (``sigmoid minus target`` σ(a) − t → (1 − t)σ(a) − tσ(−a),
    ``sigmoid variance`` σ − σ² → σ(a)σ(−a), ``quotient of differences`` and ``scaled quotient`` for
    log-free rational gradients): :mod:`symce.numeric.rewrite_gradients`. A derivative is lambdified
    through the same :func:`stabilise` as a value, so these make gradients and Hessians stable.
10a. ``probability–logit KL`` — Σ xlogy(p_i, p_i) + softmax_xent(p, z) → prob_logit_kl(p, z), and the
    Bernoulli form xlogy(p, p) + xlog1py(1 − p, −p) + p·softplus(−a) + (1 − p)·softplus(a) →
    prob_logit_kl(p, 1 − p, a, 0): the entropy and the cross-entropy cancel near p = softmax z;
    rel_entr_sum(softmax(z)…, q…) → logit_prob_kl(z, q), and the Bernoulli form −σ(a)·softplus(−a) −
    σ(−a)·softplus(a) − xlogy(σ(a), q₁) − xlog1py(σ(−a), y) → logit_prob_kl(a, 0, q₁, 1 + y): the same
    with the roles swapped (KL of logits against probabilities).
10b. ``logit cross-entropy`` — softmax_xent(softmax(x)…, z) → logit_xent(x, z) (entropy and cross-entropy of
    categoricals with logits): the implementation gets the logits, so underflowing weights still count.

8a. ``log of a product``, 8a'. ``rational log sum`` (before it) and 12. ``rational part`` —
    :mod:`symce.numeric.rewrite_exact`.

The rules on logarithms are in :mod:`symce.numeric.rewrite_logs`, those of categorical distributions with
logits in :mod:`symce.numeric.rewrite_logits`, the proof of a step in :mod:`symce.numeric.rewrite_proof`;
this module holds their order (:data:`RULES`) and :func:`stabilise`, which applies them.

Where the A − B parts do not cancel symbolically (categorical: Σ p_i − Σ q_i, which is 0 only on the
simplex), rule 3 produces ``rel_entr_sum(A…, B…)`` instead, a k-ary reduction that is exact for float inputs
slightly off the simplex too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.core.mul import _keep_coeff

from symce.core.special import sigmoid
from symce.numeric.rewrite_gradients import (exact_rational_form, quotient_of_differences, scaled_quotient,
                                             sigmoid_minus_target, sigmoid_variance, softmax_polynomial,
                                             weight_quotients)
from symce.numeric.rewrite_exact import log_product, log_ratios, log_rational_sum, rational_part
from symce.numeric.rewrite_counts import (common_factor_relative_entropy, one_minus_reciprocal, reciprocal_out_of_xlogy,
                                          simplex_homogenise)
from symce.numeric.rewrite_logit_ratio import continuous_bernoulli_forms
from symce.numeric.rewrite_multinomial import multinomial_coefficient_terms
from symce.numeric.rewrite_branch_scale import branch_scale_ratio
from symce.numeric.rewrite_laplace_grad import laplace_derivative_forms
from symce.numeric.rewrite_scaled_piecewise import scaled_branches
from symce.numeric.functions.kl_share import kl_div_shares
from symce.numeric.rewrite_vonmises import vonmises_kl_form
from symce.numeric.rewrite_log_quotients import log_over_powers
from symce.numeric.rewrite_vonmises_grad import vonmises_derivative_forms
from symce.numeric.functions.log_diff import log_differences
from symce.numeric.rewrite_logits import (log_softmax_pairs, logit_cross_entropy, logit_kl, logit_probability_kl,
                                          positive_weights, probability_logit_kl, softmax_cross_entropy, softmax_forms)
from symce.numeric.rewrite_logs import (log_offset_form, logsumexp_form, relative_entropy, scale_log_ratio,
                                        scaled_squares, separate_logarithms, softplus_forms, softplus_with_linear_term,
                                        xlogy_forms)
from symce.numeric.functions.bessel import bessel_forms
from symce.numeric.rewrite_proof import prove_step
from symce.numeric.rewrite_guards import has_any, heads, may_apply
from symce.numeric.rewrite_gamma_xent import cross_entropy_split
from symce.numeric.rewrite_digamma_diff import digamma_differences
from symce.numeric.rewrite_trigamma import trigamma_ratios
from symce.numeric.rewrite_trigamma_diff import digamma_pole_shift, trigamma_differences
from symce.numeric.rewrite_weibull_grad import constant_over_powers, weibull_derivative_forms
from symce.numeric.rewrite_harmonic import harmonic_numbers
from symce.numeric.rewrite_polygamma_shift import polygamma_shift, reciprocal_powers
from symce.numeric.rewrite_polygamma_sum import polygamma_shift_at_sums
from symce.numeric.rewrite_gamma_scaled_grad import gamma_scaled_location_scale
from symce.numeric.rewrite_location_scale_xent import location_scale_xent_sum
from symce.numeric.rewrite_gamma_sum import stirling_parts_at_sums
from symce.numeric.rewrite_log_beta import dirichlet_cross_entropy, log_beta_terms
from symce.numeric.rewrite_special import (bregman_sum, collect_digamma, entropy_log_sum, gamma_products,
                                           gamma_scaled_excess_form,
                                           scaled_relative_entropy, stirling_split)


@dataclass(frozen=True)
class RewriteStep:
    rule: str
    before: sp.Expr
    after: sp.Expr
    proof: object = None  # a symce.Proof when proved

    @property
    def status(self) -> str:
        return self.proof.status if self.proof is not None else "not checked"


@dataclass(frozen=True)
class Stabilised:
    """The result of :func:`stabilise`: the input, the stable form, and every step with its proof."""

    original: sp.Expr
    expr: sp.Expr
    steps: tuple = field(default=())

    @property
    def proved(self) -> bool:
        return all(s.proof is not None and s.proof.status == "proved" for s in self.steps)

    def __str__(self) -> str:
        lines = [f"{self.original}"]
        for s in self.steps:
            lines.append(f"  = {s.after}    [{s.rule}; {s.status}]")
        return "\n".join(lines)


# -- the rules, in the order they are applied ----------------------------------------------------------
RULES = (
    ("continuous Bernoulli forms: 2 atanh(2λ − 1) = logit λ = (2λ − 1)·logit_ratio(λ), "
     "λ/(2λ − 1) − 1/logit λ = cbern_mean(λ)", continuous_bernoulli_forms),
    ("log of a difference: log(b − a) = log_diff(b, a)", log_differences),
    ("von Mises KL: A(κ₁)(κ₁ − κ₂ cos(μ₁ − μ₂)) − log I₀(κ₁) + log I₀(κ₂) = vonmises_kl(κ₁, κ₂, μ₁, μ₂)",
     vonmises_kl_form),
    ("Bessel forms: log I_ν(x) = log_besseli(ν, x), I_ν(x)/I_μ(x) = besseli_ratio(ν, μ, x)", bessel_forms),
    ("Γ products: b^k·e^u·Γ(z) = gamma_scaled(z, k log b + u)", gamma_products),
    ("cross-entropy split: c·log Γ(y) + e·ψ(x) + R = c·kl_div(y, Y) + c·μ(y) + e·μ′(x) + "
     "rational_log_sum(…) (Stirling with Binet's μ at y and at x)", cross_entropy_split),
    ("Stirling split: log Γ(y) − log Γ(x) − (y − x)ψ(x) = stirling_bregman(y, x) + y log(y/x) − y + x; "
     "log Γ(x) = h(x) + x log x − x, ψ(x) = h′(x) + log x", stirling_split),
    ("Laplace derivative forms: e^x − 1 = wtanh(e^x + 1, x), (a − b)/r = diff_ratio(a, b, r), "
     "(1 − (a·e^{−t} + |Δ|)/s)/s = ((s − a)/s − scaled_expm1mx(a, s, t, |Δ|/s))/s", laplace_derivative_forms),
    ("separate logarithms (expand_log for positive arguments, expand_mul)", separate_logarithms),
    ("softmax polynomial: e^{z_i}/Σ e^{z_j} = s_i, each term times (Σ s_j)^Δ = 1 to one degree, collected "
     "(s_i − p_i = s_i (1 − p_i) − p_i Σ_{j≠i} s_j; σ(a) − 1 = −σ(−a))", softmax_polynomial),
    ("Multinomial coefficient terms: c·R(e^{z}) = c·P(softmax(z)) for R homogeneous of degree 0",
     multinomial_coefficient_terms),
    ("Γ-scaled excess: e^L Γ(z) − 1 − L − log r + γ(r − 1) = gamma_scaled_excess(z, L) + stirling_bregman(z, 2) + "
     "kl_div(z, 2) + kl_div(1, r), z = 1 + r", gamma_scaled_excess_form),
    ("collect ψ: Σ cᵢ h′(x) = (Σ cᵢ)·h′(x)", collect_digamma),
    ("polygamma shift at a sum: Σ cᵢψ′(xᵢ) + (S + c)ψ′(S) = Σ cᵢψ′(xᵢ + 1) + wtrigamma_sum(c, x…) + "
     "exact_rational(Σ cᵢ/xᵢ² + (S + c)/S²), S = x₁ + … + x_n", polygamma_shift_at_sums),
    ("trigamma ratio: w·ψ′(x) + a/b = trigamma_ratio(w, x, a, b, 0)", trigamma_ratios),
    ("Weibull derivative forms: k₂(G − 1)/λ = k₂·gamma_scaled_m1/λ, (G − 1)L/k₂ + Gψ(z)/k₁ = drift/k₂, "
     "terms over k₁² divided in turn (G = e^L·Γ(z))", weibull_derivative_forms),
    ("harmonic numbers: c·ψ(x) + c·γ = c·H_x − c/x (H_x = ψ(x + 1) + γ)", harmonic_numbers),
    ("polygamma shift: c·ψ⁽ⁿ⁾(x) + R = c·ψ⁽ⁿ⁾(x + 1) + exact_rational(R + c(−1)ⁿ⁺¹n!/xⁿ⁺¹), x = k·s reaching 0",
     polygamma_shift),
    ("trigamma differences: Σ cᵢψ′(xᵢ) + c_S·ψ′(S) = exact_rational(Σ cᵢp(xᵢ) + c_S·p(S)) + "
     "Σ wtrigamma_diff(cᵢ, xᵢ + 2, S − xᵢ) + wtrigamma_of_sum(c_S + Σ cᵢ, S, 2), S = Σ xⱼ, p(t) = 1/t² + 1/(t + 1)²",
     trigamma_differences),
    ("digamma differences: Σ cᵢψ(xᵢ) − (Σ cᵢ)ψ(Σ xⱼ) = −Σ cᵢ·psi_diff(xᵢ, Σ xⱼ − xᵢ)", digamma_differences),
    ("digamma pole shift: Σ n·psi_diff(xᵢ, dᵢ) = Σ n·psi_diff(xᵢ + 1, dᵢ) + exact_rational(Σ n·dᵢ/(xᵢ(xᵢ + dᵢ)))",
     digamma_pole_shift),
    ("entropy log sum: K + R₀ + Σ cᵢ log xᵢ = rational_log_sum(K, R₀, c₁, x₁, …)", entropy_log_sum),
    ("scaled relative entropy: A log(A/Y) − A + Y = kl_div(A, Y)", scaled_relative_entropy),
    ("Bregman sum: Σ B(yᵢ, xᵢ) − B(Σ yᵢ, Σ xᵢ) = stirling_bregman_sum(y₁, x₁, …)", bregman_sum),
    ("relative-entropy shares: kl_div(x, a·Σt/Σs) = kl_div_share(x, a, Σt, Σs)", kl_div_shares),
    ("log Beta: c·(Σ log Γ(xᵢ) − log Γ(Σ xᵢ)) = c·log_beta(x₁, …) (after the Stirling and Bregman rules)", log_beta_terms),
    ("Stirling parts at a sum: h(S) = lgamma_rem_sum(x…), (S + c)·h′(S) = wdigamma_rem_sum(c, x…), "
     "log S = log_sum(x…) for S = x₁ + … + x_n", stirling_parts_at_sums),
    ("Dirichlet cross-entropy: log_beta(b) + Σ (bᵢ − 1)·psi_diff(xᵢ, X − xᵢ) = dirichlet_xent(x, b)",
     dirichlet_cross_entropy),
    ("softmax: e^a/Σ e^{z_j} = softmax(a; z), log Σ e^{z_j} = logsumexp(z)", softmax_forms),
    ("softplus: log(1 + e^a) = softplus(a), log σ(a) = log_sigmoid(a), 1 − σ(a) = σ(−a)", softplus_forms),
    ("logit KL: logsumexp(y) − logsumexp(x) + Σ softmax(x)_i (x_i − y_i) = softmax_kl(x, y)", logit_kl),
    ("log-softmax: Σ softmax(z)_i z_i − logsumexp(z) = Σ s_i log s_i", log_softmax_pairs),
    ("relative entropy: A log A − A log B = kl_div(A, B) + A − B", relative_entropy),
    ("common-factor relative entropy: c·B log B − c·B log B′ = c·(kl_div(B, B′) + B − B′)",
     common_factor_relative_entropy),
    ("one minus a reciprocal: 1 − 1/x = (x − 1)/x", one_minus_reciprocal),
    ("homogenise on the simplex: P(p) = Σ monomials·(Σ p_i)^{d − k} for Σ p_i = 1", simplex_homogenise),
    ("softplus with a linear term: softplus(a) − t·a = (1 − t)·softplus(a) + t·softplus(−a)", softplus_with_linear_term),
    ("scale log-ratio: −log(a/b) + (a/b − 1) = −log1pmx(a/b − 1)", scale_log_ratio),
    ("scaled squares: (a − b)²/s² = diff_ratio(a, b, s)²", scaled_squares),
    ("scaled branches: Piecewise(…)/s term by term, c·(a − b)/s = c·diff_ratio(a, b, s)", scaled_branches),
    ("branch scale ratio: −c·log(a/b) − c + c·(a·e^{−t} + a·t)/b in each branch = −c·log1pmx(a/b − 1) + "
     "c·scaled_expm1mx(a, b, t, a·t/b), (a/b)·(e^{−t} − 1 + t) ≥ 0", branch_scale_ratio),
    ("log ratio: C·log x − C·log y = rational_log_sum(0, 0, C, x/y) (the quotient in double-double)", log_ratios),
    ("xlogy: A·log B = xlogy(A, B), A·log(1 + y) = xlog1py(A, y)", xlogy_forms),
    ("reciprocal out of xlogy: xlog1py((x − 1)/x, y) = xlog1py(x − 1, y)/x", reciprocal_out_of_xlogy),
    ("log over a power: Σ c·xlog1py(k/xⁿ, y) = (…(Σ c·k·log1p(y))/x…)/x, divided in turn", log_over_powers),
    ("rational log sum: K + R₀ + Σ c_i log R_i = rational_log_sum(K, R₀, c_1, R_1, …)", log_rational_sum),
    ("log of a product: c·Σ log x_i + K = c·logprod_offset(x…, K/c)", log_product),
    ("log offset: log x + c = log_offset(x, c)", log_offset_form),
    ("logsumexp: log Σ e^{a_i} = logsumexp(a_1, …)", logsumexp_form),
    ("softmax cross-entropy: logsumexp(z) − Σ t_i z_i = Σ t_i (logsumexp(z) − z_i) for Σ t_i = 1", softmax_cross_entropy),
    ("probability–logit KL: Σ p_i log p_i + Σ p_i (logsumexp z − z_i) = prob_logit_kl(p, z)", probability_logit_kl),
    ("logit–probability KL: Σ softmax(z)_i (log softmax(z)_i − log q_i) = logit_prob_kl(z, q)", logit_probability_kl),
    ("logit cross-entropy: softmax_xent(softmax(x)…, z) = logit_xent(x, z)", logit_cross_entropy),
    ("positive weights: σ(a)·v = wprod(σ(a), v), xlogy(σ(a), y) = wprod(σ(a), log y)", positive_weights),
    ("rational part: Σ rational terms (with a nested ratio) = exact_rational(Σ)", rational_part),
    ("sigmoid minus target: σ(a) − t = (1 − t)·σ(a) − t·σ(−a)", sigmoid_minus_target),
    ("sigmoid variance: σ(a) − σ(a)² = σ(a)·σ(−a)", sigmoid_variance),
    ("weight quotients: w·v/xⁿ = wdiv(w, v, x, n) for w = σ(a) or softmax(a; z)", weight_quotients),
    ("reciprocal powers: Σ F_k/xᵏ = ((F_N/x + F_{N−1})/x + …)/x, divided in turn", reciprocal_powers),
    ("Γ-scaled location–scale form: Σ_k d^k·(A_k + G·B_k) in r = q/d and L = diff_ratio(a, b, d), "
     "G = gamma_scaled(1 + r, L)", gamma_scaled_location_scale),
    ("location–scale cross-entropy sum: log-scale + location terms = screened_sum(terms…), exact where they "
     "cancel (the CE crosses 0)", location_scale_xent_sum),
)

# log-free expressions of Bessel functions (the von Mises gradients): only these apply
BESSEL_RULES = (
    ("von Mises derivative: c·(1 − A/κ − A²) = c·A′(κ) = vonmises_kl_dk1 (A = I₁/I₀, I₂ = I₀ − 2I₁/κ), "
     "I_ν/I_μ = besseli_ratio", vonmises_derivative_forms),
)

# log-free expressions (rational gradients): only these apply
RATIONAL_RULES = (
    ("constant over powers: c₁/x + c₂/x² = c₁·diff_ratio(x, −c₂/c₁, x)/x", constant_over_powers),
    ("quotient of differences: Σ rational terms = Π (a_i − b_i) / D", quotient_of_differences),
    ("exact rational derivative: R = exact_rational(R)", exact_rational_form),
    ("scaled quotient: N/sⁿ = s^{m−n}·N(x/s), differences as diff_ratio(a, b, s)", scaled_quotient),
)


def _content_primitive(e, memo: dict):
    """``e.as_content_primitive()``, SymPy's algorithm (radical=False, clear=True) with each distinct subtree's
    result computed once: SymPy recurses into every occurrence, and the LowRank MVN gradients repeat their
    subtrees ~25× (3 800 nodes, 130 distinct), which made this test a tenth of stabilise's time."""
    got = memo.get(e)
    if got is not None:
        return got
    t = type(e)
    if t is sp.Add:
        got = sp.Add(*[_keep_coeff(*_content_primitive(a, memo)) for a in e.args]).primitive()
    elif t is sp.Mul:
        coef, args = sp.S.One, []
        for a in e.args:
            c, p = _content_primitive(a, memo)
            coef *= c
            if p is not sp.S.One:
                args.append(p)
        got = coef, sp.Mul(*args)
    elif t is sp.Pow:
        got = _pow_content_primitive(e, memo)
    else:
        got = e.as_content_primitive()
    memo[e] = got
    return got


def _pow_content_primitive(e, memo: dict):
    """``Pow.as_content_primitive`` (SymPy 1.12–1.14, radical=False, clear=True) over
    :func:`_content_primitive`."""
    b, x = e.as_base_exp()
    b = _keep_coeff(*_content_primitive(b, memo))
    ce, pe = _content_primitive(x, memo)
    if b.is_Rational:
        h, t = pe.as_coeff_Add()
        if h.is_Rational and b != sp.S.Zero:
            ceh = ce * h
            c = sp.Pow(b, ceh)
            r = sp.S.Zero
            if not c.is_Rational:
                iceh, r = divmod(ceh.p, ceh.q)
                c = sp.Pow(b, iceh)
            return c, sp.Pow(b, _keep_coeff(ce, t + r / ce / ceh.q))
    x = _keep_coeff(ce, pe)
    if x.is_Rational and b.is_Mul:
        h, t = _content_primitive(b, memo)
        c, m = sp.Pow(h, x).as_coeff_Mul()
        m, me = m.as_base_exp()
        if m is sp.S.One or me == x:
            return c, sp.Pow(_keep_coeff(m, t), x)
    return sp.S.One, sp.Pow(b, x)


def stabilise(expr, *, prove: bool = True, assumptions=(), _content: dict | None = None) -> Stabilised:
    """Rewrite ``expr`` into stable functions; with ``prove`` each changed step carries a Proof that it
    equals its input (the stable functions replaced by their elementary definitions). ``_content``: the
    content test's memo, shared by a matrix's entries (they share most subtrees)."""
    memo = {} if _content is None else _content
    if isinstance(expr, sp.MatrixBase):
        parts = [stabilise(x, prove=prove, assumptions=assumptions, _content=memo) for x in expr]
        return Stabilised(expr, sp.ImmutableMatrix(expr.shape[0], expr.shape[1], [p.expr for p in parts]),
                          tuple(s for p in parts for s in p.steps))
    if isinstance(expr, sp.Piecewise):
        # each branch on its own (Pareto: finite where x₁ ≥ x₂, +∞ elsewhere): the rules read a formula's
        # terms, which the Piecewise around them hides from every rule that matches a sum
        parts = [stabilise(b, prove=prove, assumptions=assumptions, _content=memo) for b, _ in expr.args]
        return Stabilised(expr, sp.Piecewise(*[(p.expr, c) for p, (_, c) in zip(parts, expr.args)]),
                          tuple(s for p in parts for s in p.steps))
    content, inner = _content_primitive(expr, memo) if isinstance(expr, sp.Add) else (sp.S.One, expr)
    if content.is_Integer and content > 1 and isinstance(inner, sp.Add):
        # n·(a formula) — the Multinomial's n times a categorical one — has n in every coefficient, where
        # the rules look for the categorical shapes: stabilise the formula and scale the result
        got = stabilise(inner, prove=prove, assumptions=assumptions, _content=memo)
        return Stabilised(expr, content * got.expr, got.steps)
    e, steps = expr, []
    # the node classes, once per form: a rule without those it needs is skipped, and e.has(…) is has_any(classes,
    # …), a lookup instead of a walk over the whole tree (rewrite_guards)
    classes = heads(e)
    rules = RULES
    if has_any(classes, sp.besseli) and not has_any(classes, sp.log, sp.exp, sigmoid, sp.loggamma, sp.polygamma):
        # the von Mises gradients: log-free, but their I₀(κ) overflows beyond κ ≈ 713 (∞/∞)
        rules = BESSEL_RULES
    elif not has_any(classes, sp.log, sp.exp, sigmoid, sp.loggamma, sp.polygamma, sp.gamma):
        # the other rules rewrite a logarithm, an exponential or σ (and expanding log-free gradients would
        # only add cancellation): a rational expression gets the rules that keep its differences exact
        rules = RATIONAL_RULES
    for rule, f in rules:
        if not may_apply(f, classes):
            continue
        # softmax cross-entropy is the one rule that uses the assumptions (Σ t_i = 1), in its proof too
        simplex = f is softmax_cross_entropy or f is simplex_homogenise
        new = f(e, assumptions) if simplex else f(e)
        if new == e:
            continue
        proof = prove_step(rule, e, new, assumptions, simplex=simplex) if prove else None
        steps.append(RewriteStep(rule, e, new, proof))
        e = new
        classes = heads(e)
    return Stabilised(expr, e, tuple(steps))


__all__ = ["stabilise", "Stabilised", "RewriteStep", "RULES", "RATIONAL_RULES"]
