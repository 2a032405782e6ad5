r"""``report.tex`` / ``report.pdf``: the catalog report as a document a reader can use.

A title page with a summary table (per family: examples, pairs, derived quantities, proofs, accuracy
goals met), a table of contents, a chapter of definitions with the true timing of the run, one chapter
per family (entropy of each example; H(P, Q), KL(P‖Q) and their gradients for each pair, derived step
by step for one pair per family and as closed forms for the others), one chapter with a single table of
the repetitive identities (KL(P‖P) = 0, KL = H(P, Q) − H(P), Gibbs' stationarity) and one of them proved
in full, then the training-loss and accuracy chapters (converted from their Markdown sections, with the
error plots). Equations are numbered once through the whole document.

The report is read duck-typed (``sections``, ``items``, ``failures``, ``seconds``): this printing
module imports nothing from the app layer that runs it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Sequence

import sympy as sp

from symce.core.quantity import Quantity
from symce.printing.blocks import (EquationNumbers, condition_list, conditions_latex, quantity_latex, rule_text,
                                   symbol_table)
from symce.printing.document import PREAMBLE, Document, render_item
from symce.printing.latex_printer import printer
from symce.printing.layout import MAX_OPS, TEXT_WIDTH_EM, break_lines, expr_lines, latex_width
from symce.printing.markdown_latex import FITMATH, markdown_to_latex, table_rows
from symce.printing.pdf import compile_pdf, pdflatex
from symce.printing.printer import latex
from symce.printing.text import rule_words, text_to_latex

__all__ = ["write_report_tex", "report_tex"]

REPORT_PREAMBLE = PREAMBLE.replace(r"\documentclass[11pt]{article}", r"\documentclass[11pt]{report}") \
    + "\\usepackage{graphicx}\n" + FITMATH
#: the identities tabulated in one table instead of a page each (the Item.quantity of the catalog run)
IDENTITY_QUANTITIES = ("KL(P‖P) = 0", "KL = H(P,Q) − H(P)", "∇_Q H(P,Q) = 0 at Q = P")
_DERIVED = ("derived", "+∞")


def write_report_tex(derivations_and_proofs, out_dir: str | os.PathLike, *, title: str = "symce catalog report",
                     compile: bool | None = None, extra_sections: Sequence[str] = (),
                     timings: dict[str, float] | None = None, **settings) -> Path:
    """Write ``out_dir/report.tex`` and, when pdflatex is installed (or ``compile=True``), ``report.pdf``.

    ``derivations_and_proofs`` is either the report of ``symce report`` (then the document is the
    report described in this module; ``extra_sections`` are its Markdown sections — training losses,
    accuracy — and ``timings`` the seconds of each part of the run, for the title page) or any iterable
    of items accepted by :func:`symce.printing.document.document`. ``settings`` are the notation settings
    (``kl_notation="D_KL"``, ``log_notation="ln"``, …). Returns the path of report.tex. A
    LaTeX error raises :class:`~symce.printing.pdf.LatexError`, with report.tex left in place.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.tex"
    if hasattr(derivations_and_proofs, "sections"):
        path.write_text(report_tex(derivations_and_proofs, extra_sections, timings, title=title,
                                   graphics_dir=str(out), **settings), encoding="utf-8")
    else:
        Document(list(derivations_and_proofs), title=title, settings=settings).write(path)
    if compile or (compile is None and pdflatex() is not None):
        compile_pdf(path, runs=2)  # twice: the table of contents is read on the second run
    return path


def report_tex(report, extra_sections: Sequence[str] = (), timings: dict[str, float] | None = None, *,
               title: str = "symce catalog report", graphics_dir: str | None = None, **settings) -> str:
    """The whole report document as a string (see the module docstring)."""
    groups = _groups(report)
    accuracy = _accuracy_by_formula(extra_sections)
    numbers = EquationNumbers()
    body = [_title_page(report, groups, accuracy, timings, title, settings), r"\tableofcontents",
            _definitions_chapter(report, timings, settings)]
    for name, secs in groups.items():
        body.append(_family_chapter(name, secs, numbers, settings))
    body.append(_identities_chapter(report, numbers, settings))
    for md in extra_sections:
        body.append(markdown_to_latex(md, graphics_dir))
    return REPORT_PREAMBLE + "\\begin{document}\n" + "\n\n".join(b for b in body if b) + "\n\n\\end{document}\n"


# -- grouping ------------------------------------------------------------------------------------------
def _family_name(sec) -> str:
    P = getattr(sec, "P", None)
    name = getattr(P, "name", None) if P is not None else None
    if not isinstance(name, str):
        return "Other"
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).split(" ")  # MultivariateNormal → Multivariate normal
    return " ".join([words[0]] + [w.lower() for w in words[1:]])


