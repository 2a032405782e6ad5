"""The Kumaraswamy, Beta and Dirichlet entropies over the whole float range (issue 11, "Numbers": no spurious
NaN/inf, ≤ 16 ULP with special functions), against the textbook formulas evaluated by mpmath at a precision
that covers their cancellation, from the exact float inputs:

    H(Kumaraswamy(a, b)) = (1 − 1/b) + (1 − 1/a)·H_b − log(ab),   H_b = ψ(b + 1) + γ

(Jones 2009, "Kumaraswamy's distribution: a beta-type distribution with some tractability advantages",
Statistical Methodology 6, §2.3; Michalowicz, Nichols & Bucholtz 2013, Handbook of Differential Entropy), and

    H(Dir(α)) = log B(α) − Σᵢ (αᵢ − 1)(ψ(αᵢ) − ψ(α₀)),   α₀ = Σ αᵢ

from E[log xᵢ] = ψ(αᵢ) − ψ(α₀) (Penny 2001, "KL-divergences of Normal, Gamma, Dirichlet and Wishart
densities"; the Beta entropy of Lazo & Rathie 1978 is K = 2). Both oracles are themselves checked against the
definition −∫ p log p by quadrature at ordinary points.

Before the rules, H(Kumaraswamy) was NaN wherever a and b were both tiny ((1 − 1/a)ψ(b) ≈ 1/(ab) against
−1/(ab): 64 of 1094 accuracy points) and H(Dirichlet) NaN where α₀ overflows ((α₀ − 3)·h′(α₀) = ∞·0).
The error is counted in ULPs of max(|H|, Σ|terms| of the textbook formula), as the accuracy section counts
an entropy near its zero (a differential entropy crosses 0).
"""

import functools
import importlib.util

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.functions import lgamma_rem_sum, log_sum, wdigamma_rem_gap, wdigamma_rem_sum
from symce.numeric.impl import array_impls
from symce.numeric.rewrite import stabilise

BACKENDS = ["numpy", "math", "mpmath"] + [b for b in ("torch",) if importlib.util.find_spec(b)]
a, b = sp.symbols("a1 b1", positive=True)
al = sp.symbols("alpha1_1:4", positive=True)
M = float(np.finfo(float).max)


def _err(got, want, scale):
    """|got − want| in ULPs of max(|want|, scale); 0 where both are the same infinity."""
    got, want = float(got), float(want)
    if np.isinf(want) or np.isinf(got) or np.isnan(got):
        return 0.0 if got == want else np.inf
    return abs(got - want) / np.spacing(max(abs(want), scale))


def _sample(n, k, seed):
    """n points of k positive floats, each with a random mantissa and a random binade of the whole range."""
    rng = np.random.default_rng(seed)
    return [tuple(float(np.ldexp(rng.uniform(0.5, 1.0), int(rng.integers(-1073, 1025)))) for _ in range(k))
            for _ in range(n)]


# -- Kumaraswamy --------------------------------------------------------------------------------------------
def kumaraswamy_textbook(x, y):
    """(H, Σ|terms|) of Jones 2009's formula at the floats x = a, y = b."""
    x, y = mpmath.mpf(x), mpmath.mpf(y)
    # H_b = ψ(1 + b) + γ ≈ ζ(2)·b cancels |log10 b| digits; 1/a·H_b and 1/b cancel nothing further
    with mpmath.workdps(40 + int(abs(mpmath.log10(y)))):
        hb = mpmath.digamma(y + 1) + mpmath.euler
        terms = [1 - 1 / y, (1 - 1 / x) * hb, -mpmath.log(x), -mpmath.log(y)]
        return mpmath.fsum(terms), float(mpmath.fsum(abs(t) for t in terms))


@functools.lru_cache(maxsize=None)
def _kumaraswamy():
    return sc.entropy(sc.Kumaraswamy(a, b))


@functools.lru_cache(maxsize=None)
def _kumaraswamy_fn(backend):
    return sc.lambdify(_kumaraswamy(), [a, b], backend=backend)


