"""sympy.stats random variables as symce distributions.

``from_sympy_stats(X)`` maps a random variable of :mod:`sympy.stats` to the shipped family when there is
one (Normal, Bernoulli, the multivariate normal: so derivations take the exponential-family route and read
like the textbook) and otherwise to a :class:`~symce.families.density.Density` built from its density and
set (continuous: Lebesgue measure; discrete and finite: counting measure). Importing this module registers
the conversion with :mod:`symce.core.coerce`, so a sympy.stats variable is accepted wherever a distribution
is (``sc.kl(sympy.stats.Normal("X", 0, 1), Q)``).
"""

from __future__ import annotations

import sys

import sympy as sp

from symce.core import coerce
from symce.core.family import Family
from symce.errors import ArgumentTypeError
from symce.families.bernoulli import Bernoulli
from symce.families.density import Density
from symce.families.mvnormal import MultivariateNormal
from symce.families.normal import Normal


def from_sympy_stats(X) -> Family:
    """The symce distribution of the sympy.stats random variable ``X``."""
    # imported here, not with symce: sympy.stats is a fifth of symce's import time, and a user who has a
    # random variable has imported it already
    from sympy.stats import crv_types, drv_types, frv_types, joint_rv_types
    from sympy.stats.rv import RandomSymbol

    if not isinstance(X, RandomSymbol):
        raise ArgumentTypeError(f"from_sympy_stats: expected a sympy.stats random variable such as "
                                f"sympy.stats.Normal('X', 0, 1), not {type(X).__name__}")
    d = X.pspace.distribution
    name = type(d).__name__.removesuffix("Distribution") or "Density"
    if isinstance(d, crv_types.NormalDistribution):
        return Normal(d.mean, d.std)
    if isinstance(d, frv_types.BernoulliDistribution) and d.succ == 1 and d.fail == 0:
        return Bernoulli(d.p)
    if isinstance(d, joint_rv_types.MultivariateNormalDistribution):
        return MultivariateNormal(sp.Matrix(d.mu), sp.Matrix(d.sigma))
    if isinstance(d, crv_types.SingleContinuousDistribution):
        x = sp.Symbol(X.name.lower(), real=True)
        return Density(d.pdf(x), x, d.set, name=name)
    if isinstance(d, (drv_types.SingleDiscreteDistribution, frv_types.SingleFiniteDistribution)):
        k = sp.Symbol(X.name.lower(), integer=True)
        pmf = _finite_pmf(d, k) if isinstance(d, frv_types.SingleFiniteDistribution) else d.pdf(k)
        support = sp.FiniteSet(*d.set) if isinstance(d.set, (set, frozenset)) else d.set
        return Density(pmf, k, support, name=name)
    raise ArgumentTypeError(f"from_sympy_stats: the distribution {type(d).__name__} of {X} has no symce "
                            "counterpart yet (supported: single continuous, discrete and finite "
                            "distributions, and the multivariate normal)")


def _finite_pmf(d, k) -> sp.Expr:
    """The mass function of a finite distribution as one expression in k (a sum of Kronecker deltas
    when SymPy's own ``pmf`` is a Piecewise)."""
    pmf = d.pmf(k) if hasattr(d, "pmf") else None
    if pmf is not None and not pmf.has(sp.Piecewise):
        return pmf
    return sp.Add(*[m * sp.KroneckerDelta(k, pt) for pt, m in d.dict.items()])


def _convert(obj):
    # a RandomSymbol exists only once sympy.stats is imported: without it, obj is not one (and the check
    # imports nothing)
    rv = sys.modules.get("sympy.stats.rv")
    return from_sympy_stats(obj) if rv is not None and isinstance(obj, rv.RandomSymbol) else None


coerce.register(_convert)
