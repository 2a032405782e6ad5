r"""von Mises distribution VM(μ, κ) on the circle: ``loc`` μ ∈ ℝ and ``concentration`` κ > 0, as
``torch.distributions.VonMises(loc, concentration)``.

.. math:: p(x) = \frac{e^{\kappa \cos(x - \mu)}}{2\pi I_0(\kappa)}, \qquad -\pi \le x < \pi

Density w.r.t. Lebesgue (arc-length) measure on the circle, written on [−π, π). Its sample space is the
circle, not ℝ: a von Mises is compared only with distributions on the circle (a normal on ℝ is not one).
Exponential family with η = (κ cos μ, κ sin μ), T(x) = (cos x, sin x), h = 1 and A(η) = log 2π + log I₀(‖η‖):
E[cos X] = I₁(κ)/I₀(κ)·cos μ and E[sin X] = I₁(κ)/I₀(κ)·sin μ come from the moment map ∇A (‖η(θ)‖ = κ by
cos² + sin² = 1), and E[cos(X − c)] = I₁(κ)/I₀(κ)·cos(μ − c) from them by angle addition (the engine's rule
in :mod:`symce.engine.rules_circular`), so the density keeps its textbook form κ cos(x − μ).
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example
from symce.families.univariate import POSITIVE, REAL, Argument, Univariate, sample_arguments


@final
class VonMises(Univariate):
    """VonMises(loc μ, concentration κ) on the circle [−π, π); the circular mean is μ."""

    name = "VonMises"
    arguments = (Argument("loc", REAL, "a real number (the circular mean μ)", draw=(-3.0, 3.0)),
                 Argument("concentration", POSITIVE, "a positive real number (κ)", draw=(0.2, 6.0)))
    support = sp.Interval.Ropen(-sp.pi, sp.pi)
    latex_name = r"\mathrm{VM}"

    @property
    def sample_space(self):
        # the circle: its own space, so a density on ℝ is never compared with one on [−π, π)
        return ("circle",)

    def log_density(self, x):
        mu, k = self.loc, self.concentration
        return k * sp.cos(x - mu) - sp.log(2 * sp.pi) - sp.log(sp.besseli(0, k))

    def expfamily(self):
        e1, e2 = sp.symbols("eta1 eta2", real=True)
        x = self.variable()
        mu, k = self.loc, self.concentration
        A = sp.log(2 * sp.pi) + sp.log(sp.besseli(0, sp.sqrt(e1**2 + e2**2)))
        sin2 = sp.sin(mu) ** 2

        def on_circle(m):
            # ‖η(θ)‖ = sqrt(κ² cos² μ + κ² sin² μ) = κ (κ > 0)
            return m.xreplace({sin2: 1 - sp.cos(mu) ** 2}) if m.has(sin2) else m

        return ExpFamilyForm((e1, e2), (k * sp.cos(mu), k * sp.sin(mu)), (sp.cos(x), sp.sin(x)), A, sp.S.Zero,
                             constrain=on_circle)


EXAMPLES = [
    Example("von-mises", lambda i: VonMises(sp.Symbol(f"mu{i}", real=True), sp.Symbol(f"kappa{i}", positive=True)),
            sample_arguments),
]
