r"""The report's Markdown sections (training losses, accuracy of the generated code) as LaTeX for report.pdf.

The sections are written once, in Markdown, by the modules that compute them; this converts the small
subset they use: ``##``/``###``/``####`` headings, paragraphs with ``$…$`` mathematics, ``**bold**``,
```code```, ``_emphasis_``, links, ``$$…$$`` displays and pipe tables. A table column of links to
``.png`` plots becomes a grid of figures after the table (only the files that exist are included). Wide
mathematics in a cell or display is scaled down to the width it has (``\fitmath``), never let run into
the margin.

>>> print(markdown_to_latex("## Losses\n\nThe **mean** of $x_i$ is `mean`."))
\sloppy
\chapter{Losses}
<BLANKLINE>
The \textbf{mean} of $x_i$ is \texttt{mean}.
"""

from __future__ import annotations

import os
import re

from symce.printing.text import text_to_latex

__all__ = ["markdown_to_latex", "FITMATH", "table_rows"]

#: the macro that scales a too-wide formula down to the line width (graphicx's \resizebox)
FITMATH = r"""\newsavebox{\symcefitbox}
\DeclareRobustCommand{\fitto}[2]{\sbox{\symcefitbox}{$\displaystyle #2$}%
\ifdim\wd\symcefitbox>#1\resizebox{#1}{!}{\usebox{\symcefitbox}}\else\usebox{\symcefitbox}\fi}
\DeclareRobustCommand{\fitmath}[1]{\fitto{\linewidth}{#1}}
\DeclareRobustCommand{\fitcell}[1]{\fitto{\linewidth}{\vphantom{\big(}\textstyle #1}}
\setlength{\emergencystretch}{3em}
"""

_HEADINGS = {"##": "chapter", "###": "section", "####": "subsection"}
_INLINE = re.compile(r"(\$[^$]+\$|\*\*[^*]+\*\*|`[^`]+`|\[[^\]]+\]\([^)]+\)|(?<![\w$])_[^_]+_(?![\w]))")
_LINK = re.compile(r"^\[([^\]]+)\]\(([^)]+)\)$")


def inline(text: str) -> str:
    """One line of Markdown text as LaTeX (mathematics kept as written)."""
    out = []
    for part in _INLINE.split(text):
        if not part:
            continue
        if part.startswith("$"):
            out.append(part)
        elif part.startswith("**"):
            out.append(r"\textbf{%s}" % inline(part[2:-2]))
        elif part.startswith("`"):
            out.append(r"\texttt{%s}" % text_to_latex(part[1:-1]))
        elif part.startswith("[") and _LINK.match(part):
            out.append(inline(_LINK.match(part).group(1)))
        elif part.startswith("_") and part.endswith("_") and len(part) > 2:
            out.append(r"\emph{%s}" % inline(part[1:-1]))
        else:
            # an identifier such as from_logit is a name, not x with a subscript
            pieces = re.split(r"(?<=[A-Za-z])_(?=[A-Za-z]{2})", part.replace("\\|", "|"))
            out.append(r"\_".join(text_to_latex(x) for x in pieces))
    return "".join(out)


