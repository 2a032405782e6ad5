"""How objects of the lower layers show themselves without importing the printing layer above them.

Printing is the top library layer: it imports the model it prints, never the reverse. An object of a lower
layer that must show itself (``Derivation.latex()``, ``Proof.latex()``, Jupyter's ``_repr_latex_``) asks
here, and :mod:`symce.printing` registers its renderers when it is imported — which ``import symce``
always does, because Python imports a package before any of its modules. This is the one place where a
lower layer reaches a higher one, and it does so through a registry, not an import.
"""

from __future__ import annotations

from typing import Any, Callable

from symce.errors import SymceError

#: format name ("latex", "markdown") → renderer(obj, **settings) -> str
_RENDERERS: dict[str, Callable[..., str]] = {}


def register(fmt: str, renderer: Callable[..., str]) -> None:
    """Install the renderer of one output format (called by :mod:`symce.printing` at import)."""
    _RENDERERS[fmt] = renderer


def render(fmt: str, obj: Any, **settings) -> str:
    """``obj`` in the given format, by the registered printing layer."""
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise SymceError(
            f"no {fmt} printer is registered; import symce (its printing layer registers itself)") from None
    return renderer(obj, **settings)