def test_kumaraswamy_textbook_formula_is_the_definition():
    # the oracle against −∫₀¹ p log p (tanh-sinh copes with the endpoint powers)
    for x, y in [(0.5, 2.0), (3.0, 0.7), (2.0, 5.0)]:
        x, y = mpmath.mpf(x), mpmath.mpf(y)
        with mpmath.workdps(30):
            def integrand(t):
                log_p = mpmath.log(x * y) + (x - 1) * mpmath.log(t) + (y - 1) * mpmath.log1p(-t**x)
                return -mpmath.exp(log_p) * log_p
            quad = mpmath.quad(integrand, [0, 0.5, 1])
            # tanh-sinh at the endpoint powers: ~1e-16 (a wrong formula is off by O(1))
            assert abs(quad - kumaraswamy_textbook(x, y)[0]) < mpmath.mpf(10) ** -12


def test_kumaraswamy_rule_writes_the_harmonic_number_and_proves_it():
    s = stabilise(_kumaraswamy().result)
    assert s.expr.has(sp.harmonic) and not s.expr.has(sp.polygamma) and not s.expr.has(sp.EulerGamma), str(s)
    assert s.proved, str(s)


# the benchmark's NaN points (both tiny), a subnormal a where (1 − 1/a) alone overflows, the corners
KUMARASWAMY_HARD = [(6.273016583263302e-138, 3.218686428252455e-266), (7.221095792913223e-234, 2.8653307092136587e-226),
                    (1e-300, 1e-300), (2.0316e-301, 3.368e-73), (1e-320, 1e-20), (5e-324, 1e-160), (1e-310, 1e-150),
                    (1.0, 5e-324), (M, 5e-324), (5e-324, 1.0), (1e308, 1e308), (1e-300, 1e308), (1.0, 1.0),
                    (1 + 2.0**-52, 1e300), (3.0, 0.25)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_kumaraswamy_entropy_at_the_hard_points(backend):
    f = _kumaraswamy_fn(backend)
    for x, y in KUMARASWAMY_HARD:
        want, scale = kumaraswamy_textbook(x, y)
        assert _err(f(x, y), want, scale) <= 16, (backend, x, y, float(f(x, y)), float(want))


def test_kumaraswamy_entropy_over_the_float_range():
    f = _kumaraswamy_fn("numpy")
    pts = _sample(40, 2, seed=11)
    got = f(np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))
    for (x, y), g in zip(pts, got):
        want, scale = kumaraswamy_textbook(x, y)
        assert _err(g, want, scale) <= 16, (x, y, float(g), float(want))


# -- Beta and Dirichlet --------------------------------------------------------------------------------------
def dirichlet_textbook(*alpha):
    """(H, Σ|terms|) of log B(α) − Σ (αᵢ − 1)(ψ(αᵢ) − ψ(α₀)) at the floats α."""
    xs = [mpmath.mpf(v) for v in alpha]
    # log Γ(1.8e308) ≈ 1.3e311 against a result of ~10³ (and α₀ rounded at that precision): the digits of the
    # largest exponent; a tiny αᵢ cancels nothing (ψ(αᵢ) ≈ −1/αᵢ dominates)
    with mpmath.workdps(40 + max(0, int(mpmath.log10(max(xs))))):
        s = mpmath.fsum(xs)
        terms = [mpmath.loggamma(v) for v in xs] + [-mpmath.loggamma(s)]
        terms += [-(v - 1) * (mpmath.digamma(v) - mpmath.digamma(s)) for v in xs]
        h = mpmath.fsum(terms)
        # the scale: the terms of the Stirling split (α log α parts cancel exactly), not log Γ's 1e311
        scale = float(abs(h)) + sum(abs(float(mpmath.log(v))) for v in xs) + 3 * abs(float(mpmath.log(s)))
        return h, scale


@functools.lru_cache(maxsize=None)
def _dirichlet():
    return sc.entropy(sc.Dirichlet(list(al)))


@functools.lru_cache(maxsize=None)
def _beta():
    return sc.entropy(sc.Beta(a, b))


