"""Dirichlet CE and KL where the sum of the first parameters overflows twice over (issue 11): at
α₁ = (1.8e308, 1e300, 1.8e308) A₁ = Σ α₁ ≈ 3.6e308 and A₁/2 both overflowed, so ψ(A₁) (impl/dirichlet_xent.py)
and log Γ(A₁), the shares' A₂/A₁ (impl/kl_share.py, impl/gamma_kernels.py's h(A₁)) were ∞ − ∞: NaN for the
CE and the KL ≈ 1.97e301. Against the defining formulas (Penny 2001) in mpmath, A = Σ α:

    H(P, Q) = Σ log Γ(α₂ⱼ) − log Γ(A₂) − Σ (α₂ⱼ − 1)(ψ(α₁ⱼ) − ψ(A₁)),
    KL(P‖Q) = log Γ(A₁) − Σ log Γ(α₁ⱼ) − log Γ(A₂) + Σ log Γ(α₂ⱼ) + Σ (α₁ⱼ − α₂ⱼ)(ψ(α₁ⱼ) − ψ(A₁)),

at the precision of the inputs' exponent span + 160 bits (the sums exact, the cancellation of the log Γ's and
ψ's of size ~1e311 against a value ~1e300 covered)."""

import mpmath
import pytest
import sympy as sp

import symce as sc
from symce.numeric.verify import ulp_distance

M = 1.7976931348623155e308
POINTS = [
    ((M, 1e300, M), (1e17, 1e300, 1e-300)),  # the benchmark's point (accuracy.py --seed 7)
    ((M, 1e300, M), (1e17, 1e300, 0.5)),
    ((M, 1e308, 1.5e308), (3.0, 1e300, 1e-300)),  # A₁ ≈ 4.3e308: the x ≥ 1 branch for every coordinate
]


def _exact(kind, a1, a2):
    vals = [*a1, *a2]
    span = max(int(mpmath.mag(v)) for v in vals) - min(int(mpmath.mag(v)) for v in vals)
    with mpmath.workprec(span + 160):
        a1, a2 = [mpmath.mpf(v) for v in a1], [mpmath.mpf(v) for v in a2]
        s1, s2 = mpmath.fsum(a1), mpmath.fsum(a2)
        psi = [mpmath.digamma(v) - mpmath.digamma(s1) for v in a1]
        log_b2 = mpmath.fsum(mpmath.loggamma(v) for v in a2) - mpmath.loggamma(s2)
        if kind == "CE":
            return float(log_b2 - mpmath.fsum((b - 1) * p for b, p in zip(a2, psi)))
        log_b1 = mpmath.fsum(mpmath.loggamma(v) for v in a1) - mpmath.loggamma(s1)
        return float(log_b2 - log_b1 + mpmath.fsum((a - b) * p for a, b, p in zip(a1, a2, psi)))


@pytest.fixture(scope="module")
def stable():
    a1 = sp.symbols("a1_1:4", positive=True)
    a2 = sp.symbols("a2_1:4", positive=True)
    p, q = sc.Dirichlet(list(a1)), sc.Dirichlet(list(a2))
    return {kind: sc.lambdify(fn(p, q).result, [*a1, *a2], stable=True)
            for kind, fn in (("CE", sc.cross_entropy), ("KL", sc.kl))}


@pytest.mark.parametrize("kind", ["CE", "KL"])
@pytest.mark.parametrize("a1, a2", POINTS)
def test_dirichlet_sum_beyond_twice_dbl_max(stable, kind, a1, a2):
    exact = _exact(kind, a1, a2)
    assert 1e299 < exact < 1e303  # finite and far from 0: the NaN was not a limit
    got = float(stable[kind](*a1, *a2))
    assert ulp_distance(got, exact) <= 16, (kind, a1, a2, got, exact)
