r"""Laplace distribution Laplace(μ, b): location ``loc`` μ and ``scale`` b > 0, as
``torch.distributions.Laplace(loc, scale)``.

.. math:: p(x) = \frac{1}{2b} \exp\!\Big(-\frac{|x-\mu|}{b}\Big), \qquad x \in \mathbb{R}

Density w.r.t. Lebesgue measure. Not an exponential family in (μ, b) (the kink moves with μ): the
engine integrates between the kinks of |x − μ|, and against another Laplace splits at both locations,
with cases on their order.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.family import Example
from symce.families.univariate import POSITIVE, REAL, Argument, Univariate, sample_arguments


@final
class Laplace(Univariate):
    """Laplace(loc μ, scale b); mean μ, variance 2b²."""

    name = "Laplace"
    arguments = (Argument("loc", REAL, "a real number (the location μ)"),
                 Argument("scale", POSITIVE, "a positive real number (the scale b)", draw=(0.2, 4.0)))
    support = sp.Reals
    latex_name = r"\mathrm{Laplace}"

    def log_density(self, x):
        return -sp.log(2) - sp.log(self.scale) - sp.Abs(x - self.loc) / self.scale


EXAMPLES = [
    Example("laplace", lambda i: Laplace(sp.Symbol(f"mu{i}", real=True), sp.Symbol(f"b{i}", positive=True)),
            sample_arguments),
]
