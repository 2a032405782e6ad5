r"""Plain text inside LaTeX: justifications and paragraphs written with Unicode mathematics.

The text of a justification is made safe for both pdflatex and MathJax (Jupyter) by
:func:`text_to_latex`: special characters and Unicode mathematics become ``$…$`` inside ``\text{}``,
which both understand (MathJax does not run text-mode macros such as ``\_``).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["text_to_latex"]

_TEXT_MAP = {
    "\\": r"$\backslash$", "_": r"$\_$", "&": r"$\&$", "%": r"$\%$", "#": r"$\#$", "$": r"$\$$",
    "{": r"$\lbrace$", "}": r"$\rbrace$", "^": r"$\hat{}$", "~": r"$\sim$", "<": "$<$", ">": "$>$", "|": r"$|$",
    "‖": r"$\|$", "∫": r"$\int$", "∑": r"$\sum$", "∏": r"$\prod$", "∇": r"$\nabla$", "∂": r"$\partial$",
    "−": "$-$", "·": r"$\cdot$", "×": r"$\times$", "≥": r"$\geq$", "≤": r"$\leq$", "≠": r"$\neq$",
    "≈": r"$\approx$", "≪": r"$\ll$", "∞": r"$\infty$", "→": r"$\to$", "↦": r"$\mapsto$", "⇒": r"$\Rightarrow$",
    "∈": r"$\in$", "∉": r"$\notin$", "⊂": r"$\subset$", "…": r"$\ldots$", "√": r"$\surd$", "±": r"$\pm$",
    "ℝ": r"$\mathbb{R}$", "ℕ": r"$\mathbb{N}$", "Δ": r"$\Delta$", "∅": r"$\emptyset$", "∘": r"$\circ$",
    "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "…": r"$\ldots$", "\u00a0": "~", "½": "$1/2$", "⁄": "/",
}
# runs of Unicode sub/superscripts become one script group (Lᵢᵢ → L$_{ii}$, Σ⁻¹ → $\Sigma^{-1}$)
_SUP = {"²": "2", "³": "3", "¹": "1", "⁰": "0", "⁴": "4", "ⁿ": "n", "⁻": "-", "⁺": "+", "ᵀ": r"\mathsf{T}",
        "ᵈ": "d", "ᵏ": "k", "ⁱ": "i"}
_SUB = {"ᵢ": "i", "ⱼ": "j", "ₖ": "k", "ₙ": "n", "ₘ": "m", "₀": "0", "₁": "1", "₂": "2", "₃": "3", "ₚ": "p",
        "ₓ": "x", "ₜ": "t"}
#: combining accents after a letter (p̂, t̃) → the math accent over it
_ACCENTS = {"\u0302": "hat", "\u0303": "tilde", "\u0304": "bar"}
_GREEK_VARIANTS = {"final sigma": "varsigma", "lamda": "lambda"}
#: the Greek letters LaTeX has a macro for (an archaic letter such as sampi has none: it is text)
_GREEK_MACROS = set("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma "
                    "varsigma tau upsilon phi chi psi omega digamma".split()) - {"omicron"}
_GREEK_CAPITALS = set("Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split())
# while text is assembled, math is delimited by _M, not $ (an escaped \$ inside math must not be taken for
# a delimiter when adjacent segments merge); characters a user cannot pass (control characters are
# dropped first) mark scripts and subscripts
_M = "\x06"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
#: what a character outside the tables may decompose to (NFKD of a fullwidth ＼ is \\ : never let it through)
_SAFE_ASCII = re.compile(r"[^A-Za-z0-9 ()+\-.,:;/'!?*=@\[\]\"`]")


def _math(v: str) -> str:
    return _M + v[1:-1] + _M if len(v) > 1 and v.startswith("$") and v.endswith("$") else v


_TEXT_MATH = {k: _math(v) for k, v in _TEXT_MAP.items()}


def _char_latex(c: str) -> str:
    if c in _TEXT_MATH:
        return _TEXT_MATH[c]
    if ord(c) < 128:
        return c
    name = unicodedata.name(c, "")
    m = re.match(r"GREEK (SMALL|CAPITAL) LETTER (\w+(?: \w+)?)$", name)
    if m:
        letter = _GREEK_VARIANTS.get(m.group(2).lower(), m.group(2).lower())
        if m.group(1) == "CAPITAL":
            letter = letter.capitalize()
            if letter in ("Alpha", "Beta", "Epsilon", "Zeta", "Eta", "Iota", "Kappa", "Mu", "Nu", "Omicron",
                          "Rho", "Tau", "Chi"):  # capitals that look Latin have no macro
                return {"Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H", "Iota": "I",
                        "Kappa": "K", "Mu": "M", "Nu": "N", "Omicron": "O", "Rho": "P", "Tau": "T",
                        "Chi": "X"}[letter]
        if letter in _GREEK_MACROS or letter in _GREEK_CAPITALS:
            return _M + "\\%s" % letter + _M
        if letter == "omicron":
            return "o"
    decomposed = unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode()
    return _SAFE_ASCII.sub("?", decomposed) or "?"


def text_to_latex(s: str) -> str:
    r"""Plain (Unicode) text → LaTeX text safe in ``\text{}`` for pdflatex and for MathJax.

    ``E_P`` becomes ``E$_{P}$``; Unicode mathematics becomes ``$…$``. Every TeX special character is
    escaped, line breaks and other control characters become spaces (a blank line would end ``\text{}``),
    so user text (a symbol's name, a proof's name) cannot inject LaTeX.

    >>> text_to_latex("E_P[c] = c, ∫ dν ≥ 0")
    'E$_{P}$[c] = c, $\\int$ d$\\nu$ $\\geq$ 0'
    >>> text_to_latex("x}\\input{/etc/passwd}")
    'x$\\rbrace\\backslash$input$\\lbrace$/etc/passwd$\\rbrace$'
    """
    s = _CONTROL.sub(" ", str(s).replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " "))
    s = s.replace("||", "‖")
    s = re.sub("[%s]+" % "".join(_SUP), lambda m: "\x02" + "".join(_SUP[c] for c in m.group(0)) + "\x03", s)
    s = re.sub("[%s]+" % "".join(_SUB), lambda m: "\x04" + "".join(_SUB[c] for c in m.group(0)) + "\x03", s)
    # a subscript of letters or digits, Greek ones included (Q_θ → Q$_{\theta}$)
    s = re.sub(r"(?<=[^\s_])_([^\W_]+)", lambda m: "\x00" + m.group(1) + "\x01", s)
    out, script, sub, i = [], False, False, 0
    while i < len(s):
        c = s[i]
        i += 1
        if c in "\x02\x04":
            script = True
            out.append(_M + ("^{" if c == "\x02" else "_{"))
        elif c == "\x03":
            script = False
            out.append("}" + _M)
        elif c in "\x00\x01":
            sub = c == "\x00"
            out.append(_M + "_{" if sub else "}" + _M)
        elif script:
            out.append(c)
        elif i < len(s) and s[i] in _ACCENTS:  # p̂, t̃: a letter and its combining accent
            accent = "\\%s{%s}" % (_ACCENTS[s[i]], _char_latex(c).strip(_M))
            out.append(accent if sub else _M + accent + _M)
            i += 1
        elif sub:  # inside a subscript the text is already math: a Greek letter without its own $…$
            piece = _char_latex(c).strip(_M)
            if out and piece[:1].isalpha() and re.search(r"\\[A-Za-z]+$", out[-1]):
                out.append(" ")  # Q_θx: \theta x, not the undefined \thetax
            out.append(piece)
        else:
            out.append(_char_latex(c))
    # adjacent math segments merge ($a$$b$ would be display math)
    return "".join(out).replace(_M + _M, "").replace(_M, "$")



# -- justifications in the paper's notation -----------------------------------------------------------
_GREEK_WORDS = "alpha|beta|gamma|delta|epsilon|eta|theta|kappa|lambda|mu|nu|xi|pi|rho|sigma|tau|phi|chi|psi|omega"
_GREEK_CHAR = {w: unicodedata.lookup(f"GREEK SMALL LETTER {'LAMDA' if w == 'lambda' else w.upper()}")
               for w in _GREEK_WORDS.split("|")}
_DIGIT_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
#: internals a reader of a derivation does not need (how SymPy got there), dropped from the words
_INTERNALS = [
    (re.compile(r",? so the Piecewise that diff adds for classes outside the sum resolves"), ""),
    (re.compile(r"\blebesgue\b"), "Lebesgue"),
]


def _greek(m: re.Match) -> str:
    word, rest = m.group(1), m.group(2) or ""
    letter = _GREEK_CHAR.get(word.lower())
    if letter is None:
        return m.group(0)
    if word[0].isupper():
        letter = {"sigma": "Σ", "lambda": "Λ", "gamma": "Γ", "delta": "Δ", "theta": "Θ", "phi": "Φ", "psi": "Ψ",
                  "omega": "Ω", "pi": "Π", "xi": "Ξ"}.get(word.lower(), letter)
    return letter + rest.translate(_DIGIT_SUB)


def rule_words(rule: str) -> str:
    """A justification as a paper writes it: SymPy code fragments ((mu1 - mu2).T*Sigma2**(-1)) and ASCII
    names (muP, Sigma_Q, L L^T) become the notation of the formulas (μ₁, Σ₂⁻¹, (μ₁ − μ₂)ᵀ, LLᵀ), and
    remarks about SymPy's internals are dropped.

    >>> rule_words("instantiate: Sigma_P = L L^T (its Cholesky factor)")
    'instantiate: Σ_P = LLᵀ (its Cholesky factor)'
    >>> rule_words("the term (mu1 - mu2).T*(Sigma2**(-1))*(mu1 - mu2)/2")
    'the term (μ₁ − μ₂)ᵀ(Σ₂⁻¹)(μ₁ − μ₂)/2'
    >>> rule_words("log(Determinant(Sigma2))/2 and Trace(Sigma2**(-1)*Sigma1)")
    'log det(Σ₂)/2 and tr(Σ₂⁻¹Σ₁)'
    """
    s = rule
    for pattern, repl in _INTERNALS:
        s = pattern.sub(repl, s)
    s = s.replace("L L^T", "LLᵀ").replace("^T", "ᵀ").replace(".T", "ᵀ")
    s = s.replace("**(-1)", "⁻¹").replace("**2", "²")
    s = re.sub(r"Determinant\(", "det(", s)
    s = re.sub(r"\blog\(det\(([^()]*)\)\)", r"log det(\1)", s)
    s = re.sub(r"Trace\(", "tr(", s)
    s = re.sub(r"(?<=[\w)ᵀ⁻¹])\*(?=[\w(])", "", s)  # products written by juxtaposition
    s = re.sub(r"(?<=\w) - (?=\w)", " − ", s)
    # ASCII Greek names: mu1 → μ₁, Sigma2 → Σ₂, muP/mu_P → μ_P (a bare word such as "mu" too)
    words = "|".join([_GREEK_WORDS, "Sigma|Lambda|Gamma|Delta|Theta|Phi|Psi|Omega"])
    s = re.sub(r"(?<![A-Za-z0-9_])(%s)(\d+)?(?=[PQ]\b|_|[^A-Za-z]|$)" % words, _greek, s)
    s = re.sub(r"(?<=[μΣσηθλ])([PQ])\b", r"_\1", s)
    return s
