r"""Fisher information, two ways, proved equal.

1. **Curvature of KL** (:func:`fisher_information`): the Fisher information is the Hessian of the KL
   divergence at Q = P,

   .. math:: I(\theta)_{ab} = \frac{\partial^2}{\partial\theta'_a \partial\theta'_b}
             \mathbb{KL}(P_\theta \,\|\, P_{\theta'})\Big|_{\theta' = \theta}

   — KL(P‖Q) is derived by the engine with Q's parameters replaced by fresh symbols θ', differentiated
   twice (``Derivation.hessian``) and evaluated at θ' = θ.
2. **Outer product of the score** (:func:`fisher_score_form`): I(θ) = E_P[∇_θ log p(X; θ) ∇_θ log p(X; θ)ᵀ],
   the score differentiated from the family's log-density and each product of score components taken
   in expectation by :func:`symce.engine.expectation.expectation` (exponential-family moments, cumulant
   function, sums over the support) — nothing tabulated.

:func:`fisher_identity` proves the two equal with :func:`symce.prove` (Amari & Nagaoka 2000, §2.2;
Cover & Thomas 2006, §11.10).

Both are :class:`~symce.core.procedure.Procedure`\ s, not derivations: their steps (KL, its Hessian in θ′,
the value at θ′ = θ; the score, the expectations) are different quantities, which a chain of "=" would
equate falsely (KL(P_θ ‖ P_θ′) is not I(θ)).
"""

from __future__ import annotations

import copy

import sympy as sp

from symce.core.family import Family
from symce.core.limits import time_limit
from symce.core.procedure import Procedure, ProcedureStep
from symce.core.quantity import Quantity
from symce.engine.canonical import canonical
from symce.engine.expectation import expectation
from symce.engine.information import kl
from symce.engine.proof import prove
from symce.errors import ArgumentTypeError, DerivationError
from symce.learning.mle import parameter_symbols


def parameters_of(P: Family, wrt=None) -> list:
    """The scalar parameter symbols of P, in the order of ``P.parameters`` (or ``wrt`` as given)."""
    if not isinstance(P, Family):
        raise ArgumentTypeError(f"fisher_information: argument P must be a distribution family such as "
                                f"sc.Bernoulli(p), not {type(P).__name__} {P!r:.80}")
    ps = parameter_symbols(P)
    if any(isinstance(v, (sp.IndexedBase, sp.MatrixSymbol))
           or (isinstance(v, sp.MatrixExpr) and not isinstance(v, sp.MatrixBase)) for v in P.parameters.values()):
        raise DerivationError(f"fisher_information: {P!r} has a symbolic number of classes/dimension; "
                              "use an explicit one")
    if wrt is None:
        if not ps:
            raise ArgumentTypeError(f"fisher_information: {P!r} has no symbolic parameter")
        if any(not isinstance(s, sp.Symbol) for s in ps):
            raise DerivationError(f"fisher_information: {P!r} has indexed parameters (symbolic size); "
                                  "use an explicit number of classes/dimension")
        return ps
    if not isinstance(wrt, (list, tuple, sp.Symbol)):
        # a set or dict has no order (the matrix rows would be arbitrary); anything else is not a parameter
        raise ArgumentTypeError(f"fisher_information: wrt must be a parameter symbol or a list/tuple of them "
                                f"({', '.join(map(str, ps))}), not {type(wrt).__name__} {wrt!r:.80}")
    ws = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    for w in ws:
        if not isinstance(w, sp.Symbol):
            raise ArgumentTypeError(f"fisher_information: wrt holds {type(w).__name__} {w!r:.80}; it must hold "
                                    f"parameter symbols of {P!r} ({', '.join(map(str, ps))})")
    if not ws:
        raise ArgumentTypeError(f"fisher_information: wrt is empty; give one or more parameter symbols of {P!r} "
                                f"({', '.join(map(str, ps))}) or leave it out for all of them")
    if len(set(ws)) != len(ws):
        raise ArgumentTypeError(f"fisher_information: wrt {ws} repeats a parameter; each may appear once")
    for w in ws:
        if w not in ps:
            raise ArgumentTypeError(f"fisher_information: {w!r} is not a parameter symbol of {P!r}")
    return ws


