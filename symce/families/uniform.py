r"""Continuous uniform distribution Uniform(a, b): ``low`` a < ``high`` b, as
``torch.distributions.Uniform(low, high)``.

.. math:: p(x) = \frac{1}{b - a}, \qquad a \le x \le b

Density w.r.t. Lebesgue measure on its support [a, b], which depends on the parameters: H(P, Q) is
finite only where supp P ⊆ supp Q (decided by the engine from the supports; a condition when the ends
are symbols).
"""

from __future__ import annotations

import random
from typing import final

import sympy as sp

from symce.core.family import Example
from symce.errors import InvalidParameterError
from symce.families.univariate import REAL, Argument, Univariate


@final
class Uniform(Univariate):
    """Uniform(low a, high b), a < b; mean (a + b)/2."""

    name = "Uniform"
    arguments = (Argument("low", REAL, "a real number (the lower end a < high)", draw=(-3.0, 0.0)),
                 Argument("high", REAL, "a real number (the upper end b > low)", draw=(1.0, 4.0)))
    latex_name = r"\mathcal{U}"

    @property
    def support(self):
        return sp.Interval(self.low, self.high)

    def _check_jointly(self) -> None:
        if sp.StrictLessThan(self.low, self.high) is sp.false:
            raise InvalidParameterError("Uniform", "high", self.high, f"greater than low = {self.low}")

    def _joint_conditions(self) -> list:
        rel = sp.StrictLessThan(self.low, self.high)
        return [] if rel is sp.true else [rel]

    def log_density(self, x):
        return -sp.log(self.high - self.low)


def _nested(dist: Uniform, rng: random.Random) -> dict:
    """low < high, and the supports of the tests' P (symbols …1) and Q (…2) nested, [a₁, b₁] ⊂ [a₂, b₂]: the
    oracle integrates P's density against Q's density formula, which is the definition only where
    supp P ⊆ supp Q. The +∞ side (supp P ⊄ supp Q) is tested in tests/test_families_real.py."""
    inner = str(dist.low).endswith("1")
    lo, hi = ((-1000, 0), (1000, 2000)) if inner else ((-3000, -1500), (2500, 4000))
    return {dist.low: sp.Rational(rng.randint(*lo), 1000), dist.high: sp.Rational(rng.randint(*hi), 1000)}


EXAMPLES = [
    Example("uniform", lambda i: Uniform(sp.Symbol(f"a{i}", real=True), sp.Symbol(f"b{i}", real=True)), _nested),
]
