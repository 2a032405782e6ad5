r"""Rule ``log Beta``: c·(Σ log Γ(xᵢ) − log Γ(x₁ + … + x_K)) (and maybe more terms) is c·log_beta(x₁, …, x_K).

The Beta/Dirichlet cross-entropy's log B(β) = log Γ(β₁) + log Γ(β₂) − log Γ(β₁ + β₂) and the Dirichlet
entropy's log B(α) have that shape, left over after the Stirling and Bregman rules (which run first and take
the log Γ differences of a KL, where P ≈ Q cancels). As separate terms they are ∞ − ∞ where an argument or
the sum is near 1.8e308 (β = (1e300, 1.8e308): NaN where CE is +∞); log_beta's kernel collects Stirling's
x log x parts into Σ bᵢ log(bᵢ/S) ≤ 0 first. Proved like every rule (log_beta's elementary form).
"""

from __future__ import annotations

from collections import defaultdict

import sympy as sp

from symce.numeric.functions.log_beta import log_beta


def log_beta_terms(e):
    """c·Σ log Γ(xᵢ) − c·log Γ(Σ xᵢ) → c·log_beta(x₁, …) (module docstring)."""
    if not e.has(sp.loggamma):
        return e
    coeffs, rest = defaultdict(lambda: sp.S.Zero), []
    # only the log Γ terms are expanded: (α₂ − 1)·psi_diff stays a product (α₂·D − D would be ∞ − ∞)
    terms = [u for t in sp.Add.make_args(e) for u in (sp.Add.make_args(sp.expand_mul(t)) if t.has(sp.loggamma) else (t,))]
    for t in terms:
        c, f = t.as_independent(sp.loggamma, as_Add=False)
        if isinstance(f, sp.loggamma) and not c.has(sp.loggamma):
            coeffs[f.args[0]] += c
        else:
            rest.append(t)
    for s in sorted((a for a in coeffs if isinstance(a, sp.Add)), key=sp.default_sort_key):
        parts = list(s.args)
        if not s.is_positive or not all(x in coeffs and x.is_positive for x in parts):
            continue
        c = -coeffs[s]
        if any(sp.expand(coeffs[x] - c) != 0 for x in parts):
            continue
        for x in parts + [s]:
            del coeffs[x]
        return sp.Add(sp.factor_terms(c) * log_beta(*parts), *[k * sp.loggamma(a) for a, k in coeffs.items()], *rest)
    return e


__all__ = ["log_beta_terms"]
