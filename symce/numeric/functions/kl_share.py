r"""kl_div(x, a·T/S) with T = Σ tⱼ and S = Σ sⱼ sums of inputs: the Beta and Dirichlet KLs' relative-entropy
terms kl_div(α₂ᵢ, α₁ᵢ·Σα₂/Σα₁) (:mod:`symce.numeric.rewrite_special`'s scaled relative entropy). As a float
product the second argument underflows to 0 (α₁ = 9.6e-300, Σα₂ = 4e-299, Σα₁ = 1.2e-157: 3·10⁻⁴⁴¹, and
kl_div(x, 0) = +∞ for a finite 1.3·10⁻²⁹⁶) or meets a sum that overflowed (Σα₁ = 1.8e308 + 10³⁰⁰: ∞, then
a·T/∞ = 0 and ∞/∞ = NaN): 24 of 323 points of KL(dirichlet-k3 ‖ dirichlet-k3) were NaN/inf.

Kernel (:mod:`symce.numeric.impl.kl_share`): the sums from halves where they overflow, y = a·T/S as mantissa
and integer exponent, and kl_div homogeneous of degree 1: x and y scaled by one power of two into the
normal range (exactly for x and the exact difference y − x), kl_div there, scaled back; where y is still
below the range after that (y ≪ x) the value is x(log x − log y) − x with log y from the exponent.
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


class kl_div_share(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """kl_div(x, a·t/s) for x ≥ 0 and a, t, s > 0 (t, s sums of inputs): arguments (x, a, t, s)."""

    nargs = 4

    def elementary(self):
        x, a, t, s = self.args
        return kl_div(x, a * t / s, evaluate=False).elementary()

    def fdiff(self, argindex=1):
        x, a, t, s = self.args
        y = a * t / s
        dy = 1 - x / y  # ∂kl_div/∂y
        return [sp.log(x / y), dy * t / s, dy * a / s, -dy * y / s][argindex - 1]

    def lowering(self, names):
        """(numpy kernel, arguments): the sums' terms separately (a sum may overflow where its half does
        not) and the exact difference y − x, as kl_div gets it."""
        from symce.numeric.impl.kl_share import kl_div_share_kernel

        x, a, t, s = self.args
        ts, ss = sp.Add.make_args(t), sp.Add.make_args(s)
        return (kl_div_share_kernel(names["_kl_div"], len(ts), len(ss)),
                (x, a, *ts, *ss, _difference(x, a * t / s)))


def _parts(y):
    """(a, t, s) for y = a·t/s with t and s sums of positive symbols (one of them at least a sum), else None."""
    num, den = sp.fraction(y)
    sums = [f for f in sp.Mul.make_args(num) if isinstance(f, sp.Add)]
    rest = [f for f in sp.Mul.make_args(num) if not isinstance(f, sp.Add)]
    if len(sums) > 1 or not rest:
        return None
    t = sums[0] if sums else sp.S.One
    a = sp.Mul(*rest)
    if not (isinstance(den, sp.Add) or isinstance(t, sp.Add)):
        return None
    ok = all(v.is_Symbol and v.is_positive for part in (t, den) for v in sp.Add.make_args(part)) and all(
        v.is_Symbol and v.is_positive for v in sp.Mul.make_args(a))
    return (a, t, den) if ok else None


def kl_div_shares(e):
    """kl_div(x, a·T/S) → kl_div_share(x, a, T, S) for T, S sums of positive inputs (Beta, Dirichlet KL)."""
    return e.replace(lambda f: isinstance(f, kl_div) and _parts(f.args[1]) is not None,
                     lambda f: kl_div_share(f.args[0], *_parts(f.args[1])))


__all__ = ["kl_div_share", "kl_div_shares"]
