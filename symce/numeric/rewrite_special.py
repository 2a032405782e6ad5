r"""Stabilising rules for the formulas with log Γ and ψ (Gamma, Beta, Dirichlet, InverseGamma, …).

* ``Stirling split`` — c·log Γ(y) − c·log Γ(x) − c·(y − x)ψ(x) = c·stirling_bregman(y, x) +
  c·(y log(y/x) − y + x): the part of a KL between Gamma, Beta or Dirichlet distributions that cancels to
  O((y − x)²) near P = Q, as one function computed from the difference
  (:mod:`symce.numeric.impl.gamma_kernels`) plus logarithms the rules below combine; and where log Γ(x)
  and ψ(x) both remain, log Γ(x) = h(x) + x log x − x and ψ(x) = h′(x) + log x (h = lgamma_rem,
  h′ = digamma_rem, :mod:`symce.numeric.functions.gamma`): log Γ overflows for x > 2.5·10³⁰⁵ and
  x ψ(x) − log Γ(x) cancels to O(log x), while h and h′ are O(log x) and O(1/x).
* ``collect ψ`` — the coefficients of each h′(x) or ψ(x) summed into one factor.
* ``Γ products`` — bᵏ·e^u·Γ(z) = gamma_scaled(z, k log b + u), evaluated as one exponential (Weibull, Gumbel KL).
* ``Γ-scaled excess`` — the Weibull and Gumbel KLs, e^L Γ(1 + r) − 1 − L − log r + γ(r − 1), as four terms
  ≥ 0 that vanish to second order at P = Q (:func:`gamma_scaled_excess_form`).
* ``entropy log sum`` — an entropy's logarithms, constant and rational terms as one rational_log_sum (the
  Gamma, inverse-gamma and Weibull entropies cancel where H ≈ 0), after the one-argument Stirling split with
  Binet's μ (log Γ(x) = μ(x) + (x − ½) log x − x + ½ log 2π).

* ``scaled relative entropy`` — what is left of such a KL, Σ_A A log(A/Y_A) − A + Y_A, as Σ kl_div(A, Y_A):
  every term ≥ 0, with Y_A − A (lowered exactly, :func:`symce.numeric.lowering.lower`) instead of a
  difference of logarithms.

All are exact identities, proved like every rule (:mod:`symce.numeric.rewrite_proof`) with the stable
functions replaced by their definitions.
"""

from __future__ import annotations

from collections import defaultdict

import sympy as sp

from symce.numeric.functions.elementary import diff_ratio, kl_div
from symce.numeric.functions.exact import rational_log_sum
from symce.numeric.functions.gamma import (digamma_rem, digamma_stirling, gamma_excess_shift, gamma_scaled,
                                           gamma_scaled_excess, lgamma_balanced, lgamma_rem,
                                           lgamma_stirling, stirling_bregman, stirling_bregman_sum)
from symce.numeric.rational_function import is_rational_function


def _split(f, binet: bool = False):
    """log Γ(x) → h(x) + x log x − x, ψ(x) → h′(x) + log x; with ``binet`` Stirling's formula itself,
    log Γ(x) → μ(x) + (x − ½) log x − x + ½ log 2π, ψ(x) → μ′(x) + log x − 1/(2x)."""
    if isinstance(f, sp.loggamma):
        x = f.args[0]
        if binet:
            return lgamma_stirling(x) + (x - sp.S.Half) * sp.log(x) - x + sp.log(2 * sp.pi) / 2
        return lgamma_rem(x) + x * sp.log(x) - x
    x = f.args[1]
    if binet:
        return digamma_stirling(x) + sp.log(x) - 1 / (2 * x)
    return digamma_rem(x) + sp.log(x)


def _gamma_terms(e):
    """({x: coefficient of log Γ(x)}, {x: coefficient of ψ(x)}, other terms) of the expanded sum e, for
    positive x."""
    lg, dg, rest = defaultdict(lambda: sp.S.Zero), defaultdict(lambda: sp.S.Zero), []
    for t in sp.Add.make_args(e):
        c, f = t.as_independent(sp.loggamma, sp.polygamma, as_Add=False)
        if isinstance(f, sp.loggamma) and f.args[0].is_positive and not c.has(sp.loggamma, sp.polygamma):
            lg[f.args[0]] += c
        elif (isinstance(f, sp.polygamma) and f.args[0] == 0 and f.args[1].is_positive
              and not c.has(sp.loggamma, sp.polygamma)):
            dg[f.args[1]] += c
        else:
            rest.append(t)
    return lg, dg, rest


