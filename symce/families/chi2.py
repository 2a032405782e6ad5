r"""Chi-squared distribution χ²(k): ``df`` k > 0 (any positive real, as torch), as
``torch.distributions.Chi2(df)`` — the Gamma(k/2, 1/2) distribution.

.. math:: p(x) = \frac{x^{k/2-1} e^{-x/2}}{2^{k/2}\,\Gamma(k/2)}, \qquad x > 0

Density w.r.t. Lebesgue measure. A one-parameter exponential family with η = k/2 − 1, T(x) = log x,
A(η) = log Γ(η + 1) + (η + 1) log 2, log h(x) = −x/2: E[log X] = ψ(k/2) + log 2 comes from the moment
map; E[X] (from h) from the definition.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example
from symce.families.univariate import POSITIVE, Argument, Univariate, sample_arguments


@final
class Chi2(Univariate):
    """Chi2(df k); the mean is k."""

    name = "Chi2"
    arguments = (Argument("df", POSITIVE, "a positive real number (the degrees of freedom k)", draw=(0.5, 12.0)),)
    support = sp.Interval.open(0, sp.oo)
    latex_name = r"\chi^2"

    def log_density(self, x):
        k = self.df
        return (k / 2 - 1) * sp.log(x) - x / 2 - k / 2 * sp.log(2) - sp.loggamma(k / 2)

    def expfamily(self):
        e = sp.Symbol("eta1", real=True)
        x = self.variable()
        A = sp.loggamma(e + 1) + (e + 1) * sp.log(2)
        return ExpFamilyForm((e,), (self.df / 2 - 1,), (sp.log(x),), A, -x / 2)


EXAMPLES = [
    Example("chi2", lambda i: Chi2(sp.Symbol(f"k{i}", positive=True)), sample_arguments),
]