def with_symbols(P: Family, mapping: dict) -> Family:
    """A copy of P with its parameter symbols replaced (``mapping``), e.g. θ ↦ θ' for Q = P_θ'.
    Works on the stored SymPy attributes of any family (and of helper objects such as a Cholesky factor)."""
    def rep(v):
        if isinstance(v, sp.Basic):
            return v.xreplace(mapping)
        if isinstance(v, tuple):
            return tuple(rep(e) for e in v)
        if isinstance(v, list):
            return [rep(e) for e in v]
        if hasattr(v, "__dict__") and not isinstance(v, (type, Family)) and not callable(v):
            c = copy.copy(v)
            for k, e in vars(c).items():
                setattr(c, k, rep(e))
            return c
        return v

    Q = copy.copy(P)
    for k, v in vars(Q).items():
        setattr(Q, k, rep(v))
    return Q


def _primed(ps) -> dict:
    return {s: sp.Symbol(s.name + "'", **s.assumptions0) for s in ps}


def fisher_information(P: Family, wrt=None) -> Procedure:
    """I(θ) as the Hessian of KL(P_θ ‖ P_θ') w.r.t. θ' at θ' = θ (a Procedure whose result is the matrix)."""
    ps = parameters_of(P, wrt)
    prime = _primed(ps)
    Q = with_symbols(P, prime)
    with time_limit(f"Fisher information of {P!r}"):
        d = kl(P, Q)
        H = d.hessian([prime[s] for s in ps])
        back = {v: k for k, v in prime.items()}
        result = sp.ImmutableMatrix(H.result.xreplace(back).applyfunc(lambda e: sp.factor(sp.cancel(e))))
    divergence = Quantity.kl()
    steps = (
        ProcedureStep(f"derive KL(P ‖ Q) for P = P_θ and Q = P_θ', the family with its parameters replaced by "
                      f"fresh symbols θ' = ({', '.join(map(str, prime.values()))}) ({d.method})", d.result, divergence),
        ProcedureStep("differentiate twice w.r.t. θ'", H.result,
                      Quantity.derivative(divergence, list(prime.values()), order=2)),
        ProcedureStep("set θ' = θ: KL has its minimum 0 there, and its curvature there is the Fisher information"),
    )
    # KL's conditions are on θ and θ'; at θ' = θ those on θ' repeat those on θ
    conditions = tuple(dict.fromkeys(c.xreplace(back) for c in d.conditions))
    return Procedure("fisher_information", Quantity.named(sp.Function("I")(*ps)), result, steps,
                     "Hessian of KL at Q = P", conditions, (P,))


def fisher_score_form(P: Family, wrt=None) -> Procedure:
    """I(θ) = E_P[∇ log p ∇ log pᵀ], each entry derived by the expectation engine (a Procedure)."""
    ps = parameters_of(P, wrt)
    x = P.variable()
    logp = P.log_density(x)
    score = [sp.diff(logp, s) for s in ps]
    k = len(ps)
    M = sp.zeros(k, k)
    rules: set = set()
    with time_limit(f"Fisher information (score form) of {P!r}"):
        for a in range(k):
            for b in range(a, k):
                # expanded into monomials of X so each is a statistic the engine knows (x, x², x³, x⁴, δ)
                g = score[a] * score[b]
                g = g if isinstance(x, sp.MatrixBase) else _reduce_deltas(sp.expand(g))
                value, used = _expect(P, g, x)
                rules |= used
                M[a, b] = M[b, a] = sp.factor(sp.cancel(canonical(value)))
    result = sp.ImmutableMatrix(M)
    steps = (
        ProcedureStep("differentiate the log-density: the score", sp.ImmutableMatrix(score), "∇_θ log p(X; θ)"),
        ProcedureStep("take E_P[s_a s_b] of each pair of score components, by the expectation engine ("
                      + "; ".join(sorted(rules)) + ")"),
    )
    return Procedure("fisher_information", "E[∇log p ∇log pᵀ]", result, steps, "outer product of the score",
                     tuple(P.conditions()), (P,))


