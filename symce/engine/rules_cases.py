"""Identities between results that are finite only under a condition.

KL(P‖Q) and H(P, Q) come out as ``Piecewise((value, c), (oo, True))`` when the supports nest only under a
condition c on the parameters (Binomial(7, p) against Binomial(n, q): n ≥ 7; Uniform(a, b) against Uniform(c, d):
c ≤ a ∧ b ≤ d). KL = H(P, Q) − H(P) is then proved case by case: on c between the finite values (with c
among the assumptions), off c both sides are +∞ — H(P) is finite, the justification
:func:`symce.engine.identities.kl_decomposition` already gives when both sides are +∞ outright.
"""

from __future__ import annotations

import sympy as sp

from symce.engine.derivation import Step


def finite_under(result):
    """(value, c) for ``Piecewise((value, c), (oo, True))``, else None."""
    if not (isinstance(result, sp.Piecewise) and len(result.args) == 2):
        return None
    (value, cond), (other, otherwise) = result.args
    if other != sp.oo or otherwise != sp.true:
        return None
    return value, cond


def decomposition_by_cases(d_kl, d_ce, d_h, prove, assumptions, Proof, proved, name, **options):
    """The proof of KL = H(P, Q) − H(P) case by case, or None when the results are not both finite under
    the same condition, or the finite case is not proved (the caller then tries the whole identity)."""
    kl_case, ce_case = finite_under(d_kl.result), finite_under(d_ce.result)
    if kl_case is None or ce_case is None or kl_case[1] != ce_case[1]:
        return None
    (k, cond), (ce, _) = kl_case, ce_case
    inner = prove(k, ce - d_h.result, (*assumptions, cond), name=name, **options)
    if inner.status not in proved:
        return None
    steps = (Step(sp.Eq(k, ce - d_h.result, evaluate=False), f"case {cond}: both sides finite"),
             *inner.steps,
             Step(sp.oo, f"otherwise both sides are +∞ ({d_kl.steps[-1].rule}); H(P) is finite"))
    return Proof(d_kl.result, d_ce.result - d_h.result, inner.status, steps=steps, assumptions=tuple(assumptions),
                 side_conditions=inner.side_conditions, name=name)
