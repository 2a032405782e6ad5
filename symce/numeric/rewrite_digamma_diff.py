r"""Rule ``digamma differences``: Σ cᵢψ(xᵢ) + c_S·ψ(S) with S = x₁ + … + x_K (and maybe more terms) and
c_S = −Σ cᵢ is Σ cᵢ(ψ(xᵢ) − ψ(S)) = −Σ cᵢ·psi_diff(xᵢ, S − xᵢ).

The Beta/Dirichlet cross-entropy (1 − α₂)ψ(α₁) + (1 − β₂)ψ(β₁) + (α₂ + β₂ − 2)ψ(α₁ + β₁) and the Dirichlet
entropy −Σ(αᵢ − 1)ψ(αᵢ) + (α₀ − K)ψ(α₀) have that shape. As separate terms they are ∞ − ∞ where ψ(α₁) ≈ −1/α₁
and the coefficients are huge (α₁ = 2e-308, α₂ = 2e296: the CE is +∞, the terms' sum NaN); each psi_diff ≥ 0
is finite or +∞ by itself, and S − xᵢ is the other arguments' sum, exact in its inputs. Proved like every
rule (rewrite_proof: psi_diff's elementary form is ψ(x + d) − ψ(x)).
"""

from __future__ import annotations

from collections import defaultdict

import sympy as sp

from symce.numeric.functions.digamma_diff import psi_diff


def _is_psi(f) -> bool:
    return isinstance(f, sp.polygamma) and f.args[0] == 0


def digamma_differences(e):
    """Σ cᵢψ(xᵢ) − (Σ cᵢ)ψ(Σ xⱼ) → −Σ cᵢ·psi_diff(xᵢ, Σ xⱼ − xᵢ) (module docstring)."""
    if not e.has(sp.polygamma):
        return e
    coeffs, rest = defaultdict(lambda: sp.S.Zero), []
    for t in sp.Add.make_args(sp.expand_mul(e)):
        c, f = t.as_independent(sp.polygamma, as_Add=False)
        if _is_psi(f) and not c.has(sp.polygamma):
            coeffs[f.args[1]] += c
        else:
            rest.append(t)
    out = []
    # every such sum, not only the first: a gradient of the Beta CE has one at P's parameters and one at Q's
    # (ψ(α₂) − ψ(α₂ + β₂): −∞ + ∞ at α₂ = β₂ = 1.8e308 as separate terms)
    for s in sorted((a for a in coeffs if isinstance(a, sp.Add)), key=sp.default_sort_key):
        if s not in coeffs:
            continue
        parts = [x for x in s.args if x in coeffs and x.is_positive]
        if not parts or not s.is_positive or sp.expand(coeffs[s] + sum(coeffs[x] for x in parts)) != 0:
            continue
        out += [-sp.factor_terms(coeffs[x]) * psi_diff(x, s - x) for x in parts]
        for x in parts + [s]:
            del coeffs[x]
    if not out:
        return e
    return sp.Add(*out, *[c * sp.polygamma(0, a) for a, c in coeffs.items()], *rest)


__all__ = ["digamma_differences"]
