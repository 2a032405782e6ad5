r"""Rule ``Γ-scaled location–scale form``: a derivative of the Gumbel cross-entropy or KL, in which
G = gamma_scaled(1 + q/d, (a − b)/d) = e^L·Γ(1 + r) stands beside rational terms, written in r = q/d and
L = diff_ratio(a, b, d) per power of d, with G's terms collected:

    Σ_k d^k·(A_k(r, L) + G·B_k(r, L, ψ(1 + r))).

SymPy's partials carry G in several terms with the inputs as coefficients — ∂/∂β₂ of the Gumbel CE is
(−β₁Gψ(z) − γβ₁ + μ₁G − μ₁ − μ₂G + μ₂)/β₂² + 1/β₂ — and G ≈ e^{log Γ(1 + β₁/β₂)} overflows where the
value does not cancel to a NaN: μ₁G − μ₂G was ∞ − ∞ at β₁ = 960, β₂ = 5.1 (truth −∞), and G/β₂ − 1/β₂ at
β₂ = 5e-324. In the collected form ∂/∂β₂ = (1 − γr + L − G·(rψ(1 + r) + L))/β₂, ∂/∂μ₂ = (G − 1)/β₂ and
∂/∂β₁ = (Gψ(1 + r) + γ − 1/r)/β₂ (KL): where G overflows, rψ(1 + r) + L ≥ log G > 0 (log Γ is convex,
log Γ(1) = 0: log Γ(1 + r) ≤ rψ(1 + r)), so the product is the correct +∞; where rψ(1 + r) and L cancel,
G ≤ e^{−r} and the product is small beside L. The two products are single functions whose kernels take
G = 0 and G = ∞ exactly (:mod:`symce.numeric.functions.gamma_scaled_grad`): G·ψ(1 + r) = gamma_scaled_psi
(0·∞ where r overflows and G underflows) and G·(rψ(1 + r) + L) − L = gamma_scaled_drift (its terms ±∞ where
r or L overflow), so ∂/∂β₂ = (1 − γr − drift)/β₂ and ∂/∂β₁ = (gamma_scaled_psi + γ)/β₂ − 1/β₁.

Exact: the substitution q = r·d, a = b + L·d and back; proved like the other rules.
"""

from __future__ import annotations

from collections import defaultdict

import sympy as sp

from symce.numeric.functions import diff_ratio, gamma_scaled
from symce.numeric.functions.gamma_scaled_grad import gamma_scaled_drift, gamma_scaled_psi


def _parts(g):
    """(q, d, a, b) for gamma_scaled((q + d)/d, (a − b)/d) in symbols, else None."""
    z, big_l = g.args
    num, den = sp.fraction(sp.together(z))
    q = sp.expand(num - den)
    if not (q.is_Symbol and den.is_Symbol and q.is_positive and den.is_positive):
        return None
    if isinstance(big_l, diff_ratio):
        a, b, s = big_l.args
    else:
        n, s = sp.fraction(sp.together(big_l))
        terms = sp.Add.make_args(sp.expand(n))
        if len(terms) != 2:
            return None
        a, b = sorted(terms, key=lambda t: t.could_extract_minus_sign())
        b = -b
    if s != den or not (a.is_Symbol and b.is_Symbol and a.is_real and b.is_real):
        return None
    return q, den, a, b


def gamma_scaled_location_scale(e):
    """The collected form of the module docstring where e holds one gamma_scaled of that shape and is
    free of b once a = b + L·d (a location–scale family's derivative); else e unchanged."""
    if isinstance(e, sp.MatrixBase) or not e.has(gamma_scaled) or e.has(sp.Piecewise):
        return e
    gs = e.atoms(gamma_scaled)
    parts = _parts(next(iter(gs))) if len(gs) == 1 else None
    if parts is None:
        return e
    q, d, a, b = parts
    r, big_l, g = sp.Dummy("r", positive=True), sp.Dummy("L", real=True), sp.Dummy("G", positive=True)
    sub = sp.expand(e.xreplace({next(iter(gs)): g}).subs({q: r * d, a: b + big_l * d}, simultaneous=True))
    if sub.has(b, q, a):
        return e
    by_power = defaultdict(lambda: sp.S.Zero)
    for t in sp.Add.make_args(sub):
        c, p = t.as_independent(d, as_Add=False)
        k = sp.S.Zero if p == 1 else (p.exp if p.is_Pow and p.base == d else (1 if p == d else None))
        if k is None or not k.is_Integer:
            return e
        by_power[int(k)] += c
    back = {r: q / d, big_l: diff_ratio(a, b, d)}
    g_back = gamma_scaled((q + d) / d, diff_ratio(a, b, d))
    out = []
    for k in sorted(by_power):
        parts = sp.collect(sp.expand(by_power[k]), g, evaluate=False)
        if set(parts) - {sp.S.One, g}:
            return e
        rest, apart = [], []
        a_part, weight, products = parts.get(sp.S.One, sp.S.Zero), parts.get(g, sp.S.Zero), []
        psi = sp.polygamma(0, r + 1)
        kappa = -weight.coeff(big_l)
        if kappa != 0 and kappa.is_number and sp.expand(weight + kappa * (r * psi + big_l)) == 0:
            # G·(−κ)(rψ(1 + r) + L) + κL of A: −κ·gamma_scaled_drift (∞ − ∞ where r or L overflow)
            a_part, weight = sp.expand(a_part - kappa * big_l), sp.S.Zero
            products.append(-kappa * gamma_scaled_drift((q + d) / d, diff_ratio(a, b, d)))
        elif weight != 0 and (weight / psi).is_number:
            # G·κψ(1 + r): κ·gamma_scaled_psi (0·∞ where G underflows and r overflows)
            products.append(weight / psi * gamma_scaled_psi((q + d) / d, diff_ratio(a, b, d)))
            weight = sp.S.Zero
        for u in sp.Add.make_args(a_part):
            # a term whose d-power cancels once r = q/d is back (the KL's −1/β₁) stays outside: inside it is
            # d/q, which overflows where 1/q does not (β₁ = 6.6e-118, β₂ = 5.9e208)
            whole = u.xreplace(back) * d ** k
            (apart if k and not whole.has(d) else rest).append(whole if k and not whole.has(d) else u.xreplace(back))
        weight = weight.xreplace(back)
        inner = sp.Add(*rest, *products, sp.Mul(g_back, weight, evaluate=not weight.is_Add))
        out.append(sp.Mul(d ** k, inner, evaluate=False) if k else inner)
        out.extend(apart)
    new = sp.Add(*out)
    return new if new != e else e


__all__ = ["gamma_scaled_location_scale"]
