r"""Rule ``Weibull derivative forms`` for the partials of the Weibull cross-entropy and KL (issue 12 item 1).

With G = gamma_scaled(z, L) = e^L·Γ(z), z = 1 + r, r = k₂/k₁, L = k₂(log λ₁ − log λ₂) (Gil, Alajaji & Linder
2013's CE and KL differentiated):

* ∂/∂λ: ±k₂·G/λ ∓ k₂/λ (+ 1/λ₁) → ±gamma_scaled_m1(z, L, k₂, λ) (+ 1/λ₁) = ±(k₂/λ)(G − 1): G − 1 = e^s − 1 from
  the exponent s in double-double (0 at P = Q, where the float G − 1 kept no digit of s), the product in
  extended range, and no ∞ − ∞ where G and k₂/λ overflow;
* ∂/∂k₂: (G − 1)(log λ₁ − log λ₂) + G·ψ(z)/k₁ = gamma_scaled_drift(z, L)/k₂ (drift = G(rψ(z) + L) − L, the
  Gumbel gradients' function: ±∞ of G against L taken exactly);
* ∂/∂k₁: the terms over k₁² divided by k₁ in turn, −k₂Gψ(z)/k₁² + γ(1 − k₂)/k₁² =
  (−diff_ratio(k₂, 0, k₁)·gamma_scaled_psi(z, L) + γ·diff_ratio(1, k₂, k₁))/k₁ (k₁² overflowed; G·ψ(z) is
  0·∞ where G underflows and r overflows).

Exact identities, proved like every rule.
"""

from __future__ import annotations

import sympy as sp

from symce.core.walk import free_symbols  # e.free_symbols over distinct subtrees (LowRank gradients)
from symce.numeric.functions.elementary import diff_ratio
from symce.numeric.functions.gamma import _weibull_inputs, gamma_scaled, gamma_scaled_m1
from symce.numeric.functions.gamma_scaled_grad import gamma_scaled_drift, gamma_scaled_psi


def weibull_derivative_forms(e):
    given = e
    if not isinstance(e, sp.Add) or not e.has(gamma_scaled) or e.has(sp.Piecewise):
        return e
    gs = {g for g in e.atoms(gamma_scaled)}
    if len(gs) != 1:
        return e
    g = gs.pop()
    z, big_l = g.args
    inputs = _weibull_inputs(z, big_l)
    if inputs is None:
        return e
    k2, k1, _, u, v = inputs
    psi = sp.polygamma(0, z)
    # ∂/∂k₂: the drift over k₂
    drift_terms = [t for t in e.args if t.has(sp.log(u)) or t.has(sp.log(v)) or (t.has(g) and t.has(psi))]
    drift_atoms = gamma_scaled_psi(z, big_l) * k2 / k1 + g * big_l - big_l
    if drift_terms:
        lhs = sp.expand(sp.Add(*drift_terms).subs(g * psi, gamma_scaled_psi(z, big_l)) * k2)
        if sp.expand(lhs - sp.expand(drift_atoms)) == 0:
            rest = [t for t in e.args if t not in drift_terms]
            return _over(gamma_scaled_drift(z, big_l) / k2 + sp.Add(*rest), k2)
    e = sp.expand(e.subs(g * psi, gamma_scaled_psi(z, big_l)))
    # ∂/∂k₁: the terms over k₁² divided in turn
    over2 = [t for t in sp.Add.make_args(e) if _power(t, k1) == -2]
    if over2:
        num = sp.expand(sp.Add(*over2) * k1**2)
        parts = []
        psi_part = num.coeff(gamma_scaled_psi(z, big_l))
        if psi_part != 0:
            c = sp.cancel(psi_part / k2)
            if c.has(k1, k2):
                return e
            parts.append(c * diff_ratio(k2, 0, k1) * gamma_scaled_psi(z, big_l))
        other = sp.expand(num - psi_part * gamma_scaled_psi(z, big_l))
        if other != 0:
            a, b = other.coeff(k2, 0), other.coeff(k2, 1)
            if sp.expand(other - a - b * k2) != 0 or a.has(k1) or b.has(k1):
                return e
            if a != 0 and sp.expand(a + b) == 0:
                parts.append(a * diff_ratio(1, k2, k1))
            elif a == 0:
                parts.append(b * diff_ratio(k2, 0, k1))
            else:
                return e
        rest = [t for t in sp.Add.make_args(e) if t not in over2]
        e = _over(sp.Add(*parts) / k1 + sp.Add(*rest), k1)
    # ∂/∂λ: G = (G − 1) + 1, the −1 cancelling the k₂/λ beside it
    if e.has(g):
        m1 = sp.Dummy("m1")
        e = sp.expand(e.subs(g, m1 + 1))
        # c·k₂·(G − 1)/λ as c·gamma_scaled_m1(z, L, k₂, λ), the three factors' product in extended range:
        # k₂(G − 1) ≈ k₂²·log(λ₁/λ₂) underflows for a tiny k₂ (1.3e-291: 0 for 4e-232), k₂/λ at λ = 1.8e308
        # where G − 1 = ∞ (0·∞)
        terms = []
        for t in sp.Add.make_args(e):
            lam = [x for x in (u, v) if _power(t, x) == -1]
            if t.has(m1) and len(lam) == 1 and _power(t, k2) == 1:
                rest = [f for f in sp.Mul.make_args(t) if f not in (k2, 1 / lam[0], m1)]
                t = sp.Mul(*rest) * gamma_scaled_m1(z, big_l, k2, lam[0])
            elif t.has(m1):
                return given
            terms.append(t)
        e = sp.Add(*terms)
    return e


