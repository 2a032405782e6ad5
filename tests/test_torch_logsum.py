"""The native torch ``rational_log_sum`` kernel (symce/numeric/impl/torch_logsum.py, issue 12): the
exponential, half-normal, log-normal and normal cross-entropies on the torch backend at the inputs where their
rational part and logarithm cancel, against the textbook formulas in mpmath (the same references as
tests/test_accuracy_log_curves.py: E_P[−log q(X)] from P's moments; the normal's from Gil, Alajaji & Linder
2013, Table 3), with no numpy bridge for the node.
"""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp

import symce as sc

torch = pytest.importorskip("torch")

lam1, lam2, s1, s2 = sp.symbols("lambda1 lambda2 sigma1 sigma2", positive=True)
m1, m2 = sp.symbols("mu1 mu2", real=True)
_CURVE_EXP = 296.19908735588035 / math.log(296.19908735588035)  # λ₂/λ₁ = log λ₂: CE ≈ 1e-17
_CURVE_HN = math.exp(-math.log(math.pi / 2) / 2 - 0.5)  # σ₁ = σ₂ on the half-normal's curve

# (derivation, arguments, textbook CE as a SymPy formula of the arguments, hard points, points on the curve)
CASES = {
    "exponential": (lambda: sc.cross_entropy(sc.Exponential(lam1), sc.Exponential(lam2)), [lam1, lam2],
                    -sp.log(lam2) + lam2 / lam1,
                    [(52.25252974223789, 296.19908735588035), (12.314723150044129, 45.17073155382814),
                     (81.75783397051751, 525.4184578081706)], [(_CURVE_EXP, 296.19908735588035)]),
    "half-normal": (lambda: sc.cross_entropy(sc.HalfNormal(s1), sc.HalfNormal(s2)), [s1, s2],
                    sp.log(sp.pi / 2) / 2 + sp.log(s2) + s1 ** 2 / (2 * s2 ** 2),
                    [(0.5, 0.5000000005), (0.5, 0.4999995), (0.007379087086497694, 0.0022427301540339163)],
                    [(_CURVE_HN, _CURVE_HN)]),
    "log-normal": (lambda: sc.cross_entropy(sc.LogNormal(m1, s1), sc.LogNormal(m2, s2)), [m1, m2, s1, s2],
                   m1 + sp.log(2 * sp.pi) / 2 + sp.log(s2) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2),
                   [(-10.594545997102308, 9.171226783231501e-182, 0.0011985011409561945, 2.2785430113651413),
                    (-38.909550595626406, -30.559438426647077, 49.701508168950824, 5.7289473242606865)], []),
    "normal": (lambda: sc.cross_entropy(sc.Normal(m1, s1), sc.Normal(m2, s2)), [m1, m2, s1, s2],
               sp.log(2 * sp.pi * s2 ** 2) / 2 + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2),
               [(-5.044744870282186e-44, 4.393709603448861e-23, 0.1959434583827033, 0.09187532164231765),
                (-2.0801600608159421e-128, 9.281420966360952e-262, 0.028688453357716956, 0.009672199058023767),
                (0.6488, 0.4832, 0.1411, 0.3142), (1e200, -1e200, 1e-100, 1e100)],
               [(0.0, 0.0, 0.24197072451914337, 0.24197072451914337)]),
}


@pytest.fixture(scope="module")
def built():
    """name → (torch function, mpmath value, mpmath gradient), with the numpy bridge unavailable while the
    functions are built and first called (the node must not need it)."""
    from symce.numeric.impl import torch_bridge

    def refuse(*a, **k):
        raise AssertionError("numpy bridge used")

    saved = torch_bridge.bridge, torch_bridge.generate
    torch_bridge.bridge = torch_bridge.generate = refuse
    try:
        out = {}
        for name, (mk, args, formula, hard, curve) in CASES.items():
            f = sc.lambdify(mk(), args, backend="torch")
            for p in hard + curve:
                f(*[torch.tensor([v], dtype=torch.float64) for v in p])
            value = sp.lambdify(args, formula, "mpmath")
            grad = [sp.lambdify(args, sp.diff(formula, a), "mpmath") for a in args]
            out[name] = (f, value, grad)
        return out
    finally:
        torch_bridge.bridge, torch_bridge.generate = saved


def _ulps(got: float, exact) -> float:
    e = float(exact)
    if math.isinf(e):
        return 0.0 if got == e else math.inf
    return float(abs(mpmath.mpf(got) - exact)) / math.ulp(e)


def _exact(fn, p, dps=40):
    with mpmath.workdps(dps):
        return fn(*[mpmath.mpf(v) for v in p])


@pytest.mark.parametrize("name", list(CASES))
def test_values_at_the_cancelling_points_within_3_ulp_fused_without_the_bridge(name, built):
    f, value, _ = built[name]
    assert hasattr(f, "op"), "the expression is one fused torch operation"
    _, _, _, hard, curve = CASES[name]
    pts = hard + curve
    cols = [torch.tensor([p[i] for p in pts], dtype=torch.float64) for i in range(len(pts[0]))]
    got = f(*cols)
    assert got.dtype == torch.float64
    for p, g in zip(pts, got.tolist()):
        assert _ulps(g, _exact(value, p)) <= 3, (name, p, g)


@pytest.mark.parametrize("name", list(CASES))
def test_double_double_pass_alone_off_the_curve(name, built, monkeypatch):
    # what a CUDA tensor gets: the torch double-double pass, no numpy tiers; it must hold 3 ULP at the hard
    # points that are not on the curve itself
    from symce.numeric.impl import torch_logsum

    monkeypatch.setattr(torch_logsum, "_numpy_tier", lambda device: False)
    f, value, _ = built[name]
    for p in CASES[name][3]:
        g = float(f(*[torch.tensor([v], dtype=torch.float64) for v in p])[0])
        assert _ulps(g, _exact(value, p)) <= 3, (name, p, g)


# ∂/∂σ₂ of the half-normal CE, 1/σ₂ − σ₁²/σ₂³, cancels at σ₁ ≈ σ₂: the explicit backward (unchanged here)
# is 2.5e-9 off there, as it was through the numpy bridge
_LOOSE_GRAD = {("half-normal", (0.5, 0.5000000005), 1), ("half-normal", (0.5, 0.4999995), 1)}


@pytest.mark.parametrize("name", list(CASES))
def test_gradients_at_the_cancelling_points(name, built):
    f, _, grad = built[name]
    for p in CASES[name][3] + CASES[name][4]:
        xs = [torch.tensor([v], dtype=torch.float64, requires_grad=True) for v in p]
        f(*xs).sum().backward()
        for j, x in enumerate(xs):
            if (name, p, j) in _LOOSE_GRAD:
                continue
            e = _exact(grad[j], p)
            g = float(x.grad[0])
            assert abs(mpmath.mpf(g) - e) <= 1e-13 * abs(e) + 1e-300, (name, p, j, g, float(e))


def test_float32_in_float32_out(built):
    f, value, _ = built["normal"]
    for p in CASES["normal"][3][:1] + CASES["normal"][4]:
        got = f(*[torch.tensor([v], dtype=torch.float32) for v in p])
        assert got.dtype == torch.float32
        p32 = [float(torch.tensor(v, dtype=torch.float32)) for v in p]
        e = _exact(value, p32)
        assert abs(mpmath.mpf(float(got[0])) - e) <= 2 * 2.0 ** -24 * max(abs(e), 2.0 ** -126), (p, float(got[0]))
