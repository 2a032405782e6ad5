r"""Rule ``trigamma ratio``: w·ψ′(x) + a/b + k → trigamma_ratio(w, x, a, b, 0) + k.

The ∂/∂α₁ of the Gamma, inverse-gamma and χ² cross-entropies and KLs, after ``collect ψ``:
(1 − α₂)ψ′(α₁) + β₂/β₁, (α₁ − α₂)ψ′(α₁) − 1 + β₂/β₁, −(α₂ + 1)ψ′(α₁) + β₂/β₁, (2 − k₂)ψ′(k₁/2)/4 + ½,
(k₁ − k₂)ψ′(k₁/2)/4. ψ′(x) ≈ 1/x² overflows below x ≈ 1.5·10⁻¹⁵⁴: 0·∞ where w = 0 (KL(χ²) at k₁ = k₂), ∞ − ∞
where a/b overflows with the other sign (CE(Gamma) at α₁ = 2.4·10⁻¹⁴¹, β₂/β₁ = 1.3·10³³⁸), and (2 − k₂)ψ′
overflows before the /4 (k₂ = 1.8·10³⁰⁸). The function's kernel (:mod:`symce.numeric.impl.trigamma_ratio`)
evaluates the sum where it is finite and decides the sign of the ∞ − ∞ from the logarithms of the parts. An
exact identity, proved like every rule.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.gamma import trigamma_ratio


def trigamma_ratios(e):
    """w·ψ′(x) + a/b + k → trigamma_ratio(w, x, a, b, 0) + k for the whole sum e (a, b monomials, k a number;
    a/b may be absent: trigamma_ratio(w, x, 0, 1, 0), the product alone)."""
    if not isinstance(e, (sp.Add, sp.Mul)) or not e.has(sp.polygamma):
        return e
    head, rest = None, []
    for t in sp.Add.make_args(e):
        w, f = t.as_independent(sp.polygamma, as_Add=False)
        if isinstance(f, sp.polygamma) and f.args[0] == 1 and head is None and not w.has(sp.polygamma):
            head = (w, f.args[1])
        else:
            rest.append(t)
    if head is None or any(t.has(sp.Function) for t in rest):
        return e
    k = sp.Add(*[t for t in rest if t.is_number])
    others = [t for t in rest if not t.is_number]
    if len(others) > 1:
        return e
    if others:
        a, b = sp.fraction(others[0])
        if not (_monomial(a) and _monomial(b)):
            return e
    else:
        a, b = sp.S.Zero, sp.S.One
    w, x = head
    if not x.is_positive:
        return e
    # the constant stays a term of its own: where it cancels against the rest ((1 − α)ψ′(α) + 1 ≈ 1/(2α) in an
    # entropy's partial, the KL's ≈ 0 near P = Q) the sum's terms still show the scale of that cancellation
    return trigamma_ratio(sp.factor_terms(w), x, a, b, 0) + k


def _monomial(m) -> bool:
    return all(f.is_Symbol or f.is_Number or (f.is_Pow and f.base.is_Symbol and f.exp.is_Integer)
               for f in sp.Mul.make_args(m))


__all__ = ["trigamma_ratios"]
