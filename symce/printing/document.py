r"""Standalone LaTeX documents of derivations and proofs, and the table of closed forms of the catalog.

``symce.document([...]).write("kl.tex")`` writes an ``article`` that compiles with plain pdflatex and
standard packages only (amsmath, amssymb, booktabs, longtable, array, geometry, lmodern):

* a derivation is an ``align*`` block, one step a line, each line tagged ``(n)`` at the right margin
  with the justification written out below the block (long rules would not fit beside the formula on
  a page; in Jupyter, ``Derivation.latex()`` puts them beside it instead);
* long sums are broken between terms to fit the text width; huge results are summarised;
* a proof shows the claim, both sides, the chain of rewrites, the status and any side conditions;
* :func:`~symce.printing.catalog.catalog_table` derives the whole catalog (entropy of every example, H(P, Q) and KL(P‖Q) of
  every pair) and lays the closed forms out as a ``longtable``.

>>> import sympy as sp, symce as sc
>>> t, z = sp.symbols("t z", real=True)
>>> doc = sc.document([sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli.from_logit(z))], title="BCE")
>>> tex = doc.tex()
>>> tex.startswith(r"\documentclass") and r"\begin{align*}" in tex and tex.rstrip().endswith(r"\end{document}")
True
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import sympy as sp

from symce.core.family import Family
from symce.core.procedure import Procedure
from symce.engine.derivation import Derivation
from symce.engine.proof import Proof
from symce.errors import ArgumentTypeError
from symce.printing.blocks import (EquationNumbers, approx_latex, conditions_latex, derivation_lines,
                                   derivation_symbols, proof_lines, quantity_latex, rule_text, symbol_table)
from symce.printing.catalog import catalog_table
from symce.printing.latex_printer import printer
from symce.printing.layout import MAX_OPS, TEXT_WIDTH_EM
from symce.printing.pdf import CompileResult, LatexError, compile_pdf
from symce.printing.procedure import procedure_lines
from symce.printing.printer import latex
from symce.printing.text import text_to_latex

# compile_pdf and LatexError belong to pdf.py; they are named here too because a document is what gets compiled
__all__ = ["Document", "Section", "document", "render_item", "compile_pdf", "LatexError", "CompileResult"]

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage[a4paper,margin=2.2cm]{geometry}
\usepackage{amsmath,amssymb,mathtools}
\usepackage{booktabs,longtable,array}
\allowdisplaybreaks
\setlength{\LTpre}{4pt}
\setlength{\LTpost}{4pt}
"""

@dataclass
class Section:
    """A titled group of items (derivations, proofs, families, expressions, text)."""

    title: str
    items: list = field(default_factory=list)
    intro: str = ""


