"""Ground truth from the *definition*, independent of symce's engine.

H(P, Q) = −∫ p log q dν is computed here from each family's density alone — never from a derived closed
form, never through ``symce.engine.expectation``:

* counting measure with a finite support (Bernoulli, categorical with k classes — also a symbolic k once
  the sample has fixed it): the sum −Σ_x P({x}) log Q({x}) over the support, with ``mass(x)`` evaluated
  by mpmath at ``DPS`` digits (0·log 0 = 0; +∞ where P has mass and Q none);
* Lebesgue measure on an interval: ``mpmath.quad`` of −p(x) log q(x), p and q being
  ``exp(log_density(x))`` lambdified to mpmath, the interval split around P's mode at multiples of its
  curvature scale (both found numerically from the density) so Gauss–Legendre sees smooth pieces;
* Lebesgue measure on R^d (a vector variable): a Gauss–Hermite product rule centred at P's mode and
  scaled by the Cholesky factor of the inverse negative Hessian of log p there (both from the density,
  by Newton's method). The rule is exact when p is Gaussian and log q quadratic (a theorem, not an
  assumption: it is checked by comparing n and n + 2 nodes per axis, and the oracle refuses to answer
  when they disagree).

Closed forms are evaluated by :func:`value`, which is the only place a symce result is touched.
"""

from __future__ import annotations

import functools
import itertools

import mpmath
import sympy as sp

from symce.core.family import Measure
from symce.core.special import to_elementary

#: working precision of every oracle (digits)
DPS = 40


class OracleUnavailable(Exception):
    """No cheap, trustworthy ground truth for this case (the test then skips with this reason)."""


# -- evaluating symbolic things at a sample point -----------------------------------------------------
def substitute(e, values: dict):
    """``e`` at the sample point: fix sizes (k), expand sums/matrix expressions, substitute elements."""
    if not isinstance(e, sp.Basic):
        return e
    values = {k: (sp.Integer(v) if isinstance(v, int) else v) for k, v in values.items()}
    e = to_elementary(e).xreplace(values)
    e = e.doit()
    return e.xreplace(values)


def value(e, values: dict, dps: int = DPS) -> mpmath.mpf:
    """A (closed-form) expression evaluated at ``values`` with ``dps`` digits, as an mpmath number."""
    v = substitute(_integrals_evaluated(_infinite_sums_evaluated(e, values, dps), values, dps), values)
    if isinstance(v, sp.MatrixBase):
        if v.shape != (1, 1):
            raise TypeError(f"expected a scalar, got a {v.shape} matrix")
        v = v[0, 0]
    if v == sp.oo:
        return mpmath.inf
    with mpmath.workdps(dps + 10):
        n = sp.N(v, dps + 10)
        if not n.is_number or n.free_symbols:
            raise ValueError(f"not a number after substitution: {n}")
        re_, im_ = n.as_real_imag()
        out = _mpf(re_) if im_ == 0 else mpmath.mpc(_mpf(re_), _mpf(im_))
    return out


def _mpf(n) -> mpmath.mpf:
    # never through float(): a SymPy Float carries its own mpmath value at full precision
    return mpmath.mpf(sp.Float(n, mpmath.mp.dps)._mpf_)


def digits_agree(a, b) -> float:
    """How many significant digits a and b share (inf when equal)."""
    with mpmath.workdps(DPS + 20):
        if a == b:
            return float("inf")
        scale = max(abs(a), abs(b), mpmath.mpf(1))  # absolute agreement near 0 (KL(P‖P) = 0)
        return float(-mpmath.log10(abs(a - b) / scale))


def assert_published(derived, published, values: dict, what: str, digits: float = 30) -> None:
    """A derived closed form agrees with a published formula ``published(**values)`` (written with mpmath,
    keyword arguments named as the symbols) to ``digits`` digits at the rational sample point ``values``;
    a published +∞ (supports that do not nest) must be +∞."""
    with mpmath.workdps(DPS):
        want = published(**{str(k): mpmath.mpf(v.p) / v.q for k, v in values.items()})
    got = value(derived, values)
    if want == mpmath.inf:
        assert got == mpmath.inf, f"{what}: derived {got}, published +∞ at {values}"
        return
    agree = digits_agree(got, want)
    assert agree >= digits, (f"{what}: derived {mpmath.nstr(got, 30)}, published {mpmath.nstr(want, 30)} "
                             f"({agree:.1f} digits) at {values}")


