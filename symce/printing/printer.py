r"""One LaTeX printer for symce's notation, and the LaTeX/Markdown forms of derivations and proofs.

Notation (following the measure-theoretic source):

* quantities :math:`H(P, Q)` (or :math:`H_{\mathrm{ce}}(P, Q)`), :math:`H(P)`,
  :math:`\mathbb{KL}(P \,\|\, Q)`, expectations :math:`\mathbb{E}_{p}[\,\cdot\,]`, gradients
  :math:`\frac{\partial}{\partial z}`, :math:`\nabla_{\mu, \sigma}`;
* families :math:`\mathrm{Bern}(p)`, :math:`\mathrm{Bern}(\sigma(z))`, :math:`\mathcal{N}(\mu, \sigma^2)`,
  :math:`\mathrm{Cat}(\boldsymbol{p})`, :math:`\mathrm{Cat}(\operatorname{softmax}(\boldsymbol{z}))`,
  :math:`\mathcal{N}(\boldsymbol{\mu}, \Sigma)`;
* σ, softplus, logsumexp, softmax, xlogy, … as named operators; ``log`` or ``ln``.

:class:`SymceLatexPrinter` subclasses SymPy's ``LatexPrinter``: every sub-expression goes through
``self._print`` (never ``str``). Its settings, on top of SymPy's:

``ce_notation``  ``"H"`` (default) or ``"H_ce"``: how cross-entropy is written;
``log_notation`` ``"log"`` (default) or ``"ln"``;
``expectation``  the subscript of :math:`\mathbb{E}` (default ``"p"``).

>>> import sympy as sp
>>> from symce import Normal
>>> mu, s = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
>>> latex(Normal(mu, s))
'\\mathcal{N}\\left(\\mu, \\sigma^{2}\\right)'
>>> latex(sp.log(s), log_notation="ln")
'\\ln{\\left(\\sigma \\right)}'

The text of a justification is made safe for both pdflatex and MathJax (Jupyter) by
:func:`text_to_latex`: special characters and Unicode mathematics become ``$…$`` inside ``\text{}``,
which both understand (MathJax does not run text-mode macros such as ``\_``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any, Iterable

import sympy as sp
from sympy.printing.latex import LatexPrinter

from symce.core.family import Family
from symce.engine.derivation import Derivation
from symce.engine.proof import Proof

__all__ = [
    "SymceLatexPrinter", "latex", "text_to_latex", "quantity_latex", "derivation_latex", "proof_latex",
    "derivation_markdown", "proof_markdown", "latex_width",
]

# -- named operators -----------------------------------------------------------------------------------
#: SymPy function class name -> LaTeX operator. σ-like functions print as symbols, the rest upright.
NAMED_OPERATORS = {
    "sigmoid": r"\sigma",
    "softplus": r"\operatorname{softplus}",
    "logsumexp": r"\operatorname{logsumexp}",
    "LogSumExp": r"\operatorname{logsumexp}",
    "softmax": r"\operatorname{softmax}",
    "log_sigmoid": r"\log\sigma",
    "logsigmoid": r"\log\sigma",
    "LogSigmoid": r"\log\sigma",
    "xlogy": r"\operatorname{xlogy}",
    "xlog1py": r"\operatorname{xlog1py}",
    "log1pmx": r"\operatorname{log1pmx}",
    "log1p": r"\operatorname{log1p}",
    "expm1": r"\operatorname{expm1}",
}

# symbols named like the catalog's ``p1_2`` (distribution 1, entry 2) or ``L1_21`` (entry (2, 1))
_INDEXED_NAME = re.compile(r"^([A-Za-z]+)(\d+)_(\d+)$")


class SymceLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with symce's notation (see the module docstring for the settings)."""

    printmethod = "_latex"
    _default_settings = {
        **LatexPrinter._default_settings,
        "ce_notation": "H",
        "log_notation": "log",
        "expectation": "p",
    }

    def __init__(self, settings: dict | None = None):
        settings = dict(settings or {})
        if settings.get("ce_notation", "H") not in ("H", "H_ce"):
            raise ValueError(f"ce_notation must be 'H' or 'H_ce', not {settings['ce_notation']!r}")
        if settings.get("log_notation", "log") not in ("log", "ln"):
            raise ValueError(f"log_notation must be 'log' or 'ln', not {settings['log_notation']!r}")
        if settings.get("log_notation") == "ln":
            settings["ln_notation"] = True
        super().__init__(settings)
        self._memo: dict = {}

    def _print(self, expr, **kwargs):
        # Memoised: documents print the same sub-expressions many times (whole line, then its terms
        # while breaking it); SymPy's printing is a pure function of (expression, settings).
        if kwargs or not isinstance(expr, sp.Basic):
            return self._print_symce(expr, **kwargs)
        try:
            return self._memo[expr]
        except KeyError:
            pass
        except TypeError:  # unhashable
            return self._print_symce(expr)
        if len(self._memo) > 50_000:
            self._memo.clear()
        out = self._memo[expr] = self._print_symce(expr)
        return out

    # symce's own notation wins over a class's ``_latex`` so that the options apply everywhere
    def _print_symce(self, expr, **kwargs):
        name = type(expr).__name__
        if name == "Expect":
            return self._print_Expect(expr)
        if name in NAMED_OPERATORS and isinstance(expr, sp.Function):
            return self._print_named_operator(expr, **kwargs)
        if name == "QuadraticForm":
            return self._print_QuadraticForm(expr)
        return super()._print(expr, **kwargs)

    def _print_QuadraticForm(self, expr):
        # vᵀ A v of the multivariate normal (a scalar Expr with its own _latex writing ^{T})
        v, A = expr.args
        vt = self._print(v)
        if not isinstance(v, sp.MatrixSymbol):
            vt = r"\left(%s\right)" % vt
        return r"%s^{\mathsf{T}} %s %s" % (vt, self._print(A), vt)

    def _print_MatrixSymbol(self, expr):
        # a column vector (a mean) in bold, as in N(μ, Σ)
        rows, cols = expr.shape
        if cols == 1 and rows != 1:
            return self._bold(expr.name)
        return super()._print_MatrixSymbol(expr)

    def _bold(self, name: str) -> str:
        """``\\boldsymbol`` on the base only (μ₁ → \\boldsymbol{\\mu}_{1}); SymPy's bold style uses
        ``\\mathbf``, which leaves Greek letters upright and not bold."""
        tex = self._deal_with_super_sub(name)
        m = re.match(r"^(\\[A-Za-z]+|[A-Za-z])(.*)$", tex)
        return r"\boldsymbol{%s}%s" % (m.group(1), m.group(2)) if m else r"\boldsymbol{%s}" % tex

    def _print_Expect(self, expr):
        return r"\mathbb{E}_{%s}\left[%s\right]" % (self._settings["expectation"], self._print(expr.args[0]))

    def _print_named_operator(self, expr, exp=None):
        op = NAMED_OPERATORS[type(expr).__name__]
        args = ", ".join(self._print(a) for a in expr.args)
        head = op if exp is None else r"%s^{%s}" % (op, exp)
        return r"%s\left(%s\right)" % (head, args)

    def _print_Symbol(self, expr, style="plain"):
        m = _INDEXED_NAME.match(expr.name)
        if m and expr.name not in self._settings.get("symbol_names", {}):
            base, dist, entry = m.groups()
            return r"%s_{%s,%s}" % (self._deal_with_super_sub(base), dist, entry)
        return super()._print_Symbol(expr, style=style)

    def _print_Determinant(self, expr, exp=None):
        arg = expr.args[0]
        inner = self._print(arg)
        if not isinstance(arg, sp.MatrixSymbol):
            inner = r"\left(%s\right)" % inner
        tex = r"\det %s" % inner
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)

    def _print_Transpose(self, expr):
        arg = expr.arg
        inner = self._print(arg)
        if not isinstance(arg, sp.MatrixSymbol):
            inner = r"\left(%s\right)" % inner
        return r"%s^{\mathsf{T}}" % inner

    def _print_IndexedBase(self, expr):
        # a whole vector of parameters (symbolic number of classes): bold, as in Cat(p)
        return self._bold(str(expr.label))

    def _print_Indexed(self, expr):
        # an element p[i] is not bold; a base named z_P gives z_{P,i}, not the double subscript z_{P}_{i}
        base = self._deal_with_super_sub(str(expr.base.label))
        idx = ",".join(self._print(i) for i in expr.indices)
        m = re.match(r"^(.*)_\{([^{}]*)\}$", base)
        if m:
            return r"%s_{%s,%s}" % (m.group(1), m.group(2), idx)
        return r"%s_{%s}" % (base, idx)

    def _print_AppliedPredicate(self, expr):
        # assumptions on a covariance: Q.symmetric(Σ), Q.positive_definite(Σ)
        name, args = str(expr.function), [self._print(a) for a in expr.arguments]
        if name == "Q.symmetric" and len(args) == 1:
            return r"%s = %s^{\mathsf{T}}" % (args[0], args[0])
        if name == "Q.positive_definite" and len(args) == 1:
            return r"%s \succ 0" % args[0]
        return r"\text{%s}\left(%s\right)" % (text_to_latex(name.replace("Q.", "")), ", ".join(args))

    def _print_KroneckerDelta(self, expr, exp=None):
        tex = r"\delta_{%s,%s}" % (self._print(expr.args[0]), self._print(expr.args[1]))
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)

    def _print_BooleanTrue(self, expr):
        return r"\text{true}"

    # -- families ------------------------------------------------------------------------------------
    def _print_Family(self, f) -> str:
        name = type(f).__name__
        params = f.parameters
        if name == "Bernoulli":
            if "logit" in params:
                return r"\mathrm{Bern}\left(\sigma\left(%s\right)\right)" % self._print(params["logit"])
            return r"\mathrm{Bern}\left(%s\right)" % self._print(params["p"])
        if name == "Normal":
            return r"\mathcal{N}\left(%s, %s\right)" % (self._print(params["mu"]), self._print(params["sigma"] ** 2))
        if name == "Categorical":
            return self._print_categorical(f, params)
        if name == "MultivariateNormal":
            return self._print_mvn(params)
        args = ", ".join(self._vector(v) for v in params.values())
        return r"\mathrm{%s}\left(%s\right)" % (name, args)

    def _print_categorical(self, f, params) -> str:
        logits = "z" in params or "logits" in params
        if "z" in params or "p" in params:  # symbolic number of classes: an IndexedBase
            vec = self._print(params.get("z", params.get("p")))
        else:
            vec = self._vector(params.get("logits", params.get("probs")), parens=False)
        if logits:
            vec = r"\operatorname{softmax}\left(%s\right)" % vec
        return r"\mathrm{Cat}\left(%s\right)" % vec

    def _print_mvn(self, params) -> str:
        mu = params["mu"]
        if isinstance(mu, sp.MatrixBase):
            name = _common_name(mu)
            mu_tex = self._bold(name) if name else self._vector(list(mu), column=True)
        else:
            mu_tex = self._print(mu)
        if params.get("L") is not None:
            L = params["L"]
            name = _common_name(L)
            Lt = self._print(sp.Symbol(name)) if name else self._print(L)
            cov = r"%s %s^{\mathsf{T}}" % (Lt, Lt)
        else:
            S = params["Sigma"]
            name = _common_name(S) if isinstance(S, sp.MatrixBase) else None
            cov = self._print(sp.Symbol(name)) if name else self._print(S)
        return r"\mathcal{N}\left(%s, %s\right)" % (mu_tex, cov)

    def _vector(self, v, parens: bool = True, column: bool = False) -> str:
        """A parameter vector, shortened with … beyond six entries."""
        if not isinstance(v, (list, tuple)):
            return self._print(v)
        items = [self._print(x) for x in v]
        if len(items) > 6:
            items = items[:2] + [r"\ldots"] + items[-1:]
        body = ", ".join(items)
        if column:
            return r"\left(%s\right)^{\mathsf{T}}" % body
        return r"\left(%s\right)" % body if parens else body


