r"""The log-gamma function split at its Stirling form, for the formulas of the Gamma, Beta and Dirichlet
families.

With h(x) = log Γ(x) − x log x + x (Stirling's remainder with ½ log(2π/x)),

* ``lgamma_rem(x)`` = h(x): bounded by ½|log x| + 1 where log Γ(x) overflows (x > 2.5·10³⁰⁵);
* ``digamma_rem(x)`` = h′(x) = ψ(x) − log x ≈ −1/(2x): where ψ(x) and log x agree to many digits;
* ``stirling_bregman(y, x)`` = h(y) − h(x) − (y − x)·h′(x) ≥ 0 (h is convex: h″(x) = ψ′(x) − 1/x > 0):
  the Bregman divergence of h, O((y − x)²) near y = x where its three terms cancel.

log Γ(y) − log Γ(x) − (y − x)ψ(x) — the log-gamma part of every KL between Gamma, Beta or Dirichlet
distributions — is kl_div(y, x) + stirling_bregman(y, x): two terms ≥ 0, neither cancelling (the rewrite
rule of :mod:`symce.numeric.rewrite_special`). Kernels: :mod:`symce.numeric.impl.gamma_kernels`.
"""

from __future__ import annotations

import functools

import sympy as sp

from symce.numeric.functions.base import StableFunction, to_elementary
from symce.numeric.functions.elementary import diff_ratio


class _Cancelling(StableFunction):
    """evalf through SymPy's adaptive evalf of the definition (its terms cancel: log Γ(41) ≈ 110 against a
    Bregman divergence of 10⁻⁴), with 20 guard digits."""

    def _eval_evalf(self, prec):
        from mpmath.libmp import prec_to_dps

        # Float arguments at their exact binary value (a 15-digit Float would cap the cancelling sum's accuracy)
        exact = self.func(*[sp.Rational(a) if a.is_Float else a for a in self.args], evaluate=False)
        return to_elementary(exact.elementary()).evalf(prec_to_dps(prec) + 20)


class lgamma_rem(_Cancelling):  # noqa: N801 - SymPy function classes are lower case
    """h(x) = log Γ(x) − x log x + x."""

    nargs = 1

    def elementary(self):
        x = self.args[0]
        return sp.loggamma(x) - x * sp.log(x) + x

    def fdiff(self, argindex=1):
        return digamma_rem(self.args[0])


class digamma_rem(_Cancelling):  # noqa: N801
    """h′(x) = ψ(x) − log x."""

    nargs = 1

    def elementary(self):
        x = self.args[0]
        return sp.polygamma(0, x) - sp.log(x)

    def fdiff(self, argindex=1):
        x = self.args[0]
        return sp.polygamma(1, x) - 1 / x

    def _eval_is_negative(self):
        return True if self.args[0].is_positive else None


class stirling_bregman(_Cancelling):  # noqa: N801
    """h(y) − h(x) − (y − x)·h′(x), h = lgamma_rem (≥ 0 for x, y > 0)."""

    nargs = 2

    @classmethod
    def eval(cls, y, x):
        if y == x:
            return sp.S.Zero

    def elementary(self):
        y, x = self.args
        return (sp.loggamma(y) - y * sp.log(y) + y - sp.loggamma(x) + x * sp.log(x) - x
                - (y - x) * (sp.polygamma(0, x) - sp.log(x)))

    def fdiff(self, argindex=1):
        y, x = self.args
        if argindex == 1:
            return digamma_rem(y) - digamma_rem(x)
        return -(y - x) * (sp.polygamma(1, x) - 1 / x)

    def _eval_is_nonnegative(self):
        return True if (self.args[0].is_positive and self.args[1].is_positive) else None


