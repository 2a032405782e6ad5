"""E_P[g(X)] by rules, with every step recorded.

Order of rules (the first that applies wins, term by term):

1. **Linearity** — g is split into terms c(θ)·φ(x); E_P[c·φ(X)] = c·E_P[φ(X)]; E_P[c] = c (P is a
   probability measure); E commutes with finite sums ``Sum(f_i(x), (i, 1, k))``.
2. **A rule of the family** — ``P.statistic_moment(φ, x)`` for statistics that are not scalar
   expressions (quadratic forms in a random vector), derived from the family's mean and covariance.
3. **Exponential-family moment map** — φ = T_j gives E[T_j] = ∂A/∂η_j at η(θ).
4. **Square of an affine statistic** — E[(aT + b)²] = a²·Var T + (a·E T + b)², Var T = E[T²] − (E T)²,
   each moment again by rule 3/5.
5. **Cumulant function** — φ = T_j^n gives E[T_j^n] = dⁿ/dtⁿ exp(K(t)) at t = 0, K(t) = A(η + t e_j) − A(η).
6. **The definition** — ∫ φ dP over the support, under a time limit, with the rules of
   :mod:`symce.engine.definition` (finite sums, E[log u] through E[u^s], kinks of ``|x − c|``, sums kept).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symce.engine.crosscheck import disagreement
from symce.engine.definition import _pieces, by_definition
from symce.engine.rules_circular import angle_addition
from symce.engine.rules_positive import power_moment
from symce.engine.derivation import Expect, Step
from symce.core.family import Family


@dataclass
class Moment:
    value: sp.Expr
    rule: str


def expectation(P: Family, g: sp.Expr, x) -> tuple[sp.Expr, list[Step], set[str]]:
    """Return (E_P[g(X)], steps, rules used). ``g`` is an expression in the random variable ``x``."""
    steps: list[Step] = []
    rules: set[str] = set()
    terms = _split_terms(g, x)
    shown = sp.Add(*[c * (Expect(phi) if phi != 1 else 1) for c, phi in terms], evaluate=False)
    steps.append(Step(shown, "linearity of expectation; E_P[c] = c since P is a probability measure"))

    moments: dict = {}
    total = []
    for c, phi in terms:
        if phi == 1:
            total.append(c)
            continue
        if isinstance(phi, sp.Sum):
            m = _expect_sum(P, phi, x)
        else:
            m = moments.get(phi) or moment(P, phi, x)
        moments[phi] = m
        rules.add(m.rule)
        total.append(c * m.value)
    for phi, m in moments.items():
        steps.append(Step(sp.Eq(Expect(phi), m.value, evaluate=False), m.rule))
    value = sp.Add(*total)
    steps.append(Step(value, "substitute the moments"))
    return value, steps, rules


def _split_terms(g: sp.Expr, x) -> list[tuple[sp.Expr, sp.Expr]]:
    """Split g into [(coefficient independent of x, statistic)], grouping equal statistics.

    Products are distributed over sums, but powers such as (x − μ)² are kept whole so that the
    square-of-affine rule sees them (expanding them first is what makes textbook forms unreachable).
    """
    xs = _atoms_of(x)
    g = sp.expand_mul(g)
    groups: dict = {}
    order: list = []
    for term in sp.Add.make_args(g):
        if not (term.free_symbols & xs):
            c, phi = term, sp.S.One
        elif isinstance(term, sp.Sum):
            c, phi = sp.S.One, term
        else:
            c, phi = term.as_independent(*xs, as_Add=False)
        if phi not in groups:
            groups[phi] = []
            order.append(phi)
        groups[phi].append(c)
    return [(sp.Add(*groups[phi]), phi) for phi in order]


def _atoms_of(x) -> set:
    if isinstance(x, sp.MatrixBase):
        return set().union(*(e.free_symbols for e in x))
    return set(x.free_symbols) if isinstance(x, sp.Basic) else set()


def _expect_sum(P: Family, s: sp.Sum, x) -> Moment:
    """E[Σ_i f_i(X)] = Σ_i E[f_i(X)] for a finite sum (the index is generic within its range)."""
    (i, lo, hi), = s.limits
    inner, _, rules = expectation(P, s.function, x)
    # name the rules used inside the sum too (e.g. the exponential-family moment map for E[δ(X, i)])
    inside = "; ".join(sorted(rules))
    return Moment(sp.Sum(inner, (i, lo, hi)),
                  "linearity of expectation over the finite sum" + (f" (summand: {inside})" if inside else ""))


#: E_P[φ] per (P, φ, x): an example's entropy, and its cross-entropy and KL against each partner, ask for the
#: same moments of P (E[log X], E[X], …); a moment is a pure function of (P, φ, x)
_MEMO: dict = {}
_MEMO_SIZE = 1024


def clear_memo() -> None:
    """Forget the memoised moments (symce.clear_cache calls it)."""
    _MEMO.clear()


def moment(P: Family, phi: sp.Expr, x) -> Moment:
    """E_P[φ(X)] for one statistic φ, by the first rule that applies (see the module docstring);
    memoised per (P, φ, x)."""
    key = (P, phi, x)
    try:
        hit = _MEMO.get(key)
    except TypeError:  # an unhashable parameter (a mutable matrix): not memoised
        return _moment(P, phi, x)
    if hit is None:
        hit = _moment(P, phi, x)
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = hit
    return Moment(hit.value, hit.rule)  # a copy: Moment is a mutable record


def _moment(P: Family, phi: sp.Expr, x) -> Moment:
    own = P.statistic_moment(phi, x)
    if own is not None:
        return Moment(*own)
    ef = P.expfamily()
    if ef is not None:
        m = _expfamily_moment(ef, phi)
        if m is not None:
            return m
        m = _square_of_affine(P, ef, phi, x)
        if m is not None:
            return m
        m = _cumulant_moment(ef, phi)
        if m is not None:
            return m
        m = _exponential_of_statistic(P, ef, phi, x)
        if m is not None:
            return m
        shifted = angle_addition(P, ef, phi, x, expectation)  # E[cos(X − c)] on the circle
        if shifted is not None:
            return Moment(*shifted)
    power = power_moment(P, phi, x)  # E[X^c] under x^a e^{−βx^k} on (0, ∞), +∞ where it diverges
    if power is not None:
        return Moment(*power)
    return _by_definition(P, phi, x)


def _expfamily_moment(ef, phi) -> Moment | None:
    for j, T in enumerate(ef.statistics):
        if ef.index is None:
            if sp.expand(T - phi) == 0:
                return Moment(ef.mean_statistic(j), "exponential family: E[T] = ∇A(η) at η(θ)")
        else:
            i = ef.index[0]
            w = sp.Wild("w")
            match = phi.match(T.xreplace({i: w}))
            if match and w in match:
                return Moment(ef.mean_statistic(j, match[w]), "exponential family: E[T_i] = ∂A/∂η_i at η(θ)")
    return None


def _square_of_affine(P, ef, phi, x) -> Moment | None:
    if not (isinstance(phi, sp.Pow) and phi.exp == 2 and ef.index is None):
        return None
    for T in ef.statistics:
        poly = _affine_in(phi.base, T, x)
        if poly is None:
            continue
        a, b = poly
        m1 = moment(P, T, x).value
        # E[T²] by the moment map or the cumulant function directly: the full ``moment`` would send
        # φ = T² straight back here
        sq = sp.expand(T**2)
        m2 = _expfamily_moment(ef, sq) or _cumulant_moment(ef, sp.Pow(T, 2, evaluate=False) if sq != T**2 else T**2)
        if m2 is None:
            return None
        m2 = m2.value
        var = m2 - m1**2
        var = sp.cancel(var) if not var.has(sp.Function, sp.Sum) else sp.expand(var)
        return Moment(a**2 * var + (a * m1 + b) ** 2,
                      "E[(aT + b)²] = a²·Var T + (a·E T + b)², Var T = E[T²] − (E T)²")
    return None


def _affine_in(expr, T, x):
    """(a, b) with expr = a·T + b and a, b free of x, else None."""
    t = sp.Dummy("t", real=True)  # T is real: log(e^t) = t, so expr = log x − μ is affine in T = log x
    # T written literally in expr (log x − μ and T = log x): replace it, without solving t = T for x
    e = sp.expand(expr.xreplace({T: t}))
    if x in e.free_symbols:
        try:
            sub = sp.solve(sp.Eq(t, T), x, dict=True) if T != x else [{x: t}]
        except Exception:  # pragma: no cover
            return None
        if len(sub) != 1:
            return None
        e = sp.expand(expr.xreplace(sub[0]) if T != x else expr.xreplace({x: t}))
    if x in e.free_symbols:
        return None
    try:
        p = sp.Poly(e, t) if e.has(t) else None
    except sp.PolynomialError:  # t inside a function that does not reduce: not affine
        return None
    if p is None or p.degree() != 1:
        return None
    return p.coeff_monomial(t), p.coeff_monomial(1)


def _cumulant_moment(ef, phi) -> Moment | None:
    if ef.index is not None or not (isinstance(phi, sp.Pow) and phi.exp.is_Integer and phi.exp > 1):
        return None
    for j, T in enumerate(ef.statistics):
        if sp.expand(phi.base - T) == 0:
            t = sp.Dummy("t")
            shifts = tuple(t if jj == j else 0 for jj in range(len(ef.statistics)))
            K = ef.cumulant_function(shifts)
            mgf_n = sp.diff(sp.exp(K), t, int(phi.exp)).xreplace({t: 0})
            value = ef.at_theta(mgf_n)
            value = sp.cancel(value) if not value.has(sp.Function, sp.Sum) else sp.expand(value)
            return Moment(value,
                          f"cumulant function: E[T^{phi.exp}] = d^{phi.exp}/dt^{phi.exp} exp(A(η + t) − A(η)) at t = 0")
    return None


def _exponential_of_statistic(P, ef, phi, x) -> Moment | None:
    """E[e^{a T_j + b}] = e^b exp(A(η + a e_j) − A(η)) at η(θ) (the moment generating function of T_j), where
    η + a e_j lies in the natural parameter space. That is not decided symbolically here: the value is
    cross-checked against quadrature at sampled parameters, and the rule gives way to the definition
    when they disagree (E[e^{X}] under a Gamma with rate ≤ 1 diverges)."""
    if ef.index is not None or not isinstance(phi, sp.exp):
        return None
    for j, T in enumerate(ef.statistics):
        ab = _affine_in(phi.args[0], T, x)
        if ab is None:
            continue
        a, b = ab
        K = ef.cumulant_function(tuple(a if jj == j else 0 for jj in range(len(ef.statistics))))
        value = sp.exp(b) * sp.exp(sp.expand_log(ef.at_theta(K), force=False))
        value = sp.powsimp(sp.gammasimp(value) if value.has(sp.gamma, sp.loggamma) else value, combine="exp")
        pieces = _support_pieces(P)
        if pieces is None or disagreement(value, phi * P.pdf(x), x, pieces, P.measure, P.conditions()) is not None:
            return None
        return Moment(value, f"moment generating function of T = {T}: E[e^(aT + b)] = e^b exp(A(η + a e_T) − A(η)) "
                             "at η(θ) (checked against quadrature: η + a e_T in the natural parameter space)")
    return None


def _support_pieces(P):
    try:
        return _pieces(P.support, P)
    except Exception:  # noqa: BLE001 - a support the definition rules do not read: no cross-check, no rule
        return None


def _by_definition(P: Family, phi, x) -> Moment:
    """The fallback: ∫ φ dP over the support (sum for counting measure), under a time limit."""
    return Moment(*by_definition(P, phi, x))
