r"""∫ over an interval of a sum of terms c·xⁿ·e^{a x + b} (n a non-negative integer, a ≠ 0): by parts.

.. math:: \int x^{n} e^{a x + b}\, dx = e^{a x + b} \sum_{k=0}^{n} (-1)^{k} \frac{n!}{(n-k)!}
          \frac{x^{n-k}}{a^{k+1}},

and at an infinite end the antiderivative tends to 0 when e^{a x} decays there (a < 0 at +∞, a > 0 at −∞,
decided by the assumptions). These are the pieces of a Laplace density (and of a statistic in
``|x − c|``) between its kinks, which SymPy's integrator closes only through Meijer G functions (about
0.1 s a piece, and without its convergence conditions, so its closed form then needs a numerical
cross-check). The formula is a theorem wherever it applies, so its results need none; where a term does
not fit (a polynomial alone over an infinite piece, an exponent of undecided sign) the answer is ``None``
and the caller integrates as before.
"""

from __future__ import annotations

import sympy as sp

EXP_POLY = "each piece ∫ xⁿ e^{ax+b} dx in closed form by parts (e^{ax} decaying at the infinite ends)"


def exp_poly_integral(f, x, lo, hi):
    """∫_lo^hi f dx for f a sum of c·xⁿ·e^{ax+b}, or ``None`` when f is not of that form or an infinite end
    is not decided to converge."""
    total = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(f)):
        got = _term(term, x, lo, hi)
        if got is None:
            return None
        total += got
    return total


def _term(term, x, lo, hi):
    const, n, a, b = sp.S.One, 0, sp.S.Zero, sp.S.Zero
    for factor in sp.Mul.make_args(term):
        if x not in factor.free_symbols:
            const *= factor
        elif factor == x:
            n += 1
        elif isinstance(factor, sp.Pow) and factor.base == x and factor.exp.is_Integer and factor.exp > 0:
            n += int(factor.exp)
        elif isinstance(factor, sp.exp):
            arg = factor.args[0]
            if not arg.is_polynomial(x):
                return None
            poly = sp.Poly(arg, x)
            if poly.degree() > 1:
                return None
            a += poly.coeff_monomial(x)
            b += poly.coeff_monomial(1)
        else:
            return None
    if a == 0:
        return None  # a polynomial alone: finite only on a bounded piece, left to the integrator

    def antiderivative(t):
        if t in (sp.oo, -sp.oo):
            # xⁿe^{ax} → 0 at +∞ for a < 0 and at −∞ for a > 0; otherwise it diverges (not this rule)
            return sp.S.Zero if (a.is_negative if t == sp.oo else a.is_positive) else None
        return sp.exp(a * t + b) * sp.Add(*[(-1) ** k * sp.ff(n, k) * t ** (n - k) / a ** (k + 1)
                                            for k in range(n + 1)])

    upper, lower = antiderivative(hi), antiderivative(lo)
    if upper is None or lower is None:
        return None
    return const * (upper - lower)
