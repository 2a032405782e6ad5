r"""Log-normal distribution LogNormal(μ, σ): ``loc`` μ ∈ ℝ and ``scale`` σ > 0 of log X ~ N(μ, σ²), as
``torch.distributions.LogNormal(loc, scale)``.

.. math:: p(x) = \frac{1}{x\,\sigma\sqrt{2\pi}} \exp\Big(-\frac{(\log x - \mu)^2}{2\sigma^2}\Big), \qquad x > 0

Density w.r.t. Lebesgue measure. Exponential family with η = (μ/σ², −1/(2σ²)), T(x) = (log x, log² x),
A(η) = −η₁²/(4η₂) − ½ log(−2η₂), log h(x) = −log x − ½ log 2π: E[log X] = μ and E[log² X] = σ² + μ²
come from the moment map.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example
from symce.families.univariate import POSITIVE, REAL, Argument, Univariate, sample_arguments


@final
class LogNormal(Univariate):
    """LogNormal(loc μ, scale σ); log X ~ Normal(μ, σ)."""

    name = "LogNormal"
    arguments = (Argument("loc", REAL, "a real number (the mean μ of log X)", draw=(-2.0, 2.0)),
                 Argument("scale", POSITIVE, "a positive real number (the standard deviation σ of log X)",
                          draw=(0.2, 2.0)))
    support = sp.Interval.open(0, sp.oo)
    latex_name = r"\mathrm{LogNormal}"

    def log_density(self, x):
        m, s = self.loc, self.scale
        return -sp.log(x) - sp.log(s) - sp.log(2 * sp.pi) / 2 - (sp.log(x) - m) ** 2 / (2 * s**2)

    def expfamily(self):
        e1, e2 = sp.symbols("eta1 eta2", real=True)
        x = self.variable()
        m, s = self.loc, self.scale
        A = -e1**2 / (4 * e2) - sp.log(-2 * e2) / 2
        return ExpFamilyForm((e1, e2), (m / s**2, -1 / (2 * s**2)), (sp.log(x), sp.log(x) ** 2), A,
                             -sp.log(x) - sp.log(2 * sp.pi) / 2)


EXAMPLES = [
    Example("log-normal", lambda i: LogNormal(sp.Symbol(f"mu{i}", real=True), sp.Symbol(f"sigma{i}", positive=True)),
            sample_arguments),
]
