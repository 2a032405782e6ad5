"""The von Mises KL, entropy and cross-entropy (issue 11, "Numbers": ≤ 16 ULP with special functions, no
spurious NaN/inf): the derived formulas, lambdified on every backend, against the textbook formulas evaluated
by mpmath to 50 significant digits from the exact float inputs:

    KL(VM(μ₁, κ₁) ‖ VM(μ₂, κ₂)) = A(κ₁)(κ₁ − κ₂ cos(μ₁ − μ₂)) − log I₀(κ₁) + log I₀(κ₂),  A = I₁/I₀

(Kitagawa & Rowley 2022, "von Mises–Fisher distributions and their statistical divergence", eq. for the KL
with p = 2; it also follows from E_P[cos(X − μ₂)] = A(κ₁)cos(μ₁ − μ₂)). Its terms cancel to
O((κ₂ − κ₁)² + (μ₁ − μ₂)²) near P = Q and each overflows beyond κ ≈ 713 (the plain form: NaN/inf there).
The entropy H = log 2π + log I₀(κ) − κA(κ) (Mardia & Jupp 2000, "Directional Statistics", §3.5.4) and the
cross-entropy H(P) + KL(P ‖ Q) = log 2π + log I₀(κ₂) − κ₂A(κ₁)cos(μ₁ − μ₂) likewise.
"""

import importlib.util

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.functions import vonmises_kl
from symce.numeric.impl.arrays import vonmises as V
from symce.numeric.impl.arrays.namespace import _Array
from symce.numeric.rewrite import stabilise
from symce.numeric.ulp import ulp_distance

BACKENDS = ["numpy", "math", "mpmath"] + [b for b in ("torch",) if importlib.util.find_spec(b)]
DBL_MAX = float(np.finfo(np.float64).max)

m1, m2 = sp.Symbol("mu1", real=True), sp.Symbol("mu2", real=True)
k1, k2 = sp.Symbol("kappa1", positive=True), sp.Symbol("kappa2", positive=True)


def textbook_kl(a, b, u, v):
    """The textbook KL at 50 significant digits: the working precision covers the digits of κ (log I₀ ≈ κ),
    those κ₂ − κ₁ and μ₁ − μ₂ cancel (the KL is O(d²)), and those of the angles."""
    a, b, u, v = (mpmath.mpf(float(x)) for x in (a, b, u, v))
    digits = 60 + max(0, int(mpmath.log10(max(a, b, 1))))
    if a != b:
        digits += 2 * max(0, -int(mpmath.log10(abs(b - a) / max(a, b))))
    if u != v:
        digits += 2 * max(0, -int(mpmath.log10(abs(u - v)))) + max(0, int(mpmath.log10(max(abs(u), abs(v)))))
    with mpmath.workdps(digits):
        r = mpmath.besseli(1, a) / mpmath.besseli(0, a)
        out = r * (a - b * mpmath.cos(u - v)) - mpmath.log(mpmath.besseli(0, a)) + mpmath.log(mpmath.besseli(0, b))
    with mpmath.workdps(50):
        return +out


POINTS = [
    (500.0, 500.0 * (1 + 1e-12), 0.3, 0.3),            # κ₁ ≈ κ₂ = 500: the terms cancel 27 digits
    (500.0, 501.0, 0.3, 0.3 + 1e-9),
    (500.0, 500.0, -1.0, -1.0 + 2.0**-40),             # μ₁ ≈ μ₂ only
    (1e-8, 2e-8, 0.0, 0.0),                            # κ → 0: KL ≈ (κ₂ − κ₁)²/4
    (1e-8, 1e-8, 0.1, 0.1 + 1e-10),
    (1e-8, 3.0, 1.0, 2.0), (3.0, 1e-8, 1.0, 2.0),
    (1e300, 1e300 * (1 + 1e-10), 0.0, 0.0),            # κ = 1e300: I₀ overflows, log I₀ ≈ κ cancels
    (1e300, 1.0, 0.5, -0.5), (1.0, 1e300, 0.0, 0.0), (1e300, 1e300, 0.0, 1e-100),
    (DBL_MAX, 1.0, -1e17, -1e17), (DBL_MAX, 1.0, 1e-17, -37.0),   # the report's worst points
    (17.0, 20.0, 0.2, 0.25), (30.0, 31.0, 0.0, 0.0), (29.0, 35.0, 0.0, 0.0), (0.9, 5.0, 0.0, 1.0),
    (5.0, 0.9, 0.0, 1.0), (2.0, 2.0 + 2.0**-30, 1e17, 1e17), (5.0, 7.0, 1e17, -37.0), (1.5, 6.5, 3.0, -3.0),
]