# -- the definitions ----------------------------------------------------------------------------------
def cross_entropy(P, Q, values: dict, dps: int = DPS):
    """H(P, Q) = −∫ p log q dν at the sample point ``values``, from the densities alone."""
    if P.measure is Measure.COUNTING:
        return _finite_sum(P, Q, values, dps)
    if _on_simplex(P):
        return _simplex(P, Q, values, dps)
    if isinstance(P.variable(), (sp.MatrixBase, sp.MatrixSymbol)):
        return _gauss_hermite(P, Q, values, dps)
    return _quad(P, Q, values, dps)


def entropy(P, values: dict, dps: int = DPS):
    return cross_entropy(P, P, values, dps)


def kl(P, Q, values: dict, dps: int = DPS):
    """KL(P‖Q) = ∫ p log(p/q) dν, computed as one integral/sum (not as H(P,Q) − H(P))."""
    if P.measure is Measure.COUNTING:
        return _finite_sum(P, Q, values, dps, kl=True)
    if _on_simplex(P):
        return _simplex(P, Q, values, dps, kl=True)
    if isinstance(P.variable(), (sp.MatrixBase, sp.MatrixSymbol)):
        return _gauss_hermite(P, Q, values, dps, kl=True)
    return _quad(P, Q, values, dps, kl=True)


def _explicit_variable(P, values):
    """(symbolic variable, explicit variable, sample): a symbolic-size vector (MatrixSymbol X of d rows) becomes an explicit column
    of real symbols once the sample has fixed d, and the sample maps X to it."""
    x = P.variable()
    if not isinstance(x, sp.MatrixSymbol):
        return x, x, values
    rows, cols = (substitute(n, values) for n in x.shape)
    if not (rows.is_Integer and cols == 1):
        raise OracleUnavailable(f"the dimension of {P!r} is not fixed by the sample point")
    xs = sp.ImmutableMatrix([sp.Symbol(f"x_{i}", real=True) for i in range(int(rows))])
    return x, xs, {**values, x: xs}


def _finite_points(P, values):
    support = substitute(P.support, values)
    if isinstance(support, sp.Range):
        if not support.size.is_Integer:
            raise OracleUnavailable(f"support {support} of {P!r} is not finite at this sample point")
        return list(support)
    if isinstance(support, sp.FiniteSet):
        return list(support)
    if isinstance(support, sp.ConditionSet):
        return _condition_set_points(support)
    raise OracleUnavailable(f"support {support} of {P!r} is not an explicit finite set")


def _mass(D, pt, values, dps):
    try:
        m = D.mass(pt)
    except NotImplementedError:  # a family on ℤ without a finite support (Poisson): its pmf, 0 off the support
        if substitute(D.support, values).contains(pt) is not sp.true:
            return mpmath.mpf(0)
        m = sp.exp(D.log_density(sp.Integer(pt)))
    return value(m, values, dps)


def _outside(S, pt) -> bool:
    """pt decidedly not in the set S (undecided, or a set SymPy cannot test, counts as inside)."""
    try:
        return S.contains(pt) is sp.false
    except Exception:  # noqa: BLE001 - vector points against product sets and the like
        return False


def _finite_sum(P, Q, values, dps, kl=False):
    if _is_infinite_integer_set(substitute(P.support, values)):
        return _series(P, Q, values, dps, kl)
    total = mpmath.mpf(0)
    SQ = substitute(Q.support, values)
    with mpmath.workdps(dps + 10):
        for pt in _finite_points(P, values):
            p = _mass(P, pt, values, dps)
            if p == 0:
                continue  # 0·log 0 = 0: the limit of t log t
            if _outside(SQ, pt):
                return mpmath.inf  # Q's mass(pt) may assume pt in its support (Bernoulli's at 2 is not 0)
            q = _mass(Q, pt, values, dps)
            if q == 0:
                return mpmath.inf
            total += p * (mpmath.log(p) - mpmath.log(q)) if kl else -p * mpmath.log(q)
        return total


