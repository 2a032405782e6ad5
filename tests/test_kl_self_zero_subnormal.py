"""KL(P‖P) = 0 exactly at the bottom of the float range (the definition: log(p/p) = 0 everywhere).

At k₁ = k₂ = 2⁻¹⁰²² the χ² KL's y = k/2 is subnormal, and the kernel's log-y fallback returned the rounding
of log x − log y: −3.5e-322, a negative divergence (found by ``accuracy.py --common-only --seed 4``). Nearby
unequal points are held to the definition's value in mpmath (Penny 2001's Gamma KL with shape k/2, rate ½).
"""

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symce as sc

TINY = [2.0 ** -1022, 2.0 ** -1023, 2.0 ** -1030, 5e-324, 1.5 * 2.0 ** -1022, 2.0 ** -1021]


@pytest.fixture(scope="module")
def chi2_kl():
    k1, k2 = sp.symbols("k1 k2", positive=True)
    return sc.lambdify(sc.kl(sc.Chi2(k1), sc.Chi2(k2)).result, [k1, k2], stable=True)


def test_chi2_kl_of_p_against_itself_is_zero(chi2_kl):
    x = np.array(TINY)
    assert np.all(chi2_kl(x, x) == 0.0)
    for t in TINY:
        assert chi2_kl(t, t) == 0.0


def _truth(k1, k2):
    """KL(Gamma(a₁, ½) ‖ Gamma(a₂, ½)), a = k/2 (Penny 2001, eq. for the Gamma KL with equal rates)."""
    with mp.workprec(1400):
        a1, a2 = mp.mpf(k1) / 2, mp.mpf(k2) / 2
        return (a1 - a2) * mp.digamma(a1) - mp.loggamma(a1) + mp.loggamma(a2)


@pytest.mark.parametrize("k1, k2", [(2.0 ** -1022, 2.0 ** -1021), (2.0 ** -1021, 2.0 ** -1022),
                                    (2.0 ** -1022, 0.3), (1e-300, 2.0 ** -1022)])
def test_chi2_kl_near_the_bottom_matches_the_definition(chi2_kl, k1, k2):
    got, want = float(chi2_kl(np.array([k1]), np.array([k2]))[0]), _truth(k1, k2)
    assert got >= 0.0
    assert abs(mp.mpf(got) - want) <= 4 * mp.mpf(np.spacing(abs(float(want))))
