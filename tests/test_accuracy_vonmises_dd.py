"""The von Mises cross-entropy where it crosses 0, and the gradients of the CE and KL at the extremes (issues 11
and 12), against mpmath from the exact float inputs.

CE(VM(μ₁, κ₁) ‖ VM(μ₂, κ₂)) = log 2π + log I₀(κ₂) − κ₂A(κ₁)cos(μ₁ − μ₂), A = I₁/I₀ (Kitagawa & Rowley 2022,
"von Mises–Fisher distributions and their statistical divergence", p = 2: E_P[cos(X − μ₂)] = A(κ₁)cos Δ;
Mardia & Jupp 2000, "Directional Statistics", §3.5.4 for A). The kernel computes it as
(log 2π + log i0e(κ₂)) + κ₂(1 − A(κ₁) + A(κ₁)·2 sin²(Δ/2)), whose parts cancel where the CE crosses 0: in
double precision log 2π + log i0e(κ₂) alone carried ~4e-16 (236 ULP of 0.0127), so that part is now a
double-double (vonmises_log_i0.log_2pi_i0e), checked here against mpmath's besseli over the whole range.
The partial derivatives (I₀′ = I₁, I₁′ = I₀ − I₁/κ: Abramowitz & Stegun 9.6.26): ∂CE/∂κ₁ = −κ₂A′(κ₁)cos Δ,
∂/∂μ₁ = κ₂A(κ₁)sin Δ (KL and CE alike), ∂KL/∂κ₁ = A′(κ₁)(κ₁ − κ₂ cos Δ), A′ = 1 − A/κ − A².
"""

import functools
import importlib.util

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.impl.arrays.namespace import _Array
from symce.numeric.impl.arrays.vonmises_log_i0 import log_2pi_i0e
from symce.numeric.ulp import ulp_distance

TORCH = importlib.util.find_spec("torch") is not None
BACKENDS = ["numpy", "math", "mpmath"] + (["torch"] if TORCH else [])
DBL_MAX = float(np.finfo(np.float64).max)

m1, m2 = sp.Symbol("mu1", real=True), sp.Symbol("mu2", real=True)
k1, k2 = sp.Symbol("kappa1", positive=True), sp.Symbol("kappa2", positive=True)


def _mp(*xs):
    return [mpmath.mpf(float(x)) for x in xs]


def textbook_xent(a, b, u, v):
    """The textbook CE at 400 bits (|terms| ≤ 710 + κ₂: enough for κ₂ ≤ 1e30 here; the angles' reduction exact)."""
    with mpmath.workprec(400 + 2 * max(0, int(mpmath.mag(max(abs(float(u)), abs(float(v)), 1))))):
        a, b, u, v = _mp(a, b, u, v)
        r = mpmath.besseli(1, a) / mpmath.besseli(0, a)
        return float(mpmath.log(2 * mpmath.pi) + mpmath.log(mpmath.besseli(0, b)) - b * r * mpmath.cos(u - v))


#: the report's worst points (236 and 27 ULP before the double-double), and two more on the CE's zero surface
XENT_POINTS = [
    (821.9864647889086, 7.449110819449726, 44.67707498264403, 25.685297460545158),
    (358.41203720956884, 636.6754433201959, -37.6374423099073, -1.0090821697840092e-54),
    (50.0, 12.0, 0.0, 0.185),   # CE ≈ 0.0107 from terms ≈ 0.32
    (1e4, 200.0, 0.0, 0.135),   # CE ≈ 0.100 from terms ≈ 1.9
    (20.751010112880277, 27.454233470388044, 0.0, 1e-44),  # κ₂(1 − A(κ₁)) ≈ 0.67 for −0.063: 7 ULP
]


