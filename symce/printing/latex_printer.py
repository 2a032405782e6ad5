r"""symce's LaTeX printer: SymPy's ``LatexPrinter`` with the notation of the measure-theoretic source.

Notation:

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
>>> printer().doprint(Normal(mu, s))
'\\mathcal{N}\\left(\\mu, \\sigma^{2}\\right)'
>>> printer(log_notation="ln").doprint(sp.log(s))
'\\ln{\\left(\\sigma \\right)}'
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter

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