def test_the_rule_recognises_the_whole_kl_and_proves_it():
    d = sc.kl(sc.VonMises(m1, k1), sc.VonMises(m2, k2))
    s = stabilise(d.result)
    assert s.expr == vonmises_kl(k1, k2, m1, m2) and s.proved, str(s)


@pytest.mark.parametrize("backend", BACKENDS)
def test_von_mises_kl_within_16_ulp_of_the_textbook_formula(backend):
    d = sc.kl(sc.VonMises(m1, k1), sc.VonMises(m2, k2))
    f = sc.lambdify(d, [k1, k2, m1, m2], backend=backend)
    for p in POINTS:
        got = float(f(*p))
        exact = float(textbook_kl(*p))
        assert np.isfinite(got), (p, got)
        assert ulp_distance(got, exact) <= 16, (backend, p, got, exact)


#: μ₁ − μ₂ not exact and (μ₁ − μ₂)/2 near a multiple of π: sin(a)cos(b) − cos(a)sin(b) cancelled (59 ulp)
FAR_ANGLES = (8.067944699788382e+177, 7.641617939747167e+76, -4.15905913238212e+199, 1.2395864630759031e+124)


@pytest.mark.parametrize("backend", BACKENDS)
def test_von_mises_kl_where_the_far_angles_sine_products_cancel(backend):
    p = FAR_ANGLES
    f = sc.lambdify(sc.kl(sc.VonMises(m1, k1), sc.VonMises(m2, k2)), [k1, k2, m1, m2], backend=backend)
    assert ulp_distance(float(f(*p)), float(textbook_kl(*p))) <= 16


def textbook_kl_gradient(a, b, u, v):
    """∂/∂(κ₁, κ₂, μ₁, μ₂) of the textbook KL: A′(κ₁)(κ₁ − κ₂ cos Δ), A(κ₂) − A(κ₁)cos Δ, ±A(κ₁)κ₂ sin Δ, with
    A′ = 1 − A/κ − A² (from I₀′ = I₁, I₁′ = I₀ − I₁/κ: Abramowitz & Stegun 9.6.26), Δ = μ₁ − μ₂ exact at 2400
    bits; 1 − A/κ − A² cancels 2·log₂ κ bits (1180 at κ = 8e177)."""
    with mpmath.workprec(2400):
        a, b, u, v = (mpmath.mpf(float(x)) for x in (a, b, u, v))
        ra, rb = (mpmath.besseli(1, x) / mpmath.besseli(0, x) for x in (a, b))
        c, s = mpmath.cos(u - v), mpmath.sin(u - v)
        return [float(x) for x in ((1 - ra / a - ra * ra) * (a - b * c), rb - ra * c, ra * b * s, -ra * b * s)]