def _groups(report) -> dict[str, list]:
    """Family name → its sections (examples first, then pairs with P of that family), in catalog order."""
    groups: dict[str, list] = {}
    for sec in report.sections:
        groups.setdefault(_family_name(sec), []).append(sec)
    return groups


def _labels(sec) -> tuple[str, ...]:
    return tuple(x.strip() for x in sec.title.split("‖"))


# -- title page ----------------------------------------------------------------------------------------
def _accuracy_by_formula(extra_sections) -> dict[str, bool]:
    """formula ("H(bernoulli)", "KL(a ‖ b)") → goal met, read from the accuracy section's table."""
    out: dict[str, bool] = {}
    for md in extra_sections:
        for lines in _tables(md):
            head, rows = table_rows(lines)
            lower = [h.lower() for h in head]
            # the values' table only: the section also holds the derivatives' table (a row per formula and
            # order, its own columns), whose rows read through the values' column positions said "not met"
            if not lower or lower[0] != "formula" or "goal" not in lower or "order" in lower:
                continue
            g = lower.index("goal")
            for r in rows:
                if len(r) > g:  # "met", or "met (≤ 4, elementary); …" for the common families' rows
                    out[r[0]] = r[g].strip().lower().startswith("met")
    return out


def _tables(md: str) -> list[list[str]]:
    """The pipe tables of a Markdown text, each as its run of consecutive table lines."""
    tables, run = [], []
    for ln in md.splitlines() + [""]:
        if ln.strip().startswith("|"):
            run.append(ln)
        elif run:
            tables.append(run)
            run = []
    return tables


def _accuracy_of(secs, accuracy: dict[str, bool]) -> tuple[int, int]:
    met = total = 0
    for sec in secs:
        labels = _labels(sec)
        names = [f"H({labels[0]})"] if len(labels) == 1 else [f"{q}({labels[0]} ‖ {labels[1]})" for q in ("CE", "KL")]
        for n in names:
            if n in accuracy:
                total += 1
                met += accuracy[n]
    return met, total


def _counts(secs) -> tuple[int, int, int, int, int]:
    items = [it for s in secs for it in s.items]
    derived = sum(it.kind == "derivation" and it.status in _DERIVED for it in items)
    proofs = [it for it in items if it.kind == "proof" and it.status != "skipped"]
    proved = sum(it.status == "proved" for it in proofs)
    return (sum(not s.is_pair for s in secs), sum(bool(s.is_pair) for s in secs), derived, proved, len(proofs))


def _title_page(report, groups, accuracy, timings, title, settings) -> str:
    rows, totals = [], [0, 0, 0, 0, 0, 0, 0]
    for name, secs in groups.items():
        ex, pa, der, proved, proofs = _counts(secs)
        met, measured = _accuracy_of(secs, accuracy)
        for k, v in enumerate((ex, pa, der, proved, proofs, met, measured)):
            totals[k] += v
        acc = f"{met}/{measured}" if measured else "---"
        rows.append(f"{text_to_latex(name)} & {ex} & {pa} & {der} & {proved}/{proofs} & {acc} \\\\")
    acc = f"{totals[5]}/{totals[6]}" if totals[6] else "---"
    rows.append(r"\midrule \textbf{all} & %d & %d & %d & %d/%d & %s \\" % (*totals[:5], acc))
    table = "\n".join([r"\begin{tabular}{@{}lrrrrr@{}}", r"\toprule",
                       r"family & examples & pairs & quantities derived & proofs proved & accuracy goals met \\",
                       r"\midrule", *rows, r"\bottomrule", r"\end{tabular}"])
    fails = len(report.failures)
    status = "every proof is proved and every derivation succeeded" if not fails else f"{fails} items failed (listed in Chapter~1)"
    return "\n".join([
        r"\begin{titlepage}", r"\centering", r"\vspace*{2cm}",
        r"{\LARGE\bfseries %s\par}" % text_to_latex(title), r"\vspace{1em}",
        r"{\large Cross-entropy, entropy and KL divergence of the catalog families,\\"
        r" derived symbolically and proved\par}", r"\vspace{2.5em}",
        table, r"\vspace{2em}",
        r"\begin{minipage}{0.85\linewidth}\small %s. %s\end{minipage}" % (
            text_to_latex(status[:1].upper() + status[1:]), _timing_sentence(report, timings)),
        r"\vfill", r"\end{titlepage}"])


def _timing_sentence(report, timings: dict[str, float] | None) -> str:
    """The time each part of the run took, measured (never the catalog alone passed off as the whole)."""
    parts = [f"deriving and proving the catalog took {report.seconds:.1f} s"]
    for name, s in (timings or {}).items():
        if name != "total":
            parts.append(f"the {name} {s:.1f} s")
    total = (timings or {}).get("total")
    tail = f"; the whole run, before compiling this document, {total:.0f} s" if total is not None else ""
    return text_to_latex("Timing: " + ", ".join(parts) + tail + ".")