def test_log_2pi_i0e_against_mpmath_besseli_over_the_range():
    # κ in (1, 40] (the double-double power series) and beyond (the asymptotic series), the switch at 40, up to
    # DBL_MAX; absolute error ≤ 1e-19·max(1, |value|) (scipy's log(2π·i0e) is ~4e-16 off)
    rng = np.random.default_rng(5)
    ks = np.concatenate([rng.uniform(1.0, 45.0, 8), np.exp(rng.uniform(np.log(45.0), np.log(1e308), 5)),
                         [1.0 + 2.0 ** -40, 6.4, 39.999999999, 40.0, 40.000000001, DBL_MAX]])
    for kind in ["numpy"] + (["torch"] if TORCH else []):
        xp = _Array(kind)
        x = ks
        if kind == "torch":
            import torch

            x = torch.tensor(ks, dtype=torch.float64)
        hi, lo = (np.asarray(v) for v in log_2pi_i0e(xp, x))
        with mpmath.workprec(200):
            for k, h, lw in zip(ks, hi, lo):
                kk = mpmath.mpf(float(k))
                with mpmath.workprec(200 + max(0, int(mpmath.mag(kk)))):
                    want = mpmath.log(2 * mpmath.pi) + mpmath.log(mpmath.besseli(0, kk)) - kk
                err = abs(mpmath.mpf(float(h)) + mpmath.mpf(float(lw)) - want)
                assert err <= 1e-19 * max(1, abs(want)), (kind, k, float(err))


@pytest.mark.parametrize("backend", BACKENDS)
def test_cross_entropy_where_it_crosses_zero(backend):
    f = sc.lambdify(sc.cross_entropy(sc.VonMises(m1, k1), sc.VonMises(m2, k2)), [k1, k2, m1, m2], backend=backend)
    for p in XENT_POINTS:
        want = textbook_xent(*p)
        got = float(f(*p))
        assert ulp_distance(got, want) <= 8, (backend, p, got, want)


def textbook_gradients(a, b, u, v):
    """(∂CE/∂κ₁, ∂KL/∂κ₁, ∂/∂μ₁) of the textbook forms at 2400 bits (μ₁ − μ₂ exact; 1 − A/κ − A² cancels
    2 log₂ κ bits)."""
    with mpmath.workprec(2400):
        a, b, u, v = _mp(a, b, u, v)
        r = mpmath.besseli(1, a) / mpmath.besseli(0, a)
        dA = 1 - r / a - r * r
        c, s = mpmath.cos(u - v), mpmath.sin(u - v)
        return float(-b * dA * c), float(dA * (a - b * c)), float(b * r * s)


#: the report's worst points: μ₂ = DBL_MAX (cos(fl(μ₁ − μ₂)): the wrong sign; κ₂/κ₁ overflowed), κ₁ = 5e-324
#: (A(5e-324) rounds to 2× its value), κ₁ − κ₂ cos Δ = 40 from 680 and 720 (21 ULP); and ordinary points
GRAD_POINTS = [
    (1e-17, DBL_MAX, -800.0, DBL_MAX),
    (5e-324, DBL_MAX, -1e-300, -709.78),
    (30.0, 709.78, 33.0, -710.0),
    (2.0, 3.0, 0.1, 0.25), (1e200, 3e200, 0.1, 0.2), (0.5, 1e-300, 1.0, -2.0),
]


@pytest.fixture(scope="module")
def gradient_functions():
    out = {}
    for name, fn in (("ce", sc.cross_entropy), ("kl", sc.kl)):
        d = fn(sc.VonMises(m1, k1), sc.VonMises(m2, k2)).result
        for v in (k1, m1, m2):
            out[name, v] = sp.diff(d, v)
    return out


@pytest.mark.parametrize("backend", ["numpy", "mpmath"] + (["torch"] if TORCH else []))
def test_gradients_at_the_extremes(gradient_functions, backend):
    for p in GRAD_POINTS:
        dce, dkl, dmu = textbook_gradients(*p)
        for key, want in ((("ce", k1), dce), (("kl", k1), dkl), (("ce", m1), dmu), (("kl", m2), -dmu)):
            f = sc.lambdify(gradient_functions[key], [k1, k2, m1, m2], backend=backend)
            got = float(f(*p))
            assert ulp_distance(got, want) <= 4, (backend, key, p, got, want)


