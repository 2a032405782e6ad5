r"""Page layout of LaTeX mathematics: a width estimate in em, and line breaking of long results.

:func:`latex_width` estimates how wide a math string sets in display style; :func:`break_lines` breaks a
long sum between its terms (inside ``\Big( … \Big)`` for log Σ… and E[Σ…], with mathtools'
``\splitfrac`` for a fraction with a long numerator) so every line fits a given width; results too
large to read are replaced by a one-line summary (:func:`expr_lines`).
"""

from __future__ import annotations

import functools
import re

import sympy as sp

from symce.printing.latex_printer import SymceLatexPrinter

__all__ = ["latex_width", "break_lines", "expr_lines", "TEXT_WIDTH_EM", "MAX_OPS"]

#: usable width of the page in em at 11pt (a4paper, 2.2 cm margins: 166 mm ≈ 43 em), less the tag
TEXT_WIDTH_EM = 36.0
#: results with more operations than this are summarised in documents instead of printed in full
MAX_OPS = 400


_CMD_WIDTH = {
    "left": 0.0, "right": 0.0, "log": 1.4, "ln": 1.0, "exp": 1.5, "det": 1.4, "sigma": 0.6, "cdot": 0.5,
    "sum": 1.5, "prod": 1.5, "int": 0.8, ",": 0.17, ";": 0.28, "quad": 1.0, "qquad": 2.0, "ldots": 1.2,
    "infty": 1.0, "mathbb": 0.0, "boldsymbol": 0.0, "mathrm": 0.0, "mathcal": 0.0, "mathsf": 0.0,
    "operatorname": 0.0, "text": 0.0, "frac": 0.0, "sqrt": 1.0, "partial": 0.6, "nabla": 0.9,
    "begin": 0.0, "end": 0.0, "|": 0.5, "{": 0.5, "}": 0.5, "max": 1.7, "min": 1.6, "tr": 1.0,
    "Big": 0.0, "big": 0.0, "Bigg": 0.0, "tag": 0.0, "mapsto": 1.3, "to": 1.3,
}


@functools.lru_cache(maxsize=65536)
def latex_width(tex: str) -> float:
    r"""A rough width, in em, of a LaTeX math string in display style (used only to decide where to
    break long lines; the pdflatex tests check the real widths).

    >>> latex_width(r"\frac{a + b}{2}") < latex_width("a + b + 2")
    True
    """
    return _width(tex, 0)[0]


def _group(tex: str, i: int) -> tuple[str, int]:
    """The content of the {…} group starting at ``tex[i]`` (or the single next token) and the index after."""
    while i < len(tex) and tex[i] == " ":
        i += 1
    if i >= len(tex):
        return "", i
    if tex[i] != "{":
        if tex[i] == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            return m.group(0), i + len(m.group(0))
        return tex[i], i + 1
    depth, j = 0, i
    while j < len(tex):
        if tex[j] == "\\":
            j += 2
            continue
        if tex[j] == "{":
            depth += 1
        elif tex[j] == "}":
            depth -= 1
            if depth == 0:
                return tex[i + 1:j], j + 1
        j += 1
    return tex[i + 1:], len(tex)


