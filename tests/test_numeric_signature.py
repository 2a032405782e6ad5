"""The generated function's signature: the distributions' parameters in declaration order (P's, then Q's),
by name, keywords accepted, k-class parameters as (n, k) arrays, dtype kept; ``args=`` for an explicit
order; user text (``args=`` strings, symbol names) never reaches generated source. References: scipy's
logsumexp form of the softmax cross-entropy −Σ t_i (z_i − logsumexp z) and the textbook BCE
log(1 + e^z) − t z, evaluated by numpy/scipy independently of symce."""

import inspect

import numpy as np
import pytest
import scipy.special as ss
import sympy as sp

import symce as sc
from symce.errors import ArgumentTypeError

t, z = sp.symbols("t z", real=True)
BCE = sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli.from_logit(z))
K = 10
TS = sp.symbols(f"t1:{K + 1}", positive=True)
ZS = sp.symbols(f"z1:{K + 1}", real=True)
SOFTMAX_CE = sc.cross_entropy(sc.Categorical(list(TS)), sc.Categorical.from_logits(list(ZS)))


def _bce(tv, zv):
    """log(1 + e^z) − t z by mpmath at 50 digits (the float formula cancels at t = 1, z ≫ 0)."""
    import mpmath

    with mpmath.workdps(50):
        f = np.vectorize(lambda a, b: float(mpmath.log(1 + mpmath.exp(mpmath.mpf(float(b)))) - mpmath.mpf(float(a)) * float(b)))
        return f(tv, zv)


def test_declaration_order_names_and_keywords():
    mu1, mu2 = sp.symbols("mu1 mu2", real=True)
    s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
    f = sc.lambdify(sc.kl(sc.Normal(mu1, s1), sc.Normal(mu2, s2)))
    assert list(inspect.signature(f).parameters) == ["mu1", "sigma1", "mu2", "sigma2"]
    assert "mu1" in f.__doc__ and "sigma2" in f.__doc__
    want = np.log(3 / 2) + (4 + 0.25) / (2 * 9) - 0.5  # KL(N(0.5, 2²) ‖ N(0, 3²))
    assert f(0.5, 2.0, 0.0, 3.0) == pytest.approx(want, rel=1e-15)
    assert f(sigma2=3.0, mu2=0.0, sigma1=2.0, mu1=0.5) == pytest.approx(want, rel=1e-15)
    assert f(0.5, 2.0, sigma2=3.0, mu2=0.0) == pytest.approx(want, rel=1e-15)
    with pytest.raises(ArgumentTypeError, match="sigma3"):
        f(0.5, 2.0, 0.0, sigma3=3.0)


def test_k_class_parameters_as_arrays():
    f = sc.lambdify(SOFTMAX_CE)
    assert list(inspect.signature(f).parameters) == ["t", "z"]
    assert [s.name for s in f.args] == [f"t{i}" for i in range(1, K + 1)] + [f"z{i}" for i in range(1, K + 1)]
    rng = np.random.default_rng(0)
    T = rng.dirichlet(np.ones(K), size=50)
    Z = rng.normal(0, 5, size=(50, K))
    want = -(T * (Z - ss.logsumexp(Z, axis=-1, keepdims=True))).sum(-1)
    np.testing.assert_allclose(f(T, Z), want, rtol=1e-13)
    np.testing.assert_allclose(f(t=T, z=Z), want, rtol=1e-13)
    np.testing.assert_allclose(f(*T.T, *Z.T), want, rtol=1e-13)  # one argument per symbol, in f.args order
    np.testing.assert_allclose(f(T[0], Z), want[:1] * 0 + f(np.broadcast_to(T[0], Z.shape), Z), rtol=0)  # broadcast
    with pytest.raises(ArgumentTypeError, match="trailing shape"):
        f(T[:, :3], Z)


def test_float32_kept():
    f = sc.lambdify(BCE)
    tv = np.array([0.0, 0.3, 1.0], dtype=np.float32)
    zv = np.array([-2.0, 0.5, 40.0], dtype=np.float32)
    out = f(tv, zv)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, _bce(tv.astype(float), zv.astype(float)), rtol=1e-6)
    assert f(0.3, 0.5).dtype == np.float64


def test_args_keeps_working():
    f = sc.lambdify(BCE, [z, t])
    assert list(inspect.signature(f).parameters) == ["z", "t"]
    assert f(0.5, 0.3) == pytest.approx(_bce(0.3, 0.5), rel=1e-15)
    g = sc.lambdify(BCE, ["z", "t"])  # names of the expression's symbols
    assert g.args == (z, t) and g(0.5, 0.3) == f(0.5, 0.3)


def test_natural_order_for_expressions():
    x = sp.symbols("x1:12")
    f = sc.lambdify(sum(x))
    assert [s.name for s in f.args] == [f"x{i}" for i in range(1, 12)]


BACKENDS = ["numpy", "scipy", "math", "mpmath"]


