"""backend="torch": the same values as the numpy backend over the catalog (the numpy bridge of
symce.numeric.impl.torch_bridge), float64 tensors of the broadcast shape, and autograd gradients that
agree with finite differences and with the numpy-lambdified symbolic gradient (symce.engine.derivation)."""

import numpy as np
import pytest
import sympy as sp

torch = pytest.importorskip("torch")

from symce.engine import derivation as calculus  # noqa: E402
from symce.numeric import lambdify  # noqa: E402
from symce.numeric.functions import StableFunction  # noqa: E402
from symce.numeric.impl.torch_bridge import needs_bridge  # noqa: E402
from symce.app.accuracy import GOALS, _catalog, _numeric_ok  # noqa: E402
from symce.numeric.verify import domain_of, make_inputs, ulp_distance, verify  # noqa: E402

CATALOG = dict(_catalog())


def _derive(name):
    d = CATALOG[name]()
    if not _numeric_ok(d):
        pytest.skip(f"{name} has no numeric form")
    return d, sorted(d.result.free_symbols, key=lambda s: s.name)


def _torch_native(expr) -> set:
    """The stable functions of expr that run as torch kernels (not bridged to numpy)."""
    return {type(f).__name__ for f in expr.atoms(StableFunction) if not needs_bridge(f)}


@pytest.mark.parametrize("name", list(CATALOG))
def test_torch_equals_numpy_on_the_verifier_inputs(name):
    d, args = _derive(name)
    cols, _ = make_inputs(domain_of(d, args), 100, 0, grid_max=200)
    with np.errstate(all="ignore"):
        want = lambdify(d, args)(*cols)
    ft = lambdify(d, args, backend="torch")
    got = ft(*[torch.as_tensor(c, dtype=torch.float64) for c in cols])
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float64 and got.shape == want.shape
    u = ulp_distance(got.numpy(), want)
    worst = int(np.argmax(u))
    # fused: one torch operation of torch kernels (symce.numeric.impl.torch_fused), else bridged nodes
    native = hasattr(ft, "op") or (_torch_native(ft.expr) & {"logit_xent", "softmax_kl", "softmax_xent",
                                                              "logsumexp", "softmax"})
    if not native:
        assert u.max() <= 1, (name, float(u.max()), [float(c[worst]) for c in cols])
        return
    # torch kernels (torch's exp/log/log1p round differently from numpy's in the last place, and a torch
    # kernel need not be numpy's fast one): as accurate as numpy (or the goal) against the exact value
    rep = verify(lambdify(d, args), d, args, n=100, grid_max=200, seed=0)
    rt = rep.against(ft, "torch", mode="torch")
    assert rt.nonfinite == 0 and rt.max_ulp <= max(rep.max_ulp, GOALS["k-class"]), (name, rt.max_ulp, rep.max_ulp)


def _formula(prefix, kind):
    return next(n for n in CATALOG if n.startswith(prefix) and kind in n)


def test_broadcast_shape_and_scalars():
    d, args = _derive("KL(bernoulli ‖ bernoulli-logit)")
    f = lambdify(d, args, backend="torch")
    p = torch.tensor([[0.1], [0.5], [0.9]], dtype=torch.float64)
    z = torch.tensor([-3.0, 0.0, 2.0, 40.0], dtype=torch.float64)
    out = f(*(p, z) if args[0].name < args[1].name else (z, p))
    assert out.shape == (3, 4) and out.dtype == torch.float64
    scalar = f(0.25, 0.5)
    assert isinstance(scalar, torch.Tensor) and scalar.shape == () and scalar.dtype == torch.float64


def test_verify_torch_mode():
    d, args = _derive("KL(categorical-logits-k3 ‖ categorical-k3)")
    rep = verify(lambdify(d, args, backend="torch"), d, args, n=200, grid_max=200, mode="torch")
    assert rep.nonfinite == 0 and rep.max_ulp <= 4


# a moderate point: every parameter inside the middle of its domain interval cut to [−1.5, 1.5] (probabilities
# in (0.1, 0.9), logits, means and Cholesky entries O(1)), each simplex group a Dirichlet draw
def _moderate_point(d, args, seed=1):
    rng = np.random.default_rng(seed)
    dom = domain_of(d, args)
    point = []
    for lo, hi, *_ in dom.intervals:
        lo, hi = max(lo, -1.5), min(hi, 1.5)
        w = hi - lo
        point.append(float(rng.uniform(lo + 0.1 * w, hi - 0.1 * w)))
    for g in dom.simplex:
        for i, v in zip(g, rng.dirichlet(np.full(len(g), 4.0))):
            point[i] = float(v)
    assert not dom.spd  # the gradient cases take Cholesky factors or scalar parameters
    return point