def _log_density_fn(D, x, values, args=None):
    """log(dD/dν)(x) at the sample point, lambdified to mpmath in ``args`` (default: x's symbols)."""
    e = substitute(D.log_density(x), values)
    if args is None:
        args = list(x) if isinstance(x, (sp.MatrixBase, list, tuple)) else [x]
    if isinstance(e, sp.MatrixBase):
        e = e[0, 0]
    leftover = e.free_symbols - set(args)
    if leftover:
        raise OracleUnavailable(f"log-density of {D!r} keeps {leftover} after substitution")
    return sp.lambdify(args, e, modules="mpmath"), e, args


def _quad(P, Q, values, dps, kl=False):
    x = P.variable()
    lp, lp_expr, _ = _log_density_fn(P, x, values)
    lq, _, _ = _log_density_fn(Q, x, values) if Q is not P else (lp, None, None)
    support = substitute(P.support, values)
    if not isinstance(support, sp.Interval):
        raise OracleUnavailable(f"support {support} of {P!r} is not an interval")
    if Q is not P:
        # the log-density formula knows no support indicator: where supp P ⊄ supp Q (up to the ends, a null
        # set) P puts mass where q = 0, and −∫ p log q = +∞ by definition (Uniform, Pareto at this point)
        q_support = substitute(Q.support, values)
        if isinstance(q_support, sp.Interval) and sp.Interval(support.start, support.end).is_subset(
                sp.Interval(q_support.start, q_support.end)) is False:
            return mpmath.inf
    with mpmath.workdps(dps + 10):
        lo, hi = (_mpf(sp.N(b, dps + 10)) if b.is_finite else (mpmath.inf if b > 0 else -mpmath.inf)
                  for b in (support.start, support.end))
        mode, scale = _mode_1d(lp_expr, x, lo, hi)
        cuts = [mode + k * scale for k in (-12, -6, -3, 0, 3, 6, 12)]
        # the kinks of |a·x + b| in either log-density (Laplace's location): quadrature needs smooth pieces
        kinks = []
        for D in {P, Q}:
            for a in substitute(D.log_density(x), values).atoms(sp.Abs):
                root = sp.solve(a.args[0], x)
                kinks += [_mpf(sp.N(r, dps + 10)) for r in root if r.is_real]
        points = sorted({lo, *[c for c in cuts + kinks if lo < c < hi], hi})

        def integrand(t):
            a = lp(t)
            return mpmath.exp(a) * ((a - lq(t)) if kl else -lq(t))

        # Gauss–Legendre on smooth pieces (mpmath maps the infinite end pieces); its own error estimate
        # must be far below the digits the tests ask for
        # (both ends finite — Beta, Kumaraswamy, (1 − x)^{b−1} with b − 1 not an integer — tanh–sinh first:
        # Gauss–Legendre converges only algebraically at such an end and spends ~10 s failing at 50 digits)
        first, then = ("tanh-sinh", "gauss-legendre") if not (mpmath.isinf(lo) or mpmath.isinf(hi)) \
            else ("gauss-legendre", "tanh-sinh")
        val, err = mpmath.quad(integrand, points, method=first, error=True)
        if err > mpmath.mpf(10) ** (-(dps - 5)) * max(1, abs(val)):
            # an integrable singularity at a finite end (Gamma with α < 1: x^{α−1} at 0) or a slow tail:
            # tanh–sinh clusters its nodes doubly exponentially at the ends, where Gauss–Legendre cannot
            val, err = mpmath.quad(integrand, points, method=then, error=True)
        if err > mpmath.mpf(10) ** (-(dps - 5)) * max(1, abs(val)):
            raise OracleUnavailable(f"quadrature error estimate {mpmath.nstr(err, 3)} too large")
        return val