def constant_over_powers(e):
    """c₁/x + c₂/x² (numbers, c₂ may be γ) → c₁·diff_ratio(x, c, x)/x, c = −c₂/c₁ (an irrational c as its float
    c_hi and c − c_hi: c₁·(diff_ratio(x, c_hi, x) − (c − c_hi)/x)/x): the Weibull entropy's ∂/∂k =
    −1/k + γ/k², whose k² overflows (−0 for −1.6e-192 at k = 6.1e191) and whose difference is exact near
    k = γ's float (Sterbenz)."""
    if not isinstance(e, (sp.Add, sp.Mul)) or len(free_symbols(e)) != 1:
        return e
    given, e = e, sp.expand(e)  # the gradient's (γ − k)/k² as its two terms
    if not isinstance(e, sp.Add) or len(e.args) != 2:
        return given
    x = next(iter(e.free_symbols))
    if not x.is_positive:
        return given
    cs = {}
    for t in e.args:
        c, rest = t.as_independent(x, as_Add=False)
        if not (c.is_number and c.is_real and rest.is_Pow and rest.base == x and rest.exp in (-1, -2)):
            return given
        cs[int(rest.exp)] = c
    if set(cs) != {-1, -2} or not cs[-1].is_Rational:
        return given
    c1, c2 = cs[-1], cs[-2]
    c = -c2 / c1
    if c.is_Rational:
        return c1 * diff_ratio(x, c, x) / x
    # c = γ: its float c_hi (exact difference x − c_hi near x = c_hi) and the rest c − c_hi ≈ 4e-17 beside it
    hi = sp.Rational(float(c))
    return c1 * (diff_ratio(x, hi, x) - (c - hi) / x) / x


def _over(e, x):
    """The terms c/x of e (x among the factors, c free of x outside functions) as (Σ c)/x: one quotient, where
    the terms apart are ±∞ against each other at a subnormal x (1/k₁ − r(γ + Gψ(z))/k₁ at k₁ = 5e-324: ∞ − ∞)."""
    over, rest = [], []
    for t in sp.Add.make_args(e):
        if isinstance(t, sp.Mul) and any(isinstance(f, sp.Add) for f in t.args) and _power(t, x) == -1:
            over.extend(sp.Add.make_args(sp.expand_mul(t * x)))
        elif _power(t, x) == -1:
            over.append(t * x)
        else:
            rest.append(t)
    if len(over) < 2 or any(_power(c, x) != 0 for c in over):
        return e
    return sp.Add(*over) / x + sp.Add(*rest)


def _power(t, x):
    """The exponent of x among the factors of t (not inside a function's arguments)."""
    n = 0
    for f in sp.Mul.make_args(t):
        if f == x:
            n += 1
        elif f.is_Pow and f.base == x and f.exp.is_Integer:
            n += int(f.exp)
    return n


__all__ = ["weibull_derivative_forms", "constant_over_powers"]
