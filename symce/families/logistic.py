r"""Logistic distribution Logistic(μ, s): location ``loc`` μ and ``scale`` s > 0 (torch.distributions has no
Logistic; the arguments follow its location-scale families, e.g. ``Gumbel(loc, scale)``).

.. math:: p(x) = \frac{e^{-(x-\mu)/s}}{s\,\big(1 + e^{-(x-\mu)/s}\big)^2}, \qquad x \in \mathbb{R}

Density w.r.t. Lebesgue measure; not an exponential family.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.family import Example
from symce.families.univariate import POSITIVE, REAL, Argument, Univariate, sample_arguments


@final
class Logistic(Univariate):
    """Logistic(loc μ, scale s); mean μ, variance s²π²/3."""

    name = "Logistic"
    arguments = (Argument("loc", REAL, "a real number (the location μ)"),
                 Argument("scale", POSITIVE, "a positive real number (the scale s)", draw=(0.2, 4.0)))
    support = sp.Reals
    latex_name = r"\mathrm{Logistic}"

    def log_density(self, x):
        z = (x - self.loc) / self.scale
        return -z - sp.log(self.scale) - 2 * sp.log(1 + sp.exp(-z))


EXAMPLES = [
    Example("logistic", lambda i: Logistic(sp.Symbol(f"mu{i}", real=True), sp.Symbol(f"s{i}", positive=True)),
            sample_arguments),
]