@pytest.mark.parametrize("backend", BACKENDS + ["torch"])
@pytest.mark.parametrize("stable", [True, False])
def test_args_payload_creates_no_file(tmp_path, backend, stable):
    if backend == "torch":
        pytest.importorskip("torch")
    marker = tmp_path / "pwned"
    payload = f"x=__import__('os').system('touch {marker}')"
    x = sp.Symbol("x", real=True)
    with pytest.raises(ArgumentTypeError, match="args"):
        sc.lambdify(sp.log(1 + sp.exp(x)), [payload], backend=backend, stable=stable)
    assert not marker.exists()


@pytest.mark.parametrize("backend", BACKENDS + ["torch"])
@pytest.mark.parametrize("stable", [True, False])
def test_symbol_name_payload_creates_no_file(tmp_path, backend, stable):
    if backend == "torch":
        pytest.importorskip("torch")
    marker = tmp_path / "pwned"
    evil = sp.Symbol(f"x=__import__('os').system('touch {marker}')", real=True)
    f = sc.lambdify(sp.log(1 + sp.exp(evil)) - evil / 2, backend=backend, stable=stable)
    assert not marker.exists()
    assert float(f(0.5)) == pytest.approx(float(np.logaddexp(0, 0.5) - 0.25), rel=1e-14)
    assert not marker.exists()
    assert all(p.isidentifier() and "__import__" not in p for p in inspect.signature(f).parameters)
    assert "__import__" not in getattr(f, "source", "")


def test_mvn_parameters_as_arrays():
    """KL(N(μ₁, Σ₁) ‖ N(μ₂, Σ₂)) with (n, d) means and (n, d, d) covariances, against the textbook
    ½[tr(Σ₂⁻¹Σ₁) + (μ₂ − μ₁)ᵀΣ₂⁻¹(μ₂ − μ₁) − d + log det Σ₂/det Σ₁] by numpy.linalg."""
    from symce.app.accuracy import _catalog

    d = dict(_catalog())["KL(mvnormal-d2-full ‖ mvnormal-d2-full)"]()
    f = sc.lambdify(d)
    assert list(inspect.signature(f).parameters) == ["mu1", "Sigma1", "mu2", "Sigma2"]
    rng = np.random.default_rng(0)
    n = 20
    m1, m2 = rng.normal(size=(n, 2)), rng.normal(size=(n, 2))
    A, B = rng.normal(size=(n, 2, 2)), rng.normal(size=(n, 2, 2))
    S1, S2 = A @ A.transpose(0, 2, 1) + np.eye(2), B @ B.transpose(0, 2, 1) + np.eye(2)
    iS2, dm = np.linalg.inv(S2), m2 - m1
    want = 0.5 * (np.trace(iS2 @ S1, axis1=1, axis2=2) + np.einsum("ni,nij,nj->n", dm, iS2, dm) - 2
                  + np.log(np.linalg.det(S2) / np.linalg.det(S1)))
    np.testing.assert_allclose(f(m1, S1, m2, S2), want, rtol=1e-12)
    np.testing.assert_allclose(f(m1, S1, m2[0], S2[0]), f(m1, S1, np.broadcast_to(m2[0], m1.shape),
                                                             np.broadcast_to(S2[0], S1.shape)), rtol=0)


def test_docstring_node_count_is_preorder_traversals():
    """The docstring's size cut (signature._nodes_beyond, a stack walk) counts exactly the nodes
    sympy.preorder_traversal yields, at and around each expression's count."""
    from symce.numeric.signature import _DOC_NODES, _nodes_beyond

    x, y, z, n = sp.symbols("x y z n")
    exprs = [x, sp.S(2), x + y, sp.Max(x, y, z), sp.Sum(x ** n, (n, 1, y)), sp.Piecewise((x, y > 0), (1, True)),
             sp.ImmutableMatrix([[x, y], [z, x * y]]), sp.expand((x + y + z) ** 12), (x + y) ** 20 * sp.log(z)]
    for e in exprs:
        count = sum(1 for _ in sp.preorder_traversal(e))
        for limit in range(max(0, count - 2), count + 3):
            assert _nodes_beyond(e, limit) == (count > limit), (e, limit, count)
    big = sp.expand((x + y + z + n) ** 12)
    f = sc.lambdify(big)
    assert sum(1 for _ in sp.preorder_traversal(big)) > _DOC_NODES + 1
    assert f.__doc__.startswith(f"(an expression of more than {_DOC_NODES} nodes")


def test_docstring_text_is_sstrs():
    """The docstring's printer (each shared subexpression printed once) writes sympy.sstr(e, order="none")'s
    text: shared factors, Floats of one value at different precisions (equal, printed differently), nested
    Floats (trailing zeros stripped) and a Float root (kept)."""
    from symce.numeric.signature import _shown

    x, y = sp.symbols("x y", positive=True)
    shared = sp.log(1 + sp.exp(x - y)) * sp.gamma(y)
    exprs = [shared ** 2 + x * shared + 1 / shared, sp.Float(0.5, 15) * x + sp.Float(0.5, 30) * y,
             sp.Float(2.5, 20), sp.Float("1.25000", 30) + sp.Integer(3) / 4 + x ** sp.Rational(1, 3),
             sp.ImmutableMatrix([[shared, shared * x], [sp.Sum(x ** y, (y, 0, 5)), 2]]), sp.Piecewise((shared, x > 1), (0, True))]
    for e in exprs:
        assert _shown(e) == sp.sstr(e, order="none"), e
