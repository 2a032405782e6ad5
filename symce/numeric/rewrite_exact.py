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
  log(1 + Σ Wᵢ²/Dᵢ) overflowed for both P and Q, ∞ − ∞ = NaN where the KL is +∞). Also where R₀ has
  inputs and the logarithms are of monomials: a rational term and logarithms cancel along a curve
  (CE(Exp(a) ‖ Exp(b)) = b/a − log b ≈ 0 where b/a ≈ log b; the half-normal, log-normal and normal CEs),
  and there a coefficient may be a rational function of the inputs (Pareto's α₂·log(x₁/x₂)). The kernel
  first sums the terms' own float forms and takes only where they cancel to extended precision
  (:mod:`symce.numeric.impl.logsum`), so the cheap forms keep their speed;
* ``log ratio`` — C·log x₁ − C·log x₂ (C a rational function of the inputs, integer multiples) →
  rational_log_sum(0, 0, C, x₁/x₂), before xlogy splits the pair: log x₁ − log x₂ cancels for x₁ ≈ x₂ (Pareto's
  KL, whose other terms are −log1pmx_ratio ≥ 0).
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions import StableFunction, exact_rational, logprod_offset, rational_log_sum, to_elementary
from symce.numeric.rational_function import is_rational_function
from symce.core.walk import has_free_symbols
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
    used = {t for _, t in members}  # by equality: log_terms is memoised, its t may belong to an equal sum
    terms = sp.Add.make_args(e)
    K = sp.Add(*[t for t in terms if t.is_number])
    rest = [t for t in terms if t not in used and not t.is_number]
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
    return has_free_symbols(el) and not el.has(sp.Function) and is_rational_function(el)


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


def _log_combination(lg):
    """R for a logarithm or an integer combination Σ dⱼ log xⱼ of logarithms (the form separate logarithms
    leaves: α₂·(log x₁ − log x₂)) with rational xⱼ: log R = lg, R = Π xⱼ^dⱼ; else None."""
    parts = []
    for t in sp.Add.make_args(lg):
        d, f = t.as_independent(sp.log, as_Add=False)
        if not (isinstance(f, sp.log) and d.is_Integer):
            return None
        parts.append((d, f.args[0]))
    if not all(_rational(x) for _, x in parts):
        return None
    return sp.Mul(*[x ** d for d, x in parts])


def _coefficient(c) -> bool:
    """A log coefficient the kernel takes: a dyadic number, or a rational function of the inputs."""
    return _dyadic(c) if c.is_number else _rational(c)


def log_ratios(e):
    """C·Σⱼ dⱼ log xⱼ → rational_log_sum(0, 0, C, Π xⱼ^dⱼ) for the terms of a sum whose coefficients are one
    rational function C of the inputs times integers dⱼ (≥ 2 logarithms, positive rational xⱼ): C·log(x₁/x₂)
    with the quotient in double-double, where log x₁ − log x₂ cancels for x₁ ≈ x₂ (Pareto's
    α₂·log x₁ − α₂·log x₂; each separate term is accurate, their difference is not)."""
    if not isinstance(e, sp.Add) or not e.has(sp.log):
        return e
    groups: dict = {}
    for t in e.args:
        c, lg = t.as_independent(sp.log, as_Add=False)
        if lg == 1:  # no logarithm: the loop below would stop at once; _rational(c) of the whole term was the cost
            continue
        if c.is_number or c.has(sp.log) or not _rational(c):
            continue
        n, C = c.as_coeff_Mul()
        if not n.is_Integer:
            n, C = sp.S.One, c
        parts = []
        for u in sp.Add.make_args(lg):
            d, f = u.as_independent(sp.log, as_Add=False)
            if not (isinstance(f, sp.log) and d.is_Integer and f.args[0].is_positive and _rational(f.args[0])):
                break
            parts.append((n * d, f.args[0]))
        else:
            groups.setdefault(C, []).append((parts, t))
    subs = {}
    for C, members in groups.items():
        if sum(len(parts) for parts, _ in members) < 2:
            continue
        R = sp.Mul(*[x ** d for parts, _ in members for d, x in parts])
        if R == 1 or not R.free_symbols:
            continue
        for k, (_, t) in enumerate(members):
            subs[t] = rational_log_sum(sp.S.Zero, sp.S.Zero, C, R) if k == 0 else sp.S.Zero
    if not subs:
        return e
    return sp.Add(*[subs.get(t, t) for t in e.args])


def log_rational_sum(e):
    """K + R₀ + Σ cᵢ log Rᵢ (the whole sum) → rational_log_sum(K, R₀, c₁, R₁, …) when some Rᵢ is not a
    monomial, R₀ has a nested ratio, R₀ has inputs (a rational term and a logarithm cancel along a curve:
    CE(Exp(a) ‖ Exp(b)) = b/a − log b), or some cᵢ is a rational function of the inputs (Pareto's
    α₂·log(x₁/x₂), whose logarithms cancel for x₁ ≈ x₂). R₀ keeps its terms' stable form (diff_ratio(a, b,
    s)² of the scaled squares, for the backends that print it); the kernel reads their definitions."""
    if not isinstance(e, sp.Add) or not e.has(sp.log):
        return e

    def elementary(t):  # to_elementary walks the tree: only where there is a stable function to replace
        return to_elementary(t) if t.has(StableFunction) else t

    consts, rational, stable, logs, flattened = [], [], [], {}, False
    terms = list(e.args)
    for t in terms:
        if t.is_number:
            consts.append(t)
            continue
        if isinstance(t, rational_log_sum):  # one of the log ratios above: its parts join the sum
            K, R, *cr = t.args
            consts.append(K)
            rational.append(elementary(R))
            stable.append(R)
            terms.extend(c * sp.log(x) for c, x in zip(cr[::2], cr[1::2]))
            continue
        c, lg = t.as_independent(sp.log, as_Add=False)
        R = _log_combination(elementary(lg)) if isinstance(lg, (sp.log, sp.Add)) and not c.has(sp.log) else None
        if R is not None and _coefficient(elementary(c)):
            c = elementary(c)
            if c.is_number:
                logs[R] = logs.get(R, 0) + c
            else:
                logs[(c, R)] = logs.get((c, R), 0) + 1
            continue
        if isinstance(lg, sp.log) and c.is_number:
            return e  # a logarithm the kernel cannot take (a coefficient that is not dyadic, a transcendental R)
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
        stable.append(t)
    logs = {x: c for x, c in logs.items() if c != 0}
    R0 = sp.Add(*rational)
    numeric = {x: c for x, c in logs.items() if not isinstance(x, tuple)}
    symbolic = [(m * x[0], x[1]) for x, m in logs.items() if isinstance(x, tuple)]
    if not logs or (symbolic and not R0.free_symbols):
        return e  # a symbolic coefficient joins only beside a rational part (the curve where they cancel)
    if flattened:
        if not any(_has_add(x) for x in numeric):
            # flattened only for a non-monomial log (log det C of the low-rank KL, which overflows to ∞ − ∞);
            # the Cholesky KL, with monomial logs, keeps its −log1pmx_ratio terms (each ≥ 0), and a term
            # C·log(x₁/x₂) beside them gets its quotient (Pareto's KL)
            return e
    elif any(_has_add(x) for x in numeric) or any(_has_nested_ratio(el) for el in rational):
        pass  # the Gaussian forms: R₀ as its definition, as before
    elif R0.free_symbols:
        # a rational term and logarithms of the inputs, which cancel along a curve: R₀ in the stable form of
        # its terms (diff_ratio(a, b, s)², for the backends that print R₀; the kernel reads the definitions)
        R0 = sp.Add(*stable)
    else:
        return e
    cr = [v for x in sorted(numeric, key=sp.default_sort_key) for v in (numeric[x], x)]
    cr += [v for c, R in sorted(symbolic, key=sp.default_sort_key) for v in (c, R)]
    return rational_log_sum(sp.Add(*consts), R0, *cr)


__all__ = ["log_product", "rational_part", "log_rational_sum", "log_ratios"]