class stirling_bregman_sum(_Cancelling):  # noqa: N801
    """Σᵢ B(yᵢ, xᵢ) − B(Σ yᵢ, Σ xᵢ), B = stirling_bregman, arguments y₁, x₁, y₂, x₂, …: the log-gamma part of
    the Beta and Dirichlet KLs as one node, so the kernel can take the 1/x parts of h′ out analytically
    where B(yᵢ, xᵢ) ≈ yᵢ/xᵢ and B(Y, X) both overflow and their difference Σ yᵢ(X − xᵢ)/(xᵢX) is finite."""

    @classmethod
    def eval(cls, *args):
        if len(args) < 4 or len(args) % 2:
            raise TypeError("stirling_bregman_sum takes pairs y₁, x₁, y₂, x₂, … (at least two)")

    def elementary(self):
        ys, xs = self.args[0::2], self.args[1::2]
        pairs = list(zip(ys, xs)) + [(sp.Add(*ys), sp.Add(*xs))]
        signs = [1] * len(ys) + [-1]
        return sp.Add(*[c * stirling_bregman(y, x, evaluate=False).elementary() for c, (y, x) in zip(signs, pairs)])

    def fdiff(self, argindex=1):
        ys, xs = self.args[0::2], self.args[1::2]
        dummies = [sp.Dummy(f"a{i}") for i in range(len(self.args))]
        dy, dx = dummies[0::2], dummies[1::2]
        expr = (sp.Add(*[stirling_bregman(y, x) for y, x in zip(dy, dx)])
                - stirling_bregman(sp.Add(*dy), sp.Add(*dx)))
        return sp.diff(expr, dummies[argindex - 1]).xreplace(dict(zip(dummies, self.args)))


class gamma_scaled(_Cancelling):  # noqa: N801
    """e^L·Γ(z) for z > 0, computed as e^{L + log Γ(z)}: the Weibull and Gumbel KLs' (λ₁/λ₂)^k·Γ(1 + k₂/k₁)
    and e^{(μ₂−μ₁)/β₂}·Γ(1 + β₁/β₂), whose factors overflow (λ^k, Γ) or underflow where the product does not."""

    nargs = 2

    def elementary(self):
        z, big_l = self.args
        return sp.exp(big_l) * sp.gamma(z)

    def fdiff(self, argindex=1):
        z, _ = self.args
        return self * sp.polygamma(0, z) if argindex == 1 else self

    def _eval_is_positive(self):
        return True if (self.args[0].is_positive and self.args[1].is_real) else None

    def lowering(self, names):
        """The numpy kernel from the inputs where z = (d + q)/d and L = k(log u − log v) (the Weibull CE's
        e^s where s ≪ 0, :func:`symce.numeric.rewrite_special.gamma_scaled_excess_form`): s in double-double
        (impl/gamma_excess.py), since the rounded L costs |s|·ε of e^s (18 ULP at s = −18); otherwise the
        function of (z, L)."""
        from symce.numeric.impl import gamma_excess, gamma_kernels

        plain = names["gamma_scaled"]
        if getattr(plain, "func", None) is not gamma_kernels.gamma_scaled:
            return plain, self.args
        weibull = _weibull_inputs(*self.args)
        if weibull is not None:
            return functools.partial(gamma_excess.scaled_weibull, mu=names["lgamma_stirling"]), weibull
        gumbel = _gumbel_inputs(*self.args)
        if gumbel is not None:  # the Gumbel gradients (rewrite_gamma_scaled_grad.py): L = diff_ratio(a, b, d)
            return functools.partial(gamma_excess.scaled_gumbel, mu=names["lgamma_stirling"]), gumbel
        return plain, self.args