def _mode_1d(lp_expr, x, lo, hi):
    """P's mode and curvature scale 1/sqrt(−(log p)'') found numerically from the density."""
    # |x − μ| (Laplace) differentiates to sign and DiracDelta: the delta is 0 away from the kink
    modules = [{"DiracDelta": lambda *a: 0}, "mpmath"]
    d1 = sp.lambdify(x, sp.diff(lp_expr, x), modules)
    d2 = sp.lambdify(x, sp.diff(lp_expr, x, 2), modules)
    start = mpmath.mpf(0) if lo < 0 < hi else (lo + 1 if hi == mpmath.inf else (lo + hi) / 2)
    try:
        m = mpmath.findroot(d1, start)
    except (ValueError, ZeroDivisionError):  # no interior stationary point: no cut around a mode
        m = start
    curv = -d2(m)
    scale = 1 / mpmath.sqrt(curv) if curv > 0 else mpmath.mpf(1)
    return m, scale


# -- R^d: Gauss–Hermite around the mode, with a convergence check ---------------------------------------
def _gauss_hermite(P, Q, values, dps, kl=False, n=(2, 3)):
    # n nodes per axis integrate polynomials of degree ≤ 2n − 1 exactly: after the change of variables
    # a Gaussian p times a quadratic log q is a quadratic, so both rules must agree to all digits
    x, xe, values = _explicit_variable(P, values)
    xs = list(xe)
    lp, lp_expr, _ = _log_density_fn(P, x, values, xs)
    lq, _, _ = _log_density_fn(Q, x, values, xs) if Q is not P else (lp, None, None)
    d = len(xs)
    with mpmath.workdps(dps + 10):
        m, L = _laplace_frame(lp_expr, tuple(xs), dps)
        detL = mpmath.fprod(L[i, i] for i in range(d))
        results = []
        for nodes in n:
            u, w = _hermite_e(nodes, dps)
            total = mpmath.mpf(0)
            for idx in itertools.product(range(nodes), repeat=d):
                z = mpmath.matrix([u[i] for i in idx])
                pt = m + L * z
                a, b = lp(*pt), lq(*pt)
                # ∫ f(x) dx = |L| ∫ f(m + Lz) dz = |L| ∫ φ(z) [f(m + Lz)/φ(z)] dz
                phi = mpmath.exp(-sum(zz**2 for zz in z) / 2) / mpmath.sqrt(2 * mpmath.pi) ** d
                f = mpmath.exp(a) * ((a - b) if kl else -b)
                total += mpmath.fprod(w[i] for i in idx) * f / phi
            results.append(total * detL)
        if digits_agree(results[0], results[1]) < dps - 5:
            raise OracleUnavailable("Gauss–Hermite did not converge (density not Gaussian enough)")
        return results[-1]


@functools.lru_cache(maxsize=64)
def _laplace_frame(lp_expr, xs, dps):
    """P's mode m (Newton on ∇ log p = 0; one step is exact for a Gaussian) and the Cholesky factor L
    of (−∇² log p(m))⁻¹, from the density. Cached: finite differences in Q's parameters reuse it."""
    d = len(xs)
    with mpmath.workdps(dps + 10):
        grad = sp.lambdify(xs, [sp.diff(lp_expr, v) for v in xs], "mpmath")
        hess = sp.lambdify(xs, [[sp.diff(lp_expr, a, b) for b in xs] for a in xs], "mpmath")
        m = mpmath.matrix([0] * d)
        for _ in range(50):
            step = mpmath.lu_solve(mpmath.matrix(hess(*m)), mpmath.matrix(grad(*m)))
            m = m - step
            if mpmath.norm(step) < mpmath.mpf(10) ** (-(dps + 5)):
                break
        return m, mpmath.cholesky(-mpmath.inverse(mpmath.matrix(hess(*m))))


@functools.lru_cache(maxsize=16)
def _hermite_e(n, dps):
    """Nodes and weights of the probabilists' Gauss–Hermite rule (weight φ, weights sum to 1)."""
    x = sp.Symbol("x")
    with mpmath.workdps(dps + 10):
        roots = [_mpf(sp.N(r, dps + 10)) for r in sp.real_roots(sp.Poly(sp.hermite_prob(n, x), x))]
        he_prev = sp.lambdify(x, sp.hermite_prob(n - 1, x), "mpmath")
        weights = [mpmath.factorial(n) / (n**2 * he_prev(r) ** 2) for r in roots]
    return roots, weights


