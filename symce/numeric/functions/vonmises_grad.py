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


class _Kernel(StableFunction):
    """A von Mises derivative node with a numpy kernel and an mpmath kernel (:mod:`symce.numeric.impl.vonmises_grad`)."""

    nargs = 4
    _kernel = ""

    def _eval_evalf(self, prec):
        from mpmath import mp

        from symce.numeric.impl import vonmises_grad as kernels

        if not all(a.is_number for a in self.args):
            return None
        vals = [sp.Rational(a) if a.is_Float else a for a in self.args]
        with mp.workprec(prec):
            out = getattr(kernels, "mp_" + self._kernel)(
                *(sp.Float(v, 40)._to_mpmath(prec + 40) if not v.is_Rational else mp.mpf(v.p) / v.q for v in vals))
        return sp.Float._new(out._mpf_, prec)

    def fdiff(self, argindex=1):
        # the elementary form with I₁ = A·I₀, A as besseli_ratio (I₀ cancels: no overflow beyond κ ≈ 713)
        dummies = sp.symbols("_k _c _m1 _m2", real=True)
        k = dummies[0]
        expr = self.func(*dummies).elementary().xreplace({sp.besseli(1, k): besseli_ratio(1, 0, k) * sp.besseli(0, k)})
        return sp.diff(expr, dummies[argindex - 1]).xreplace(dict(zip(dummies, self.args)))

    def lowering(self, names):
        """The mpmath kernel for the mpmath backend, the numpy kernel for the others (torch bridges it)."""
        from symce.numeric.impl import vonmises_grad as kernels

        if names.get("vonmises_kl") is kernels.MP_VONMISES_KL:
            return getattr(kernels, "mp_" + self._kernel), self.args
        return functools.partial(getattr(kernels, self._kernel), kernels.numpy_namespace()), self.args


class vonmises_dmu(_Kernel):  # noqa: N801
    """c·A(κ)·sin(μ₁ − μ₂), A = I₁/I₀: ∂/∂μ₁ of the von Mises KL and CE with c = κ₂ (A(κ) alone is subnormal
    for κ < 4.5e-308 and A(5e-324) rounds to twice its value: ∂/∂μ was 2× off at κ₁ = 5e-324, κ₂ = DBL_MAX)."""

    _kernel = "vonmises_dmu"

    def elementary(self):
        k, c, mu1, mu2 = self.args
        return c * sp.besseli(1, k) / sp.besseli(0, k) * sp.sin(mu1 - mu2)


class vonmises_dA_cos(_Kernel):  # noqa: N801
    """c·A′(κ)·cos(μ₁ − μ₂), A′ = 1 − A/κ − A²: ∂/∂κ₁ of the von Mises CE with c = −κ₂ (κ₂/κ₁ overflowed at
    κ₁ = 1e-17, κ₂ = DBL_MAX, and cos(fl(μ₁ − μ₂)) lost the angle at μ₂ = DBL_MAX)."""

    _kernel = "vonmises_dA_cos"

    def elementary(self):
        k, c, mu1, mu2 = self.args
        a = sp.besseli(1, k) / sp.besseli(0, k)
        return c * (1 - a / k - a ** 2) * sp.cos(mu1 - mu2)


__all__ = ["vonmises_kl_dk1", "vonmises_dmu", "vonmises_dA_cos"]