def test_beta_textbook_formula_is_the_definition():
    for x, y in [(0.5, 2.0), (3.0, 0.7)]:
        with mpmath.workdps(30):
            x, y = mpmath.mpf(x), mpmath.mpf(y)
            log_b = mpmath.log(mpmath.beta(x, y))

            def integrand(t):
                log_p = (x - 1) * mpmath.log(t) + (y - 1) * mpmath.log1p(-t) - log_b
                return -mpmath.exp(log_p) * log_p
            quad = mpmath.quad(integrand, [0, 0.5, 1])
            assert abs(quad - dirichlet_textbook(x, y)[0]) < mpmath.mpf(10) ** -12


def test_dirichlet_rule_takes_the_sum_apart_and_proves_it():
    for d in (_dirichlet(), _beta()):
        s = stabilise(d.result)
        assert s.expr.has(log_sum) and s.expr.has(lgamma_rem_sum) and s.expr.has(wdigamma_rem_gap), str(s)
        assert s.proved, str(s)


# the benchmark's NaN points (α₀ overflows), three parts at DBL_MAX (α₀/2 overflows too), ordinary ones
DIRICHLET_HARD = [(36.0, 1.7976931348623155e+308, 1e300), (M, 2.2250738585072014e-308, 1e300), (M, M, M),
                  (1e308, 1e308, 1e308), (M, 1.0, 1.0), (9e307, 9e307, 1.0), (1.0, 1.0, 1.0), (0.5, 0.5, 2.0),
                  (1e-300, 1e-300, 1e-300), (1.0, 1.0, 1.0000000000000002)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_dirichlet_entropy_at_the_hard_points(backend):
    f = sc.lambdify(_dirichlet(), list(al), backend=backend)
    # the mpmath backend's h(αᵢ), h′(αᵢ) kernels spend seconds at a tiny αᵢ (thousands of guard bits): the
    # overflowing sums are what this tests there
    pts = [p for p in DIRICHLET_HARD if min(p) >= 0.5] if backend == "mpmath" else DIRICHLET_HARD
    for pt in pts:
        want, scale = dirichlet_textbook(*pt)
        assert _err(f(*pt), want, scale) <= 16, (backend, pt, float(f(*pt)), float(want))


def test_beta_and_dirichlet_entropies_over_the_float_range():
    fb = sc.lambdify(_beta(), [a, b])
    for x, y in _sample(15, 2, seed=12) + [(M, M), (1e308, 1e308), (M, 1e-300)]:
        want, scale = dirichlet_textbook(x, y)
        assert _err(fb(x, y), want, scale) <= 16, (x, y, float(fb(x, y)), float(want))
    fd = sc.lambdify(_dirichlet(), list(al))
    for pt in _sample(15, 3, seed=13):
        want, scale = dirichlet_textbook(*pt)
        assert _err(fd(*pt), want, scale) <= 16, (pt, float(fd(*pt)), float(want))


def test_sum_kernels_where_the_sum_overflows():
    # the numpy kernels against the definitions in mpmath (not the kernels' own mpmath versions)
    np_k = array_impls("numpy")
    with mpmath.workdps(400):
        s3, s2 = 3 * mpmath.mpf(M), mpmath.mpf(M) + mpmath.mpf(1e308)
        h = lambda s: mpmath.loggamma(s) - s * mpmath.log(s) + s  # noqa: E731
        cases = [(np_k["log_sum"](M, M, M), mpmath.log(s3)),
                 (np_k["lgamma_rem_sum"](M, 1e308), h(s2)),
                 (np_k["wdigamma_rem_sum"](-3.0, M, M, M), (s3 - 3) * (mpmath.digamma(s3) - mpmath.log(s3))),
                 (np_k["wdigamma_rem_sum"](1e300, M, 1e308), (s2 + mpmath.mpf(1e300)) * (mpmath.digamma(s2) - mpmath.log(s2)))]
        for got, want in cases:
            assert abs(float(got) - float(want)) <= 2 * np.spacing(abs(float(want))), (float(got), float(want))
    assert np.isnan(np_k["log_sum"](1.0, -1.0)) and np.isnan(np_k["wdigamma_rem_sum"](0.0, 0.0, 1.0))
