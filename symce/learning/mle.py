r"""Maximum likelihood by stationarity of the average negative log-likelihood.

Minimising J(θ) = H(p̂_n, Q_θ) = −(1/n) Σ_s log q_θ(y_s) is maximum-likelihood estimation. :func:`mle`

1. derives J with :func:`symce.learning.empirical.nll` (the engine, through the empirical measure);
2. distributes every empirical average Σ_s (…) into empirical moments Σ_s y_s^r, and names each one
   (a statistic T_r, free of θ): J is *linear* in them, since it is an expectation under p̂_n;
3. adds a Lagrange multiplier λ for an equality constraint of the family (the simplex Σ_m p_m = 1 of a
   categorical): L(θ, λ) = J(θ) + λ(g(θ) − 1);
4. solves ∇_θ L = 0 (and the constraint) with ``sympy.solve``; a unique solution is required;
5. checks the second-order condition: the Hessian of J (of L, for a constraint) at θ̂ positive definite
   — i.e. the log-likelihood's Hessian negative definite. Because the stationarity equations are linear
   in the statistics, they are solved *for the statistics* in terms of θ̂, which writes the Hessian at the
   optimum as a function of θ̂ alone (Bernoulli: 1/(p̂(1 − p̂))); its leading principal minors are then
   shown positive under the family's conditions (``sympy.ask``), or — if no symbolic argument closes —
   checked at sampled points and reported as such.

The answer is not one expression, so it is its own type: :class:`MLE`, a
:class:`~symce.core.procedure.Procedure` (numbered actions — derive J, split into moments, set ∇J = 0,
solve, check the Hessian — never chained with "=", since J, ∇J and θ̂ are different quantities) whose
``result`` maps each parameter to its estimate, written with the empirical sums again. It carries the
objective J, the *stationarity derivation* (a real :class:`~symce.engine.derivation.Derivation` of ∇J, or of
∇_θ L with a constraint, which differentiates, prints and lambdifies like any other) and the second-order
check.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

import sympy as sp

from symce.core.family import Family
from symce.core.limits import time_limit
from symce.core.procedure import Procedure, ProcedureStep
from symce.engine.derivation import Derivation, Step, gradient
from symce.engine.proof import _sample_point
from symce.errors import ArgumentTypeError, DerivationError
from symce.learning.empirical import S, Empirical, distribute_sum, nll


@dataclass(frozen=True)
class SecondOrder:
    """The second-order condition at the stationary point: Hessian of J (positive definite ⇔ the
    log-likelihood's Hessian is negative definite)."""

    hessian: sp.ImmutableMatrix     # ∇²J at θ̂, as a function of θ̂
    minors: tuple                   # its leading principal minors
    status: str                     # "proved" | "checked numerically" | "refuted"
    reason: str

    @property
    def proved(self) -> bool:
        return self.status == "proved"


@dataclass(frozen=True, eq=False)
class MLE(Procedure):
    """A maximum-likelihood estimate: ``result`` (also ``estimate``) maps each parameter θ to θ̂; ``steps``
    are the numbered actions that found it. ``objective`` is the derivation of J(θ) = H(p̂_n, Q_θ);
    ``stationarity`` the derivation of ∇_θ J (∇_θ L with a Lagrange multiplier), set to 0 at θ̂ — a scalar
    derivative for one parameter, a column for several; ``second_order`` the Hessian check;
    ``multiplier`` the Lagrange multiplier at θ̂ (None without a constraint)."""

    objective: Derivation | None = None
    stationarity: Derivation | None = None
    second_order: SecondOrder | None = None
    multiplier: sp.Expr | None = None

    @property
    def estimate(self) -> dict:
        """{θ: θ̂} (the same mapping as ``result``)."""
        return self.result


# ---------------------------------------------------------------------------------------------------
def mle(family: Family, n=None, *, data=None, samples=None, wrt=None) -> MLE:
    """θ̂ maximising the likelihood of ``family`` over n symbolic samples (``mle(Q, n)``) or explicit data
    (``mle(Q, data=[...])``), by solving ∇J = 0 symbolically. ``wrt`` selects the parameters (default:
    every free symbol of the family's parameters, in order)."""
    J = nll(family, n, data=data, samples=samples)
    emp: Empirical = J.distributions[0]
    params = _parameters(family, wrt)
    with time_limit(f"maximum likelihood for {family!r}"):
        return _solve(family, J, emp, params)


def _parameters(family: Family, wrt) -> list:
    if wrt is not None:
        ws = [wrt] if isinstance(wrt, (sp.Symbol, sp.Indexed)) else list(wrt)
        for w in ws:
            if not isinstance(w, (sp.Symbol, sp.Indexed)) or w not in parameter_symbols(family):
                raise ArgumentTypeError(f"mle: wrt must list parameter symbols of {family!r}; {w!r} is not one")
        return ws
    ws = parameter_symbols(family)
    if not ws:
        raise ArgumentTypeError(f"mle: {family!r} has no symbolic parameter to estimate")
    if any(isinstance(w, sp.IndexedBase) for w in ws):
        raise DerivationError(f"mle: {family!r} has a symbolic number of classes; use an explicit k")
    return ws


def parameter_symbols(family) -> list:
    """The free symbols of ``family``'s parameters, in the order of ``family.parameters`` (the number of
    classes k and integer size symbols left out): what MLE estimates and Fisher information is taken in."""
    out: list = []

    def walk(v):
        if isinstance(v, (list, tuple, sp.MatrixBase)):
            for e in v:
                walk(e)
        elif isinstance(v, sp.Basic):
            for s in sorted(v.free_symbols, key=sp.default_sort_key):
                if s not in out and not (s.is_integer and isinstance(v, sp.Symbol) and v.is_integer):
                    out.append(s)

    for name, v in family.parameters.items():
        if name != "k":
            walk(v)
    return out


def moments_form(expr, n) -> sp.Expr:
    """Distribute every Σ_s over its summand (linearity), leaving sums of monomials in the samples."""
    return expr.replace(lambda e: isinstance(e, sp.Sum) and e.limits[0][0] == S,
                        lambda e: distribute_sum(e.function, S, e.limits[0][2]))


def _constraint(family: Family, params: list):
    """An equality condition g(θ) = 1 of the family on the estimated parameters (the simplex)."""
    for c in family.conditions():
        if isinstance(c, sp.Eq) and (c.lhs.free_symbols & set(params)):
            return c
    return None


def _solve(family: Family, J: Derivation, emp: Empirical, params: list) -> MLE:
    J_name = _without_definition(J.lhs)
    steps = [ProcedureStep(f"derive the average negative log-likelihood J(θ) = H(p̂_n, Q_θ) ({J.method})",
                           J.result, J_name)]
    if J.is_infinite:
        raise DerivationError(f"mle: the likelihood of the data is 0 for every parameter ({J.infinite_reason})")
    M = moments_form(J.result, emp.n)
    sums = sorted(M.atoms(sp.Sum), key=sp.default_sort_key)
    stats = [sp.Dummy(f"T{r + 1}", real=True) for r in range(len(sums))]
    to_stat, from_stat = dict(zip(sums, stats)), dict(zip(stats, sums))
    Jt = M.xreplace(to_stat)
    if sums:
        steps.append(ProcedureStep("split each empirical average into empirical moments Σ_s y_s^r by linearity "
                                   "(sufficient statistics, free of θ)", M, J_name))
    con = _constraint(family, params)
    lam = None
    L = Jt
    objective = dataclasses.replace(J, lhs=J_name)
    if con is not None:
        lam = sp.Symbol("lambda", real=True)
        L = Jt + lam * (con.lhs - con.rhs)
        rule = f"Lagrangian for the constraint {con.lhs} = {con.rhs}: L = J + λ(g(θ) − 1)"
        steps.append(ProcedureStep(f"add a Lagrange multiplier λ: {rule}", L.xreplace(from_stat), "L(θ, λ)"))
        objective = Derivation("lagrangian", "L(θ, λ)", L.xreplace(from_stat),
                               (Step(L.xreplace(from_stat), rule),), J.method, J.conditions, J.distributions)
    grads = [sp.together(sp.diff(L, w)) for w in params]
    eqs = grads + ([con.lhs - con.rhs] if con is not None else [])
    unknowns = params + ([lam] if lam is not None else [])
    stationarity = gradient(objective, params[0] if len(params) == 1 else params)
    steps.append(ProcedureStep("stationarity: set ∇_θ " + ("L" if con is not None else "J") + " = 0"
                               + (" together with the constraint" if con is not None else ""),
                               stationarity.result, stationarity.lhs))
    if con is None and _moment_matching_applies(family, params):
        sols = _moment_matching(family, emp, params, to_stat, from_stat, grads, steps)
    else:
        sols = sp.solve(eqs, unknowns, dict=True)
    underdetermined = any(set(unknowns) - set(sol) for sol in sols)
    if (underdetermined or not sols) and con is None and sp.cancel(sp.hessian(Jt, params).det()) == 0:
        raise DerivationError(
            f"mle: the parameters {params} of {family!r} are not identifiable — the Hessian of J is singular "
            "for every θ (softmax logits: adding a constant to every logit leaves the model unchanged); "
            "estimate the probabilities, or fix one logit")
    if not sols:
        raise DerivationError(
            f"mle: the stationarity conditions of {family!r} have no solution inside the parameter space "
            f"(unknowns {unknowns}); the likelihood's supremum lies on its boundary — e.g. a class that "
            "never occurs in the data (p̂ = 0) or data all equal (σ̂ = 0)")
    if len(sols) != 1:
        raise DerivationError(
            f"mle: the stationarity conditions of {family!r} have {len(sols)} solutions in {unknowns} "
            f"({sols}); a unique one is needed (an over-parameterised family such as softmax logits has a "
            "family of maximisers: estimate the probabilities instead)")
    sol = sols[0]
    total_rule = _empirical_total(family, emp, to_stat)
    if total_rule is not None:
        total, why = total_rule
        sol = {k: sp.factor_terms(sp.cancel(v).subs(total, emp.n)) for k, v in sol.items()}
        steps.append(ProcedureStep(f"use {why}", sp.Eq(total.xreplace(from_stat), emp.n, evaluate=False)))
    estimate = {w: _tidy(sol[w].xreplace(from_stat)) for w in params}
    steps.append(ProcedureStep("solve the stationarity conditions (sympy.solve; unique solution)", sp.Dict(estimate)))
    second = _second_order(family, L, params, stats, sol, lam)
    hess = "∇²_θ L" if con is not None else "∇²J"
    steps.append(ProcedureStep(f"second-order condition: {hess} at θ̂ positive definite "
                               f"({second.status}: {second.reason})", second.hessian, f"{hess}(θ̂)"))
    return MLE("mle", "θ̂ = argmin_θ J(θ)", estimate, tuple(steps), "stationarity of the average NLL"
               + (" with a Lagrange multiplier" if con is not None else ""),
               J.conditions, J.distributions, objective=J, stationarity=stationarity, second_order=second,
               multiplier=None if lam is None else _tidy(sol[lam].xreplace(from_stat)))


def _without_definition(lhs):
    """J(θ) of "J(θ) = H(p̂_n, Q_θ)" (a structured quantity or its text): the name a derivative of J is
    written with — ∂J/∂θ is not H(p̂_n, Q_θ), so the definition must not come along."""
    if isinstance(lhs, str):
        return lhs.split(" = ")[0]
    return dataclasses.replace(lhs, of=None) if getattr(lhs, "of", None) is not None else lhs


def _moment_matching_applies(family, params) -> bool:
    """The multivariate normal with explicit d: solving ∇J = 0 in the covariance entries directly is a
    polynomial system sympy.solve does not finish (> 20 s at d = 2); moment matching is linear."""
    return (hasattr(family, "mean_and_covariance") and not getattr(family, "is_symbolic", True)
            and getattr(family, "L", None) is None)


def _moment_matching(family, emp, params, to_stat, from_stat, grads, steps):
    """Exponential family: J(η) = A(η) − η·T̄ + const, so ∇_η J = E_η[T] − T̄ = 0 (moment matching); θ ↦ η
    is a bijection (η = (Σ⁻¹μ, −½Σ⁻¹)), so the stationary points in θ are the same. With T = (x, xxᵀ):
    E[X] = μ, E[XXᵀ] = Σ + μμᵀ (mean and covariance from the cumulant function), matched to the empirical
    averages. The solution is then *checked* by substituting it into the entrywise gradient."""
    mean, cov = family.mean_and_covariance()
    x = family.variable()
    d = len(mean)
    eqs, shown = [], []
    for i in range(d):
        t = moments_form(emp.average(x[i], x), emp.n)
        eqs.append(mean[i] - t.xreplace(to_stat))
        shown.append(sp.Eq(mean[i], t, evaluate=False))
    for i in range(d):
        for j in range(i, d):
            t = moments_form(emp.average(x[i] * x[j], x), emp.n)
            eqs.append(cov[i, j] + mean[i] * mean[j] - t.xreplace(to_stat))
            shown.append(sp.Eq(cov[i, j] + mean[i] * mean[j], t, evaluate=False))
    steps.append(ProcedureStep("match moments — exponential family: ∇_η J = E_η[T] − T̄ = 0 with T = (X, XXᵀ), "
                               "E[X] = μ and E[XXᵀ] = Σ + μμᵀ from the cumulant function K(t) = tᵀμ + ½tᵀΣt; "
                               "θ ↦ η = (Σ⁻¹μ, −½Σ⁻¹) is a bijection, so the stationary points agree",
                               sp.Tuple(*shown)))
    sols = sp.solve(eqs, params, dict=True)
    for sol in sols:
        residual = [sp.cancel(g.xreplace(sol)) for g in grads]
        if any(r != 0 for r in residual):
            raise DerivationError(f"mle: moment matching gave {sol}, where ∇J = {residual} ≠ 0")
    if sols:
        steps.append(ProcedureStep("check: the entrywise gradient ∇_θ J vanishes at the solution (substituted, "
                                   "common denominator: exactly 0)", sp.ImmutableMatrix([0] * len(grads)),
                                   "∇_θ J(θ̂)"))
    return sols


def _tidy(e):
    return sp.factor_terms(sp.cancel(e)) if not e.has(sp.Sum) else sp.factor_terms(e)


def _empirical_total(family: Family, emp: Empirical, to_stat: dict):
    """Σ over the classes of the class frequencies is 1: each sample lies in exactly one class
    (Σ_m δ(y_s, m) = 1 for y_s in the support), i.e. p̂_n is a probability measure."""
    pts = family.support_points()
    if pts is None or len(pts) < 2:
        return None
    x = family.variable()
    if emp.is_symbolic:
        freq = [distribute_sum(sp.KroneckerDelta(x, v).xreplace({x: emp.sample(S)}), S, emp.n) for v in pts]
        total = sp.Add(*[f.xreplace(to_stat) for f in freq])
        if not all(f in to_stat for f in freq):
            return None
    else:
        return None  # explicit data: the frequencies are numbers and already sum to 1
    return total, ("Σ_m Σ_s δ(y_s, m) = Σ_s 1 = n: each sample lies in exactly one class (the "
                   "empirical frequencies sum to 1)")


def _second_order(family, L, params, stats, sol, lam) -> SecondOrder:
    H = sp.hessian(L, params)
    # write H at the optimum in terms of θ̂: the gradient is linear in the statistics, so solve it for them
    grads = [sp.diff(L, w) for w in params]
    at = {}
    if stats:
        st = sp.solve(grads, stats, dict=True)
        if len(st) == 1 and set(st[0]) == set(stats):
            at = st[0]
    if at and lam is not None:
        at = {k: v.xreplace({lam: sol[lam]}) for k, v in at.items()}
        at[lam] = sol[lam]
    if at and not any(v.has(*stats) for v in at.values()):
        Hq = H.xreplace(at).applyfunc(sp.cancel)
        how = "Hessian at θ̂ written in θ̂ by solving the linear stationarity equations for the statistics"
    else:
        Hq = H.xreplace(sol).applyfunc(sp.cancel)
        how = "Hessian evaluated at the solution"
    minors = tuple(sp.factor(Hq[:r, :r].det()) for r in range(1, len(params) + 1))
    facts = _facts(family, params)
    ok = []
    for m in minors:
        try:
            ok.append(sp.ask(sp.Q.positive(m), facts))
        except Exception:  # pragma: no cover - the assumptions system can give up
            ok.append(None)
    if all(v is True for v in ok):
        return SecondOrder(sp.ImmutableMatrix(Hq), minors, "proved",
                           f"{how}; its leading principal minors {list(minors)} are positive under "
                           f"{', '.join(map(str, family.conditions())) or 'the symbols’ assumptions'}")
    if any(v is False for v in ok):
        return SecondOrder(sp.ImmutableMatrix(Hq), minors, "refuted", "a leading principal minor is not positive")
    return _numeric_second_order(family, Hq, minors, how)


def _facts(family, params):
    facts = [sp.Q.positive(w) for w in params if w.is_positive]
    for c in family.conditions():
        if isinstance(c, (sp.StrictLessThan, sp.StrictGreaterThan)):
            facts.append(sp.Q.positive(c.gts - c.lts))
    return sp.And(*facts) if facts else True


def _numeric_second_order(family, Hq, minors, how) -> SecondOrder:
    rng = random.Random(0)
    for _ in range(20):
        # a point of the parameter space (the family's conditions: e.g. Σ̂ positive definite)
        pt = _sample_point(sp.Add(*minors), tuple(family.conditions()), rng)
        if pt is None:
            return SecondOrder(sp.ImmutableMatrix(Hq), minors, "unchecked", "no valid point could be sampled")
        if any(sp.N(m.xreplace(pt)) <= 0 for m in minors):
            return SecondOrder(sp.ImmutableMatrix(Hq), minors, "refuted", f"a minor is ≤ 0 at {pt}")
    return SecondOrder(sp.ImmutableMatrix(Hq), minors, "checked numerically",
                       f"{how}; minors positive at 20 sampled points, no symbolic argument")
