r"""symce's notation, in one place: the symbols of the information quantities and the pieces a family
uses to declare how it prints.

Information quantities (plain text for messages and Markdown titles, LaTeX for the printer):

==============  ===============  ==============================================
quantity        text             LaTeX
==============  ===============  ==============================================
entropy         ``H(P)``         :math:`H(P)`
cross-entropy   ``H(P, Q)``      :math:`H(P, Q)` or :math:`H_{\mathrm{ce}}(P, Q)`
KL divergence   ``KL(P || Q)``   :math:`\mathbb{KL}(P \,\|\, Q)`
==============  ===============  ==============================================

A family declares its own notation in its own file (``latex_name`` and ``latex_arguments``, see
:class:`symce.core.family.Family`); the helpers here write a parameter vector, a bold vector name, and
recognise the catalog's entry names (``p1_2``: distribution 1, entry 2). They take the printer as an
argument, as SymPy's ``_latex(self, printer)`` hooks do, so this core module imports no printer.

>>> text_of("kl", ("P", "Q"))
'KL(P || Q)'
>>> latex_head("cross_entropy", ce_notation="H_ce")
'H_{\\mathrm{ce}}'
"""

from __future__ import annotations

import re
from typing import Any

import sympy as sp

__all__ = ["KINDS", "text_of", "latex_head", "latex_roles", "INDEXED_NAME", "latex_vector", "latex_bold",
           "common_name"]

#: the information quantities: kind -> (text head, LaTeX head, separator of the two roles in text, in LaTeX)
KINDS: dict[str, tuple[str, str, str, str]] = {
    "entropy": ("H", "H", ", ", ", "),
    "cross_entropy": ("H", "H", ", ", ", "),
    "kl": ("KL", r"\mathbb{KL}", " || ", r" \,\|\, "),
}
#: cross-entropy written H_ce(P, Q) (``ce_notation="H_ce"``) to tell it apart from the joint entropy
CE_LATEX = r"H_{\mathrm{ce}}"


def text_of(kind: str, roles: tuple[str, ...]) -> str:
    """The plain-text name of an information quantity: "H(P)", "H(P, Q)", "KL(P || Q)"."""
    head, _, sep, _ = KINDS[kind]
    return f"{head}({sep.join(roles)})"


def latex_head(kind: str, ce_notation: str = "H") -> str:
    """The LaTeX symbol of an information quantity (H, H_ce or \\mathbb{KL})."""
    if kind == "cross_entropy" and ce_notation == "H_ce":
        return CE_LATEX
    return KINDS[kind][1]


def latex_roles(kind: str, roles: tuple[str, ...]) -> str:
    """The LaTeX argument list of an information quantity: "(P, Q)" or "(P \\,\\|\\, Q)"."""
    return "(%s)" % KINDS[kind][3].join(roles)


# -- families -------------------------------------------------------------------------------------------
#: symbols named like the catalog's ``p1_2`` (distribution 1, entry 2) or ``L1_21`` (entry (2, 1))
INDEXED_NAME = re.compile(r"^([A-Za-z]+)(\d+)_(\d+)$")


def latex_vector(printer, v: Any, parens: bool = True, column: bool = False) -> str:
    """A parameter vector, shortened with … beyond six entries; ``column`` writes it (…)ᵀ."""
    if not isinstance(v, (list, tuple)):
        return printer._print(v)
    items = [printer._print(x) for x in v]
    if len(items) > 6:
        items = items[:2] + [r"\ldots"] + items[-1:]
    body = ", ".join(items)
    if column:
        return r"\left(%s\right)^{\mathsf{T}}" % body
    return r"\left(%s\right)" % body if parens else body


def latex_bold(printer, name: str) -> str:
    """``\\boldsymbol`` on the base only (μ₁ → \\boldsymbol{\\mu}_{1}); SymPy's bold style uses
    ``\\mathbf``, which leaves Greek letters upright and not bold."""
    tex = printer._deal_with_super_sub(name)
    m = re.match(r"^(\\[A-Za-z]+|[A-Za-z])(.*)$", tex)
    return r"\boldsymbol{%s}%s" % (m.group(1), m.group(2)) if m else r"\boldsymbol{%s}" % tex


def common_name(M) -> str | None:
    """"mu1" when every symbol entry of ``M`` is named like mu1_i / mu1_ij (the catalog's convention),
    so a family prints as N(μ₁, L₁L₁ᵀ) with entries μ_{1,i}, L_{1,ij} in the results; else None."""
    names = set()
    for e in M:
        if e == 0:
            continue
        m = INDEXED_NAME.match(e.name) if isinstance(e, sp.Symbol) else None
        if m is None:
            return None
        names.add(m.group(1) + m.group(2))
    return names.pop() if len(names) == 1 else None
