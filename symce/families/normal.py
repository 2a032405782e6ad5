r"""Univariate normal distribution N(μ, σ²).

.. math:: p(x) = \frac{1}{\sqrt{2\pi}\,\sigma} \exp\!\Big(-\frac{(x-\mu)^2}{2\sigma^2}\Big),\quad x \in \mathbb{R}

Density w.r.t. Lebesgue measure. Exponential family with η = (μ/σ², −1/(2σ²)), T(x) = (x, x²),
A(η) = −η₁²/(4η₂) − ½ log(−2η₂), log h = −½ log 2π.
"""

from __future__ import annotations

import random
from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example, Family, Measure, as_expr, check_interval, random_variable


@final
class Normal(Family):
    """N(mu, sigma²), parameterised by the mean ``mu`` and the standard deviation ``sigma`` > 0."""

    name = "Normal"
    measure = Measure.LEBESGUE

    def __init__(self, mu, sigma):
        self.mu = as_expr(mu, family="Normal", parameter="mu")
        self.sigma = as_expr(sigma, family="Normal", parameter="sigma")
        check_interval("Normal", "mu", self.mu, sp.Interval(-sp.oo, sp.oo), "a real number")
        check_interval("Normal", "sigma", self.sigma, sp.Interval.open(0, sp.oo),
                       "a positive real number (the standard deviation)")

    @property
    def parameters(self):
        return {"mu": self.mu, "sigma": self.sigma}

    # -- notation: N(μ, σ²), the variance as the second argument ---------------------------------------
    latex_name = r"\mathcal{N}"

    def latex_arguments(self, printer):
        return [printer._print(self.mu), printer._print(self.sigma ** 2)]

    @property
    def sample_space(self):
        return ("real",)

    @property
    def support(self):
        return sp.Reals

    def conditions(self):
        return [] if self.sigma.is_positive else [sp.StrictGreaterThan(self.sigma, 0)]

    def variable(self):
        return random_variable("X", self, real=True)

    def log_density(self, x):
        return -(x - self.mu) ** 2 / (2 * self.sigma**2) - sp.log(self.sigma) - sp.log(2 * sp.pi) / 2

    def expfamily(self):
        e1, e2 = sp.symbols("eta1 eta2", real=True)
        x = self.variable()
        A = -(e1**2) / (4 * e2) - sp.log(-2 * e2) / 2
        return ExpFamilyForm((e1, e2), (self.mu / self.sigma**2, -1 / (2 * self.sigma**2)), (x, x**2), A,
                             -sp.log(2 * sp.pi) / 2)


def _points(dist: Family, rng: random.Random) -> dict:
    return {s: (sp.Rational(rng.randint(100, 4000), 1000) if s.is_positive else sp.Rational(rng.randint(-3000, 3000), 1000))
            for s in dist.free_symbols}


EXAMPLES = [
    Example("normal", lambda i: Normal(sp.Symbol(f"mu{i}", real=True), sp.Symbol(f"sigma{i}", positive=True)), _points),
]
