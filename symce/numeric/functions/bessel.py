r"""The modified Bessel function I_ν in the forms that do not overflow (the von Mises family):
``log_besseli(ν, x)`` = log I_ν(x) and ``besseli_ratio(ν, μ, x)`` = I_ν(x)/I_μ(x). I₀(x) overflows for
x > 713, where log I₀(x) ≈ x and I₁(x)/I₀(x) ≈ 1 are ordinary numbers; both are evaluated from the
exponentially scaled I_ν(x)e^{−|x|} (scipy's ive): log ive(ν, x) + |x| and ive(ν, x)/ive(μ, x).
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction


class log_besseli(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """log I_ν(x)."""

    nargs = 2

    def elementary(self):
        nu, x = self.args
        return sp.log(sp.besseli(nu, x))

    def fdiff(self, argindex=2):
        nu, x = self.args
        if argindex != 2:
            raise sp.ArgumentIndexError(self, argindex)
        # I_ν′ = (I_{ν−1} + I_{ν+1})/2, so (log I_ν)′ = (I_{ν−1}/I_ν + I_{ν+1}/I_ν)/2
        return (besseli_ratio(nu - 1, nu, x) + besseli_ratio(nu + 1, nu, x)) / 2


class besseli_ratio(StableFunction):  # noqa: N801
    """I_ν(x)/I_μ(x)."""

    nargs = 3

    def elementary(self):
        nu, mu, x = self.args
        return sp.besseli(nu, x) / sp.besseli(mu, x)

    def fdiff(self, argindex=3):
        nu, mu, x = self.args
        if argindex != 3:
            raise sp.ArgumentIndexError(self, argindex)
        r = besseli_ratio(nu, mu, x)
        return ((besseli_ratio(nu - 1, mu, x) + besseli_ratio(nu + 1, mu, x))
                - r * (besseli_ratio(mu - 1, mu, x) + besseli_ratio(mu + 1, mu, x))) / 2


def bessel_forms(e):
    """log I_ν(x) → log_besseli(ν, x), I_ν(x)/I_μ(x) → besseli_ratio(ν, μ, x) (ν, μ numbers)."""
    if not e.has(sp.besseli):
        return e
    e = e.replace(lambda f: isinstance(f, sp.log) and isinstance(f.args[0], sp.besseli) and f.args[0].args[0].is_number,
                  lambda f: log_besseli(*f.args[0].args))

    def ratio(m):
        num = [f for f in m.args if isinstance(f, sp.besseli) and f.args[0].is_number]
        den = [f for f in m.args if isinstance(f, sp.Pow) and f.exp == -1 and isinstance(f.base, sp.besseli)
               and f.base.args[0].is_number]
        if not num or not den or num[0].args[1] != den[0].base.args[1]:
            return m
        rest = [f for f in m.args if f is not num[0] and f is not den[0]]
        return sp.Mul(*rest, besseli_ratio(num[0].args[0], den[0].base.args[0], num[0].args[1]))

    return e.replace(lambda m: isinstance(m, sp.Mul) and m.has(sp.besseli), ratio)


__all__ = ["log_besseli", "besseli_ratio", "bessel_forms"]
