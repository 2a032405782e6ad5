r"""``Quantity``: what a derivation computes — the structured left-hand side of ``lhs = result``.

* an information quantity of named distributions: the entropy :math:`H(P)`, the cross-entropy
  :math:`H(P, Q)`, the KL divergence :math:`\mathbb{KL}(P \,\|\, Q)`;
* a derivative of a quantity: :math:`\frac{\partial}{\partial z} H(P, Q)` (one symbol),
  :math:`\nabla_{\mu_2, \sigma_2} \mathbb{KL}(P \,\|\, Q)` (a gradient), :math:`\nabla^2_{\ldots}` (a Hessian);
* a named quantity carrying a SymPy expression, such as the training loss :math:`J(\boldsymbol{w})` =
  ``sp.Function("J")(w)``, optionally defined as another quantity (:math:`J(\theta) = H(\hat p_n, Q_\theta)`).

The printing layer writes a Quantity from its parts (``_print_Quantity``); nothing parses its text back.
``str(q)`` is the plain text messages use: "H(P, Q)", "KL(P || Q)", "∂/∂z H(P, Q)",
"∇_(mu2, sigma2) KL(P || Q)", "∇²_(mu2, sigma2) KL(P || Q)".

>>> import sympy as sp
>>> z = sp.Symbol("z")
>>> str(Quantity.derivative(Quantity.cross_entropy(), [z]))
'∂/∂z H(P, Q)'
>>> str(Quantity.derivative(Quantity.kl(), [z, sp.Symbol("t")], gradient=True))
'∇_(z, t) KL(P || Q)'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import sympy as sp

from symce.core.notation import KINDS, text_of
from symce.errors import ArgumentTypeError

__all__ = ["Quantity", "as_quantity"]

_KINDS = (*KINDS, "derivative", "named")


@dataclass(frozen=True)
class Quantity:
    """One quantity. Build it with the class methods; ``kind`` is "entropy", "cross_entropy", "kl",
    "derivative" or "named"."""

    kind: str
    #: the distributions' names, ("P",) or ("P", "Q") (information quantities)
    roles: tuple[str, ...] = ()
    #: the differentiated quantity (derivative), or the quantity a named one is defined as
    of: "Quantity | None" = None
    #: the SymPy symbols differentiated against, in order (derivative)
    wrt: tuple = ()
    #: 1 (gradient, partial derivative) or 2 (Hessian)
    order: int = 1
    #: True: ∇_(w…) (a vector or matrix of derivatives); False: ∂/∂w of a single symbol
    gradient: bool = False
    #: show at most the first and last of many symbols differentiated against: ∇_(z1, …, z10)
    abbreviated: bool = False
    #: the SymPy expression of a named quantity, e.g. ``sp.Function("J")(w)``; None for plain text
    expr: Any = None
    #: plain text of a named quantity when it differs from ``str(expr)``
    text: str | None = None

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ArgumentTypeError(f"Quantity: kind must be one of {', '.join(_KINDS)}, not {self.kind!r}")
        if self.kind == "derivative" and (self.of is None or not self.wrt or self.order not in (1, 2)):
            raise ArgumentTypeError("Quantity: a derivative needs the quantity, the symbols, and order 1 or 2")

    # -- constructors --------------------------------------------------------------------------------
    @classmethod
    def entropy(cls, P: str = "P") -> "Quantity":
        return cls("entropy", (P,))

    @classmethod
    def cross_entropy(cls, P: str = "P", Q: str = "Q") -> "Quantity":
        return cls("cross_entropy", (P, Q))

    @classmethod
    def kl(cls, P: str = "P", Q: str = "Q") -> "Quantity":
        return cls("kl", (P, Q))

    @classmethod
    def information(cls, kind: str) -> "Quantity":
        """The quantity a derivation of ``kind`` ("entropy", "cross_entropy", "kl") computes, of P and Q."""
        return cls(kind, ("P",) if kind == "entropy" else ("P", "Q"))

    @classmethod
    def derivative(cls, of: "Quantity | str", wrt: Sequence, *, order: int = 1, gradient: bool | None = None,
                   abbreviated: bool = False) -> "Quantity":
        """∂/∂w of ``of`` (one symbol, ``gradient`` False), else ∇_(w…) (order 1) or ∇²_(w…) (order 2)."""
        wrt = tuple(wrt)
        if gradient is None:
            gradient = len(wrt) > 1 or order == 2
        return cls("derivative", of=as_quantity(of), wrt=wrt, order=order, gradient=gradient,
                   abbreviated=abbreviated)

    @classmethod
    def named(cls, expr: Any = None, text: str | None = None, defined_as: "Quantity | None" = None) -> "Quantity":
        """A quantity known by an expression (``J(w)``) or only by its text; ``defined_as`` adds "= …"."""
        if expr is None and text is None:
            raise ArgumentTypeError("Quantity.named needs an expression or a text")
        return cls("named", of=defined_as, expr=expr, text=text)

    # -- text ----------------------------------------------------------------------------------------
    def wrt_text(self) -> str:
        names = [str(w) for w in self.wrt]
        if self.abbreviated and len(names) > 4:
            names = [names[0], "…", names[-1]]
        return ", ".join(names)

    def __str__(self) -> str:
        if self.kind in KINDS:
            return text_of(self.kind, self.roles)
        if self.kind == "derivative":
            if not self.gradient:
                return f"∂/∂{self.wrt_text()} {self.of}"
            nabla = "∇²" if self.order == 2 else "∇"
            single_array = len(self.wrt) == 1 and isinstance(self.wrt[0], sp.MatrixSymbol)
            sub = self.wrt_text() if single_array else f"({self.wrt_text()})"
            return f"{nabla}_{sub} {self.of}"
        head = self.text if self.text is not None else str(self.expr)
        return head if self.of is None else f"{head} = {self.of}"


def as_quantity(q: "Quantity | str") -> Quantity:
    """A Quantity as is; a plain string (a left-hand side not yet structured) as a named quantity of text."""
    return q if isinstance(q, Quantity) else Quantity.named(text=str(q))