# -- finite differences --------------------------------------------------------------------------------
def central_difference(f, values: dict, key, h=sp.Rational(1, 10**13)):
    """(f(θ + h) − f(θ − h)) / 2h in the parameter ``key`` of the sample point — a symbol, or
    ``(matrix_symbol, i)`` for entry i of a matrix-valued parameter — f evaluated by an oracle at DPS
    digits: truncation error O(h²) ≈ 1e-26 relative, rounding ≈ 10^-DPS / h ≈ 1e-27. θ ± h are exact
    rationals, so no rounding enters the perturbed parameters."""
    up, down = dict(values), dict(values)
    if isinstance(key, tuple):
        M, i = key
        bump = sp.ImmutableMatrix(*values[M].shape, lambda r, c: h if r * values[M].shape[1] + c == i else 0)
        up[M], down[M] = values[M] + bump, values[M] - bump
    else:
        up[key], down[key] = values[key] + h, values[key] - h
    with mpmath.workdps(DPS + 10):
        return (f(up) - f(down)) / (2 * _mpf(sp.N(h, DPS + 10)))


def assert_derivatives_match_mpmath(f, ref, args, points, rel: float = 1e-25) -> None:
    """Every partial ∂f/∂s (SymPy ``diff`` of ``f``, evaluated at 30 digits through its elementary form)
    agrees with mpmath's numerical derivative of the independent reference ``ref`` at each point."""
    for i, s in enumerate(args):
        d = to_elementary(sp.diff(f, s))
        for pt in points:
            got = sp.N(d.subs({s_: sp.Float(v, 40) for s_, v in zip(args, pt)}), 30)
            with mpmath.workdps(40):
                want = mpmath.diff(lambda t: ref(*[t if j == i else mpmath.mpf(v) for j, v in enumerate(pt)]), pt[i])
            assert abs(complex(got) - complex(want)) <= rel * max(1, abs(complex(want))), (s, pt, got, want)


# -- counting measure on an infinite support (Poisson, Geometric, negative binomial) -------------------
#: at most this many terms of a series before the oracle gives up
SERIES_TERMS = 20000


def _is_infinite_integer_set(S) -> bool:
    return S in (sp.Naturals0, sp.Naturals) or (isinstance(S, sp.Range) and S.stop == sp.oo and S.step == 1)


def _series(P, Q, values, dps, kl=False):
    """H(P, Q) (or KL) on {a, a + 1, …}: Σ_x p(x)·(−log q(x)) term by term from the log-densities
    (:func:`series_sum`); +∞ as soon as P has mass at a point outside Q's support."""
    x = P.variable()
    S = substitute(P.support, values)
    SQ = substitute(Q.support, values)
    lo = 0 if S == sp.Naturals0 else (1 if S == sp.Naturals else int(S.start))
    lp, _, _ = _log_density_fn(P, x, values)
    lq, _, _ = _log_density_fn(Q, x, values) if Q is not P else (lp, None, None)

    class _Outside(Exception):
        pass

    def term(k):
        if SQ.contains(k) is not sp.true:
            raise _Outside
        a = lp(k)
        return mpmath.exp(a) * ((a - lq(k)) if kl else -lq(k))

    try:
        return series_sum(term, lo, dps, f"the series for {P!r}, {Q!r}")
    except _Outside:
        return mpmath.inf  # P has mass at a point where Q has none


