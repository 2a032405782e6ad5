"""Every partial derivative of the von Mises H, CE and KL (Derivation.gradient, lambdified) against the
textbook formulas differentiated in mpmath at 50 digits: KL = log(I₀(κ₂)/I₀(κ₁)) + A(κ₁)(κ₁ − κ₂ cos(μ₁ − μ₂)),
CE = log 2π + log I₀(κ₂) − κ₂A(κ₁)cos(μ₁ − μ₂), H = log 2π + log I₀(κ) − κA(κ), A = I₁/I₀ (Mardia & Jupp
2000, *Directional Statistics*, §3.5; Kitagawa & Rowley 2022 for the KL). SymPy's derivative holds I₀(κ), I₁(κ),
I₂(κ): I₀ overflows beyond κ ≈ 713, so every partial was ∞/∞ = NaN at κ₁ = 960 (issue #12)."""

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc

k1, k2 = sp.symbols("kappa1 kappa2", positive=True)
m1, m2 = sp.symbols("mu1 mu2", real=True)
ARGS = [m1, k1, m2, k2]
# (μ₁, κ₁, μ₂, κ₂): the point, κ up to 1e5, small κ, moderate κ
POINTS = [(0.3, 960.0, 1.1, 5.1), (1.3, 1e5, -0.4, 3e4), (0.2, 1e-3, 2.0, 1e-3), (-1.0, 4.0, 0.5, 9.5),
          (0.7, 2500.0, 0.65, 2400.0)]


def _mp_kl(u, a, v, b):
    r = mpmath.besseli(1, a) / mpmath.besseli(0, a)
    return mpmath.log(mpmath.besseli(0, b) / mpmath.besseli(0, a)) + r * (a - b * mpmath.cos(u - v))


def _mp_ce(u, a, v, b):
    r = mpmath.besseli(1, a) / mpmath.besseli(0, a)
    return mpmath.log(2 * mpmath.pi) + mpmath.log(mpmath.besseli(0, b)) - b * r * mpmath.cos(u - v)


def _mp_h(u, a):
    r = mpmath.besseli(1, a) / mpmath.besseli(0, a)
    return mpmath.log(2 * mpmath.pi) + mpmath.log(mpmath.besseli(0, a)) - a * r


def _partials(f, point):
    """∂f/∂x_i at the point by mpmath.diff at 50 digits (x_i's step scaled by mpmath to the working precision)."""
    with mpmath.workdps(50):
        x = [mpmath.mpf(p) for p in point]
        out = []
        for i in range(len(x)):
            def g(t, i=i):
                y = list(x)
                y[i] = t
                return f(*y)
            out.append(float(mpmath.diff(g, x[i])))
        return out


@pytest.fixture(scope="module")
def gradients():
    p, q = sc.VonMises(m1, k1), sc.VonMises(m2, k2)
    return {"kl": (sc.kl(p, q).gradient(ARGS), _mp_kl, ARGS),
            "ce": (sc.cross_entropy(p, q).gradient(ARGS), _mp_ce, ARGS),
            "h": (sc.entropy(p).gradient([k1]), _mp_h, [m1, k1])}


@pytest.mark.parametrize("name", ["kl", "ce", "h"])
@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_every_partial_is_finite_and_accurate(gradients, name, backend):
    g, ref, args = gradients[name]
    f = sc.lambdify(g.result, args, backend=backend)
    for point in POINTS:
        pt = point[:len(args)]
        want = _partials(ref, pt)
        if name == "h":
            want = want[1:]  # H does not depend on μ
        got = np.asarray(f(*pt), dtype=float).ravel()
        assert np.all(np.isfinite(got)), (name, backend, point, got)
        # a few hundred ULP at most of the partial, or a few ULP of the terms where the partial is a
        # difference: ∂/∂κ₂ = A(κ₂) − A(κ₁)cos(μ₁ − μ₂) has terms ≤ 1 that cancel near P = Q
        np.testing.assert_allclose(got, want, rtol=2e-13, atol=1e-15, err_msg=f"{name} {backend} {point}")


def test_kl_dkappa1_where_kappa2_is_the_largest_double(gradients):
    """∂KL/∂κ₁ = A′(κ₁)(κ₁ − κ₂ cos Δ) at κ₁ = 5e-324, κ₂ = DBL_MAX is −8.8e307: 2κ₂ sin²(Δ/2) overflowed (∞)."""
    u, a, v, b = -1e-300, 5e-324, -709.78, 1.7976931348623157e308
    with mpmath.workdps(50):
        x = [mpmath.mpf(t) for t in (u, a, v, b)]
        r = mpmath.besseli(1, x[1]) / mpmath.besseli(0, x[1])
        want = float((1 - r / x[1] - r * r) * (x[1] - x[3] * mpmath.cos(x[0] - x[2])))
    f = sc.lambdify(gradients["kl"][0].result[1], ARGS, backend="numpy")
    np.testing.assert_allclose(float(f(u, a, v, b)), want, rtol=1e-14)
