"""``Derivation`` and ``Step``: a result together with the ordered steps that justify it.

A derivation is immutable once built. Its ``result`` is a plain SymPy expression (or an immutable
matrix for gradients); ``steps`` list (expression, rule) pairs in order; ``conditions`` are the side
conditions under which the result holds (e.g. 0 < p < 1), stated rather than hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import sympy as sp


class Expect(sp.Function):
    """Unevaluated E_P[·] used only to *display* intermediate steps; the engine never evaluates it."""

    nargs = 1

    def _latex(self, printer):
        return r"\mathbb{E}_{P}\left[%s\right]" % printer._print(self.args[0])


@dataclass(frozen=True)
class Step:
    """One line of a derivation: ``lhs = expr`` justified by ``rule``."""

    expr: Any
    rule: str

    def __str__(self) -> str:
        return f"= {self.expr}    [{self.rule}]"


@dataclass(frozen=True, eq=False)
class Derivation:
    """A derived quantity. ``quantity`` names it (e.g. "cross_entropy"), ``lhs`` is its symbol-level
    name (e.g. "H(P, Q)"), ``result`` the closed form, ``method`` the route the engine took."""

    quantity: str
    lhs: str
    result: Any
    steps: tuple[Step, ...]
    method: str
    conditions: tuple = ()
    distributions: tuple = ()
    #: optional: a fast gradient for structured results (e.g. k classes derived at symbolic k)
    gradient_hook: Callable | None = field(default=None, repr=False, compare=False)
    #: why the result is +∞, when it is
    infinite_reason: str | None = None

    # -- calculus ------------------------------------------------------------------------------------
    def gradient(self, wrt: Sequence | Any) -> "Derivation":
        """The gradient of ``result`` w.r.t. the given symbols, itself a Derivation."""
        from .calculus import gradient

        return gradient(self, wrt)

    def hessian(self, wrt: Sequence) -> "Derivation":
        """The Hessian of ``result`` w.r.t. the given symbols, itself a Derivation."""
        from .calculus import hessian

        return hessian(self, wrt)

    # -- display -------------------------------------------------------------------------------------
    def __str__(self) -> str:
        lines = [f"{self.lhs}"]
        for s in self.steps:
            lines.append(f"  = {s.expr}")
            lines.append(f"      [{s.rule}]")
        if self.conditions:
            lines.append("  valid for: " + ", ".join(str(c) for c in self.conditions))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Derivation({self.lhs} = {self.result}, method={self.method!r})"

    def latex(self, **options) -> str:
        from .printing import derivation_latex

        return derivation_latex(self, **options)

    def _repr_latex_(self) -> str:
        return "$$" + self.latex() + "$$"

    def markdown(self) -> str:
        from .printing import derivation_markdown

        return derivation_markdown(self)

    @property
    def is_infinite(self) -> bool:
        return self.result == sp.oo
