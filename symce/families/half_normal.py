r"""Half-normal distribution HalfNormal(σ): ``scale`` σ > 0, the law of |Y| for Y ~ N(0, σ²), as
``torch.distributions.HalfNormal(scale)``.

.. math:: p(x) = \frac{\sqrt{2}}{\sigma\sqrt{\pi}} \exp\Big(-\frac{x^2}{2\sigma^2}\Big), \qquad x > 0

Density w.r.t. Lebesgue measure. Exponential family with η = −1/(2σ²), T(x) = x²,
A(η) = ½ log π − log 2 − ½ log(−η), h = 1: E[X²] = σ² comes from the moment map.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example
from symce.families.univariate import POSITIVE, Argument, Univariate, sample_arguments


@final
class HalfNormal(Univariate):
    """HalfNormal(scale σ); the mean is σ·√(2/π)."""

    name = "HalfNormal"
    arguments = (Argument("scale", POSITIVE, "a positive real number (the scale σ)", draw=(0.2, 4.0)),)
    support = sp.Interval.open(0, sp.oo)
    latex_name = r"\mathrm{HalfNormal}"

    def log_density(self, x):
        s = self.scale
        return sp.log(2) / 2 - sp.log(sp.pi) / 2 - sp.log(s) - x**2 / (2 * s**2)

    def expfamily(self):
        e = sp.Symbol("eta1", real=True)
        x = self.variable()
        A = sp.log(sp.pi) / 2 - sp.log(2) - sp.log(-e) / 2
        return ExpFamilyForm((e,), (-1 / (2 * self.scale**2),), (x**2,), A, sp.S.Zero)


EXAMPLES = [
    Example("half-normal", lambda i: HalfNormal(sp.Symbol(f"sigma{i}", positive=True)), sample_arguments),
]
