"""The printing layer: symce's notation in LaTeX and Markdown, derivation blocks, and documents.

It sits above the model it prints and imports it; the model shows itself (``Derivation.latex()``,
``_repr_latex_``) through :mod:`symce.core.display`, where this package registers its renderers on import.

Modules: ``text`` (Unicode text inside ``\\text{}``), ``latex_printer`` (SymceLatexPrinter),
``layout`` (widths, line breaking), ``blocks`` (derivation and proof ``align*`` blocks, Markdown),
``printer`` (``latex``/``markdown`` for any object), ``procedure`` (procedures as numbered lists),
``catalog``, ``document``, ``pdf``.
"""

from symce.core import display
from symce.printing.blocks import (derivation_latex, derivation_lines, derivation_markdown, proof_latex,
                                   proof_markdown, quantity_latex, short_rule)
from symce.printing.layout import latex_width
from symce.printing.printer import latex, markdown
from symce.printing.procedure import procedure_latex, procedure_markdown, with_procedures

display.register("latex", with_procedures(latex, procedure_latex))
display.register("markdown", with_procedures(markdown, procedure_markdown))

__all__ = ["latex", "markdown", "derivation_latex", "derivation_lines", "derivation_markdown", "latex_width",
           "procedure_latex", "procedure_markdown", "proof_latex", "proof_markdown", "quantity_latex", "short_rule"]
