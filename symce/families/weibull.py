r"""Weibull distribution Weibull(λ, k): ``scale`` λ > 0 and ``concentration`` k > 0 (the shape), in
torch's order, as ``torch.distributions.Weibull(scale, concentration)``.

.. math:: p(x) = \frac{k}{\lambda} \Big(\frac{x}{\lambda}\Big)^{k-1} e^{-(x/\lambda)^k}, \qquad x > 0

Density w.r.t. Lebesgue measure. Not an exponential family in (λ, k) jointly; at a fixed concentration k
(each instance's own) it is one in λ, with η = −λ^{−k}, T(x) = x^k, A(η) = −log(−η),
log h(x) = log k + (k − 1) log x: E[X^k] = λ^k comes from the moment map. Moments of other powers
(E[X^{k₂}] in a KL against another concentration) and E[log X] come from the definition, through the
Mellin moment E[X^s] = λ^s Γ(1 + s/k) (:mod:`symce.engine.rules_positive`).
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example
from symce.families.univariate import POSITIVE, Argument, Univariate, sample_arguments


@final
class Weibull(Univariate):
    """Weibull(scale λ, concentration k); k = 1 is Exponential(1/λ), k = 2 a Rayleigh."""

    name = "Weibull"
    arguments = (Argument("scale", POSITIVE, "a positive real number (the scale λ)", draw=(0.3, 3.0)),
                 Argument("concentration", POSITIVE, "a positive real number (the shape k)", draw=(0.5, 4.0)))
    support = sp.Interval.open(0, sp.oo)
    latex_name = r"\mathrm{Weibull}"

    def log_density(self, x):
        lam, k = self.scale, self.concentration
        return sp.log(k) - k * sp.log(lam) + (k - 1) * sp.log(x) - x**k / lam**k

    def expfamily(self):
        # k is fixed (this instance's concentration): T depends on it, so the form is one per k
        e = sp.Symbol("eta1", real=True)
        x = self.variable()
        lam, k = self.scale, self.concentration
        return ExpFamilyForm((e,), (-lam ** (-k),), (x**k,), -sp.log(-e), sp.log(k) + (k - 1) * sp.log(x))


EXAMPLES = [
    Example("weibull", lambda i: Weibull(sp.Symbol(f"lambda{i}", positive=True), sp.Symbol(f"k{i}", positive=True)),
            sample_arguments),
]
