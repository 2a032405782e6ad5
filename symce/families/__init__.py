"""The catalog: every family symce knows, one file each.

Adding a family is one file with a final ``Family`` subclass and an ``EXAMPLES`` list; importing it here
makes the tests, the report and the docs pick it up.
"""

from __future__ import annotations

import importlib
import pkgutil
from itertools import product

from symce.core.family import Example
from symce.families import bernoulli, categorical, mvnormal, normal
from symce.families.bernoulli import Bernoulli
from symce.families.categorical import Categorical
from symce.families.density import Density
from symce.families.mvnormal import MultivariateNormal
from symce.families.natural import ExponentialFamily
from symce.families.normal import Normal
from symce.families.sympy_stats import from_sympy_stats  # also registers the conversion
# the common families (issue 11), one file each; COMMON below finds their examples by file
from symce.families.beta import Beta
from symce.families.binomial import Binomial
from symce.families.cauchy import Cauchy
from symce.families.chi2 import Chi2
from symce.families.continuous_bernoulli import ContinuousBernoulli
from symce.families.dirichlet import Dirichlet
from symce.families.exponential import Exponential
from symce.families.gamma import Gamma
from symce.families.geometric import Geometric
from symce.families.gumbel import Gumbel
from symce.families.half_cauchy import HalfCauchy
from symce.families.half_normal import HalfNormal
from symce.families.inverse_gamma import InverseGamma
from symce.families.kumaraswamy import Kumaraswamy
from symce.families.laplace import Laplace
from symce.families.log_normal import LogNormal
from symce.families.logistic import Logistic
from symce.families.low_rank_mvn import LowRankMultivariateNormal
from symce.families.multinomial import Multinomial
from symce.families.negative_binomial import NegativeBinomial
from symce.families.one_hot_categorical import OneHotCategorical
from symce.families.pareto import Pareto
from symce.families.poisson import Poisson
from symce.families.rayleigh import Rayleigh
from symce.families.student_t import StudentT
from symce.families.uniform import Uniform
from symce.families.von_mises import VonMises
from symce.families.weibull import Weibull

_MODULES = [bernoulli, normal, mvnormal, categorical]

#: every example distribution of the catalog, in a fixed order
EXAMPLES: list[Example] = [e for m in _MODULES for e in m.EXAMPLES]

#: the shared machinery of this package, not families
_NOT_FAMILIES = {"density", "density_checks", "natural", "spaces", "sympy_stats", "user_family", "univariate", "logits"}


def _common_modules() -> list:
    """The family files beyond the seed catalog (gamma.py, poisson.py, …), found by name so that adding a
    family is adding its file. Sorted by module name: the order of tests and tables is fixed."""
    seed = {m.__name__.rsplit(".", 1)[1] for m in _MODULES}
    names = sorted(info.name for info in pkgutil.iter_modules(__path__)
                   if info.name not in seed and info.name not in _NOT_FAMILIES)
    return [importlib.import_module(f"{__name__}.{n}") for n in names]


#: the common families (issue 11): every example of the family files beyond the seed catalog. They are
#: tested against their definitions by tests/test_families.py and drawn in the coverage matrix; the seed
#: catalog's numeric accuracy goals (3–4 ULP) apply to EXAMPLES only.
COMMON: list[Example] = [e for m in _common_modules() for e in getattr(m, "EXAMPLES", [])]


def pairs() -> list[tuple[Example, Example]]:
    """All ordered pairs of examples on the same sample space (every parameterisation against every
    other), the pairs for which cross-entropy and KL are derived."""
    out = []
    for a, b in product(EXAMPLES, repeat=2):
        if a.build(1).sample_space == b.build(2).sample_space:
            out.append((a, b))
    return out


def same_family_pairs(examples=None) -> list[tuple[Example, Example]]:
    """Ordered pairs of examples of the same family class on the same sample space (every parameterisation
    against every other; a Dirichlet with k = 2 is not compared with one with k = 3)."""
    examples = COMMON if examples is None else examples
    # each example built once (as P and as Q), not once per pair: 2n constructions instead of 2n²
    built = [(e, e.build(1), e.build(2)) for e in examples]
    return [(a, b) for (a, P, _), (b, _, Q) in product(built, repeat=2)
            if type(P) is type(Q) and P.sample_space == Q.sample_space]


__all__ = ["EXAMPLES", "COMMON", "pairs", "same_family_pairs",
           # the common families
           "Beta", "Binomial", "Cauchy", "Chi2", "ContinuousBernoulli", "Dirichlet", "Exponential", "Gamma", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal", "InverseGamma", "Kumaraswamy", "Laplace", "LogNormal", "Logistic", "LowRankMultivariateNormal", "Multinomial", "NegativeBinomial", "OneHotCategorical", "Pareto", "Poisson", "Rayleigh", "StudentT", "Uniform", "VonMises", "Weibull",
           "Bernoulli", "Normal", "MultivariateNormal", "Categorical", "Density",
           "ExponentialFamily", "from_sympy_stats"]