# -- definitions ----------------------------------------------------------------------------------------
def _definitions_chapter(report, timings, settings) -> str:
    H_PQ, H_P, KL = (quantity_latex(q, **settings) for q in (Quantity.cross_entropy(), Quantity.entropy(), Quantity.kl()))
    log = r"\ln" if settings.get("log_notation") == "ln" else r"\log"
    out = [r"\chapter{Definitions and method}",
           "Every closed form in this report is derived by symce's engine from the measure-theoretic "
           "definitions, with $\\nu$ the counting measure (discrete families) or Lebesgue measure "
           "(continuous ones):",
           (r"\begin{align*} %s &= -\int \frac{dP}{d\nu} \log \frac{dQ}{d\nu} \, d\nu"
            r" = -\mathbb{E}_{P}\left[\log q(X)\right], \\ %s &= H(P, P), \\"
            r" %s &= \mathbb{E}_{P}\left[\log p(X) - \log q(X)\right]. \end{align*}"
            % (H_PQ, H_P, KL)).replace(r"\log", log),
           "A derivation is a chain of equations, each numbered; the words below the chain say what justifies "
           "each numbered equation. A proof reports ``proved'' when a chain of exact rewrites takes the "
           "difference of its two sides to $0$. For one pair of each family the derivation of "
           f"${H_PQ}$ and ${KL}$ is shown step by step; for the others the closed forms "
           "and gradients (with respect to the parameters of $Q$) are given.",
           _timing_sentence(report, timings)]
    if report.failures:
        out += [r"\section*{Failures}", r"\begin{itemize}"]
        out += [r"\item %s, %s: %s %s" % (text_to_latex(it.section), text_to_latex(it.quantity),
                                          text_to_latex(it.status), text_to_latex(it.note[:300]))
                for it in report.failures]
        out.append(r"\end{itemize}")
    return "\n\n".join(out)


# -- family chapters -------------------------------------------------------------------------------------
def _dist_title(sec, settings) -> str:
    """The section title: the distributions in the paper's notation, scaled to the line if need be."""
    if sec.is_pair and sec.P is not None and sec.Q is not None:
        return r"\fitto{0.85\linewidth}{%s \quad\text{and}\quad %s}" % (latex(sec.P, **settings), latex(sec.Q, **settings))
    if sec.P is not None:
        return r"\fitto{0.85\linewidth}{%s}" % latex(sec.P, **settings)
    return text_to_latex(sec.title)


def _dist_sentence(sec, settings) -> str:
    lines = []
    for role, dist in (("P", sec.P), ("Q", sec.Q)):
        if dist is not None:
            measure = rule_words(str(getattr(dist, "measure", "")))
            lines.append(r"$%s = %s$, support $%s$ (%s)" % (role, latex(dist, **settings),
                                                          latex(dist.support, **settings), text_to_latex(measure)))
    lines.append(r"{\footnotesize catalog entry \textsf{%s}}" % text_to_latex(sec.title))
    return "\\begin{flushleft}\n" + "\\\\\n".join(lines) + "\n\\end{flushleft}"


def _family_chapter(name, secs, numbers: EquationNumbers, settings) -> str:
    out = [r"\chapter{%s}" % text_to_latex(name)]
    first_example = True
    for sec in secs:
        out.append(r"\section{%s}" % _dist_title(sec, settings))
        out.append(_dist_sentence(sec, settings))
        for it in sec.items:
            if it.quantity in IDENTITY_QUANTITIES and it.kind == "proof":
                continue  # tabulated in the identities chapter
            out.append(_item(it, sec, numbers, settings, full=sec.show_steps or (not sec.is_pair and first_example)))
        if not sec.is_pair:
            first_example = False
    return "\n\n".join(x for x in out if x)


def _item(it, sec, numbers, settings, full: bool) -> str:
    obj = getattr(it, "obj", None)
    if obj is None:
        note = f" --- {text_to_latex(it.note)}" if getattr(it, "note", "") else ""
        return r"\paragraph{%s} %s%s" % (text_to_latex(it.quantity), text_to_latex(it.status), note)
    full = full and not it.quantity.startswith("∇")
    if full or not hasattr(obj, "result"):
        return render_item(obj, settings, numbers)
    return _result_block(obj, numbers, settings)


