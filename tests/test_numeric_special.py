"""Special functions in generated code (issue 11, "Numbers"): log Γ, ψ, ψ⁽ⁿ⁾, erf, erfc, I₀, I₁, Ei, E₁, E₂,
H_x, ζ on every backend against the correctly rounded value; the ground truth's mpmath intervals for them;
the Gamma and Beta KL near P = Q (the Stirling rewrite); torch autograd against the symbolic gradient."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.truth import TruthFunction
from symce.numeric.verify import ulp_distance

x, y = sp.symbols("x y", positive=True)

# (name, expression in x, mpmath reference, max ULP of numpy/scipy/math, of torch) — bounds measured on the
# points below with 1–2 ULP of slack; torch runs its own lgamma/erf/erfc/i0/i1 and the numpy kernels for the rest
FUNCTIONS = [
    ("loggamma", sp.loggamma(x), mpmath.loggamma, 5, 2),
    ("digamma", sp.polygamma(0, x), mpmath.digamma, 3, 3),
    ("trigamma", sp.polygamma(1, x), lambda v: mpmath.psi(1, v), 5, 5),
    ("tetragamma", sp.polygamma(2, x), lambda v: mpmath.psi(2, v), 4, 4),
    ("erf", sp.erf(x), mpmath.erf, 3, 3),
    ("erfc", sp.erfc(x), mpmath.erfc, 3, 3),
    ("besseli0", sp.besseli(0, x), lambda v: mpmath.besseli(0, v), 4, 4),
    ("besseli1", sp.besseli(1, x), lambda v: mpmath.besseli(1, v), 8, 8),
    ("E1", sp.E1(x), mpmath.e1, 9, 9),
    ("E2", sp.expint(2, x), lambda v: mpmath.expint(2, v), 11, 11),
    ("harmonic", sp.harmonic(x), mpmath.harmonic, 4, 4),
    ("hurwitz_zeta", sp.zeta(2, x), lambda v: mpmath.zeta(2, v), 4, 4),
]

# random points over five decades and the adversarial ones: the zeros of log Γ (1, 2) and of ψ (1.4616…),
# the ends of the series ranges (1/4, 3/4, 5/4, 11/4), tiny and large arguments
_RNG = np.random.default_rng(7)
POINTS = np.concatenate([10 ** _RNG.uniform(-3, 2.3, 60),
                         [1 + 2**-30, 1 - 2**-30, 2 + 2**-30, 2 - 2**-30, 1.0, 2.0, 1.4616321449683622,
                          1.4616321449683623, 0.25, 0.2500000001, 0.75, 1.25, 2.75, 1e-8, 1e-300, 30.0, 150.0]])


def _exact(ref, pts, prec=300):
    out = []
    for p in pts:
        with mpmath.workprec(prec):
            v = ref(mpmath.mpf(float(p)))
        out.append(float(v) if abs(v) > mpmath.mpf(2) ** -1000 else 0.0)
    return np.array(out)


@pytest.mark.parametrize("name, expr, ref, bound, torch_bound", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_special_function_on_every_backend(name, expr, ref, bound, torch_bound):
    exact = _exact(ref, POINTS, 1200 if name == "harmonic" else 300)  # mpmath's H_x(10⁻³⁰⁰) cancels 1000 bits
    keep = np.isfinite(exact)
    pts, exact = POINTS[keep], exact[keep]
    for backend in ("numpy", "scipy", "math"):
        f = sc.lambdify(expr, [x], backend=backend)
        got = f(pts) if backend != "math" else np.array([f(float(p)) for p in pts])
        u = ulp_distance(np.asarray(got, dtype=float), exact)
        assert u.max() <= bound, (backend, pts[np.argmax(u)], u.max())
    f = sc.lambdify(expr, [x], backend="mpmath")
    with mpmath.workdps(30):  # the mpmath backend at 30 digits: right to ≈ 1e-25 away from the zeros
        got = np.array([float(f(mpmath.mpf(float(p)))) for p in pts])
    assert ulp_distance(got, exact).max() <= 1
    torch = pytest.importorskip("torch")
    f = sc.lambdify(expr, [x], backend="torch")
    got = f(torch.tensor(pts, dtype=torch.float64)).numpy()
    u = ulp_distance(got, exact)
    assert u.max() <= torch_bound, (pts[np.argmax(u)], u.max())


def test_two_argument_and_constant_special_functions():
    for expr, ref in [(sp.beta(x, y), mpmath.beta), (sp.besseli(2, x) + y, lambda a, b: mpmath.besseli(2, a) + b),
                      (sp.Ei(x) * y, lambda a, b: mpmath.ei(a) * b), (sp.EulerGamma * x + sp.zeta(y + 1),
                                                                       lambda a, b: mpmath.euler * a + mpmath.zeta(b + 1))]:
        with mpmath.workprec(200):
            want = float(ref(mpmath.mpf(1.5), mpmath.mpf(2.5)))
        for backend in ("numpy", "math", "mpmath", "torch"):
            if backend == "torch":
                pytest.importorskip("torch")
            got = float(sc.lambdify(expr, [x, y], backend=backend)(1.5, 2.5))
            assert got == pytest.approx(want, rel=4e-15), (expr, backend)


def test_plain_lambdify_of_special_functions_prints_scipy():
    f = sc.lambdify(sp.polygamma(0, x) + sp.besseli(0, y), [x, y], stable=False)
    assert float(f(1.5, 2.0)) == pytest.approx(float(mpmath.digamma(1.5) + mpmath.besseli(0, 2.0)), rel=1e-14)


@pytest.mark.parametrize("expr", [sp.loggamma(x) - sp.loggamma(y) - (x - y) * sp.polygamma(0, y),
                                  sp.erfc(x) * sp.besseli(1, y) + sp.polygamma(2, x), sp.E1(x) + sp.harmonic(y),
                                  sp.beta(x, y) + sp.EulerGamma])
def test_interval_truth_of_special_functions_is_correctly_rounded(expr):
    # the mpmath intervals (the only ground truth without python-flint) against 400-bit mpmath
    t = TruthFunction(expr, [x, y], engine="mpmath")
    fn = sp.lambdify([x, y], expr, modules="mpmath")
    for pt in [(1.5, 2.5), (1 + 2**-30, 1.0), (1.4616321449683622, 1.4616321449683623), (7.5, 7.5000001), (300.0, 0.3)]:
        with mpmath.workprec(400):
            want = float(fn(mpmath.mpf(pt[0]), mpmath.mpf(pt[1])))
        got = t(*pt)
        assert got.resolved and got.value == want, (pt, got, want)


# -- Gamma and Beta KL near P = Q -------------------------------------------------------------------------------
def _kl(family):
    from symce.families import COMMON

    ex = next(e for e in COMMON if e.label == family)
    d = sc.kl(ex.build(1), ex.build(2))
    return d, sorted(d.result.free_symbols, key=lambda s: s.name)


def _near_points(nargs):
    pts = []
    for base in (0.3, 2.0, 57.0, 1e4):
        for delta in (1e-3, 1e-6, 1e-9, 1e-12):
            p = [base * (1 + 0.37 * i) for i in range(nargs // 2)]
            q = [v * (1 + delta * (1 + 0.5 * i)) for i, v in enumerate(p)]
            pts.append(p + q)
            q = [v * (1 + delta) for v in p]  # the same relative change in every parameter
            pts.append(p + q)
    return pts


@pytest.mark.parametrize("family", ["gamma", "beta"])
def test_kl_near_p_equal_q_within_16_ulp(family):
    d, args = _kl(family)
    # the argument order of the points is (P's parameters, Q's parameters)
    order = [s for s in args if s.name.endswith("1")] + [s for s in args if s.name.endswith("2")]
    f = sc.lambdify(d, order)
    plain = sc.lambdify(d, order, stable=False)
    truth = TruthFunction(d.result, order)
    pts = _near_points(len(order))
    exact = np.array([truth(*p).value for p in pts])
    cols = [np.array(c) for c in zip(*pts)]
    u = ulp_distance(f(*cols), exact)
    assert np.all(exact > 0) and u.max() <= 16, (pts[int(np.argmax(u))], u.max())
    assert ulp_distance(plain(*cols), exact).max() > 1e6  # the derived form cancels there


def test_verify_measures_the_gamma_kl():
    d, args = _kl("gamma")
    rep = sc.verify(sc.lambdify(d, args), d, args, n=60, grid_max=40, seed=3)
    assert rep.nonfinite == 0 and rep.max_ulp <= 16 and rep.unresolved == 0


# -- torch autograd ----------------------------------------------------------------------------------------------
def test_torch_gradient_of_special_formulas_matches_the_symbolic_gradient():
    torch = pytest.importorskip("torch")
    d, args = _kl("gamma")
    exprs = [d.result, sp.erf(args[0]) * sp.loggamma(args[1]) + sp.besseli(1, args[2]) * sp.polygamma(1, args[3])]
    pts = [(2.0, 3.0, 2.5, 1.0), (0.7, 1.3, 0.71, 1.29), (40.0, 5.0, 41.0, 5.5)]
    for expr in exprs:
        f = sc.lambdify(expr, args, backend="torch")
        grads = [sc.lambdify(sp.diff(expr, a), args) for a in args]
        for pt in pts:
            xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in pt]
            f(*xs).backward()
            for a, xt, g in zip(args, xs, grads):
                want = float(g(*pt))
                assert float(xt.grad) == pytest.approx(want, rel=1e-12, abs=1e-300), (expr, a, pt)


def test_stable_kernels_of_the_stirling_split_against_mpmath():
    from symce.numeric.impl import impls

    np_, mp_ = impls("numpy"), impls("mpmath")
    rng = np.random.default_rng(5)
    xs = np.concatenate([10 ** rng.uniform(-30, 30, 16), 10 ** rng.uniform(-2, 3, 40), [6.45, 16.0, 15.999]])
    ys = np.concatenate([xs[:30] * (1 + 10 ** rng.uniform(-14, 0, 30)), 10 ** rng.uniform(-2, 3, 29)])
    with mpmath.workprec(120):
        want_h1 = np.array([float(mp_["digamma_rem"](mpmath.mpf(v))) for v in xs])
        want_b = np.array([float(mp_["stirling_bregman"](mpmath.mpf(a), mpmath.mpf(b))) for a, b in zip(ys, xs)])
    assert ulp_distance(np_["digamma_rem"](xs), want_h1).max() <= 4
    u = ulp_distance(np_["stirling_bregman"](ys, xs), want_b)
    assert u.max() <= 16, (ys[np.argmax(u)], xs[np.argmax(u)], u.max())
    assert math.isfinite(float(np_["lgamma_rem"](1e306)))  # log Γ(1e306) overflows, h does not


def test_accuracy_section_holds_the_gamma_kl_to_the_special_goal(tmp_path):
    from symce.app.accuracy import accuracy_section

    md = accuracy_section(tmp_path, n=40, grid_max=40, only="KL(gamma ‖ gamma)", plots=False)
    row = next(line for line in md.splitlines() if line.startswith("| KL(gamma ‖ gamma) |"))
    assert "met (≤ 16, special)" in row, row


def test_scipy_imported_at_the_first_evaluation_not_at_lambdify():
    """numeric/special.py defers scipy.special (~0.25 s of import) to the first call of one of its functions:
    a fresh process that builds functions of log Γ, ψ, ψ′, erf and I₀ does not import it; evaluating one
    does, with the values of the same function built after the import (scipy's functions bound directly) and
    kernels that are scipy's own."""
    import subprocess
    import sys

    code = """if True:
        import sys
        import numpy as np
        import sympy as sp
        import symce
        x = sp.Symbol("x", positive=True)
        f = symce.lambdify(sp.loggamma(x) + sp.digamma(x) + sp.polygamma(1, x) + sp.erf(x) + sp.besseli(0, x))
        g = symce.lambdify(sp.loggamma(x), backend="math")
        assert "scipy.special" not in sys.modules
        t = np.array([0.5, 3.5, 7.25, 1e-300, 40.0])
        v = f(t)
        assert "scipy.special" in sys.modules
        import scipy.special as ss
        from symce.numeric import special
        again = symce.lambdify(sp.loggamma(x) + sp.digamma(x) + sp.polygamma(1, x) + sp.erf(x) + sp.besseli(0, x))
        assert np.array_equal(v, again(t), equal_nan=True), (v, again(t))
        k = special.numpy_kernels()
        for name, want in [("digamma", ss.psi(t)), ("polygamma_1", ss.polygamma(1, t)), ("erf", ss.erf(t)),
                           ("besseli_0", ss.i0(t)), ("gamma", ss.gamma(t))]:
            assert np.array_equal(k[name](t), want), name
        assert g(3.5) == float(ss.gammaln(3.5))
    """
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