def _common_name(M) -> str | None:
    """"mu1" when every symbol entry of ``M`` is named like mu1_i / mu1_ij (the catalog's convention),
    so a family prints as N(μ₁, L₁L₁ᵀ) with entries μ_{1,i}, L_{1,ij} in the results; else None."""
    names = set()
    for e in M:
        if e == 0:
            continue
        m = _INDEXED_NAME.match(e.name) if isinstance(e, sp.Symbol) else None
        if m is None:
            return None
        names.add(m.group(1) + m.group(2))
    return names.pop() if len(names) == 1 else None


_PRINTERS: dict = {}


def printer(**settings) -> SymceLatexPrinter:
    """A (cached) printer for these settings."""
    key = tuple(sorted(settings.items()))
    try:
        return _PRINTERS[key]
    except KeyError:
        p = _PRINTERS[key] = SymceLatexPrinter(settings)
        return p
    except TypeError:  # unhashable setting values: no cache
        return SymceLatexPrinter(settings)


def latex(obj, **settings) -> str:
    r"""LaTeX for an expression, a family, a derivation or a proof, in symce's notation.

    >>> import sympy as sp
    >>> from symce import sigmoid
    >>> latex(sigmoid(sp.Symbol("z")) - sp.Symbol("t"))
    '- t + \\sigma\\left(z\\right)'
    """
    if isinstance(obj, Derivation):
        return derivation_latex(obj, **settings)
    if isinstance(obj, Proof):
        return proof_latex(obj, **settings)
    p = printer(**settings)
    if isinstance(obj, Family):
        return p._print_Family(obj)
    return p.doprint(obj)