def _result_block(d, numbers: EquationNumbers, settings) -> str:
    """A derivation's closed form only, numbered, with the route the engine took in words. A gradient too
    wide for a line is written one partial derivative a row; a row still too wide is scaled to fit."""
    p = printer(**settings)
    q, r = d.lhs, d.result
    if getattr(q, "kind", None) == "derivative" and q.gradient and q.order == 1 and isinstance(r, sp.MatrixBase) \
            and r.shape[1] == 1 and len(q.wrt) == r.shape[0] and latex_width(p._print(r)) > TEXT_WIDTH_EM - 12:
        inner = p._print(q.of)
        pairs = [(r"\frac{\partial %s}{\partial %s}" % (inner, p._print(w)), e) for w, e in zip(q.wrt, r)]
    else:
        pairs = [(quantity_latex(q, **settings), r)]
    rows = []
    for lhs, value in pairs:
        budget = max(TEXT_WIDTH_EM - latex_width(lhs) - 6, 12)
        lines = expr_lines(value, p, budget, MAX_OPS, 12)
        if len(lines) == 1 and "too wide to typeset" in lines[0]:
            # nested fractions no line break can tame: shown scaled down when that keeps them legible
            broken = break_lines(value, p, budget)
            if max(latex_width(x) for x in broken) <= 2.2 * budget:
                lines = broken
        frac = budget / TEXT_WIDTH_EM
        lines = [x if latex_width(x) <= budget else r"\fitto{%.2f\linewidth}{%s}" % (frac, x) for x in lines]
        rows += [lhs + " &= " + lines[0]] + [r"&\qquad " + x for x in lines[1:]]
    rows[-1] += r" \tag*{(%d)}" % numbers.tag(d.method)
    out = ["\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"]
    words = [f"derived by {rule_text(d.method, settings)}"] if getattr(d, "method", "") else []
    conds = [c for c in getattr(d, "conditions", ()) if c is not sp.true]
    tex = r"{\small\noindent (%d) %s" % (numbers.next - 1, text_to_latex("; ".join(words)))
    if conds:
        tex += r"; for $%s$" % conditions_latex(conds, **settings)
    if getattr(d, "infinite_reason", None):
        tex += "; $+\\infty$ because " + text_to_latex(d.infinite_reason)
    out.append(tex + ".\\par}")
    return "\n".join(out)


# -- identities -----------------------------------------------------------------------------------------
def _identities_chapter(report, numbers: EquationNumbers, settings) -> str:
    by_claim: dict[str, list] = {q: [] for q in IDENTITY_QUANTITIES}
    for sec in report.sections:
        for it in sec.items:
            if it.kind == "proof" and it.quantity in by_claim:
                by_claim[it.quantity].append((sec, it))
    if not any(by_claim.values()):
        return ""
    p = printer(**settings)
    rows = []
    example_proof = None
    for claim, entries in by_claim.items():
        if not entries:
            continue
        proved = sum(it.status == "proved" for _, it in entries)
        pf0 = next((it.obj for _, it in entries if it.obj is not None), None)
        head = quantity_latex(pf0.name, symbol_table(pf0.lhs, pf0.rhs), **settings) if pf0 is not None and pf0.name \
            else quantity_latex(claim, **settings)
        rows.append(r"\multicolumn{4}{@{}p{\linewidth}@{}}{\raggedright\fitmath{%s}\ \ %d/%d proved} \\*[2pt]"
                    % (head, proved, len(entries)))
        for sec, it in entries:
            pf = it.obj
            side = ""
            if pf is not None and getattr(pf, "side_conditions", None):
                side = r"\fitmath{%s}" % ",\\ ".join(condition_list(pf.side_conditions, p))
            rows.append(r"\texttt{%s} & %s & %s & %.1f \\" % (text_to_latex(sec.title), text_to_latex(it.status),
                                                            side, it.ms))
            if example_proof is None and pf is not None and it.status == "proved" and pf.steps and claim != IDENTITY_QUANTITIES[0]:
                example_proof = pf
        rows.append(r"\midrule")
    if rows and rows[-1] == r"\midrule":
        rows.pop()
    table = "\n".join([r"{\small", r"\begin{longtable}{@{}>{\raggedright\arraybackslash}p{0.42\linewidth}"
                       r">{\raggedright\arraybackslash}p{0.14\linewidth}>{\raggedright\arraybackslash}p{0.3\linewidth}r@{}}",
                       r"\toprule catalog entry & status & side conditions of the rewrites & ms \\ \midrule \endhead",
                       r"\bottomrule \endfoot", *rows, r"\end{longtable}}"])
    out = [r"\chapter{Identities}",
           "The identities below hold for every example and pair of the catalog; each line is a separate "
           "symbolic proof. One of them is shown in full at the end of the chapter.", table]
    if example_proof is not None:
        out += [r"\section{One proof in full}", render_item(example_proof, settings, numbers)]
    return "\n\n".join(out)
