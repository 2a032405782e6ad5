r"""Half-Cauchy distribution HalfCauchy(γ): ``scale`` γ > 0, as ``torch.distributions.HalfCauchy(scale)``
(|Y| for Y ~ Cauchy(0, γ)).

.. math:: p(x) = \frac{2}{\pi\gamma\,\big(1 + (x/\gamma)^2\big)}, \qquad x \ge 0

Density w.r.t. Lebesgue measure on [0, ∞).
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.family import Example
from symce.families.univariate import POSITIVE, Argument, Univariate, sample_arguments


@final
class HalfCauchy(Univariate):
    """HalfCauchy(scale γ); median γ, no mean."""

    name = "HalfCauchy"
    arguments = (Argument("scale", POSITIVE, "a positive real number (the scale γ)", draw=(0.2, 4.0)),)
    support = sp.Interval(0, sp.oo)
    latex_name = r"\mathrm{HalfCauchy}"

    def log_density(self, x):
        return sp.log(2) - sp.log(sp.pi) - sp.log(self.scale) - sp.log(1 + (x / self.scale) ** 2)


EXAMPLES = [
    Example("half-cauchy", lambda i: HalfCauchy(sp.Symbol(f"gamma{i}", positive=True)), sample_arguments),
]
