r"""Beta distribution Beta(α, β): ``concentration1`` α > 0 (the exponent of x) and ``concentration0``
β > 0 (the exponent of 1 − x), as ``torch.distributions.Beta(concentration1, concentration0)``.

.. math:: p(x) = \frac{x^{\alpha-1} (1-x)^{\beta-1}}{B(\alpha, \beta)}, \qquad 0 < x < 1

Density w.r.t. Lebesgue measure. Exponential family with η = (α − 1, β − 1), T(x) = (log x, log(1 − x)),
A(η) = log Γ(η₁ + 1) + log Γ(η₂ + 1) − log Γ(η₁ + η₂ + 2), h = 1: E[log X] = ψ(α) − ψ(α + β) and
E[log(1 − X)] = ψ(β) − ψ(α + β) come from the moment map ∇A, not from a table.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example
from symce.families.univariate import POSITIVE, Argument, Univariate, sample_arguments


@final
class Beta(Univariate):
    """Beta(concentration1 α, concentration0 β) on (0, 1); the mean is α/(α + β)."""

    name = "Beta"
    arguments = (Argument("concentration1", POSITIVE, "a positive real number (α, the exponent of x)",
                          draw=(0.6, 6.0)),
                 Argument("concentration0", POSITIVE, "a positive real number (β, the exponent of 1 − x)",
                          draw=(0.6, 6.0)))
    support = sp.Interval.open(0, 1)
    latex_name = r"\mathrm{Beta}"

    def log_density(self, x):
        a, b = self.concentration1, self.concentration0
        return ((a - 1) * sp.log(x) + (b - 1) * sp.log(1 - x)
                - sp.loggamma(a) - sp.loggamma(b) + sp.loggamma(a + b))

    def expfamily(self):
        e1, e2 = sp.symbols("eta1 eta2", real=True)
        x = self.variable()
        A = sp.loggamma(e1 + 1) + sp.loggamma(e2 + 1) - sp.loggamma(e1 + e2 + 2)
        return ExpFamilyForm((e1, e2), (self.concentration1 - 1, self.concentration0 - 1),
                             (sp.log(x), sp.log(1 - x)), A, sp.S.Zero)


EXAMPLES = [
    Example("beta", lambda i: Beta(sp.Symbol(f"alpha{i}", positive=True), sp.Symbol(f"beta{i}", positive=True)),
            sample_arguments),
]