@pytest.mark.skipif(not importlib.util.find_spec("torch"), reason="torch not installed")
def test_torch_gradient_where_the_angles_difference_is_not_exact():
    # ∂/∂μ was A·κ₂·sin(fl(μ₁ − μ₂)), ∂/∂κ₂ had cos(fl(μ₁ − μ₂)): fl(μ₁ − μ₂) = μ₁ lost the angle at FAR_ANGLES
    # (∂/∂μ₁ 46 times too large, ∂/∂κ₂ 1.67 for 1.3e-4); now sin_diff and 1 − 2 sin_half_diff². Also an ordinary
    # point whose 3.24 − 0.1 is not exact and near π (the kernel's exact branch for cancelling products). 1e-10:
    # ∂/∂κ₂ = (A(κ₂) − A(κ₁)) + 2A(κ₁)sin²(Δ/2) keeps the rounding of A ≈ 1 (2e-13 relative at FAR_ANGLES)
    import torch

    f = sc.lambdify(sc.kl(sc.VonMises(m1, k1), sc.VonMises(m2, k2)), [k1, k2, m1, m2], backend="torch")
    for p in [FAR_ANGLES, (2.0, 3.0, 3.24, 0.1)]:
        xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in p]
        grads = torch.autograd.grad(f(*xs), xs)
        for i, want in enumerate(textbook_kl_gradient(*p)):
            assert abs(float(grads[i]) - want) <= 1e-10 * abs(want), (p, i, float(grads[i]), want)


def textbook_cross_entropy_gradient(a, b, u, v):
    """∂/∂(κ₁, κ₂, μ₁, μ₂) of the textbook CE log 2π + log I₀(κ₂) − κ₂A(κ₁)cos Δ: −κ₂A′(κ₁)cos Δ,
    A(κ₂) − A(κ₁)cos Δ, ±κ₂A(κ₁)sin Δ (I₀′ = I₁ and A′ = 1 − A/κ − A² as in textbook_kl_gradient), at 2400 bits."""
    with mpmath.workprec(2400):
        a, b, u, v = (mpmath.mpf(float(x)) for x in (a, b, u, v))
        ra, rb = (mpmath.besseli(1, x) / mpmath.besseli(0, x) for x in (a, b))
        c, s = mpmath.cos(u - v), mpmath.sin(u - v)
        return [float(x) for x in (-b * (1 - ra / a - ra * ra) * c, rb - ra * c, ra * b * s, -ra * b * s)]


@pytest.mark.skipif(not importlib.util.find_spec("torch"), reason="torch not installed")
def test_torch_cross_entropy_gradient_where_the_angles_difference_is_not_exact():
    # vonmises_xent.fdiff had sin/cos(fl(μ₁ − μ₂)) too: at FAR_ANGLES ∂/∂μ was 45 times too large and ∂/∂κ₂
    # 1.67 for 1.3e-4. ∂/∂κ₁ = −κ₂A′(κ₁)cos Δ had A′ = 1 − A/κ − A² written out, which cancels every bit at
    # κ₁ = 8e177 (9.5e-102 for 2.5e-281); now (κ₂/κ₁)·vonmises_kl_dk1(κ₁, 0, 0, 0)
    import torch

    ce = sc.cross_entropy(sc.VonMises(m1, k1), sc.VonMises(m2, k2))
    f = sc.lambdify(ce, [k1, k2, m1, m2], backend="torch")
    for p in [FAR_ANGLES, (2.0, 3.0, 3.24, 0.1)]:
        xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in p]
        grads = torch.autograd.grad(f(*xs), xs)
        want = textbook_cross_entropy_gradient(*p)
        for i in range(4):
            assert abs(float(grads[i]) - want[i]) <= 1e-10 * abs(want[i]), (p, i, float(grads[i]), want[i])


def textbook_entropy_derivative(a):
    """H′(κ) of the textbook H = log 2π + log I₀(κ) − κA(κ): I₁/I₀ − A − κA′ = −κ(1 − A/κ − A²) (I₀′ = I₁,
    A′ as in textbook_kl_gradient), at 2400 bits: the written-out A′ cancels 2·log₂ κ bits."""
    with mpmath.workprec(2400):
        a = mpmath.mpf(float(a))
        r = mpmath.besseli(1, a) / mpmath.besseli(0, a)
        return float(-a * (1 - r / a - r * r))