def stirling_split(e):
    """c·log Γ(y) − c·log Γ(x) − c·(y − x)·ψ(x) → c·(stirling_bregman(y, x) + y log y − y log x − y + x)
    (exact matches), then log Γ(x) and ψ(x) → h(x) + x log x − x and h′(x) + log x for every x where both
    remain (an entropy's log Γ(α) − αψ(α), which cancels for large α); a log Γ or ψ alone stays (its
    kernel is accurate, the split would cancel at its zeros: ψ(1.4616…) = h′ + log x = 0)."""
    if not e.has(sp.loggamma) or not e.has(sp.polygamma):
        return e
    lg, dg, rest = _gamma_terms(sp.expand_mul(e))
    found = []
    for y in list(lg):
        for x in list(lg):
            if x == y or y not in lg or x not in lg or x not in dg:
                continue
            c = lg[y]
            if sp.expand(c + lg[x]) != 0 or sp.expand(dg[x] - c * (x - y)) != 0:
                continue
            # the logarithms' coefficients distributed (y = α₂ + β₂ of a Beta KL: α₂ log(α₁ + β₁) + …), so
            # the scaled-relative-entropy rule sees one term per coordinate
            found.append(c * stirling_bregman(y, x) + sp.expand_mul(c * (y * sp.log(y) - y * sp.log(x) - y + x)))
            del lg[y], lg[x], dg[x]
    both = set(lg) & set(dg)
    if not found and not both:
        return e
    # one argument only (the Gamma, inverse-gamma, χ² entropies): Stirling's formula with Binet's μ, so the
    # ½ log x it leaves joins the entropy's other logarithms in one log sum (entropy_log_sum)
    binet = not found and len(both) == 1 and len(lg) == 1 and len(dg) == 1
    terms = [c * (_split(sp.loggamma(x), binet) if x in both else sp.loggamma(x)) for x, c in lg.items()]
    terms += [c * (_split(sp.polygamma(0, x), binet) if x in both else sp.polygamma(0, x)) for x, c in dg.items()]
    return sp.Add(*found, *terms, *rest)


def _collected_polygamma(f):
    """ψ(x) at any argument; ψ⁽ⁿ⁾(x), n ≥ 1, only at an argument that is not a sum: at S = x₁ + … + x_k
    (Dirichlet) S overflows to ∞ and the collected (S − k)·ψ′(S) is ∞·0 = NaN, where the separate terms
    xᵢ·ψ′(S) are each 0 (finite)."""
    n, x = f.args
    return n == 0 or (n.is_Integer and n > 0 and not isinstance(x, sp.Add))


def collect_digamma(e):
    """Σ cᵢ·h′(x) → (Σ cᵢ)·h′(x), and the same for ψ(x) and ψ⁽ⁿ⁾(x): −α h′(α) + h′(α) = (1 − α)·h′(α) is
    finite where h′(α) ≈ −1/α overflows (α subnormal) and the two terms would give ∞ − ∞; in a derivative
    −α ψ′(α) + ψ′(α) = (1 − α)·ψ′(α) is the correct +∞ where ψ′(α) ≈ 1/α² overflows (α < 1e-154)."""
    if not e.has(digamma_rem, digamma_stirling, sp.polygamma):
        return e
    coeffs, rest, count = defaultdict(lambda: sp.S.Zero), [], defaultdict(int)
    for t in sp.Add.make_args(e):
        c, f = t.as_independent(digamma_rem, digamma_stirling, sp.polygamma, as_Add=False)
        collected = isinstance(f, (digamma_rem, digamma_stirling)) or (
            isinstance(f, sp.polygamma) and _collected_polygamma(f))
        if collected and not c.has(digamma_rem, digamma_stirling, sp.polygamma):
            coeffs[f] += c
            count[f] += 1
        else:
            rest.append(t)
    if all(n < 2 for n in count.values()):
        return e
    return sp.Add(*[sp.factor_terms(c) * f for f, c in coeffs.items()], *rest)


