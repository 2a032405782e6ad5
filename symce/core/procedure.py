"""``Procedure``: a result together with the numbered actions that produced it.

A :class:`~symce.engine.derivation.Derivation` is a chain of equalities lhs = e₁ = e₂ = … = result: every
step rewrites the *same* quantity. Some results are reached by acting instead — derive an objective J,
differentiate it, set θ′ = θ, solve ∇J = 0 — and the intermediate results are *different* quantities (the
KL divergence is not the Fisher information it is differentiated into; the gradient of J is not θ̂).
Chained with "=" they would state false equalities, so a procedure is a numbered list: each step an action
and what it produced. A step may name its result (``J(θ)``, ``∇²_θ′ KL``) so that the one equality shown,
name = value, is true. The final result is stated once, under the procedure's own name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from symce.core import display


@dataclass(frozen=True)
class ProcedureStep:
    """One numbered step: the ``action`` taken and the ``result`` it produced (``None``: nothing to
    show); ``name`` says what that result is, when it has a name."""

    action: str
    result: Any = None
    #: text ("J(θ)") or a printable quantity/expression; shown as ``name = result``
    name: Any = None

    @property
    def rule(self) -> str:
        """The action, under the name a derivation step gives its justification (code that lists the
        reasons of either kind of step reads ``rule``)."""
        return self.action

    def __str__(self) -> str:
        if self.result is None:
            return self.action
        shown = f"{self.name} = {self.result}" if self.name is not None else f"{self.result}"
        return f"{self.action}:  {shown}"


@dataclass(frozen=True, eq=False)
class Procedure:
    """A result reached by numbered actions. ``quantity`` names the kind of result (e.g.
    "fisher_information"), ``lhs`` its symbol-level name (e.g. "I(p)"), ``result`` the value (an
    expression, a matrix, or a mapping such as {θ: θ̂}), ``method`` the route taken, ``conditions`` the
    side conditions under which it holds."""

    quantity: str
    lhs: Any      # text ("I(p)") or a printable quantity
    result: Any
    steps: tuple[ProcedureStep, ...]
    method: str
    conditions: tuple = ()
    distributions: tuple = ()

    # -- display -------------------------------------------------------------------------------------
    def __str__(self) -> str:
        lines = [f"{self.lhs} — {self.method}"]
        for k, s in enumerate(self.steps, 1):
            lines.append(f"  {k}. {s}")
        lines.append(f"  result: {self.lhs} = {self.result}")
        if self.conditions:
            lines.append("  valid for: " + ", ".join(str(c) for c in self.conditions))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.lhs} = {self.result}, method={self.method!r})"

    def latex(self, **options) -> str:
        return display.render("latex", self, **options)

    def markdown(self, **options) -> str:
        return display.render("markdown", self, **options)

    def _latex(self, printer) -> str:
        # SymPy-style printers (symce.latex among them) ask an object they do not know for ``_latex``;
        # the printer comes along, so its settings (log_notation, ce_notation) apply to the steps too
        return display.render("latex", self, printer=printer)

    def _repr_markdown_(self) -> str:
        # a numbered list is text with formulas in it: Jupyter shows it as Markdown, not as one formula
        return self.markdown()
