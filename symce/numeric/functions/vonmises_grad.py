r"""∂KL/∂κ₁ of the von Mises KL as one function: vonmises_kl_dk1(κ₁, κ₂, μ₁, μ₂) = A′(κ₁)(κ₁ − κ₂ cos(μ₁ − μ₂)).

A′ = 1 − A/κ − A² (A = I₁/I₀) is O(1/κ²): written out it cancels 2 log₂ κ bits (every bit, and NaN from
I₁/I₀ = ∞/∞, beyond κ ≈ 10⁸) and underflows beyond κ ≈ 10¹⁵⁴, while the product with κ₁ − κ₂ cos Δ is
O(1/κ₁) — ∂KL/∂κ₁ at κ₁ = 10³⁰⁰ was NaN for ≈ 5·10⁻³⁰¹. The kernel takes σ²A′(κ₁) with σ = max(κ₁, 1) from
the series of :func:`symce.numeric.impl.arrays.vonmises.dA` and (κ₁ − κ₂ cos Δ)/σ as
(κ₁ − κ₂)/σ + 2(κ₂/σ)·sin²(Δ/2) (no cancellation of cos Δ near Δ = 0, no overflow of κ₂ cos Δ), then
divides by σ once, in the order that neither overflows nor loses digits to underflow.
"""

from __future__ import annotations

import functools

import sympy as sp

from symce.numeric.functions.base import StableFunction
from symce.numeric.functions.bessel import besseli_ratio


class vonmises_kl_dk1(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """A′(κ₁)(κ₁ − κ₂ cos(μ₁ − μ₂)), A′ = 1 − A/κ − A², A = I₁/I₀."""

    nargs = 4

    def elementary(self):
        k1, k2, mu1, mu2 = self.args
        a = sp.besseli(1, k1) / sp.besseli(0, k1)
        return (1 - a / k1 - a ** 2) * (k1 - k2 * sp.cos(mu1 - mu2))

    def _eval_evalf(self, prec):
        from mpmath import mp

        from symce.numeric.impl.vonmises_grad import mp_vonmises_kl_dk1

        if not all(a.is_number for a in self.args):
            return None
        vals = [sp.Rational(a) if a.is_Float else a for a in self.args]
        with mp.workprec(prec):
            out = mp_vonmises_kl_dk1(*(sp.Float(v, 40)._to_mpmath(prec + 40) if not v.is_Rational else
                                       mp.mpf(v.p) / v.q for v in vals))
        return sp.Float._new(out._mpf_, prec)

    def fdiff(self, argindex=1):
        k1, k2, mu1, mu2 = self.args
        dummies = sp.symbols("_k1 _k2 _m1 _m2", real=True)
        d1, d2, m1, m2 = dummies
        a = besseli_ratio(1, 0, d1)
        expr = (1 - a / d1 - a ** 2) * (d1 - d2 * sp.cos(m1 - m2))
        return sp.diff(expr, dummies[argindex - 1]).xreplace(dict(zip(dummies, self.args)))

    def lowering(self, names):
        """The mpmath kernel for the mpmath backend, the numpy kernel for the others (torch bridges it)."""
        from symce.numeric.impl import vonmises_grad as kernels

        if names.get("vonmises_kl") is kernels.MP_VONMISES_KL:
            return kernels.mp_vonmises_kl_dk1, self.args
        return functools.partial(kernels.vonmises_kl_dk1, kernels.numpy_namespace()), self.args


__all__ = ["vonmises_kl_dk1"]
