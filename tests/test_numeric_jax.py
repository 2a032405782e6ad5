"""backend='jax' (symce/numeric/jax_backend.py): values bit for bit those of the numpy backend, under jit and
vmap; gradients (custom_jvp from the symbolic derivatives) against mpmath derivatives of independent
published closed forms at 50 digits."""

import sys

import pytest

jax = pytest.importorskip("jax")

import mpmath  # noqa: E402
import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402

from symce.errors import ArgumentTypeError  # noqa: E402
from symce.numeric import BACKENDS, lambdify, verify  # noqa: E402
from symce.numeric.jax_backend import MISSING, jax_function, lambdify_jax  # noqa: E402
from symce.app.accuracy import _catalog, _numeric_ok  # noqa: E402
from symce.numeric.verify import domain_of, make_inputs  # noqa: E402

jnp = jax.numpy
CATALOG = dict(_catalog())
# every catalog formula with ≤ 12 arguments (the MVN d = 2 ones have 10), plus one k = 10 pair (20 arguments)
K10 = "KL(categorical-logits-k10 ‖ categorical-k10)"


def _args(d):
    return sorted(d.result.free_symbols, key=lambda s: s.name)


def _jax_fn(d):
    return lambdify_jax(d.result, _args(d), tuple(d.conditions))


def _formulas():
    out = []
    for name, build in CATALOG.items():
        d = build()
        if _numeric_ok(d) and (len(_args(d)) <= 12 or name == K10):
            out.append((name, d))
    return out


FORMULAS = _formulas()


def _bits(x):
    return np.asarray(x, dtype=np.float64).view(np.int64)


def test_every_formula_bit_for_bit_with_numpy_eager_and_jit():
    assert len(FORMULAS) >= 50
    for name, d in FORMULAS:
        args = _args(d)
        fj, fn = _jax_fn(d), lambdify(d, args)
        cols, _ = make_inputs(domain_of(d, args), 50, 0, grid_max=100)
        want = _bits(fn(*cols))
        # bit patterns: NaN == NaN, and −0 ≠ +0; includes subnormal inputs and results (the callbacks run
        # in the default IEEE environment, not XLA's flush-to-zero one)
        assert np.array_equal(_bits(fj(*cols)), want), name
        assert np.array_equal(_bits(jax.jit(fj)(*cols)), want), name


def test_vmap_and_broadcasting_match_numpy():
    d = CATALOG["KL(normal ‖ normal)"]()
    args = _args(d)
    fj, fn = _jax_fn(d), lambdify(d, args)
    mu1 = np.linspace(-3, 3, 7)
    mu2, s1, s2 = np.array([0.5, -1.0, 2.0]), 1.5, np.array([0.3, 1.0, 7.0])
    # a batched axis (mu1) against unbatched arguments of a larger rank: the batch axis must not be
    # right-aligned against theirs on the host
    got = jax.vmap(fj, in_axes=(0, None, None, None))(mu1, mu2, s1, s2)
    want = fn(mu1[:, None], mu2, s1, s2)
    assert got.shape == (7, 3) and np.array_equal(_bits(got), _bits(want))
    got = jax.jit(jax.vmap(jax.vmap(fj, in_axes=(0, None, None, 0)), in_axes=(None, 0, None, None)))(
        mu1[:3], mu2, s1, s2)
    want = fn(mu1[:3][None, :], mu2[:, None], s1, s2[None, :])
    assert np.array_equal(_bits(got), _bits(want))
    assert fj(0.0, 1.0, 1.0, 2.0).shape == () and fj(mu1, 0.0, 1.0, 2.0).shape == (7,)


# -- gradients against independent closed forms ---------------------------------------------------------------
# The oracles are the published closed forms, differentiated by mpmath.diff (high-precision finite
# differences) at 50 digits, so the reference is exact to far below float64. The gradient code is a few
# float64 operations on moderate inputs chosen away from cancellation, so its error is a few ULP of the
# largest term (measured: ≤ 3 ULP of max(|g|, 1) at every point below); the tolerance 1e-14 relative to
# max(|g|, scale) (≈ 45 ULP at 1) leaves room for those roundings and for the product g·ẋ the custom_jvp
# forms, while any wrong derivative (a sign, a missing term, the chain rule through σ) is off by O(1).
MP_DPS = 50  # set around each test of this module by conftest.py


