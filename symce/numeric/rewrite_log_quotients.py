r"""The logarithm-over-a-power rule: Σ cᵢ·xlog1py(kᵢ/xⁿ, yᵢ) → ((Σ cᵢkᵢ·log1p(yᵢ))/x)/x… divided in
turn, n ≥ 2, x a positive symbol — an exact identity, proved like the other rules.

The Geometric entropy's derivative log(1 − p)/p² (and the CE/KL ones, (log(1 − q) − log(1 − p))/p²) took
1/p² first: it overflows from p ≈ 1.5e-154 where the quotient ≈ −1/p does not, so −∞·… gave −∞ for −4.7e160 at
p = 2e-161, and ∞ − ∞ = NaN in the KL where the two logarithms share the power. Dividing the summed logarithms
by x once per power keeps every step as large as the quotient itself: log1p(−p)/p ≈ −1, then / p.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions import diff_ratio, log1p, log_diff_ratio, xlog1py


def _power_parts(f):
    """(x, n, (k, y)) for xlog1py(k·x^{−n}, y), x a positive symbol, n ≥ 2; else None."""
    if not isinstance(f, xlog1py):
        return None
    k, rest = f.args[0].as_coeff_Mul()
    if not (rest.is_Pow and rest.base.is_Symbol and rest.base.is_positive and rest.exp.is_Integer
            and rest.exp <= -2):
        return None
    return rest.base, -int(rest.exp), (k, f.args[1])


def _log_sum(terms):
    """Σ cᵢ·log1p(yᵢ); a pair c·log1p(y₁) − c·log1p(y₂) as c·log_diff_ratio(1, −y₁, 1, −y₂) = c·log((1 + y₁)/(1 + y₂)),
    whose kernel takes 1 + yᵢ exactly (TwoSum): the Geometric KL's log(1 − q) − log(1 − p) cancels near p = q
    (7e11 units of the quotient at p = 0.25, q = p − 2.5e-13)."""
    if len(terms) == 2 and terms[0][0] == -terms[1][0]:
        (c, y1), (_, y2) = terms
        return c * log_diff_ratio(1, -y1, 1, -y2)
    return sp.Add(*[c * log1p(y) for c, y in terms])


def log_over_powers(e):
    """Σ cᵢ·xlog1py(kᵢ·x^{−n}, yᵢ) → diff_ratio(…diff_ratio(Σ cᵢkᵢ log1p(yᵢ), 0, x)…, 0, x)/x, the terms of one
    power xⁿ summed first (their logarithms cancel, not their powers' infinities), other terms unchanged."""
    if isinstance(e, sp.MatrixBase) or not e.has(xlog1py):
        return e
    groups, rest = {}, []
    for t in sp.Add.make_args(e):
        c, f = t.as_coeff_Mul()
        got = _power_parts(f)
        if got is None:
            rest.append(t)
            continue
        x, n, term = got
        k, y = term
        groups.setdefault((x, n), []).append((c * k, y))
    if not groups:
        return e
    for (x, n), terms in groups.items():
        v = _log_sum(terms)
        for _ in range(n - 1):
            v = diff_ratio(v, 0, x)
        rest.append(v / x)
    return sp.Add(*rest)


__all__ = ["log_over_powers"]
