r"""Geometric distribution Geometric(p) on {0, 1, 2, …}: the number of failures before the first success,
``probs`` p ∈ (0, 1) the probability of success, as ``torch.distributions.Geometric(probs)``.

.. math:: p(x) = (1-p)^x\, p, \qquad x \in \{0, 1, 2, \dots\}

Density w.r.t. counting measure on ℤ. Exponential family with η = log(1 − p), T(x) = x,
A(η) = −log(1 − e^η), h = 1: E[X] = (1 − p)/p comes from the moment map, so entropy, cross-entropy and KL
close without any summation. p = 1 (the point mass at 0, which torch allows) is refused: its η is −∞.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example
from symce.families.logits import ProbsOrLogits
from symce.families.univariate import UNIT_OPEN, Argument, Univariate, sample_arguments


@final
class Geometric(ProbsOrLogits, Univariate):
    """Geometric(probs p): failures before the first success; the mean is (1 − p)/p.
    ``Geometric.from_logits(z)`` is torch's ``Geometric(logits=z)``."""

    name = "Geometric"
    arguments = (Argument("probs", UNIT_OPEN, "a probability in (0, 1) (of success in each trial)",
                          draw=(0.15, 0.9)),)
    support = sp.Naturals0
    latex_name = r"\mathrm{Geom}"

    def log_density(self, x):
        return x * self.log_complement() + self.log_probs()

    def expfamily(self):
        eta = sp.Symbol("eta", negative=True)
        x = self.variable()
        return ExpFamilyForm((eta,), (self.log_complement(),), (x,), -sp.log(1 - sp.exp(eta)))


EXAMPLES = [
    Example("geometric", lambda i: Geometric(sp.Symbol(f"p{i}", positive=True)), sample_arguments),
]
