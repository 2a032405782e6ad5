r"""Multivariate normal at symbolic d: instantiating a derivation at explicit matrices, and gradients.

A symbolic-d derivation (made by the engine for the matrix-symbol template of :mod:`.mvnormal`) is
turned into the derivation for explicit distributions by :func:`instantiate`:

* the result is evaluated with :func:`symce.families.mvnormal.matrix.evaluate` (Σ = LLᵀ: log det Σ = 2 Σ log Lᵢᵢ,
  Σ⁻¹ by triangular solves), never by ``det()``/``inv()`` of a symbolic matrix;
* the gradient hook differentiates the *symbolic* result term by term w.r.t. μ and Σ
  (:func:`symce.families.mvnormal.matrix.matrix_gradient`), evaluates those matrix gradients at the explicit
  matrices, and applies the chain rule to the user's symbols: ∂f/∂s = Σₑ (∂f/∂θₑ)(∂θₑ/∂s) over the
  entries θₑ of μ and Σ, with ∂f/∂L = (G + Gᵀ)L for Σ = LLᵀ and G = ∂f/∂Σ. Entrywise ``diff`` of the
  instantiated result is correct too but walks nested triangular-solve expressions (0.64 s at d = 5).

A symbolic-d pair is "instantiated" with the empty mapping: the derivation is kept and only the matrix
gradient hook is attached (``diff`` of matrix-symbol expressions returns 0 for means, SymPy 26561).
"""

from __future__ import annotations

import dataclasses

import sympy as sp

from symce.core.quantity import Quantity
from symce.engine.canonical import canonical
from symce.engine.derivation import Derivation, Step
from symce.families.mvnormal.chain import parameter_rows, value_symbols
from symce.families.mvnormal.factors import LDL, Cholesky, LowRank
from symce.families.mvnormal.matrix import evaluate, matrix_gradient


_ROUTES = {
    Cholesky: "Σ = LLᵀ: log det Σ = 2 Σ log Lᵢᵢ, Σ⁻¹B by triangular solves",
    LDL: "full symbolic Σ = L·diag(p)·Lᵀ without square roots: log det Σ = Σ log pₖ, Σ⁻¹B by unit-triangular solves",
    LowRank: "Σ = WWᵀ + diag(D): determinant lemma and Woodbury identity with the capacitance I + WᵀD⁻¹W",
}


def _route(mapping) -> str:
    """How the matrix functions were evaluated, said truthfully for this pair."""
    kinds = []
    for v in mapping.values():
        route = _ROUTES.get(type(v), "the explicit determinant and adjugate of the full covariance"
                            if isinstance(v, sp.MatrixBase) and v.cols > 1 else None)
        if route and route not in kinds:
            kinds.append(route)
    return "; ".join(kinds)


def instantiate(derivation: Derivation, mapping: dict, P, Q) -> Derivation:
    dists = (P,) if derivation.quantity == "entropy" else (P, Q)
    if not mapping:
        out = dataclasses.replace(derivation, distributions=dists)
        return dataclasses.replace(out, gradient_hook=lambda wrt: _symbolic_gradient(out, wrt))
    result = evaluate(derivation.result, mapping)
    if P.d == 1:  # the canonical form (log(L₂/L₁) pairs, one fraction) when not larger; at d ≥ 2 it
        # measured larger or equal and costs up to 0.2 s
        tidy = canonical(result)
        result = tidy if sp.count_ops(tidy) <= sp.count_ops(result) else result
    shown = ", ".join(_describe(k, v) for k, v in mapping.items() if isinstance(k, sp.MatrixSymbol))
    steps = (*derivation.steps,
             Step(result, f"instantiate the symbolic-d result at d = {P.d}: {shown} ({_route(mapping)})"))
    conditions = tuple(dict.fromkeys([*P.conditions(), *(Q.conditions() if Q is not P else [])]))
    out = Derivation(derivation.quantity, derivation.lhs, result, steps,
                     derivation.method + "; derived once at symbolic d, instantiated", conditions, dists)
    return dataclasses.replace(out, gradient_hook=_ExplicitGradient(derivation, mapping, out))


