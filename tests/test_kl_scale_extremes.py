"""KL(Gamma ‖ Gamma), KL(InvGamma ‖ InvGamma) and KL(Weibull ‖ Weibull) at the ends of the float range, where
a product or sum of the inputs over- or underflows on the way to a value that does not.

* Gamma: kl_div(α₂, y) with y = α₁β₂/β₁ correctly rounded (codegen/lowering), and the kernel's
  4·kl_div(x/4, (x + d)/4, d/4) where y itself passes 1.8e308 (impl/gamma_kernels.kl_div_logy), or
  x(r − 1 − log r) from r = y/x correctly rounded where d = y − x does too.
* Weibull: z = (k₁ + k₂)/k₁ is +∞ where k₁ + k₂ overflows while z − 2 = (k₂ − k₁)/k₁ from the inputs is finite;
  the kl_div and Stirling-Bregman kernels take z = 2 + (z − 2) then.

References, in mpmath at 400 bits from the exact float inputs: the Gamma KL (rate β) of Penny 2001,
"KL-divergences of Normal, Gamma, Dirichlet and Wishart densities", eq. 2,
(α₁ − α₂)ψ(α₁) − log Γ(α₁) + log Γ(α₂) + α₂(log β₁ − log β₂) + α₁(β₂ − β₁)/β₁ (the inverse-gamma KL is the
same: 1/X is Gamma, and a KL is invariant under the bijection); the Weibull KL of Bauckhage 2013, "Computing
the Kullback-Leibler divergence between two Weibull distributions" (arXiv:1310.3713), eq. 11,
log(k₁/λ₁^k₁) − log(k₂/λ₂^k₂) + (k₁ − k₂)(log λ₁ − γ/k₁) + (λ₁/λ₂)^k₂ Γ(k₂/k₁ + 1) − 1."""

import math
import warnings

import mpmath
import pytest
import sympy as sp

import symce as sc
from symce.numeric.ulp import ulp_distance

A1, A2, B1, B2 = sp.symbols("alpha1 alpha2 beta1 beta2", positive=True)
K1, K2, L1, L2 = sp.symbols("k1 k2 lambda1 lambda2", positive=True)
MAX = 1.7976931348623157e308

GAMMA = [(MAX, MAX, 37.0, 40.0),  # y = α₁β₂/β₁ > 1.8e308, KL 5.6e305 (was 0)
         (MAX, MAX, 1.0, 2.0),
         (MAX, MAX, 1.0, 3.0), (MAX, MAX, 1.0, 2.5), (1e308, 1e308, 1.0, 4.0),  # y − x > 1.8e308 too (was 981 ULP)
         (1e308, MAX, 1.0, 1.9),
         (709.78, 1.0000000000000002, 2.2250738585072014e-308, 5e-324),  # α₁β₂ subnormal (was 8.7e10 ULP)
         (4.5118496745914474e108, 2.0447670179539024e284, 4.459682917666695e36, 1.7822308701736972e210),  # 122
         (8.721662991889408e208, 3.6995734080413137e250, 4.81983803851099e241, 5.611648668938288e259),  # 11
         (2.0, 3.0, 0.5, 0.25)]
WEIBULL = [(MAX, MAX, 37.0, 40.0),  # k₁ + k₂ = ∞ (was ∞, KL 1.4e307)
           (MAX, MAX / 2, 37.0, 40.0), (1e308, MAX, 1.0, 1.0), (MAX, MAX, 1.0, 1.0), (2.0, 3.0, 0.5, 0.25)]


def gamma_kl(a1, a2, b1, b2):  # Penny 2001, eq. 2 (rate β)
    with mpmath.workprec(400):
        a1, a2, b1, b2 = (mpmath.mpf(v) for v in (a1, a2, b1, b2))
        return float((a1 - a2) * mpmath.digamma(a1) - mpmath.loggamma(a1) + mpmath.loggamma(a2)
                     + a2 * (mpmath.log(b1) - mpmath.log(b2)) + a1 * (b2 - b1) / b1)


def weibull_kl(k1, k2, l1, l2):  # Bauckhage 2013, eq. 11
    with mpmath.workprec(400):
        k1, k2, l1, l2 = (mpmath.mpf(v) for v in (k1, k2, l1, l2))
        return float(mpmath.log(k1 / l1 ** k1) - mpmath.log(k2 / l2 ** k2)
                     + (k1 - k2) * (mpmath.log(l1) - mpmath.euler / k1)
                     + (l1 / l2) ** k2 * mpmath.gamma(k2 / k1 + 1) - 1)


@pytest.fixture(scope="module")
def functions():
    out = {}
    for name, fam in (("gamma", sc.Gamma), ("inverse-gamma", sc.InverseGamma)):
        d = sc.kl(fam(A1, B1), fam(A2, B2))
        out[name] = ([A1, A2, B1, B2], d)
    out["weibull"] = ([K1, K2, L1, L2], sc.kl(sc.Weibull(L1, K1), sc.Weibull(L2, K2)))
    return out


def _check(f, points, reference, limit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p in points:
            got, want = float(f(*p)), reference(*p)
            assert math.isfinite(got), (p, got, want)
            assert ulp_distance(got, want) <= limit, (p, got, want, ulp_distance(got, want))


@pytest.mark.parametrize("family", ["gamma", "inverse-gamma"])
@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_gamma_kl_extremes(functions, family, backend):
    args, d = functions[family]
    _check(sc.lambdify(d, args, backend=backend), GAMMA, gamma_kl, 4)


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_weibull_kl_extremes(functions, backend):
    args, d = functions["weibull"]
    _check(sc.lambdify(d, args, backend=backend), WEIBULL, weibull_kl, 4)
