"""Differences and logarithms computed from a stable function's original inputs, for the code generator
and the lowering alike: y − x of kl_div(x, y) correctly rounded where it cancels (the Gamma, Beta and
Dirichlet KLs near P = Q), and log y of a monomial where the product itself under- or overflows.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions import exact_rational


def difference(x, y):
    """y − x for kl_div(x, y), from the original inputs: where x or y is a product or quotient (the scaled
    KL terms of the Gamma family, kl_div(α₂, α₁β₂/β₁)) the rational function y − x correctly rounded
    (exact_rational: α₁β₂/β₁ − α₂ cancels near P = Q, and kl_div ≈ d²/2x needs d's relative accuracy);
    a difference of plain inputs as it is."""
    d = y - x
    if not any(a.is_Mul or a.is_Pow for a in (x, y)) or d.atoms(sp.Function) or not d.free_symbols:
        return d
    return exact_rational(sp.together(d))


def exact_difference(x, y):
    """y − x correctly rounded (exact_rational) where x or y is not a plain input — sums of inputs, the
    Beta KL's α₂ + β₂ − (α₁ + β₁) — else y − x as it is (exact near y = x by Sterbenz)."""
    d = y - x
    if (x.is_Symbol and y.is_Symbol) or d.atoms(sp.Function) or not d.free_symbols:
        return d
    return exact_rational(sp.together(d))


def log_of_monomial(y):
    """Σ kᵢ log bᵢ for y = Π bᵢ^kᵢ, a product of powers of symbols (the scale ratio α₁β₂/β₁ of a Gamma KL),
    else None: kl_div(x, y) then also gets log y, for where the product under- or overflows and the KL
    x log(x/y) − x + y does not."""
    if not y.is_Mul:
        return None
    terms = []
    for f in y.args:
        if f.is_Rational and f > 0:  # a constant factor (χ²'s ν₁/2)
            terms.append(sp.log(f))
            continue
        b, k = f.as_base_exp()
        if not (b.is_Symbol and b.is_positive and k.is_Integer):
            return None
        terms.append(k * sp.log(b))
    return sp.Add(*terms)


def monomial_ratio(x, y):
    """(kernel, arguments) of y/x correctly rounded (exact_rational's) for kl_div(x, y) with y a monomial, else
    None: where y and y − x both pass 1.8e308 (Gamma KL at α₁ = α₂ = 1.8e308, β₂ = 3β₁) the KL x(r − 1 − log r)
    need not, and log y − log x is off by ~10⁻¹³ absolute (10³ ULP of the KL); the kernel calls it there only."""
    r = sp.together(y / x)
    if not r.free_symbols:
        return None
    try:
        return exact_rational(r).lowering(None)
    except ValueError:  # not a rational function of the inputs (NotRational)
        return None


def scaled_ratio(x, y):
    """(Y, X, (Y − X)/X correctly rounded) for x = cX, y = cY with one constant c ≠ 1 and X, Y inputs (χ²'s
    ν/2), else None: below the normal range cX and cY round apart from X and Y (half of 2⁻¹⁰²² + 2⁻¹⁰⁷⁴ is
    2⁻¹⁰²³), and a function of their ratio (impl/bregman_ratio.py) needs the ratio of the inputs themselves."""
    cx, big_x = x.as_coeff_Mul()
    cy, big_y = y.as_coeff_Mul()
    if cx != cy or cx == 1 or not cx.is_Rational or not (big_x.is_Symbol and big_y.is_Symbol) or big_x == big_y:
        return None
    return big_y, big_x, exact_rational(sp.together((big_y - big_x) / big_x))
