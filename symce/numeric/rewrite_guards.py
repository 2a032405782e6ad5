"""Which node classes each stabilising rule needs before it can change an expression, so that
:func:`symce.numeric.rewrite.stabilise` skips a rule without calling it.

Most rules open with a test such as ``if not e.has(sp.polygamma): return e``: a walk over the whole tree,
one per rule. After ``separate logarithms`` a formula can have ten times its nodes (the LowRank MVN
cross-entropy: 1 092 → 15 800), and those ~40 walks were a third of its stabilisation. :func:`heads` walks
the expression once (its distinct subtrees) and collects the classes of its nodes; a rule listed in
:data:`GUARDS` runs only where every one of its groups has a class among them.

Each entry restates the rule's own first test (quoted beside it), so skipping the rule gives exactly what
calling it gives: the expression back unchanged. A rule that is not listed always runs; when a rule is
changed to apply to more shapes, change its entry here too (``tests/test_rewrite_guards.py`` checks the
entries against the rules on the catalog's formulas).
"""

from __future__ import annotations

import sympy as sp

from symce.core.special import sigmoid
from symce.numeric.functions import (digamma_rem, digamma_stirling, gamma_scaled, kl_div, lgamma_rem, lgamma_stirling,
                                     log_beta, log_diff, logsumexp, psi_diff, rel_entr_sum, softmax, softmax_xent,
                                     softplus, stirling_bregman, xlog1py, xlogy)
from symce.numeric.functions.bessel import bessel_forms
from symce.numeric.functions.gamma import lgamma_balanced
from symce.numeric.functions.kl_share import kl_div_shares
from symce.numeric.functions.log_diff import log_differences
from symce.numeric.rewrite_branch_scale import branch_scale_ratio
from symce.numeric.rewrite_counts import common_factor_relative_entropy, one_minus_reciprocal, reciprocal_out_of_xlogy
from symce.numeric.rewrite_digamma_diff import digamma_differences
from symce.numeric.rewrite_trigamma_diff import digamma_pole_shift, trigamma_differences
from symce.numeric.rewrite_exact import log_product, log_rational_sum, log_ratios
from symce.numeric.rewrite_gamma_sum import stirling_parts_at_sums
from symce.numeric.rewrite_gamma_xent import cross_entropy_split
from symce.numeric.rewrite_gamma_scaled_grad import gamma_scaled_location_scale
from symce.numeric.rewrite_gradients import sigmoid_minus_target, sigmoid_variance, softmax_polynomial, weight_quotients
from symce.numeric.rewrite_harmonic import harmonic_numbers
from symce.numeric.rewrite_laplace_grad import laplace_derivative_forms
from symce.numeric.rewrite_log_beta import dirichlet_cross_entropy, log_beta_terms
from symce.numeric.rewrite_log_quotients import log_over_powers
from symce.numeric.rewrite_logit_ratio import continuous_bernoulli_forms
from symce.numeric.rewrite_logits import (log_softmax_pairs, logit_cross_entropy, logit_kl, logit_probability_kl,
                                          positive_weights, probability_logit_kl, softmax_cross_entropy, softmax_forms)
from symce.numeric.rewrite_logs import (log_offset_form, logsumexp_form, relative_entropy, scale_log_ratio,
                                        softplus_forms, softplus_with_linear_term, xlogy_forms)
from symce.numeric.rewrite_multinomial import multinomial_coefficient_terms
from symce.numeric.rewrite_polygamma_shift import polygamma_shift
from symce.numeric.rewrite_polygamma_sum import polygamma_shift_at_sums
from symce.numeric.rewrite_scaled_piecewise import scaled_branches
from symce.numeric.rewrite_trigamma import trigamma_ratios
from symce.numeric.rewrite_weibull_grad import weibull_derivative_forms
from symce.numeric.rewrite_special import (bregman_sum, collect_digamma, entropy_log_sum, gamma_products,
                                           gamma_scaled_excess_form, scaled_relative_entropy, stirling_split)
from symce.numeric.rewrite_vonmises import vonmises_kl_form

