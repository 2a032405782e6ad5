"""The common families' formulas the accuracy benchmark measures (issue 11) and the goal each is held to.

Shared by the values' section (:mod:`symce.app.accuracy`) and the derivatives' section
(:mod:`symce.app.accuracy_derivatives`), which the values' section imports: kept here so neither imports
the other back.
"""

from __future__ import annotations

import re

import sympy as sp

# the module, not its lists: the catalog is read when a section runs (a test may narrow it)
from symce import families
from symce.engine.information import cross_entropy, entropy, kl
from symce.numeric import special


def common_catalog():
    """The common families' formulas (families/*.py beyond the seed): entropy, and CE and KL within each
    family. Apart from the seed catalog, whose formulas the torch and jax tests run through one by one."""
    common = getattr(families, "COMMON", [])
    for e in common:
        yield f"H({e.label})", lambda e=e: entropy(e.build(1))
    for a, b in (families.same_family_pairs() if common else []):
        if a.build(1).sample_space != b.build(2).sample_space:  # Dirichlet K = 2 against K = 3
            continue
        yield f"CE({a.label} ‖ {b.label})", lambda a=a, b=b: cross_entropy(a.build(1), b.build(2))
        yield f"KL({a.label} ‖ {b.label})", lambda a=a, b=b: kl(a.build(1), b.build(2))


def is_common(name: str) -> bool:
    """A formula of the common families (not of the seed catalog)."""
    seed = {e.label for e in families.EXAMPLES}
    labels = re.findall(r"[(‖ ]([\w-]+)", name)
    return bool(labels) and not all(lab in seed for lab in labels)


def goal_class(name: str, expr) -> str:
    """The goal a formula is held to: k-class (categorical), special (a special function in it), scalar
    (the seed catalog's Bernoulli and normal forms), elementary (the common families' other formulas)."""
    if "categorical" in name:
        return "k-class"
    if any(special.kernel_call(f) for f in expr.atoms(sp.Function)) or expr.has(sp.EulerGamma):
        return "special"
    return "elementary" if is_common(name) else "scalar"


__all__ = ["common_catalog", "is_common", "goal_class"]