def _expect(P, g, x):
    """The engine's E_P[g]; two gaps of the engine are bridged here by definitions, not tables:
    a finite support is summed over (the engine's square-of-affine rule recurses forever on E[X²] of a
    Bernoulli), and a random vector's monomials come from its cumulant function K(t):
    E[X^α] = ∂^α exp K(t) at t = 0 (the engine has no rule for monomials of a vector)."""
    pts = P.support_points()
    if pts is not None:
        # the engine's own fallback rule, taken directly (its square-of-affine rule would recurse first)
        return (sp.Add(*[P.mass(pt) * g.xreplace({x: pt}) for pt in pts]),
                {"definition: sum over the support (counting measure)"})
    if isinstance(x, sp.MatrixBase) and hasattr(P, "mean_and_covariance"):
        # centre X = μ + V: V has cumulant function ½tᵀΣt, so odd moments vanish and fewer terms survive
        mean, cov = P.mean_and_covariance()
        d = len(x)
        vs = [sp.Dummy(f"v{i}") for i in range(d)]
        C = {(i, j): cov[min(i, j), max(i, j)] for i in range(d) for j in range(d)}
        poly = sp.Poly(g.xreplace({xi: m + v for xi, m, v in zip(x, mean, vs)}), *vs)
        total = []
        for monom, coeff in poly.terms():
            if sum(monom) % 2:
                continue
            total.append(coeff * _central_moment(d, monom).xreplace({_c(i, j): C[i, j] for i in range(d) for j in range(d)}))
        return sp.Add(*total), {"moment generating function of the centred vector V = X − μ: "
                                "E[V^α] = ∂^α exp(½tᵀΣt) at t = 0 (mean and covariance from the cumulant function)"}
    value, _, used = expectation(P, g, x)
    return value, used


_MOMENTS: dict = {}


def _c(i, j):
    return sp.Symbol(f"c_{min(i, j)}{max(i, j)}")


def _central_moment(d: int, monom: tuple):
    """E[V^α] for V ~ N(0, C) with a *generic* symmetric C (symbols c_ij): ∂^α exp(½tᵀCt) at t = 0.
    Differentiating with C symbolic is cheap and done once per monomial; callers substitute Σ."""
    key = (d, monom)
    if key not in _MOMENTS:
        ts = [sp.Dummy(f"t{i}") for i in range(d)]
        mgf = sp.exp(sp.Add(*[_c(i, j) * ts[i] * ts[j] for i in range(d) for j in range(d)]) / 2)
        dv = mgf
        for t, r in zip(ts, monom):
            if r:
                dv = sp.diff(dv, t, r)
        _MOMENTS[key] = sp.expand(dv.xreplace({t: 0 for t in ts}))
    return _MOMENTS[key]


def _reduce_deltas(e):
    """δ(x, a)·δ(x, b) = δ(a, b)·δ(x, a) and δ(x, a)^r = δ(x, a): indicator algebra, exact."""
    def fix(term):
        deltas = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.KroneckerDelta)
                  or (isinstance(f, sp.Pow) and isinstance(f.base, sp.KroneckerDelta) and f.exp.is_Integer and f.exp > 0)]
        if len(deltas) == 0:
            return term
        base = [f.base if isinstance(f, sp.Pow) else f for f in deltas]
        first = base[0]
        # the argument of the first delta that is not shared (the class) against each other's
        rest = sp.Mul(*[f for f in sp.Mul.make_args(term) if f not in deltas])
        out = first
        for b in base[1:]:
            common = set(first.args) & set(b.args)
            if not common:
                return term
            v = common.pop()
            a1 = [a for a in first.args if a != v] or [v]
            a2 = [a for a in b.args if a != v] or [v]
            out = out * sp.KroneckerDelta(a1[0], a2[0])
        return rest * out
    return sp.Add(*[fix(t) for t in sp.Add.make_args(e)])


def fisher_identity(P: Family, wrt=None):
    """Prove Hessian-of-KL Fisher information = E[score scoreᵀ] for P."""
    a, b = fisher_information(P, wrt), fisher_score_form(P, wrt)
    return prove(a.result, b.result, tuple(P.conditions()), name="∇²_θ' KL(P_θ‖P_θ')|θ'=θ = E[∇log p ∇log pᵀ]")
