r"""(c/d)·kl_div(x, y) as one node: the count families' KLs, n·kl_div(p₁, p₂) (Binomial) and
r/(1 − p₁)·kl_div(p₁, p₂) (NegativeBinomial). Written as a product of floats, two things lose the digits
at small probabilities: kl_div(p₁, p₂) is subnormal where p₁, p₂ ≲ 10⁻³⁰⁰ are close (1e-300 against
1.000001e-300: 5·10⁻³¹³ keeps 9 bits, times n = 709.78 → 184 ULP), or underflows to 0 (p₁ = 5e-324,
p₂ = 1e-323, r = 1.8e308: 0 for 2.7·10⁻¹⁶), and r/(1 − p₁) is subnormal before it meets the KL
(r = 5e-324, 1 − p₁ = 10⁻⁸).

Kernel (:mod:`symce.numeric.impl.scaled_kl`): kl_div is homogeneous of degree 1, so tiny x, y (and their
exact difference) are scaled by a power of two first, exactly, and the product c·v/d·2⁻ᵏ is formed from the
mantissas, with the exponents summed as integers: one rounding into the subnormal range at the end.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction
from symce.numeric.functions.elementary import kl_div
from symce.numeric.functions.exact import exact_rational


def _difference(x, y):
    """y − x from the original inputs, as lowering gives kl_div (numeric/differences.py, which imports this
    package): correctly rounded (exact_rational) where y is a product or quotient."""
    d = y - x
    if not any(a.is_Mul or a.is_Pow for a in (x, y)) or d.atoms(sp.Function) or not d.free_symbols:
        return d
    return exact_rational(sp.together(d))


class scaled_kl_div(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """(c/d)·(x log(x/y) − x + y) for c, d > 0 and x, y ≥ 0: arguments (c, d, x, y)."""

    nargs = 4

    def elementary(self):
        c, d, x, y = self.args
        return c / d * kl_div(x, y, evaluate=False).elementary()

    def fdiff(self, argindex=1):
        c, d, x, y = self.args
        return [kl_div(x, y) / d, -c * kl_div(x, y) / d**2, c / d * sp.log(x / y),
                c / d * (1 - x / y)][argindex - 1]

    def lowering(self, names):
        """(numpy kernel, its arguments): the difference y − x from the original inputs, as kl_div gets it."""
        from symce.numeric.impl.scaled_kl import scaled_kl_div_kernel

        c, d, x, y = self.args
        return scaled_kl_div_kernel(names["_kl_div"]), (c, d, x, y, _difference(x, y))


def scaled_kl_form(c, b, b2):
    """c·kl_div(B, B′) as scaled_kl_div(num, den, B, B′) for a symbolic factor c = num/den other than 1/x
    (signs taken out of both), else None."""
    num, den = sp.fraction(sp.together(c))
    if num.could_extract_minus_sign():  # −r/(p₁ − 1) → r/(1 − p₁)
        num, den = -num, sp.expand(-den)
    if num == 1 or not num.free_symbols or num.could_extract_minus_sign() or den.is_nonpositive:
        return None
    return scaled_kl_div(num, den, b, b2)


__all__ = ["scaled_kl_div", "scaled_kl_form"]
