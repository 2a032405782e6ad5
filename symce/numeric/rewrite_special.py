r"""Stabilising rules for the formulas with log Γ and ψ (Gamma, Beta, Dirichlet, InverseGamma, …).

* ``Stirling split`` — log Γ(x) = h(x) + x log x − x and ψ(x) = h′(x) + log x for x > 0, with
  h = lgamma_rem, h′ = digamma_rem (:mod:`symce.numeric.functions.gamma`): log Γ overflows for
  x > 2.5·10³⁰⁵ and x ψ(x) − log Γ(x) cancels to O(log x), while h and h′ are O(log x) and O(1/x); the
  x log x parts are logarithms the other rules combine (KL terms, xlogy, log offsets).
* ``Stirling Bregman`` — c·h(y) − c·h(x) − c·(y − x)·h′(x) = c·stirling_bregman(y, x): the part of a KL
  between Gamma, Beta or Dirichlet distributions that cancels to O((y − x)²) near P = Q, as one function
  computed from the difference (:mod:`symce.numeric.impl.gamma_kernels`).

* ``scaled relative entropy`` — what is left of such a KL, Σ_A A log(A/Y_A) − A + Y_A, as Σ kl_div(A, Y_A):
  every term ≥ 0, with Y_A − A (lowered exactly, :func:`symce.numeric.lowering.lower`) instead of a
  difference of logarithms.

All are exact identities, proved like every rule (:mod:`symce.numeric.rewrite_proof`) with the stable
functions replaced by their definitions.
"""

from __future__ import annotations

from collections import defaultdict

import sympy as sp

from symce.numeric.functions.elementary import kl_div
from symce.numeric.functions.gamma import digamma_rem, lgamma_rem, stirling_bregman


def stirling_split(e):
    """log Γ(x) → h(x) + x log x − x and ψ(x) → h′(x) + log x for positive x."""
    if not e.has(sp.loggamma, sp.polygamma):
        return e

    def split(f):
        if isinstance(f, sp.loggamma) and f.args[0].is_positive:
            x = f.args[0]
            return lgamma_rem(x) + x * sp.log(x) - x
        if isinstance(f, sp.polygamma) and f.args[0] == 0 and f.args[1].is_positive:
            x = f.args[1]
            return digamma_rem(x) + sp.log(x)
        return f

    return e.replace(lambda f: isinstance(f, (sp.loggamma, sp.polygamma)), split)


def _coefficients(e):
    """({x: coefficient of h(x)}, {x: coefficient of h′(x)}, other terms) of the expanded sum e."""
    lg, dg, rest = defaultdict(lambda: sp.S.Zero), defaultdict(lambda: sp.S.Zero), []
    for t in sp.Add.make_args(e):
        c, f = t.as_independent(lgamma_rem, digamma_rem, as_Add=False)
        if isinstance(f, lgamma_rem):
            lg[f.args[0]] += c
        elif isinstance(f, digamma_rem):
            dg[f.args[0]] += c
        else:
            rest.append(t)
    return lg, dg, rest


def stirling_bregman_pairs(e):
    """c·h(y) − c·h(x) + c·(x − y)·h′(x) + … → c·stirling_bregman(y, x) + … (exact matches only), and the
    coefficients of each remaining h′(x) collected into one."""
    if not e.has(digamma_rem):
        return e
    expanded = sp.expand_mul(e)
    lg, dg, rest = _coefficients(expanded)
    found = []
    for y in list(lg):
        for x in list(lg):
            if x == y or y not in lg or x not in lg or x not in dg:
                continue
            c = lg[y]
            if sp.expand(c + lg[x]) != 0 or sp.expand(dg[x] - c * (x - y)) != 0:
                continue
            found.append(c * stirling_bregman(y, x))
            del lg[y], lg[x], dg[x]
    # each h′(x) once, with its coefficient collected: −α h′(α) + h′(α) = (1 − α)·h′(α), finite where
    # h′(α) ≈ −1/α overflows (α subnormal) and the two terms would give ∞ − ∞
    split = sum(1 for t in sp.Add.make_args(expanded) if t.has(digamma_rem)) > len(dg)
    if not found and not split:
        return e
    return sp.Add(*found, *[c * lgamma_rem(x) for x, c in lg.items()],
                  *[c * digamma_rem(x) for x, c in dg.items()], *rest)


def _log_terms(e):
    """{A: [(k, B)]} for the terms k·A·log B of the sum e (k a rational number), and the other terms."""
    out, rest = defaultdict(list), []
    for t in sp.Add.make_args(e):
        c, lg = t.as_independent(sp.log, as_Add=False)
        if isinstance(lg, sp.log) and not c.has(sp.log) and c.free_symbols:
            k, a = c.as_coeff_Mul()
            if k.is_Rational:
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
        if (1, a) not in [(k, b) for k, b in kbs] or not a.is_positive or len(kbs) < 2:
            continue
        y = sp.Mul(*[b ** (-k) for k, b in kbs if (k, b) != (1, a)])
        pairs[a] = y
    if not pairs:
        return e
    rational = [t for t in rest if not t.atoms(sp.Function)]
    if sp.cancel(sp.Add(*rational) - sp.Add(*[y - a for a, y in pairs.items()])) != 0:
        return e
    others = [t for t in rest if t.atoms(sp.Function)]
    leftover = [k * a * sp.log(b) for a, kbs in logs.items() if a not in pairs for k, b in kbs]
    return sp.Add(*[kl_div(a, y) for a, y in pairs.items()], *others, *leftover)


__all__ = ["stirling_split", "stirling_bregman_pairs", "scaled_relative_entropy"]
