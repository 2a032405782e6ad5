r"""``von Mises derivative``: the partial derivatives of the von Mises H, CE and KL as SymPy writes them
(I₀, I₁, I₂ of κ, e.g. ∂KL/∂κ₁ = (κ₁ − κ₂ cos Δ)(1/2 + I₂/(2I₀) − I₁²/I₀²)) → c·A′(κ) + R with
A = I₁/I₀ and A′ = 1 − A/κ − A² taken by vonmises_kl_dk1 (:mod:`symce.numeric.functions.vonmises_grad`):
I₀(κ) overflows beyond κ ≈ 713 (∞/∞ = NaN at κ₁ = 960) and 1 − A/κ − A² cancels 2 log₂ κ bits. The
remaining ratios I₁/I₀ become besseli_ratio (the Bessel forms). Exact identities: I₂ = I₀ − (2/κ)I₁
(the recurrence I_{ν−1} − I_{ν+1} = (2ν/x)I_ν), then matched as a polynomial in A(κ), proved like every rule."""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.angle_diff import sin_diff, sin_half_diff
from symce.numeric.functions.bessel import besseli_ratio, bessel_forms
from symce.numeric.functions.vonmises_grad import vonmises_dA_cos, vonmises_dmu, vonmises_kl_dk1
from symce.numeric.rewrite_vonmises import _angles


def _dk1(c, k):
    """c·A′(k) through vonmises_kl_dk1 = A′(κ₁)(κ₁ − κ₂ cos(μ₁ − μ₂)): the KL's own factor when c is
    κ₁ − κ₂ cos Δ (no cancellation of the factor), else (c/κ)·κA′(κ)."""
    rest = sp.expand(k - c)  # κ₂ cos Δ for the KL
    coss = [f for f in rest.atoms(sp.cos)]
    if len(coss) == 1 and rest.has(coss[0]):
        k2 = sp.cancel(rest / coss[0])
        if not k2.has(sp.cos, sp.sin, k) and k2.is_positive is not False:
            mu1, mu2 = _angles(coss[0].args[0])
            return vonmises_kl_dk1(k, k2, mu1, mu2)
    # c = K·cos Δ (the CE's −κ₂ cos Δ): vonmises_dA_cos(κ, K, μ₁, μ₂), the angle from the two angles (cos(fl(μ₁ − μ₂))
    # had the wrong sign at μ₂ = DBL_MAX) and K/κ not formed (it overflowed at κ₁ = 1e-17, κ₂ = DBL_MAX)
    coss = list(sp.sympify(c).atoms(sp.cos))
    if len(coss) == 1:
        kk = sp.cancel(c / coss[0])
        if not kk.has(sp.cos, sp.sin, k, sp.besseli):
            return vonmises_dA_cos(k, kk, *_angles(coss[0].args[0]))
    return sp.cancel(c / k) * vonmises_kl_dk1(k, 0, 0, 0)


def vonmises_derivative_forms(e):
    """e with c·(1 − A/κ − A²) (A = I₁(κ)/I₀(κ), I₂ by the recurrence) taken as c·A′(κ) by vonmises_kl_dk1
    and the other Bessel ratios as besseli_ratio; e unchanged when it has no such term."""
    if not e.has(sp.besseli) or e.has(sp.log):
        return e
    if any(not (f.args[0].is_Integer and 0 <= f.args[0] <= 2) for f in e.atoms(sp.besseli)):
        return e
    e = e.replace(lambda f: isinstance(f, sp.besseli) and f.args[0] == 2,
                  lambda f: sp.besseli(0, f.args[1]) - 2 * sp.besseli(1, f.args[1]) / f.args[1])
    changed = False
    for k in sorted({f.args[1] for f in e.atoms(sp.besseli) if f.args[0] == 1}, key=sp.default_sort_key):
        a = sp.Dummy("A")
        flat = sp.expand(sp.cancel(e.xreplace({sp.besseli(1, k): a * sp.besseli(0, k)})))
        if flat.has(sp.besseli(0, k)):
            continue
        p = sp.Poly(flat, a)
        if p.degree() != 2:
            continue
        c = -p.coeff_monomial(a ** 2)
        if sp.cancel(p.coeff_monomial(a) + c / k) != 0:
            continue
        rest = sp.expand(p.coeff_monomial(1) - c)  # terms of e outside c·A′
        e = _dk1(sp.factor(c), k) + rest
        changed = True
    return _angle_forms(bessel_forms(e)) if changed or e.has(sp.besseli) else e


def _dmu_parts(m):
    """(κ, c, μ₁, μ₂) of a product c·besseli_ratio(1, 0, κ)·sin_diff(μ₁, μ₂), c free of both; else None."""
    ratios = [f for f in m.args if isinstance(f, besseli_ratio) and f.args[:2] == (1, 0)]
    sines = [f for f in m.args if isinstance(f, sin_diff)]
    if len(ratios) != 1 or len(sines) != 1:
        return None
    c = sp.Mul(*[f for f in m.args if f is not ratios[0] and f is not sines[0]])
    if c.has(besseli_ratio, sin_diff, sp.sin, sp.cos):
        return None
    return (ratios[0].args[2], c, *sines[0].args)


def _angle_forms(e):
    """sin(μ₁ − μ₂) → sin_diff(μ₁, μ₂): fl(μ₁ − μ₂) loses the angle where the difference is not exact
    (μ₂ = −1e300); in A(κ₂) − A(κ₁)cos Δ (∂/∂κ₂) cos Δ → 1 − 2 sin²(Δ/2) as vonmises_kl's fdiff writes it
    (there the terms cancel anyway; elsewhere cos Δ is a factor and 1 − 2 sin² would cancel near Δ = π/2)."""
    e = e.replace(lambda f: isinstance(f, sp.sin) and _angles(f.args[0])[1] != 0,
                  lambda f: sin_diff(*_angles(f.args[0])))
    # c·A(κ)·sin_diff(μ₁, μ₂) (∂/∂μ) as one function: A(κ) alone is subnormal for κ < 4.5e-308 (A(5e-324) rounds
    # to twice its value: ∂/∂μ 2× off at κ₁ = 5e-324, κ₂ = DBL_MAX)
    e = e.replace(lambda f: isinstance(f, sp.Mul) and _dmu_parts(f) is not None,
                  lambda f: vonmises_dmu(*_dmu_parts(f)))
    kappas = {f.args[2] for f in e.atoms(besseli_ratio)}
    if len(kappas) == 2 and not e.has(vonmises_kl_dk1):
        e = sp.expand(e.replace(lambda f: isinstance(f, sp.cos) and _angles(f.args[0])[1] != 0,
                                lambda f: 1 - 2 * sin_half_diff(*_angles(f.args[0])) ** 2))
    return e


__all__ = ["vonmises_derivative_forms"]