@pytest.mark.skipif(not TORCH, reason="torch not installed")
def test_torch_autograd_uses_the_same_functions():
    # the torch backward prints each stable function's fdiff: vonmises_xent/kl.fdiff now give vonmises_dA_cos
    # and vonmises_dmu, the functions the rewrite rule gives the symbolic derivative
    import torch

    ce = sc.lambdify(sc.cross_entropy(sc.VonMises(m1, k1), sc.VonMises(m2, k2)), [k1, k2, m1, m2], backend="torch")
    kl = sc.lambdify(sc.kl(sc.VonMises(m1, k1), sc.VonMises(m2, k2)), [k1, k2, m1, m2], backend="torch")
    for p in GRAD_POINTS[:2]:
        dce, _, dmu = textbook_gradients(*p)
        for f, i, want in ((ce, 0, dce), (ce, 2, dmu), (kl, 3, -dmu)):
            xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in p]
            got = float(torch.autograd.grad(f(*xs), xs)[i])
            assert ulp_distance(got, want) <= 4, (p, i, got, want)


def test_rewrite_gives_the_one_functions_and_proves_them(gradient_functions):
    from symce.numeric.functions.vonmises_grad import vonmises_dA_cos, vonmises_dmu
    from symce.numeric.rewrite import stabilise

    s = stabilise(gradient_functions["ce", k1])
    assert s.expr == vonmises_dA_cos(k1, -k2, m1, m2) and s.proved, str(s)
    s = stabilise(gradient_functions["kl", m1])
    assert s.expr == vonmises_dmu(k1, k2, m1, m2) and s.proved, str(s)


@functools.lru_cache(maxsize=None)
def textbook_kl(a, b, u, v):
    """A(κ₁)(κ₁ − κ₂ cos Δ) − log I₀(κ₁) + log I₀(κ₂) at 1800 bits (the KL is O(κ²) ≈ 1e-48 at κ ≈ 3e-24: the
    terms ≈ 1e-24 cancel 80 bits; the angles' reduction needs their 900 bits)."""
    bits = 1800 + 4 * max(0, int(mpmath.mag(max(float(a), float(b)))))  # log I₀(κ) ≈ κ: its digits cancel
    with mpmath.workprec(bits):
        a, b, u, v = _mp(a, b, u, v)
        r = mpmath.besseli(1, a) / mpmath.besseli(0, a)
        return float(r * (a - b * mpmath.cos(u - v)) - mpmath.log(mpmath.besseli(0, a)) + mpmath.log(mpmath.besseli(0, b)))


#: the KL's far Bregman part: scipy's i0e and i1e/i0e gave 9 ULP (κ₁ = 1.35, κ₂ = 0.0017; κ₁ = 0.26,
#: κ₂ = 0.013); both κ tiny, where L(κ₂) − L(κ₁) in double-double would keep 2e-32 of log 2π for a KL of 3e-48
KL_POINTS = [
    (1.3493843588720955, 0.0016839617332243047, 0.0, 0.0),
    (0.2646056124059504, 0.013053849353866607, -4.9e-32, 0.0),
    (7.11761656880395e-210, 3.4339532652010356e-24, -3.560913699622103e+81, 5.661701611715113e+265),
    (0.1, 1e5, 0.0, 0.0), (1e300, 1.0, 0.5, -0.5),
    (3.488761452694798, 12.516929432701806, 0.0, 0.0),  # ratio 3.6: the quadrature's 12 ULP, now the far form
    (1e300, 1e300, 1e-300, 1.5e-300),                   # 2sin² underflowed: 0 for 1.25e-301
]


@pytest.mark.parametrize("backend", ["numpy", "math"] + (["torch"] if TORCH else []))
def test_kl_far_apart(backend):
    f = sc.lambdify(sc.kl(sc.VonMises(m1, k1), sc.VonMises(m2, k2)), [k1, k2, m1, m2], backend=backend)
    for p in KL_POINTS:
        want = textbook_kl(*p)
        got = float(f(*p))
        assert ulp_distance(got, want) <= 4, (backend, p, got, want)
