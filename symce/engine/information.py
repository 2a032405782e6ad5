r"""Entropy, cross-entropy and KL divergence, as definitions turned into derivations.

For distributions P, Q on one sample space with densities p = dP/dν, q = dQ/dν w.r.t. a common
dominating measure ν (counting measure for discrete families, Lebesgue measure for continuous ones):

* H(P, Q) = −∫ p log q dν = −E_P[log q(X)]   (+∞ when P is not absolutely continuous w.r.t. Q),
* H(P) = H(P, P),
* KL(P ‖ Q) = E_P[log p(X) − log q(X)], which :func:`symce.kl_decomposition` proves equals H(P,Q) − H(P).

The expectation is taken by :func:`symce.engine.expectation.expectation`; the result is canonicalised by
:func:`symce.engine.canonical.canonical`. Results are memoised per (quantity, P, Q), in a bounded LRU (:func:`set_cache_size`).
"""

from __future__ import annotations

import gc
from collections import OrderedDict

import sympy as sp

from symce.core.quantity import Quantity
from symce.engine.canonical import canonical
from symce.engine.derivation import Derivation, Expect, Step
from symce.errors import DimensionMismatchError, FamilyMismatchError, InvalidParameterError
from symce.engine import definition
from symce.engine.expectation import clear_memo as expectation_memo, expectation
from symce.core.coerce import as_family
from symce.core.family import Family
from symce.engine.supports import absolutely_continuous
from symce.core.collector import without_gc
from symce.core.limits import time_limit

#: memoised derivations, least recently used first (an LRU of at most _CACHE_SIZE entries)
_MEMO: OrderedDict = OrderedDict()
_CACHE_SIZE = 1024
#: functions that forget other memos of derived objects (families register theirs)
_CLEARERS: list = []


def clear_cache() -> None:
    """Forget memoised derivations and give their memory back: symce's memo, the memos families keep
    beside it, and SymPy's own cache (which holds references to the derived expressions; it refills
    as it is used). Benchmarks use it to measure cold derivations."""
    _MEMO.clear()
    for clear in _CLEARERS:
        clear()
    sp.core.cache.clear_cache()
    gc.collect()


def set_cache_size(n: int) -> None:
    """Keep at most ``n`` memoised derivations (least recently used ones are forgotten first; default 1024;
    0 memoises nothing). A derivation of a normal KL holds about 20 kB, one at k = 10⁴ classes a few MB."""
    global _CACHE_SIZE
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InvalidParameterError("set_cache_size", "n", n, "a non-negative int (the number of derivations kept)")
    _CACHE_SIZE = n
    while len(_MEMO) > n:
        _MEMO.popitem(last=False)


def get_cache_size() -> int:
    """The most memoised derivations kept (see :func:`set_cache_size`)."""
    return _CACHE_SIZE


def register_cache(clear) -> None:
    """Have :func:`clear_cache` call ``clear()`` too (for memos kept by families)."""
    if clear not in _CLEARERS:
        _CLEARERS.append(clear)


#: log-densities per (distribution, variable): an example's entropy, KL(P ‖ P) and its cross-entropies and
#: KLs against each partner build log p and log q again (5 of 7 builds over a pair's items in the cold catalog)
_LOG_DENSITY: dict = {}
_LOG_DENSITY_SIZE = 256

register_cache(definition.clear_memo)  # E_P[φ] by definition, memoised per (P, φ)
register_cache(_LOG_DENSITY.clear)
register_cache(expectation_memo)  # E_P[φ] by any rule, memoised per (P, φ, x)


def cross_entropy(P: Family, Q: Family) -> Derivation:
    """H(P, Q) = −∫ (dP/dν) log(dQ/dν) dν, derived; +∞ when P is not absolutely continuous w.r.t. Q."""
    P, Q = as_family(P, "P"), as_family(Q, "Q")
    _check_pair(P, Q)
    return _memo(("cross_entropy", P, Q), lambda: _derive("cross_entropy", P, Q))


