"""The Beta and Dirichlet KLs at extreme parameters (issue 11, "Numbers": ≤ 16 ULP with special functions, no
spurious NaN/inf), against the textbook formula evaluated by mpmath to 50 significant digits from the exact
float inputs:

    KL(Beta(α₁, β₁) ‖ Beta(α₂, β₂)) = log B(α₂, β₂) − log B(α₁, β₁) + (α₁ − α₂)ψ(α₁) + (β₁ − β₂)ψ(β₁)
                                     + (α₂ − α₁ + β₂ − β₁)ψ(α₁ + β₁)

(Penny 2001, "KL-divergences of Normal, Gamma, Dirichlet and Wishart densities", eq. for the Dirichlet KL
with K = 2). For tiny α₁ the ψ terms are ≈ (α₂ − α₁)/α₁: two of them overflow where their difference (and the
KL) is finite — the log-gamma part of the derived form, Σ B(yᵢ, xᵢ) − B(Y, X), is one node
(stirling_bregman_sum) whose kernel takes that difference out analytically.
"""

import functools
import importlib.util

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.functions import stirling_bregman_sum
from symce.numeric.rewrite import stabilise
from symce.numeric.ulp import ulp_distance

BACKENDS = ["numpy", "math", "mpmath"] + [b for b in ("torch",) if importlib.util.find_spec(b)]
a1, b1, a2, b2 = sp.symbols("alpha1 beta1 alpha2 beta2", positive=True)


def _digits(*xs):
    # the ψ terms are up to max/min of the inputs apart before they cancel, log Γ of 1e308 has 308 digits'
    # worth of magnitude: the working precision covers both
    # (three times the largest decimal exponent bounds a product of two such terms against a result at the
    # smallest: 60 + 2·Σ|exponent| gave bit-identical references at every point here, at up to 3000 digits)
    return 60 + 3 * max(abs(int(mpmath.log10(x))) for x in xs)


@functools.lru_cache(maxsize=None)  # every backend's test asks for the same references
def textbook_kl(p1, q1, p2, q2):
    x = [mpmath.mpf(float(v)) for v in (p1, q1, p2, q2)]
    with mpmath.workdps(_digits(*x)):
        p1, q1, p2, q2 = x
        lb = lambda a, b: mpmath.loggamma(a) + mpmath.loggamma(b) - mpmath.loggamma(a + b)  # noqa: E731
        out = (lb(p2, q2) - lb(p1, q1) + (p1 - p2) * mpmath.digamma(p1) + (q1 - q2) * mpmath.digamma(q1)
               + (p2 - p1 + q2 - q1) * mpmath.digamma(p1 + q1))
    with mpmath.workdps(50):
        return +out


# (α₁, β₁, α₂, β₂)
POINTS = [  # the derived form's kl_div(α₂, α₁(α₂ + β₂)/(α₁ + β₁)) under/overflows its product elsewhere (open)
    (1.0797450598232308e-61, 9.838474694285427e-23, 2.1354227448195985e+127, 6.615638153660488e+302),  # 7.4e285
    (1e-300, 1.0, 1e300, 2.0), (1e-300, 1.0, 1e-150, 2.0),
]


def test_the_rule_combines_the_bregman_terms_and_proves_it():
    s = stabilise(sc.kl(sc.Beta(a1, b1), sc.Beta(a2, b2)).result)
    assert s.expr.has(stirling_bregman_sum) and s.proved, str(s)


@pytest.mark.parametrize("backend", BACKENDS)
def test_beta_kl_within_16_ulp_of_the_textbook_formula(backend):
    d = sc.kl(sc.Beta(a1, b1), sc.Beta(a2, b2))
    f = sc.lambdify(d, [a1, b1, a2, b2], backend=backend)
    # the mpmath backend's log Γ remainders carry guard digits for the exponents' spread (10–30 s CPU a point
    # here): one point checks it, the others the float backends
    for p in POINTS[2:] if backend == "mpmath" else POINTS:
        got = float(f(*p))
        exact = float(textbook_kl(*p))
        if np.isinf(exact):  # α₂/α₁ = 10⁶⁰⁰: the KL itself overflows
            assert got == exact, (backend, p, got)
            continue
        assert np.isfinite(got), (backend, p, got)
        assert ulp_distance(got, exact) <= 16, (backend, p, got, exact)


