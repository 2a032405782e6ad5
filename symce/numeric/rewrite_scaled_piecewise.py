r"""Rule ``scaled branches``: a Piecewise over a positive scale, Piecewise((Aₖ, Cₖ), …)/s, divided by s term by
term in each branch: a pair c·a − c·b of the branch's terms as c·diff_ratio(a, b, s), any other term t as
diff_ratio(t, 0, s); inside exponentials (a − b)/r as diff_ratio(a, b, r).

The Laplace cross-entropy and KL carry (b₁e^{−|μ₁ − μ₂|/b₁} + |μ₁ − μ₂|)/b₂ as such a Piecewise (the sign of
μ₁ − μ₂ picks the branch). Summed first and divided last, b₁e^{−1} + 1.8e308 overflowed where the quotient
is 2.5e8 (b₁ = 1.8e308, b₂ = 1e300, μ₂ = −1.8e308: +∞ where the CE is finite); μ₁ − μ₂ overflows for
μ₁ ≈ −μ₂ ≈ 1e308 (diff_ratio halves first). Each step is an exact identity, proved like every rule.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.elementary import diff_ratio


def _exp_ratios(t):
    """exp((a − b)/r) → exp(diff_ratio(a, b, r)) for a two-term difference over a positive r."""
    def fix(f):
        num, den = sp.fraction(sp.factor_terms(f.args[0]))
        terms = sp.Add.make_args(num)
        if len(terms) != 2 or den == 1 or not den.is_positive:
            return f
        a, b = (terms[0], -terms[1]) if not terms[0].could_extract_minus_sign() else (terms[1], -terms[0])
        return sp.exp(diff_ratio(a, b, den))
    return t.replace(lambda f: isinstance(f, sp.exp), fix)


def _divide(branch, s):
    """branch/s term by term (module docstring), or None where the branch has no difference to keep."""
    terms = list(sp.Add.make_args(sp.expand_mul(branch)))
    linear = [t for t in terms if t.as_coeff_Mul()[1].is_Symbol]
    out = [t for t in terms if t not in linear]
    pairs = []
    for t in linear:
        c, x = t.as_coeff_Mul()
        partner = next((u for u in linear if u not in pairs and u != t and u.as_coeff_Mul()[0] == -c), None)
        if c > 0 and partner is not None:
            pairs += [t, partner]
            out.append(c * diff_ratio(x, partner.as_coeff_Mul()[1], s))
    if not pairs:
        return None
    rest = [t for t in linear if t not in pairs]
    # b₁·e^u over b₂ as diff_ratio(b₁·e^u, 0, b₂), one argument: (b₁/b₂)·e^u (the form common-subexpression
    # elimination makes of b₁·e^u/b₂ in two branches) is ∞·0 = NaN where b₁/b₂ overflows and e^u underflows
    # (the value is +∞ then, from |μ₁ − μ₂|/b₂), while b₁·e^u ≤ b₁ never overflows
    return sp.Add(*[t if t.has(diff_ratio) and not t.has(sp.exp) else diff_ratio(_exp_ratios(t), 0, s)
                    for t in out + rest])


def scaled_branches(e):
    """Piecewise(…)/s → Piecewise of each branch divided term by term (module docstring)."""
    if not e.has(sp.Piecewise):
        return e

    def fix(m):
        pw = [f for f in m.args if isinstance(f, sp.Piecewise)]
        den = [f for f in m.args if isinstance(f, sp.Pow) and f.exp == -1 and f.base.is_positive]
        if len(pw) != 1 or len(den) != 1 or len(m.args) != 2:
            return m
        s = den[0].base
        branches = [(_divide(b, s), c) for b, c in pw[0].args]
        if any(b is None for b, _ in branches):
            return m
        return sp.Piecewise(*branches)

    return e.replace(lambda n: isinstance(n, sp.Mul) and n.has(sp.Piecewise), fix)


__all__ = ["scaled_branches"]