def gamma_products(e):
    """c·Π bᵢ^{eᵢ}·Π e^{uⱼ}·Γ(z) → c·gamma_scaled(z, Σ eᵢ log bᵢ + Σ uⱼ) for positive bᵢ, symbolic eᵢ and
    positive z: one exponential of a sum of logarithms instead of factors that overflow separately."""
    if not e.has(sp.gamma):
        return e

    def scaled(m):
        gammas = [f for f in m.args if isinstance(f, sp.gamma) and f.args[0].is_positive]
        if len(gammas) != 1:
            return m
        big_l, keep = [], []
        for f in m.args:
            if f is gammas[0]:
                continue
            if isinstance(f, sp.exp):
                big_l.append(f.args[0])
            elif f.is_Pow and f.base.is_positive and not f.exp.is_number:
                big_l.append(f.exp * sp.log(f.base))
            else:
                keep.append(f)
        if not big_l:
            return m
        return sp.Mul(*keep, gamma_scaled(gammas[0].args[0], sp.Add(*big_l)))

    return e.replace(lambda m: isinstance(m, sp.Mul) and m.has(sp.gamma), scaled)


def gamma_scaled_excess_form(e):
    """c·e^L·Γ(z) − c − c·L − c·log r + c·γ(r − 1) with z = 1 + r → c·(gamma_scaled_excess(z, L) +
    stirling_bregman(z, 2) + kl_div(z, 2) + kl_div(1, r)): the Weibull KL (r = k₂/k₁, L = k₂ log(λ₁/λ₂))
    and the Gumbel KL (r = β₁/β₂, L = (μ₂ − μ₁)/β₂) are e^s − 1 − s with s = L + log Γ(z), plus
    log Γ(z) − log r + γ(r − 1) = [log Γ(z) − log Γ(2) − (z − 2)ψ(2)] + (r − 1 − log r), the Bregman
    divergence of log Γ at 2 (ψ(2) = 1 − γ), which the Stirling split writes as kl_div(z, 2) +
    stirling_bregman(z, 2), and kl_div(1, r): four terms ≥ 0 and O((P − Q)²), where the formula's terms
    cancel near P = Q (2.8·10³ and 4·10³ ULP). z is one fraction ((k₁ + k₂)/k₁), so the lowering gives
    z − 2 and r − 1 exactly rounded from the inputs. Whatever else the sum holds (a cross-entropy's
    entropy part) stays as it is."""
    if not e.has(gamma_scaled):
        return e
    terms = sp.Add.make_args(e)
    for t in terms:
        c, f = t.as_independent(gamma_scaled, as_Add=False)
        if not isinstance(f, gamma_scaled) or c.has(gamma_scaled) or not c.is_number:
            continue
        z, big_l = f.args
        r = sp.expand(z - 1)
        if not r.is_positive:
            continue
        rest = sp.Add(*[u for u in terms if u is not t])
        target = c * (-sp.log(r) + sp.EulerGamma * (r - 1) - 1 - big_l)
        left = sp.expand(sp.expand_log(rest - target))
        # the rule takes the cancelling terms only if all of them are there
        if left.has(gamma_scaled) or sp.expand(sp.expand_log(rest)).count_ops() <= left.count_ops():
            continue
        z = sp.together(z)
        # L = (a − b)/s as one difference ratio ((μ₂ − μ₁)/β₂ without overflow of μ₂ − μ₁): near P = Q it is
        # small, and −μ₁/β₂ + μ₂/β₂ would carry the rounding of each quotient
        num, den = sp.fraction(sp.together(big_l))
        parts = sp.Add.make_args(num)
        if len(parts) == 2 and den.is_positive and not big_l.has(sp.log):
            a, b = sorted(parts, key=lambda p: p.could_extract_minus_sign())
            if not a.could_extract_minus_sign() and (-b).is_Symbol and a.is_Symbol:
                big_l = diff_ratio(a, -b, den)
        # k₂·(log λ₁ − log λ₂), not k₂ log λ₁ − k₂ log λ₂: ∞ − ∞ at k₂ = 1.8·10³⁰⁸ where L = −∞ (KL = +∞)
        big_l = sp.factor_terms(big_l) if big_l.has(sp.log) else big_l
        ratio_part, left = _ratio_with_entropy_log(c, r, left)
        excess = gamma_scaled_excess(z, big_l)
        quot = sp.cancel(ratio_part / c) if c != 0 else None
        if isinstance(quot, diff_ratio) and quot.args[1].is_number and quot.args[1].is_positive:
            # the Weibull CE's (k₂ − γ)/k₁ is −∞ where e^s is +∞ (k₁ subnormal, k₂ < γ): one function
            # decides the sign of that ∞ − ∞ (issue 11: NaN at k₁ = 5e-324, k₂ = ½)
            excess, ratio_part = gamma_excess_shift(z, big_l, *quot.args), sp.S.Zero
            near = c * (excess + stirling_bregman(z, 2) + kl_div(z, 2)) + ratio_part + left
            far = _far_form(c, gamma_scaled(z, big_l), rest)
            if far is None:
                return near
            # e^s < 1/e (s = L + log Γ(z) < −1): the split's e^s − 1 − s ≈ |s| cancels against the logarithms
            # (1.7·10⁸ ULP at k₁ = 710, λ₁ = 10⁻⁸, CE ≈ 10⁻⁸; 43 ULP at s = −694), where e^s + the rest as
            # written is exact up to the e^s's own rounding (the rest's logarithms in one log sum)
            return sp.Piecewise((far, gamma_scaled(z, big_l) < sp.exp(-1)), (near, True))
        return c * (excess + stirling_bregman(z, 2) + kl_div(z, 2)) + ratio_part + left
    return e


