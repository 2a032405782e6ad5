"""Conditional models: loss, gradient and Hessian over n samples.

Oracles: the losses written here directly in mpmath (Bishop 2006 eq. 4.90 for logistic regression,
eq. 4.108 for softmax regression, eq. 3.11 for linear-Gaussian regression) and differentiated by
``mpmath.diff`` (numerical differentiation at 40 digits); Bishop 2006 eq. 4.91/4.96
(∇E = Σ_s (y_s − t_s) φ_s, H = Σ_s y_s(1 − y_s) φ_s φ_sᵀ, here divided by n) and eq. 4.110 for softmax.
"""

import mpmath
import numpy as np
import pytest
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

import symce as sc
from symce.learning.conditional import _C, _L, _M, linear_gaussian_regression, logistic_regression, softmax_regression
from symce.errors import DimensionMismatchError, InvalidParameterError

MP_DPS = 40  # set around each test of this module by conftest.py
RNG = np.random.default_rng(7)
N_, D_, K_ = 4, 3, 3


@pytest.fixture(scope="module")
def logistic():
    return logistic_regression()


@pytest.fixture(scope="module")
def softmax():
    return softmax_regression()


@pytest.fixture(scope="module")
def gaussian():
    return linear_gaussian_regression()


def _rat(a):
    return sp.Rational(int(round(a * 1000)), 1000)


def evaluate(expr, model, values, index=None, extra=None):
    """A componentwise expression at explicit sizes and matrix entries (exact rationals), 45 digits."""
    sy = model.symbols
    sizes = {sy["n"]: N_, sy["d"]: D_, **({sy["k"]: K_} if "k" in sy else {})}
    e = expr.xreplace({**sizes, **(index or {}), **(extra or {})}).doit()
    e = e.replace(lambda a: isinstance(a, MatrixElement),
                  lambda a: values[a.parent.name][int(a.i), int(a.j)])
    return mpmath.mpf(str(sp.N(e, 45)))


def data(*shape, binary=False):
    a = (RNG.random(shape) < 0.5).astype(float) if binary else RNG.normal(size=shape)
    return [[_rat(v) for v in row] for row in np.atleast_2d(a.reshape(shape[0], -1))]


def test_logistic_proofs(logistic):
    assert logistic.gradient_proof.status == "proved"
    assert logistic.hessian_proof.status == "proved"


def test_logistic_against_mpmath_fd(logistic):
    X, w, t = data(N_, D_), data(D_, 1), data(N_, 1, binary=True)
    vals = {"X": sp.Matrix(X), "w": sp.Matrix(w), "t": sp.Matrix(t)}

    def J(*ws):  # Bishop 2006 eq. 4.90 divided by n, with y = σ(wᵀφ)
        tot = 0
        for s in range(N_):
            zs = mpmath.fsum(mpmath.mpf(X[s][j].p) / X[s][j].q * ws[j] for j in range(D_))
            ys = 1 / (1 + mpmath.exp(-zs))
            ts = mpmath.mpf(t[s][0].p) / t[s][0].q
            tot -= ts * mpmath.log(ys) + (1 - ts) * mpmath.log(1 - ys)
        return tot / N_

    w0 = [mpmath.mpf(v[0].p) / v[0].q for v in w]
    assert mpmath.almosteq(evaluate(logistic.loss.result, logistic, vals), J(*w0), 1e-30)
    for m in range(D_):
        order = [1 if j == m else 0 for j in range(D_)]
        fd = mpmath.diff(J, w0, order)
        assert mpmath.almosteq(evaluate(logistic.gradient.steps[0].expr, logistic, vals, {_M: m}), fd, 1e-25)
        for l in range(D_):
            order2 = [order[j] + (1 if j == l else 0) for j in range(D_)]
            fd2 = mpmath.diff(J, w0, order2)
            got = evaluate(logistic.hessian.steps[0].expr, logistic, vals, {_M: m, _L: l})
            assert mpmath.almosteq(got, fd2, 1e-20)


def test_logistic_numeric_matches_bishop(logistic):
    X = RNG.normal(size=(50, 3))
    w = RNG.normal(size=3)
    t = (RNG.random(50) < 0.4).astype(float)
    nm = logistic.numeric()
    y = 1 / (1 + np.exp(-X @ w))
    # Bishop 2006 eq. 4.91 and 4.97 (divided by n for the average)
    assert np.allclose(nm.gradient(X, w, t), X.T @ (y - t) / 50, rtol=1e-13, atol=1e-15)
    assert np.allclose(nm.hessian(X, w, t), (X.T * (y * (1 - y))) @ X / 50, rtol=1e-13)
    assert abs(nm.loss(X, w, t) - np.mean(-(t * np.log(y) + (1 - t) * np.log(1 - y)))) < 1e-13
    # stable: huge logits give finite losses
    assert np.isfinite(nm.loss(X * 1e4, w, t))


