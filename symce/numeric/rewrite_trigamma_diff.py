r"""Two rules for the Beta/Dirichlet gradients, whose poles at a parameter's zero cancel between terms:

* ``trigamma differences`` — Σ cᵢψ′(xᵢ) + c_S·ψ′(S), S = x₁ + … + x_K (the xᵢ some of S's parts), is
  exact_rational(Σ cᵢ·p(xᵢ) + c_S·p(S)) + Σ cᵢ·(ψ′(xᵢ + 2) − ψ′(S + 2)) + (c_S + Σ cᵢ)·ψ′(S + 2), p(t) =
  1/t² + 1/(t + 1)² (ψ′(t) = ψ′(t + 1) + 1/t², DLMF 5.15.5, twice). The ∂/∂α₁ⱼ of the Beta/Dirichlet CE and KL (and of the entropy)
  have that shape: (1 − α₂)ψ′(α₁) + (α₂ + β₂ − 2)ψ′(α₁ + β₁). As separate terms ψ′(α₁) ≈ ψ′(α₁ + β₁) where
  β₁ ≪ α₁ (the gradient is (1 − α₂)·2β₁/α₁³ + …, from the difference of two trigammas: NaN or every digit
  lost at α₁ = 8e-48, β₁ = 8e-157, α₂ = 1.7e223) and both overflow with opposite signs at tiny α₁ + β₁
  (∞ − ∞ = NaN). Now the poles are one correctly rounded rational term, the difference ψ′(x + 1) − ψ′(x + 1 + d)
  one function with its weight and no cancellation inside (wtrigamma_diff(cᵢ, xᵢ + 2, d₁, …),
  :mod:`symce.numeric.impl.trigamma_diff`), and c·ψ′(S + 2) (wtrigamma_of_sum(c, x₁, …, 2)). Shifted by 2,
  not 1: ψ′(t + 2) ≤ ψ′(2) < 0.65, so these two terms stay finite for any finite weight, and only the exact
  pole term can be ±∞ (by 1, c·ψ′(S + 1) was +∞ for α₂ = 1.8e308 beside poles of −∞: NaN for −∞). The
  others' sum S − xᵢ and S itself are passed as their parts, finite where two parameters near DBL_MAX
  overflow their sum;
* ``digamma pole shift`` — a sum of n·psi_diff(xᵢ, dᵢ) terms alone (n numbers; the ∂/∂α₂ⱼ, ψ(α₁ + β₁) −
  ψ(α₁) − ψ(α₂ + β₂) + ψ(α₂) after ``digamma differences``) is Σ n·psi_diff(xᵢ + 1, dᵢ) +
  exact_rational(Σ n·dᵢ/(xᵢ(xᵢ + dᵢ))) (ψ(t) = ψ(t + 1) − 1/t): each psi_diff ≈ 1/x is +∞ at a subnormal x,
  and two of them at α₁ = α₂ = 5e-324 were ∞ − ∞ where the poles cancel exactly.

Both are exact identities, proved like every rule (rewrite_proof reads the shifted polygammas back through
the recurrence).
"""

from __future__ import annotations

from collections import defaultdict

import sympy as sp

from symce.numeric.functions.digamma_diff import psi_diff
from symce.numeric.functions.exact import exact_rational
from symce.numeric.functions.trigamma_diff import wtrigamma_diff, wtrigamma_of_sum
from symce.numeric.rational_function import is_rational_function


def _coefficient(c):
    """c as a term's factor: a sum of more than two terms correctly rounded (α₂₂ + α₂₃ − 2 rounds to 0 at
    α₂₂ = 1, α₂₃ = 1 − 2⁻⁵³, where the gradient's other parts may be as small)."""
    c = sp.expand(c)
    return exact_rational(c) if isinstance(c, sp.Add) and len(c.args) > 2 else sp.factor_terms(c)


def trigamma_differences(e):
    """Σ cᵢψ′(xᵢ) + c_S·ψ′(S) → exact_rational(poles) + Σ wtrigamma_diff(cᵢ, xᵢ + 1, S − xᵢ) + c·ψ′(S + 1)
    (module docstring), for each sum S of positive parts among the trigammas' arguments."""
    if not isinstance(e, sp.Add) or not e.has(sp.polygamma):
        return e
    coeffs, rest = defaultdict(lambda: sp.S.Zero), []
    for t in e.args:
        c, f = t.as_independent(sp.polygamma, as_Add=False)
        if isinstance(f, sp.polygamma) and f.args[0] == 1 and not c.has(sp.polygamma):
            coeffs[f.args[1]] += c
        else:
            rest.append(t)
    sums = sorted((a for a in coeffs if isinstance(a, sp.Add)), key=sp.default_sort_key)
    if not sums:
        return e
    out = []
    for s in sums:
        parts = [x for x in s.args if x in coeffs and x.is_positive]
        if not parts or not all(a.is_positive for a in s.args):
            continue
        cs = [coeffs[s]] + [coeffs[x] for x in parts]
        # an entropy's gradient ((1 − α)ψ′(α) + (α + β − 2)ψ′(α + β): coefficients of S's parts alone) is
        # rewrite_gamma_sum's business; a CE's or KL's coefficients hold Q's parameters
        if not all(is_rational_function(c) for c in cs) or all(c.free_symbols <= s.free_symbols for c in cs):
            continue
        poles = sp.Add(coeffs[s] * (1 / s**2 + 1 / (s + 1)**2), *[coeffs[x] * (1 / x**2 + 1 / (x + 1)**2) for x in parts])
        out.append(exact_rational(poles))
        for x in parts:
            others = list(s.args)
            others.remove(x)
            out.append(wtrigamma_diff(_coefficient(coeffs[x]), x + 2, *others))
        total = sp.expand(coeffs[s] + sum(coeffs[x] for x in parts))
        if isinstance(total, sp.Add) and len(total.args) > 2:
            # a sum of parameters overflows where the term does not (α₂₁ + α₂₃ − 2 at α₂₁ = 1.8e308,
            # α₂₃ = 1e300, times ψ′(43) ≈ 0.023): its quarter, correctly rounded, and the term times 4
            out.append(4 * wtrigamma_of_sum(exact_rational(total / 4), *s.args, 2))
        elif total != 0:
            out.append(wtrigamma_of_sum(_coefficient(total), *s.args, 2))
        for x in parts + [s]:
            del coeffs[x]
    if not out:
        return e
    return sp.Add(*out, *[c * sp.polygamma(1, a) for a, c in coeffs.items()], *rest)


def digamma_pole_shift(e):
    """Σ n·psi_diff(xᵢ, dᵢ) (nothing else, n numbers, xᵢ positive symbols) → Σ n·psi_diff(xᵢ + 1, dᵢ) +
    exact_rational(Σ n·dᵢ/(xᵢ(xᵢ + dᵢ))) (module docstring)."""
    if not isinstance(e, sp.Add) or not e.has(psi_diff):
        return e
    terms = []
    for t in e.args:
        n, f = t.as_coeff_Mul()
        if not (isinstance(f, psi_diff) and n.is_Number and f.args[0].is_Symbol and f.args[0].is_positive):
            return e
        terms.append((n, *f.args))
    shifted = [n * psi_diff(x + 1, d) for n, x, d in terms]
    return sp.Add(*shifted, exact_rational(sp.Add(*[n * d / (x * (x + d)) for n, x, d in terms])))


__all__ = ["trigamma_differences", "digamma_pole_shift"]
