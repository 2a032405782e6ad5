"""backend="torch" on (n, k) tensors: the softmax cross-entropy and the categorical KL evaluated whole over the
classes' trailing axis (symce.numeric.impl.torch_kclass, reached through the signature layer's on_groups
hook), and the torch window kernels of torch_near_kl where x + y overflows. References: the definitions
Σ tᵢ(log Σ e^{zⱼ} − zᵢ) and Σ xᵢ log(xᵢ/yᵢ) and their derivatives softmax(z)·Σt − t (Bishop, PRML §4.3.4,
eq. 4.109 for Σt = 1), log Σe^z − z, log(x/y) + 1, −x/y, in mpmath at 60 digits."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

torch = pytest.importorskip("torch")

import symce as sc  # noqa: E402
from symce.numeric.ulp import ulp_distance  # noqa: E402

K = 10
TS = sp.symbols(f"t1:{K + 1}", positive=True)
ZS = sp.symbols(f"z1:{K + 1}", real=True)
QS = sp.symbols(f"q1:{K + 1}", positive=True)
CE = sc.cross_entropy(sc.Categorical(list(TS)), sc.Categorical.from_logits(list(ZS)))
KL = sc.kl(sc.Categorical(list(TS)), sc.Categorical(list(QS)))


def _mp_ce(t, z):
    with mpmath.workdps(60):
        z = [mpmath.mpf(float(v)) for v in z]
        m = max(z)
        lse = m + mpmath.log(mpmath.fsum(mpmath.exp(v - m) for v in z))
        T = mpmath.fsum(mpmath.mpf(float(v)) for v in t)
        value = mpmath.fsum(mpmath.mpf(float(a)) * (lse - v) for a, v in zip(t, z))
        soft = [mpmath.exp(v - lse) for v in z]
        return (float(value), [float(lse - v) for v in z],
                [float(s * T - mpmath.mpf(float(a))) for s, a in zip(soft, t)])


def _mp_kl(x, y):
    with mpmath.workdps(60):
        x = [mpmath.mpf(float(v)) for v in x]
        y = [mpmath.mpf(float(v)) for v in y]
        value = mpmath.fsum(a * mpmath.log(a / b) if a else 0 for a, b in zip(x, y))
        return (float(value), [float(mpmath.log(a / b) + 1) if a else -math.inf for a, b in zip(x, y)],
                [float(-a / b) for a, b in zip(x, y)])


def _rows(seed=0, n=60):
    g = torch.Generator().manual_seed(seed)
    t = torch.distributions.Dirichlet(torch.ones(K, dtype=torch.float64)).sample((n,))
    z = torch.randn(n, K, dtype=torch.float64, generator=g) * 5
    return t, z


def _edge_ce():
    """Large gaps with the target on the maximum (the value is log1p of a tiny remainder), tied logits,
    zero targets, logits far from 0 (z − max not exact), a gap beyond DBL_MAX."""
    t = torch.zeros(7, K, dtype=torch.float64)
    z = torch.zeros(7, K, dtype=torch.float64)
    t[0, 0] = 1.0
    z[0] = torch.tensor([3.0] + [-37.3 - i for i in range(K - 1)], dtype=torch.float64)
    t[1] = 0.1
    z[1] = 0.0  # tied
    t[2, 3] = 1.0
    z[2] = torch.linspace(-700.0, 1.0, K)
    t[3] = torch.linspace(0.0, 0.2, K)
    z[3] = torch.linspace(1e5, 1e5 + 30.1, K)
    t[4, -1] = 1.0
    z[4] = torch.tensor([1e-3 * i for i in range(K)], dtype=torch.float64)
    t[5, 0] = 0.5
    t[5, 1] = 0.5
    z[5] = torch.tensor([1e300, -1e300] + [0.0] * (K - 2), dtype=torch.float64)  # large, finite gaps
    t[6, 0], t[6, 1] = 0.75, 0.25
    z[6, 0], z[6, 1] = 1e308, -1e308  # a gap overflows, the value 5e307 does not: the careful kernel's rows
    return t, z


@pytest.mark.parametrize("rows", ["realistic", "edges"])
def test_softmax_ce_value_and_gradients_against_mpmath(rows):
    f = sc.lambdify(CE, backend="torch")
    t, z = _rows() if rows == "realistic" else _edge_ce()
    tt, zz = t.clone().requires_grad_(), z.clone().requires_grad_()
    out = f(tt, zz)
    assert out.grad_fn is not None and type(out.grad_fn).__name__ == "KClassOpBackward"  # the whole-axis op
    gt, gz = torch.autograd.grad(out.sum(), [tt, zz])
    want = [_mp_ce(a, b) for a, b in zip(t.tolist(), z.tolist())]
    assert ulp_distance(out.detach().numpy(), [w[0] for w in want]).max() <= 4
    # the gaps have no cancellation: a few ULP; softmax·Σt − t cancels where softmax ≈ t: absolute error
    # within a few ULP of the larger of the two
    assert ulp_distance(gt.numpy(), np.array([w[1] for w in want])).max() <= 4
    gz_want = np.array([w[2] for w in want])
    scale = np.maximum(np.abs(t.numpy()), np.abs(gz_want + t.numpy()))
    assert (np.abs(gz.numpy() - gz_want) <= 8 * np.spacing(scale) + 1e-300).all()


def _edge_kl():
    """Near P = Q (the KL is second order: its terms cancel), zeros in P, ratios beyond the float range."""
    g = torch.Generator().manual_seed(3)
    x = torch.distributions.Dirichlet(torch.ones(K, dtype=torch.float64)).sample((4,))
    y = x.clone()
    y[0] = x[0] * (1 + 1e-6 * torch.randn(K, dtype=torch.float64, generator=g))
    y[1] = x[1] * (1 + 1e-3 * torch.randn(K, dtype=torch.float64, generator=g))
    y[2] = torch.flip(x[2], [0])
    x[3, :3] = 0.0
    y[3, 3] = 1e-300
    x[3, 4] = 1e-310  # subnormal against 0.1: log x − log y
    return x, y


@pytest.mark.parametrize("rows", ["realistic", "edges"])
def test_categorical_kl_value_and_gradients_against_mpmath(rows):
    f = sc.lambdify(KL, backend="torch")
    if rows == "realistic":
        x, _ = _rows(1)
        y, _ = _rows(2)
    else:
        x, y = _edge_kl()
    xx, yy = x.clone().requires_grad_(), y.clone().requires_grad_()
    out = f(xx, yy)
    assert type(out.grad_fn).__name__ == "KClassOpBackward"
    gx, gy = torch.autograd.grad(out.sum(), [xx, yy])
    want = [_mp_kl(a, b) for a, b in zip(x.tolist(), y.tolist())]
    assert ulp_distance(out.detach().numpy(), [w[0] for w in want]).max() <= 4
    assert ulp_distance(gy.numpy(), np.array([w[2] for w in want])).max() <= 1
    gx_want = np.array([w[1] for w in want])
    ok = x.numpy() > 0
    # log(x/y) + 1 is 1 + a log: absolute error of a few ULP of max(1, |log(x/y)|)
    gx_want = gx_want[ok]
    err = np.abs(gx.numpy()[ok] - gx_want)
    assert (err <= 4 * np.spacing(np.maximum(1.0, np.abs(gx_want)))).all()


@pytest.mark.parametrize("d", [CE, KL], ids=["softmax CE", "categorical KL"])
def test_grouped_call_equals_one_tensor_per_class(d):
    """The (n, k) path and the one-argument-per-class path (the fused operation or the numpy bridge) give
    the same values and gradients; float32 stays float32; a (k,) row broadcasts against (n, k)."""
    f = sc.lambdify(d, backend="torch")
    t, z = _rows(5, 40)
    b = z if d is CE else _rows(6, 40)[0]
    tt, bb = t.clone().requires_grad_(), b.clone().requires_grad_()
    out = f(tt, bb)
    g1 = torch.autograd.grad(out.sum(), [tt, bb])
    t2, b2 = t.clone().requires_grad_(), b.clone().requires_grad_()
    out2 = f(*t2.unbind(-1), *b2.unbind(-1))
    g2 = torch.autograd.grad(out2.sum(), [t2, b2])
    np.testing.assert_allclose(out.detach().numpy(), out2.detach().numpy(), rtol=4e-15, atol=0)
    for a, c in zip(g1, g2):
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-13, atol=1e-15)
    o32 = f(t.float(), b.float())
    assert o32.dtype == torch.float32
    np.testing.assert_allclose(o32.double().numpy(), f(t.float().double(), b.float().double()).numpy(), rtol=1e-7)
    row = t[0].clone().requires_grad_()
    ob = f(row, b)
    assert ob.shape == (40,)
    (gr,) = torch.autograd.grad(ob.sum(), [row])
    assert gr.shape == (K,)


@pytest.mark.parametrize("d", [CE, KL], ids=["softmax CE", "categorical KL"])
def test_grouped_double_backward(d):
    f = sc.lambdify(d, backend="torch")
    t, z = _rows(7, 4)
    b = (z if d is CE else _rows(8, 4)[0]).requires_grad_()
    t = t.requires_grad_()
    assert torch.autograd.gradcheck(f, (t, b), eps=1e-7, atol=1e-6)
    assert torch.autograd.gradgradcheck(f, (t, b), eps=1e-7, atol=1e-5)


def test_torch_window_kernels_where_x_plus_y_overflows():
    """σ₁ = DBL_MAX, σ₂ one ulp below inside a mostly-near batch: x + y overflows, and s = d/(x + y) must
    come from the halved inputs (s = 0 sent the pair to the far form, which cancels: 2^−53 for −6.2e−33).
    Also the normal KL's torch function there (its log1pmx_ratio node). Reference: mpmath at 300 bits."""
    from symce.numeric.impl.torch_kernels import torch_kernels

    kern = torch_kernels()
    big = np.finfo(np.float64).max
    rng = np.random.default_rng(4)
    a = torch.as_tensor(np.concatenate([rng.uniform(1, 2, 30), [big, big, big]]))
    b = torch.as_tensor(np.concatenate([rng.uniform(1, 2, 30), [np.nextafter(big, 0), big / 3, big / 1.5]]))
    lr, kl = kern["_log1pmx_ratio"](a, b, a - b), kern["_kl_div"](b, a, a - b)
    with mpmath.workprec(300):
        for i in range(33):
            A, B = mpmath.mpf(float(a[i])), mpmath.mpf(float(b[i]))
            assert ulp_distance(float(lr[i]), float(mpmath.log(A / B) - (A - B) / B)) <= 3, i
            assert ulp_distance(float(kl[i]), float(B * mpmath.log(B / A) - B + A)) <= 2, i
    m1, m2 = sp.symbols("mu1 mu2", real=True)
    s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
    f = sc.lambdify(sc.kl(sc.Normal(m1, s1), sc.Normal(m2, s2)), backend="torch")
    zero = torch.zeros(33, dtype=torch.float64)
    got = f(zero, a, zero, b)
    with mpmath.workprec(300):
        A, B = mpmath.mpf(big), mpmath.mpf(float(np.nextafter(big, 0)))
        want = float(mpmath.log(B / A) + A**2 / (2 * B**2) - mpmath.mpf(1) / 2)
    assert ulp_distance(float(got[30]), want) <= 3, (float(got[30]), want)
