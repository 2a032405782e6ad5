r"""Negative binomial distribution NegativeBinomial(r, p), as ``torch.distributions.NegativeBinomial(
total_count, probs)``: the number of successes before the r-th failure, ``probs`` p ∈ (0, 1) the probability
of success of each trial, ``total_count`` r > 0 (real-valued r is allowed, as in torch).

.. math:: p(x) = \frac{\Gamma(r + x)}{\Gamma(r)\, x!}\, (1-p)^r\, p^x, \qquad x \in \{0, 1, 2, \dots\}

(torch's ``log_prob``: r·log σ(−logit) + x·log σ(logit) + lgamma(r + x) − lgamma(1 + x) − lgamma(r); its mean
is r·p/(1 − p).) Density w.r.t. counting measure on ℤ. For fixed r an exponential family with η = log p,
T(x) = x, A(η) = −r·log(1 − e^η), log h(x) = log Γ(r + x) − log Γ(r) − log x!. H(P) needs E[log Γ(r + X)]
and E[log X!], which have no closed form (kept as the defining sums); between two negative binomials with
the same r the log h terms cancel in KL before any expectation is taken.
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example
from symce.families.logits import ProbsOrLogits
from symce.families.univariate import POSITIVE, UNIT_OPEN, Argument, Univariate, sample_arguments


@final
class NegativeBinomial(ProbsOrLogits, Univariate):
    """NegativeBinomial(total_count r, probs p): successes before the r-th failure; the mean is r·p/(1 − p).
    ``NegativeBinomial.from_logits(r, z)`` is torch's ``NegativeBinomial(r, logits=z)``."""

    name = "NegativeBinomial"
    arguments = (Argument("total_count", POSITIVE, "a positive real number (the number r of failures)",
                          draw=(0.3, 8.0)),
                 Argument("probs", UNIT_OPEN, "a probability in (0, 1) (of success in each trial)",
                          draw=(0.05, 0.8)))
    support = sp.Naturals0
    latex_name = r"\mathrm{NB}"

    def log_density(self, x):
        r = self.total_count
        return (sp.loggamma(r + x) - sp.loggamma(r) - sp.loggamma(x + 1)
                + r * self.log_complement() + x * self.log_probs())

    def pdf(self, x):
        # Γ(r + x)/(Γ(r) x!)·e^{r log(1 − p) + x log p}: a kept sum reads Σ … log X!, (1 − p)^r inside it
        r = self.total_count
        return sp.gamma(r + x) / (sp.gamma(r) * sp.factorial(x)) * sp.exp(r * self.log_complement() + x * self.log_probs())

    def expfamily(self):
        eta = sp.Symbol("eta", negative=True)
        x, r = self.variable(), self.total_count
        return ExpFamilyForm((eta,), (self.log_probs(),), (x,), -r * sp.log(1 - sp.exp(eta)),
                             sp.loggamma(r + x) - sp.loggamma(r) - sp.loggamma(x + 1))


def _shared_r(i: int) -> NegativeBinomial:
    # one r shared by P and Q (the symbol is not suffixed): the pairs are the same-r KL that closes; a
    # different r keeps E_P[log Γ(r_Q + X)] as a sum
    return NegativeBinomial(sp.Symbol("r", positive=True), sp.Symbol(f"p{i}", positive=True))


EXAMPLES = [
    Example("negative-binomial", _shared_r, sample_arguments),
]
