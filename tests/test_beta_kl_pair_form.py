"""The Beta KL where one pair of parameters carries most of the mass but not ≤ 2⁻¹⁰ of it (issue 11:
101 and 48 ULP). There the Bregman sum's terms B(α₂, α₁) ≈ B(Σα₂ᵢ, Σα₁ᵢ) ≈ 24 cancel to 0.15, each
accurate to ~1 ULP of 24: impl/bregman_pair's dominant-pair form is now taken beyond 2⁻¹⁰ where its
pieces' magnitudes are the smaller error bound. Reference: Penny 2001 ("KL-divergences of Normal, Gamma,
Dirichlet and Wishart densities", the Dirichlet KL with K = 2) in mpmath at 60 digits from the float inputs:

    log B(α₂, β₂) − log B(α₁, β₁) + (α₁ − α₂)ψ(α₁) + (β₁ − β₂)ψ(β₁) + (α₂ − α₁ + β₂ − β₁)ψ(α₁ + β₁)
"""

import functools
import importlib.util

import mpmath
import pytest
import sympy as sp

import symce as sc
from symce.numeric.ulp import ulp_distance

BACKENDS = ["numpy", "math"] + [b for b in ("torch",) if importlib.util.find_spec(b)]
a1, a2, b1, b2 = sp.symbols("alpha1 alpha2 beta1 beta2", positive=True)

# (α₁, α₂, β₁, β₂): before the fix → ULP
POINTS = [
    (2.7745898301037477, 139.84846041536048, 0.002918579801472598, 0.004632987768394204),  # 101: δx = 2⁻⁹.⁹ x
    (0.0017410967430747505, 0.0014921459442064561, 799.1151881581742, 0.3950692083300245),  # 48: δy = 2⁻⁸ y
    (0.0019358051202371784, 0.0021941451721936593, 624.5821614054386, 1.8411303174248759),  # 243 (benchmark)
    (0.06238423746384209, 110.09627195814811, 0.0003335736391073984, 0.002136197117662221),  # 78
]


@functools.lru_cache(maxsize=None)
def penny_kl(p1, p2, q1, q2):
    with mpmath.workdps(60):
        p1, p2, q1, q2 = (mpmath.mpf(v) for v in (p1, p2, q1, q2))
        lb = lambda a, b: mpmath.loggamma(a) + mpmath.loggamma(b) - mpmath.loggamma(a + b)  # noqa: E731
        out = (lb(p2, q2) - lb(p1, q1) + (p1 - p2) * mpmath.digamma(p1) + (q1 - q2) * mpmath.digamma(q1)
               + (p2 - p1 + q2 - q1) * mpmath.digamma(p1 + q1))
        return float(out)


@pytest.fixture(scope="module")
def derivation():
    return sc.kl(sc.Beta(a1, b1), sc.Beta(a2, b2))


@pytest.mark.parametrize("backend", BACKENDS)
def test_beta_kl_where_one_pair_mostly_dominates(derivation, backend):
    f = sc.lambdify(derivation, [a1, a2, b1, b2], backend=backend)
    for p in POINTS:
        got, exact = float(f(*p)), penny_kl(*p)
        # 0–1 ULP after the fix (the goal is 16): 4 leaves room for a backend's log Γ
        assert ulp_distance(got, exact) <= 4, (backend, p, got, exact)
