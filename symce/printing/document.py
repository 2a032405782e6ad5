r"""Standalone LaTeX documents of derivations and proofs, and the table of closed forms of the catalog.

``symce.document([...]).write("kl.tex")`` writes an ``article`` that compiles with plain pdflatex and
standard packages only (amsmath, amssymb, booktabs, longtable, array, geometry, lmodern):

* a derivation is an ``align*`` block, one step a line, each line tagged ``(n)`` at the right margin
  with the justification written out below the block (long rules would not fit beside the formula on
  a page; in Jupyter, ``Derivation.latex()`` puts them beside it instead);
* long sums are broken between terms to fit the text width; huge results are summarised;
* a proof shows the claim, both sides, the chain of rewrites, the status and any side conditions;
* :func:`catalog_table` derives the whole catalog (entropy of every example, H(P, Q) and KL(P‖Q) of
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
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import sympy as sp

from symce.errors import SymceError
from symce.printing.printer import (_approx, _derivation_symbols, _symbol_table, conditions_latex, derivation_lines,
                       latex, latex_width, printer, proof_lines, quantity_latex, text_to_latex)

__all__ = ["Document", "Section", "document", "catalog_entries", "catalog_table", "catalog_markdown",
           "pdflatex", "compile_pdf", "LatexError", "CompileResult", "write_report_tex"]

#: usable width of the page in em at 11pt (a4paper, 2.2 cm margins: 166 mm ≈ 43 em), less the tag
TEXT_WIDTH_EM = 36.0
#: results with more operations than this are summarised in documents instead of printed in full
MAX_OPS = 400

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

INSTALL_HINT = ("pdflatex was not found; install TeX Live to compile LaTeX documents, e.g. on Debian/Ubuntu "
                "`apt-get install texlive-latex-base texlive-latex-recommended texlive-latex-extra`, "
                "on macOS `brew install --cask mactex-no-gui`")


class LatexError(SymceError, RuntimeError):
    """pdflatex is missing, or reported an error compiling a generated document (its log is attached)."""

    def __init__(self, message: str, log: str = ""):
        super().__init__(message)
        self.log = log


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
        return "\n\n".join(_render(it, self.settings) for it in self.items)

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
def _render(item, settings: dict) -> str:
    from symce.engine.derivation import Derivation
    from symce.core.family import Family
    from symce.engine.proof import Proof

    if isinstance(item, _Raw):
        return str(item)
    if isinstance(item, Section):
        parts = [r"\section{%s}" % text_to_latex(item.title)]
        if item.intro:
            parts.append(text_to_latex(item.intro))
        parts += [_render(x, settings) for x in item.items]
        return "\n\n".join(parts)
    if isinstance(item, Derivation):
        return _derivation_block(item, settings)
    if isinstance(item, Proof):
        return _proof_block(item, settings)
    if isinstance(item, Family):
        return r"\[ %s \]" % latex(item, **settings)
    if isinstance(item, str):
        return text_to_latex(item)
    if isinstance(item, (sp.Basic, sp.MatrixBase)):
        return r"\[ %s \]" % latex(item, **settings)
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        return _render(Section(item[0], list(item[1])), settings)
    raise TypeError(f"document: cannot render {type(item).__name__}; give Derivations, Proofs, Families, "
                    "SymPy expressions, strings or Sections")


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


def _notes(numbering: dict) -> str:
    if not numbering:
        return ""
    items = "\n".join(r"\item[(%d)] %s" % (n, _breakable_text(rule)) for rule, n in numbering.items())
    return "{\\small\\raggedright\n\\begin{itemize}\\setlength{\\itemsep}{0pt}\n%s\n\\end{itemize}\\par}" % items


_KIND = {"cross_entropy": "Cross-entropy", "entropy": "Entropy", "kl": "KL divergence", "gradient": "Gradient",
         "hessian": "Hessian"}


def _derivation_block(d, settings) -> str:
    numbering: dict = {}
    rows = derivation_lines(d, justification="numbered", width=TEXT_WIDTH_EM, max_ops=MAX_OPS,
                            numbering=numbering, **settings)
    syms = _derivation_symbols(d)
    kind = _KIND.get(getattr(d, "quantity", ""), "")
    out = [r"\subsection*{%s $%s$}" % (kind, quantity_latex(d.lhs, syms, **settings))]
    intro = _distributions_sentence(getattr(d, "distributions", ()), settings)
    if intro:
        out.append(r"\noindent " + intro)
    out.append("\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}")
    out.append(_notes(numbering))
    conds = conditions_latex(getattr(d, "conditions", ()), **settings)
    tail = []
    if conds:
        tail.append(r"Valid for $%s$." % conds)
    if getattr(d, "infinite_reason", None):
        tail.append("The result is $+\\infty$ because " + text_to_latex(d.infinite_reason) + ".")
    if tail:
        out.append(r"\noindent " + " ".join(tail))
    return "\n".join(x for x in out if x)


def _proof_block(pf, settings) -> str:
    numbering: dict = {}
    rows = proof_lines(pf, justification="numbered", width=TEXT_WIDTH_EM, max_ops=MAX_OPS,
                       numbering=numbering, header=False, **settings)
    p = printer(**settings)
    syms = _symbol_table(pf.lhs, pf.rhs)
    claim = quantity_latex(pf.name, syms, **settings) if pf.name else r"\text{lhs} = \text{rhs}"
    out = [r"\subsection*{Claim: $%s$ --- %s}" % (claim, text_to_latex(pf.status))]
    out.append("\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}")
    out.append(_notes(numbering))
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
                    % (vals, _approx(pf.counterexample.get("lhs"), p), _approx(pf.counterexample.get("rhs"), p)))
    else:
        tail.append(r"No symbolic argument: both sides agree to %d digits at %d random points." % (pf.digits, pf.points))
    out.append(r"\noindent " + " ".join(tail))
    return "\n".join(x for x in out if x)


# -- the catalog -------------------------------------------------------------------------------------
@dataclass
class CatalogEntry:
    """One closed form of the catalog: ``section`` is an example label or "label ‖ label"."""

    section: str
    P: Any
    Q: Any
    quantity: str
    derivation: Any = None
    error: str = ""


def catalog_entries(examples: Sequence | None = None, pairs: Sequence | None = None) -> list[CatalogEntry]:
    """Derive the entropy of every catalog example and H(P, Q), KL(P‖Q) for every pair (defaults: the
    whole catalog of :mod:`symce.families`). A failing derivation is recorded, not raised."""
    from symce import families
    from symce.engine.information import cross_entropy, entropy, kl

    examples = list(families.EXAMPLES if examples is None else examples)
    pairs = list(families.pairs() if pairs is None else pairs)
    out = []
    for ex in examples:
        P = ex.build(1)
        out.append(_entry(ex.label, P, None, "H(P)", lambda: entropy(P)))
    for a, b in pairs:
        P, Q = a.build(1), b.build(2)
        title = f"{a.label} ‖ {b.label}"
        out.append(_entry(title, P, Q, "H(P, Q)", lambda: cross_entropy(P, Q)))
        out.append(_entry(title, P, Q, "KL(P || Q)", lambda: kl(P, Q)))
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


# -- pdflatex ------------------------------------------------------------------------------------------
@dataclass
class CompileResult:
    """A compiled document: the pdf, the log, and the overfull boxes pdflatex reported (in pt)."""

    pdf: Path
    log: str
    overfull: list[tuple[float, str]]

    def worst_overfull(self) -> float:
        return max((w for w, _ in self.overfull), default=0.0)


def pdflatex() -> str | None:
    """The path of pdflatex, or None when it is not installed."""
    return shutil.which("pdflatex")


_OVERFULL = re.compile(r"^Overfull \\[hv]box \((\d+(?:\.\d+)?)pt too (?:wide|high)\)(.*)$", re.M)
_ERROR = re.compile(r"^! (.*)$", re.M)


def compile_pdf(tex_path: str | os.PathLike, runs: int = 1, timeout: float = 120.0) -> CompileResult:
    """Compile ``tex_path`` with pdflatex (non-interactive, in a temporary folder; the pdf is copied
    beside the .tex). Raises :class:`LatexError` with the log's first error when pdflatex fails."""
    exe = pdflatex()
    if exe is None:
        raise LatexError(INSTALL_HINT)
    tex_path = Path(tex_path).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        log = ""
        for _ in range(runs):
            proc = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
                                   "-output-directory", tmp, str(tex_path)],
                                  cwd=tmp, capture_output=True, timeout=timeout)
            log_file = Path(tmp) / (tex_path.stem + ".log")
            log = log_file.read_text(encoding="latin-1") if log_file.exists() else proc.stdout.decode("latin-1")
            errors = _ERROR.findall(log) + re.findall(r"^[^\n]*:\d+: (.*)$", log, re.M)
            if proc.returncode != 0 or errors:
                raise LatexError(f"pdflatex failed on {tex_path.name}: {errors[0] if errors else 'exit ' + str(proc.returncode)}", log)
        pdf = tex_path.with_suffix(".pdf")
        shutil.copyfile(Path(tmp) / (tex_path.stem + ".pdf"), pdf)
    overfull = [(float(w), where.strip()) for w, where in _OVERFULL.findall(log)]
    return CompileResult(pdf, log, overfull)


