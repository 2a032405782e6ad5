r"""User names in LaTeX: the one place where a symbol's, function's or matrix's name becomes LaTeX.

A name is user text: ``Symbol("x}\input{/etc/passwd}")`` must not inject a control sequence into a
document, unbalance its braces, or stop it compiling. :func:`name_latex` keeps what SymPy prints for an
ordinary name (``alpha`` → ``\alpha``, ``sigma_1`` → ``\sigma_{1}``, ``mu2`` → ``\mu_{2}``, a name already
written in LaTeX such as ``x_{i}`` or ``\alpha_{1}``), and writes any other name as escaped text,
``\text{…}`` (:func:`~symce.printing.text.text_to_latex`: every special character escaped, Unicode mapped).

Ordinary means: ASCII letters, digits, ``_``, ``^``, ``'`` and spaces (SymPy's sub/superscript convention),
or a name with braces that :func:`well_formed` accepts — balanced groups, at most one subscript and one
superscript per base, and only control sequences SymPy itself writes for names (Greek letters, accents
such as ``\hat``); and the LaTeX SymPy makes of it passes the same check.

>>> name_latex("sigma_1", lambda s: r"\sigma_{1}")
'\\sigma_{1}'
>>> name_latex(r"x}\input{/etc/passwd}", lambda s: s)
'\\text{x$\\rbrace\\backslash$input$\\lbrace$/etc/passwd$\\rbrace$}'
"""

from __future__ import annotations

import re
from typing import Callable

from sympy.printing.latex import greek_letters_set, modifier_dict, other_symbols, tex_greek_dictionary

from symce.printing.text import text_to_latex

__all__ = ["name_latex", "well_formed", "NAME_COMMANDS", "NAME_LETTERS", "ACCENTS"]

# the control sequences SymPy writes for names: Greek letters and symbols (no argument) ...
_LETTERS = {name for name in greek_letters_set} | {name.capitalize() for name in greek_letters_set} \
    | set(other_symbols) | {v[1:].split("{")[0] for v in tex_greek_dictionary.values() if v.startswith("\\")}
_LETTERS -= {"mathrm", "Alpha", "Beta", "Epsilon", "Zeta", "Eta", "Iota", "Kappa", "Mu", "Nu", "Omicron", "Rho",
             "Tau", "Chi", "omicron"}  # capitals that look Latin have no macro (SymPy writes \mathrm{A})
#: the letter macros (no argument)
NAME_LETTERS = frozenset(_LETTERS)
#: ... and accents and fonts that take one argument (not \mathscr: it needs a package the documents do not load)
ACCENTS = {m.group(1) for v in (f("x") for f in modifier_dict.values())
           for m in [re.match(r"\\([A-Za-z]+)\{x\}$", v)] if m} - {"mathscr"} | {"mathrm", "mathbf"}
#: every control sequence a name may contain (besides SymPy's \left| … \right| of the modifiers abs, norm, avg)
NAME_COMMANDS = frozenset(_LETTERS | ACCENTS | {"prime"})
_DELIMITED = {"left", "right"}  # only as SymPy writes them: \left| \right|, \left\| \right\|, \left\langle …

_PLAIN = re.compile(r"[A-Za-z0-9_^' .,;:!?()+\-*/=|<>@]*")
_BRACED = re.compile(r"[A-Za-z0-9_^' {}\\,.+\-*/=()|]*")
_COMMAND = re.compile(r"\\([A-Za-z]+|\|)")


def name_latex(name: str, render: Callable[[str], str]) -> str:
    """The LaTeX of a user name: ``render(name)`` (SymPy's) when the name is ordinary and that LaTeX is
    well formed, else the name as escaped text."""
    if not isinstance(name, str):
        name = str(name)
    if _PLAIN.fullmatch(name):
        tex = render(name)
        if well_formed(tex, trusted=True):
            return tex
    elif _BRACED.fullmatch(name) and well_formed(name):  # written in LaTeX: x_{i}, \\alpha_{1}
        tex = render(name)
        if well_formed(tex):
            return tex
    return r"\text{%s}" % text_to_latex(name)


def well_formed(tex: str, trusted: bool = False) -> bool:
    r"""Whether ``tex`` is a safe, compilable piece of math: balanced braces, no double sub/superscript, a
    script always with its argument, and only :data:`NAME_COMMANDS` (``trusted``: also SymPy's
    ``\left``/``\right`` delimiters, which only SymPy's own modifiers write)."""
    try:
        end = _sequence(tex, 0, trusted)
    except _Malformed:
        return False
    return end == len(tex)


class _Malformed(Exception):
    pass


def _sequence(s: str, i: int, trusted: bool) -> int:
    """Parse atoms and their scripts until '}' or the end; returns the index reached."""
    sub = sup = False
    while i < len(s):
        c = s[i]
        if c == "}":
            return i
        if c == " ":
            i += 1
            continue
        if c in "_^":
            if (sub if c == "_" else sup):
                raise _Malformed  # double subscript / superscript
            sub, sup = (True, sup) if c == "_" else (sub, True)
            i = _argument(s, i + 1, trusted)
            continue
        if c == "'":
            if sup:
                raise _Malformed  # x^{a}' is a double superscript
            while i < len(s) and s[i] == "'":
                i += 1
            continue
        sub = sup = False  # a new base
        i = _atom(s, i, trusted)
    return i


def _atom(s: str, i: int, trusted: bool) -> int:
    c = s[i]
    if c == "{":
        j = _sequence(s, i + 1, trusted)
        if j >= len(s) or s[j] != "}":
            raise _Malformed
        return j + 1
    if c == "\\":
        m = _COMMAND.match(s, i)
        if m is None:
            raise _Malformed
        word = m.group(1)
        if word in ACCENTS:
            return _argument(s, m.end(), trusted)
        if word in NAME_COMMANDS or (trusted and word == "|"):
            return m.end()
        if trusted and word in _DELIMITED:
            d = re.compile(r"\\left(\||\\\||\\langle)|\\right(\||\\\||\\rangle)").match(s, i)
            if d is None:
                raise _Malformed
            return d.end()
        raise _Malformed
    if c in "}_^'":
        raise _Malformed
    return i + 1


def _argument(s: str, i: int, trusted: bool) -> int:
    """The argument of a script or an accent: a group, one character, or one letter macro."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s) or s[i] in "}_^'":
        raise _Malformed
    if s[i] == "\\":
        m = _COMMAND.match(s, i)
        if m is None or m.group(1) not in _LETTERS:
            raise _Malformed
        return m.end()
    return _atom(s, i, trusted)