def _mp_grad(F, point):
    with mpmath.workdps(50):
        x = [mpmath.mpf(v) for v in point]
        return [float(mpmath.diff(F, x, tuple(int(j == i) for j in range(len(x))))) for i in range(len(x))]


def _close(got, want, scale=1.0, rtol=1e-14):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert np.all(np.abs(got - want) <= rtol * np.maximum(np.abs(want), scale)), (got, want)


def _bce_logits(p, z):
    # binary cross-entropy of a probability target p with a logit z: −[p log σ(z) + (1 − p) log(1 − σ(z))]
    # (e.g. the definition of PyTorch's BCEWithLogitsLoss); 1 − σ(z) = σ(−z)
    s = lambda v: 1 / (1 + mpmath.exp(-v))  # noqa: E731
    return -(p * mpmath.log(s(z)) + (1 - p) * mpmath.log(s(-z)))


@pytest.mark.parametrize("p,z", [(0.3, 1.7), (0.0, -20.0), (1.0, 35.0), (0.25, -40.0), (0.9, 0.0), (0.5, 600.0)])
def test_grad_bce_with_logits(p, z):
    d = CATALOG["CE(bernoulli ‖ bernoulli-logit)"]()
    assert [s.name for s in _args(d)] == ["p1", "z2"]
    f = _jax_fn(d)
    want = _mp_grad(_bce_logits, (p, z))
    _close(jax.grad(f, argnums=(0, 1))(p, z), want, scale=1.0)
    _close(jax.jit(jax.grad(f, argnums=1))(p, z), want[1])
    # second derivative in z: σ(z)(1 − σ(z)), through the derivative function's own custom_jvp. Only at
    # moderate z: the generated second derivative is p·σ(−z)(1 − σ(−z)) − p·σ(z)(1 − σ(z)) + σ(z)(1 − σ(z)),
    # whose p terms cancel only in exact arithmetic (at z = −40, 1 − σ(40) rounds to 0: 25 % off) — the
    # backend promises accurate values and first derivatives, not second ones
    if abs(z) <= 2:
        with mpmath.workdps(50):
            s = 1 / (1 + mpmath.exp(-mpmath.mpf(z)))
            _close(jax.grad(jax.grad(f, argnums=1), argnums=1)(p, z), float(s * (1 - s)), rtol=1e-13)


def _normal_kl(m1, m2, s1, s2):
    # KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½ (Kullback 1959; e.g. Bishop,
    # Pattern Recognition and Machine Learning, exercise 1.30)
    return mpmath.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - mpmath.mpf(1) / 2


@pytest.mark.parametrize("pt", [(0.3, -1.2, 0.7, 2.5), (5.0, 5.0, 1.0, 1.0 + 2 ** -20), (-3.0, 4.0, 10.0, 0.01)])
def test_grad_normal_kl(pt):
    d = CATALOG["KL(normal ‖ normal)"]()
    assert [s.name for s in _args(d)] == ["mu1", "mu2", "sigma1", "sigma2"]
    f = _jax_fn(d)
    want = _mp_grad(_normal_kl, pt)
    _close(jax.grad(f, argnums=(0, 1, 2, 3))(*pt), want, scale=1.0)
    # vmap of grad over a batch: each row its own point
    batch = [np.array([v, v]) for v in pt]
    g = jax.vmap(jax.grad(f, argnums=(0, 1, 2, 3)))(*batch)
    _close(np.array(g)[:, 0], want, scale=1.0)


def _mvn_kl_full(s1_11, s1_12, s1_22, s2_11, s2_12, s2_22, m1_1, m1_2, m2_1, m2_2):
    # KL(N(μ₁, Σ₁) ‖ N(μ₂, Σ₂)) = ½[tr(Σ₂⁻¹Σ₁) + (μ₂ − μ₁)ᵀΣ₂⁻¹(μ₂ − μ₁) − d + ln(det Σ₂ / det Σ₁)]
    # (Duchi, "Derivations for linear algebra and optimization", §9; Rasmussen & Williams, GPML, eq. A.23)
    S1 = mpmath.matrix([[s1_11, s1_12], [s1_12, s1_22]])
    S2 = mpmath.matrix([[s2_11, s2_12], [s2_12, s2_22]])
    dm = mpmath.matrix([m2_1 - m1_1, m2_2 - m1_2])
    S2i = S2 ** -1
    tr = sum((S2i * S1)[i, i] for i in range(2))
    quad = (dm.T * S2i * dm)[0, 0]
    return (tr + quad - 2 + mpmath.log(mpmath.det(S2) / mpmath.det(S1))) / 2


