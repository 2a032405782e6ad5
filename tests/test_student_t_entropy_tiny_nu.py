"""The Student-t entropy where ν reaches 0 (issue #11: H = ∞ at ν = 9.3e-309, H = 1.078e308): the stable
form's −(ν/2 + ½)·h′(ν/2), h′ = ψ − log, overflowed because h′(ν/2) ≈ −2/ν does below ν ≈ 1.1e-308; the
rule ``Stirling parts at a sum`` takes it to wdigamma_rem_sum(½, ν/2), whose kernel forms (S + c)/S there.

Reference: the textbook entropy H = ((ν + 1)/2)(ψ((ν + 1)/2) − ψ(ν/2)) + log(√ν B(ν/2, ½)) + log σ (Lazo &
Rathie 1978, IEEE Trans. Inf. Theory 24, Table I), by mpmath at 60 digits (no cancellation to speak of at
these points: the pole term dominates or the value is O(1))."""

import math

import mpmath
import numpy as np
import pytest

import symce as sc
from symce import families
from symce.numeric.functions import wdigamma_rem_sum

# (ν, σ): the point, others in the overflow range (ν < 2.2e-308, subnormal ν included) and ordinary
POINTS = [(9.27828677609517e-309, 3.9924416192176585e-135), (1.5e-308, 1.0), (6e-309, 2.0), (1e-300, 1.0),
          (1e-10, 3.0), (0.5, 1.0), (3.0, 2.0), (1e3, 0.1)]


@pytest.fixture(scope="module")
def entropy():
    ex = [e for e in families.COMMON if e.label == "student-t"][0]
    return sc.lambdify(sc.entropy(ex.build(1)))


def _mp_entropy(v, s):
    with mpmath.workdps(60):
        v, s = mpmath.mpf(v), mpmath.mpf(s)
        h = ((v + 1) / 2 * (mpmath.digamma((v + 1) / 2) - mpmath.digamma(v / 2))
             + mpmath.log(mpmath.sqrt(v) * mpmath.beta(v / 2, mpmath.mpf(1) / 2)) + mpmath.log(s))
        return float(h)


def _ulps(got, want):
    return abs(got - want) / math.ulp(want)


def test_stable_form_takes_the_pole_term(entropy):
    assert entropy.expr.has(wdigamma_rem_sum), str(entropy.expr)


@pytest.mark.parametrize("v,s", POINTS)
def test_against_textbook_entropy(entropy, v, s):
    got, want = float(entropy(v, 0.0, s)), _mp_entropy(v, s)
    assert math.isfinite(want)
    assert _ulps(got, want) <= 16, (got, want)


def test_batch_equals_alone(entropy):
    v = np.array([p[0] for p in POINTS])
    s = np.array([p[1] for p in POINTS])
    batch = entropy(v, 0.0, s)
    assert [float(x) for x in batch] == [float(entropy(a, 0.0, b)) for a, b in POINTS]


def test_beyond_dbl_max_and_at_zero_half(entropy):
    # ν = 5e-324: ν/2 rounds to 0 and H ≈ 1/ν = 2e323 > DBL_MAX: +∞, not NaN; ν = 4e-309: H ≈ 2.5e308, +∞
    assert entropy(5e-324, 0.0, 1.0) == math.inf
    assert entropy(4e-309, 0.0, 1.0) == math.inf
