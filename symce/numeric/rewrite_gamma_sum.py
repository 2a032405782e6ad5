r"""Rule ``Stirling parts at a sum``: for S = x₁ + … + x_n with positive parts, inside h(S) or h′(S)
(h = lgamma_rem, h′ = digamma_rem),

    h(S) = lgamma_rem_sum(x₁, …),  (S + c)·h′(S) = wdigamma_rem_sum(c, x₁, …),  log S = log_sum(x₁, …).

The Beta and Dirichlet entropies (Kotz, Balakrishnan & Johnson 2000, ch. 49: H = log B(α) + (α₀ − K)ψ(α₀) −
Σ(αᵢ − 1)ψ(αᵢ)), after the Stirling split, hold (α₀ − K)·h′(α₀) − K log α₀ − h(α₀) with α₀ = Σ αᵢ computed
from the inputs: where the sum overflows (α = (36, 1.8e308, 1e300), H = −1069.56) that is ∞·0 and ∞ − ∞,
NaN. The functions take the parts and work from S/2 there (:mod:`symce.numeric.functions.gamma_sum`).
Only sums of two or more positive non-constant parts that are arguments of h or h′ are taken (so a log S
elsewhere stays a plain logarithm), and
(S + c)·h′(S) only where c is free of the parts' symbols. Proved like every rule (the functions'
elementary forms).

A single part S = k·s (k > 0 a number, s a positive symbol: S reaches 0) is taken in ±(S + c)·h′(S) only:
h′(S) ≈ −1/S overflows for S < 5.6e-309 where (S + c)·h′(S) ≈ −c/S need not (the Student-t entropy's
−(ν/2 + ½)·h′(ν/2) was ∞ at ν = 9.3e-309, H = 1.078e308; the kernel forms (S + c)/S there).

Then c·(S − K)h′(S) − Σ c·(xᵢ − 1)h′(xᵢ) with S = x₁ + … + x_K (the whole Beta/Dirichlet ψ part) is one
function, c·wdigamma_rem_gap(x₁, …): the poles −1/xᵢ of the terms and K/S of the sum overflow apart for a
subnormal xᵢ (α = β = 5e-324: −∞ − ∞ + ∞ = NaN where the entropy is −∞), gathered in its kernel.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.gamma import digamma_rem, lgamma_rem
from symce.numeric.functions.gamma_sum import lgamma_rem_sum, log_sum, wdigamma_rem_gap, wdigamma_rem_sum


def _positive_sum(s) -> bool:
    # parts that are numbers cannot make the sum overflow (x + ½ ≤ DBL_MAX rounds to DBL_MAX): the Student-t
    # entropy's h(ν/2 + ½) keeps its form
    return isinstance(s, sp.Add) and all(x.is_positive and not x.is_number for x in s.args)


def _reaches_zero(x) -> bool:
    k, s = x.as_coeff_Mul()
    return bool(k.is_positive and s.is_Symbol and s.is_positive)


def stirling_parts_at_sums(e):
    """h(S), (S + c)·h′(S) and log S of a sum S of positive parts → functions of the parts (module docstring)."""
    if not isinstance(e, sp.Add) or not e.has(lgamma_rem, digamma_rem):
        return e
    sums = {f.args[0] for f in e.atoms(lgamma_rem, digamma_rem) if _positive_sum(f.args[0])}
    singles = {f.args[0] for f in e.atoms(digamma_rem) if _reaches_zero(f.args[0])}
    if not sums and not singles:
        return e
    out, changed = [], False
    for t in e.args:
        c, f = t.as_independent(lgamma_rem, digamma_rem, sp.log, as_Add=False)
        s = f.args[0] if isinstance(f, (lgamma_rem, digamma_rem, sp.log)) else None
        if c.has(lgamma_rem, digamma_rem, sp.log) or not (
                s in sums or (s in singles and isinstance(f, digamma_rem))):
            out.append(t)
            continue
        parts = s.args if s in sums else (s,)
        if isinstance(f, lgamma_rem):
            t = c * lgamma_rem_sum(*s.args)
        elif isinstance(f, sp.log):
            t = c * log_sum(*s.args)
        else:
            # ±(S + k)·h′(S); at sums only the + sign (as before: their other terms are left alone)
            for sign in ((1,) if s in sums else (1, -1)):
                k = sp.expand(sign * c - s)
                if not k.free_symbols & s.free_symbols:
                    break
            else:
                out.append(t)
                continue
            t = sign * wdigamma_rem_sum(k, *parts)
        out.append(t)
        changed = True
    return _gather_entropy_poles(out) if changed else e


def _gather_entropy_poles(terms):
    """c·wdigamma_rem_sum(−K, x₁…x_K) − Σ c·wdigamma_rem_sum(−1, xᵢ) → c·wdigamma_rem_gap(x₁…x_K): the
    Beta/Dirichlet entropies' ψ terms, whose poles ∓1/xᵢ, K/S the gap's kernel gathers (a subnormal α:
    −∞ − ∞ + ∞ = NaN apart, the entropy −∞)."""
    coeff = {}
    for i, t in enumerate(terms):
        c, f = t.as_independent(wdigamma_rem_sum, as_Add=False)
        if isinstance(f, wdigamma_rem_sum) and not c.has(wdigamma_rem_sum):
            coeff[f] = (c, i)
    for f, (c, i) in coeff.items():
        parts = f.args[1:]
        if len(parts) < 2 or f.args[0] != -len(parts):
            continue
        singles = [coeff.get(wdigamma_rem_sum(-1, x)) for x in parts]
        if any(g is None or sp.expand(g[0] + c) != 0 for g in singles):
            continue
        drop = {i} | {g[1] for g in singles}
        return sp.Add(c * wdigamma_rem_gap(*parts), *[t for j, t in enumerate(terms) if j not in drop])
    return sp.Add(*terms)


__all__ = ["stirling_parts_at_sums"]
