r"""Exponential distribution Exp(λ): ``rate`` λ > 0, as ``torch.distributions.Exponential(rate)``.

.. math:: p(x) = \lambda e^{-\lambda x}, \qquad x > 0

Density w.r.t. Lebesgue measure. Exponential family with η = −λ, T(x) = x, A(η) = −log(−η), h = 1:
E[X] = 1/λ comes from the moment map ∇A, not from a table.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example
from symce.families.univariate import POSITIVE, Argument, Univariate, sample_arguments


@final
class Exponential(Univariate):
    """Exponential(rate λ); the mean is 1/λ."""

    name = "Exponential"
    arguments = (Argument("rate", POSITIVE, "a positive real number (the rate λ = 1/mean)", draw=(0.2, 4.0)),)
    support = sp.Interval.open(0, sp.oo)
    latex_name = r"\mathrm{Exp}"

    def log_density(self, x):
        return sp.log(self.rate) - self.rate * x

    def expfamily(self):
        e = sp.Symbol("eta1", real=True)
        x = self.variable()
        return ExpFamilyForm((e,), (-self.rate,), (x,), -sp.log(-e), sp.S.Zero)


EXAMPLES = [
    Example("exponential", lambda i: Exponential(sp.Symbol(f"lambda{i}", positive=True)), sample_arguments),
]
