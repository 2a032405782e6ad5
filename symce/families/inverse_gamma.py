r"""Inverse-gamma distribution InvGamma(α, β): shape ``concentration`` α > 0 and ``rate`` β > 0 (the
scale of the inverse-gamma, the rate of the gamma distribution of 1/X), as
``torch.distributions.InverseGamma(concentration, rate)``.

.. math:: p(x) = \frac{\beta^\alpha}{\Gamma(\alpha)}\, x^{-\alpha-1} e^{-\beta/x}, \qquad x > 0

Density w.r.t. Lebesgue measure. Exponential family with η = (−α − 1, −β), T(x) = (log x, 1/x),
A(η) = log Γ(−η₁ − 1) − (−η₁ − 1) log(−η₂), h = 1: E[log X] = log β − ψ(α) and E[1/X] = α/β come from
the moment map.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example
from symce.families.univariate import POSITIVE, Argument, Univariate, sample_arguments


@final
class InverseGamma(Univariate):
    """InverseGamma(concentration α, rate β); the law of 1/Y for Y ~ Gamma(α, β)."""

    name = "InverseGamma"
    arguments = (Argument("concentration", POSITIVE, "a positive real number (the shape α)", draw=(0.3, 6.0)),
                 Argument("rate", POSITIVE, "a positive real number (the scale β of the inverse gamma)",
                          draw=(0.2, 4.0)))
    support = sp.Interval.open(0, sp.oo)
    latex_name = r"\mathrm{InvGamma}"

    def log_density(self, x):
        a, b = self.concentration, self.rate
        return a * sp.log(b) - sp.loggamma(a) - (a + 1) * sp.log(x) - b / x

    def expfamily(self):
        e1, e2 = sp.symbols("eta1 eta2", real=True)
        x = self.variable()
        A = sp.loggamma(-e1 - 1) - (-e1 - 1) * sp.log(-e2)
        return ExpFamilyForm((e1, e2), (-self.concentration - 1, -self.rate), (sp.log(x), 1 / x), A, sp.S.Zero)


EXAMPLES = [
    Example("inverse-gamma", lambda i: InverseGamma(sp.Symbol(f"alpha{i}", positive=True),
                                                    sp.Symbol(f"beta{i}", positive=True)), sample_arguments),
]
