"""∂KL/∂κ₁ of the von Mises KL, A′(κ₁)(κ₁ − κ₂ cos(μ₁ − μ₂)) (vonmises_kl_dk1), against the textbook KL
differentiated in mpmath: A = I₁/I₀ at a precision that covers the 2 log₂ κ bits 1 − A/κ − A² cancels
(A′ = 1 − A/κ − A² is the variance of cos X under VM(0, κ); Mardia & Jupp 2000, *Directional Statistics*,
§3.5.4), cross-checked by mpmath.diff of the KL where κ is moderate. The torch gradient of the lambdified KL
(fdiff of vonmises_kl) was 0.755 for −3.8·10⁻³⁰¹ at κ₁ = 10³⁰⁰ and 59434 ULP off at κ = 500."""

import importlib.util

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.impl.vonmises_grad import numpy_namespace, vonmises_kl_dk1
from symce.numeric.verify import ulp_distance

k1, k2 = sp.symbols("kappa1 kappa2", positive=True)
m1, m2 = sp.symbols("mu1 mu2", real=True)

POINTS = [(1e300, 2e300, 0.0, 0.5), (1e300, 1e300, 0.0, 1.0), (1e200, 3e200, 0.1, 0.2), (1e160, 1e150, 0.0, 0.0),
          (1e300, 1e308, 0.0, 0.0), (5.0, 3.0, 0.1, 0.3), (0.5, 2.0, 1.0, -1.0), (40.0, 40.0, 0.0, 1e-8),
          (2.0, 3.0, 0.1, 0.2), (500.0, 500.0001, 0.3, 0.3), (1e-8, 3.0, 0.0, 1.0)]


def _textbook(a, b, u, v):
    """A′(a)(a − b cos(u − v)) with A′ = 1 − A/a − A², A = I₁(a)/I₀(a), at 3·log₂ a + 200 bits."""
    a, b, u, v = (mpmath.mpf(float(x)) for x in (a, b, u, v))
    with mpmath.workprec(200 + 3 * max(0, int(mpmath.mag(a))) + max(0, int(mpmath.mag(b)))):
        r = mpmath.besseli(1, a) / mpmath.besseli(0, a)
        return +((1 - r / a - r * r) * (a - b * mpmath.cos(u - v)))


def test_textbook_derivative_is_the_derivative_of_the_kl():
    for p in [(2.0, 3.0, 0.1, 0.2), (0.5, 2.0, 1.0, -1.0), (40.0, 41.0, 0.0, 0.3)]:
        with mpmath.workdps(40):
            def kl(a):
                r = mpmath.besseli(1, a) / mpmath.besseli(0, a)
                return r * (a - p[1] * mpmath.cos(p[2] - p[3])) - mpmath.log(mpmath.besseli(0, a))
            want = mpmath.diff(kl, mpmath.mpf(p[0]))
            assert abs(want - _textbook(*p)) < mpmath.mpf(10) ** -30 * max(1, abs(want))


@pytest.mark.parametrize("p", POINTS)
def test_kernel_within_4_ulp(p):
    got = vonmises_kl_dk1(numpy_namespace(), *p)
    assert ulp_distance(np.float64(got), float(_textbook(*p))) <= 4, (p, float(got))


def test_kl_fdiff_is_the_one_function_and_proves_equal_to_the_textbook_derivative():
    from symce.numeric.functions.vonmises import vonmises_kl
    from symce.numeric.functions.vonmises_grad import vonmises_kl_dk1 as node

    d = vonmises_kl(k1, k2, m1, m2).diff(k1)
    assert isinstance(d, node)
    a = sp.besseli(1, k1) / sp.besseli(0, k1)
    assert sp.simplify(d.elementary() - (1 - a / k1 - a ** 2) * (k1 - k2 * sp.cos(m1 - m2))) == 0


@pytest.mark.skipif(not importlib.util.find_spec("torch"), reason="torch not installed")
def test_torch_gradient_wrt_kappa1_at_huge_kappa():
    import torch

    f = sc.lambdify(sc.kl(sc.VonMises(m1, k1), sc.VonMises(m2, k2)), [k1, k2, m1, m2], backend="torch")
    for p in POINTS:
        xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in p]
        g = torch.autograd.grad(f(*xs), xs)[0]
        assert ulp_distance(np.float64(float(g)), float(_textbook(*p))) <= 4, (p, float(g))
