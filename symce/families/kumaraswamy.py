r"""Kumaraswamy distribution Kumaraswamy(a, b): ``concentration1`` a > 0 and ``concentration0`` b > 0, as
``torch.distributions.Kumaraswamy(concentration1, concentration0)`` (Kumaraswamy 1980; Jones 2009).

.. math:: p(x) = a b\, x^{a-1} (1 - x^a)^{b-1}, \qquad 0 < x < 1

Density w.r.t. Lebesgue measure. Not an exponential family in (a, b) jointly; Y = X^a is Beta(1, b). The
expectations E[log X] and E[log(1 − X^a)] are derived by the engine (the substitution u = x^a turns them
into Beta integrals; see :mod:`symce.engine.rules_power`), not taken from a table.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.family import Example
from symce.families.univariate import POSITIVE, Argument, Univariate, sample_arguments


@final
class Kumaraswamy(Univariate):
    """Kumaraswamy(concentration1 a, concentration0 b) on (0, 1); X^a ~ Beta(1, b)."""

    name = "Kumaraswamy"
    arguments = (Argument("concentration1", POSITIVE, "a positive real number (a, the exponent of x)",
                          draw=(0.6, 5.0)),
                 Argument("concentration0", POSITIVE, "a positive real number (b, the exponent of 1 − x^a)",
                          draw=(0.6, 5.0)))
    support = sp.Interval.open(0, 1)
    latex_name = r"\mathrm{Kumaraswamy}"

    def log_density(self, x):
        a, b = self.concentration1, self.concentration0
        return sp.log(a) + sp.log(b) + (a - 1) * sp.log(x) + (b - 1) * sp.log(1 - x**a)


EXAMPLES = [
    Example("kumaraswamy", lambda i: Kumaraswamy(sp.Symbol(f"a{i}", positive=True), sp.Symbol(f"b{i}", positive=True)),
            sample_arguments),
]
