"""Terms that overflowed in opposite directions (∞ − ∞ = NaN where the value is finite or +∞), issue 11's
"Numbers" goal (0 spurious NaN/inf): each formula against its definition in mpmath from the exact float inputs,
at the accuracy section's worst inputs and a small seeded sample.

* Multinomial(n, p) against Multinomial(n, logits z): n·logsumexp(z) − n·Σ pᵢzᵢ was ∞ − ∞ at z₃ = 1.25e308;
  the stable form is softmax_xent(n·p, z) = Σ n·pᵢ(logsumexp z − zᵢ), every term ≥ 0. The reference is the
  definition E_P[−log Q(x)] summed over every count vector x (mpmath, whose exponents do not overflow).
"""

import functools
import itertools
import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.ulp import ulp_distance

_MAX = 1.7976931348623157e308


# -- Multinomial(3, p) ‖ Multinomial(3, logits z) ----------------------------------------------------------
_P = sp.symbols("p1:4", positive=True)
_Z = sp.symbols("z1:4", real=True)


@functools.lru_cache(maxsize=None)
def _multinomial_ce():
    d = sc.cross_entropy(sc.Multinomial(3, list(_P)), sc.Multinomial.from_logits(3, list(_Z)))
    return sc.lambdify(d, [*_P, *_Z])


def _multinomial_ce_definition(p, z, n=3):
    """Σ_x P(x)·(−log Q(x)) over the count vectors x of n draws in 3 classes, Q's log-probabilities from the
    logits at a precision that holds 1.8e308 + 1e-8."""
    with mpmath.workdps(700):
        p, z = [mpmath.mpf(v) for v in p], [mpmath.mpf(v) for v in z]
        top = max(z)
        lse = top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in z))
        total = mpmath.mpf(0)
        for x in itertools.product(range(n + 1), repeat=3):
            if sum(x) != n:
                continue
            coef = mpmath.factorial(n) / mpmath.fprod(mpmath.factorial(k) for k in x)
            prob = coef * mpmath.fprod(pi ** k for pi, k in zip(p, x))
            if prob:
                total += prob * -(mpmath.log(coef) + mpmath.fsum(k * (zi - lse) for k, zi in zip(x, z)))
        return float(total)


# (p, z): the accuracy section's worst inputs (NaN, and inf just below DBL_MAX), ordinary ones
MULTINOMIAL_POINTS = [((0.0, 0.0, 1.0), (5.972355869905994e162, -1.9299086502132048e261, 1.250219453396617e308)),
                      ((0.0, 1.0, 0.0), (1e-08, 1.7976931348623155e308, -1e-17)),
                      ((0.0, 1.0, 0.0), (0.5, 1.7976931348623155e308, 1e17)),
                      ((0.9999999800000001, 9.99999993922529e-09, 9.99999993922529e-09), (_MAX, -38.0, -37.0)),
                      ((0.33333333333333337, 0.3333333333333333, 0.3333333333333333),
                       (-1.7976931348623155e308, 37.0, 1.0000000000000002)),
                      ((0.25, 0.25, 0.5), (1.5, -2.0, 0.25)), ((0.1, 0.7, 0.2), (-30.0, 4.0, 2.5))]


def _simplex_sample(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        p = rng.dirichlet([1.0, 1.0, 1.0])
        p[2] = 1.0 - p[0] - p[1]  # on the simplex in floats as well
        out.append((tuple(float(v) for v in p), tuple(float(v) for v in rng.normal(0, 20, 3))))
    return out


@pytest.mark.parametrize("p, z", MULTINOMIAL_POINTS + _simplex_sample(4, seed=11))
def test_multinomial_probabilities_against_logits(p, z):
    got, exact = float(_multinomial_ce()(*p, *z)), _multinomial_ce_definition(p, z)
    assert math.isfinite(got) and ulp_distance(got, exact) <= 4, (p, z, got, exact)
