r"""symce's LaTeX printer: SymPy's ``LatexPrinter`` with the notation of the measure-theoretic source.

Notation:

* quantities :math:`H(P, Q)` (or :math:`H_{\mathrm{ce}}(P, Q)`), :math:`H(P)`,
  :math:`\mathbb{KL}(P \,\|\, Q)`, expectations :math:`\mathbb{E}_{P}[\,\cdot\,]`, gradients
  :math:`\frac{\partial}{\partial z}`, :math:`\nabla_{\mu, \sigma}`;
* families :math:`\mathrm{Bern}(p)`, :math:`\mathrm{Bern}(\sigma(z))`, :math:`\mathcal{N}(\mu, \sigma^2)`,
  :math:`\mathrm{Cat}(\boldsymbol{p})`, :math:`\mathrm{Cat}(\operatorname{softmax}(\boldsymbol{z}))`,
  :math:`\mathcal{N}(\boldsymbol{\mu}, \Sigma)`;
* σ, softplus, logsumexp, softmax, xlogy, … as named operators; ``log`` or ``ln``.

:class:`SymceLatexPrinter` subclasses SymPy's ``LatexPrinter``: every sub-expression goes through
``self._print`` (never ``str``). Its settings, on top of SymPy's:

``ce_notation``  ``"H"`` (default) or ``"H_ce"``: how cross-entropy is written;
``kl_notation``  ``"KL"`` (default, :math:`\mathbb{KL}`), ``"D_KL"`` (:math:`D_{\mathrm{KL}}`) or ``"D"``;
``log_notation`` ``"log"`` (default) or ``"ln"``;
``expectation``  the subscript of :math:`\mathbb{E}` (default ``"P"``, as the text writes E_P).

The allowed values live in :data:`symce.core.notation.SETTINGS`; another value raises
:class:`~symce.core.notation.NotationError`.

>>> import sympy as sp
>>> from symce import Normal
>>> mu, s = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
>>> printer().doprint(Normal(mu, s))
'\\mathcal{N}\\left(\\mu, \\sigma^{2}\\right)'
>>> printer(log_notation="ln").doprint(sp.log(s))
'\\ln{\\left(\\sigma \\right)}'

Categorical logits are one vector, and softmax(a; z₁…z_k) — the probability of the class of logit a — is
an entry of the softmax of that vector:

>>> from symce import Categorical
>>> from symce.numeric.functions import softmax
>>> z1, z2 = sp.symbols("z1 z2", real=True)
>>> print(printer().doprint(Categorical.from_logits([z1, z2])))
\mathrm{Cat}\left(\operatorname{softmax}\left(\left(z_{1}, z_{2}\right)^{\mathsf{T}}\right)\right)
>>> print(printer().doprint(softmax(z2, z1, z2)))
\operatorname{softmax}\left(\left(z_{1}, z_{2}\right)^{\mathsf{T}}\right)_{2}
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

from symce.core.notation import INDEXED_NAME, KINDS, check_settings, latex_bold, latex_head, latex_roles, latex_vector
from symce.printing.names import NAME_LETTERS, name_latex
from symce.printing.stable import StableFunctionLatex
from symce.printing.text import text_to_latex

__all__ = ["SymceLatexPrinter", "printer", "NAMED_OPERATORS"]

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



class SymceLatexPrinter(StableFunctionLatex, LatexPrinter):
    """SymPy's LaTeX printer with symce's notation (see the module docstring for the settings); the stable
    functions' notation is :mod:`symce.printing.stable`'s."""

    printmethod = "_latex"
    _default_settings = {
        **LatexPrinter._default_settings,
        "ce_notation": "H",
        "kl_notation": "KL",
        "log_notation": "log",
        "expectation": "P",
    }

    def __init__(self, settings: dict | None = None):
        settings = dict(settings or {})
        check_settings(settings)  # the one list of notation settings and their values (core.notation)
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

    # SymPy's dispatch, with one change: a ``_print_<Class>`` of this printer for the object's exact class
    # wins over the class's own ``_latex`` (Expect, QuadraticForm carry one for plain SymPy printers), so
    # symce's notation and settings apply everywhere; σ, softplus, … are named operators
    def _print_symce(self, expr, **kwargs):
        if isinstance(expr, AppliedUndef):  # f = Function("Add"): printed as a function, never by its name's printer
            return self._print_Function(expr, **kwargs)
        own = getattr(self, "_print_" + type(expr).__name__, None)
        if own is not None and hasattr(expr, self.printmethod):
            return own(expr, **kwargs)
        if type(expr).__name__ in NAMED_OPERATORS and isinstance(expr, sp.Function):
            return self._print_named_operator(expr, **kwargs)
        return super()._print(expr, **kwargs)

    def _as_ordered_terms(self, expr, order=None):
        # SymPy orders terms by symbol names as strings (p1_10 before p1_2); entries named like p1_2 are
        # ordered by their numbers instead (zero-padded while SymPy sorts, then put back)
        terms = super()._as_ordered_terms(expr, order=order)
        named = [s for s in expr.free_symbols if isinstance(s, sp.Symbol) and INDEXED_NAME.match(s.name)]
        if not any(len(INDEXED_NAME.match(s.name).group(3)) > 1 for s in named):
            return terms
        padded = {s: sp.Symbol(_padded(s.name), **s.assumptions0) for s in named}
        back = {v: k for k, v in padded.items()}
        return [t.xreplace(back) for t in super()._as_ordered_terms(expr.xreplace(padded), order=order)]

    def _print_QuadraticForm(self, expr, exp=None):
        # vᵀ A v of the multivariate normal (a scalar Expr with its own _latex writing ^{T})
        v, A = expr.args
        vt = self._print(v)
        if not isinstance(v, sp.MatrixSymbol):
            vt = r"\left(%s\right)" % vt
        tex = r"%s^{\mathsf{T}} %s %s" % (vt, self._print(A), vt)
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)

    def _print_MatrixSymbol(self, expr):
        # a column vector (a mean) in bold, as in N(μ, Σ)
        rows, cols = expr.shape
        if cols == 1 and rows != 1:
            return self._bold(expr.name)
        return super()._print_MatrixSymbol(expr)

    def _print_Expect(self, expr, exp=None):
        tex = r"\mathbb{E}_{%s}\left[%s\right]" % (self._settings["expectation"], self._print(expr.args[0]))
        return tex if exp is None else r"%s^{%s}" % (tex, exp)

    def _print_named_operator(self, expr, exp=None):
        if type(expr).__name__ == "softmax" and len(expr.args) >= 2:
            return self._print_softmax_entry(expr, exp)
        op = NAMED_OPERATORS[type(expr).__name__]
        args = ", ".join(self._print(a) for a in expr.args)
        head = op if exp is None else r"%s^{%s}" % (op, exp)
        return r"%s\left(%s\right)" % (head, args)

    def _print_softmax_entry(self, expr, exp=None):
        # softmax(a; z₁…z_k) is one entry of the softmax of the logit vector: softmax((z₁…z_k)ᵀ)_i where
        # a = z_i (written as the k + 1 arguments it takes, it would read like a vector of k + 1 entries)
        a, zs = expr.args[0], list(expr.args[1:])
        if a in zs:
            tex = r"\operatorname{softmax}\left(%s\right)_{%d}" % (latex_vector(self, zs, column=True),
                                                                    zs.index(a) + 1)
        else:
            tex = self._print(sp.exp(a) / sp.Add(*[sp.exp(z) for z in zs]))
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)

    # -- names: user text. Every name (Symbol, Dummy, MatrixSymbol, IndexedBase, undefined Function) reaches
    # LaTeX through _deal_with_super_sub; an ordinary name prints as SymPy prints it, any other as escaped
    # text (symce.printing.names), so a name cannot inject a control sequence or unbalance a document
    def _deal_with_super_sub(self, string, style="plain"):
        return name_latex(string, lambda s: super(SymceLatexPrinter, self)._deal_with_super_sub(s, style=style))

    def _bold(self, name: str) -> str:
        # latex_bold splits a leading macro off (\boldsymbol{\mu}_{1}); an escaped name is bold as a whole
        # (an escaped name, \hat{x}, \left|x\right| are bold as a whole)
        tex = self._deal_with_super_sub(name)
        m = re.match(r"^(?:[A-Za-z]|\\([A-Za-z]+))(?:[_^'].*)?$", tex)
        if m and (m.group(1) is None or m.group(1) in NAME_LETTERS):
            return latex_bold(self, name)
        return r"\boldsymbol{%s}" % tex

    def _print_Str(self, expr):
        return name_latex(expr.name, str)

    def emptyPrinter(self, expr):
        # text and other objects print as SymPy prints them (monospace text), escaped by text_to_latex, which
        # also drops line breaks (SymPy's latex_escape keeps them: a blank line inside \text{} stops pdflatex)
        return r"\mathtt{\text{%s}}" % text_to_latex(str(expr))

    def _print_Function(self, expr, exp=None):
        # an undefined function f(x) prints by its name; SymPy formats that name with % (a name with a % in
        # it would raise), so an escaped name is assembled here instead
        if isinstance(expr, AppliedUndef) and not _PLAIN_FUNCTION.fullmatch(expr.func.__name__):
            head = self._hprint_Function(expr.func.__name__)
            if exp is not None:
                head = r"%s^{%s}" % (self.parenthesize_super(head), exp)
            return head + r"{\left(" + ",".join(self._print(a) for a in expr.args) + r" \right)}"
        return super()._print_Function(expr, exp=exp)

    def _print_Symbol(self, expr, style="plain"):
        m = INDEXED_NAME.match(expr.name)
        if m and expr.name not in self._settings.get("symbol_names", {}):
            base, dist, entry = m.groups()
            return r"%s_{%s,%s}" % (self._deal_with_super_sub(base), dist, entry)
        primes = len(expr.name) - len(expr.name.rstrip("'"))
        if primes and expr.name not in self._settings.get("symbol_names", {}) \
                and re.fullmatch(r"[A-Za-z0-9_]+", expr.name.rstrip("'")):
            # θ' = (mu', sigma'): SymPy would print the name as text; write μ′, σ′ as a reader expects
            base = self._deal_with_super_sub(expr.name.rstrip("'"))
            return base + "'" * primes if "_" not in expr.name else r"{%s}%s" % (base, "'" * primes)
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

    def _print_Range(self, expr):
        # {1, …, k}: a sample space of symbolic size (SymPy writes Range(1, k + 1))
        if expr.size.is_number or expr.step != 1:
            return super()._print_Range(expr)
        return r"\left\{%s, \ldots, %s\right\}" % (self._print(expr.inf), self._print(expr.sup))

    def _print_MatrixSet(self, expr):
        # the sample space of a random vector: ℝ^d (SymPy writes MatrixSet(d, 1, ℝ))
        n, m, base = expr.args
        power = self._print(n) if m == 1 else r"%s \times %s" % (self._print(n), self._print(m))
        return r"%s^{%s}" % (self._print(base), power)

    def _print_BooleanTrue(self, expr):
        return r"\text{true}"

    # -- quantities: the left-hand sides of derivations, written from their parts ---------------------
    def _print_Quantity(self, q):
        if q.kind in KINDS:
            roles = tuple(_role_latex(r) for r in q.roles)
            return latex_head(q.kind, self._settings["ce_notation"], self._settings["kl_notation"]) + latex_roles(q.kind, roles)
        if q.kind == "derivative":
            wrt = [self._print(w) for w in q.wrt]
            if q.abbreviated and len(wrt) > 4:
                wrt = [wrt[0], r"\ldots", wrt[-1]]
            inner = self._print(q.of)
            expr = q.of.expr if q.of.kind == "named" and q.of.of is None else None
            if isinstance(expr, sp.Add) or (isinstance(expr, sp.Expr) and expr.could_extract_minus_sign()):
                inner = r"\left(%s\right)" % inner  # ∇(−log N), not ∇ − log N
            if not q.gradient:
                return r"\frac{\partial}{\partial %s} %s" % (", ".join(wrt), inner)
            return r"\nabla%s_{%s} %s" % ("^{2}" if q.order == 2 else "", ", ".join(wrt), inner)
        head = self._print(q.expr) if q.expr is not None else r"\text{%s}" % text_to_latex(q.text)
        return head if q.of is None else "%s = %s" % (head, self._print(q.of))


def _padded(name: str) -> str:
    """p1_2 → p1_0002: a name whose string order is the numeric order of its indices."""
    base, dist, entry = INDEXED_NAME.match(name).groups()
    return "%s%s_%s" % (base, dist, entry.zfill(4))


def _role_latex(role: str) -> str:
    """A distribution's name in a quantity: P, Q, t̃ → \tilde{t}, Q_θ → Q_{\theta}; longer text upright."""
    tex = text_to_latex(role)
    if re.fullmatch(r"[A-Za-z]?(\$[^$]*\$)?", tex):
        return tex.replace("$", "")
    return r"\text{%s}" % tex


#: an undefined function's name SymPy's printer can format (no % in it)
_PLAIN_FUNCTION = re.compile(r"[A-Za-z0-9_^' ]*")

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
