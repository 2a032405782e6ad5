r"""Derivations as plain text for the terminal (``symce derive``): the chain of equations, one numbered line a
step, each with its justification in words below it; a lemma a step uses (a moment E_P[…] = …) is its own
numbered line, never a link of the chain.

The notation settings are those of the LaTeX printer (:data:`symce.core.notation.SETTINGS`): ``kl_notation``
writes KL(P || Q), D_KL(P || Q) or D(P || Q), ``log_notation`` log or ln; expectations read E_P[…] as in
the text of the justifications.

>>> import sympy as sp, symce as sc
>>> t, z = sp.symbols("t z", real=True)
>>> print(derivation_text(sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli.from_logit(z))))
H(P, Q)
 (1)  = -E_P[X*z - log(exp(z) + 1)]
        definition: H(P, Q) = −∫ (dP/dν) log(dQ/dν) dν = −E_P[log q(X)] (ν = counting measure)
 (2)  = -z*E_P[X] + log(exp(z) + 1)
        linearity of expectation; E_P[c] = c since P is a probability measure
 (3)       lemma: E_P[X] = t
        exponential family: E[T] = ∇A(η) at η(θ)
 (4)  = -t*z + log(exp(z) + 1)
        substitute the moments (3)
for 0 < t < 1
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.str import StrPrinter

from symce.core.notation import KINDS, check_settings, text_of
from symce.printing.blocks import condition_list
from symce.printing.text import rule_words

__all__ = ["derivation_text", "expr_text"]


class _TextPrinter(StrPrinter):
    """SymPy's str with E_P[…] for an expectation (SymPy would write Expect(…))."""

    def __init__(self, settings=None, expectation: str = "P"):
        super().__init__(settings or {})
        self._expectation = expectation

    def _print_Expect(self, expr):
        return f"E_{self._expectation}[{self._print(expr.args[0])}]"


def expr_text(expr, log_notation: str = "log") -> str:
    """One expression as text (E_P[…] for expectations; ``ln`` when ``log_notation="ln"``).

    >>> x = sp.Symbol("x", positive=True)
    >>> expr_text(sp.log(x) + 1, log_notation="ln")
    'ln(x) + 1'
    """
    text = _TextPrinter().doprint(expr)
    return re.sub(r"\blog\(", "ln(", text) if log_notation == "ln" else text


def _lhs_text(lhs, kl_notation: str) -> str:
    kind, roles = getattr(lhs, "kind", None), getattr(lhs, "roles", None)
    if kind in KINDS and roles:
        return text_of(kind, tuple(roles), kl_notation)
    return str(lhs)


def _condition_text(conds, log_notation: str) -> list[str]:
    """Bounds as chains (0 < p < 1 for a positive p with p < 1), other conditions as they are."""
    out = condition_list(conds, _TextPrinter(), leq="<=")
    return [re.sub(r"\blog\(", "ln(", c) if log_notation == "ln" else c for c in out]


def derivation_text(d, *, kl_notation: str = "KL", log_notation: str = "log", ce_notation: str = "H") -> str:
    """The derivation ``d`` as numbered lines of text (see the module docstring)."""
    check_settings({"kl_notation": kl_notation, "log_notation": log_notation, "ce_notation": ce_notation})
    lines = [_lhs_text(d.lhs, kl_notation)]
    words = lambda rule: re.sub(r"\bKL\(", f"{text_of('kl', ('',), kl_notation).split('(')[0]}(", rule_words(rule))  # noqa: E731
    previous, n, lemmas = None, 0, []
    for s in d.steps:
        if isinstance(s.expr, sp.Eq):  # a lemma the next step uses: its own line, not a link of the chain
            body = f"     lemma: {expr_text(s.expr.lhs, log_notation)} = {expr_text(s.expr.rhs, log_notation)}"
        elif previous is not None and s.expr == previous:
            continue  # a rewrite that changed nothing
        else:
            previous = s.expr
            body = f"= {expr_text(s.expr, log_notation)}"
        n += 1
        lines.append(f" ({n})  {body}")
        rule = words(s.rule)
        if body.startswith("="):
            rule += f" {', '.join(lemmas)}" if lemmas else ""
            lemmas = []
        else:
            lemmas.append(f"({n})")
        lines.append(f"        {rule}")
    conds = _condition_text(getattr(d, "conditions", ()), log_notation)
    if conds:
        lines.append("for " + ", ".join(conds))
    if getattr(d, "infinite_reason", None):
        lines.append(f"+oo because {d.infinite_reason}")
    return "\n".join(lines)
