r"""exp_ramp(a, b, s, r) = (1 + t)·e^{−t}/r with t = (b − a)/s: the Laplace cross-entropy's and KL's
∂/∂b₁ = (1 + |Δμ|/b₁)·e^{−|Δμ|/b₁}/b₂ in each branch of the sign of Δμ = μ₁ − μ₂ (s, r > 0; t ≥ 0 there);
exp_rise(a, b, s, r) = (1 − e^{−t})/r, their ∂/∂μ₂ = −∂/∂μ₁ = ±(1 − e^{−|Δμ|/b₁})/b₂, where t below 2⁻¹⁰²² is
subnormal or 0 in float64 while t/b₂ is not (t = 9.5e-418, b₂ = 6.7e-211: 0 for 1.43e-207).

Written with e^{−t} as a float64 factor, the product loses what e^{−t} rounds away: below e^{−708} it is
subnormal (e^{−739.78} keeps 8 bits), and multiplied back up by 1 + t and 1/b₂ the result is hundreds of
units off (CE ∂/∂b₁ at b₁ = 1 − 2⁻⁵³, b₂ = ½, Δμ = −739.78: 7.7591e-319 for 7.73297e-319, 529 units); and t
itself rounds (an error of t·2⁻⁵³ in the exponent is t/2 ULP of e^{−t}: 5 ULP of KL ∂/∂b₁ at t = 38.3).

Kernel (:mod:`symce.numeric.impl.exp_ramp`): the whole product in long double (64-bit mantissa, exponents to
±16382), so e^{−t} neither underflows nor loses bits before the product, and t = (b − a)/s carries 11 more bits
than float64 (its roundings move e^{−t} by ≲ t·2⁻⁶³ relative: below 2⁻⁵³ for t ≤ 1024); one rounding to float64.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction


class exp_ramp(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """(1 + t)·e^{−t}/r with t = (b − a)/s, arguments (a, b, s, r)."""

    nargs = 4

    def elementary(self):
        a, b, s, r = self.args
        t = (b - a) / s
        return (1 + t) * sp.exp(-t) / r

    def fdiff(self, argindex=1):
        # d/dt (1 + t)e^{−t} = −t·e^{−t}; dt/da = −1/s, dt/db = 1/s, dt/ds = −t/s
        a, b, s, r = self.args
        t = (b - a) / s
        g = t * sp.exp(-t) / r
        if argindex == 4:
            return -(1 + t) * sp.exp(-t) / r**2
        return [g / s, -g / s, t * g / s][argindex - 1]

    def lowering(self, names):
        """(numpy kernel, its arguments)."""
        from symce.numeric.impl.exp_ramp import exp_ramp_numpy

        return exp_ramp_numpy, self.args


class exp_rise(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """(1 − e^{−t})/r with t = (b − a)/s, arguments (a, b, s, r)."""

    nargs = 4

    def elementary(self):
        a, b, s, r = self.args
        return (1 - sp.exp((a - b) / s)) / r

    def fdiff(self, argindex=1):
        # d/dt (1 − e^{−t}) = e^{−t}; dt/da = −1/s, dt/db = 1/s, dt/ds = −t/s
        a, b, s, r = self.args
        t = (b - a) / s
        g = sp.exp(-t) / r
        if argindex == 4:
            return -(1 - sp.exp(-t)) / r**2
        return [-g / s, g / s, -t * g / s][argindex - 1]

    def lowering(self, names):
        """(numpy kernel, its arguments)."""
        from symce.numeric.impl.exp_ramp import exp_rise_numpy

        return exp_rise_numpy, self.args


__all__ = ["exp_ramp", "exp_rise"]
