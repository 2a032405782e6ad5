r"""Pareto distribution (type I) Pareto(x_m, α): ``scale`` x_m > 0 and shape ``alpha`` α > 0, as
``torch.distributions.Pareto(scale, alpha)``.

.. math:: p(x) = \frac{\alpha\, x_m^\alpha}{x^{\alpha+1}}, \qquad x \ge x_m

Density w.r.t. Lebesgue measure on [x_m, ∞), which depends on the parameters: H(P, Q) is finite only
where x_m(Q) ≤ x_m(P) (decided by the engine from the supports).
"""

from __future__ import annotations

import random
from typing import final

import sympy as sp

from symce.core.family import Example, random_variable
from symce.families.univariate import POSITIVE, Argument, Univariate


@final
class Pareto(Univariate):
    """Pareto(scale x_m, alpha α); mean α x_m/(α − 1) for α > 1."""

    name = "Pareto"
    arguments = (Argument("scale", POSITIVE, "a positive real number (the minimum x_m)", draw=(0.2, 4.0)),
                 Argument("alpha", POSITIVE, "a positive real number (the shape α)", draw=(0.5, 5.0)))
    latex_name = r"\mathrm{Pareto}"

    @property
    def support(self):
        return sp.Interval(self.scale, sp.oo)

    def variable(self):
        # x ≥ x_m > 0 on the support (the support's assumptions cannot be read off a symbolic end)
        return random_variable("X", self, positive=True)

    def log_density(self, x):
        return sp.log(self.alpha) + self.alpha * sp.log(self.scale) - (self.alpha + 1) * sp.log(x)


def _nested(dist: Pareto, rng: random.Random) -> dict:
    """The tests' P (symbols …1) gets the larger minimum, x_m(P) ≥ x_m(Q), so supp P ⊆ supp Q: the oracle
    integrates P's density against Q's density formula, the definition only there. The +∞ side is tested
    in tests/test_families_real.py. α ≥ 1 keeps the quadrature of the x^{−α−1} tail accurate."""
    inner = str(dist.scale).endswith("1")
    lo, hi = (2000, 4000) if inner else (200, 1500)
    return {dist.scale: sp.Rational(rng.randint(lo, hi), 1000), dist.alpha: sp.Rational(rng.randint(1000, 5000), 1000)}


EXAMPLES = [
    Example("pareto", lambda i: Pareto(sp.Symbol(f"xm{i}", positive=True), sp.Symbol(f"alpha{i}", positive=True)),
            _nested),
]