class gamma_scaled_m1(_Cancelling):  # noqa: N801
    """(w/x)·(e^L·Γ(z) − 1) = (w/x)(e^s − 1), s = L + log Γ(z): the Weibull ∂/∂λ = ±k₂(e^s − 1)/λ, which vanishes
    at P = Q, where G − 1 from the rounded G keeps none of the digits of s; k₂·G/λ − k₂/λ is ∞ − ∞ where G and
    k₂/λ overflow; and of the three factors k₂(e^s − 1) underflows (k₂ = 1.3e-291) where k₂/λ does not, k₂/λ
    underflows (λ = 1.8e308) where e^s − 1 = ∞: the product is taken from mantissas and exponents."""

    nargs = 4

    def elementary(self):
        z, big_l, w, x = self.args
        return w / x * (sp.exp(big_l) * sp.gamma(z) - 1)

    def fdiff(self, argindex=1):
        z, big_l, w, x = self.args
        g = gamma_scaled(z, big_l)
        return [w / x * g * sp.polygamma(0, z), w / x * g, (g - 1) / x, -w / x**2 * (g - 1)][argindex - 1]

    def lowering(self, names):
        """From the Weibull inputs with s in double-double (impl/gamma_excess.expm1_weibull); otherwise
        expm1(L + log Γ(z)); the product with w/x in extended range."""
        from symce.numeric.impl import gamma_excess

        z, big_l, w, x = self.args
        weibull = _weibull_inputs(z, big_l)
        if weibull is not None and "lgamma_stirling" in names:
            return (functools.partial(gamma_excess.scaled_expm1_weibull, mu=names["lgamma_stirling"]),
                    (w, x, *weibull))
        return names["gamma_scaled_m1"], self.args


def _gumbel_inputs(z, big_l):
    """(q, d, a, b) where z = (d + q)/d and L = diff_ratio(a, b, d) in symbols, else None."""
    num, den = sp.fraction(sp.together(z))
    q = sp.expand(num - den)
    if not (q.is_Symbol and den.is_Symbol and q.is_positive and den.is_positive and isinstance(big_l, diff_ratio)):
        return None
    a, b, s = big_l.args
    return (q, den, a, b) if (s == den and a.is_Symbol and b.is_Symbol) else None


def _weibull_inputs(z, big_l):
    """(q, d, k, u, v) where z = (d + q)/d and L = k(log u − log v) in symbols, else None."""
    num, den = sp.fraction(sp.together(z))
    q = sp.expand(num - den)
    if not (q.is_Symbol and den.is_Symbol and q.is_positive and den.is_positive):
        return None
    parts = [t.as_independent(sp.log, as_Add=False) for t in sp.Add.make_args(sp.expand(big_l))]
    if not (len(parts) == 2 and all(isinstance(f, sp.log) and f.args[0].is_Symbol for _, f in parts)
            and parts[0][0] == -parts[1][0]):
        return None
    (k0, lu), (_, lv) = parts
    if k0.is_Symbol:
        return q, den, k0, lu.args[0], lv.args[0]
    if (-k0).is_Symbol:
        return q, den, -k0, lv.args[0], lu.args[0]
    return None


class lgamma_stirling(_Cancelling):  # noqa: N801
    """μ(x) = log Γ(x) − (x − ½) log x + x − ½ log 2π, Binet's remainder of Stirling's formula (≈ 1/(12x)):
    an entropy's log Γ(α) − (α − 1)ψ(α) leaves ½ log α − log β + ½ log 2π + ½ in logarithms, which the
    kernel of log sums takes whole (they cancel at H = 0), and μ, μ′ small beside them."""

    nargs = 1

    def elementary(self):
        x = self.args[0]
        return sp.loggamma(x) - (x - sp.S.Half) * sp.log(x) + x - sp.log(2 * sp.pi) / 2

    def fdiff(self, argindex=1):
        return digamma_stirling(self.args[0])


class lgamma_balanced(_Cancelling):  # noqa: N801
    """ν(x) = log Γ(x) − (x − 1) log x − ½ log(1 + x) + x − ½ log 2π = μ(x) − ½ log(1 + 1/x), in (−½ log 2π, 0):
    Stirling's split with −log x + ½ log(1 + x) in place of −½ log x. μ(x) ≈ −½ log x for small x, which the
    cross-entropies' log sum cancels against its −½ log α₂ (CE(Gamma) at α₂ = 2.4e-240: 551 against 3.9,
    70 ULP); ν stays bounded at both ends (−½ log 2π at 0, −5/(12x) at ∞), the logarithms go to the exact
    log sum. Kernel: μ(x) − ½ log1p(1/x) for x ≥ 1, μ(x + 1) + x·log(1 + 1/x) − 1 below (Binet's step)."""

    nargs = 1

    def elementary(self):
        x = self.args[0]
        return sp.loggamma(x) - (x - 1) * sp.log(x) - sp.log(1 + x) / 2 + x - sp.log(2 * sp.pi) / 2

    def fdiff(self, argindex=1):
        x = self.args[0]
        return digamma_stirling(x) + 1 / (2 * x * (x + 1))

    def _eval_is_negative(self):
        return True if self.args[0].is_positive else None


