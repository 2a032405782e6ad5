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



def dirichlet_cross_entropy(e):
    r"""log_beta(b₁, …, b_K) + Σᵢ (bᵢ − 1)·psi_diff(xᵢ, X − xᵢ) (X = x₁ + … + x_K, maybe more terms) →
    dirichlet_xent(x₁, …, x_K, b₁, …, b_K), the Beta/Dirichlet cross-entropy's whole log B and ψ part.

    After the rules above the terms are each finite or ±∞ on their own, but log B(b) ≈ −2.5e308 and
    (bᵢ − 1)·D ≈ +6e308 overflow in opposite directions at b = (1.8e308, 1.8e308) (NaN where the CE is +∞), and
    the others' sum X − xᵢ overflows where X does not matter (1.8e308 + 1e300); the kernel
    (impl/dirichlet_xent.py) sums them at a scale. Proved like every rule (the elementary forms agree)."""
    from symce.numeric.functions.digamma_diff import psi_diff
    from symce.numeric.functions.dirichlet_xent import dirichlet_xent

    if not e.has(log_beta) or not e.has(psi_diff):
        return e
    terms = list(sp.Add.make_args(e))
    for lb in terms:
        if not isinstance(lb, log_beta):
            continue
        bs, xs, used = lb.args, [], [lb]
        for b in bs:
            hit = None
            for t in terms:
                c, f = t.as_independent(psi_diff, as_Add=False)
                if t not in used and isinstance(f, psi_diff) and sp.expand(c - (b - 1)) == 0:
                    hit = t
                    break
            if hit is None:
                break
            used.append(hit)
            xs.append(hit.as_independent(psi_diff, as_Add=False)[1])
        if len(xs) != len(bs):
            continue
        big_x = sp.Add(*[f.args[0] for f in xs])
        if not all(sp.expand(f.args[0] + f.args[1] - big_x) == 0 for f in xs):
            continue
        return sp.Add(dirichlet_xent(*[f.args[0] for f in xs], *bs), *[t for t in terms if t not in used])
    return e


__all__ = ["log_beta_terms", "dirichlet_cross_entropy"]
