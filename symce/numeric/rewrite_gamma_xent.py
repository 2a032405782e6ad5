r"""Rule ``cross-entropy split`` for the cross-entropies with one log Γ and one ψ of different arguments.

The Gamma, inverse-gamma and χ² cross-entropies are R + Σ k·log B + c·log Γ(y) + e·ψ(x) with y ≠ x (y the Q
shape α₂ or ν₂/2, x the P shape α₁ or ν₁/2) and e = −c·y + e₀, e₀ free of y:

    CE(Gamma) = α₁β₂/β₁ − α₂ log β₂ + (α₂ − 1) log β₁ + log Γ(α₂) + (1 − α₂)ψ(α₁).

Its terms are O(α log α) and cancel to O(log α) where α₁ ≈ α₂ is large (the cross-entropy is then about
½ log α₁ − log β₁: 515 ULP for Gamma, 232 for χ² as separate terms). Stirling's formula with Binet's
remainder μ at y and at x,

    c·log Γ(y) = c·μ(y) + c(y − ½) log y − c·y + (c/2) log 2π,   e·ψ(x) = e·μ′(x) + e log x − e/(2x),

with e log x = e₀ log x − c·y log x, and the terms y·k·log B of the rest gathered with c·y log(y/x) into
c·y log(y/Y), Y = x·Π B^{−k/c}, make it

    c·kl_div(y, Y) + c·μ(y) + e·μ′(x) + rational_log_sum(K, −e/(2x) + R′, −c/2, y, e₀, x, k, B, …):

kl_div ≥ 0 holds the O(α log α) part (the KL's α₂ log(α₂β₁/(α₁β₂)) − α₂ + α₁β₂/β₁), μ and μ′ are small beside
it, and the logarithms, constants and rational terms, which cancel where the cross-entropy is near 0, are
added by the exact log-sum kernel. At y the split takes ν(y) = μ(y) − ½ log(1 + 1/y) (lgamma_balanced) and
−c log y + (c/2) log(1 + y) in the log sum: μ(y) ≈ −½ log y is not small where y is (α₂ = 2.4e-240: 275 against
a cross-entropy of −3.86), ν is bounded at both ends. Where x is tiny, ψ(x) ≈ −1/x: μ′(x) ≈ −1/(2x) and −e/(2x) share the factor
e = e₀ − c·y (1 − α₂, exact near α₂ = 1), so nothing cancels there — which a split into H(P) + KL(P ‖ Q)
would not give (H ≈ −1/α₁ against KL ≈ α₂/α₁). The identity is proved like every rule (rewrite_proof).
The parts are each within an ULP or two of themselves, but where the cross-entropy crosses 0 they cancel
(c·ν(y) ≈ −0.081 against the log sum's +0.081 at α₂ = 1): they are one screened_sum, recomputed exactly there.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.elementary import kl_div
from symce.numeric.functions.exact import rational_log_sum
from symce.numeric.functions.gamma import lgamma_balanced, wdigamma_stirling
from symce.numeric.functions.screened_sum import screened_sum
from symce.numeric.rational_function import is_rational_function
from symce.numeric.rewrite_logs import separate_logarithms
from symce.numeric.rewrite_special import _gamma_terms, _log_terms, entropy_log_sum


def cross_entropy_split(e):
    """c·log Γ(y) + e·ψ(x) + rest (y ≠ x, e + c·y free of y) → c·kl_div(y, Y) + c·μ(y) + e·μ′(x) + the
    logarithms, constants and rational terms as one rational_log_sum (module docstring)."""
    if not e.has(sp.loggamma) or not e.has(sp.polygamma):
        return e
    lg, dg, rest = _gamma_terms(sp.expand_mul(sp.expand_log(e)))
    if len(lg) != 1 or len(dg) != 1:
        return e
    (y, c), (x, ec) = next(iter(lg.items())), next(iter(dg.items()))
    if y == x or not (c.is_number and c.is_positive) or not (x.is_positive and y.is_positive):
        return e
    e0 = sp.expand(ec + c * y)
    if e0.free_symbols & y.free_symbols:
        return e
    logs, others = _log_terms(sp.Add(*rest))
    # the terms k·y·log B of the rest (α₂ log(β₁/β₂)): with c·y log(y/x) they are c·y·log(y/Y)
    own = logs.pop(y, [])
    if any(not k.is_Rational or not b.is_positive for k, b in own):
        return e
    big_y = x * sp.Mul(*[b ** (-k / c) for k, b in own])
    left = sp.Add(*others, *[k * a * sp.log(b) for a, kbs in logs.items() for k, b in kbs])
    # Stirling with Binet's μ at y and at x: c·log Γ(y) = c·μ(y) + c(y − ½) log y − c·y + (c/2) log 2π and
    # e·ψ(x) = e·μ′(x) + e log x − e/(2x), e log x = e₀ log x − c·y log x; μ′(x) ≈ −1/(2x) and −e/(2x) share
    # the factor e, so for tiny x (ψ ≈ −1/x) nothing cancels where e ≈ 0 (α₂ ≈ 1); e·μ′(x) as one function,
    # finite where μ′(x) ≈ −1/(2x) overflows (x < 2.8e-309) and e·μ′(x) does not
    ec = sp.factor_terms(ec)
    # c·y log(y/Y) − c·y = c·kl_div(y, Y) − c·Y: the −c·Y cancels the rest's c·Y (α₁β₂/β₁) symbolically
    # c·log Γ(y) with ν (lgamma_balanced) in place of μ: c·ν(y) + c(y − 1) log y + (c/2) log(1 + y) − c·y +
    # (c/2) log 2π. μ(y) ≈ −½ log y for small y cancelled the log sum's −(c/2) log y outside it (70 ULP at
    # α₂ = 2.4e-240); ν is bounded and −c log y + (c/2) log(1 + y) goes to the exact log sum
    logs_and_rational = sp.expand(-c * sp.log(y) + c / 2 * sp.log(1 + y) + e0 * sp.log(x) + c / 2 * sp.log(2 * sp.pi)
                                  - c * big_y + left)
    # −e/(2x) = (α₂ − 1)/(2α₁) kept as one product, not α₂/(2α₁) − 1/(2α₁) (separate_logarithms expands)
    part = (c * lgamma_balanced(y) + wdigamma_stirling(ec, x) + separate_logarithms(logs_and_rational)
            - ec / (2 * x))
    # the terms are each within an ULP or two, but cross 0 together (ν(1) ≈ −0.081 against the log sum's exact
    # +0.081 + 3.3e-299 left 0 at α₁ = 33, β₁ = 1e300, α₂ = β₂ = 1): summed by screened_sum, exact where they cancel
    return screened_sum(*sp.Add.make_args(_join_kl(c, y, big_y, entropy_log_sum(part))))


def _join_kl(c, y, big_y, rest):
    """c·kl_div(y, Y) + rational_log_sum(K, R₀, …) + others → rational_log_sum(K, R₀ − c·y + c·Y, …, c·y, y/Y) +
    others where c·y and Y are rational (the kernel's coefficients may be rational functions of the inputs)."""
    sums = [t for t in sp.Add.make_args(rest) if isinstance(t, rational_log_sum)]
    cy, ratio = sp.expand(c * y), sp.together(y / big_y)
    if len(sums) != 1 or not (_rational(cy) and _rational(ratio) and _rational(big_y)):
        return c * kl_div(y, big_y) + rest
    K, R0, *cr = sums[0].args
    joined = rational_log_sum(K, R0 - cy + c * big_y, *cr, cy, ratio)
    return rest.xreplace({sums[0]: joined}) if rest != sums[0] else joined


def _rational(x) -> bool:
    return bool(x.free_symbols) and not x.has(sp.Function) and is_rational_function(x)


__all__ = ["cross_entropy_split"]