def _width(tex: str, i: int) -> tuple[float, int]:
    w, scripts = 0.0, 0.0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            cmd = m.group(1)
            i += len(m.group(0))
            if cmd in ("frac", "splitfrac"):
                a, i = _group(tex, i)
                b, i = _group(tex, i)
                w += max(latex_width(a), latex_width(b)) + 0.2
            elif cmd in ("text", "operatorname", "mathrm"):
                a, i = _group(tex, i)
                w += 0.5 * len(re.sub(r"\$[^$]*\$", "xx", a)) if cmd == "text" else 0.5 * len(a)
            elif cmd in ("mathbb", "boldsymbol", "mathcal", "mathsf"):
                a, i = _group(tex, i)
                w += latex_width(a) * 1.1
            elif cmd in ("begin", "end"):
                _, i = _group(tex, i)
            elif cmd in ("left", "right", "Big", "big", "Bigg"):
                if i < len(tex) and tex[i] == "\\":
                    i += 2
                elif i < len(tex):
                    i += 1
                w += 0.4
            else:
                w += _CMD_WIDTH.get(cmd, 0.62)
        elif c in "^_":
            a, i = _group(tex, i + 1)
            scripts = max(scripts, 0.7 * latex_width(a))
            if i >= len(tex) or tex[i] not in "^_":
                w += scripts
                scripts = 0.0
        elif c == "{" or c == "}":
            i += 1
        elif c in "+-=<>":
            w += 1.3
            i += 1
        elif c == "&":
            i += 1
        elif c == " ":
            i += 1
        elif c in "(),[]":
            w += 0.4
            i += 1
        else:
            w += 0.55
            i += 1
    return w + scripts, i


def _signed_terms(expr, p: SymceLatexPrinter, width: float | None = None) -> list[str]:
    """The terms of a sum as SymPy's printer would write them, each with its sign: ["a", "- b", "+ c"].
    With ``width``, a term wider than that is split into several pieces (see :func:`_term_pieces`)."""
    out = []
    for k, term in enumerate(p._as_ordered_terms(expr, order=None)):
        sign = ""
        if k and term.could_extract_minus_sign():
            sign, term = "- ", -term
        elif k:
            sign = "+ "
        out.extend(_term_pieces(term, sign, p, width))
    return out


def _term_pieces(term, sign: str, p: SymceLatexPrinter, width: float | None) -> list[str]:
    """One signed term as pieces that fit ``width``: log Σ… and E[Σ…] break inside ``\\Big( … \\Big)``;
    a fraction with a long numerator or denominator is split with mathtools' ``\\splitfrac``."""
    tex = p._print(term)
    if p._needs_add_brackets(term):
        tex = r"\left(%s\right)" % tex
    if width is None or latex_width(tex) <= width:
        return [sign + tex]
    if isinstance(term, sp.log) or type(term).__name__ == "Expect":
        if isinstance(term.args[0], sp.Add):
            head = (r"\ln\Big(" if p._settings.get("ln_notation") else r"\log\Big(") if isinstance(term, sp.log) \
                else r"\mathbb{E}_{%s}\Big[" % p._settings["expectation"]
            inner = _signed_terms(term.args[0], p, width)
            inner[0] = sign + head + inner[0]
            inner[-1] += r"\Big)" if isinstance(term, sp.log) else r"\Big]"
            return inner
    if not isinstance(term, sp.Expr):
        return [sign + tex]
    num, den = sp.fraction(term)
    if den != 1 and (isinstance(num, sp.Add) or isinstance(den, sp.Add)):
        return [sign + r"\frac{%s}{%s}" % (_split_tex(num, p, width), _split_tex(den, p, width))]
    return [sign + tex]


def _split_tex(e, p: SymceLatexPrinter, width: float) -> str:
    tex = p._print(e)
    if latex_width(tex) <= width or not isinstance(e, sp.Add):
        return tex
    lines = _pack(_signed_terms(e, p, width), width)
    out = lines[-1]
    for line in reversed(lines[:-1]):
        out = r"\splitfrac{%s}{%s}" % (line, out)
    return out


def _pack(pieces: list[str], width: float, prefix: str = "", suffix: str = "") -> list[str]:
    """Greedy packing of pieces into lines no wider than ``width`` em (continuations are indented)."""
    lines, cur = [], prefix
    for piece in pieces:
        trial = (cur + " " + piece).strip()
        budget = width if not lines else width - 2
        if cur.strip() and cur != prefix and latex_width(trial) > budget:
            lines.append(cur)
            cur = piece
        else:
            cur = trial
    lines.append(cur + suffix)
    return lines


