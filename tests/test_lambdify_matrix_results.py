"""lambdify of a Matrix result (gradient, Hessian, Fisher information) on every backend (issue #12).

Layout (symce.numeric.printed.wrap_matrix): numpy/scipy/torch give (rows, cols, *batch), SymPy's layout;
math a tuple of rows of Python floats; mpmath an mpmath.matrix (one point; arrays refused). References are
the textbook derivatives evaluated in mpmath, not the code under test:
  KL(Ber(p) ‖ Ber(q)) = p log(p/q) + (1 − p) log((1 − p)/(1 − q)):
    ∂p = log(p/q) − log((1 − p)/(1 − q)),  ∂q = (1 − p)/(1 − q) − p/q,
    ∂pp = 1/p + 1/(1 − p),  ∂pq = −1/q − 1/(1 − q),  ∂qq = p/q² + (1 − p)/(1 − q)²;
  CE(t ‖ softmax z) with Σt = 1: ∇z = softmax(z) − t, ∇²z = diag(s) − s sᵀ;
  Fisher information of Ber(p): 1/(p(1 − p)).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.errors import ArgumentTypeError
from symce.families.categorical import Categorical

try:
    import torch
except ImportError:  # pragma: no cover - torch is optional
    torch = None

BACKENDS = ["numpy", "scipy", "math", "mpmath"] + (["torch"] if torch is not None else [])
ARRAY_BACKENDS = ["numpy", "scipy"] + (["torch"] if torch is not None else [])
P, Q = sp.symbols("p q", positive=True)
POINTS = [(0.3, 0.4), (1e-9, 0.5), (0.999, 2e-7), (0.5, 0.5)]
mpmath.mp.dps = 30


def ber_grad(p, q):
    p, q = mpmath.mpf(p), mpmath.mpf(q)
    return [[mpmath.log(p / q) - mpmath.log((1 - p) / (1 - q))], [(1 - p) / (1 - q) - p / q]]


def ber_hess(p, q):
    p, q = mpmath.mpf(p), mpmath.mpf(q)
    return [[1 / p + 1 / (1 - p), -1 / q - 1 / (1 - q)], [-1 / q - 1 / (1 - q), p / q**2 + (1 - p) / (1 - q)**2]]


def softmax_grad_hess(t, z):
    e = [mpmath.exp(mpmath.mpf(v)) for v in z]
    s = [v / mpmath.fsum(e) for v in e]
    return ([[s[i] - mpmath.mpf(t[i])] for i in range(3)],
            [[(s[i] if i == j else 0) - s[i] * s[j] for j in range(3)] for i in range(3)])


@pytest.fixture(scope="module")
def ber():
    d = sc.kl(sc.Bernoulli(P), sc.Bernoulli(Q))
    return {"gradient": (d.gradient([P, Q]), ber_grad), "hessian": (d.hessian([P, Q]), ber_hess)}


@pytest.fixture(scope="module")
def cat():
    ts = sp.symbols("t1:4", positive=True)
    z = Categorical.from_logits(k=3)
    d = sc.cross_entropy(Categorical(ts), z)
    return d.gradient(list(z.entries)), d.hessian(list(z.entries))


def as_float_matrix(out, backend):
    """The result of one point as a nested list of floats, checking each backend's documented type."""
    if backend == "math":
        assert isinstance(out, tuple) and all(isinstance(v, float) for row in out for v in row)
        return [list(row) for row in out]
    if backend == "mpmath":
        assert isinstance(out, mpmath.matrix)
        return [[float(out[i, j]) for j in range(out.cols)] for i in range(out.rows)]
    if backend == "torch":
        out = out.detach().numpy()
    assert out.dtype == np.float64
    return out.tolist()


def close(got, ref, rtol=1e-13):
    ref = np.array([[float(v) for v in row] for row in ref])
    assert np.shape(got) == ref.shape
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("which", ["gradient", "hessian"])
def test_bernoulli_matrix_scalar_inputs(ber, backend, which):
    g, ref = ber[which]
    f = sc.lambdify(g, [P, Q], backend=backend)
    for p, q in POINTS:
        args = (torch.tensor(p, dtype=torch.float64), torch.tensor(q, dtype=torch.float64)) \
            if backend == "torch" else (p, q)
        close(as_float_matrix(f(*args), backend), ref(p, q))


@pytest.mark.parametrize("backend", ARRAY_BACKENDS)
@pytest.mark.parametrize("which", ["gradient", "hessian"])
def test_bernoulli_matrix_array_inputs(ber, backend, which):
    g, ref = ber[which]
    f = sc.lambdify(g, [P, Q], backend=backend)
    ps, qs = np.array([p for p, _ in POINTS]), np.array([q for _, q in POINTS])
    out = f(torch.tensor(ps), torch.tensor(qs)) if backend == "torch" else f(ps, qs)
    out = out.numpy() if backend == "torch" else out
    assert out.shape == (2, 1 if which == "gradient" else 2, len(POINTS))  # (rows, cols, batch)
    for k, (p, q) in enumerate(POINTS):
        close(out[..., k], ref(p, q))
    # a scalar broadcast against an array: the batch shape is the inputs' broadcast shape
    one = f(torch.tensor(ps), 0.4) if backend == "torch" else f(ps, 0.4)
    assert tuple(one.shape) == out.shape