class trigamma_ratio(StableFunction):  # noqa: N801
    """w·ψ′(x) + (a − c·b)/b: the ∂/∂α₁ of the Gamma, inverse-gamma and χ² cross-entropies and KLs
    ((α₁ − α₂)ψ′(α₁) − 1 + β₂/β₁, (2 − k₂)ψ′(k₁/2)/4 + ½), whose two parts overflow with opposite signs
    (∞ − ∞ = NaN where the value is ±∞) or as 0·∞ (w = 0 at a tiny x). Kernel: impl/trigamma_ratio.py."""

    nargs = 5

    def elementary(self):
        w, x, a, b, c = self.args
        return w * sp.polygamma(1, x) + (a - c * b) / b

    def fdiff(self, argindex=1):
        w, x, a, b, c = self.args
        return [sp.polygamma(1, x), w * sp.polygamma(2, x), 1 / b, -a / b**2, sp.S.NegativeOne][argindex - 1]

    def lowering(self, names):
        from symce.numeric.impl import trigamma_ratio as kernels

        return functools.partial(kernels.trigamma_ratio, trigamma=names["polygamma_1"]), self.args


class digamma_stirling(_Cancelling):  # noqa: N801
    """μ′(x) = ψ(x) − log x + 1/(2x) (≈ −1/(12x²))."""

    nargs = 1

    def elementary(self):
        x = self.args[0]
        return sp.polygamma(0, x) - sp.log(x) + 1 / (2 * x)

    def fdiff(self, argindex=1):
        x = self.args[0]
        return sp.polygamma(1, x) - 1 / x - 1 / (2 * x ** 2)


class wdigamma_stirling(_Cancelling):  # noqa: N801
    """w·μ′(x) = w·(ψ(x) − log x + 1/(2x)): the cross-entropy split's e·μ′(α₁) as one function, since
    μ′(x) ≈ −1/(2x) overflows below x ≈ 2.8e-309 while w·μ′(x) ≈ −w/(2x) is finite (CE(Gamma) at
    α₁ = 5e-324, α₂ = 1 − 2⁻⁵³: w = 1.1e-16, −2.2e307, was −∞)."""

    nargs = 2

    @classmethod
    def eval(cls, w, x):
        if w.is_zero:
            return sp.S.Zero

    def elementary(self):
        w, x = self.args
        return w * (sp.polygamma(0, x) - sp.log(x) + 1 / (2 * x))

    def fdiff(self, argindex=1):
        w, x = self.args
        if argindex == 1:
            return digamma_stirling(x)
        return w * (sp.polygamma(1, x) - 1 / x - 1 / (2 * x ** 2))