def series_sum(term, lo: int, dps: int = DPS, what: str = "the series"):
    """Σ_{k ≥ lo} term(k) at dps + 10 digits, term by term until past the largest term the terms fall
    below 10^−(dps+10) of the sum, plus a tail bound (never ``mpmath.nsum``, whose extrapolation returns
    ≈ 0 for E[log X!] under Poisson(150): the terms are below 10^−60 at the start and peak near k = 150).

    Tail bound: with t_N the last term and ρ ≥ |t_{k+1}/t_k| for all k ≥ N, the tail is at most
    |t_N|·ρ/(1 − ρ). ρ is taken halfway between the largest ratio over the last 32 terms and 1; it bounds
    the later ratios for pmfs whose ratio p(k+1)/p(k) is a rational function of k with a limit < 1 (or → 0)
    times a factor growing at most like k log k (log q(k), log k!), as here: the ratio of the terms then
    settles to its limit from the observed values. OracleUnavailable when the bound is not below 10^−(dps+5)
    of the sum within SERIES_TERMS terms."""
    with mpmath.workdps(dps + 10):
        total, prev, ratios, peak = mpmath.mpf(0), None, [], mpmath.mpf(0)
        eps = mpmath.mpf(10) ** (-(dps + 10))
        for k in range(lo, lo + SERIES_TERMS):
            t = term(k)
            total += t
            if prev:
                ratios = (ratios + [abs(t / prev)])[-32:]
            prev, peak = t, max(peak, abs(t))
            past_peak = peak > 0 and abs(t) < peak
            if past_peak and len(ratios) == 32 and abs(t) <= eps * max(1, abs(total)) and max(ratios) < 1:
                rho = (max(ratios) + 1) / 2
                if abs(t) * rho / (1 - rho) <= mpmath.mpf(10) ** (-(dps + 5)) * max(1, abs(total)):
                    return total
        raise OracleUnavailable(f"{what} did not converge within {SERIES_TERMS} terms")


def _infinite_sums_evaluated(e, values, dps):
    """``e`` with each ``Sum`` over an infinite range (a kept E_P[log X!]) replaced by its value at the sample
    point, summed by :func:`series_sum` from the summand lambdified to mpmath (``sp.N`` of such a sum is
    slow; ``doit`` would try to sum it symbolically; ``mpmath.nsum`` misses late peaks)."""
    if not isinstance(e, sp.Basic) or not e.has(sp.Sum):
        return e

    def infinite(s):
        if not (isinstance(s, sp.Sum) and len(s.limits) == 1):
            return False
        _, lo, hi = s.limits[0]
        if hi == sp.oo:
            return True
        # a long explicit range (Binomial(1000, p)'s kept E[log X!]): SymPy's doit takes ~40 s for 1001 terms
        lo, hi = substitute(lo, values), substitute(hi, values)
        return lo.is_Integer and hi.is_Integer and hi - lo > 64

    def evaluate(s):
        (k, lo, hi), = s.limits
        f = substitute(s.function, values)
        lo, hi = substitute(lo, values), substitute(hi, values)
        if f.free_symbols - {k} or not lo.is_Integer:
            raise ValueError(f"not a number after substitution: {s}")
        fn = sp.lambdify(k, f, modules="mpmath")
        if hi != sp.oo:
            with mpmath.workdps(dps + 10):
                return sp.Float(mpmath.fsum(fn(mpmath.mpf(t)) for t in range(int(lo), int(hi) + 1)), dps + 10)
        total = series_sum(lambda t: fn(mpmath.mpf(t)), int(lo), dps, f"the kept sum {s}")
        return sp.Float(total, dps + 10)

    return e.replace(infinite, evaluate)


# -- the probability simplex (Dirichlet): stick-breaking coordinates and 1-D quadrature --------------------
def _on_simplex(P) -> bool:
    return P.measure is Measure.LEBESGUE and getattr(P, "sample_space", ("",))[0] == "simplex"


