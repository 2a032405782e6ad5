r"""``von Mises KL``: A(κ₁)(κ₁ − κ₂ cos(μ₁ − μ₂)) − log I₀(κ₁) + log I₀(κ₂) → vonmises_kl(κ₁, κ₂, μ₁, μ₂)
(:mod:`symce.numeric.functions.vonmises`), log 2π + log I₀(κ) − κA(κ) → vonmises_entropy(κ) and the
cross-entropy log 2π + log I₀(κ₂) − κ₂A(κ₁)cos(μ₁ − μ₂) → vonmises_xent(κ₁, κ₂, μ₁, μ₂), decided by
cancellation against those definitions with the Bessel functions and their logarithms as symbols: the KL's
terms cancel to O((κ₂ − κ₁)²) near P = Q (the kernel: two terms ≥ 0), the entropy's log I₀ ≈ κA ≈ κ for
large κ. Exact identities, proved like every rule."""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.vonmises import vonmises_entropy, vonmises_kl, vonmises_xent


def _angles(arg):
    """(μ₁, μ₂) with μ₁ − μ₂ = arg: the two terms of a difference, else (arg, 0)."""
    terms = sp.Add.make_args(arg)
    if len(terms) == 2:
        neg = [t for t in terms if t.could_extract_minus_sign()]
        if len(neg) == 1:
            pos = terms[0] if terms[1] is neg[0] else terms[1]
            return pos, -neg[0]
    return arg, sp.S.Zero


def vonmises_kl_form(e):
    """The whole expression e → vonmises_kl(κ₁, κ₂, μ₁, μ₂), vonmises_entropy(κ) or vonmises_xent(κ₁, κ₂, μ₁,
    μ₂) when e is one of them (else e unchanged)."""
    if not e.has(sp.besseli):
        return e
    zeros = sorted({f.args[1] for f in e.atoms(sp.besseli) if f.args[0] == 0}, key=sp.default_sort_key)
    ones = {f.args[1] for f in e.atoms(sp.besseli) if f.args[0] == 1}
    coss = sorted(e.atoms(sp.cos), key=sp.default_sort_key)
    if len(ones) != 1 or len(coss) > 1 or not 1 <= len(zeros) <= 2:
        return e
    (k1,) = ones
    if k1 not in zeros:
        return e
    if len(zeros) == 1:
        candidates = [vonmises_entropy(k1, evaluate=False)]
    else:
        k2 = zeros[1] if zeros[0] == k1 else zeros[0]
        mu1, mu2 = _angles(coss[0].args[0]) if coss else (sp.S.Zero, sp.S.Zero)
        kl = vonmises_kl(k1, k2, mu1, mu2, evaluate=False)
        candidates = [kl, vonmises_xent(k1, k2, mu1, mu2, evaluate=False)]
    b0, b1, c = (sp.Dummy(n) for n in ("b0", "b1", "c"))
    sub = {sp.log(sp.besseli(0, k)): sp.Dummy("g") for k in zeros}
    sub[sp.log(2 * sp.pi)] = sp.Dummy("l2pi")

    def flat(x):
        x = x.xreplace(sub).xreplace({sp.besseli(0, k1): b0, sp.besseli(1, k1): b1})
        return sp.expand(x.xreplace({coss[0]: c}) if coss else x)

    got = flat(e)
    if got.has(sp.besseli, sp.log, sp.cos):
        return e
    for cand in candidates:
        want = flat(sp.Add(*[t.elementary() for t in sp.Add.make_args(cand)]))
        if sp.cancel(sp.expand(got - want)) == 0:
            return cand
    return e


__all__ = ["vonmises_kl_form"]