def entropy(P: Family) -> Derivation:
    """H(P) = H(P, P) = −E_P[log p(X)], derived."""
    P = as_family(P, "P")
    return _memo(("entropy", P), lambda: _derive("entropy", P, P))


def kl(P: Family, Q: Family) -> Derivation:
    """KL(P ‖ Q) = E_P[log p(X) − log q(X)], derived directly (not as a difference of results)."""
    P, Q = as_family(P, "P"), as_family(Q, "Q")
    _check_pair(P, Q)
    return _memo(("kl", P, Q), lambda: _derive("kl", P, Q))


# ---------------------------------------------------------------------------------------------------
_LHS = {kind: Quantity.information(kind) for kind in ("cross_entropy", "entropy", "kl")}
_DEFINITION = {
    "cross_entropy": "definition: H(P, Q) = −∫ (dP/dν) log(dQ/dν) dν = −E_P[log q(X)]",
    "entropy": "definition: H(P) = H(P, P) = −E_P[log p(X)]",
    "kl": "definition: KL(P ‖ Q) = ∫ (dP/dν) log((dP/dν)/(dQ/dν)) dν = E_P[log p(X) − log q(X)]",
}


def _memo(key, build):
    hit = _MEMO.get(key)
    if hit is not None:
        _MEMO.move_to_end(key)
        return hit
    hit = build()
    if _CACHE_SIZE:
        _MEMO[key] = hit
        while len(_MEMO) > _CACHE_SIZE:
            _MEMO.popitem(last=False)
    return hit


@without_gc  # acyclic SymPy objects by the ten thousand: core/collector.py
def _derive(quantity: str, P: Family, Q: Family) -> Derivation:
    lhs = _LHS[quantity]
    with time_limit(f"derivation of {lhs} for P = {P!r}, Q = {Q!r}"):
        template = _templates(P, Q, quantity)
        if template is not None:
            return template
        infinite = _not_absolutely_continuous(P, Q) if quantity != "entropy" else None
        # supp P ⊆ supp Q decides P ≪ Q for densities positive on their supports; undecided (symbolic
        # ends) gives the condition under which the finite value holds
        contained = absolutely_continuous(P, Q) if quantity != "entropy" and infinite is None else None
        if contained is not None and contained[0] is False:
            infinite = contained[1]
        conditions = tuple(dict.fromkeys([*P.conditions(), *(Q.conditions() if Q is not P else [])]))
        dists = (P,) if quantity == "entropy" else (P, Q)
        if infinite is not None:
            steps = (Step(sp.oo, infinite),)
            return Derivation(quantity, lhs, sp.oo, steps, "absolute continuity", conditions, dists,
                              infinite_reason=infinite)
        x = P.variable()
        log_q = _log_density(Q, x)
        g = (_log_density(P, x) - log_q) if quantity == "kl" else -log_q
        shown = Expect(g) if quantity == "kl" else -Expect(log_q)
        steps = [Step(shown, _DEFINITION[quantity] + f" (ν = {P.measure})")]
        # a point mass anywhere (P's or Q's) sums over P's points: log 0 must never meet a 0 weight
        if P.support_points() is not None and (_has_null_points(P) or _has_null_points(Q)):
            value, more, rules = _sum_over_support(quantity, P, Q)
        else:
            value, more, rules = expectation(P, g, x)
        steps.extend(more)
        result = canonical(value)
        steps.append(Step(result, "canonical form (grouped by log terms, common denominators)"))
        if contained is not None and contained[0] is not True:
            cond, reason = contained
            result = sp.Piecewise((result, cond), (sp.oo, True))
            steps.append(Step(result, reason))
        return Derivation(quantity, lhs, result, tuple(steps), "; ".join(sorted(rules)), conditions, dists)


