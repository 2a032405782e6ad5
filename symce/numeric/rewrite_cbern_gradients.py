r"""The continuous Bernoulli's entropy, cross-entropy and KL derivatives in terms of the stable ``logit_ratio``,
``cbern_mean`` and ``cbern_var`` (:mod:`symce.numeric.functions.logit_ratio`).

The derivatives of the closed forms are rational functions of λ and η = logit λ whose terms are 0/0 or ∞ − ∞ at
λ = ½ (NaN, or a ZeroDivisionError in the math backend) and cancel to nothing near it. With A(η) the
log-normaliser, μ = A′(η) = cbern_mean, A″(η) = cbern_var and η′(λ) = 1/(λ(1 − λ)):

* H(P)′ = −d/dλ (η·μ − A) = −η·A″(η)·η′(λ)            = cbern_dxent(x, x);
* ∂H(P, Q)/∂x = −η_y·μ′(x)                             = cbern_dxent(x, y);
* ∂KL/∂x = −(η_y − η_x)·μ′(x)                          = cbern_dkl(x, y);
* ∂H(P, Q)/∂y = ∂KL/∂y = (A′(η_y) − μ(x))·η′(y)         = cbern_mean_gap(x, y),

with μ′(x) = cbern_var(x)/(x(1 − x)) and cbern_mean_gap(x, y) = (μ(y) − μ(x))/(y(1 − y)): whole partial derivatives
of the inputs (their kernels take η_y − η_x from y − x and round once from double-doubles), whole
atoms so the later rules' expand_mul leaves them as they are.

A candidate is taken only where it equals the expression identically: logλ and log(1 − λ) as independent
symbols (every logarithm of the closed forms is one of log λ, log(1 − λ), log(1/(1 − λ)), log(λ/(1 − λ)),
atanh(±(2λ − 1)) — exact for 0 < λ < 1), both sides rational in them, their difference cancelled to 0.
"""

from __future__ import annotations

import functools
import random

import sympy as sp

from symce.numeric.functions.logit_ratio import cbern_dkl, cbern_dxent, cbern_mean_gap


def unit_parameter(u):
    """λ for u = 2λ − 1 or 1 − 2λ (λ a symbol), with the sign s of u = s(2λ − 1); else None."""
    for s in (1, -1):
        lam = sp.expand((s * u + 1) / 2)
        if lam.is_Symbol:
            return lam, s
    return None


def _parameters(e):
    """The λs: atanh(±(2λ − 1)) arguments and symbols whose logit appears under a reciprocal."""
    lams = {unit_parameter(a.args[0])[0] for a in e.atoms(sp.atanh) if unit_parameter(a.args[0]) is not None}
    # e.has(L) for a logarithm L is L ∈ e.atoms(sp.log) (the same traversal, equality node by node): one walk
    # for all the tests instead of one per test
    logs = e.atoms(sp.log)
    for s in e.free_symbols if logs else ():
        if s.is_Symbol:
            logit, log_s, log_inv, log_c = _logit_forms(s)
            if logit in logs or log_s in logs and (log_inv in logs or log_c in logs):
                lams.add(s)
    return sorted(lams, key=sp.default_sort_key)


@functools.lru_cache(maxsize=1024)
def _logit_forms(s):
    """log(λ/(1 − λ)), log λ, log(1/(1 − λ)), log(1 − λ) for a symbol λ: built once per symbol (each log's
    evaluation asks λ's assumptions: 40 % of this rule's time where every form was built per expression)."""
    return sp.log(s / (1 - s)), sp.log(s), sp.log(1 / (1 - s)), sp.log(1 - s)


def _flat(e, lams):
    """e with log λ → a, log(1 − λ) → b (per λ) and η → a − b; (flat, {λ: η-symbol expr}) or None."""
    sub, eta = {}, {}
    for lam in lams:
        a, b = sp.Dummy(f"a_{lam}"), sp.Dummy(f"b_{lam}")
        eta[lam] = a - b
        sub.update({sp.log(lam): a, sp.log(1 - lam): b, sp.log(1 / (1 - lam)): -b, sp.log(lam / (1 - lam)): a - b,
                    sp.atanh(2 * lam - 1): (a - b) / 2, sp.atanh(1 - 2 * lam): (b - a) / 2})
    flat = e.xreplace(sub)
    if flat.atoms(sp.Function):  # another function of λ (or a logarithm of another form): not these shapes
        return None
    return flat, eta