GRADIENT_CASES = ["CE(bernoulli ‖ bernoulli-logit)",  # binary cross-entropy with logits
                  "KL(bernoulli ‖ bernoulli-logit)",
                  "KL(mvnormal-d2 ‖ mvnormal-d2)",
                  "KL(categorical-logits-k3 ‖ categorical-k3)"]


@pytest.mark.parametrize("name", GRADIENT_CASES)
def test_autograd_gradient(name):
    d, args = _derive(name)
    f = lambdify(d, args, backend="torch")
    point = _moderate_point(d, args)
    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    out = f(*xs)
    grads = torch.autograd.grad(out, xs)
    # the symbolic gradient of the derivation (symce.engine.derivation), lambdified with numpy: an independent route
    g = calculus.gradient(d, args)
    want = [float(lambdify(g.result[i], args)(*point)) for i in range(len(args))]
    got = [float(t) for t in grads]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    # central finite differences of the numpy function (step ~ eps^{1/3} relative)
    fn = lambdify(d, args)
    for i, v in enumerate(point):
        h = 1e-5 * max(1.0, abs(v))
        hi, lo = list(point), list(point)
        hi[i], lo[i] = v + h, v - h
        fd = (float(fn(*hi)) - float(fn(*lo))) / (2 * h)
        assert abs(fd - got[i]) <= 1e-6 * max(1.0, abs(fd)), (name, args[i], fd, got[i])


def test_gradcheck_on_batches():
    d, args = _derive("CE(bernoulli ‖ bernoulli-logit)")
    f = lambdify(d, args, backend="torch")
    gen = torch.Generator().manual_seed(0)
    p = (torch.rand(5, generator=gen, dtype=torch.float64) * 0.8 + 0.1).requires_grad_()
    z = (torch.randn(5, generator=gen, dtype=torch.float64) * 2).requires_grad_()
    ins = (p, z) if args[0].name < args[1].name else (z, p)
    assert torch.autograd.gradcheck(f, ins, eps=1e-6, atol=1e-7)
    # a broadcast input gets its gradient summed down to its own shape
    p0 = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    out = f(*((p0, z) if args[0].name < args[1].name else (z, p0)))
    (gp,) = torch.autograd.grad(out.sum(), [p0])
    assert gp.shape == ()


def test_second_derivative():
    """The derivative bridges are themselves differentiable: d²/dz² of BCE with logits is σ(z)(1 − σ(z))."""
    d, args = _derive("CE(bernoulli ‖ bernoulli-logit)")
    f = lambdify(d, args, backend="torch")
    zsym = next(a for a in args if "p" not in a.name)
    point = {a: (0.3 if a is not zsym else 1.25) for a in args}
    xs = [torch.tensor(point[a], dtype=torch.float64, requires_grad=True) for a in args]
    iz = args.index(zsym)
    (gz,) = torch.autograd.grad(f(*xs), [xs[iz]], create_graph=True)
    (hzz,) = torch.autograd.grad(gz, [xs[iz]])
    s = 1 / (1 + np.exp(-1.25))
    assert float(hzz) == pytest.approx(s * (1 - s), rel=1e-12)


def test_plain_expression():
    """An expression (not a derivation) with a bridged kernel: x log(x/y) − x + y."""
    from symce.numeric.functions import kl_div

    x, y = sp.symbols("x y", positive=True)
    f = lambdify(kl_div(x, y), [x, y], backend="torch")
    xs = torch.tensor([1.0, 2.0, 1e-300], dtype=torch.float64, requires_grad=True)
    ys = torch.tensor([1.0 + 1e-12, 3.0, 1.0], dtype=torch.float64)
    out = f(xs, ys)
    want = lambdify(kl_div(x, y), [x, y])(xs.detach().numpy(), ys.numpy())
    np.testing.assert_array_equal(out.detach().numpy(), want)
    (g,) = torch.autograd.grad(out.sum(), [xs])
    np.testing.assert_allclose(g.numpy(), np.log(xs.detach().numpy() / ys.numpy()), rtol=1e-12, atol=1e-300)