# -- text inside \text{} -----------------------------------------------------------------------------
_TEXT_MAP = {
    "\\": r"$\backslash$", "_": r"$\_$", "&": r"$\&$", "%": r"$\%$", "#": r"$\#$", "$": r"$\$$",
    "{": r"$\{$", "}": r"$\}$", "^": r"$\hat{}$", "~": r"$\sim$", "<": "$<$", ">": "$>$", "|": r"$|$",
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
_GREEK_VARIANTS = {"final sigma": "varsigma", "lamda": "lambda"}


def _char_latex(c: str) -> str:
    if c in _TEXT_MAP:
        return _TEXT_MAP[c]
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
        return "$\\%s$" % letter
    decomposed = unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode()
    return decomposed or "?"


def text_to_latex(s: str) -> str:
    r"""Plain (Unicode) text → LaTeX text safe in ``\text{}`` for pdflatex and for MathJax.

    ``E_P`` becomes ``E$_{P}$``; Unicode mathematics becomes ``$…$``.

    >>> text_to_latex("E_P[c] = c, ∫ dν ≥ 0")
    'E$_{P}$[c] = c, $\\int$ d$\\nu$ $\\geq$ 0'
    """
    s = s.replace("||", "‖")
    s = re.sub("[%s]+" % "".join(_SUP), lambda m: "\x02" + "".join(_SUP[c] for c in m.group(0)) + "\x03", s)
    s = re.sub("[%s]+" % "".join(_SUB), lambda m: "\x04" + "".join(_SUB[c] for c in m.group(0)) + "\x03", s)
    s = re.sub(r"(?<=[^\s_])_([A-Za-z0-9]+)", lambda m: "\x00" + m.group(1) + "\x01", s)
    out, script = [], False
    for c in s:
        if c in "\x02\x04":
            script = True
            out.append("$^{" if c == "\x02" else "$_{")
        elif c == "\x03":
            script = False
            out.append("}$")
        elif c in "\x00\x01":
            out.append("$_{" if c == "\x00" else "}$")
        else:
            out.append(c if script else _char_latex(c))
    out = "".join(out)
    return out.replace("$$", "")  # adjacent math segments merge ($a$$b$ would be display math)


# -- quantities: "H(P, Q)", "KL(P || Q)", "∂/∂z H(P, Q)", "∇_(mu2, sigma2) KL(P || Q)" ----------------------
def _base_quantity(s: str, p: SymceLatexPrinter) -> str | None:
    key = s.replace(" ", "").replace("‖", "||")
    ce = r"H_{\mathrm{ce}}" if p._settings["ce_notation"] == "H_ce" else "H"
    table = {
        "H(P,Q)": ce + "(P, Q)", "H(P)": "H(P)", "H(Q)": "H(Q)", "H(Q,P)": ce + "(Q, P)",
        "KL(P||Q)": r"\mathbb{KL}(P \,\|\, Q)", "KL(Q||P)": r"\mathbb{KL}(Q \,\|\, P)",
        "KL(P||P)": r"\mathbb{KL}(P \,\|\, P)",
    }
    return table.get(key)


def _lookup(name: str, symbols: dict, p: SymceLatexPrinter) -> str:
    name = name.strip()
    if name in symbols:
        return p._print(symbols[name])
    return r"\text{%s}" % text_to_latex(name)


def quantity_latex(s: str, symbols: dict | None = None, **settings) -> str:
    r"""The LaTeX of a quantity's name such as ``"KL(P || Q)"`` or ``"∂/∂z H(P, Q)"``.

    ``symbols`` maps the names of differentiation variables to their SymPy objects (so ``mu2`` prints as
    :math:`\mu_2`); unknown names are printed as text, never parsed.

    >>> quantity_latex("KL(P || Q)")
    '\\mathbb{KL}(P \\,\\|\\, Q)'
    """
    p = printer(**settings)
    symbols = symbols or {}
    s = s.strip()
    base = _base_quantity(s, p)
    if base is not None:
        return base
    m = re.match(r"^∂/∂(.+?) (.+)$", s)
    if m:
        return r"\frac{\partial}{\partial %s} %s" % (_lookup(m.group(1), symbols, p), quantity_latex(m.group(2), symbols, **settings))
    m = re.match(r"^∇(²?)_\((.*)\) (.+)$", s)
    if m:
        names = _split_names(m.group(2))
        wrt = ", ".join(_lookup(n, symbols, p) for n in names)
        sq = "^{2}" if m.group(1) else ""
        return r"\nabla%s_{%s} %s" % (sq, wrt, quantity_latex(m.group(3), symbols, **settings))
    # a statement such as "KL(P‖Q) = H(P,Q) − H(P)" or "∇_Q H(P, Q) = 0 at Q = P"
    parts = re.split(r"(\s*[=−+-]\s*)", s)
    if len(parts) > 1:
        tex = []
        for part in parts:
            op = part.strip()
            if op in ("=", "+", "-", "−"):
                tex.append({"−": " - ", "-": " - ", "+": " + ", "=": " = "}[op])
            elif part:
                tex.append(quantity_latex(part, symbols, **settings))
        return "".join(tex)
    if s in symbols:
        return p._print(symbols[s])
    if re.fullmatch(r"-?\d+", s):
        return s
    m = re.match(r"^∇_Q (.+)$", s)
    if m:
        return r"\nabla_{Q} %s" % quantity_latex(m.group(1), symbols, **settings)
    m = re.match(r"^(.+?) at (.+)$", s)
    if m:
        return r"%s \text{ at } %s" % (quantity_latex(m.group(1), symbols, **settings),
                                      quantity_latex(m.group(2), symbols, **settings))
    if re.fullmatch(r"[PQ]", s):
        return s
    return r"\text{%s}" % text_to_latex(s)


def _split_names(s: str) -> list[str]:
    """Split "a, b[m], c" at top-level commas (an index may itself contain commas)."""
    out, depth, cur = [], 0, ""
    for c in s:
        depth += c in "[(" and 1 or 0
        depth -= c in "])" and 1 or 0
        if c == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += c
    return [x.strip() for x in out + [cur] if x.strip()]


def _symbol_table(*exprs) -> dict:
    """name -> object for every Symbol, Indexed and MatrixSymbol appearing in ``exprs``."""
    out: dict = {}
    for e in exprs:
        items = list(e) if isinstance(e, sp.MatrixBase) else [e]
        for x in items:
            if isinstance(x, sp.Basic):
                for a in x.atoms(sp.Symbol, sp.Indexed, sp.MatrixSymbol):
                    out.setdefault(str(a), a)
    return out


def _derivation_symbols(d) -> dict:
    exprs = [d.result] + [s.expr for s in d.steps]
    for dist in getattr(d, "distributions", ()) or ():
        for v in getattr(dist, "parameters", {}).values():
            exprs.extend(v if isinstance(v, (list, tuple)) else [v])
    return _symbol_table(*[e for e in exprs if isinstance(e, (sp.Basic, sp.MatrixBase))])


# -- width estimate (em) and line breaking -------------------------------------------------------------
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


def _expr_lines(expr, p, width, max_ops, max_rows) -> list[str]:
    summary = _shown(expr, p, max_ops, max_rows)
    if summary is not None:
        return [summary]
    if isinstance(expr, sp.MatrixBase) and width is not None and latex_width(p._print(expr)) > width:
        return [r"\text{[a $%d \times %d$ matrix too wide to show; see its entries]}" % expr.shape]
    lines = break_lines(expr, p, width)
    if width is not None and max(latex_width(x) for x in lines) > 1.25 * width:
        # nested fractions that no line break can tame: say so rather than run off the page
        return [r"\text{[an expression of %d operations, too wide to typeset]}" % _ops(expr)]
    return lines


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
    syms = _derivation_symbols(d)
    lhs = quantity_latex(d.lhs, syms, **settings)
    rows = []
    budget = None if width is None else max(width - latex_width(lhs) - 3, 12)
    componentwise = _componentwise(d, p, syms, width, max_ops, justification, numbering, **settings)
    if componentwise is not None:
        return componentwise
    previous = None
    for k, s in enumerate(d.steps):
        if previous is not None and _same(s.expr, previous):
            continue  # a rewrite that changed nothing (e.g. already canonical) adds no line
        previous = s.expr
        tag = _justification(s.rule, justification, numbering)
        if isinstance(s.expr, sp.Eq):  # an auxiliary result used by the next step (a moment)
            lines = _expr_lines(s.expr, p, budget, max_ops, max_rows)
            body = [r"&\qquad\text{with } " + lines[0]] + [r"&\qquad\quad " + x for x in lines[1:]]
        else:
            lines = _expr_lines(s.expr, p, budget, max_ops, max_rows)
            body = [(lhs if not rows else "") + " &= " + lines[0]] + [r"&\qquad " + x for x in lines[1:]]
        body[-1] += tag
        rows.extend(body)
    return rows


def _componentwise(d, p, syms, width, max_ops, justification, numbering, **settings):
    """A gradient too wide for the page as one column vector: one row per partial derivative of the
    final result, tagged with every step's rule. None when the vector fits (or there is no width)."""
    r = d.result
    m = re.match(r"^∇_\((.*)\) (.+)$", d.lhs)
    if width is None or m is None or not isinstance(r, sp.MatrixBase) or r.shape[1] != 1:
        return None
    if latex_width(p._print(r)) <= width - latex_width(quantity_latex(d.lhs, syms, **settings)) - 3:
        return None
    names, inner = _split_names(m.group(1)), quantity_latex(m.group(2), syms, **settings)
    if len(names) != r.shape[0]:
        return None
    tags = [_justification(s.rule, justification, numbering) for s in d.steps]
    tag = ""
    if justification == "numbered" and tags:
        nums = [t.strip()[len(r"\tag*{("):-2] for t in tags]
        tag = r" \tag*{(%s)}" % ", ".join(dict.fromkeys(nums))
    rows = []
    for k, (name, entry) in enumerate(zip(names, r)):
        lhs = r"\frac{\partial %s}{\partial %s}" % (inner, _lookup(name, syms, p))
        budget = max(width - latex_width(lhs) - 3, 12)
        lines = _expr_lines(entry, p, budget, max_ops, 12)
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


def _justification(rule: str, mode: str, numbering: dict | None) -> str:
    if mode == "none":
        return ""
    if mode == "numbered":
        if numbering is None:
            raise ValueError("justification='numbered' needs a numbering dict (rule -> number)")
        n = numbering.setdefault(rule, len(numbering) + 1)
        return r" \tag*{(%d)}" % n
    text = short_rule(rule) if mode == "short" else rule
    if mode not in ("right", "short"):
        raise ValueError(f"justification must be 'right', 'short', 'numbered' or 'none', not {mode!r}")
    return r" && \text{%s}" % text_to_latex(text)


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
    syms = _symbol_table(pf.lhs, pf.rhs)
    budget = None if width is None else max(width - 8, 12)
    rows = []
    if pf.name and header:
        rows.append(r"&\text{claim: } %s" % quantity_latex(pf.name, syms, **settings))
    lhs = _expr_lines(pf.lhs, p, budget, max_ops, max_rows)
    rhs = _expr_lines(pf.rhs, p, budget, max_ops, max_rows)
    rows.append(r"\text{lhs} &= " + lhs[0])
    rows += [r"&\qquad " + x for x in lhs[1:]]
    rows.append(r"\text{rhs} &= " + rhs[0])
    rows += [r"&\qquad " + x for x in rhs[1:]]
    for k, s in enumerate(pf.steps):
        lines = _expr_lines(s.expr, p, budget, max_ops, max_rows)
        head = r"\text{lhs} - \text{rhs}" if k == 0 else ""
        block = [head + " &= " + lines[0]] + [r"&\qquad " + x for x in lines[1:]]
        block[-1] += _justification(s.rule, justification, numbering)
        rows.extend(block)
    if not header:
        return rows
    rows.append(r"&\text{status: %s}" % text_to_latex(pf.status))
    conds = _conditions(list(pf.assumptions))
    if conds:
        rows.append(r"&\text{assuming } " + ",\\ ".join(p._print(c) for c in conds))
    if pf.side_conditions:
        rows.append(r"&\text{side conditions of the rewrites: } "
                    + ",\\ ".join(p._print(c) for c in pf.side_conditions))
    if pf.counterexample:
        pt = pf.counterexample.get("point", {})
        vals = ",\\ ".join(r"%s = %s" % (quantity_latex(str(k), syms, **settings), p._print(v)) for k, v in pt.items())
        rows.append(r"&\text{counterexample at } " + vals)
        rows.append(r"&\qquad \text{lhs} \approx %s,\ \text{rhs} \approx %s"
                    % (_approx(pf.counterexample.get("lhs"), p), _approx(pf.counterexample.get("rhs"), p)))
    if pf.status == "checked numerically":
        rows.append(r"&\text{agrees to %d digits at %d points; no symbolic argument}" % (pf.digits, pf.points))
    return rows


def _approx(v, p) -> str:
    if isinstance(v, list):
        return r"\left(%s\right)" % ", ".join(_approx(x, p) for x in v)
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
    return s.replace("|", "\\|").replace("*", "\\*")


def derivation_markdown(d, **settings) -> str:
    """Markdown: a bold title with the route the engine took, the ``align*`` block in ``$$``, and the
    conditions under which the result holds."""
    out = [f"**{_md(d.lhs)}** — derived by {_md(d.method)}", "", "$$", derivation_latex(d, **settings), "$$"]
    conds = _conditions(getattr(d, "conditions", ()))
    if conds:
        p = printer(**settings)
        out += ["", "valid for: " + ", ".join(f"${p._print(c)}$" for c in conds)]
    if getattr(d, "infinite_reason", None):
        out += ["", f"+∞ because {_md(d.infinite_reason)}"]
    return "\n".join(out)


def proof_markdown(pf, **settings) -> str:
    """Markdown for a proof: its status in bold and the ``align*`` block."""
    title = f"**{_md(pf.name)}**: {pf.status}" if pf.name else f"**{pf.status}**"
    return "\n".join([title, "", "$$", proof_latex(pf, **settings), "$$"])


def conditions_latex(conds: Iterable[Any], **settings) -> str:
    """The side conditions as one inline-math list (empty string when there are none)."""
    p = printer(**settings)
    return ",\\ ".join(p._print(c) for c in _conditions(list(conds)))


def markdown(obj, **settings) -> str:
    """Markdown for a derivation or a proof (math in ``$$`` blocks)."""
    if isinstance(obj, Proof):
        return proof_markdown(obj, **settings)
    return derivation_markdown(obj, **settings)
