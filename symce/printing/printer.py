r"""``latex`` and ``markdown``: any symce object in symce's notation — the entry points of the printing layer.

An expression, a family or a quantity goes through :class:`~symce.printing.latex_printer.SymceLatexPrinter`
(SymPy-style: ``_print_<Class>`` or the object's own ``_latex``); a derivation or a proof becomes an
``align*`` block (:mod:`symce.printing.blocks`).

>>> import sympy as sp
>>> from symce import Normal
>>> mu, s = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
>>> latex(Normal(mu, s))
'\\mathcal{N}\\left(\\mu, \\sigma^{2}\\right)'
>>> latex(sp.log(s), log_notation="ln")
'\\ln{\\left(\\sigma \\right)}'
"""

from __future__ import annotations

from symce.engine.derivation import Derivation
from symce.engine.proof import Proof
from symce.printing.blocks import derivation_latex, derivation_markdown, proof_latex, proof_markdown
from symce.printing.latex_printer import printer

__all__ = ["latex", "markdown"]


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
    return printer(**settings).doprint(obj)


def markdown(obj, **settings) -> str:
    """Markdown for a derivation or a proof (math in ``$$`` blocks)."""
    if isinstance(obj, Proof):
        return proof_markdown(obj, **settings)
    return derivation_markdown(obj, **settings)