def _far_form(c, scaled, rest):
    """c·e^s + rest with rest = Σ cᵢ log xᵢ + γ·(a − b)/d (the Weibull CE's k₂ log λ₂ + (1 − k₂) log λ₁ −
    log k₂ + γ(k₂ − 1)/k₁) as c·scaled + rational_log_sum(0, 0, c₁, x₁, …) + γ·diff_ratio(a, b, d); None for
    any other rest."""
    rest = sp.expand(rest)
    g = sp.together(rest.coeff(sp.EulerGamma))
    num, den = sp.fraction(g)
    parts = sp.Add.make_args(sp.expand(num))
    if len(parts) != 2 or not den.is_Symbol:
        return None
    a, b = sorted(parts, key=lambda p: p.could_extract_minus_sign())
    if not (a.is_Symbol or a.is_number) or not ((-b).is_Symbol or (-b).is_number):
        return None
    logs = defaultdict(lambda: sp.S.Zero)
    for t in sp.Add.make_args(sp.expand(rest - sp.EulerGamma * g)):
        k, lg = t.as_independent(sp.log, as_Add=False)
        if not (isinstance(lg, sp.log) and lg.args[0].is_Symbol and lg.args[0].is_positive
                and k.is_polynomial() and not k.has(sp.log)):
            return None
        logs[lg.args[0]] += k
    cr = [v for x in sorted(logs, key=sp.default_sort_key) for v in (sp.factor_terms(logs[x]), x) if logs[x] != 0]
    if len(cr) < 4:
        return None
    return c * scaled + rational_log_sum(0, 0, *cr) + sp.EulerGamma * diff_ratio(a, -b, den)


