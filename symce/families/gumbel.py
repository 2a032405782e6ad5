r"""Gumbel distribution (of maxima) Gumbel(μ, β): location ``loc`` μ and ``scale`` β > 0, as
``torch.distributions.Gumbel(loc, scale)``.

.. math:: p(x) = \frac{1}{\beta} \exp\!\big(-z - e^{-z}\big), \quad z = \frac{x-\mu}{\beta}, \qquad x \in \mathbb{R}

Density w.r.t. Lebesgue measure; not an exponential family in (μ, β). E[X] and E[e^{−X/β'}] come from the
moment generating function E[e^{sX}], an integral the substitution u = e^{−z} turns into Euler's Γ integral.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.family import Example
from symce.families.univariate import POSITIVE, REAL, Argument, Univariate, sample_arguments


@final
class Gumbel(Univariate):
    """Gumbel(loc μ, scale β); mean μ + γβ."""

    name = "Gumbel"
    arguments = (Argument("loc", REAL, "a real number (the location μ)"),
                 Argument("scale", POSITIVE, "a positive real number (the scale β)", draw=(0.2, 4.0)))
    support = sp.Reals
    latex_name = r"\mathrm{Gumbel}"

    def log_density(self, x):
        z = (x - self.loc) / self.scale
        return -sp.log(self.scale) - z - sp.exp(-z)


EXAMPLES = [
    Example("gumbel", lambda i: Gumbel(sp.Symbol(f"mu{i}", real=True), sp.Symbol(f"beta{i}", positive=True)),
            sample_arguments),
]