def _simplex(P, Q, values, dps, kl=False):
    """−∫ p log q (or ∫ p log(p/q)) over the simplex {x_m > 0, Σ x_m = 1}, w.r.t. Lebesgue measure in
    x_1 … x_{k−1}, from the two log-densities alone.

    Both log-densities must be affine in (log x_1, …, log x_k) — read off by x_m = e^{u_m}, refused
    otherwise — so the integrand is e^{a₀} Π x_m^{a_m} · (c₀ + Σ c_m log x_m) and the integral is
    c₀·M₀ + Σ c_m·M_m with M₀ = ∫ p and M_m = ∫ p log x_m. In stick-breaking coordinates
    x_m = u_m Π_{j<m}(1 − u_j), x_k = Π_{j<k}(1 − u_j) (Jacobian Π_j (1 − u_j)^{k−1−j}) a monomial density is a
    product over j of u_j^{a_j}(1 − u_j)^{b_j}, b_j = Σ_{m>j} a_m + k − 1 − j, and log x_m a sum of log u_j,
    log(1 − u_j): by Fubini every M is a product of one-dimensional integrals, each by tanh–sinh quadrature
    (:func:`_beta_type`). No digamma and no moment map: only the change of variables."""
    x, coords = _simplex_coordinates(P, values)
    a0, a = _log_monomial(P, x, coords, values)
    c0, c = (a0, a) if Q is P else _log_monomial(Q, x, coords, values)
    M0, M = _simplex_moments(a0, tuple(a), dps)
    with mpmath.workdps(dps + 10):
        if kl:
            return (a0 - c0) * M0 + mpmath.fsum((am - cm) * Mm for am, cm, Mm in zip(a, c, M))
        return -(c0 * M0 + mpmath.fsum(cm * Mm for cm, Mm in zip(c, M)))


def _simplex_coordinates(P, values):
    """P's random vector and its k coordinates (k fixed by the sample point for a symbolic k)."""
    x = P.variable()
    k = sp.sympify(substitute(P.sample_space[1], values))
    if not (isinstance(k, sp.Integer) and k >= 2):
        raise OracleUnavailable(f"the number of components of {P!r} is not fixed by the sample point")
    coords = [x[m] for m in range(1, int(k) + 1)] if isinstance(x, sp.IndexedBase) else list(x)
    return x, coords


def _log_monomial(D, x, coords, values):
    """(c₀, [c_1 … c_k]) with log(dD/dν)(x) = c₀ + Σ c_m log x_m at the sample point, as mpmath numbers."""
    e = substitute(D.log_density(x), values)
    us = [sp.Dummy(f"u{m}", real=True) for m in range(len(coords))]
    e = sp.expand(e.xreplace(dict(zip(coords, [sp.exp(u) for u in us]))))  # log e^u = u for real u
    cs = [sp.diff(e, u) for u in us]
    c0 = e.xreplace({u: 0 for u in us})
    if any(t.free_symbols for t in (c0, *cs)):
        raise OracleUnavailable(f"the log-density of {D!r} is not affine in the log x_m: {e}")
    with mpmath.workdps(DPS + 20):
        return _mpf(sp.N(c0, DPS + 20)), [_mpf(sp.N(t, DPS + 20)) for t in cs]


@functools.lru_cache(maxsize=64)
def _simplex_moments(a0, a, dps):
    """(M₀, [M_1 … M_k]): ∫ p and ∫ p log x_m for p = e^{a₀} Π x_m^{a_m} on the simplex (see :func:`_simplex`).
    Cached: every Q (and every finite-difference step in Q) reuses P's moments."""
    k = len(a)
    with mpmath.workdps(dps + 10):
        I, L, R = [], [], []  # ∫ f_j, ∫ f_j log u, ∫ f_j log(1 − u) with f_j = u^{a_j}(1 − u)^{b_j}
        for j in range(k - 1):
            b = mpmath.fsum(a[j + 1:]) + (k - 2 - j)  # j counts from 0 here: k − 1 − (j + 1)
            I.append(_beta_type(a[j], b, 0, dps))
            L.append(_beta_type(a[j], b, 1, dps))
            R.append(_beta_type(a[j], b, 2, dps))
        M0 = mpmath.exp(a0) * mpmath.fprod(I)
        M = [M0 * (mpmath.fsum(R[j] / I[j] for j in range(m)) + (L[m] / I[m] if m < k - 1 else 0))
             for m in range(k)]
        return M0, M