def test_numeric_shape_mismatch(logistic):
    with pytest.raises(DimensionMismatchError, match="n×d"):
        logistic.numeric().loss(np.ones((4, 3)), np.ones(2), np.ones(4))
    with pytest.raises(DimensionMismatchError):
        logistic.numeric().gradient(np.ones((4, 3)), np.ones(3), np.ones(5))


def test_softmax_proofs(softmax):
    assert softmax.gradient_proof.status == "proved"
    assert softmax.hessian_proof.status == "proved"


def test_softmax_against_mpmath_fd(softmax):
    X, W, T = data(N_, D_), data(K_, D_), [[_rat(v) for v in row] for row in np.eye(K_)[RNG.integers(0, K_, N_)]]
    vals = {"X": sp.Matrix(X), "W": sp.Matrix(W), "T": sp.Matrix(T)}
    Xf = [[mpmath.mpf(v.p) / v.q for v in row] for row in X]

    def J(*ws):  # Bishop 2006 eq. 4.108 divided by n
        Wm = [ws[c * D_:(c + 1) * D_] for c in range(K_)]
        tot = 0
        for s in range(N_):
            a = [mpmath.fsum(Wm[c][j] * Xf[s][j] for j in range(D_)) for c in range(K_)]
            lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in a))
            tot -= mpmath.fsum(T[s][c] * (a[c] - lse) for c in range(K_))
        return tot / N_

    w0 = [mpmath.mpf(v.p) / v.q for row in W for v in row]
    assert mpmath.almosteq(evaluate(softmax.loss.result, softmax, vals), J(*w0), 1e-30)
    for c in range(K_):
        for m in range(D_):
            order = [1 if i == c * D_ + m else 0 for i in range(K_ * D_)]
            got = evaluate(softmax.gradient.steps[0].expr, softmax, vals, {_C: c, _M: m})
            assert mpmath.almosteq(got, mpmath.diff(J, w0, order), 1e-25)
    # two Hessian entries (a same-class and a cross-class one) against second differences
    c2 = sp.Symbol("c'", integer=True, nonnegative=True)
    for (c, m, cc, l) in ((0, 1, 0, 2), (1, 0, 2, 1)):
        order = [0] * (K_ * D_)
        order[c * D_ + m] += 1
        order[cc * D_ + l] += 1
        got = evaluate(softmax.hessian.result, softmax, vals, {_C: c, _M: m, c2: cc, _L: l})
        assert mpmath.almosteq(got, mpmath.diff(J, w0, order), 1e-20)


def test_linear_gaussian(gaussian):
    assert gaussian.gradient_proof.status == "proved" and gaussian.hessian_proof.status == "proved"
    X = RNG.normal(size=(30, 3))
    w = RNG.normal(size=3)
    yv = X @ w + RNG.normal(size=30)
    nm = gaussian.numeric()
    s = 0.7
    # Bishop 2006 eq. 3.11/3.13: ∇ (1/(2σ²)) Σ (y − wᵀx)² = −(1/σ²) Σ (y − wᵀx) x; here divided by n
    assert np.allclose(nm.gradient(X, w, yv, s), -X.T @ (yv - X @ w) / (30 * s**2), rtol=1e-13)
    assert np.allclose(nm.hessian(X, w, yv, s), X.T @ X / (30 * s**2), rtol=1e-13)
    ref = np.mean(0.5 * np.log(2 * np.pi * s**2) + (yv - X @ w) ** 2 / (2 * s**2))
    assert abs(nm.loss(X, w, yv, s) - ref) < 1e-13


def test_linear_gaussian_unknown_sigma(gaussian):
    # ∂/∂σ of −log N(y; μ, σ²) = 1/σ − (y − μ)²/σ³ (Murphy 2012, §4.1.3), against mpmath.diff
    per = gaussian.per_sample
    sig, mu_, yy = gaussian.numeric_parts["sigma"], gaussian.numeric_parts["z"], gaussian.numeric_parts["t"]
    d = per.gradient(sig).result
    at = {sig: sp.Rational(3, 2), mu_: sp.Rational(1, 3), yy: sp.Rational(-2, 5)}
    f = lambda s: -mpmath.log(mpmath.npdf(mpmath.mpf(-2) / 5, mpmath.mpf(1) / 3, s))
    assert mpmath.almosteq(mpmath.mpf(str(sp.N(d.xreplace(at), 45))), mpmath.diff(f, mpmath.mpf(3) / 2), 1e-30)


def test_bad_sizes():
    with pytest.raises(InvalidParameterError):
        logistic_regression(n=0)
    with pytest.raises(InvalidParameterError):
        logistic_regression(d=sp.Symbol("d"))