def _templates(P: Family, Q: Family, quantity: str) -> Derivation | None:
    """Explicit-size families (k classes, dimension d) are derived once at symbolic size and
    instantiated: the family supplies a symbolic counterpart and the instantiation."""
    tp = P.template("P")
    if tp is None:
        return None
    tq = tp if quantity == "entropy" else Q.template("Q")
    if tq is None:
        return None
    (P_t, map_p), (Q_t, map_q) = tp, tq
    # memoised: every explicit pair of the same kinds shares one symbolic-size derivation
    key = (quantity, P_t) if quantity == "entropy" else (quantity, P_t, Q_t)
    inner = _memo(key, lambda: _derive(quantity, P_t, Q_t if quantity != "entropy" else P_t))
    return type(P).instantiate_derivation(inner, {**map_p, **map_q}, P, Q)


def _log_density(P: Family, x):
    key = (P, x)
    try:
        hit = _LOG_DENSITY.get(key)
    except TypeError:  # an unhashable parameter (a mutable matrix): not memoised
        return P.log_density(x)
    if hit is None:
        if len(_LOG_DENSITY) >= _LOG_DENSITY_SIZE:
            _LOG_DENSITY.pop(next(iter(_LOG_DENSITY)))
        hit = _LOG_DENSITY[key] = P.log_density(x)
    return hit


def _check_pair(P, Q) -> None:
    sp_p, sp_q = P.sample_space, Q.sample_space
    if sp_p == sp_q:
        return
    if sp_p[0] == sp_q[0]:
        raise DimensionMismatchError(
            f"P = {P!r} and Q = {Q!r} live on different {sp_p[0]} sample spaces "
            f"({sp_p[1:]} vs {sp_q[1:]}); both must have the same number of classes/dimension")
    raise FamilyMismatchError(
        f"P = {P!r} lives on a {sp_p[0]} sample space and Q = {Q!r} on a {sp_q[0]} one; "
        "cross-entropy and KL need both distributions on the same sample space")


def is_zero(e) -> bool:
    """Exactly zero, decided beyond syntax: sin²(π/7) + cos²(π/7) − 1 and log 6 − log 2 − log 3 are 0 too
    (``equals`` proves or disproves a constant numerically with error control; symbols use assumptions)."""
    if e.is_zero is not None:
        return bool(e.is_zero)
    return bool(e.is_number and e.equals(0))


def _has_null_points(P: Family) -> bool:
    pts = P.support_points()
    return pts is not None and any(is_zero(P.mass(pt)) for pt in pts)


def _not_absolutely_continuous(P: Family, Q: Family) -> str | None:
    """A reason string when P puts mass where Q has none (so the answer is +∞), else None."""
    pts = P.support_points()
    if pts is None or Q.support_points() is None:
        return None  # continuous families here have full support; symbolic k: positive parameters
    support = Q.support  # built once: a multinomial's is the FiniteSet of all its count vectors
    for pt in pts:
        # a point outside Q's support has Q-mass 0 whatever Q.mass says (Bernoulli's mass assumes x ∈ {0, 1})
        qm, pm = (sp.S.Zero if support.contains(pt) is sp.false else Q.mass(pt)), P.mass(pt)
        if is_zero(qm) and not is_zero(pm):
            return (f"P is not absolutely continuous w.r.t. Q: P({{{pt}}}) = {pm} > 0 but Q({{{pt}}}) = 0, "
                    f"so −P({{{pt}}})·log Q({{{pt}}}) = +∞")
    return None


def _sum_over_support(quantity: str, P: Family, Q: Family):
    """Counting measure with null points: sum over the points of positive P-mass (0·log 0 = 0).
    The log-density at a point is log of its mass, so a null point never meets log 0."""
    terms = [(P.mass(pt), pt) for pt in P.support_points()]
    kept = [(m, pt) for m, pt in terms if not is_zero(m)]
    if quantity == "kl":
        value = sp.Add(*[m * (sp.log(m) - sp.log(Q.mass(pt))) for m, pt in kept])
    else:
        value = -sp.Add(*[m * sp.log(Q.mass(pt)) for m, pt in kept])
    dropped = [pt for m, pt in terms if is_zero(m)]
    steps = [Step(value, f"sum over the support; points {dropped} have P-mass 0 and contribute 0 "
                         "(convention 0·log 0 = 0, the limit of t·log t)")]
    return value, steps, {"definition: sum over the support (counting measure)"}
