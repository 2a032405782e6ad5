r"""The Multinomial's coefficient terms with logits: the entropy and cross-entropy of Multinomial(n, logits z)
carry −E[log(n!/∏ xᵢ!)], which the engine derives as rational functions of e^{zⱼ} with constant
coefficients (n = 3, k = 3: −3 log 6·(e^{z₁} + e^{z₂})(e^{z₁} + e^{z₃})(e^{z₂} + e^{z₃})/(Σ e^{z})³ + …).
e^{z} overflows beyond z = 709.78 and the quotient becomes ∞/∞ = NaN (111 of 300 points of
H(multinomial-logits-n3-k3) before this rule).

Each such term is homogeneous of degree 0 in the e^{zⱼ}, so it is a polynomial in the probabilities
sⱼ = softmax(zⱼ; z) — the rule the derivatives use (``softmax polynomial`` of
:mod:`symce.numeric.rewrite_gradients`) writes it so. That rule leaves a whole value alone (its log Σ e^{z}
belongs to the logsumexp and logit cross-entropy rules); here it gets only the terms in which the logits
occur nowhere but inside e^{z} and whose other factors are constants: the coefficient terms. The rest (the
n·logit_xent part) is left to the later rules.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions import fsum, softmax, wprod
from symce.numeric.rewrite_gradients import softmax_polynomial
from symce.numeric.rewrite_terms import has_exp


def _exp_only(t) -> bool:
    """t a product of constants and a rational function of exponentials: its symbols occur only in e^{…}."""
    if not t.has(sp.exp) or any(isinstance(n, sp.log) and not n.is_number for n in sp.preorder_traversal(t)):
        return False
    masked = t.replace(lambda n: isinstance(n, sp.exp), lambda n: sp.Dummy())
    return not (masked.free_symbols & t.free_symbols)


def multinomial_coefficient_terms(e):
    """Σ (constant·rational function of e^{z}) terms of a value → polynomials in softmax(z), the other terms
    unchanged."""
    if not isinstance(e, sp.Add) or not has_exp(e):
        return e
    picked = [t for t in e.args if _exp_only(t)]
    if not picked or len(picked) == len(e.args):
        return e  # all of it exp-only: a derivative's shape, the softmax polynomial rule's own
    part = sp.Add(*picked)
    new = softmax_polynomial(part)
    if new == part:
        return e
    return sp.Add(*[t for t in e.args if t not in picked], _grouped(new))


def _grouped(poly):
    """The polynomial's monomials grouped by their numeric coefficient, each coefficient's logarithms combined
    (3(log 2 − log 6) = −3 log 3, one rounded constant) and its monomials summed compensated: c·fsum(m₁, m₂, …)
    — seven products rounded by their coefficient and added one by one cost CE(multinomial-logits-n3-k3 ‖
    multinomial-n3-k3) 5–6 ULP where the coefficient part cancels the cross-entropy part (1.70 from 2.52 − 0.82)."""
    groups: dict = {}
    for t in sp.Add.make_args(poly):
        c, m = t.as_independent(softmax, as_Add=False)
        if not c.is_number or not m.has(softmax) or m.has(wprod):
            return poly
        groups.setdefault(sp.logcombine(c, force=True), []).append(m)
    return sp.Add(*[c * (fsum(*ms) if len(ms) > 1 else ms[0]) for c, ms in groups.items()])


__all__ = ["multinomial_coefficient_terms"]
