r"""symce's notation, in one place: the symbols of the information quantities and the pieces a family
uses to declare how it prints.

Information quantities (plain text for messages and Markdown titles, LaTeX for the printer):

==============  ===============  ==============================================
quantity        text             LaTeX
==============  ===============  ==============================================
entropy         ``H(P)``         :math:`H(P)`
cross-entropy   ``H(P, Q)``      :math:`H(P, Q)` or :math:`H_{\mathrm{ce}}(P, Q)`
KL divergence   ``KL(P || Q)``   :math:`\mathbb{KL}(P \,\|\, Q)`, :math:`D_{\mathrm{KL}}(P \,\|\, Q)` or
                                 :math:`D(P \,\|\, Q)`
expectation     ``E_P[…]``       :math:`\mathbb{E}_{P}[\,\cdot\,]`
==============  ===============  ==============================================

The settings papers choose between are checked here, once, for every output (LaTeX, Markdown and the
command line): :data:`SETTINGS` lists each with its allowed values, and :func:`check_settings` raises
:class:`NotationError` naming the setting, the value and what is allowed.

A family declares its own notation in its own file (``latex_name`` and ``latex_arguments``, see
:class:`symce.core.family.Family`); the helpers here write a parameter vector, a bold vector name, and
recognise the catalog's entry names (``p1_2``: distribution 1, entry 2). They take the printer as an
argument, as SymPy's ``_latex(self, printer)`` hooks do, so this core module imports no printer.

>>> text_of("kl", ("P", "Q"))
'KL(P || Q)'
>>> text_of("kl", ("P", "Q"), kl_notation="D_KL")
'D_KL(P || Q)'
>>> latex_head("cross_entropy", ce_notation="H_ce")
'H_{\\mathrm{ce}}'
>>> latex_head("kl", kl_notation="D")
'D'
"""

from __future__ import annotations

import re
from typing import Any

import sympy as sp

from symce.errors import SymceError

__all__ = ["NotationError", "KINDS", "SETTINGS", "KL_NOTATIONS", "check_settings", "text_of", "latex_head", "latex_roles", "INDEXED_NAME", "latex_vector", "latex_bold",
           "common_name"]

#: the information quantities: kind -> (text head, LaTeX head, separator of the two roles in text, in LaTeX)
KINDS: dict[str, tuple[str, str, str, str]] = {
    "entropy": ("H", "H", ", ", ", "),
    "cross_entropy": ("H", "H", ", ", ", "),
    "kl": ("KL", r"\mathbb{KL}", " || ", r" \,\|\, "),
}
#: cross-entropy written H_ce(P, Q) (``ce_notation="H_ce"``) to tell it apart from the joint entropy
CE_LATEX = r"H_{\mathrm{ce}}"


class NotationError(SymceError, ValueError):
    """A notation setting (``kl_notation``, ``ce_notation``, ``log_notation``) with a value not allowed."""


#: KL written as papers write it: setting value -> (text head, LaTeX head)
KL_NOTATIONS: dict[str, tuple[str, str]] = {
    "KL": ("KL", r"\mathbb{KL}"),
    "D_KL": ("D_KL", r"D_{\mathrm{KL}}"),
    "D": ("D", "D"),
}
#: the notation settings every output accepts, with their allowed values (the first is the default)
SETTINGS: dict[str, tuple[str, ...]] = {
    "ce_notation": ("H", "H_ce"),
    "kl_notation": tuple(KL_NOTATIONS),
    "log_notation": ("log", "ln"),
}


def check_settings(settings: dict) -> None:
    """Raise :class:`NotationError` for a notation setting with a value not allowed.

    >>> check_settings({"kl_notation": "D"})
    >>> check_settings({"kl_notation": "Kullback"})
    Traceback (most recent call last):
    ...
    symce.core.notation.NotationError: kl_notation must be one of 'KL', 'D_KL', 'D'; got 'Kullback'
    """
    for name, allowed in SETTINGS.items():
        if name in settings and settings[name] not in allowed:
            raise NotationError(f"{name} must be one of {', '.join(map(repr, allowed))}; "
                                        f"got {settings[name]!r}")


def text_of(kind: str, roles: tuple[str, ...], kl_notation: str = "KL") -> str:
    """The plain-text name of an information quantity: "H(P)", "H(P, Q)", "KL(P || Q)" (or "D_KL(…)")."""
    head, _, sep, _ = KINDS[kind]
    if kind == "kl":
        head = KL_NOTATIONS[kl_notation][0]
    return f"{head}({sep.join(roles)})"


def latex_head(kind: str, ce_notation: str = "H", kl_notation: str = "KL") -> str:
    """The LaTeX symbol of an information quantity (H, H_ce, \\mathbb{KL}, D_{\\mathrm{KL}} or D)."""
    if kind == "cross_entropy" and ce_notation == "H_ce":
        return CE_LATEX
    if kind == "kl":
        return KL_NOTATIONS[kl_notation][1]
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