@pytest.mark.parametrize("backend", BACKENDS)
def test_categorical_gradient_and_hessian(cat, backend):
    g, h = cat
    t = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    z = np.array([[0.5, -1.0, 2.0], [3.0, 0.0, -40.0]])
    fg, fh = sc.lambdify(g, backend=backend), sc.lambdify(h, backend=backend)
    if backend in ("math", "mpmath"):
        for k in range(2):
            rg, rh = softmax_grad_hess(t[k], z[k])
            close(as_float_matrix(fg(*t[k], *z[k]), backend), rg, rtol=1e-12)
            close(as_float_matrix(fh(*t[k], *z[k]), backend), rh, rtol=1e-12)
        return
    wrap = (lambda a: torch.tensor(a)) if backend == "torch" else (lambda a: a)
    out_g, out_h = fg(wrap(t), wrap(z)), fh(wrap(t), wrap(z[0]))  # the Hessian does not depend on t: broadcast
    assert tuple(out_g.shape) == (3, 1, 2) and tuple(out_h.shape) == (3, 3, 2)
    out_g, out_h = np.asarray(out_g), np.asarray(out_h)
    for k in range(2):
        rg, _ = softmax_grad_hess(t[k], z[k])
        close(out_g[..., k], rg, rtol=1e-12)
        close(out_h[..., k], softmax_grad_hess(t[k], z[0])[1], rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_fisher_information(backend):
    f = sc.lambdify(sc.fisher_information(sc.Bernoulli(P)), [P], backend=backend)
    x = torch.tensor(0.3, dtype=torch.float64) if backend == "torch" else 0.3
    close(as_float_matrix(f(x), backend), [[1 / (mpmath.mpf(0.3) * (1 - mpmath.mpf(0.3)))]])


def test_mpmath_refuses_arrays(ber):
    f = sc.lambdify(ber["gradient"][0], [P, Q], backend="mpmath")
    with pytest.raises(ArgumentTypeError, match="one point"):
        f(np.array([0.3, 0.2]), 0.4)
    close(as_float_matrix(f(np.array(0.3), np.float64(0.4)), "mpmath"), ber_grad(0.3, 0.4))  # 0-d: one point


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_torch_matrix_autograd_and_dtype(ber):
    """Autograd through the gradient matrix: ∂/∂p of Σ∇KL is ∂pp + ∂pq (the Hessian's first column);
    float32 in, float32 out."""
    f = sc.lambdify(ber["gradient"][0], [P, Q], backend="torch")
    pv, qv = [0.3, 0.7], [0.4, 0.2]
    ps = torch.tensor(pv, dtype=torch.float64, requires_grad=True)
    qs = torch.tensor(qv, dtype=torch.float64, requires_grad=True)
    out = f(ps, qs)
    assert out.requires_grad and out.shape == (2, 1, 2)
    dp, dq = torch.autograd.grad(out.sum(), (ps, qs))
    for k in range(2):
        h = ber_hess(pv[k], qv[k])
        np.testing.assert_allclose([float(dp[k]), float(dq[k])],
                                   [float(h[0][0] + h[1][0]), float(h[0][1] + h[1][1])], rtol=1e-12)
    out32 = f(torch.tensor([0.3, 0.7], dtype=torch.float32), torch.tensor([0.4, 0.2], dtype=torch.float32))
    assert out32.dtype == torch.float32 and out32.shape == (2, 1, 2)
    ref = [ber_grad(0.3, 0.4), ber_grad(0.7, 0.2)]
    np.testing.assert_allclose(out32.numpy()[:, 0, :], [[float(ref[k][i][0]) for k in range(2)] for i in range(2)],
                               rtol=1e-6)


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_torch_matrix_one_entry_backward_and_double_backward(ber):
    """The entries are one fused operation with several outputs: a loss of one entry differentiates alone
    (∂/∂q of ∂KL/∂q is ∂qq), and second derivatives through the matrix match finite differences."""
    f = sc.lambdify(ber["gradient"][0], [P, Q], backend="torch")
    pv, qv = [0.3, 0.7], [0.4, 0.2]
    ps = torch.tensor(pv, dtype=torch.float64, requires_grad=True)
    qs = torch.tensor(qv, dtype=torch.float64, requires_grad=True)
    (dq,) = torch.autograd.grad(f(ps, qs)[1, 0].sum(), qs)
    np.testing.assert_allclose(dq.numpy(), [float(ber_hess(pv[k], qv[k])[1][1]) for k in range(2)], rtol=1e-12)
    assert torch.autograd.gradgradcheck(lambda a, b: f(a, b), (ps, qs))