_EULER_GAMMA = type(sp.S.EulerGamma)  # has(sp.EulerGamma) matches the singleton, whose class is its own

#: rule function → groups of classes; the rule may change e only if e has, for every group, a node that is an
#: instance of one of the group's classes (isinstance, as ``e.has(cls)`` tests)
GUARDS: dict = {
    # cbern_gradient_forms: `if not (e.has(sp.atanh) or e.has(sp.log))`, then `if not atanhs: return e`
    continuous_bernoulli_forms: ((sp.atanh, sp.log),),
    # e.replace on log(b − a) nodes, then on sums that have a log_diff
    log_differences: ((sp.log, log_diff),),
    vonmises_kl_form: ((sp.besseli,),),  # `if not e.has(sp.besseli)`
    bessel_forms: ((sp.besseli,),),  # `if not e.has(sp.besseli)`
    gamma_products: ((sp.gamma,),),  # `if not e.has(sp.gamma)`
    # `if not e.has(sp.loggamma) or not e.has(sp.polygamma)` (both)
    cross_entropy_split: ((sp.loggamma,), (sp.polygamma,)),
    stirling_split: ((sp.loggamma,), (sp.polygamma,)),
    # `… or not e.has(sp.Piecewise) or not e.has(sp.exp) or e.has(sp.log)`
    laplace_derivative_forms: ((sp.Piecewise,), (sp.exp,)),
    # `if isinstance(e, sp.MatrixBase) or not e.has(sp.exp, sigmoid)` (sp.exp also matches E**x: see heads)
    softmax_polynomial: ((sp.exp, sigmoid),),
    multinomial_coefficient_terms: ((sp.exp,),),  # `not has_exp(e)`
    gamma_scaled_excess_form: ((gamma_scaled,),),  # `if not e.has(gamma_scaled)`
    # `if not e.has(digamma_rem, digamma_stirling, sp.polygamma)`
    collect_digamma: ((digamma_rem, digamma_stirling, sp.polygamma),),
    # `if not e.has(sp.polygamma) or not e.has(sp.EulerGamma) …`
    harmonic_numbers: ((sp.polygamma,), (_EULER_GAMMA,)),
    polygamma_shift: ((sp.polygamma,),),  # `if not isinstance(e, sp.Add) or not e.has(sp.polygamma)`
    polygamma_shift_at_sums: ((sp.polygamma,),),  # `if not isinstance(e, sp.Add) or not e.has(sp.polygamma)`
    digamma_differences: ((sp.polygamma,),),  # `if not e.has(sp.polygamma)`
    trigamma_differences: ((sp.polygamma,),),  # `if not isinstance(e, sp.Add) or not e.has(sp.polygamma)`
    digamma_pole_shift: ((psi_diff,),),  # `if not isinstance(e, sp.Add) or not e.has(psi_diff)`
    trigamma_ratios: ((sp.polygamma,),),  # `if not isinstance(e, (sp.Add, sp.Mul)) or not e.has(sp.polygamma)`
    # `if not isinstance(e, sp.Add) or not e.has(gamma_scaled) or e.has(sp.Piecewise)`
    weibull_derivative_forms: ((gamma_scaled,),),
    # `if not e.has(lgamma_stirling, lgamma_balanced, digamma_stirling, sp.EulerGamma) …`
    entropy_log_sum: ((lgamma_stirling, lgamma_balanced, digamma_stirling, _EULER_GAMMA),),
    # `if not e.has(stirling_bregman, lgamma_rem, digamma_rem)`
    scaled_relative_entropy: ((stirling_bregman, lgamma_rem, digamma_rem),),
    bregman_sum: ((stirling_bregman,),),  # `if not e.has(stirling_bregman)`
    kl_div_shares: ((kl_div,),),  # e.replace on kl_div nodes
    log_beta_terms: ((sp.loggamma,),),  # `if not e.has(sp.loggamma)`
    # `if not isinstance(e, sp.Add) or not e.has(lgamma_rem, digamma_rem)`
    stirling_parts_at_sums: ((lgamma_rem, digamma_rem),),
    # `if not e.has(log_beta) or not e.has(psi_diff)`
    dirichlet_cross_entropy: ((log_beta,), (psi_diff,)),
    softmax_forms: ((sp.exp,),),  # `if not has_exp(e)`
    softplus_forms: ((sp.exp, sigmoid),),  # `if not (has_exp(e) or e.has(sigmoid))`
    logit_kl: ((logsumexp, softplus),),  # pairs of terms ±logsumexp or ±softplus
    log_softmax_pairs: ((logsumexp,),),  # a term −logsumexp(z)
    # the rules that read the terms A·log B (rewrite_terms.log_terms): none without a log
    relative_entropy: ((sp.log,),),
    common_factor_relative_entropy: ((sp.log,),),
    one_minus_reciprocal: ((sp.log,),),
    scale_log_ratio: ((sp.log,),),
    log_product: ((sp.log,),),
    log_offset_form: ((sp.log,),),
    softplus_with_linear_term: ((softplus,),),  # a term c·softplus(a)
    scaled_branches: ((sp.Piecewise,),),  # `if not e.has(sp.Piecewise)`
    branch_scale_ratio: ((sp.Piecewise,),),  # `if not e.is_Add or not e.has(sp.Piecewise)`
    log_ratios: ((sp.log,),),  # `if not isinstance(e, sp.Add) or not e.has(sp.log)`
    xlogy_forms: ((sp.log,),),  # terms A·log B (the sum rebuilt unchanged without one)
    reciprocal_out_of_xlogy: ((xlogy, xlog1py),),  # e.replace on xlogy/xlog1py nodes
    log_over_powers: ((xlog1py,),),  # `… or not e.has(xlog1py)`
    log_rational_sum: ((sp.log,),),  # `if not isinstance(e, sp.Add) or not e.has(sp.log)`
    logsumexp_form: ((sp.exp,),),  # `if not has_exp(e)`
    softmax_cross_entropy: ((logsumexp,),),  # a term n·logsumexp(z)
    probability_logit_kl: ((softmax_xent, softplus),),  # a softmax_xent or softplus term
    logit_probability_kl: ((rel_entr_sum, sigmoid),),  # a rel_entr_sum or −σ(a)·softplus(−a)
    logit_cross_entropy: ((softmax_xent,),),  # e.replace on softmax_xent nodes
    positive_weights: ((sigmoid, softmax),),  # a weight σ(a) or softmax(a; z)
    sigmoid_minus_target: ((sigmoid,),),  # `if not e.has(sigmoid)`
    sigmoid_variance: ((sigmoid,),),  # `if not e.has(sigmoid)`
    weight_quotients: ((sigmoid, softmax),),  # `… or not e.has(sigmoid, softmax)`
    # `if isinstance(e, sp.MatrixBase) or not e.has(gamma_scaled) or e.has(sp.Piecewise)`
    gamma_scaled_location_scale: ((gamma_scaled,),),
}


def heads(e) -> frozenset:
    """The classes of e's nodes (every subtree ``e.has`` visits, each distinct one once), with sp.exp added
    where E**x appears: ``isinstance(E**x, sp.exp)`` is true (ExpMeta), so ``e.has(sp.exp)`` matches it."""
    seen, stack, out = {e}, [e], set()
    while stack:
        x = stack.pop()
        t = type(x)
        out.add(t)
        if t is sp.Pow and x.base is sp.E:
            out.add(sp.exp)
        for a in x.args:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return frozenset(out)


def has_any(classes: frozenset, *types) -> bool:
    """``e.has(*types)`` for types (classes) from e's node classes ``classes`` (:func:`heads`)."""
    return any(issubclass(t, types) for t in classes)


def may_apply(rule, classes: frozenset) -> bool:
    """False where ``rule`` cannot change an expression whose node classes are ``classes`` (:func:`heads`)."""
    groups = GUARDS.get(rule)
    return groups is None or all(has_any(classes, *group) for group in groups)


__all__ = ["GUARDS", "has_any", "heads", "may_apply"]