def table_rows(lines: list[str]) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a pipe table (``\\|`` inside a cell is a literal bar)."""
    def cells(line: str) -> list[str]:
        s = line.strip()
        s = s[1:] if s.startswith("|") else s
        s = s[:-1] if s.endswith("|") and not s.endswith("\\|") else s
        return [c.strip() for c in re.split(r"(?<!\\)\|", s)]
    head = cells(lines[0])
    rows = [cells(ln) for ln in lines[1:] if not re.fullmatch(r"\|?[\s:|-]+\|?", ln.strip())]
    return head, rows


def _cell(c: str) -> str:
    m = re.fullmatch(r"\$([^$]+)\$", c)
    return r"\fitcell{%s}" % m.group(1) if m else inline(c)


def _table(lines: list[str], graphics_dir: str | None) -> str:
    head, rows = table_rows(lines)
    n = len(head)
    links = [j for j in range(n) if rows and all(_LINK.match(r[j]) if j < len(r) else True for r in rows)]
    figures = []
    for r in rows:
        for j in links:
            if j < len(r):
                path = _LINK.match(r[j]).group(2)
                if path.endswith(".png") and graphics_dir and os.path.exists(os.path.join(graphics_dir, path)):
                    figures.append((r[0], path))
    keep = [j for j in range(n) if j not in links]
    if figures and keep == [0] and head[0].strip().lower() == "picture":
        # a table of pictures only (the coverage matrix): the pictures, full width, each with its caption
        return figure_grid(figures, per_row=1, title=None)
    mathy = {j: any("$" in (r[j] if j < len(r) else "") for r in rows) for j in keep}
    # a text column as wide as its longest cell asks (about 0.012 of the line a character at \small, within
    # bounds); mathematics shares what is left; without mathematics the columns are scaled to the line
    small = len(keep) > 6  # many columns: \footnotesize, narrower characters and padding
    room = 0.97 - (0.0085 if small else 0.012) * len(keep)
    char = 0.0095 if small else 0.011
    cells = {j: [head[j]] + [r[j] for r in rows if j < len(r)] for j in keep}
    word = {j: 1.15 * char * max(len(w) for c in cells[j] for w in (c.split() or [""])) + 0.01 for j in keep}  # bold heads
    width = {j: max(min(char * min(max(len(c) for c in cells[j]), 40) + 0.01, 0.45), word[j])
             for j in keep if not mathy[j]}
    n_math = sum(mathy.values())
    if n_math:
        left = max(room - sum(width.values()), 0.3 * n_math)
        width.update({j: left / n_math for j in keep if mathy[j]})
    excess = sum(width.values()) - room
    if excess > 0:  # narrow the columns that can wrap, never below their longest word
        slack = {j: width[j] - word.get(j, 0) for j in width if width[j] > word.get(j, 0)}
        total = sum(slack.values())
        for j, sl in slack.items():
            width[j] -= min(sl, excess * sl / total) if total else 0
    total = sum(width.values())
    if total > room:  # even the longest words do not fit: every column gives up the same share
        width = {j: w * room / total for j, w in width.items()}
    spec = "".join(r">{\raggedright\arraybackslash}p{%.3f\linewidth}" % width[j] for j in keep)
    body = [r"{%s\setlength{\tabcolsep}{%s}\renewcommand{\arraystretch}{1.35}" % ((r"\footnotesize", "2pt") if small else (r"\small", "3pt")), r"\begin{longtable}{@{}%s@{}}" % spec, r"\toprule",
            " & ".join(r"\textbf{%s}" % inline(head[j]) for j in keep) + r" \\ \midrule \endhead",
            r"\bottomrule \endfoot"]
    for r in rows:
        body.append(" & ".join(_cell(r[j]) if j < len(r) else "" for j in keep) + r" \\[2pt]")
    body.append(r"\end{longtable}}")
    out = "\n".join(body)
    if figures:
        out += "\n\n" + figure_grid(figures)
    return out


def figure_grid(figures: list[tuple[str, str]], per_row: int = 2, title: str | None = "Error plots") -> str:
    """Plots two a row, each with its caption below (no floats: sixty plots would exhaust LaTeX's queue),
    under a section ``title`` (none when ``title`` is None)."""
    width = 0.98 / per_row - 0.01
    rows = []
    for i in range(0, len(figures), per_row):
        cells = [r"\begin{minipage}[t]{%.3f\linewidth}\centering\includegraphics[width=\linewidth]{%s}\\[-2pt]"
                 r"{\footnotesize %s}\end{minipage}" % (width, path, inline(caption))
                 for caption, path in figures[i:i + per_row]]
        rows.append(r"\noindent" + r"\hfill".join(cells) + r"\par\medskip")
    heading = (r"\section{%s}" % inline(title) + "\n") if title else ""
    return heading + "\n".join(rows)


def markdown_to_latex(md: str, graphics_dir: str | None = None) -> str:
    """LaTeX for a Markdown section of the report (``##`` becomes a chapter); ``graphics_dir`` is where
    linked plots are looked for (a plot that is not there is left out)."""
    lines = md.splitlines()
    out: list[str] = [r"\sloppy"]  # long names (CE(mvnormal-symbolic-d ‖ …)) in running text
    i = 0
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        m = re.match(r"^(#{2,4}) (.+)$", s)
        if m:
            out.append(r"\%s{%s}" % (_HEADINGS[m.group(1)], inline(m.group(2))))
        elif s.startswith("|"):
            block = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i])
                i += 1
            out.append(_table(block, graphics_dir))
            continue
        elif s.startswith("$$") and s.endswith("$$") and len(s) > 4:
            out.append(r"\begin{center}\fitmath{%s}\end{center}" % s[2:-2].strip())
        elif s.startswith("# "):
            pass  # the document has its own title
        elif not s:
            if out and out[-1] != "":
                out.append("")
        else:
            out.append(inline(s))
        i += 1
    return "\n".join(out).strip()
