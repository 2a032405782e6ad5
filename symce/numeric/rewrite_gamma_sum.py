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
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.gamma import digamma_rem, lgamma_rem
from symce.numeric.functions.gamma_sum import lgamma_rem_sum, log_sum, wdigamma_rem_sum


def _positive_sum(s) -> bool:
    # parts that are numbers cannot make the sum overflow (x + ½ ≤ DBL_MAX rounds to DBL_MAX): the Student-t
    # entropy's h(ν/2 + ½) keeps its form
    return isinstance(s, sp.Add) and all(x.is_positive and not x.is_number for x in s.args)


def stirling_parts_at_sums(e):
    """h(S), (S + c)·h′(S) and log S of a sum S of positive parts → functions of the parts (module docstring)."""
    if not isinstance(e, sp.Add) or not e.has(lgamma_rem, digamma_rem):
        return e
    sums = {f.args[0] for f in e.atoms(lgamma_rem, digamma_rem) if _positive_sum(f.args[0])}
    if not sums:
        return e
    out, changed = [], False
    for t in e.args:
        c, f = t.as_independent(lgamma_rem, digamma_rem, sp.log, as_Add=False)
        s = f.args[0] if isinstance(f, (lgamma_rem, digamma_rem, sp.log)) else None
        if s not in sums or c.has(lgamma_rem, digamma_rem, sp.log):
            out.append(t)
            continue
        if isinstance(f, lgamma_rem):
            t = c * lgamma_rem_sum(*s.args)
        elif isinstance(f, sp.log):
            t = c * log_sum(*s.args)
        else:
            k = sp.expand(c - s)
            if k.free_symbols & s.free_symbols:
                out.append(t)
                continue
            t = wdigamma_rem_sum(k, *s.args)
        out.append(t)
        changed = True
    return sp.Add(*out) if changed else e


__all__ = ["stirling_parts_at_sums"]
