r"""Stabilising rules that hand a whole part of a formula to an extended-precision kernel (registered in
:data:`symce.numeric.rewrite.RULES`; each is an exact identity, proved like the others):

* ``log of a product`` — c·log x₁ + … + c·log x_k + K (k ≥ 2, the same numeric c, positive xᵢ, K the
  constant of the sum) → c·logprod_offset(x₁, …, x_k, K/c): the entropy of a d-dimensional Gaussian,
  Σ log Lᵢᵢ + d/2·(1 + log 2π), where log L₁₁ ≈ 700 and log L₂₂ ≈ −700 cancel, and the whole sum cancels
  near its root;
* ``rational part`` — the terms of a sum that are rational functions of the inputs, when one of them holds a
  nested ratio (a sum with a quotient inside: the residual x − Σ lⱼ·(yⱼ/sⱼ) of a triangular solve) →
  exact_rational(their sum), evaluated correctly rounded: the Mahalanobis and trace terms of the Gaussian
  KL/CE with a Cholesky parameterisation, whose cross terms overflow (∞ − ∞ = NaN where the KL is +∞) and
  cancel. Rational parts without nested ratios (the univariate normal's (μ₁ − μ₂)²/(2σ₂²)) are left to
  the cheaper per-term rules;
* ``rational log sum`` — a whole sum K + R₀ + Σ cᵢ log Rᵢ (numbers K, rational terms R₀, dyadic cᵢ, rational
  Rᵢ) where some Rᵢ is not a monomial (a determinant Σ₁₁Σ₂₂ − Σ₁₂²) or R₀ holds a nested ratio →
  rational_log_sum(K, R₀, c₁, R₁, …): the Gaussian entropy/CE/KL with Σ given by its entries, where
  Σ₁₁Σ₂₂ overflows (∞ − ∞ = NaN), the determinant cancels, and tr − d − log det cancels near P = Q; and the
  Cholesky cross-entropy, whose log-det and quadratic parts cancel near 0. It takes the whole sum so the
  kernel sees every cancellation; sums with other functions (the Cholesky KL's −log1pmx_ratio terms, each
  ≥ 0) are left to the other rules, unless a logarithm is not a monomial: then a stable function whose
  definition is logarithms and rational terms joins the sum (the low-rank KL, whose log det C =
  log(1 + Σ Wᵢ²/Dᵢ) overflowed for both P and Q, ∞ − ∞ = NaN where the KL is +∞).
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions import StableFunction, exact_rational, logprod_offset, rational_log_sum, to_elementary
from symce.numeric.rational_function import is_rational_function
from symce.numeric.rewrite_terms import log_terms


def log_product(e):
    """c·Σ log xᵢ + K → c·logprod_offset(x…, K/c) for the largest group of ≥ 2 logarithms with one
    numeric coefficient c and positive arguments."""
    groups: dict = {}
    for c, x, t in log_terms(e):
        if c.is_number and x.is_positive:
            groups.setdefault(c, []).append((x, t))
    best = max(groups.items(), key=lambda kv: len(kv[1]), default=None)
    if best is None or len(best[1]) < 2:
        return e
    c, members = best
    used = {id(t) for _, t in members}
    terms = sp.Add.make_args(e)
    K = sp.Add(*[t for t in terms if t.is_number])
    rest = [t for t in terms if id(t) not in used and not t.is_number]
    xs = sorted((x for x, _ in members), key=sp.default_sort_key)
    return c * logprod_offset(*xs, K / c) + sp.Add(*rest)


def _has_nested_ratio(x) -> bool:
    """A sum inside x with a symbolic quotient among its terms: (b − l·(a/s))."""
    for node in sp.preorder_traversal(x):
        if isinstance(node, sp.Add):
            for t in node.args:
                if any(f.is_Pow and f.exp.is_negative and f.base.free_symbols for f in sp.Mul.make_args(t)):
                    return True
    return False


def _rational(el) -> bool:
    return bool(el.free_symbols) and not el.has(sp.Function) and is_rational_function(el)


def rational_part(e):
    """The rational terms of a sum (one of them with a nested ratio) → exact_rational(their sum)."""
    if not isinstance(e, sp.Add):
        return e
    rational, rest = [], []
    for t in e.args:
        el = to_elementary(t) if not t.is_number else t
        if t.is_Rational or _rational(el):
            rational.append(el)
        else:
            rest.append(t)
    if len(rational) < 2 or not any(_has_nested_ratio(el) for el in rational):
        return e
    return exact_rational(sp.Add(*rational)) + sp.Add(*rest)


def _dyadic(c) -> bool:
    return c.is_Rational and c != 0 and int(c.q) & (int(c.q) - 1) == 0 and int(c.q) <= 8 and abs(c) <= 64


def _has_add(x) -> bool:
    return any(isinstance(node, sp.Add) for node in sp.preorder_traversal(x))


def log_rational_sum(e):
    """K + R₀ + Σ cᵢ log Rᵢ (the whole sum) → rational_log_sum(K, R₀, c₁, R₁, …) when some Rᵢ is not a
    monomial or R₀ has a nested ratio."""
    if not isinstance(e, sp.Add) or not e.has(sp.log):
        return e

    def elementary(t):  # to_elementary walks the tree: only where there is a stable function to replace
        return to_elementary(t) if t.has(StableFunction) else t

    consts, rational, logs, flattened = [], [], {}, False
    terms = list(e.args)
    for t in terms:
        if t.is_number:
            consts.append(t)
            continue
        c, lg = t.as_independent(sp.log, as_Add=False)
        if isinstance(lg, sp.log) and c.is_number:
            x = elementary(lg.args[0])
            if not (_dyadic(c) and _rational(x)):
                return e
            logs[x] = logs.get(x, 0) + c
            continue
        el = elementary(t)
        if not _rational(el):
            if t.has(StableFunction):
                # a stable function whose definition is a sum of logarithms and rational terms (the
                # low-rank KL's log1pmx_ratio(Dᵢ, Dⱼ) = log Dᵢ − log Dⱼ − Dᵢ/Dⱼ + 1): its terms join the sum
                terms.extend(sp.Add.make_args(sp.expand_mul(el, deep=False)))
                flattened = True
                continue
            return e
        rational.append(el)
    logs = {x: c for x, c in logs.items() if c != 0}
    R0 = sp.Add(*rational)
    if not logs or not (any(_has_add(x) for x in logs) or any(_has_nested_ratio(el) for el in rational)):
        return e
    if flattened and not any(_has_add(x) for x in logs):
        # flattened only for a non-monomial log (log det C of the low-rank KL, which overflows to ∞ − ∞);
        # the Cholesky KL, with monomial logs, keeps its −log1pmx_ratio terms (each ≥ 0)
        return e
    cr = [v for x in sorted(logs, key=sp.default_sort_key) for v in (logs[x], x)]
    return rational_log_sum(sp.Add(*consts), R0, *cr)


__all__ = ["log_product", "rational_part", "log_rational_sum"]
