r"""Expectations of trigonometric statistics of a shifted variable, E[cos(X − c)] and E[sin(X − c)].

A density on the circle is naturally written with cos(x − μ) (von Mises, cardioid, wrapped families), while
its sufficient statistics are cos x and sin x. Angle addition,

    cos(x − c) = cos c · cos x + sin c · sin x,     sin(x − c) = cos c · sin x − sin c · cos x,

turns the shifted statistic into a combination of the family's statistics, whose moments come from the
exponential-family moment map; the same identity read backwards folds the result into one cosine/sine of
a difference, E[cos(X − c)] = r cos(μ − c) when E[cos X] = r cos μ, E[sin X] = r sin μ.

Applies only when every statistic of the expansion is a sufficient statistic of P's exponential-family
form, so it never sends an expectation to integration that the shifted form would not have needed.
"""

from __future__ import annotations

import sympy as sp

RULE = ("angle addition: cos(x − c) = cos c·cos x + sin c·sin x, sin(x − c) = cos c·sin x − sin c·cos x; "
        "E[cos X], E[sin X] by the exponential-family moment map")


def _shift(phi, x):
    """c for φ = cos(x + c) or sin(x + c) with c free of x and c ≠ 0, else None."""
    if not isinstance(phi, (sp.cos, sp.sin)):
        return None
    c = sp.expand(phi.args[0] - x)
    if c == 0 or x in c.free_symbols:
        return None
    return c


def angle_addition(P, ef, phi, x, expectation):
    """(E_P[φ(X)], rule) for φ = cos(X + c) or sin(X + c) when cos x and sin x are sufficient statistics
    of ``ef``; ``expectation`` is the engine's E_P[·] (passed in: this module sits below it). ``None`` when
    the rule does not apply."""
    c = _shift(phi, x)
    if c is None or ef is None or ef.index is not None:
        return None
    stats = set(ef.statistics)
    if not {sp.cos(x), sp.sin(x)} <= stats:
        return None
    expanded = sp.expand_trig(type(phi)(x + c))
    if expanded == phi:
        return None
    value, _, _ = expectation(P, expanded, x)
    # read the identity backwards: r·(cos μ cos c − sin μ sin c) = r·cos(μ + c), …
    folded = sp.trigsimp(sp.factor_terms(value))
    return (folded if sp.count_ops(folded) <= sp.count_ops(value) else value), RULE