@pytest.mark.parametrize("backend", ["numpy"] + [b for b in ("torch",) if importlib.util.find_spec(b)])
def test_entropy_derivative_at_large_kappa(backend):
    # vonmises_entropy.fdiff was −κ(1 − A/κ − A²): −8.3e-8 for −5e-11 at κ = 1e10, +1 (wrong sign) for −6.25e-179
    # at κ = 8e177; now −vonmises_kl_dk1(κ, 0, 0, 0), the stable κA′ (torch's backward prints fdiff; numpy
    # lambdifies sp.diff of the stable function)
    ks = [1e-3, 2.5, 1e10, 8e177]
    if backend == "torch":
        import torch

        f = sc.lambdify(sc.entropy(sc.VonMises(m1, k1)), [k1], backend="torch")
        got = []
        for k in ks:
            x = torch.tensor(k, dtype=torch.float64, requires_grad=True)
            got.append(float(torch.autograd.grad(f(x), [x])[0]))
    else:
        f = sc.lambdify(sp.diff(sc.numeric.functions.vonmises_entropy(k1), k1), [k1], backend="numpy")
        got = [float(f(k)) for k in ks]
    for k, g in zip(ks, got):
        want = textbook_entropy_derivative(k)
        assert abs(g - want) <= 1e-12 * abs(want), (backend, k, g, want)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_sine_of_an_angles_difference_against_mpmath(backend):
    # sin(h(a − b)), h = 1, ½: exact difference, far apart (the expanded products), far apart and cancelling,
    # a − b that overflows (was sin(inf) = NaN)
    pytest.importorskip(backend)
    xp = _Array(backend)
    a = [0.3, 1.0, 3.24, FAR_ANGLES[2], 1e300, -1e300, 1.7e308]
    b = [0.3 + 1e-9, 1e-17, 0.1, FAR_ANGLES[3], -1e300, 5.0, -1.6e308]
    for h in (1.0, 0.5):
        got = V._sin_half_diff(xp, xp.asarray(a), xp.asarray(b), h)
        got = got.numpy() if backend == "torch" else got
        with mpmath.workprec(2200):
            for x, y, g in zip(a, b, got):
                assert ulp_distance(float(g), float(mpmath.sin((mpmath.mpf(x) - mpmath.mpf(y)) * h))) <= 2, (x, y, h)


def test_variance_series_and_one_minus_a_against_mpmath():
    # A′ = 1 − A/κ − A² and 1 − A across the kernel's three regimes (series, Riccati root, asymptotic)
    xp = _Array("numpy")
    ts = np.array([1e-300, 1e-8, 0.3, 1.0, 1.5, 5.0, 17.0, 29.9, 30.0, 30.1, 45.0, 100.0, 1e3, 1e8])
    got_d, got_r = V.dA(xp, ts), V.one_minus_A(xp, ts)
    with mpmath.workdps(80):
        for t, gd, gr in zip(ts, got_d, got_r):
            a = mpmath.besseli(1, mpmath.mpf(t)) / mpmath.besseli(0, mpmath.mpf(t))
            assert ulp_distance(gd, float(1 - a / t - a * a)) <= 4, t
            assert ulp_distance(gr, float(1 - a)) <= 4, t


def textbook_entropy(a):
    a = mpmath.mpf(float(a))
    with mpmath.workdps(60 + max(0, int(mpmath.log10(max(a, 1))))):
        i0 = mpmath.besseli(0, a)
        out = mpmath.log(2 * mpmath.pi) + mpmath.log(i0) - a * mpmath.besseli(1, a) / i0
    with mpmath.workdps(50):
        return +out


# including H's zero κ₀ = 17.5949792765466897… and its neighbours (the terms cancel there), and both ends of the
# kernel's zone [κ₀/2, 2κ₀] around it
KAPPAS = [1e-300, 1e-8, 0.3, 1.0, 1.5, 5.0, 8.79, 8.8, 14.58, 17.59, 17.594979276546688, 17.5949792765467,
          19.18, 30.0, 31.0, 35.18, 35.2, 100.0, 713.0, 1e3, 1e8, 1e300, DBL_MAX]


