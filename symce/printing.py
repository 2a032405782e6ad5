r"""One LaTeX printer for symce's notation, and the text forms of derivations and proofs.

``SymceLatexPrinter`` subclasses SymPy's ``LatexPrinter``; every sub-expression goes through
``self._print`` (never ``str``). Quantities print as H(P, Q), \mathbb{KL}(P \,\|\, Q), H(P); families as
\mathrm{Bern}(p), \mathcal{N}(\mu, \sigma^2), \mathrm{Cat}(\boldsymbol{p}); σ as a named function.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

_QUANTITY = {
    "H(P, Q)": r"H(P, Q)",
    "H(P)": r"H(P)",
    "KL(P || Q)": r"\mathbb{KL}(P \,\|\, Q)",
}


class SymceLatexPrinter(LatexPrinter):
    printmethod = "_latex"

    def _print_Family(self, f):
        name = type(f).__name__
        params = f.parameters
        if name == "Bernoulli":
            if "logit" in params:
                return r"\mathrm{Bern}\left(\sigma\left(%s\right)\right)" % self._print(params["logit"])
            return r"\mathrm{Bern}\left(%s\right)" % self._print(params["p"])
        if name == "Normal":
            return r"\mathcal{N}\left(%s, %s\right)" % (self._print(params["mu"]), self._print(params["sigma"] ** 2))
        args = ", ".join(self._print(_as_printable(v)) for v in params.values())
        return r"\mathrm{%s}\left(%s\right)" % (name, args)

    def _print_Relational(self, expr):
        return super()._print_Relational(expr)


def _as_printable(v):
    if isinstance(v, (list, tuple)):
        return sp.ImmutableMatrix(v) if len(v) <= 12 else sp.Symbol(f"[{len(v)} entries]")
    return v


_PRINTER = SymceLatexPrinter()


def latex(obj, **settings) -> str:
    """LaTeX for an expression, a family, a derivation or a proof, in symce's notation."""
    from .derivation import Derivation
    from .family import Family
    from .proof import Proof

    printer = SymceLatexPrinter(settings) if settings else _PRINTER
    if isinstance(obj, Derivation):
        return derivation_latex(obj)
    if isinstance(obj, Proof):
        return proof_latex(obj)
    if isinstance(obj, Family):
        return printer._print_Family(obj)
    return printer.doprint(obj)


def _lhs(d) -> str:
    if d.lhs in _QUANTITY:
        return _QUANTITY[d.lhs]
    return r"\text{%s}" % _tex_text(d.lhs)


def _tex_text(s: str) -> str:
    return (s.replace("\\", r"\textbackslash{}").replace("_", r"\_").replace("&", r"\&").replace("%", r"\%")
            .replace("#", r"\#").replace("‖", r"$\|$").replace("∇", r"$\nabla$").replace("∂", r"$\partial$")
            .replace("η", r"$\eta$").replace("θ", r"$\theta$").replace("ν", r"$\nu$").replace("Σ", r"$\Sigma$")
            .replace("σ", r"$\sigma$").replace("μ", r"$\mu$").replace("−", "-").replace("²", r"$^2$")
            .replace("·", r"$\cdot$").replace("≥", r"$\geq$").replace("∫", r"$\int$").replace("≪", r"$\ll$")
            .replace("∞", r"$\infty$").replace("ⁿ", r"$^n$").replace("ᵀ", r"$^T$").replace("Σ", r"$\Sigma$"))


def derivation_latex(d, **_options) -> str:
    """An ``align*`` body: one step a line, the rule as ``\\text{…}`` on the right."""
    lines = []
    for k, s in enumerate(d.steps):
        head = _lhs(d) if k == 0 else ""
        lines.append(r"%s &= %s && \text{%s}" % (head, latex(s.expr), _tex_text(s.rule)))
    body = " \\\\\n".join(lines)
    return "\\begin{align*}\n" + body + "\n\\end{align*}"


def proof_latex(p, **_options) -> str:
    lines = [r"&%s = %s && \text{(%s)}" % (latex(p.lhs), latex(p.rhs), _tex_text(p.status))]
    for s in p.steps:
        lines.append(r"&\Leftarrow\ \mathrm{lhs} - \mathrm{rhs} = %s && \text{%s}" % (latex(s.expr), _tex_text(s.rule)))
    cond = list(p.assumptions) + list(p.side_conditions)
    if cond:
        lines.append(r"&\text{for } %s" % ", ".join(latex(c) for c in cond))
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"


def derivation_markdown(d) -> str:
    out = [f"**{d.lhs}** ({d.method})", "", "$$", derivation_latex(d), "$$"]
    if d.conditions:
        out += ["", "valid for: " + ", ".join(f"${latex(c)}$" for c in d.conditions)]
    return "\n".join(out)
