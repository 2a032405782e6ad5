r"""Continuous Bernoulli distribution CB(λ): ``probs`` λ ∈ (0, 1), as
``torch.distributions.ContinuousBernoulli(probs)`` (Loaiza-Ganem & Cunningham 2019).

.. math:: p(x) = C(\lambda)\, \lambda^x (1-\lambda)^{1-x}, \qquad 0 < x < 1, \qquad
          C(\lambda) = \frac{2 \operatorname{artanh}(1 - 2\lambda)}{1 - 2\lambda} \;(C(\tfrac12) = 2)

Density w.r.t. Lebesgue measure. Exponential family with η = logit λ, T(x) = x, h = 1 and
A(η) = log ∫₀¹ e^{ηx} dx = log((e^η − 1)/η): E[X] comes from the moment map ∇A, not from a table.

C has a removable singularity at λ = ½ (artanh(z)/z → 1 as z → 0). A symbolic λ keeps the quotient, which
is exact for every λ ≠ ½; the number λ = ½ itself is the uniform density on (0, 1) and is written with
C = 2 and η = 0, A = 0 (so no 0/0 is ever formed). Float code near ½ needs the series, as torch's
``lims`` do: that belongs to the numeric layer.
"""

from __future__ import annotations

import random
from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example
from symce.families.univariate import UNIT_OPEN, Argument, Univariate, sample_arguments

_HALF = sp.S.Half


@final
class ContinuousBernoulli(Univariate):
    """ContinuousBernoulli(probs λ) on (0, 1); λ = ½ is the uniform distribution."""

    name = "ContinuousBernoulli"
    arguments = (Argument("probs", UNIT_OPEN, "a real number strictly between 0 and 1 (the shape λ)",
                          draw=(0.05, 0.95)),)
    support = sp.Interval.open(0, 1)
    latex_name = r"\mathcal{CB}"

    def _at_half(self) -> bool:
        return self.probs == _HALF

    def log_normaliser(self):
        """log C(λ); the artanh quotient is positive for every λ ≠ ½, so it stays one logarithm."""
        lam = self.probs
        if self._at_half():
            return sp.log(2)
        return sp.log(2 * sp.atanh(1 - 2 * lam) / (1 - 2 * lam))

    def log_density(self, x):
        # λ^x (1 − λ)^{1−x} = (1 − λ)·e^{x logit λ}: the statistic's coefficient is one logarithm, η itself,
        # so η·E[X] cancels against the 1/η of the moment map instead of being spread over log λ and log(1 − λ)
        lam = self.probs
        return self.log_normaliser() + x * sp.log(lam / (1 - lam)) + sp.log(1 - lam)

    def expfamily(self):
        eta = sp.Symbol("eta", real=True)
        x = self.variable()
        if self._at_half():  # the uniform density: A(0) = log ∫₀¹ 1 dx = 0, E[X] = A'(0) = ½ by the series
            A = sp.log((sp.exp(eta) - 1) / eta).series(eta, 0, 3).removeO()
            return ExpFamilyForm((eta,), (sp.S.Zero,), (x,), A, sp.S.Zero)
        lam = self.probs
        A = sp.log((sp.exp(eta) - 1) / eta)
        logit = sp.log(lam / (1 - lam))  # one logarithm: e^η = λ/(1 − λ) evaluates, and E[X] stays one quotient

        def tidy(m):
            # the moment map's E[X] = e^η/(e^η − 1) − 1/η at η = logit λ, as one rational function of (λ, logit λ)
            L = sp.Dummy("L")
            g = m.xreplace({logit: L})
            return sp.factor(sp.cancel(g)).xreplace({L: logit}) if not g.has(sp.log) else m

        return ExpFamilyForm((eta,), (logit,), (x,), A, sp.S.Zero, constrain=tidy)


def _away_from_half(dist, rng: random.Random) -> dict:
    """λ in (0.05, 0.95) but |λ − ½| ≥ 0.05: torch switches to a Taylor series for λ ∈ (0.499, 0.501),
    whose truncation would be measured instead of the formula."""
    out = sample_arguments(dist, rng)
    for s, v in out.items():
        if abs(v - _HALF) < sp.Rational(1, 20):
            out[s] = v + (sp.Rational(1, 10) if v >= _HALF else -sp.Rational(1, 10))
    return out


EXAMPLES = [
    Example("continuous-bernoulli", lambda i: ContinuousBernoulli(sp.Symbol(f"lambda{i}", positive=True)),
            _away_from_half),
]