def test_grad_mvn_kl_full_covariance():
    d = CATALOG["KL(mvnormal-d2-full ‖ mvnormal-d2-full)"]()
    assert [s.name for s in _args(d)] == ["Sigma1_11", "Sigma1_12", "Sigma1_22", "Sigma2_11", "Sigma2_12",
                                          "Sigma2_22", "mu1_1", "mu1_2", "mu2_1", "mu2_2"]
    f = _jax_fn(d)
    pt = (2.0, 0.3, 1.5, 1.2, -0.4, 0.8, 0.1, -0.7, 1.3, 0.25)
    want = _mp_grad(_mvn_kl_full, pt)
    got = jax.jit(jax.grad(f, argnums=tuple(range(10))))(*pt)
    _close(got, want, scale=1.0)


def test_grad_skips_arguments_not_differentiated():
    # ∂H/∂p is infinite at p = 0 for Bernoulli entropy; the jvp rule never multiplies it by a zero tangent
    d = CATALOG["CE(bernoulli ‖ bernoulli-logit)"]()
    f = _jax_fn(d)
    assert float(jax.grad(f, argnums=1)(0.0, 3.0)) == pytest.approx(1 / (1 + np.exp(-3.0)), rel=1e-15)


# -- jax_function directly, errors, verify ------------------------------------------------------------------
def test_jax_function_with_numpy_derivatives():
    x, y = sp.symbols("x y", real=True)
    f_np = lambdify(x * y + sp.sin(x), [x, y])
    grads = [lambdify(y + sp.cos(x), [x, y]), lambdify(x, [x, y])]
    f = jax_function(f_np, grads, 2)
    assert f.backend == "jax"
    _close(jax.grad(f, argnums=(0, 1))(0.5, 2.0), [2.0 + np.cos(0.5), 0.5])
    with pytest.raises(ArgumentTypeError, match="takes 2 arguments"):
        f(1.0)


def test_matrix_expression_rejected():
    x = sp.Symbol("x")
    with pytest.raises(ArgumentTypeError, match="scalar expression"):
        lambdify_jax(sp.Matrix([x, x ** 2]), [x])


def test_missing_jax_message(monkeypatch):
    d = CATALOG["H(bernoulli)"]()
    monkeypatch.setitem(sys.modules, "jax", None)  # `import jax` now raises ImportError
    with pytest.raises(ArgumentTypeError) as e:
        lambdify_jax(d.result, _args(d))
    assert str(e.value) == MISSING == "backend 'jax' needs jax installed (pip install jax)"
    if "jax" in BACKENDS:
        with pytest.raises(ArgumentTypeError, match="needs jax installed"):
            lambdify(d, backend="jax")


def test_x64_switched_off_raises():
    d = CATALOG["H(bernoulli)"]()
    f = _jax_fn(d)
    jax.config.update("jax_enable_x64", False)
    try:
        with pytest.raises(ArgumentTypeError, match="jax_enable_x64"):
            f(0.5)
    finally:
        jax.config.update("jax_enable_x64", True)


@pytest.mark.skipif("jax" not in BACKENDS, reason="lambdify's 'jax' entry not wired yet")
def test_lambdify_backend_jax():
    d = CATALOG["KL(bernoulli ‖ bernoulli)"]()
    f = lambdify(d, backend="jax")
    assert f.backend == "jax" and [s.name for s in f.args] == ["p1", "p2"]
    p1, p2 = np.array([0.0, 1e-300, 0.3, 1.0]), np.array([0.5, 0.5, 0.3 + 1e-12, 0.5])
    assert np.array_equal(_bits(f(p1, p2)), _bits(lambdify(d)(p1, p2)))


def test_verify_accepts_jax_functions():
    d = CATALOG["CE(bernoulli-logit ‖ bernoulli-logit)"]()
    f = _jax_fn(d)
    rep = verify(f, d, n=200, grid_max=100, seed=0)
    ref = verify(lambdify(d), d, n=200, grid_max=100, seed=0)
    assert rep.max_ulp == ref.max_ulp and rep.nonfinite == 0

    def only_jax(z1, z2):  # needs jax arrays (numpy arrays and floats have no .at)
        return f(z1.at[:].get(), z2)

    got = ref.against(only_jax, "jax", mode="jax")
    assert np.array_equal(_bits(got.computed), _bits(ref.computed))
