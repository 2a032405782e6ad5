r"""Derivations and proofs as LaTeX ``align*`` blocks and as Markdown, and the names of quantities.

A derivation is one step a line: ``lhs &= expr && \text{rule}``; a moment used by the next step is an
indented "with E[…] = …" line; a gradient too wide for the page is shown one partial derivative a row. A
proof shows its claim, both sides, the chain of rewrites of lhs − rhs, its status and assumptions.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

import sympy as sp

from symce.core.notation import KL_NOTATIONS
from symce.core.quantity import Quantity
from symce.printing.latex_printer import SymceLatexPrinter, printer
from symce.printing.layout import expr_lines, latex_width
from symce.printing.text import rule_words, text_to_latex

__all__ = ["EquationNumbers", "condition_list", "rule_text", "quantity_latex", "short_rule", "derivation_lines", "derivation_latex", "proof_lines", "proof_latex",
           "derivation_markdown", "proof_markdown", "conditions_latex"]


# -- quantities and statements -------------------------------------------------------------------------
#: the information quantities by their plain text, for the pieces of a proof's claim
_BY_TEXT = {str(q).replace(" ", ""): q for q in (
    Quantity.entropy("P"), Quantity.entropy("Q"), Quantity.cross_entropy("P", "Q"), Quantity.cross_entropy("Q", "P"),
    Quantity.kl("P", "Q"), Quantity.kl("Q", "P"), Quantity.kl("P", "P"))}


def quantity_latex(q: Quantity | str, symbols: dict | None = None, **settings) -> str:
    r"""The LaTeX of a :class:`~symce.core.quantity.Quantity` (a derivation's left-hand side), or of a
    statement given as text (a proof's claim such as "KL(P‖Q) = H(P,Q) − H(P)").

    A statement is split at its spaced ``=``, ``+``, ``−``; a piece that is the text of an information
    quantity, a number, P or Q, or the name of one of ``symbols`` (name → SymPy object) is written as
    such, any other piece as ``\text{…}``: text is never parsed further.

    >>> quantity_latex(Quantity.kl())
    '\\mathbb{KL}(P \\,\\|\\, Q)'
    >>> quantity_latex("KL(P‖Q) = H(P,Q) − H(P)")
    '\\mathbb{KL}(P \\,\\|\\, Q) = H(P, Q) - H(P)'
    """
    p = printer(**settings)
    if isinstance(q, Quantity):
        return p._print(q)
    symbols = symbols or {}
    tex = []
    for part in re.split(r"(\s+[=−+-]\s+)", str(q).strip()):
        op = part.strip()
        if op in ("=", "+", "-", "−"):
            tex.append({"−": " - ", "-": " - ", "+": " + ", "=": " = "}[op])
        elif part:
            tex.append(_piece_latex(part.strip(), symbols, p))
    return "".join(tex)


def _piece_latex(s: str, symbols: dict, p: SymceLatexPrinter) -> str:
    known = _BY_TEXT.get(s.replace(" ", "").replace("‖", "||"))
    if known is not None:
        return p._print(known)
    if s in symbols:
        return p._print(symbols[s])
    if re.fullmatch(r"-?\d+|[PQ]", s):
        return s
    return r"\text{%s}" % text_to_latex(s)


def symbol_table(*exprs) -> dict:
    """name -> object for every Symbol, Indexed and MatrixSymbol appearing in ``exprs``."""
    out: dict = {}
    for e in exprs:
        items = list(e) if isinstance(e, sp.MatrixBase) else [e]
        for x in items:
            if isinstance(x, sp.Basic):
                for a in x.atoms(sp.Symbol, sp.Indexed, sp.MatrixSymbol):
                    out.setdefault(str(a), a)
    return out


def derivation_symbols(d) -> dict:
    """name -> object for the symbols of a derivation's steps, result and distributions."""
    exprs = [d.result] + [s.expr for s in d.steps]
    for dist in getattr(d, "distributions", ()) or ():
        for v in getattr(dist, "parameters", {}).values():
            exprs.extend(v if isinstance(v, (list, tuple)) else [v])
    return symbol_table(*[e for e in exprs if isinstance(e, (sp.Basic, sp.MatrixBase))])


# -- derivations ---------------------------------------------------------------------------------------
def short_rule(rule: str) -> str:
    """The head of a justification: the text before its first top-level ':' or ';', or before a
    parenthetical remark of a prose rule ("canonical form (grouped …)" → "canonical form").

    >>> short_rule("linearity of expectation; E_P[c] = c")
    'linearity of expectation'
    >>> short_rule("E[(aT + b)²] = a²·Var T + (a·E T + b)²")
    'E[(aT + b)²] = a²·Var T + (a·E T + b)²'
    """
    depth = 0
    for i, c in enumerate(rule):
        if c in "[(":
            if c == "(" and depth == 0 and i > 2 and rule[i - 1] == " " and "=" not in rule[:i]:
                return rule[:i].strip()
            depth += 1
        elif c in "])":
            depth = max(depth - 1, 0)
        elif c in ":;" and depth == 0 and i >= 3:
            return rule[:i].strip()
    return rule.strip()


def _conditions(conds) -> list:
    return [c for c in conds if c is not sp.true and c is not True]


def derivation_lines(d, *, justification: str = "right", width: float | None = None,
                     max_ops: int | None = None, max_rows: int = 12, numbering: dict | None = None,
                     **settings) -> list[str]:
    """The rows of the ``align*`` block of a derivation (see :func:`derivation_latex`)."""
    p = printer(**settings)
    lhs = quantity_latex(d.lhs, derivation_symbols(d) if isinstance(d.lhs, str) else None, **settings)
    rows = []
    budget = None if width is None else max(width - latex_width(lhs) - 3, 12)
    componentwise = _componentwise(d, p, lhs, width, max_ops, justification, numbering, settings)
    if componentwise is not None:
        return componentwise
    previous, lhs_shown = None, False
    for s in d.steps:
        if previous is not None and _same(s.expr, previous):
            continue  # a rewrite that changed nothing (e.g. already canonical) adds no line
        previous = s.expr
        tag = _justification(s.rule, justification, numbering, settings)
        if isinstance(s.expr, sp.Eq):  # an auxiliary result used by the next step (a moment)
            lines = expr_lines(s.expr, p, budget, max_ops, max_rows)
            body = [r"&\qquad\text{with } " + lines[0]] + [r"&\qquad\quad " + x for x in lines[1:]]
        else:
            lines = expr_lines(s.expr, p, budget, max_ops, max_rows)
            # the left-hand side heads the first equation, also when "with" lines come before it
            body = [(lhs if not lhs_shown else "") + " &= " + lines[0]] + [r"&\qquad " + x for x in lines[1:]]
            lhs_shown = True
        body[-1] += tag
        rows.extend(body)
    return rows


def _componentwise(d, p, lhs_tex, width, max_ops, justification, numbering, settings=None):
    """A gradient too wide for the page as one column vector: one row per partial derivative of the
    final result, tagged with every step's rule. None when the vector fits (or there is no width)."""
    r, q = d.result, d.lhs
    if width is None or not isinstance(q, Quantity) or q.kind != "derivative" or not q.gradient or q.order != 1 \
            or not isinstance(r, sp.MatrixBase) or r.shape[1] != 1 or len(q.wrt) != r.shape[0]:
        return None
    if latex_width(p._print(r)) <= width - latex_width(lhs_tex) - 3:
        return None
    inner = p._print(q.of)
    tags = [_justification(s.rule, justification, numbering, settings) for s in d.steps]
    tag = ""
    if justification == "numbered" and tags:
        nums = [t.strip()[len(r"\tag*{("):-2] for t in tags]
        tag = r" \tag*{(%s)}" % ", ".join(dict.fromkeys(nums))
    rows = []
    for k, (w, entry) in enumerate(zip(q.wrt, r)):
        lhs = r"\frac{\partial %s}{\partial %s}" % (inner, p._print(w))
        budget = max(width - latex_width(lhs) - 3, 12)
        lines = expr_lines(entry, p, budget, max_ops, 12)
        block = [lhs + " &= " + lines[0]] + [r"&\qquad " + x for x in lines[1:]]
        if k == 0:
            block[-1] += tag
        rows.extend(block)
    return rows


def _same(a, b) -> bool:
    try:
        return a == b
    except Exception:  # noqa: BLE001 - comparing matrices of different shapes etc.
        return False


class EquationNumbers:
    """Continuous equation numbers of a document: every tagged line takes the next number (never a number
    already used), and ``notes`` keeps (number, rule) for the words written below each block.

    >>> eq = EquationNumbers(start=7)
    >>> eq.tag("expand"), eq.tag("expand")
    (7, 8)
    >>> eq.items()
    [('expand', 7), ('expand', 8)]
    """

    def __init__(self, start: int = 1):
        self.next = start
        self.notes: list[tuple[int, str]] = []

    def tag(self, rule: str) -> int:
        n, self.next = self.next, self.next + 1
        self.notes.append((n, rule))
        return n

    def items(self) -> list[tuple[str, int]]:
        """(rule, number) pairs in order, as a dict of rule numbers would give them."""
        return [(rule, n) for n, rule in self.notes]

    def __bool__(self) -> bool:
        return bool(self.notes)


def rule_text(rule: str, settings: dict | None = None) -> str:
    """A justification in words and in the chosen notation (KL(P ‖ Q) → D_KL(P ‖ Q) with ``kl_notation``)."""
    return _text(rule_words(rule), settings or {})


def _justification(rule: str, mode: str, numbering, settings: dict | None = None) -> str:
    if mode == "none":
        return ""
    if mode == "numbered":
        if numbering is None:
            raise ValueError("justification='numbered' needs a numbering dict (rule -> number)")
        n = numbering.tag(rule) if isinstance(numbering, EquationNumbers) else \
            numbering.setdefault(rule, len(numbering) + 1)
        return r" \tag*{(%d)}" % n
    text = short_rule(rule) if mode == "short" else rule
    if mode not in ("right", "short"):
        raise ValueError(f"justification must be 'right', 'short', 'numbered' or 'none', not {mode!r}")
    return r" && \text{%s}" % text_to_latex(rule_text(text, settings))


def derivation_latex(d, *, justification: str = "right", width: float | None = None,
                     max_ops: int | None = None, **settings) -> str:
    r"""An ``align*`` block: one step a line, the rule that justifies it as ``\text{…}`` on the right.

    ``justification``: ``"right"`` (the full rule), ``"short"`` (its head, e.g. "linearity of
    expectation"), ``"none"``. ``width`` (em) breaks long sums between terms; ``max_ops`` replaces larger
    results by a one-line summary. Other keywords are printer settings (``ce_notation``, ``log_notation``).
    A moment used by the next step is shown as an indented "with E[…] = …" line.

    >>> import sympy as sp, symce as sc
    >>> t, z = sp.symbols("t z", real=True)
    >>> d = sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli.from_logit(z))
    >>> print(derivation_latex(d.gradient(z), justification="short"))
    \begin{align*}
    \frac{\partial}{\partial z} H(P, Q) &= - t + \frac{e^{z}}{e^{z} + 1} && \text{differentiate the closed form of H(P, Q) entrywise} \\
     &= - t + \sigma\left(z\right) && \text{canonical form}
    \end{align*}
    """
    rows = derivation_lines(d, justification=justification, width=width, max_ops=max_ops, **settings)
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


# -- proofs --------------------------------------------------------------------------------------------
def proof_lines(pf, *, justification: str = "right", width: float | None = None, max_ops: int | None = None,
                max_rows: int = 12, numbering: dict | None = None, header: bool = True, **settings) -> list[str]:
    """The rows of the ``align*`` block of a proof; ``header=False`` leaves out the claim, status,
    assumptions and counterexample (a document states them in its text instead)."""
    p = printer(**settings)
    syms = symbol_table(pf.lhs, pf.rhs)
    budget = None if width is None else max(width - 8, 12)
    rows = []
    if pf.name and header:
        rows.append(r"&\text{claim: } %s" % quantity_latex(pf.name, syms, **settings))
    lhs = expr_lines(pf.lhs, p, budget, max_ops, max_rows)
    rhs = expr_lines(pf.rhs, p, budget, max_ops, max_rows)
    rows.append(r"\text{lhs} &= " + lhs[0])
    rows += [r"&\qquad " + x for x in lhs[1:]]
    rows.append(r"\text{rhs} &= " + rhs[0])
    rows += [r"&\qquad " + x for x in rhs[1:]]
    for k, s in enumerate(pf.steps):
        lines = expr_lines(s.expr, p, budget, max_ops, max_rows)
        head = r"\text{lhs} - \text{rhs}" if k == 0 else ""
        block = [head + " &= " + lines[0]] + [r"&\qquad " + x for x in lines[1:]]
        block[-1] += _justification(s.rule, justification, numbering, settings)
        rows.extend(block)
    if not header:
        return rows
    rows.append(r"&\text{status: %s}" % text_to_latex(pf.status))
    conds = condition_list(pf.assumptions, p)
    if conds:
        rows.append(r"&\text{assuming } " + ",\\ ".join(conds))
    if pf.side_conditions:
        rows.append(r"&\text{side conditions of the rewrites: } "
                    + ",\\ ".join(p._print(c) for c in pf.side_conditions))
    if pf.counterexample:
        pt = pf.counterexample.get("point", {})
        vals = ",\\ ".join(r"%s = %s" % (quantity_latex(str(k), syms, **settings), p._print(v)) for k, v in pt.items())
        rows.append(r"&\text{counterexample at } " + vals)
        rows.append(r"&\qquad \text{lhs} \approx %s,\ \text{rhs} \approx %s"
                    % (approx_latex(pf.counterexample.get("lhs"), p), approx_latex(pf.counterexample.get("rhs"), p)))
    if pf.status == "checked numerically":
        rows.append(r"&\text{agrees to %d digits at %d points; no symbolic argument}" % (pf.digits, pf.points))
    return rows


def approx_latex(v, p) -> str:
    """A counterexample's value (a number, a list of them, or text) to 12 digits."""
    if isinstance(v, list):
        return r"\left(%s\right)" % ", ".join(approx_latex(x, p) for x in v)
    if isinstance(v, sp.Basic) and v.is_number:
        return p._print(sp.Float(v, 12))
    return p._print(v) if isinstance(v, sp.Basic) else text_to_latex(str(v))


def proof_latex(pf, *, justification: str = "right", width: float | None = None, max_ops: int | None = None,
                **settings) -> str:
    r"""An ``align*`` block for a :class:`~symce.engine.proof.Proof`: the claim, both sides, the chain of
    rewrites of lhs − rhs (each with its rule), the status, assumptions and side conditions, and the
    counterexample of a refuted claim."""
    rows = proof_lines(pf, justification=justification, width=width, max_ops=max_ops, **settings)
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


# -- Markdown (Jupyter, report.md, docs) -------------------------------------------------------------
def _md(s: str) -> str:
    # Markdown text: a user's name must not start math ($), escape (\\) or open HTML (<) in a title
    s = s.replace("\\", "\\\\").replace("$", "\\$").replace("<", "&lt;")
    return s.replace("|", "\\|").replace("*", "\\*")


def _text(name: str, settings: dict) -> str:
    """A quantity's plain-text name in the chosen notation (KL(P || Q) → D_KL(P || Q))."""
    head = KL_NOTATIONS[settings.get("kl_notation", "KL")][0]
    return re.sub(r"\bKL\(", head + "(", name)


def derivation_markdown(d, **settings) -> str:
    """Markdown: a bold title with the route the engine took, the ``align*`` block in ``$$``, and the
    conditions under which the result holds."""
    out = [f"**{_md(_text(str(d.lhs), settings))}** — derived by {_md(d.method)}", "", "$$",
           derivation_latex(d, **settings), "$$"]
    conds = _conditions(getattr(d, "conditions", ()))
    if conds:
        out += ["", "for " + ", ".join(f"${c}$" for c in condition_list(conds, printer(**settings)))]
    if getattr(d, "infinite_reason", None):
        out += ["", f"+∞ because {_md(d.infinite_reason)}"]
    return "\n".join(out)


def proof_markdown(pf, **settings) -> str:
    """Markdown for a proof: its status in bold and the ``align*`` block."""
    title = f"**{_md(_text(pf.name, settings))}**: {pf.status}" if pf.name else f"**{pf.status}**"
    return "\n".join([title, "", "$$", proof_latex(pf, **settings), "$$"])


def conditions_latex(conds: Iterable[Any], **settings) -> str:
    """The side conditions as one inline-math list (empty string when there are none), written as papers
    write them (see :func:`condition_list`)."""
    return ",\\ ".join(condition_list(conds, printer(**settings)))


def condition_list(conds: Iterable[Any], p, leq: str = r"\leq") -> list[str]:
    r"""The LaTeX of conditions as papers write them: bounds on one symbol become one chain, with the
    sign its assumptions give (p₁ < 1 for a positive p₁ reads 0 < p₁ < 1); other conditions as they are.
    ``p`` is any SymPy printer (the LaTeX one, or a text printer with ``leq="<="``).

    >>> p1 = sp.Symbol("p1", positive=True)
    >>> condition_list([p1 < 1], printer())
    ['0 < p_{1} < 1']
    """
    conds = _conditions(list(conds))
    bounds: dict = {}
    rest = []
    for c in conds:
        if isinstance(c, (sp.StrictLessThan, sp.LessThan)) and (c.lts.is_Symbol or c.gts.is_Symbol):
            strict = isinstance(c, sp.StrictLessThan)
            if c.lts.is_Symbol and c.gts.is_number:
                bounds.setdefault(c.lts, [None, None])[1] = (c.gts, strict)
                continue
            if c.gts.is_Symbol and c.lts.is_number:
                bounds.setdefault(c.gts, [None, None])[0] = (c.lts, strict)
                continue
        rest.append(c)
    out = []
    for s, (lo, hi) in bounds.items():
        if lo is None and s.is_positive:
            lo = (sp.Integer(0), True)
        elif lo is None and s.is_nonnegative:
            lo = (sp.Integer(0), False)
        tex = p._print(s)
        if lo is not None:
            tex = r"%s %s %s" % (p._print(lo[0]), "<" if lo[1] else leq, tex)
        if hi is not None:
            tex = r"%s %s %s" % (tex, "<" if hi[1] else leq, p._print(hi[0]))
        out.append(tex)
    return out + [p._print(c) for c in rest]
