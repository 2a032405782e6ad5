r"""Student's t distribution StudentT(ν, μ, σ): degrees of freedom ``df`` ν > 0, ``loc`` μ (default 0) and
``scale`` σ > 0 (default 1), as ``torch.distributions.StudentT(df, loc=0., scale=1.)``.

.. math:: p(x) = \frac{\Gamma(\frac{\nu+1}{2})}{\Gamma(\frac{\nu}{2})\sqrt{\nu\pi}\,\sigma}
   \Big(1 + \frac{1}{\nu}\Big(\frac{x-\mu}{\sigma}\Big)^2\Big)^{-\frac{\nu+1}{2}}, \qquad x \in \mathbb{R}

Density w.r.t. Lebesgue measure. E[log(1 + z²/ν)] comes from the Mellin-type moment E[(1 + z²/ν)^s],
a Beta integral. Two t distributions with different ν (or locations) have no closed-form divergence: it
is kept as its defining integral.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.family import Example
from symce.families.univariate import POSITIVE, REAL, Argument, Univariate, sample_arguments

_DEFAULTS = {"loc": 0, "scale": 1}  # torch's defaults


@final
class StudentT(Univariate):
    """StudentT(df ν, loc μ = 0, scale σ = 1); mean μ for ν > 1."""

    name = "StudentT"
    arguments = (Argument("df", POSITIVE, "a positive real number (the degrees of freedom ν)", draw=(0.5, 8.0)),
                 Argument("loc", REAL, "a real number (the location μ)"),
                 Argument("scale", POSITIVE, "a positive real number (the scale σ)", draw=(0.2, 4.0)))
    latex_name = r"\mathrm{StudentT}"
    support = sp.Reals

    def __init__(self, *args, **kwargs):
        names = [a.name for a in self.arguments]
        for k, v in _DEFAULTS.items():
            if names.index(k) >= len(args) and k not in kwargs:
                kwargs[k] = v
        super().__init__(*args, **kwargs)

    def log_density(self, x):
        nu, z = self.df, (x - self.loc) / self.scale
        return (sp.loggamma((nu + 1) / 2) - sp.loggamma(nu / 2) - sp.log(nu * sp.pi) / 2 - sp.log(self.scale)
                - (nu + 1) / 2 * sp.log(1 + z**2 / nu))


EXAMPLES = [
    Example("student-t", lambda i: StudentT(sp.Symbol(f"nu{i}", positive=True), sp.Symbol(f"mu{i}", real=True),
                                            sp.Symbol(f"sigma{i}", positive=True)), sample_arguments),
]
