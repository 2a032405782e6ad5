"""The printing layer: symce's notation in LaTeX and Markdown, derivation blocks, and documents.

It sits above the model it prints and imports it; the model shows itself (``Derivation.latex()``,
``_repr_latex_``) through :mod:`symce.core.display`, where this package registers its renderers on import.
"""

from symce.core import display
from symce.printing.printer import (derivation_latex, derivation_lines, derivation_markdown, latex, latex_width,
                                    markdown, proof_latex, proof_markdown, quantity_latex, short_rule)

display.register("latex", latex)
display.register("markdown", markdown)

__all__ = ["latex", "markdown", "derivation_latex", "derivation_lines", "derivation_markdown", "latex_width",
           "proof_latex", "proof_markdown", "quantity_latex", "short_rule"]