def _describe(k, v) -> str:
    # names only: printing the explicit matrices here would cost more than the instantiation
    if isinstance(v, Cholesky):
        return f"{k} = L Lᵀ (its Cholesky factor)"
    if isinstance(v, LDL):
        return f"{k} = its explicit covariance (factored as L diag(p) Lᵀ)"
    if isinstance(v, LowRank):
        return f"{k} = W Wᵀ + diag(D) (its low-rank factors)"
    return f"{k} = its explicit {'mean' if v.cols == 1 else 'covariance'}"


def _covariances(derivation) -> set:
    return {D.Sigma for D in derivation.distributions if isinstance(getattr(D, "Sigma", None), sp.MatrixSymbol)}


def _symbolic_gradient(derivation: Derivation, wrt):
    """∂result/∂W for matrix symbols W (a mean or a covariance), term by term; None otherwise."""
    single = not isinstance(wrt, (list, tuple))
    ws = [wrt] if single else list(wrt)
    if not ws or not all(isinstance(w, sp.MatrixSymbol) for w in ws):
        return None
    sym = _covariances(derivation)
    parts, steps = [], []
    for w in ws:
        got = matrix_gradient(derivation.result, w, sym)
        if got is None:
            return None
        g, used = got
        parts.append(g)
        steps.extend(Step(g_t, f"∂/∂{w} of the term {t}: {r}") for t, g_t, r in used)
        steps.append(Step(g, f"sum of the term gradients: ∂/∂{w}" + (" (entries of Σ independent, at symmetric Σ)"
                                                                    if w in sym else "")))
    result = parts[0] if single else sp.Tuple(*parts)
    lhs = Quantity.derivative(derivation.lhs, ws, gradient=not single)
    return Derivation("gradient", lhs, result, tuple(steps), "matrix calculus, term by term",
                      derivation.conditions, derivation.distributions)


class _ExplicitGradient:
    """Gradient hook of an instantiated derivation: symbolic matrix gradients → explicit → chain rule
    (:mod:`.chain`), per parameter and only for the parameters asked for."""

    def __init__(self, symbolic: Derivation, mapping: dict, explicit: Derivation):
        self.symbolic, self.mapping, self.explicit = symbolic, mapping, explicit
        self._rows: dict = {}

    def table(self, ws=None) -> list:
        """[(entry θₑ of a parameter, ∂f/∂θₑ)] over every entry of the parameters whose symbols meet ``ws``
        (all parameters when None)."""
        sym = _covariances(self.symbolic)
        out = []
        for W, value in self.mapping.items():
            if not isinstance(W, sp.MatrixSymbol) or (ws is not None and not value_symbols(value) & ws):
                continue
            if W not in self._rows:
                g, _ = matrix_gradient(self.symbolic.result, W, sym)
                self._rows[W] = parameter_rows(g, W, value, self.mapping)
            out += self._rows[W]
        return out

    def __call__(self, wrt):
        single = not isinstance(wrt, (list, tuple, sp.MatrixBase))
        ws = [wrt] if single else list(wrt)
        if not all(isinstance(w, sp.Symbol) for w in ws):
            return None
        table = self.table(set(ws))
        by_symbol: dict = {}
        for e, g in table:
            for s in e.free_symbols:
                by_symbol.setdefault(s, []).append((e, g))
        parts = []
        for w in ws:
            terms = [g if e == w else g * sp.diff(e, w) for e, g in by_symbol.get(w, ())]
            parts.append(sp.Add(*terms))
        result = parts[0] if single else sp.ImmutableMatrix(parts)
        d = self.explicit
        lhs = Quantity.derivative(d.lhs, ws, gradient=not single)
        steps = (Step(result, "matrix gradients of the symbolic-d result (∂/∂μ, ∂/∂Σ term by term), evaluated at "
                              "the explicit matrices; chain rule ∂f/∂s = Σₑ (∂f/∂θₑ)(∂θₑ/∂s) over the entries θ "
                              "of μ and Σ, with ∂f/∂L = (G + Gᵀ)L for Σ = LLᵀ"),)
        return Derivation("gradient", lhs, result, steps, "matrix calculus at symbolic d, instantiated; chain rule",
                          d.conditions, d.distributions)
