"""The catalog: every family symce knows, one file each.

Adding a family is one file with a final ``Family`` subclass and an ``EXAMPLES`` list; importing it here
makes the tests, the report and the docs pick it up.
"""

from __future__ import annotations

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

_MODULES = [bernoulli, normal, mvnormal, categorical]

#: every example distribution of the catalog, in a fixed order
EXAMPLES: list[Example] = [e for m in _MODULES for e in m.EXAMPLES]


def pairs() -> list[tuple[Example, Example]]:
    """All ordered pairs of examples on the same sample space (every parameterisation against every
    other), the pairs for which cross-entropy and KL are derived."""
    out = []
    for a, b in product(EXAMPLES, repeat=2):
        if a.build(1).sample_space == b.build(2).sample_space:
            out.append((a, b))
    return out


__all__ = ["EXAMPLES", "pairs", "Bernoulli", "Normal", "MultivariateNormal", "Categorical", "Density",
           "ExponentialFamily", "from_sympy_stats"]
