r"""Rule ``polygamma shift at a sum``: the trigamma poles of the Beta/Dirichlet entropies' gradients.

∂H/∂αᵢ of H = log B(α) + (S − K)ψ(S) − Σ (αⱼ − 1)ψ(αⱼ), S = Σ αⱼ, is (1 − αᵢ)ψ′(αᵢ) + (S − K)ψ′(S). For
tiny parameters ψ′(x) ≈ 1/x²: both terms overflow with opposite signs (α = 3.8e-261, β = 1.9e-213: ∞ − ∞ =
NaN, the truth +∞), and where S overflows (α = (36, 1.8e308, 1e300)) (S − K)ψ′(S) ≈ 1 is ∞·0. With
ψ′(x) = ψ′(x + 1) + 1/x² (DLMF 5.15.5) at each part xᵢ of S and at S itself,

    Σ cᵢψ′(xᵢ) + (S + c)ψ′(S) = Σ cᵢψ′(xᵢ + 1) + wtrigamma_sum(c, x₁, …) + exact_rational(Σ cᵢ/xᵢ² + (S + c)/S²),

the poles meet in one correctly rounded rational term (±∞ only where it overflows) and the shifted
polygammas are bounded by their coefficients (ψ′(x + 1) ≤ π²/6); wtrigamma_sum takes S's parts, so an
overflowed S gives its limit 1 + (c − ½)/S. Applied where the total coefficient of ψ′(S) is S + c with c
free of the parts (so the entropies', not the cross-entropies', whose coefficients are Q's parameters), S a
sum of two or more positive symbols, and at least one part's ψ′ is present. An exact identity, proved like
every rule.
"""

from __future__ import annotations

from collections import defaultdict

import sympy as sp

from symce.numeric.functions import exact_rational
from symce.numeric.functions.gamma_sum import wtrigamma_sum
from symce.numeric.rational_function import is_rational_function


def _parts(s):
    """The parts of S = x₁ + … + x_n (n ≥ 2 positive symbols), else None."""
    if isinstance(s, sp.Add) and len(s.args) >= 2 and all(x.is_Symbol and x.is_positive for x in s.args):
        return s.args
    return None


def polygamma_shift_at_sums(e):
    """Σ cᵢψ′(xᵢ) + (S + c)ψ′(S) → shifted polygammas + wtrigamma_sum + exact_rational (module docstring)."""
    if not isinstance(e, sp.Add) or not e.has(sp.polygamma):
        return e
    coeff, rest = defaultdict(lambda: sp.S.Zero), []
    for t in e.args:
        c, f = t.as_independent(sp.polygamma, as_Add=False)
        if isinstance(f, sp.polygamma) and f.args[0] == 1 and not c.has(sp.polygamma):
            coeff[f.args[1]] += c
        else:
            rest.append(t)
    for s in sorted(coeff, key=sp.default_sort_key):
        parts = _parts(s)
        if parts is None:
            continue
        total = sp.expand(coeff[s])
        c = sp.expand(total - s)
        near = [x for x in parts if x in coeff]
        if c.free_symbols & set(parts) or not near or not is_rational_function(total):
            continue
        if not all(is_rational_function(coeff[x]) for x in near):
            continue
        poles = sp.Add(*[coeff[x] / x**2 for x in near], total / s**2)
        shifted = [coeff[x] * sp.polygamma(1, x + 1) for x in near]
        others = [k * sp.polygamma(1, y) for y, k in coeff.items() if y != s and y not in near]
        return sp.Add(*shifted, wtrigamma_sum(c, *parts), exact_rational(poles), *others, *rest)
    return e


__all__ = ["polygamma_shift_at_sums"]
