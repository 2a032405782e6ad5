r"""Two rules for derivatives whose poles at a parameter's zero cancel between a polygamma and rational terms:

* ``polygamma shift`` — c·ψ⁽ⁿ⁾(x) + R = c·ψ⁽ⁿ⁾(x + 1) + exact_rational(R + c·(−1)ⁿ⁺¹n!/xⁿ⁺¹), n ≥ 1, for an
  argument x = k·s that reaches 0 (a positive symbol times a positive number) and rational terms R with a
  pole in s (the recurrence ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) + (−1)ⁿ⁺¹n!/xⁿ⁺¹, DLMF 5.15.5). ψ⁽ⁿ⁾(x) ≈ n!/xⁿ⁺¹
  overflows for a tiny x where the rational terms carry the same pole with the opposite sign: the Student-t
  entropy's ∂/∂ν = ((ν + 1)(ψ′((ν + 1)/2) − ψ′(ν/2)) + 2/ν)/4 was −∞ + ∞ = NaN at ν = 5e-324 (truth −∞),
  and the Kumaraswamy entropy's ∂/∂b = (1 − 1/a)ψ′(b) − 1/b + 1/(ab²) NaN at a, b ≈ 1e-300 (truth ∞):
  after the shift the poles meet symbolically, in one correctly rounded rational term ((1 − b)/b², −(ν + 2)/(2ν²));
* ``reciprocal powers in turn`` — a sum whose every term is F_k/xᵏ (x a positive symbol, k ≥ 1, F_k free of
  x, the highest power ≥ 2) → ((F_N/x + F_{N−1})/x + …)/x: 1/x² overflows for x < 1.5e-154 where the value
  does not (the Kumaraswamy entropy's ∂/∂a = (H_b − a)/a² was ∞ for 6e271 at a = 4.8e-232, b = 8.3e-191, and
  ∞ − ∞ at a subnormal a).

Both are exact identities, proved like the other rules (:mod:`symce.numeric.rewrite_proof` reads the shifted
polygamma back through the recurrence).
"""

from __future__ import annotations

from collections import defaultdict

import sympy as sp

from symce.numeric.functions import diff_ratio, exact_rational
from symce.numeric.rational_function import is_rational_function


def _reaches_zero(x):
    """The positive symbol s of x = k·s (k a positive number): x takes every small positive value."""
    k, s = x.as_coeff_Mul()
    return s if (k.is_positive and s.is_Symbol and s.is_positive) else None


def _has_pole(t, s) -> bool:
    return s in sp.fraction(sp.together(t))[1].free_symbols


def polygamma_shift(e):
    """c·ψ⁽ⁿ⁾(x) + R → c·ψ⁽ⁿ⁾(x + 1) + exact_rational(R + c(−1)ⁿ⁺¹n!/xⁿ⁺¹) (module docstring), for each
    polygamma of order n ≥ 1 at an argument reaching 0, where rational terms R of a pole in its symbol exist."""
    if not isinstance(e, sp.Add) or not e.has(sp.polygamma):
        return e
    shifted, rest = defaultdict(lambda: sp.S.Zero), []
    for t in e.args:
        c, f = t.as_independent(sp.polygamma, as_Add=False)
        if (isinstance(f, sp.polygamma) and f.args[0].is_Integer and f.args[0] >= 1
                and _reaches_zero(f.args[1]) is not None and not c.has(sp.polygamma) and is_rational_function(c)):
            shifted[f] += c
        else:
            rest.append(t)
    for f in sorted(shifted, key=sp.default_sort_key):
        n, x = int(f.args[0]), f.args[1]
        s = _reaches_zero(x)
        near = [t for t in rest if not t.has(sp.Function) and is_rational_function(t) and _has_pole(t, s)]
        if not near:
            continue
        c = shifted[f]
        far = [t for t in rest if t not in near]
        others = [k * g for g, k in shifted.items() if g != f]
        pole = c * (-1) ** (n + 1) * sp.factorial(n) / x ** (n + 1)
        rational = sp.cancel(sp.Add(pole, *near))
        part = exact_rational(rational) if rational.free_symbols else rational
        return polygamma_shift(sp.Add(c * sp.polygamma(n, x + 1), part, *others, *far))
    return e


def _power_term(t):
    """(x, k, F) for t = F/xᵏ, x a positive symbol, k ≥ 1 an integer, F free of x; else None."""
    for f in sp.Mul.make_args(t):
        if f.is_Pow and f.base.is_Symbol and f.base.is_positive and f.exp.is_Integer and f.exp <= -1:
            x, k = f.base, -int(f.exp)
            rest = t * x ** k
            if not rest.has(x):
                return x, k, rest
    return None


def reciprocal_powers(e):
    """Σ F_k/xᵏ (every term) → ((F_N/x + F_{N−1})/x + …)/x; one-term levels held as diff_ratio(F, 0, x)."""
    if not isinstance(e, sp.Add) or e.has(sp.Piecewise):  # branches (Laplace) are their own rules' business
        return e
    parts = [_power_term(t) for t in e.args]
    if any(p is None for p in parts) or len({p[0] for p in parts}) != 1:
        return e
    x = parts[0][0]
    by_power = defaultdict(lambda: sp.S.Zero)
    for _, k, f in parts:
        by_power[k] += f
    top = max(by_power)
    if top < 2 or len(by_power) < 2:
        return e
    v = by_power[top]
    for k in range(top - 1, 0, -1):
        v = diff_ratio(v, 0, x) if not isinstance(v, sp.Add) else v / x
        v = v + by_power.get(k, sp.S.Zero)
    return v / x


__all__ = ["polygamma_shift", "reciprocal_powers"]
