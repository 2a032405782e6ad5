"""A rewrite step's proof over the unit interval: for each positive symbol s that the assumptions bound by
s < 1, the bijection s = u/(1 + u) of u > 0 onto (0, 1) (so proving the identity for every u > 0 proves it for
every s the assumptions allow). Then 1 − s = 1/(1 + u), s/(1 − s) = u and atanh(2s − 1) = ½ log u are
arguments the prover's expand_log splits without side conditions; over s itself log(1 − s) and
log(s/(1 − s)) = log s − log(1 − s) hold only for s < 1, which a symbol's assumptions cannot say, so the
continuous Bernoulli's rewrite (atanh(2λ − 1) = ½ logit λ) stayed 'checked numerically'.

Where every function of such an s is one of those logarithms (the continuous Bernoulli's gradients), they are
written in log s and log(1 − s) and those taken as independent symbols instead (:func:`_log_atoms_form`).

Applied where a side has atanh (the continuous Bernoulli's normaliser): other proofs are left as they were.
"""

from __future__ import annotations

import sympy as sp


def _bounded(assumptions) -> list:
    out = []
    for a in assumptions:
        if isinstance(a, sp.StrictLessThan) and a.lhs.is_Symbol and a.lhs.is_positive and a.rhs == 1:
            out.append(a.lhs)
    return out


def _atanh_as_log(n):
    # atanh z = ½ log((1 + z)/(1 − z)) for real |z| < 1, which z = 2s − 1 is for 0 < s < 1
    z = n.args[0]
    return sp.log((1 + z) / (1 - z)) / 2


def unit_interval_form(lhs, rhs, assumptions=()):
    """(lhs, rhs, assumptions) with each positive s < 1 written as u/(1 + u), atanh as a logarithm and every
    logarithm's argument cancelled and factored; unchanged where no side has atanh or no symbol is bounded."""
    if not (sp.sympify(lhs).has(sp.atanh) or sp.sympify(rhs).has(sp.atanh)):
        return lhs, rhs, assumptions
    free = sp.sympify(lhs).free_symbols | sp.sympify(rhs).free_symbols
    atoms = _log_atoms_form(lhs, rhs, [s for s in _bounded(assumptions) if s in free])
    if atoms is not None:
        return atoms[0], atoms[1], assumptions
    sub = {s: (lambda u: u / (1 + u))(sp.Dummy(f"u_{s}", positive=True)) for s in _bounded(assumptions) if s in free}
    if not sub:
        return lhs, rhs, assumptions

    def form(e):
        e = sp.sympify(e).xreplace(sub).replace(lambda n: isinstance(n, sp.atanh), _atanh_as_log)
        return e.replace(lambda n: isinstance(n, sp.log), lambda n: sp.log(sp.factor(sp.cancel(n.args[0]))))

    rest = tuple(a for a in assumptions if not (getattr(a, "free_symbols", set()) & set(sub)))
    return form(lhs), form(rhs), rest


def _log_atoms_form(lhs, rhs, bounded):
    """Both sides with every logarithm of a bounded s (0 < s < 1) written in log s and log(1 − s) — log(s/(1 − s)) =
    log s − log(1 − s), log(1/(1 − s)) = −log(1 − s), atanh(±(2s − 1)) = ±½(log s − log(1 − s)), exact there — and
    those two as symbols; None where any other function of s is left (a logarithm of a logarithm, say).

    log s and log(1 − s) are algebraically independent over the rational functions of s (logarithms of
    multiplicatively independent rational functions: Ostrowski), so the identity holds for 0 < s < 1 exactly when it
    holds with them as independent symbols — and there it is one cancellation of rational functions (0.3 s for
    ∂KL/∂λ₁, whose proof over s = u/(1 + u) with the logarithms as functions ran past the prover's 5 s limits, and
    was left 'checked numerically')."""
    if not bounded:
        return None
    sub, names = {}, {}
    for s in bounded:
        a, b = sp.log(s), sp.log(1 - s)
        sub.update({sp.log(s / (1 - s)): a - b, sp.log((1 - s) / s): b - a, sp.log(1 / (1 - s)): -b,
                    sp.log(1 / s): -a, sp.atanh(2 * s - 1): (a - b) / 2, sp.atanh(1 - 2 * s): (b - a) / 2})
        names.update({a: sp.Dummy(f"log({s})"), b: sp.Dummy(f"log(1 - {s})")})
    sides = [sp.sympify(e).xreplace(sub) for e in (lhs, rhs)]
    for e in sides:
        for f in e.atoms(sp.Function):
            if f.free_symbols & set(bounded) and f not in names:
                return None
    # each side as one reduced quotient of polynomials (unique up to normalisation): the prover's own chain expands
    # first, after which the common denominator of ~400 terms took 8 s; one rational function per side took 0.3 s
    return tuple(sp.cancel(sp.together(e.xreplace(names))) for e in sides)


__all__ = ["unit_interval_form"]
