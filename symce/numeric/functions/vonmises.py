r"""The von Mises KL as one function (:mod:`symce.numeric.impl.arrays.vonmises`):
KL(VM(μ₁, κ₁) ‖ VM(μ₂, κ₂)) = A(κ₁)(κ₁ − κ₂ cos(μ₁ − μ₂)) − log I₀(κ₁) + log I₀(κ₂), A = I₁/I₀ (Kitagawa &
Rowley 2022, "von Mises–Fisher distributions and their statistical divergence", p = 2). Its terms cancel to
O((κ₂ − κ₁)² + (μ₁ − μ₂)²) near P = Q and overflow beyond κ ≈ 713; the kernel computes it as the Bregman
divergence of log I₀ plus κ₂A(κ₁)·2 sin²((μ₁ − μ₂)/2), two terms ≥ 0.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction
from symce.numeric.functions.bessel import besseli_ratio


class vonmises_kl(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """vonmises_kl(κ₁, κ₂, μ₁, μ₂) = KL(VM(μ₁, κ₁) ‖ VM(μ₂, κ₂)) (≥ 0; 0 at κ₁ = κ₂, μ₁ = μ₂)."""

    nargs = 4

    @classmethod
    def eval(cls, k1, k2, mu1, mu2):
        if k1 == k2 and mu1 == mu2:
            return sp.S.Zero

    def elementary(self):
        k1, k2, mu1, mu2 = self.args
        a = sp.besseli(1, k1) / sp.besseli(0, k1)
        return a * (k1 - k2 * sp.cos(mu1 - mu2)) - sp.log(sp.besseli(0, k1)) + sp.log(sp.besseli(0, k2))

    def _eval_evalf(self, prec):
        from mpmath import mp
        from mpmath.libmp import prec_to_dps

        from symce.numeric.impl.arrays.vonmises import mp_vonmises_kl

        if not all(a.is_number for a in self.args):
            return None
        vals = [sp.Float(a, prec_to_dps(prec) + 30) if not a.is_Float else a for a in self.args]
        with mp.workprec(prec):
            out = mp_vonmises_kl(*(v._to_mpmath(max(prec, v._prec)) for v in vals))
        return sp.Float._new(out._mpf_, prec)

    def fdiff(self, argindex=1):
        k1, k2, mu1, mu2 = self.args
        # A = I₁/I₀ as besseli_ratio: I₀, I₁ overflow beyond κ ≈ 713 (inf/inf in the gradient)
        a1, a2 = besseli_ratio(1, 0, k1), besseli_ratio(1, 0, k2)
        if argindex == 1:  # A′(κ₁)(κ₁ − κ₂ cos Δ), one function: A′ = 1 − A/κ − A² cancels and underflows
            from symce.numeric.functions.vonmises_grad import vonmises_kl_dk1

            return vonmises_kl_dk1(k1, k2, mu1, mu2)
        # the angles as sin_diff/sin_half_diff of μ₁, μ₂: fl(μ₁ − μ₂) loses the angle where μ₁ − μ₂ is not exact
        # (μ₁ = −4.2e199, μ₂ = 1.2e124: ∂/∂μ₁ was 46 times too large); cos Δ = 1 − 2sin²(Δ/2)
        from symce.numeric.functions.angle_diff import sin_half_diff

        if argindex == 2:
            return a2 - a1 + 2 * a1 * sin_half_diff(mu1, mu2) ** 2
        # κ₂A(κ₁)sin Δ as one function (A(κ₁) alone is subnormal below κ₁ = 4.5e-308)
        from symce.numeric.functions.vonmises_grad import vonmises_dmu

        return vonmises_dmu(k1, k2 if argindex == 3 else -k2, mu1, mu2)

    def _eval_is_nonnegative(self):
        return True if all(a.is_real for a in self.args) and all(a.is_positive for a in self.args[:2]) else None


class vonmises_entropy(StableFunction):  # noqa: N801
    """vonmises_entropy(κ) = H(VM(μ, κ)) = log 2π + log I₀(κ) − κA(κ): log I₀ and κA each ≈ κ for large κ
    (and overflow as I₀, I₁ beyond 713) while H ≈ ½ log(2πe/κ)."""

    nargs = 1

    def elementary(self):
        (k,) = self.args
        return sp.log(2 * sp.pi) + sp.log(sp.besseli(0, k)) - k * sp.besseli(1, k) / sp.besseli(0, k)

    def _eval_evalf(self, prec):
        from mpmath import mp
        from mpmath.libmp import prec_to_dps

        from symce.numeric.impl.arrays.vonmises import mp_vonmises_entropy

        (k,) = self.args
        if not k.is_number:
            return None
        v = k if k.is_Float else sp.Float(k, prec_to_dps(prec) + 30)
        with mp.workprec(prec):
            out = mp_vonmises_entropy(v._to_mpmath(max(prec, v._prec)))
        return sp.Float._new(out._mpf_, prec)

    def fdiff(self, argindex=1):
        (k,) = self.args
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        # H′ = A − A − κA′ = −κA′(κ) as vonmises_kl_dk1(κ, 0, 0, 0): written out, 1 − A/κ − A² cancels
        # 2 log₂ κ bits (−8.3e-8 for −5e-11 at κ = 1e10, +1 for −6.25e-179 at κ = 8e177)
        from symce.numeric.functions.vonmises_grad import vonmises_kl_dk1

        return -vonmises_kl_dk1(k, 0, 0, 0)


class vonmises_xent(StableFunction):  # noqa: N801
    """vonmises_xent(κ₁, κ₂, μ₁, μ₂) = H(VM(μ₁, κ₁), VM(μ₂, κ₂)) = log 2π + log I₀(κ₂) − κ₂A(κ₁)cos(μ₁ − μ₂)
    (the cross-entropy): log I₀(κ₂) ≈ κ₂ cancels κ₂A cos for large κ."""

    nargs = 4

    def elementary(self):
        k1, k2, mu1, mu2 = self.args
        return (sp.log(2 * sp.pi) + sp.log(sp.besseli(0, k2))
                - k2 * sp.besseli(1, k1) / sp.besseli(0, k1) * sp.cos(mu1 - mu2))

    def _eval_evalf(self, prec):
        from mpmath import mp
        from mpmath.libmp import prec_to_dps

        from symce.numeric.impl.arrays.vonmises import mp_vonmises_xent

        if not all(a.is_number for a in self.args):
            return None
        vals = [sp.Float(a, prec_to_dps(prec) + 30) if not a.is_Float else a for a in self.args]
        with mp.workprec(prec):
            out = mp_vonmises_xent(*(v._to_mpmath(max(prec, v._prec)) for v in vals))
        return sp.Float._new(out._mpf_, prec)

    def fdiff(self, argindex=1):
        k1, k2, mu1, mu2 = self.args
        # A = I₁/I₀ as besseli_ratio: I₀, I₁ overflow beyond κ ≈ 713 (inf/inf in the gradient)
        a1, a2 = besseli_ratio(1, 0, k1), besseli_ratio(1, 0, k2)
        # the angles as in vonmises_kl.fdiff: fl(μ₁ − μ₂) loses the angle where μ₁ − μ₂ is not exact (μ₁ = −4.2e199,
        # μ₂ = 1.2e124: ∂/∂μ was 45 times too large, ∂/∂κ₂ 1.67 for 1.3e-4); cos Δ = 1 − 2sin²(Δ/2)
        from symce.numeric.functions.angle_diff import sin_half_diff

        if argindex == 1:  # −κ₂A′(κ₁)cos Δ with κ₁A′(κ₁) from vonmises_kl_dk1 (1 − A/κ − A² cancels every bit
            # at κ₁ = 8e177: 9.5e-102 for −5.9e-280); κ₂/κ₁ taken first: κ₁A′/κ₁ alone underflows there
            # now one function, −κ₂A′(κ₁)cos Δ with cos Δ from the two angles (κ₂/κ₁ overflowed at κ₁ = 1e-17)
            from symce.numeric.functions.vonmises_grad import vonmises_dA_cos

            return vonmises_dA_cos(k1, -k2, mu1, mu2)
        if argindex == 2:
            return a2 - a1 + 2 * a1 * sin_half_diff(mu1, mu2) ** 2
        from symce.numeric.functions.vonmises_grad import vonmises_dmu

        return vonmises_dmu(k1, k2 if argindex == 3 else -k2, mu1, mu2)


__all__ = ["vonmises_kl", "vonmises_entropy", "vonmises_xent"]
