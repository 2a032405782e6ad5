"""Gradients and Hessians of derived closed forms, themselves derivations.

Differentiation is entrywise ``diff`` of the closed form, canonicalised; a derivation may carry a
``gradient_hook`` for structured results (k classes or d dimensions derived at symbolic size), which is
asked first. Derivatives w.r.t. an ``Indexed`` parameter ``z[m]`` of a symbolic-k result drop the
Piecewise SymPy adds for "m outside 1..k" — the generic class m always lies in range.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from .canonical import canonical
from .derivation import Derivation, Step
from .errors import ArgumentTypeError, DerivationError
from .expfamily import resolve_index_range


def _as_list(wrt) -> tuple[list, bool]:
    single = not isinstance(wrt, (list, tuple, sp.MatrixBase))
    ws = [wrt] if single else list(wrt)
    for w in ws:
        if not isinstance(w, (sp.Symbol, sp.Indexed, sp.MatrixSymbol)):
            raise ArgumentTypeError(
                f"gradients are taken w.r.t. symbols (Symbol, Indexed such as z[m], or MatrixSymbol), "
                f"not {type(w).__name__} {w!r}")
    return ws, single


def _diff(expr, w):
    out = sp.diff(expr, w)
    if isinstance(w, sp.Indexed):
        for s in expr.atoms(sp.Sum):
            (i, lo, hi), = s.limits[:1]
            out = resolve_index_range(out.doit() if out.has(sp.KroneckerDelta) else out, w.indices[0], lo, hi)
            break
    return out


def _name(ws) -> str:
    return ", ".join(str(w) for w in ws)


def gradient(d: Derivation, wrt) -> Derivation:
    """∇_wrt of ``d.result``: a scalar for one symbol, a column matrix for a list."""
    ws, single = _as_list(wrt)
    if d.gradient_hook is not None:
        hooked = d.gradient_hook(ws[0] if single else ws)
        if hooked is not None:
            return hooked
    if d.result.has(sp.oo, sp.zoo):
        raise DerivationError(f"{d.lhs} is +∞ ({d.infinite_reason}); it has no gradient")
    raw = [_diff(d.result, w) for w in ws]
    parts = [canonical(r) for r in raw]
    result = parts[0] if single else sp.ImmutableMatrix(parts)
    lhs = f"∂/∂{ws[0]} {d.lhs}" if single else f"∇_({_name(ws)}) {d.lhs}"
    steps = (
        Step(raw[0] if single else sp.ImmutableMatrix(raw), f"differentiate the closed form of {d.lhs} entrywise"),
        Step(result, "canonical form"),
    )
    return Derivation("gradient", lhs, result, steps, "differentiation", d.conditions, d.distributions)


def hessian(d: Derivation, wrt: Sequence) -> Derivation:
    """The Hessian matrix ∂²/∂w_i∂w_j of ``d.result`` (symmetric; each entry computed once)."""
    ws, single = _as_list(wrt)
    if single:
        ws = [ws[0]]
    g = gradient(d, ws)
    n = len(ws)
    first = [g.result[i] for i in range(n)]
    H = sp.zeros(n, n)
    for i in range(n):
        for j in range(i, n):
            H[i, j] = H[j, i] = canonical(_diff(first[i], ws[j]))
    result = sp.ImmutableMatrix(H)
    steps = (*g.steps, Step(result, "differentiate the gradient once more (symmetric: upper triangle computed)"))
    return Derivation("hessian", f"∇²_({_name(ws)}) {d.lhs}", result, steps, "differentiation",
                      d.conditions, d.distributions)