def _candidates(lams, eta):
    """(stable form, its definition in λ and η) for each derivative shape of the parameters."""
    def mu(x):
        return x / (2 * x - 1) - 1 / eta[x]

    def var(x):
        return 1 / eta[x] ** 2 - x * (1 - x) / (2 * x - 1) ** 2

    def dmu(x):  # μ′(x) = A″(η)/(x(1 − x))
        return var(x) / (x * (1 - x))

    out = []
    if len(lams) == 1:
        (x,) = lams
        out.append((cbern_dxent(x, x), -eta[x] * dmu(x)))
        return out
    for x, y in (lams, lams[::-1]):
        out.append((cbern_dxent(x, y), -eta[y] * dmu(x)))
        out.append((cbern_dkl(x, y), -(eta[y] - eta[x]) * dmu(x)))
        out.append((cbern_mean_gap(x, y), (mu(y) - mu(x)) / (y * (1 - y))))
    return out


def _same(flat, definition, symbols, rng):
    # a quick sample at random rationals (an identity in independent symbols), then exact cancellation
    for _ in range(2):
        point = {s: sp.Rational(rng.randint(3, 97), rng.randint(101, 199)) for s in symbols}
        if flat.xreplace(point) - definition.xreplace(point) != 0:
            return False
    return _is_zero(flat - definition)


def _is_zero(x):
    """Whether the rational function x is identically 0, exactly: x as an element of the field ℚ(its symbols)
    (sparse polynomial arithmetic, a gcd per sum) — a third of cancel(together(x))'s time, which expands one
    numerator over the product of every term's denominator (0.4 s CPU for the cross-entropy's ∂/∂λ₂); cancel
    where x is not rational in its symbols (the field refuses it) or has a float."""
    from sympy.polys.fields import field
    from sympy.polys.polyerrors import PolynomialError

    if x.has(sp.Float) or not x.free_symbols:  # ℚ would take a float as the rational it rounds to
        return sp.cancel(sp.together(x)) == 0
    try:
        K = field(sorted(x.free_symbols, key=sp.default_sort_key), sp.QQ)[0]
        return K(x) == 0
    except (PolynomialError, ValueError, TypeError):
        return sp.cancel(sp.together(x)) == 0


def _may_be_cbern(e, free) -> bool:
    """False where cbern_gradient_forms must give e back, decided from e's functions alone (one walk), before
    _parameters builds the four logarithms of each symbol (their evaluation asks its assumptions: most of this
    rule's time on the catalog's other formulas, none of which match): _flat refuses every function but the
    log/atanh keys, each of exactly one symbol (log 2π, Γ, ψ, σ stay), and a λ must be all of e's symbols,
    each one reached by an atanh or a logit form, whose logarithm has a compound argument (λ/(1 − λ),
    1 − λ, 1/(1 − λ); a bare log λ alone is not one)."""
    reached = set()
    for f in e.atoms(sp.Function):
        if not isinstance(f, (sp.log, sp.atanh)):
            return False
        syms = f.args[0].free_symbols
        if len(syms) != 1:
            return False
        if isinstance(f, sp.atanh) or not f.args[0].is_Symbol:
            reached |= syms
    return reached >= free


def cbern_gradient_forms(e):
    """e → its stable form where e is one of the derivative shapes above; else e unchanged."""
    if not (e.has(sp.atanh) or e.has(sp.log)):
        return e
    free = e.free_symbols
    if len(free) > 2:  # the λs below must be all of them, and at most two: skip _parameters' walks
        return e
    if not _may_be_cbern(e, free):
        return e
    lams = _parameters(e)
    if not 1 <= len(lams) <= 2 or not set(lams) >= e.free_symbols:
        return e
    got = _flat(e, lams)
    if got is None:
        return e
    flat, eta = got
    symbols = sorted(flat.free_symbols, key=sp.default_sort_key)
    rng = random.Random(1)
    for stable, definition in _candidates(lams, eta):
        if _same(flat, definition, symbols, rng):
            return stable
    return e


__all__ = ["cbern_gradient_forms", "unit_parameter"]