class gamma_scaled_excess(_Cancelling):  # noqa: N801
    """e^L·Γ(z) − 1 − L − log Γ(z) = e^s − 1 − s ≥ 0 with s = L + log Γ(z): the part of the Weibull and
    Gumbel KLs that cancels to O(s²) near P = Q (e^L·Γ(z) → 1 there), as one function of s."""

    nargs = 2

    def elementary(self):
        z, big_l = self.args
        return sp.exp(big_l) * sp.gamma(z) - 1 - big_l - sp.loggamma(z)

    def fdiff(self, argindex=1):
        z, big_l = self.args
        scaled = gamma_scaled(z, big_l) - 1
        return scaled * sp.polygamma(0, z) if argindex == 1 else scaled

    def _eval_is_nonnegative(self):
        return True if (self.args[0].is_positive and self.args[1].is_real) else None

    def lowering(self, names):
        """The numpy kernel from the inputs where z = (d + q)/d and L = diff_ratio(a, b, s) (Gumbel) or
        k(log u − log v) (Weibull): s = L + log Γ(z) in double-double (impl/gamma_excess.py), since the
        rounded z and L cost |s|·ε of e^s (10³ ULP at s ≈ 600) and every digit near P = Q; otherwise, and
        for the mpmath kernel, the function of (z, L)."""
        from symce.numeric.impl import gamma_excess, gamma_kernels

        plain = names["gamma_scaled_excess"]
        if getattr(plain, "func", None) is not gamma_kernels.gamma_scaled_excess:
            return plain, self.args
        z, big_l = self.args
        num, den = sp.fraction(sp.together(z))
        q = sp.expand(num - den)
        if not (q.is_Symbol and den.is_Symbol and q.is_positive and den.is_positive):
            return plain, self.args
        mu = names["lgamma_stirling"]
        if isinstance(big_l, diff_ratio) and all(a.is_Symbol for a in big_l.args):
            return functools.partial(gamma_excess.excess_gumbel, mu=mu), (q, den, *big_l.args)
        parts = [t.as_independent(sp.log, as_Add=False) for t in sp.Add.make_args(sp.expand(big_l))]
        if (len(parts) == 2 and all(isinstance(f, sp.log) and f.args[0].is_Symbol for _, f in parts)
                and parts[0][0] == -parts[1][0] and parts[0][0].is_Symbol):
            (k, lu), (_, lv) = parts
            return functools.partial(gamma_excess.excess_weibull, mu=mu), (q, den, k, lu.args[0], lv.args[0])
        if (len(parts) == 2 and all(isinstance(f, sp.log) and f.args[0].is_Symbol for _, f in parts)
                and parts[0][0] == -parts[1][0] and (-parts[0][0]).is_Symbol):
            (_, lu), (k, lv) = parts
            return functools.partial(gamma_excess.excess_weibull, mu=mu), (q, den, k, lv.args[0], lu.args[0])
        return plain, self.args


class gamma_excess_shift(_Cancelling):  # noqa: N801
    """gamma_scaled_excess(z, L) + (a − b)/s: the Weibull cross-entropy's Γ part and its −γ(1 − k₂)/k₁ term
    ((k₂ − γ)/k₁) as one function. For a subnormal k₁ and k₂ < γ the two are +∞ and −∞ in floats while
    the sum is e^s − γ(1 − k₂)/k₁ + O(10³) (s = L + log Γ(z)): its sign is that of s − log((b − a)/s), which
    the kernel takes where the float sum is ∞ − ∞ (NaN at k₁ = 5e-324, k₂ = ½, issue 11)."""

    nargs = 5

    def elementary(self):
        z, big_l, a, b, s = self.args
        return sp.exp(big_l) * sp.gamma(z) - 1 - big_l - sp.loggamma(z) + (a - b) / s

    def fdiff(self, argindex=1):
        z, big_l, a, b, s = self.args
        scaled = gamma_scaled(z, big_l) - 1
        return [scaled * sp.polygamma(0, z), scaled, 1 / s, -1 / s, -(a - b) / s**2][argindex - 1]

    def lowering(self, names):
        """gamma_scaled_excess's kernel (its double-double s from the inputs where it has one) and the
        quotient, with z and L beside them for the ∞ − ∞ case (impl/gamma_kernels.gamma_excess_shift)."""
        from symce.numeric.impl import gamma_kernels

        z, big_l, a, b, s = self.args
        plain = names["gamma_excess_shift"]
        if getattr(plain, "func", None) is not gamma_kernels.gamma_excess_shift:
            return plain, self.args
        g_fun, g_args = gamma_scaled_excess(z, big_l).lowering(names)
        return (functools.partial(gamma_kernels.gamma_excess_shift_parts, g=g_fun, n=len(g_args),
                                  loggamma=plain.keywords["loggamma"], diff=names["diff_ratio"]),
                (*g_args, z, big_l, a, b, s))


__all__ = ["lgamma_rem", "digamma_rem", "stirling_bregman", "stirling_bregman_sum", "gamma_scaled", "lgamma_stirling",
           "lgamma_balanced", "trigamma_ratio", "gamma_scaled_m1",
           "digamma_stirling", "wdigamma_stirling",
           "gamma_scaled_excess", "gamma_excess_shift"]
