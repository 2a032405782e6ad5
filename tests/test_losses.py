"""Loss variants: values against the published definitions, gradients against mpmath finite differences,
identities proved, stable numeric code.

Published definitions used as oracles:
* label smoothing: q'(k) = (1 − ε)δ_{k,y} + ε/K and loss H(q', p) (Szegedy et al. 2016, "Rethinking the
  Inception Architecture", §7);
* class-weighted CE: ℓ = −w_{y} log softmax(x)_y (PyTorch ``CrossEntropyLoss(weight=…)``, reduction none);
* focal loss FL(p_t) = −(1 − p_t)^γ log p_t, p_t = p if y = 1 else 1 − p, and its derivative
  dFL/dx = y(1 − p_t)^γ(γ p_t log p_t + p_t − 1) for y ∈ {±1}, p_t = σ(yx) (Lin et al. 2017, "Focal Loss
  for Dense Object Detection", eq. 5 and appendix);
* Gaussian NLL: C = ½[(y − μ)²/σ² + ln σ²] + ½ ln 2π (Nix & Weigend 1994, eq. 4 with the constant).
"""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from symce.errors import ArgumentTypeError, DimensionMismatchError, InvalidParameterError
from symce.learning.losses import focal_loss, gaussian_nll_loss, label_smoothing, weighted_cross_entropy

MP_DPS = 40  # set around each test of this module by conftest.py


def N(e, subs):
    return mpmath.mpf(str(sp.N(sp.sympify(e).xreplace(subs), 45)))


def softmax_mp(z):
    m = max(z)
    e = [mpmath.exp(v - m) for v in z]
    s = mpmath.fsum(e)
    return [v / s for v in e]


# -- label smoothing -----------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [2, 3, 10])
def test_label_smoothing_identity_proved(k):
    L = label_smoothing(k)
    assert [p.status for p in L.proofs] == ["proved", "proved"]


def test_label_smoothing_value_and_gradient():
    L = label_smoothing(3)
    t, z, eps = L.symbols["t"], L.symbols["z"], L.symbols["epsilon"]
    tv, zv, ev = [0, 1, 0], [sp.Rational(1, 2), sp.Rational(-3, 2), sp.Integer(2)], sp.Rational(1, 10)
    subs = {**dict(zip(t, tv)), **dict(zip(z, zv)), eps: ev}
    zm = [mpmath.mpf(v.p) / v.q for v in zv]
    q = softmax_mp(zm)
    smooth = [(1 - mpmath.mpf(1) / 10) * tt + mpmath.mpf(1) / 10 / 3 for tt in tv]   # Szegedy et al. §7
    ref = -mpmath.fsum(a * mpmath.log(b) for a, b in zip(smooth, q))
    assert mpmath.almosteq(N(L.loss.result, subs), ref, 1e-35)
    f = lambda *zz: -mpmath.fsum(a * mpmath.log(b) for a, b in zip(smooth, softmax_mp(list(zz))))
    for m in range(3):
        fd = mpmath.diff(f, zm, [1 if j == m else 0 for j in range(3)])
        assert mpmath.almosteq(N(L.gradient.result[m], subs), fd, 1e-25)


def test_label_smoothing_stable_numeric():
    L = label_smoothing(3, epsilon=sp.Rational(1, 10))
    f = L.lambdify()
    v = f(1.0, 0.0, 0.0, 1000.0, -1000.0, 0.0)
    # −Σ t̃ log softmax: with z = (1000, −1000, 0), log q = (0, −2000, −1000)
    ref = -(0.9 + 0.1 / 3) * 0 - (0.1 / 3) * (-2000) - (0.1 / 3) * (-1000)
    assert math.isfinite(v) and abs(v - ref) < 1e-9


def test_label_smoothing_bad_epsilon():
    with pytest.raises(InvalidParameterError, match="epsilon"):
        label_smoothing(3, epsilon=1.5)
    with pytest.raises(InvalidParameterError, match="k"):
        label_smoothing(1)
    with pytest.raises(ArgumentTypeError):
        label_smoothing("3")


# -- class-weighted cross-entropy ----------------------------------------------------------------------
def test_weighted_ce_against_pytorch_definition():
    L = weighted_cross_entropy(3, weights=[sp.Rational(1, 2), 2, 1])
    t, z = L.symbols["t"], L.symbols["z"]
    zv = [sp.Rational(3, 10), sp.Rational(-1, 1), sp.Rational(7, 4)]
    zm = [mpmath.mpf(v.p) / v.q for v in zv]
    w = [mpmath.mpf(1) / 2, 2, 1]
    for y in range(3):  # hard labels: −w_y log softmax(z)_y
        tv = [1 if c == y else 0 for c in range(3)]
        subs = {**dict(zip(t, tv)), **dict(zip(z, zv))}
        ref = -w[y] * mpmath.log(softmax_mp(zm)[y])
        assert mpmath.almosteq(N(L.loss.result, subs), ref, 1e-35)
        f = lambda *zz: -w[y] * mpmath.log(softmax_mp(list(zz))[y])
        for m in range(3):
            fd = mpmath.diff(f, zm, [1 if j == m else 0 for j in range(3)])
            assert mpmath.almosteq(N(L.gradient.result[m], subs), fd, 1e-25)