def _definition(args):
    """Σ B(yᵢ, xᵢ) − B(Σ y, Σ x) from log Γ and ψ directly (B(y, x) = log Γ(y) − log Γ(x) − (y − x)ψ(x)
    − y log(y/x) + y − x), not from the kernel's h."""
    x = [mpmath.mpf(float(v)) for v in args]
    with mpmath.workdps(_digits(*x)):
        def b(y, x):
            return (mpmath.loggamma(y) - mpmath.loggamma(x) - (y - x) * mpmath.digamma(x) - y * mpmath.log(y / x)
                    + y - x)
        ys, xs = x[0::2], x[1::2]
        out = sum(b(y, v) for y, v in zip(ys, xs)) - b(sum(ys), sum(xs))
    with mpmath.workdps(50):
        return +out


KERNEL_POINTS = [  # (y₁, x₁, y₂, x₂[, y₃, x₃]): sums that overflow, subnormal x, a Dirichlet triple
    (1e308, 1e-300, 1e308, 2.0), (1e308, 3.0, 1e308, 1e300), (1.0, 1e308, 2.0, 1e308),
    (2.7069422261713962e-244, 7.003680190461886e+301, 3.0388536001356854e-275, 8.142184074351952e-143,
     5.210518966561092e+255, 6.927042038358149e+294),
    (1e-8, 30.0, 0.5, 1e308, 1e17, 1e300), (2.0, 5e-320, 3.0, 1.0),
]


def test_kernel_against_the_definition_where_the_sums_overflow():
    from symce.numeric.impl.arrays import array_impls

    kernel = array_impls("numpy")["stirling_bregman_sum"]
    for p in KERNEL_POINTS:
        got = float(kernel(*p))
        exact = float(_definition(p))
        if np.isinf(exact):
            assert got == exact, (p, got)
        else:
            assert ulp_distance(got, exact) <= 16, (p, got, exact)


# -- the relative-entropy terms kl_div(α₂ᵢ, α₁ᵢ·Σα₂/Σα₁) (functions/kl_share.py) ------------------------------

def textbook_dirichlet_kl(a, b):
    """KL(Dir(a) ‖ Dir(b)) = log Γ(Σa) − Σ log Γ(aᵢ) − log Γ(Σb) + Σ log Γ(bᵢ) + Σ (aᵢ − bᵢ)(ψ(aᵢ) − ψ(Σa))
    (Penny 2001), in mpmath from the exact float inputs."""
    x = [mpmath.mpf(float(v)) for v in (*a, *b)]
    with mpmath.workdps(_digits(*x)):
        a, b = x[: len(a)], x[len(a):]
        sa, sb = mpmath.fsum(a), mpmath.fsum(b)
        out = (mpmath.loggamma(sa) - mpmath.fsum(mpmath.loggamma(v) for v in a) - mpmath.loggamma(sb)
               + mpmath.fsum(mpmath.loggamma(v) for v in b)
               + mpmath.fsum((ai - bi) * (mpmath.digamma(ai) - mpmath.digamma(sa)) for ai, bi in zip(a, b)))
    with mpmath.workdps(50):
        return +out


SHARE_POINTS = [  # (α₁, β₁, α₂, β₂) where α₁(α₂ + β₂)/(α₁ + β₁) underflowed to 0 (kl_div(x, 0) = ∞, was inf)
    (9.641443026205218e-300, 1.238862510649927e-157, 4.017063972633943e-299, 1.416519874420602e-262),
    (1.8381976005477955e+181, 1.1251703246376333e-274, 7.317000998485535e-299, 4.9094344041217507e-281),
]


