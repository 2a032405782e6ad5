r"""The table of closed forms of the catalog: the entropy of every example, H(P, Q) and KL(P‖Q) of every pair.

:func:`catalog_entries` derives them (a failing derivation is recorded, not raised);
:func:`catalog_table` lays them out as a LaTeX ``longtable`` and :func:`catalog_markdown` as MyST
list-tables for the documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import sympy as sp

from symce.core.quantity import Quantity
from symce.engine.information import cross_entropy, entropy, kl
from symce.errors import SymceError
from symce.families import EXAMPLES, pairs as catalog_pairs
from symce.printing.blocks import quantity_latex
from symce.printing.layout import MAX_OPS, latex_width
from symce.printing.latex_printer import printer
from symce.printing.printer import latex
from symce.printing.text import text_to_latex

__all__ = ["CatalogEntry", "catalog_entries", "catalog_table", "catalog_markdown"]


@dataclass
class CatalogEntry:
    """One closed form of the catalog: ``section`` is an example label or "label ‖ label"."""

    section: str
    P: Any
    Q: Any
    quantity: Quantity
    derivation: Any = None
    error: str = ""


def catalog_entries(examples: Sequence | None = None, pairs: Sequence | None = None) -> list[CatalogEntry]:
    """Derive the entropy of every catalog example and H(P, Q), KL(P‖Q) for every pair (defaults: the
    whole catalog of :mod:`symce.families`). A failing derivation is recorded, not raised."""
    examples = list(EXAMPLES if examples is None else examples)
    pairs = list(catalog_pairs() if pairs is None else pairs)
    out = []
    for ex in examples:
        P = ex.build(1)
        out.append(_entry(ex.label, P, None, Quantity.entropy(), lambda: entropy(P)))
    for a, b in pairs:
        P, Q = a.build(1), b.build(2)
        title = f"{a.label} ‖ {b.label}"
        out.append(_entry(title, P, Q, Quantity.cross_entropy(), lambda: cross_entropy(P, Q)))
        out.append(_entry(title, P, Q, Quantity.kl(), lambda: kl(P, Q)))
    return out


def _entry(section, P, Q, quantity, run) -> CatalogEntry:
    try:
        return CatalogEntry(section, P, Q, quantity, run())
    except SymceError as e:  # shown in the table: a catalog table must not hide a failing pair
        return CatalogEntry(section, P, Q, quantity, None, f"{type(e).__name__}: {e}")


#: width of the closed-form column of the catalog table, in em (0.78 of the text width, less padding)
CELL_WIDTH_EM = 32.0


def _closed_form(e: CatalogEntry, settings, max_ops=MAX_OPS, width=CELL_WIDTH_EM) -> str:
    if e.derivation is None:
        return r"\text{%s}" % text_to_latex("error: " + e.error[:120])
    r = e.derivation.result
    ops = sp.count_ops(r) if isinstance(r, sp.Basic) else 0
    if ops > max_ops:
        return r"\text{[%d operations, not shown]}" % ops
    return latex(_breakable(r, width, settings), **settings)


def _breakable(expr, width: float, settings):
    """The same value written so that TeX can break it: inline math breaks only between the terms of a
    top-level sum, so a term wider than the cell that is a fraction (a + b + …)/d is written as
    a/d + b/d + … (an exact rewrite for display; the derivation's result is untouched)."""
    terms = sp.Add.make_args(expr)
    p = printer(**settings)
    out, changed = [], False
    for t in terms:
        num, den = sp.fraction(t)
        if latex_width(p._print(t)) > width and isinstance(num, sp.Add) and den != 1:
            out.extend(a / den for a in num.args)
            changed = True
        else:
            out.append(t)
    return sp.Add(*out) if changed else expr


def catalog_table(entries: Sequence[CatalogEntry] | None = None, **settings) -> str:
    r"""A ``longtable`` (booktabs rules) of the closed forms of the catalog, grouped by example/pair."""
    entries = catalog_entries() if entries is None else entries
    rows, last = [], None
    for e in entries:
        if e.section != last:
            if last is not None:
                rows.append(r"\midrule")
            dists = r"$P = %s$" % latex(e.P, **settings)
            if e.Q is not None:
                dists += r", $Q = %s$" % latex(e.Q, **settings)
            # \\* : no page break between a group's heading and its first row
            rows.append(r"\multicolumn{2}{@{}p{\linewidth}@{}}{\raggedright\textbf{%s}: %s} \\*[2pt]"
                        % (text_to_latex(e.section), dists))
            last = e.section
        rows.append(r"$%s$ & $\displaystyle %s$ \\[4pt]" % (quantity_latex(e.quantity, **settings),
                                                           _closed_form(e, settings)))
    head = (r"\begin{longtable}{@{}l>{\raggedright\arraybackslash}p{0.78\linewidth}@{}}" "\n"
            r"\toprule quantity & closed form \\ \midrule \endhead" "\n"
            r"\bottomrule \endfoot" "\n")
    return head + "\n".join(rows) + "\n\\end{longtable}"


def catalog_markdown(entries: Sequence[CatalogEntry] | None = None, **settings) -> str:
    """The catalog as MyST Markdown (a ``list-table`` per example/pair; math in ``$…$``), for the docs."""
    entries = catalog_entries() if entries is None else entries
    out, groups = [], {}
    for e in entries:
        groups.setdefault(e.section, []).append(e)
    for section, es in groups.items():
        e0 = es[0]
        dists = f"$P = {latex(e0.P, **settings)}$" + (f", $Q = {latex(e0.Q, **settings)}$" if e0.Q is not None else "")
        out += [f"### {section}", "", dists, "", "```{list-table}", ":header-rows: 1", ":widths: 20 80", "",
                "* - quantity", "  - closed form"]
        for e in es:
            out += [f"* - ${quantity_latex(e.quantity, **settings)}$", f"  - ${_closed_form(e, settings)}$"]
        out += ["```", ""]
    return "\n".join(out)

