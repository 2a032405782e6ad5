r"""log(b − a) from b and a: the Uniform family's log(high − low), whose difference rounds (b = 10⁻¹⁷,
a = −1: b − a = 1 and log 1 = 0 for 10⁻¹⁷) or overflows (b = −a = 10³⁰⁸).

Kernel (:mod:`symce.numeric.impl.arrays.log_diff`): s + e = b − a exactly by Knuth's TwoSum, then
log s + log1p(e/s); both inputs halved first where the difference could overflow (+ log 2).
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction


class log_diff(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """log(b − a) for b ≥ a."""

    nargs = 2

    def elementary(self):
        b, a = self.args
        return sp.log(b - a)

    def fdiff(self, argindex=1):
        b, a = self.args
        return 1 / (b - a) if argindex == 1 else -1 / (b - a)


class log_diff_ratio(StableFunction):  # noqa: N801
    """log((b − a)/(d − c)) for b ≥ a, d > c: the Uniform KL log(b₂ − a₂) − log(b₁ − a₁), which cancels where
    the supports nearly agree."""

    nargs = 4

    def elementary(self):
        b, a, d, c = self.args
        return sp.log(b - a) - sp.log(d - c)

    def fdiff(self, argindex=1):
        b, a, d, c = self.args
        return [1 / (b - a), -1 / (b - a), -1 / (d - c), 1 / (d - c)][argindex - 1]


def log_differences(e):
    """log(b − a) → log_diff(b, a) for two real symbols a, b (a number in the difference, log(1 − p), is
    left to the other rules)."""
    def is_difference(f):
        if not isinstance(f, sp.log) or not isinstance(f.args[0], sp.Add) or len(f.args[0].args) != 2:
            return False
        x, y = f.args[0].args
        return {x.could_extract_minus_sign(), y.could_extract_minus_sign()} == {True, False} and all(
            (-t if t.could_extract_minus_sign() else t).is_Symbol for t in (x, y))

    def rewrite(f):
        x, y = f.args[0].args
        b, a = (y, -x) if x.could_extract_minus_sign() else (x, -y)
        return log_diff(b, a)

    e = e.replace(is_difference, rewrite)
    return e.replace(lambda s: isinstance(s, sp.Add) and s.has(log_diff), _ratios)


def _ratios(s):
    """log_diff(b, a) − log_diff(d, c) → log_diff_ratio(b, a, d, c) (one pair per sum)."""
    plus = [t for t in s.args if isinstance(t, log_diff)]
    minus = [t for t in s.args if isinstance(-t, log_diff)]
    if not plus or not minus:
        return s
    p, m = plus[0], -minus[0]
    rest = [t for t in s.args if t is not plus[0] and t is not minus[0]]
    return sp.Add(*rest, log_diff_ratio(*p.args, *m.args))


__all__ = ["log_diff", "log_diff_ratio", "log_differences"]