def _share_definition(x, a, ts, ss):
    x, a = mpmath.mpf(float(x)), mpmath.mpf(float(a))
    with mpmath.workdps(1500):  # the sums exact, y = a·t/s far below the float range
        y = a * mpmath.fsum(mpmath.mpf(float(v)) for v in ts) / mpmath.fsum(mpmath.mpf(float(v)) for v in ss)
        out = x * mpmath.log(x / y) - x + y
    return float(out)


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_beta_kl_where_the_share_product_underflows(backend):
    d = sc.kl(sc.Beta(a1, b1), sc.Beta(a2, b2))
    assert stabilise(d.result).expr.has(sc.numeric.functions.kl_div_share)
    f = sc.lambdify(d, [a1, b1, a2, b2], backend=backend)
    share = sc.lambdify(sc.numeric.functions.kl_div_share(a2, a1, a2 + b2, a1 + b1), [a1, b1, a2, b2],
                        backend=backend)
    for p in SHARE_POINTS:
        al1, be1, al2, be2 = p
        # the term itself (9.7e-297 at the first point, was +∞) to 2 ULP of its definition
        got, exact = float(share(*p)), _share_definition(al2, al1, (al2, be2), (al1, be1))
        assert ulp_distance(got, exact) <= 2, (p, got, exact)
        # the whole KL (stirling_bregman_sum was 47 ULP off at the first point before impl/bregman_pair.py)
        got, exact = float(f(*p)), float(textbook_kl(*p))
        assert np.isfinite(got) and ulp_distance(got, exact) <= 16, (p, got, exact)


DIRICHLET_POINTS = [  # Σα₁ = 1.8e308 + 10³⁰⁰ overflows: a·T/∞ = 0 and ∞/∞ = NaN before (was NaN)
    ((30.0, 1.7976931348623157e+308, 1e+300), (1e-08, 0.5, 1e+17)),
    ((36.0, 1.7976931348623155e+308, 1e+300), (1e+17, 5e-324, 800.0)),
    # Σα₂ = 1.8e308 + 10³⁰⁰ overflows with one pair dominant: impl/bregman_pair's form took B(Σα₂, α₂₁) = +∞ and
    # gave −∞ for the KL's 6.9e302 (issue 11, benchmarks/accuracy.py --common-only --seed 1)
    ((1.7976931348623157e+308, 0.5, 38.0), (1.7976931348623155e+308, 709.78, 1e+300)),
]


@pytest.mark.parametrize("a, b", DIRICHLET_POINTS)
def test_dirichlet_kl_where_the_concentration_sum_overflows(a, b):
    from symce.families.dirichlet import Dirichlet

    xs = sp.Matrix(sp.symbols("x1:4", positive=True))
    ys = sp.Matrix(sp.symbols("y1:4", positive=True))
    f = sc.lambdify(sc.kl(Dirichlet(xs), Dirichlet(ys)), [*xs, *ys])
    got, exact = float(f(*a, *b)), float(textbook_dirichlet_kl(a, b))
    assert np.isfinite(got) and ulp_distance(got, exact) <= 16, (a, b, got, exact)


PAIR_POINTS = [  # (y₁, x₁, y₂, x₂): one pair dominates, the terms' sum cancelled to 0 (4e18 and 4e17 ULP) or 47 ULP
    (37.0, 0.9999999999999999, 1.0000000000010002e-300, 1e-300),  # 5.0e-25: B(y₂, x₂) alone, the rest O(10⁻³⁰⁰)
    (1e-17, 33.0, 1e-300, 1e-300),  # 1e-283: δ·(h′(y₁) − h′(X)) ≈ 10⁻³⁰⁰·10¹⁷
    (4.017063972633943e-299, 9.641443026205218e-300, 1.416519874420602e-262, 1.238862510649927e-157),
]


@pytest.mark.parametrize("p", PAIR_POINTS)
def test_bregman_sum_where_one_pair_dominates(p):
    from symce.numeric.impl.arrays import array_impls

    got, exact = float(array_impls("numpy")["stirling_bregman_sum"](*p)), float(_definition(p))
    assert ulp_distance(got, exact) <= 2, (p, got, exact)
    # and through the Beta KL's generated code (its KL terms are 0 or O(10⁻³⁰⁰) beside it at the first two)
    f = sc.lambdify(sc.kl(sc.Beta(a1, b1), sc.Beta(a2, b2)), [a1, b1, a2, b2])
    q = (p[1], p[3], p[0], p[2])  # (α₁, β₁, α₂, β₂)
    got, exact = float(f(*q)), float(textbook_kl(*q))
    assert ulp_distance(got, exact) <= 16, (q, got, exact)