def test_weighted_ce_errors():
    with pytest.raises(DimensionMismatchError):
        weighted_cross_entropy(3, weights=[1, 2])
    with pytest.raises(InvalidParameterError, match="weight"):
        weighted_cross_entropy(2, weights=[1, -1])


# -- focal loss ----------------------------------------------------------------------------------------
def test_focal_reduces_to_bce_proved():
    assert [p.status for p in focal_loss().proofs] == ["proved", "proved"]


@pytest.mark.parametrize("label", [0, 1])
@pytest.mark.parametrize("zv", [sp.Rational(-7, 4), sp.Rational(1, 3), sp.Integer(3)])
def test_focal_value_and_lin_gradient(label, zv):
    L = focal_loss()
    z, t, g = L.symbols["z"], L.symbols["t"], L.symbols["gamma"]
    gam = mpmath.mpf(2)
    x = mpmath.mpf(zv.p) / zv.q
    p = 1 / (1 + mpmath.exp(-x))
    pt = p if label == 1 else 1 - p
    subs = {z: zv, t: label, g: 2}
    assert mpmath.almosteq(N(L.loss.result, subs), -(1 - pt) ** gam * mpmath.log(pt), 1e-35)
    yy = 1 if label == 1 else -1                     # Lin et al. 2017, appendix: y ∈ {−1, +1}
    ptl = 1 / (1 + mpmath.exp(-yy * x))
    lin = yy * (1 - ptl) ** gam * (gam * ptl * mpmath.log(ptl) + ptl - 1)
    assert mpmath.almosteq(N(L.gradient.result, subs), lin, 1e-30)


def test_focal_stable_numeric():
    f = focal_loss(gamma=2).lambdify()
    z = np.array([-800.0, -30.0, 0.0, 30.0, 800.0])
    v1, v0 = f(z, 1.0), f(z, 0.0)
    assert np.all(np.isfinite(v1)) and np.all(np.isfinite(v0))
    assert abs(v1[0] - 800.0) < 1e-9 and abs(v0[-1] - 800.0) < 1e-9   # (1 − p_t)² → 1, −log p_t → 800


def test_focal_bad_gamma():
    with pytest.raises(InvalidParameterError, match="gamma"):
        focal_loss(gamma=-1)


# -- Gaussian NLL ----------------------------------------------------------------------------------------
def test_gaussian_nll_nix_weigend():
    L = gaussian_nll_loss()
    mu, v, y = L.symbols["mu"], L.symbols["var"], L.symbols["y"]
    subs = {mu: sp.Rational(1, 4), v: sp.Rational(9, 5), y: sp.Rational(-2, 3)}
    m, var, yv = mpmath.mpf(1) / 4, mpmath.mpf(9) / 5, mpmath.mpf(-2) / 3
    C = lambda m, var: ((yv - m) ** 2 / var + mpmath.log(var)) / 2 + mpmath.log(2 * mpmath.pi) / 2
    assert mpmath.almosteq(N(L.loss.result, subs), C(m, var), 1e-35)
    assert mpmath.almosteq(N(L.gradient.result[0], subs), mpmath.diff(lambda a: C(a, var), m), 1e-30)
    assert mpmath.almosteq(N(L.gradient.result[1], subs), mpmath.diff(lambda b: C(m, b), var), 1e-30)


def test_gaussian_nll_log_variance_and_stability():
    L = gaussian_nll_loss("log_variance")
    mu, s, y = L.symbols["mu"], L.symbols["var"], L.symbols["y"]
    C = lambda m, sv, yv: ((yv - m) ** 2 * mpmath.exp(-sv) + sv) / 2 + mpmath.log(2 * mpmath.pi) / 2
    subs = {mu: sp.Rational(1, 2), s: sp.Rational(-3, 2), y: 2}
    m0, s0 = mpmath.mpf(1) / 2, mpmath.mpf(-3) / 2
    assert mpmath.almosteq(N(L.loss.result, subs), C(m0, s0, 2), 1e-35)
    assert mpmath.almosteq(N(L.gradient.result[1], subs), mpmath.diff(lambda b: C(m0, b, 2), s0), 1e-30)
    f = L.lambdify()
    assert np.isfinite(f(0.0, 600.0, 1.0)) and np.isfinite(f(0.0, -600.0, 0.0))


def test_gaussian_nll_bad_parameterisation():
    with pytest.raises(ArgumentTypeError, match="parameterisation"):
        gaussian_nll_loss("std")