def _ratio_with_entropy_log(c, r, left):
    """c·kl_div(1, r) and the rest, r = a/b: where the rest (a cross-entropy's entropy part) holds c·log a
    (Gumbel: log β₁, r = β₁/β₂) or −c·log b (Weibull: −log k₁, r = k₂/k₁), the two as c·((a − b)/b + log b)
    or c·((a − b)/b − log a), since kl_div(1, a/b) = a/b − 1 − log a + log b. Apart, each is ≈ 744 where a is
    5e-324 while the cross-entropy is ≈ 1 (a/b subnormal: 490 ULP) — the log of the tiny one cancels exactly
    in the symbols instead. A KL has no such log: kl_div(1, r) ≥ 0 stays (O((P − Q)²) near P = Q)."""
    a, b = sp.fraction(r)
    if not (a.is_Symbol and b.is_Symbol and a.is_positive and b.is_positive):
        return c * kl_div(1, r), left
    terms = sp.Add.make_args(left)
    for t in terms:
        for sym, sign in ((a, 1), (b, -1)):
            if t == sign * c * sp.log(sym):
                rest = [u for u in terms if u is not t]
                other = b if sym == a else a
                # a term c·K/b beside (Weibull's −γ/k₁): c·(a − b + K)/b = c·diff_ratio(a, −K, b) − c, one
                # quotient ((k₂ − γ)/k₁ = +∞ at k₁ = 5e-324, where (k₂ − k₁)/k₁ − γ/k₁ was ∞ − ∞)
                for u in rest:
                    k = sp.cancel(u * b / c)
                    if k.is_number and k.is_real and k != 0:
                        rest.remove(u)
                        # the logarithms and constants left (Weibull: log λ₁ − log k₂ + γ) in one double-double
                        # sum: they cancel to ≈ 0.6 at λ₁ = k₂ = 1e-300 (491 ULP of CE ≈ 1 as separate terms)
                        return (c * diff_ratio(a, -k, b),
                                entropy_log_sum(sp.Add(*rest) - c + sign * c * sp.log(other)))
                return c * diff_ratio(a, b, b), sp.Add(*rest) + sign * c * sp.log(other)
    return c * kl_div(1, r), left


def _rational_term(t) -> bool:
    return bool(t.free_symbols) and not t.has(sp.Function, sp.NumberSymbol) and is_rational_function(t)


def entropy_log_sum(e):
    """K + R₀ + Σ cᵢ log xᵢ (K a number, R₀ the rational terms, dyadic cᵢ, rational xᵢ > 0, at least two
    logarithms) → rational_log_sum(K, R₀, c₁, x₁, …) plus the other terms, in the entropies with
    special functions: the Gamma entropy ½ log α − log β + ½ log 2π + ½ − 1/(2α) + μ(α) + (1 − α)μ′(α), the
    Weibull entropy log λ − log k + 1 + γ − γ/k, whose logarithms and constant cancel where H ≈ 0 (115 and
    52 ULP at H ≈ 0.04 as separate terms); the kernel adds them in double-double with the exponents apart."""
    if not e.has(lgamma_stirling, lgamma_balanced, digamma_stirling, sp.EulerGamma) or not isinstance(e, sp.Add):
        return e
    if e.has(stirling_bregman, kl_div, gamma_scaled, gamma_scaled_excess, lgamma_rem, digamma_rem):
        return e
    consts, rational, logs, others = [], [], {}, []
    for t in e.args:
        if t.is_number:
            consts.append(t)
            continue
        c, lg = t.as_independent(sp.log, as_Add=False)
        if isinstance(lg, sp.log) and c.is_Rational and _rational_term(lg.args[0]) and lg.args[0].is_positive:
            q = int(c.q)
            if q & (q - 1) == 0 and q <= 8 and abs(c) <= 64:
                logs[lg.args[0]] = logs.get(lg.args[0], 0) + c
                continue
        (rational if _rational_term(t) else others).append(t)
    logs = {x: c for x, c in logs.items() if c != 0}
    if len(logs) < 2:
        return e
    cr = [v for x in sorted(logs, key=sp.default_sort_key) for v in (logs[x], x)]
    return rational_log_sum(sp.Add(*consts), sp.Add(*rational), *cr) + sp.Add(*others)


def _log_terms(e):
    """{A: [(k, B)]} for the terms k·A·log B of the sum e (k a rational number), and the other terms."""
    out, rest = defaultdict(list), []
    for t in sp.Add.make_args(e):
        c, lg = t.as_independent(sp.log, as_Add=False)
        if isinstance(lg, sp.log) and not c.has(sp.log) and c.free_symbols:
            # a coefficient that is a sum ((α₂ + β₂)·log(α₁ + β₁), as separate_logarithms groups them)
            # gives one entry per addend
            parts = [a.as_coeff_Mul() for a in sp.Add.make_args(sp.expand(c))]
            if all(k.is_Rational and a.free_symbols for k, a in parts):
                for k, a in parts:
                    out[a].append((k, lg.args[0]))
                continue
        rest.append(t)
    return out, rest


