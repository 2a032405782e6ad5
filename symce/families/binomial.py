r"""Binomial distribution Binomial(n, p): ``total_count`` n ∈ {0, 1, 2, …} trials, ``probs`` p ∈ (0, 1) the
probability of success of each, as ``torch.distributions.Binomial(total_count, probs)``.

.. math:: p(x) = \binom{n}{x} p^x (1-p)^{n-x}, \qquad x \in \{0, 1, \dots, n\}

Density w.r.t. counting measure on ℤ. n may be a number (every expectation is then an exact finite sum,
written out term by term up to n = 11 and kept as the finite ``Sum`` beyond) or an integer symbol (``Symbol("n", integer=True, nonnegative=True)``:
the support is ``Range(0, n + 1)``). For fixed n an exponential family with η = logit p, T(x) = x,
A(η) = n·log(1 + e^η), log h(x) = log n! − log x! − log (n − x)!: E[X] = np comes from the moment map.
With symbolic n, H(P) keeps E[log X!] and E[log (n − X)!] as the defining sums; KL between two binomials
with the same n closes, the log h terms cancelling before any expectation is taken.
"""

from __future__ import annotations

import random
from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example
from symce.engine.rules_counts import EXPANDED_POINTS
from symce.families.logits import ProbsOrLogits
from symce.families.univariate import NONNEGATIVE, UNIT_OPEN, Argument, Univariate


@final
class Binomial(ProbsOrLogits, Univariate):
    """Binomial(total_count n, probs p): successes in n trials; the mean is n·p.
    ``Binomial.from_logits(n, z)`` is torch's ``Binomial(n, logits=z)``."""

    name = "Binomial"
    arguments = (Argument("total_count", NONNEGATIVE, "a non-negative integer (the number of trials n)",
                          draw=(1, 12), integer=True),
                 Argument("probs", UNIT_OPEN, "a probability in (0, 1) (of success in each trial)"))
    latex_name = r"\mathrm{Bin}"

    @property
    def support(self):
        return sp.Range(0, self.total_count + 1)

    def log_density(self, x):
        n = self.total_count
        return (sp.loggamma(n + 1) - sp.loggamma(x + 1) - sp.loggamma(n - x + 1)
                + x * self.log_probs() + (n - x) * self.log_complement())

    def pdf(self, x):
        # C(n, x) p^x (1 − p)^{n−x}, so that a kept sum reads Σ C(n, X) p^X (1 − p)^{n−X} log X!
        n = self.total_count
        return sp.binomial(n, x) * sp.exp(x * self.log_probs() + (n - x) * self.log_complement())

    def expfamily(self):
        eta = sp.Symbol("eta", real=True)
        x, n = self.variable(), self.total_count
        logit = self.logits if self.logits is not None else sp.log(self.probs / (1 - self.probs))
        return ExpFamilyForm((eta,), (logit,), (x,), n * sp.log(1 + sp.exp(eta)),
                             sp.loggamma(n + 1) - sp.loggamma(x + 1) - sp.loggamma(n - x + 1))

    # -- an explicit n: the support is a list of points and every expectation an exact finite sum ------
    def support_points(self):
        n = self.total_count
        # up to EXPANDED_POINTS points; beyond, Range(0, n + 1) and the sums kept unexpanded (Binomial(50, p))
        return list(range(int(n) + 1)) if n.is_Integer and n + 1 <= EXPANDED_POINTS else None

    def mass(self, point):
        n, p = self.total_count, self.probs
        return sp.binomial(n, point) * p**point * (1 - p) ** (n - point)


def _sample(dist: Binomial, rng: random.Random) -> dict:
    out = {}
    n = dist.total_count
    if isinstance(n, sp.Symbol):
        out[n] = sp.Integer(rng.randint(1, 12))
    p = dist.probs
    if isinstance(p, sp.Symbol):
        out[p] = sp.Rational(rng.randint(50, 950), 1000)
    return out


def _shared_n(i: int) -> Binomial:
    # one symbolic n shared by P and Q (the symbol is not suffixed): the same-n KL torch registers, which
    # closes; an explicit n is in EXPLICIT_EXAMPLES
    return Binomial(sp.Symbol("n", integer=True, nonnegative=True), sp.Symbol(f"p{i}", positive=True))


EXAMPLES = [
    Example("binomial", _shared_n, _sample),
]

#: an explicit number of trials (exact finite sums, entropy included); tested by tests/test_families_counts.py.
#: Not in the catalog: against the symbolic-n example its KL is a Piecewise with +∞ where the supports nest
#: the wrong way, which the catalog-wide tests (torch's inf, finite differences, the proof) do not handle yet.
EXPLICIT_EXAMPLES = [
    Example("binomial-7", lambda i: Binomial(7, sp.Symbol(f"p{i}", positive=True)), _sample),
]
