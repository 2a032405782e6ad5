"""Shared test plumbing: the catalog as pytest parameters, sample points, oracle skips.

The catalog (``symce.families.EXAMPLES`` and ``pairs()``) is read at collection time, so a family added
to the catalog is tested here without touching the tests.
"""

from __future__ import annotations

import os
import random
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # `import oracles` from any test file

import oracles  # noqa: E402
from symce.families import EXAMPLES, pairs  # noqa: E402

#: seeds of the random parameter points (fixed: the suite is deterministic)
SEEDS = (11, 23, 37)

CATALOG = list(EXAMPLES)
PAIRS = list(pairs())


@pytest.fixture(autouse=True)
def _mpmath_precision(request):
    """mpmath's working precision is global: a module asks for its own with ``MP_DPS = n`` and gets it
    for its tests only (a module-level ``mp.dps = 400`` set at collection leaked into every later test:
    quadratures elsewhere then ran at 400 digits for minutes)."""
    import mpmath

    saved = mpmath.mp.prec
    mpmath.mp.dps = getattr(request.module, "MP_DPS", 15)
    yield
    mpmath.mp.prec = saved


def example_params():
    return [pytest.param(e, id=e.label) for e in CATALOG]


def pair_params(select=lambda a, b: True):
    return [pytest.param(a, b, id=f"{a.label}|{b.label}") for a, b in PAIRS if select(a, b)]


def sample_point(seed: int, *examples_and_dists) -> dict:
    """One valid random point for all given (example, distribution) pairs, from the catalog's samplers.
    Samples of P and Q are merged (they share only size symbols such as k, which agree)."""
    rng = random.Random(seed)
    values: dict = {}
    for ex, dist in examples_and_dists:
        values.update(ex.sample(dist, rng))
    return values


def oracle(fn, *args, **kwargs):
    """Call an oracle; skip the test, with the oracle's reason, when there is no trustworthy one."""
    try:
        return fn(*args, **kwargs)
    except oracles.OracleUnavailable as exc:
        pytest.skip(f"no cheap independent oracle: {exc}")
