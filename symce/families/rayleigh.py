r"""Rayleigh distribution Rayleigh(σ): ``scale`` σ > 0, as ``scipy.stats.rayleigh(scale=σ)`` and
``tfp.distributions.Rayleigh(scale)`` (torch.distributions has no Rayleigh); the law of |Y| for
Y ~ N(0, σ² I₂).

.. math:: p(x) = \frac{x}{\sigma^2} \exp\Big(-\frac{x^2}{2\sigma^2}\Big), \qquad x > 0

Density w.r.t. Lebesgue measure. Exponential family with η = −1/(2σ²), T(x) = x², A(η) = −log(−2η),
log h(x) = log x: E[X²] = 2σ² comes from the moment map, E[log X] (from h) from the definition.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example
from symce.families.univariate import POSITIVE, Argument, Univariate, sample_arguments


@final
class Rayleigh(Univariate):
    """Rayleigh(scale σ); the mode is σ."""

    name = "Rayleigh"
    arguments = (Argument("scale", POSITIVE, "a positive real number (the scale σ, the mode)", draw=(0.2, 4.0)),)
    support = sp.Interval.open(0, sp.oo)
    latex_name = r"\mathrm{Rayleigh}"

    def log_density(self, x):
        s = self.scale
        return sp.log(x) - 2 * sp.log(s) - x**2 / (2 * s**2)

    def expfamily(self):
        e = sp.Symbol("eta1", real=True)
        x = self.variable()
        return ExpFamilyForm((e,), (-1 / (2 * self.scale**2),), (x**2,), -sp.log(-2 * e), sp.log(x))


EXAMPLES = [
    Example("rayleigh", lambda i: Rayleigh(sp.Symbol(f"sigma{i}", positive=True)), sample_arguments),
]
