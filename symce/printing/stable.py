r"""The LaTeX of the stable functions of :mod:`symce.numeric.functions` — their notation lives here, in the
printing layer, not on the numeric classes.

==================================  ============================================================
stable function                     printed as
==================================  ============================================================
log1pmx_ratio(a, b)                 :math:`\operatorname{log1pmx}\left(\frac{a}{b} - 1\right)`
kl_div(x, y)                        :math:`\operatorname{kl}(x, y)`
diff_ratio(a, b, s)                 :math:`\frac{a - b}{s}`
log_offset(x, c)                    :math:`(\log x + c)`
fsum(x₁, …, x_k)                    :math:`(x_1 + \dots + x_k)`
wprod(w, v)                         :math:`w \, v`
rel_entr_sum(p, q)                  :math:`(p_1 \log\frac{p_1}{q_1} + \dots)`
softmax_xent(t, z)                  :math:`\operatorname{xent}((t), (z))`
logit_xent(x, z)                    :math:`\operatorname{xent}(\operatorname{softmax}(x), (z))`
softmax_kl(x, y)                    :math:`\operatorname{KL}_{\mathrm{softmax}}((x), (y))`
prob_logit_kl(p, z)                 :math:`\operatorname{KL}((p) \,\|\, \operatorname{softmax}(z))`
logit_prob_kl(z, q)                 :math:`\operatorname{KL}(\operatorname{softmax}(z) \,\|\, (q))`
exact_rational(R)                   :math:`(R)`
logprod_offset(x₁, …, x_k, c)       :math:`(\log x_1 + \dots + \log x_k + c)`
rational_log_sum(K, R₀, c₁, R₁, …)  :math:`(K + R_0 + c_1 \log(R_1) + \dots)`
==================================  ============================================================

softplus, log σ, xlogy, xlog1py, logsumexp, log1pmx and log1p are named operators of the printer
(:data:`symce.printing.latex_printer.NAMED_OPERATORS`, a power written on the operator: softplus²(x)), and
softmax(a; z₁…z_k) is an entry of the softmax of the logit vector (``SymceLatexPrinter._print_softmax_entry``);
the printer answers those before SymPy's dispatch reaches this module. A stable function with no entry here
prints as its name applied to its arguments.

:class:`StableFunctionLatex` is a base class of :class:`~symce.printing.latex_printer.SymceLatexPrinter`.
It hooks ``_print_Function`` because SymPy's dispatch skips ``_print_<Base>`` methods of the bases of a
``Function`` subclass (only the class's own name, then ``Function``, are looked up), so a
``_print_StableFunction`` would never be called. Plain ``sympy.latex`` does not know this notation and writes
SymPy's ``\operatorname{kl_div}{\left(x,y \right)}``.

>>> import sympy as sp
>>> from symce.numeric.functions import kl_div
>>> from symce.printing.latex_printer import printer
>>> x, y = sp.symbols("x y", positive=True)
>>> printer().doprint(kl_div(x, y)**2)
'\\left(\\operatorname{kl}\\left(x, y\\right)\\right)^{2}'
"""

from __future__ import annotations

from typing import Callable

from symce.numeric.functions.base import StableFunction
from symce.numeric.functions.elementary import diff_ratio, fsum, kl_div, log1pmx_ratio, log_offset, wprod
from symce.numeric.functions.exact import exact_rational, logprod_offset, rational_log_sum
from symce.numeric.functions.logits import (logit_prob_kl, logit_xent, prob_logit_kl, rel_entr_sum, softmax_kl,
                                            softmax_xent)

__all__ = ["StableFunctionLatex", "STABLE_LATEX"]

#: a function's LaTeX without a power: (printer, expression) -> str
Body = Callable[[object, StableFunction], str]


def _arguments(template: str) -> Body:
    """A fixed number of arguments, printed in order into ``template``."""
    return lambda p, f: template % tuple(p._print(a) for a in f.args)


def _pair(template: str) -> Body:
    """Two k-vectors (x₁…x_k, y₁…y_k), each printed as "a, b, …" into ``template``."""
    return lambda p, f: template % tuple(", ".join(p._print(a) for a in half) for half in f.pair())


def _fsum(p, f) -> str:
    return r"\left(%s\right)" % " + ".join(p._print(a) for a in f.args)


def _rel_entr_sum(p, f) -> str:
    terms = [r"%s \log\frac{%s}{%s}" % (p._print(a), p._print(a), p._print(b)) for a, b in zip(*f.pair())]
    return r"\left(%s\right)" % " + ".join(terms)


def _logprod_offset(p, f) -> str:
    logs = " + ".join(r"\log %s" % p._print(x) for x in f.args[:-1])
    return r"\left(%s + %s\right)" % (logs, p._print(f.args[-1]))


def _rational_log_sum(p, f) -> str:
    K, R0, *cr = f.args
    logs = " + ".join(r"%s \log\left(%s\right)" % (p._print(c), p._print(R)) for c, R in zip(cr[::2], cr[1::2]))
    return r"\left(%s + %s + %s\right)" % (p._print(K), p._print(R0), logs)


def _operator(p, f) -> str:
    """A stable function with no notation of its own: its name applied to its arguments."""
    return r"\operatorname{%s}\left(%s\right)" % (type(f).__name__, ", ".join(p._print(a) for a in f.args))


#: stable function class -> the LaTeX of its body (the named operators and softmax are the printer's, above)
STABLE_LATEX: dict[type, Body] = {
    log1pmx_ratio: _arguments(r"\operatorname{log1pmx}\left(\frac{%s}{%s} - 1\right)"),
    kl_div: _arguments(r"\operatorname{kl}\left(%s, %s\right)"),
    diff_ratio: _arguments(r"\frac{%s - %s}{%s}"),
    log_offset: _arguments(r"\left(\log %s + %s\right)"),
    wprod: _arguments(r"%s \, %s"),
    exact_rational: _arguments(r"\left(%s\right)"),
    fsum: _fsum,
    rel_entr_sum: _rel_entr_sum,
    softmax_xent: _pair(r"\operatorname{xent}\left((%s), (%s)\right)"),
    logit_xent: _pair(r"\operatorname{xent}\left(\operatorname{softmax}(%s), (%s)\right)"),
    softmax_kl: _pair(r"\operatorname{KL}_{\mathrm{softmax}}\left((%s), (%s)\right)"),
    prob_logit_kl: _pair(r"\operatorname{KL}\left((%s) \,\middle\|\, \operatorname{softmax}(%s)\right)"),
    logit_prob_kl: _pair(r"\operatorname{KL}\left(\operatorname{softmax}(%s) \,\middle\|\, (%s)\right)"),
    logprod_offset: _logprod_offset,
    rational_log_sum: _rational_log_sum,
}


class StableFunctionLatex:
    """Printer mixin: the stable functions in the notation of :data:`STABLE_LATEX`."""

    def _print_Function(self, expr, exp=None):
        if not isinstance(expr, StableFunction):
            return super()._print_Function(expr, exp=exp)
        body = STABLE_LATEX.get(type(expr), _operator)(self, expr)
        # one place for powers, so no function's notation can drop the exponent
        return body if exp is None else r"\left(%s\right)^{%s}" % (body, exp)
