r"""Bernoulli distribution on {0, 1}, by probability p or by logit z.

.. math:: p(x) = p^x (1-p)^{1-x}, \quad x \in \{0, 1\};\qquad p = \sigma(z) = \frac{e^z}{1+e^z}

Density w.r.t. counting measure. Exponential family with η = logit p, T(x) = x, A(η) = log(1 + e^η).
With p on the boundary (0 or 1) the distribution is a point mass; symce then sums over the support with
0·log 0 = 0 and reports +∞ where P is not absolutely continuous w.r.t. Q.
"""

from __future__ import annotations

import random
from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example, Family, Measure, as_expr, check_interval, random_variable

_UNIT = sp.Interval(0, 1)


@final
class Bernoulli(Family):
    """Bernoulli(p): P(X = 1) = p. Use :meth:`from_logit` for P(X = 1) = σ(z)."""

    name = "Bernoulli"
    measure = Measure.COUNTING

    def __init__(self, p):
        p = as_expr(p, family="Bernoulli", parameter="p")
        check_interval("Bernoulli", "p", p, _UNIT, "a probability in [0, 1]")
        self._p, self._z = p, None

    @classmethod
    def from_logit(cls, z) -> "Bernoulli":
        """Bernoulli with P(X = 1) = σ(z) = 1/(1 + e^{−z}); z any real expression, e.g. ``w*x + b``."""
        z = as_expr(z, family="Bernoulli.from_logit", parameter="z")
        check_interval("Bernoulli.from_logit", "z", z, sp.Interval(-sp.oo, sp.oo), "a real number (a logit)")
        obj = cls.__new__(cls)
        obj._p, obj._z = None, z
        return obj

    # -- parameters --------------------------------------------------------------------------------
    @property
    def is_logit(self) -> bool:
        return self._z is not None

    @property
    def parameters(self):
        return {"logit": self._z} if self.is_logit else {"p": self._p}

    # -- notation: Bern(p), Bern(σ(z)) ---------------------------------------------------------------
    latex_name = r"\mathrm{Bern}"

    def latex_arguments(self, printer):
        if self.is_logit:
            return [r"\sigma\left(%s\right)" % printer._print(self._z)]
        return [printer._print(self._p)]

    @property
    def p(self) -> sp.Expr:
        """P(X = 1)."""
        return sp.exp(self._z) / (1 + sp.exp(self._z)) if self.is_logit else self._p

    @property
    def sample_space(self):
        # the integers: {0, 1} ⊂ ℤ, so a Bernoulli compares with any distribution on the integers (a Poisson
        # written as a Density), absolute continuity then decided by the supports
        return ("integer",)

    @property
    def support(self):
        return sp.FiniteSet(0, 1)

    def conditions(self):
        if self.is_logit or self._p.is_number:
            return []
        # relations the assumptions already decide (0 < p for a positive p) are not worth stating
        return [c for c in (sp.StrictLessThan(0, self._p), sp.StrictLessThan(self._p, 1)) if c != sp.true]

    # -- density -----------------------------------------------------------------------------------
    def variable(self):
        return random_variable("X", self, integer=True, nonnegative=True)

    def log_density(self, x):
        if self.is_logit:
            # log σ(z)^x (1 − σ(z))^{1−x} = x·z − log(1 + e^z): the normaliser is a constant term
            return x * self._z - sp.log(1 + sp.exp(self._z))
        return x * sp.log(self._p) + (1 - x) * sp.log(1 - self._p)

    def expfamily(self):
        if not self.is_logit and self._p.is_number and self._p in (0, 1):
            return None  # a point mass has no natural parameter
        eta = sp.Symbol("eta", real=True)
        value = self._z if self.is_logit else sp.log(self._p / (1 - self._p))
        x = self.variable()
        return ExpFamilyForm((eta,), (value,), (x,), sp.log(1 + sp.exp(eta)))

    def support_points(self):
        return [0, 1]

    def mass(self, point):
        return self.p if point == 1 else (1 / (1 + sp.exp(self._z)) if self.is_logit else 1 - self._p)


def _points(dist: Family, rng: random.Random) -> dict:
    out = {}
    for s in dist.free_symbols:
        out[s] = sp.Rational(rng.randint(1, 999), 1000) if s.name.startswith("p") else sp.Rational(rng.randint(-4000, 4000), 1000)
    return out


EXAMPLES = [
    Example("bernoulli", lambda i: Bernoulli(sp.Symbol(f"p{i}", positive=True)), _points),
    Example("bernoulli-logit", lambda i: Bernoulli.from_logit(sp.Symbol(f"z{i}", real=True)), _points),
]