@functools.lru_cache(maxsize=1024)
def _beta_type(a, b, kind, dps):
    """∫₀¹ u^a (1 − u)^b φ(u) du with φ = 1, log u, log(1 − u) (kind 0, 1, 2), a, b > −1.

    Split at ½ so each end is at 0 of its own variable (1 − u is never formed near u = 1), and u = w^{1/(a+1)}
    on the left (s = 1 − u = w^{1/(b+1)} on the right) removes the power singularity: u^a du = dw/(a + 1), leaving
    at most a log singularity, which tanh–sinh integrates to full precision (u^{−0.7} itself it does not)."""
    if not (a > -1 and b > -1):
        raise OracleUnavailable(f"u^{mpmath.nstr(a, 5)}(1 − u)^{mpmath.nstr(b, 5)} is not integrable on (0, 1)")
    with mpmath.workdps(dps + 10):
        half = mpmath.mpf(1) / 2

        def piece(p, q, near_is_u):
            # ∫₀^½ t^p (1 − t)^q φ dt, t the variable vanishing at this end (u on the left, 1 − u on the right)
            c = p + 1

            def f(w):
                t = w ** (1 / c)
                log_t = mpmath.log(w) / c
                log_other = mpmath.log1p(-t)
                phi = (1, log_t if near_is_u else log_other, log_other if near_is_u else log_t)[kind]
                return mpmath.exp(q * log_other) * phi / c
            return mpmath.quad(f, [0, half ** c], method="tanh-sinh", error=True)

        (left, e1), (right, e2) = piece(a, b, True), piece(b, a, False)
        total = left + right
        if max(e1, e2) > mpmath.mpf(10) ** (-(dps + 3)) * max(1, abs(total)):
            raise OracleUnavailable(f"tanh–sinh error estimate {mpmath.nstr(max(e1, e2), 3)} too large")
        return total


def _condition_set_points(S):
    """The points of a ConditionSet over a finite product of ranges (counts of a Multinomial with a symbolic n,
    once the sample point has fixed n): the product enumerated, the condition decided at each point."""
    base = S.base_set
    if not (isinstance(base, sp.ProductSet) and all(isinstance(r, sp.Range) and r.size.is_Integer for r in base.args)):
        raise OracleUnavailable(f"support {S} is not a condition on a finite product of ranges")
    if sp.Mul(*[r.size for r in base.args]) > 10**5:
        raise OracleUnavailable(f"support {S} has too many candidate points")
    out = []
    for pt in itertools.product(*[list(r) for r in base.args]):
        c = S.condition.xreplace(dict(zip(S.sym, pt)))
        if c not in (sp.true, sp.false):
            raise OracleUnavailable(f"the condition of {S} is not decided at {pt}")
        if c == sp.true:
            out.append(sp.Tuple(*pt))
    return out
# -- end of the probability simplex section


# -- kept integrals (Kumaraswamy's E[log(1 − X^a₂)]) ----------------------------------------------------
def _integrals_evaluated(e, values, dps):
    """``e`` with each one-dimensional ``Integral`` over fixed ends (a kept expectation) replaced by its value
    at the sample point: tanh–sinh quadrature (``mpmath.quad``, which clusters nodes at the ends where the
    kept integrands have their algebraic/log singularities) of the integrand lambdified to mpmath, at
    dps + 10 digits. ``doit`` would try to integrate it symbolically, ``sp.N`` of it takes seconds."""
    if not isinstance(e, sp.Basic) or not e.has(sp.Integral):
        return e

    def kept(i):
        return isinstance(i, sp.Integral) and len(i.limits) == 1 and len(i.limits[0]) == 3

    def evaluate(i):
        (u, lo, hi), = i.limits
        f = substitute(i.function, values)
        lo, hi = substitute(lo, values), substitute(hi, values)
        if f.free_symbols - {u} or not (lo.is_number and hi.is_number):
            raise ValueError(f"not a number after substitution: {i}")
        fn = sp.lambdify(u, f, modules="mpmath")
        with mpmath.workdps(dps + 10):
            ends = [mpmath.inf if b == sp.oo else (-mpmath.inf if b == -sp.oo else _mpf(sp.N(b, dps + 10)))
                    for b in (lo, hi)]
            val, err = mpmath.quad(fn, ends, method="tanh-sinh", error=True)
            if err > mpmath.mpf(10) ** (-(dps - 5)) * max(1, abs(val)):
                raise OracleUnavailable(f"quadrature of the kept {i} has error estimate {mpmath.nstr(err, 3)}")
        return sp.Float(val, dps + 10)

    return e.replace(kept, evaluate)