@pytest.mark.parametrize("backend", BACKENDS)
def test_von_mises_entropy_within_16_ulp_of_the_textbook_formula(backend):
    h = sc.entropy(sc.VonMises(m1, k1))
    assert stabilise(h.result).expr.has(sc.numeric.functions.vonmises_entropy)
    f = sc.lambdify(h, [k1], backend=backend)
    for k in KAPPAS:
        got = float(f(k))
        assert np.isfinite(got) and ulp_distance(got, float(textbook_entropy(k))) <= 16, (backend, k, got)



def textbook_cross_entropy(a, b, u, v):
    a, b, u, v = (mpmath.mpf(float(x)) for x in (a, b, u, v))
    digits = 60 + max(0, int(mpmath.log10(max(a, b, 1)))) + max(0, int(mpmath.log10(max(abs(u), abs(v), 1))))
    with mpmath.workdps(digits):
        r = mpmath.besseli(1, a) / mpmath.besseli(0, a)
        out = mpmath.log(2 * mpmath.pi) + mpmath.log(mpmath.besseli(0, b)) - b * r * mpmath.cos(u - v)
    with mpmath.workdps(50):
        return +out


@pytest.mark.parametrize("backend", BACKENDS)
def test_von_mises_cross_entropy_within_16_ulp_of_the_textbook_formula(backend):
    ce = sc.cross_entropy(sc.VonMises(m1, k1), sc.VonMises(m2, k2))
    assert stabilise(ce.result).expr.has(sc.numeric.functions.vonmises_xent)
    f = sc.lambdify(ce, [k1, k2, m1, m2], backend=backend)
    pts = [(7.1e43, 1.1e204, 3.9e-48, 1.4e-235), (1e300, 1e300, 0.0, 1e-100), (DBL_MAX, 1.0, 0.3, 0.1),
           (7.0e301, 8.1e-143, 1.97e281, -9.3e177), (1e-8, 2e-8, 0.0, 0.0), (2.0, 3.0, 1.0, -1.0),
           (500.0, 400.0, 0.0, 1e-9)]
    for p in pts:
        got = float(f(*p))
        assert np.isfinite(got) and ulp_distance(got, float(textbook_cross_entropy(*p))) <= 16, (backend, p, got)


@pytest.mark.skipif(not importlib.util.find_spec("torch"), reason="torch not installed")
def test_torch_gradient_of_the_kl_against_mpmath_diff():
    # the fused backward differentiates vonmises_kl by its fdiff, with A as besseli_ratio: the raw I₁²/I₀²
    # was inf/inf = NaN at κ = 500. Finite and right to 1e-6 only: ∂/∂κ₂ = A(κ₂) − A(κ₁)cos Δ still cancels
    # near P = Q (3.6e-7 relative at κ = 500, κ₂ − κ₁ = 1e-4)
    import torch

    d = sc.kl(sc.VonMises(m1, k1), sc.VonMises(m2, k2))
    f = sc.lambdify(d, [k1, k2, m1, m2], backend="torch")
    for p in [(2.0, 3.0, 0.1, 0.2), (500.0, 500.0001, 0.3, 0.3), (1e-8, 3.0, 0.0, 1.0), (50.0, 1.0, 0.0, 0.5)]:
        xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in p]
        grads = torch.autograd.grad(f(*xs), xs)
        with mpmath.workdps(40):
            for i in range(4):
                def g(x, i=i):
                    return _kl_mp(*[x if j == i else mpmath.mpf(p[j]) for j in range(4)])
                want = float(mpmath.diff(g, mpmath.mpf(p[i])))
                assert abs(float(grads[i]) - want) <= 1e-6 * abs(want) + 1e-300, (p, i, want)


def _kl_mp(a, b, u, v):
    r = mpmath.besseli(1, a) / mpmath.besseli(0, a)
    return r * (a - b * mpmath.cos(u - v)) - mpmath.log(mpmath.besseli(0, a)) + mpmath.log(mpmath.besseli(0, b))