def scaled_relative_entropy(e):
    """Σ_A (A log A − Σ k·A log B) + Σ_A (Y_A − A) → Σ_A kl_div(A, Y_A), Y_A = Π B^{−k}, where the rational
    terms of the sum are exactly Σ_A (Y_A − A): the log part of a Gamma (Beta, Dirichlet) KL,
    α₂ log(α₂β₁/(α₁β₂)) − α₂ + α₁β₂/β₁ = kl_div(α₂, α₁β₂/β₁) ≥ 0 (per coordinate for Beta and Dirichlet:
    Σ kl_div(aᵢ, bᵢ·S_a/S_b) with the totals S). Applied only to the forms of the Stirling split (the
    other formulas keep the relative-entropy rule of rewrite_logs)."""
    if not e.has(stirling_bregman, lgamma_rem, digamma_rem):
        return e
    logs, rest = _log_terms(e)
    pairs = {}
    for a, kbs in logs.items():
        own = [k for k, b in kbs if b == a and k > 0]
        if len(own) != 1 or not a.is_positive or len(kbs) < 2:
            continue
        # k₀·a·log a + Σ k·a·log B = A log(A/Y) with A = k₀a, Y = k₀·Π B^(−k/k₀) (χ²: A = ν₂/2, Y = ν₁/2)
        k0 = own[0]
        y = k0 * sp.Mul(*[b ** (-k / k0) for k, b in kbs if b != a])
        pairs[a] = (k0 * a, y)
    if not pairs:
        return e
    rational = [t for t in rest if not t.atoms(sp.Function)]
    if sp.cancel(sp.Add(*rational) - sp.Add(*[y - big for big, y in pairs.values()])) != 0:
        return e
    others = [t for t in rest if t.atoms(sp.Function)]
    leftover = [k * a * sp.log(b) for a, kbs in logs.items() if a not in pairs for k, b in kbs]
    return sp.Add(*[kl_div(big, y) for big, y in pairs.values()], *others, *leftover)


def bregman_sum(e):
    """c·Σᵢ B(yᵢ, xᵢ) − c·B(Σ yᵢ, Σ xᵢ) → c·stirling_bregman_sum(y₁, x₁, …) (B = stirling_bregman): the Beta
    and Dirichlet KLs' log-gamma part as one node, whose kernel takes out Σ yᵢ(X − xᵢ)/(xᵢX) analytically
    where B(yᵢ, xᵢ) ≈ yᵢ/xᵢ and B(Y, X) overflow or cancel (α₁ = 10⁻⁶¹, β₁ = 10⁻²², β₂ = 6.6·10³⁰²: two terms
    of 6.7·10³²⁴, KL 7.4·10²⁸⁵)."""
    if not e.has(stirling_bregman):
        return e
    terms = list(sp.Add.make_args(e))
    found = []
    for t in terms:
        c, f = t.as_independent(stirling_bregman, as_Add=False)
        if isinstance(f, stirling_bregman) and not c.has(stirling_bregman):
            found.append((t, c, f.args))
    for t, c, (big_y, big_x) in found:
        ys, xs = sp.Add.make_args(big_y), sp.Add.make_args(big_x)
        if len(ys) < 2 or len(ys) != len(xs):
            continue
        parts = []
        for y in ys:
            match = [(u, cu, a) for u, cu, a in found if a[0] == y and a[1] in xs and sp.expand(cu + c) == 0]
            if len(match) != 1:
                break
            parts.append(match[0])
        if len(parts) != len(ys) or sorted((a[1] for _, _, a in parts), key=sp.default_sort_key) != sorted(
                xs, key=sp.default_sort_key):
            continue
        used = {t} | {u for u, _, _ in parts}
        rest = [u for u in terms if u not in used]
        args = [v for _, _, a in parts for v in a]
        return sp.Add(-c * stirling_bregman_sum(*args), *rest)
    return e


__all__ = ["stirling_split", "bregman_sum", "collect_digamma", "scaled_relative_entropy", "gamma_products", "gamma_scaled_excess_form",
           "entropy_log_sum"]
