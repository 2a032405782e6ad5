"""Training steps (value and gradient in one fused pass, blocks of 2¹⁶) of the Bernoulli entropy and KL and
the normal KL on the torch backend, at hard points embedded in a long batch of realistic inputs, against
the textbook definitions in mpmath; double backward by gradgradcheck at a few points. The kernels on that
path select their forms arithmetically over whole blocks (symce/numeric/impl/torch_near_kl.py,
torch_kernels.py), so hard points share blocks with ordinary ones here.
References: H(p) = −p log p − (1 − p) log(1 − p), H′(p) = log((1 − p)/p); KL(p‖q) = p log(p/q) + (1 − p)
log((1 − p)/(1 − q)), ∂/∂q = (q − p)/(q(1 − q)); normal KL = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½ with
∂/∂μ₂ = (μ₂ − μ₁)/σ₂², ∂/∂σ₂ = 1/σ₂ − (σ₁² + (μ₁ − μ₂)²)/σ₂³ (Cover & Thomas, 2nd ed.)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc

torch = pytest.importorskip("torch")

_N = 140_000  # > 2·2¹⁶: the blocked training step
_p, _q = sp.symbols("p q", positive=True)
_m1, _m2 = sp.symbols("mu1 mu2", real=True)
_s1, _s2 = sp.symbols("sigma1 sigma2", positive=True)


def _ulps(got, want):
    return abs(got - want) / math.ulp(want) if want else (0.0 if got == 0 else math.inf)


def _batch(hard, low, high, seed):
    """hard points first, then uniform fill up to _N (float64 tensors, one per column)."""
    rng = np.random.default_rng(seed)
    cols = [np.concatenate([np.array(c, dtype=np.float64), rng.uniform(lo, hi, _N - len(c))])
            for c, lo, hi in zip(zip(*hard), low, high)]
    return [torch.as_tensor(c) for c in cols]


def _step(f, xs, grad_at):
    ins = [x.clone().requires_grad_(j in grad_at) for j, x in enumerate(xs)]
    out = f(*ins)
    grads = torch.autograd.grad(out.sum(), [ins[j] for j in grad_at])
    return out.detach(), [g.detach() for g in grads]


def test_bernoulli_entropy_training_step():
    f = sc.lambdify(sc.entropy(sc.Bernoulli(_p)), [_p], backend="torch")
    hard = [(1e-300,), (1e-9,), (0.01,), (0.3,), (1 / math.e,), (0.7,), (1 - 2.0 ** -40,), (0.999,)]
    (p,) = _batch(hard, [0.0], [1.0], 0)
    value, (grad,) = _step(f, [p], (0,))
    with mpmath.workdps(60):
        for k, (pv,) in enumerate(hard):
            x = mpmath.mpf(pv)
            assert _ulps(float(value[k]), float(-x * mpmath.log(x) - (1 - x) * mpmath.log1p(-x))) <= 3, pv
            assert _ulps(float(grad[k]), float(mpmath.log1p(-x) - mpmath.log(x))) <= 3, pv


def test_bernoulli_kl_training_step():
    f = sc.lambdify(sc.kl(sc.Bernoulli(_p), sc.Bernoulli(_q)), [_p, _q], backend="torch")
    hard = [(0.3, 0.3 + 1e-12), (0.5, 0.5 - 1e-9), (0.2, 0.9), (1e-300, 0.5), (0.999, 0.001), (0.4, 0.4)]
    p, q = _batch(hard, [0.0, 0.0], [1.0, 1.0], 1)
    value, (gq,) = _step(f, [p, q], (1,))
    with mpmath.workdps(60):
        for k, (pv, qv) in enumerate(hard):
            a, b = mpmath.mpf(pv), mpmath.mpf(qv)
            kl = a * mpmath.log(a / b) + (1 - a) * (mpmath.log1p(-a) - mpmath.log1p(-b))
            assert _ulps(float(value[k]), float(kl)) <= 3, (pv, qv)
            assert _ulps(float(gq[k]), float((b - a) / (b * (1 - b)))) <= 3, (pv, qv)


def test_normal_kl_training_step():
    f = sc.lambdify(sc.kl(sc.Normal(_m1, _s1), sc.Normal(_m2, _s2)), [_m1, _s1, _m2, _s2], backend="torch")
    hard = [(0.0, 1.0, 0.0, 1.0 + 1e-9), (0.0, 0.3, 0.0, 1.5), (1.0, 2.0, 1.0, 0.401), (0.5, 1e-110, 0.5, 1.1e-110),
            (3.0, 7.0, -2.0, 0.2), (0.0, 2.0, 0.0, 9.99)]
    m1, s1, m2, s2 = _batch(hard, [-10, 0.1, -10, 0.1], [10, 10, 10, 10], 2)
    value, (gm, gs) = _step(f, [m1, s1, m2, s2], (2, 3))
    with mpmath.workdps(60):
        for k, pt in enumerate(hard):
            a, v1, b, v2 = (mpmath.mpf(x) for x in pt)
            kl = mpmath.log(v2 / v1) + (v1**2 + (a - b) ** 2) / (2 * v2**2) - mpmath.mpf(1) / 2
            assert _ulps(float(value[k]), float(kl)) <= 3, pt
            assert _ulps(float(gm[k]), float((b - a) / v2**2)) <= 3 or a == b, pt
            assert _ulps(float(gs[k]), float(1 / v2 - (v1**2 + (a - b) ** 2) / v2**3)) <= 3, pt


@pytest.mark.parametrize("which", ["bernoulli-kl", "normal-kl"])
def test_gradgradcheck(which):
    gen = torch.Generator().manual_seed(3)
    if which == "bernoulli-kl":
        f = sc.lambdify(sc.kl(sc.Bernoulli(_p), sc.Bernoulli(_q)), [_p, _q], backend="torch")
        xs = [torch.rand(4, generator=gen, dtype=torch.float64) * 0.8 + 0.1 for _ in range(2)]
    else:
        f = sc.lambdify(sc.kl(sc.Normal(_m1, _s1), sc.Normal(_m2, _s2)), [_m1, _s1, _m2, _s2], backend="torch")
        xs = [torch.randn(4, generator=gen, dtype=torch.float64) if i % 2 == 0 else
              torch.rand(4, generator=gen, dtype=torch.float64) * 3 + 0.2 for i in range(4)]
    xs = [x.requires_grad_() for x in xs]
    assert torch.autograd.gradcheck(f, xs, eps=1e-6, atol=1e-6)
    assert torch.autograd.gradgradcheck(f, xs, eps=1e-6, atol=1e-5)


def test_rational_log_sum_log_of_one_plus_an_input_is_log1p_in_torch():
    # log(1 − p) with the difference −p an input: printed as log1p(−p) (torch_fused._log_ratio_form), so the
    # Bernoulli entropy's gradient takes one pass there; log(σ) with σ − 1 computed keeps the log ratio
    from symce.numeric.functions import rational_log_sum
    from symce.numeric.impl.torch_fused import _log_ratio_form

    lp = _log_ratio_form(rational_log_sum(0, 0, 1, 1 - _p))
    assert lp.has(sp.Function("_log1p")) and lp.atoms(sp.Function).pop().args == (-_p,)
    ls = _log_ratio_form(rational_log_sum(0, 0, 1, _s1))
    assert not ls.has(sp.Function("_log1p"))
