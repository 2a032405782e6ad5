r"""Procedures (:class:`~symce.core.procedure.Procedure`) as numbered lists, in LaTeX and in Markdown.

A procedure's steps are actions whose results are different quantities, so they are never chained with
"=": each step is a numbered line of text, its result indented below it (as ``name = value`` when the step
names it, else the value alone), and the procedure's result is stated once at the end. A mapping result
{θ: θ̂} (maximum likelihood) is written as the estimates θ̂ = value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Callable

import sympy as sp

from symce.core.procedure import Procedure, ProcedureStep
from symce.printing.latex_printer import SymceLatexPrinter, printer
from symce.printing.layout import expr_lines, latex_width
from symce.printing.text import text_to_latex

__all__ = ["procedure_lines", "procedure_latex", "procedure_markdown", "with_procedures"]

# keywords of the derivation renderers that a procedure has no use for (documents pass them to every item)
_BLOCK_OPTIONS = ("justification", "numbering", "max_rows")


def _printer(settings: dict) -> SymceLatexPrinter:
    """The printer a caller passed (``printer=``, from ``Procedure._latex``) or one for these settings."""
    given = settings.get("printer")
    if given is not None:
        return given
    return printer(**{k: v for k, v in settings.items() if k not in _BLOCK_OPTIONS})


def _name(name, p: SymceLatexPrinter) -> str:
    """A step's name: text (``"J(θ)"``) as text, a quantity or an expression in symce's notation."""
    return r"\text{%s}" % text_to_latex(name) if isinstance(name, str) else p._print(name)


def _value_rows(head: str, value, p: SymceLatexPrinter, width, max_ops) -> list[str]:
    """``head value`` broken into rows of at most ``width`` em (continuation rows indented further)."""
    budget = None if width is None else max(width - latex_width(head) - 4, 12)
    lines = expr_lines(value, p, budget, max_ops, 12)
    return [r"&\qquad " + head + lines[0]] + [r"&\qquad\quad " + x for x in lines[1:]]


def _shown(value):
    """A step's result as a SymPy object (a tuple of equations → a Tuple, a dict → a Dict)."""
    if isinstance(value, Mapping):
        return sp.Dict(value)
    if isinstance(value, (tuple, list)):
        return sp.Tuple(*value)
    return value


def _step_rows(k: int, s: ProcedureStep, p, width, max_ops) -> list[str]:
    rows = [r"&\text{%d. %s}" % (k, text_to_latex(s.action))]
    if s.result is not None:
        head = _name(s.name, p) + " = " if s.name is not None else ""
        rows += _value_rows(head, _shown(s.result), p, width, max_ops)
    return rows


def _result_rows(proc: Procedure, p, width, max_ops) -> list[str]:
    if isinstance(proc.result, Mapping):  # estimates: θ̂ = value, one a row
        rows = []
        for key, value in proc.result.items():
            rows += _value_rows(r"\hat{%s} = " % p._print(key), value, p, width, max_ops)
        return rows
    return _value_rows(_name(proc.lhs, p) + " = ", proc.result, p, width, max_ops)


def _conditions(proc: Procedure) -> list:
    return [c for c in proc.conditions if c is not sp.true and c is not True]


def procedure_lines(proc: Procedure, *, width: float | None = None, max_ops: int | None = None,
                    **settings) -> list[str]:
    """The rows of the ``align*`` block of a procedure (see :func:`procedure_latex`)."""
    p = _printer(settings)
    rows = []
    for k, s in enumerate(proc.steps, 1):
        rows += _step_rows(k, s, p, width, max_ops)
    rows.append(r"&\text{result (%s):}" % text_to_latex(proc.method))
    rows += _result_rows(proc, p, width, max_ops)
    conds = _conditions(proc)
    if conds:
        rows.append(r"&\text{valid for } " + ",\\ ".join(p._print(c) for c in conds))
    return rows


def procedure_latex(proc: Procedure, *, width: float | None = None, max_ops: int | None = None,
                    **settings) -> str:
    r"""An ``align*`` block: one numbered line of text per action, its result indented below it, then
    the procedure's result. ``width`` (em) breaks long results; ``max_ops`` summarises huge ones; other
    keywords are printer settings (``ce_notation``, ``log_notation``)."""
    rows = procedure_lines(proc, width=width, max_ops=max_ops, **settings)
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


def _md(s: str) -> str:
    # Markdown text: a user's name must not start math ($), escape (\\) or open HTML (<) in a title
    s = s.replace("\\", "\\\\").replace("$", "\\$").replace("<", "&lt;")
    return s.replace("|", "\\|").replace("*", "\\*")


def procedure_markdown(proc: Procedure, *, width: float | None = None, max_ops: int | None = None,
                       **settings) -> str:
    """Markdown: a bold title with the method, a numbered list of the actions (each result in a ``$$``
    block under its item), the result and the conditions."""
    p = _printer(settings)
    out = [f"**{_md(str(proc.lhs))}** — {_md(proc.method)}", ""]
    for k, s in enumerate(proc.steps, 1):
        out.append(f"{k}. {_md(s.action)}")
        if s.result is not None:
            head = _name(s.name, p) + " = " if s.name is not None else ""
            out += ["", "   $$" + head + p._print(_shown(s.result)) + "$$"]
        out.append("")
    result = _result_rows(proc, p, None, max_ops)
    out += ["**result**:", "", "$$\\begin{aligned}" + " \\\\ ".join(r.replace(r"&\qquad ", "&", 1) for r in result)
            + "\\end{aligned}$$"]
    conds = _conditions(proc)
    if conds:
        out += ["", "valid for: " + ", ".join(f"${p._print(c)}$" for c in conds)]
    return "\n".join(out)


def with_procedures(render: Callable[..., str], render_procedure: Callable[..., str]) -> Callable[..., str]:
    """A renderer that shows procedures with ``render_procedure`` and everything else with ``render``
    (how :mod:`symce.printing` registers both in :mod:`symce.core.display`)."""
    def dispatch(obj, **settings) -> str:
        if isinstance(obj, Procedure):
            return render_procedure(obj, **settings)
        return render(obj, **settings)

    dispatch.__doc__ = render.__doc__
    return dispatch
