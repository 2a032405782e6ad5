"""The proof of a rewrite step: the expression after a rule equals the one before, with the stable functions
replaced by their elementary definitions (:func:`symce.numeric.functions.to_elementary`) and proved by
:func:`symce.engine.proof.prove` under the derivation's assumptions.
"""

from __future__ import annotations

import sympy as sp

from symce.engine.proof import prove
from symce.numeric.functions import to_elementary
from symce.numeric.proof_unit_interval import unit_interval_form


def prove_step(rule: str, before, after, assumptions=(), *, simplex: bool = False):
    """The Proof that ``after`` = ``before`` for the step of ``rule`` (named by the part before its colon);
    ``simplex``: the rule used an assumption Σ t_i = 1, which the proof then applies exactly."""
    # prove the changed terms only: identical terms on both sides add nothing, and leaving them out
    # keeps symbols that cancel from the sampled points (prove samples the difference's symbols)
    common = set(sp.Add.make_args(after)) & set(sp.Add.make_args(before))
    lhs = sp.Add(*[t for t in sp.Add.make_args(after) if t not in common])
    rhs = sp.Add(*[t for t in sp.Add.make_args(before) if t not in common])
    lhs, rhs = _tanh_as_exp(to_elementary(lhs)), _tanh_as_exp(to_elementary(rhs))
    lhs, rhs = _harmonic_as_digamma(lhs), _harmonic_as_digamma(rhs)
    if rule.startswith(("polygamma shift", "trigamma differences", "digamma pole shift")):
        low = 0 if rule.startswith("digamma pole shift") else 1  # ψ(x + 1) = ψ(x) + 1/x there
        lhs, rhs = _polygamma_unshifted(lhs, low), _polygamma_unshifted(rhs, low)
    if simplex:
        lhs, rhs = _use_simplex(lhs, rhs, assumptions)
    lhs, rhs, assumptions = unit_interval_form(lhs, rhs, tuple(assumptions))
    return prove(lhs, rhs, assumptions, name=rule.split(":")[0])


def _tanh_as_exp(x):
    # tanh(a/2) = σ(a) − σ(−a) (the sigmoid-difference rule) is proved with tanh in exponentials, like σ itself
    return x.replace(lambda n: isinstance(n, sp.tanh), lambda n: n.rewrite(sp.exp))


def _harmonic_as_digamma(x):
    # H_x = ψ(x + 1) + γ = ψ(x) + 1/x + γ for x > 0 (the harmonic-numbers rule): the prover's expansions do
    # not shift ψ's argument, so the step reads H_x in ψ(x) itself; other harmonic numbers stay as they are
    return x.replace(lambda n: isinstance(n, sp.harmonic) and len(n.args) == 1 and n.args[0].is_positive,
                     lambda n: sp.polygamma(0, n.args[0]) + 1 / n.args[0] + sp.EulerGamma)


def _polygamma_unshifted(x, low=1):
    # ψ⁽ⁿ⁾(x + 1) = ψ⁽ⁿ⁾(x) + (−1)ⁿ⁺¹n!/xⁿ⁺¹ (the polygamma-shift rule): the step is read in ψ⁽ⁿ⁾(x) itself
    return x.replace(lambda n: isinstance(n, sp.polygamma) and n.args[0].is_Integer and n.args[0] >= low,
                     lambda n: sp.expand_func(n))


def _use_simplex(lhs, rhs, assumptions):
    """Apply each assumption Σ t_i = 1 (explicit symbols) by eliminating its last symbol from both sides —
    an exact use of the assumption, so the proof can close symbolically."""
    for a in assumptions:
        if isinstance(a, sp.Eq) and isinstance(a.lhs, sp.Add) and a.rhs == 1:
            syms = [t for t in a.lhs.args if isinstance(t, sp.Symbol)]
            if len(syms) == len(a.lhs.args) and (lhs.has(syms[-1]) or rhs.has(syms[-1])):
                last = syms[-1]
                sub = {last: 1 - sp.Add(*syms[:-1])}
                lhs, rhs = lhs.xreplace(sub), rhs.xreplace(sub)
    return lhs, rhs


__all__ = ["prove_step"]