def break_lines(expr, p: SymceLatexPrinter, width: float | None) -> list[str]:
    """LaTeX lines for ``expr``: one line, or a long sum broken between terms so each fits ``width`` em."""
    tex = p._print(expr)
    if width is None or latex_width(tex) <= width or not isinstance(expr, sp.Basic):
        return [tex]
    if isinstance(expr, sp.Eq):  # "E[…] = value": break the value
        head = p._print(expr.lhs) + " = "
        rest = break_lines(expr.rhs, p, max(width - latex_width(head), 12))
        return [head + rest[0]] + rest[1:]
    core, sign = expr, ""
    if isinstance(expr, sp.Mul) and expr.args[0] == -1 and len(expr.args) == 2:
        core, sign = expr.args[1], "- "
    if type(core).__name__ == "Expect" and isinstance(core.args[0], sp.Add):
        E = r"%s\mathbb{E}_{%s}\Big[" % (sign, p._settings["expectation"])
        return _pack(_signed_terms(core.args[0], p, width), width, prefix=E, suffix=r"\Big]")
    if isinstance(expr, sp.Add):
        return _pack(_signed_terms(expr, p, width), width)
    return _pack(_term_pieces(expr, "", p, width), width)


# -- large objects -------------------------------------------------------------------------------------
def _ops(expr) -> int:
    if isinstance(expr, sp.MatrixBase):
        return sum(sp.count_ops(x) for x in expr)
    return sp.count_ops(expr) if isinstance(expr, sp.Basic) else 0


def _shown(expr, p: SymceLatexPrinter, max_ops: int | None, max_rows: int) -> str | None:
    """LaTeX for a summary of a too-large expression, or None when it can be shown in full."""
    if isinstance(expr, sp.MatrixBase) and expr.shape[0] > max_rows and expr.shape[1] == 1:
        n = expr.shape[0]
        rows = [p._print(expr[i]) for i in range(min(3, n))] + [r"\vdots", p._print(expr[n - 1])]
        return r"\left[\begin{matrix}%s\end{matrix}\right] \in \mathbb{R}^{%d}" % (r" \\ ".join(rows), n)
    if max_ops is not None and _ops(expr) > max_ops:
        shape = r"$%d \times %d$ " % expr.shape if isinstance(expr, sp.MatrixBase) else ""
        return r"\text{[a %sresult of %d operations, not shown]}" % (shape, _ops(expr))
    return None


def expr_lines(expr, p, width, max_ops, max_rows) -> list[str]:
    summary = _shown(expr, p, max_ops, max_rows)
    if summary is not None:
        return [summary]
    if isinstance(expr, sp.MatrixBase) and width is not None and latex_width(p._print(expr)) > width:
        if expr.shape[1] == 1:  # a column vector too wide for a line: (e₁, …, e_n)ᵀ, an entry a line
            return _column_lines(expr, p, width)
        return [r"\text{[a $%d \times %d$ matrix too wide to show; see its entries]}" % expr.shape]
    lines = break_lines(expr, p, width)
    if width is not None and max(latex_width(x) for x in lines) > 1.25 * width:
        # nested fractions that no line break can tame: say so rather than run off the page
        return [r"\text{[an expression of %d operations, too wide to typeset]}" % _ops(expr)]
    return lines



def _column_lines(v, p, width: float) -> list[str]:
    """A column vector as (e₁, e₂, …, e_n)ᵀ with one entry (or its broken lines) a row of the block;
    \\big delimiters, since a \\left … \\right pair cannot span rows of an align."""
    n, out = v.shape[0], []
    for i in range(n):
        lines = break_lines(v[i], p, max(width - 4, 12))
        lines[0] = (r"\big(" if i == 0 else "") + lines[0]
        lines[-1] += r"\big)^{\mathsf{T}}" if i == n - 1 else ","
        out.extend(lines)
    return out