@dataclass
class Document:
    """A standalone LaTeX article of derivations, proofs and tables; see :func:`document`."""

    items: list = field(default_factory=list)
    title: str = "Derivations"
    author: str = ""
    settings: dict = field(default_factory=dict)

    def add(self, *items) -> "Document":
        """Append items (or a :class:`Section`); returns the document, so calls chain."""
        self.items.extend(items)
        return self

    def add_catalog(self, title: str = "Closed forms of the catalog") -> "Document":
        """Append the table of closed forms of the whole catalog (derives it)."""
        self.items.append(_Raw(r"\section*{%s}" % text_to_latex(title) + "\n" + catalog_table(**self.settings)))
        return self

    # -- output ---------------------------------------------------------------------------------------
    def body(self) -> str:
        """The LaTeX between ``\\begin{document}`` and ``\\end{document}``."""
        numbers = EquationNumbers()  # one equation counter for the whole document: no tag repeats
        return "\n\n".join(render_item(it, self.settings, numbers) for it in self.items)

    def tex(self) -> str:
        """The whole document as a string."""
        head = PREAMBLE + "\\title{%s}\n\\author{%s}\n\\date{}\n" % (text_to_latex(self.title), text_to_latex(self.author))
        return head + "\\begin{document}\n\\maketitle\n\n" + self.body() + "\n\n\\end{document}\n"

    def write(self, path: str | os.PathLike) -> Path:
        """Write the ``.tex`` file (creating its folder); returns its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.tex(), encoding="utf-8")
        return path

    def pdf(self, path: str | os.PathLike) -> "CompileResult":
        """Write ``path`` (a ``.tex`` file) and compile it to the ``.pdf`` beside it with pdflatex.
        Raises :class:`LatexError` when pdflatex is missing or reports an error."""
        return compile_pdf(self.write(path))

    def _repr_latex_(self) -> str:  # Jupyter: the body only (MathJax cannot typeset a preamble)
        return self.body()


def document(items: Iterable = (), *, title: str = "Derivations", author: str = "", catalog: bool = False,
             **settings) -> Document:
    """A :class:`Document` of ``items``: Derivations, Proofs, Families, SymPy expressions, strings
    (paragraphs of plain text; Unicode mathematics is converted) and :class:`Section` objects.
    ``catalog=True`` appends the table of closed forms. ``settings`` go to the printer
    (``ce_notation="H_ce"``, ``log_notation="ln"``)."""
    doc = Document(list(items), title=title, author=author, settings=settings)
    if catalog:
        doc.add_catalog()
    return doc


class _Raw(str):
    """LaTeX inserted as is."""


# -- rendering items ---------------------------------------------------------------------------------
def render_item(item, settings: dict, numbers: EquationNumbers | None = None) -> str:
    """LaTeX for one item of a document; ``numbers`` continues the document's equation numbering."""
    numbers = EquationNumbers() if numbers is None else numbers
    if isinstance(item, _Raw):
        return str(item)
    if isinstance(item, Section):
        parts = [r"\section{%s}" % text_to_latex(item.title)]
        if item.intro:
            parts.append(_paragraphs(item.intro))
        parts += [render_item(x, settings, numbers) for x in item.items]
        return "\n\n".join(parts)
    if isinstance(item, Derivation):
        return _derivation_block(item, settings, numbers)
    if isinstance(item, Proof):
        return _proof_block(item, settings, numbers)
    if isinstance(item, Procedure):
        return _procedure_block(item, settings)
    if isinstance(item, Family):
        return r"\[ %s \]" % latex(item, **settings)
    if isinstance(item, str):
        return _paragraphs(item)
    if isinstance(item, (sp.Basic, sp.MatrixBase)):
        return r"\[ %s \]" % latex(item, **settings)
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        return render_item(Section(item[0], list(item[1])), settings, numbers)
    raise ArgumentTypeError(f"document: cannot render {type(item).__name__}; give Derivations, Proofs, procedures "
                    "(MLE, Fisher information), Families, SymPy expressions, strings or Sections")


def _paragraphs(s: str) -> str:
    """Text of one or more paragraphs (separated by blank lines), each escaped by text_to_latex."""
    return "\n\n".join(text_to_latex(par) for par in re.split(r"\n[ \t]*\n", s))


def _distributions_sentence(dists, settings) -> str:
    if not dists:
        return ""
    names = ["P", "Q"] if len(dists) == 2 else ["P"]
    parts = [r"$%s = %s$" % (n, latex(d, **settings)) for n, d in zip(names, dists)]
    return "For " + " and ".join(parts) + ":"


def _breakable_text(s: str) -> str:
    """Text for a paragraph, with break opportunities inside long code-like tokens such as
    ``(mu1 - mu2).T*(Sigma2**(-1))`` (TeX breaks only at spaces otherwise; pdflatex only)."""
    parts = re.split(r"(\$[^$]*\$)", text_to_latex(s))
    return "".join(p if p.startswith("$") else re.sub(r"([*/.,)])(?=\S)", r"\1\\allowbreak{}", p) for p in parts)


def _notes(numbering, settings: dict | None = None) -> str:
    if not numbering:
        return ""
    items = "\n".join(r"\item[(%d)] %s" % (n, _breakable_text(rule_text(rule, settings))) for rule, n in numbering.items())
    return "{\\small\\raggedright\n\\begin{itemize}\\setlength{\\itemsep}{0pt}\n%s\n\\end{itemize}\\par}" % items