# -- report.tex ----------------------------------------------------------------------------------------
def write_report_tex(derivations_and_proofs, out_dir: str | os.PathLike, *, title: str = "symce catalog report",
                     compile: bool | None = None) -> Path:
    """Write ``out_dir/report.tex`` and, when pdflatex is installed (or ``compile=True``), ``report.pdf``.

    ``derivations_and_proofs`` is either the :class:`symce.app.report.Report` of ``symce report`` (its
    sections become sections of the document, each item a derivation or a proof; failures and skipped
    items are listed as text) or any iterable of items accepted by :func:`document` (Derivations,
    Proofs, ``(title, [items])`` pairs, Sections). Returns the path of report.tex. A LaTeX error raises
    :class:`LatexError`, with report.tex left in place for inspection.
    """
    items = _report_items(derivations_and_proofs) if hasattr(derivations_and_proofs, "sections") \
        else list(derivations_and_proofs)
    doc = Document(items, title=title)
    tex = doc.write(Path(out_dir) / "report.tex")
    if compile or (compile is None and pdflatex() is not None):
        compile_pdf(tex)
    return tex


def _report_items(report) -> list:
    sections = []
    summary = getattr(report, "seconds", None)
    if summary is not None:
        n = len(getattr(report, "items", []))
        fails = len(getattr(report, "failures", []))
        sections.append(f"{n} derivations and proofs in {summary:.2f} s; {fails} failed. Every closed form is "
                        "derived by the engine from the definitions H(P, Q) = −∫ (dP/dν) log(dQ/dν) dν, "
                        "H(P) = H(P, P) and KL(P ‖ Q) = E_P[log p − log q].")
    for sec in report.sections:
        items: list = []
        for it in sec.items:
            obj = getattr(it, "obj", None)
            status = getattr(it, "status", "")
            label = f"{it.quantity}: {status} ({it.ms:.1f} ms)" if hasattr(it, "ms") else f"{it.quantity}: {status}"
            if obj is None:
                note = getattr(it, "note", "")
                items.append(_Raw(r"\paragraph{%s}" % text_to_latex(label)
                                  + (" " + text_to_latex(note) if note else "")))
                continue
            items.append(obj)  # its own heading says what it is (a proof's heading carries its status)
        sections.append(Section(sec.title, items))
    return sections
