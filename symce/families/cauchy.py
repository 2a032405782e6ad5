r"""Cauchy distribution Cauchy(x₀, γ): location ``loc`` x₀ and ``scale`` γ > 0, as
``torch.distributions.Cauchy(loc, scale)``.

.. math:: p(x) = \frac{1}{\pi\gamma\,\big(1 + ((x-x_0)/\gamma)^2\big)}, \qquad x \in \mathbb{R}

Density w.r.t. Lebesgue measure; no mean, but E[log(1 + ((X − x₀)/γ)²)] is finite, so the entropy and the
divergences are.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.family import Example
from symce.families.univariate import POSITIVE, REAL, Argument, Univariate, sample_arguments


@final
class Cauchy(Univariate):
    """Cauchy(loc x₀, scale γ); median x₀, no mean."""

    name = "Cauchy"
    arguments = (Argument("loc", REAL, "a real number (the location x₀)"),
                 Argument("scale", POSITIVE, "a positive real number (the scale γ)", draw=(0.2, 4.0)))
    support = sp.Reals
    latex_name = r"\mathrm{Cauchy}"

    def log_density(self, x):
        return -sp.log(sp.pi) - sp.log(self.scale) - sp.log(1 + ((x - self.loc) / self.scale) ** 2)


EXAMPLES = [
    Example("cauchy", lambda i: Cauchy(sp.Symbol(f"x0{i}", real=True), sp.Symbol(f"gamma{i}", positive=True)),
            sample_arguments),
]