_KIND = {"cross_entropy": "Cross-entropy", "entropy": "Entropy", "kl": "KL divergence", "gradient": "Gradient",
         "hessian": "Hessian"}


def _block_numbers(numbers: EquationNumbers | None) -> EquationNumbers:
    """This block's numbers, continuing the document's counter (its notes are the block's own)."""
    return EquationNumbers(1 if numbers is None else numbers.next)


def _derivation_block(d, settings, numbers: EquationNumbers | None = None) -> str:
    numbering = _block_numbers(numbers)
    rows = derivation_lines(d, justification="numbered", width=TEXT_WIDTH_EM, max_ops=MAX_OPS,
                            numbering=numbering, **settings)
    syms = derivation_symbols(d) if isinstance(d.lhs, str) else None
    kind = _KIND.get(getattr(d, "quantity", ""), "")
    out = [r"\subsection*{%s $%s$}" % (kind, quantity_latex(d.lhs, syms, **settings))]
    intro = _distributions_sentence(getattr(d, "distributions", ()), settings)
    if intro:
        out.append(r"\noindent " + intro)
    out.append("\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}")
    out.append(_notes(numbering, settings))
    if numbers is not None:
        numbers.next = numbering.next
    conds = conditions_latex(getattr(d, "conditions", ()), **settings)
    tail = []
    if conds:
        tail.append(r"This holds for $%s$." % conds)
    if getattr(d, "infinite_reason", None):
        tail.append("The result is $+\\infty$ because " + text_to_latex(d.infinite_reason) + ".")
    if tail:
        out.append(r"\noindent " + " ".join(tail))
    return "\n".join(x for x in out if x)


def _procedure_block(proc, settings) -> str:
    """A procedure (MLE, Fisher information) as a titled block of numbered steps, never a chain of "="."""
    rows = procedure_lines(proc, width=TEXT_WIDTH_EM, max_ops=MAX_OPS, **settings)
    out = [r"\subsection*{%s $%s$}" % (text_to_latex(proc.method[:1].upper() + proc.method[1:]), quantity_latex(proc.lhs, **settings))]
    intro = _distributions_sentence(getattr(proc, "distributions", ()), settings)
    if intro:
        out.append(r"\noindent " + intro)
    out.append("\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}")
    return "\n".join(out)


def _proof_block(pf, settings, numbers: EquationNumbers | None = None) -> str:
    numbering = _block_numbers(numbers)
    rows = proof_lines(pf, justification="numbered", width=TEXT_WIDTH_EM, max_ops=MAX_OPS,
                       numbering=numbering, header=False, **settings)
    p = printer(**settings)
    syms = symbol_table(pf.lhs, pf.rhs)
    claim = quantity_latex(pf.name, syms, **settings) if pf.name else r"\text{lhs} = \text{rhs}"
    out = [r"\subsection*{Claim: $%s$ --- %s}" % (claim, text_to_latex(pf.status))]
    out.append("\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}")
    out.append(_notes(numbering, settings))
    if numbers is not None:
        numbers.next = numbering.next
    tail = []
    conds = conditions_latex(pf.assumptions, **settings)
    if conds:
        tail.append(r"Assuming $%s$." % conds)
    if pf.side_conditions:
        tail.append(r"The rewrites need the side conditions $%s$." % conditions_latex(pf.side_conditions, **settings))
    if pf.status == "proved":
        tail.append("A chain of exact rewrites took lhs $-$ rhs to $0$.")
    elif pf.status == "refuted" and pf.counterexample:
        pt = pf.counterexample.get("point", {})
        vals = ",\\ ".join(r"%s = %s" % (quantity_latex(str(k), syms, **settings), p._print(v)) for k, v in pt.items())
        tail.append(r"Counterexample: at $%s$ the left side is $%s$ and the right side $%s$."
                    % (vals, approx_latex(pf.counterexample.get("lhs"), p), approx_latex(pf.counterexample.get("rhs"), p)))
    else:
        tail.append(r"No symbolic argument: both sides agree to %d digits at %d random points." % (pf.digits, pf.points))
    out.append(r"\noindent " + " ".join(tail))
    return "\n".join(x for x in out if x)
