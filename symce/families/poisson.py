r"""Poisson distribution Poisson(λ): ``rate`` λ > 0, as ``torch.distributions.Poisson(rate)``.

.. math:: p(x) = \frac{\lambda^x e^{-\lambda}}{x!}, \qquad x \in \{0, 1, 2, \dots\}

Density w.r.t. counting measure on ℤ (the sample space of Bernoulli, Binomial, Geometric, so KL between
them is defined). Exponential family with η = log λ, T(x) = x, A(η) = e^η, log h(x) = −log x!: E[X] = λ
comes from the moment map. H(P) needs E[log X!], which has no closed form: the engine keeps it as the
defining sum; in KL(P‖Q) between two Poissons the log h terms cancel before any expectation is taken.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example
from symce.families.univariate import POSITIVE, Argument, Univariate, sample_arguments


@final
class Poisson(Univariate):
    """Poisson(rate λ); the mean and the variance are λ."""

    name = "Poisson"
    arguments = (Argument("rate", POSITIVE, "a positive real number (the rate λ, the mean)", draw=(0.2, 8.0)),)
    support = sp.Naturals0
    latex_name = r"\mathrm{Poisson}"

    def log_density(self, x):
        lam = self.rate
        return x * sp.log(lam) - lam - sp.loggamma(x + 1)

    def pdf(self, x):
        # the pmf as e^{x log λ − λ}/x!: a kept sum reads Σ e^{X log λ − λ} log X!/X!, and e^{−λ} stays inside
        # it (pulled out as a factor, e^{−1000}·Σ overflows a float where the whole sum does not)
        return sp.exp(x * sp.log(self.rate) - self.rate) / sp.factorial(x)

    def expfamily(self):
        eta = sp.Symbol("eta", real=True)
        x = self.variable()
        return ExpFamilyForm((eta,), (sp.log(self.rate),), (x,), sp.exp(eta), -sp.loggamma(x + 1))


EXAMPLES = [
    Example("poisson", lambda i: Poisson(sp.Symbol(f"lambda{i}", positive=True)), sample_arguments),
]
