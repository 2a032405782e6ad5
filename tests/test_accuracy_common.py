"""The common families' formulas as generated float code, near the points where they cancel, against
mpmath summation of each family's own definition Σₓ P(x) log(P(x)/Q(x)) at 60 digits (independent of the
closed form and of the ground truth the report uses):

* the count families' KLs are a Bernoulli or categorical KL times a factor (Binomial n, Geometric 1/p₁,
  NegativeBinomial r/(1 − p₁), Multinomial n); near P = Q their terms cancel to O((p₁ − p₂)²), so the
  plain closed form loses every digit there (symce.numeric.rewrite_counts);
* every rewrite step that produced the stable form is proved.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.families.binomial import Binomial
from symce.families.geometric import Geometric
from symce.families.multinomial import Multinomial
from symce.families.negative_binomial import NegativeBinomial
from symce.numeric.rewrite import stabilise

MP_DPS = 60
#: four units in the last place, relative (the issue's goal for elementary formulas)
ULP4 = 4 * 2.0 ** -52


def pos(name):
    return sp.Symbol(name, positive=True)


p1, p2, r = pos("p1"), pos("p2"), pos("r")
N = sp.Symbol("n", integer=True, nonnegative=True)


def _mpf(x):
    return mpmath.mpf(float(x))  # the float64 input at its exact binary value


def _binomial_kl(n, a, b):
    a, b = _mpf(a), _mpf(b)
    return mpmath.fsum(mpmath.binomial(n, x) * a**x * (1 - a) ** (n - x)
                       * (x * mpmath.log(a / b) + (n - x) * mpmath.log((1 - a) / (1 - b))) for x in range(n + 1))


def _geometric_kl(a, b):
    # torch's Geometric: failures before the first success, P(x) = (1 − p)^x p, x = 0, 1, …
    a, b = _mpf(a), _mpf(b)
    return mpmath.nsum(lambda x: (1 - a) ** x * a * (mpmath.log(a / b) + x * mpmath.log((1 - a) / (1 - b))),
                       [0, mpmath.inf])


def _negative_binomial_kl(k, a, b):
    # torch's NegativeBinomial(total_count r, probs p): successes (probability p) before the r-th failure,
    # P(x) = Γ(x + r)/(Γ(r) x!) p^x (1 − p)^r
    k, a, b = _mpf(k), _mpf(a), _mpf(b)

    def term(x):
        pmf = mpmath.exp(mpmath.loggamma(x + k) - mpmath.loggamma(k) - mpmath.loggamma(x + 1)) * a**x * (1 - a) ** k
        return pmf * (x * mpmath.log(a / b) + k * mpmath.log((1 - a) / (1 - b)))

    return mpmath.nsum(term, [0, mpmath.inf])


def _multinomial_kl(n, ps, qs):
    from itertools import product

    ps, qs = [_mpf(v) for v in ps], [_mpf(v) for v in qs]
    total = mpmath.mpf(0)
    for xs in product(range(n + 1), repeat=len(ps)):
        if sum(xs) != n:
            continue
        coef = mpmath.factorial(n) / mpmath.fprod(mpmath.factorial(x) for x in xs)
        pmf = coef * mpmath.fprod(p**x for p, x in zip(ps, xs))
        total += pmf * mpmath.fsum(x * mpmath.log(p / q) for x, p, q in zip(xs, ps, qs))
    return total


def _near(p, k):
    """p moved by k units in the last place."""
    for _ in range(abs(k)):
        p = np.nextafter(p, np.inf if k > 0 else -np.inf)
    return float(p)


def _close(got, exact, tol=ULP4):
    assert math.isfinite(got)
    assert abs(got - float(exact)) <= tol * abs(float(exact)), (got, float(exact))


# (name, P, Q, argument order, points, exact definition at a point)
CASES = [
    ("binomial", Binomial(N, p1), Binomial(N, p2), (N, p1, p2),
     [(800, 0.9, _near(0.9, 1)), (7, 0.3, 0.3 * (1 + 1e-9)), (12, 0.02, 0.5), (3, 1e-12, 2e-12)],
     lambda n, a, b: _binomial_kl(int(n), a, b)),
    ("geometric", Geometric(p1), Geometric(p2), (p1, p2),
     [(0.25, _near(0.25, 3)), (0.7, 0.7 * (1 + 1e-7)), (0.1, 0.6), (1e-3, 1.0000001e-3)],
     _geometric_kl),
    ("negative binomial", NegativeBinomial(r, p1), NegativeBinomial(r, p2), (r, p1, p2),
     [(3.5, 0.4, _near(0.4, 2)), (0.5, 0.8, 0.8 * (1 - 1e-8)), (10.0, 0.1, 0.3)],
     _negative_binomial_kl),
]


@pytest.mark.parametrize("name, P, Q, args, points, exact", CASES, ids=[c[0] for c in CASES])
def test_count_kl_near_p_equal_q_against_the_summed_definition(name, P, Q, args, points, exact):
    f = sc.lambdify(sc.kl(P, Q), list(args))
    for pt in points:
        _close(float(f(*pt)), exact(*pt))


@pytest.mark.parametrize("name, P, Q, args, points, exact", CASES, ids=[c[0] for c in CASES])
def test_count_kl_stable_form_is_proved(name, P, Q, args, points, exact):
    s = stabilise(sc.kl(P, Q).result)
    assert s.expr.has(sc.numeric.kl_div) or s.expr.has(sc.numeric.functions.scaled_kl_div)
    assert s.steps and s.proved, str(s)


def test_multinomial_kl_is_n_times_the_categorical_kl_near_p_equal_q():
    ps = sp.Matrix([pos(f"a{i}") for i in range(3)])
    qs = sp.Matrix([pos(f"b{i}") for i in range(3)])
    d = sc.kl(Multinomial(3, ps), Multinomial(3, qs))
    f = sc.lambdify(d, list(ps) + list(qs))
    a = [0.2, 0.3, 0.5]
    for b in ([_near(0.2, 1), _near(0.3, -1), 0.5], [0.2 * (1 + 1e-10), 0.3, 0.5 - 2e-11], [0.1, 0.6, 0.3]):
        _close(float(f(*a, *b)), _multinomial_kl(3, a, b), tol=8 * 2.0 ** -52)
    s = stabilise(d.result)
    assert s.proved and s.expr.has(sc.numeric.functions.rel_entr_sum)


# -- ContinuousBernoulli: the normaliser's 0/0 at λ = ½ (symce.numeric.functions.logit_ratio) ------------------
def _cb_log_density(lam, x):
    lam = _mpf(lam)
    c = mpmath.mpf(2) if lam == 0.5 else 2 * mpmath.atanh(1 - 2 * lam) / (1 - 2 * lam)
    return mpmath.log(c) + x * mpmath.log(lam) + (1 - x) * mpmath.log(1 - lam)


def _cb_cross_entropy(l1, l2):
    return -mpmath.quad(lambda x: mpmath.exp(_cb_log_density(l1, x)) * _cb_log_density(l2, x), [0, 1])


@pytest.mark.parametrize("quantity", ["entropy", "cross_entropy", "kl"])
def test_continuous_bernoulli_is_finite_and_right_at_and_near_one_half(quantity):
    from symce.families.continuous_bernoulli import ContinuousBernoulli

    l1, l2 = pos("l1"), pos("l2")
    P, Q = ContinuousBernoulli(l1), ContinuousBernoulli(l2)
    d = {"entropy": lambda: sc.entropy(P), "cross_entropy": lambda: sc.cross_entropy(P, Q),
         "kl": lambda: sc.kl(P, Q)}[quantity]()
    args = [l1] if quantity == "entropy" else [l1, l2]
    f = sc.lambdify(d, args)
    s = stabilise(d.result, prove=False)
    F = sc.numeric.functions
    assert s.expr.has(F.cbern_negentropy, F.cbern_xent, F.cbern_kl) and not s.expr.has(sp.atanh)
    points = [(0.5, 0.5), (0.5, 0.3), (0.3, 0.5), (0.5 + 2**-30, 0.2), (0.9, 0.9 - 1e-3), (1e-20, 0.7), (0.2, 1e-12)]
    for l1v, l2v in points:
        if quantity == "entropy":
            exact = _cb_cross_entropy(l1v, l1v)
        elif quantity == "cross_entropy":
            exact = _cb_cross_entropy(l1v, l2v)
        else:
            exact = _cb_cross_entropy(l1v, l2v) - _cb_cross_entropy(l1v, l1v)
        got = float(f(*([l1v] if quantity == "entropy" else [l1v, l2v])))
        assert math.isfinite(got), (l1v, l2v, got)
        # relative where the value is O(1); absolute 1e-15 near the zeros at λ = ½ (H, and CE against the
        # uniform Q) and at P = Q (KL), where the terms of size 1 cancel
        assert abs(got - float(exact)) <= 1e-15 + 8 * 2.0**-52 * abs(float(exact)), (l1v, l2v, got, float(exact))


def test_ground_truth_leaves_zero_over_zero_unresolved_instead_of_zero():
    # λ·log(λ/(1 − λ))/(2λ − 1) at λ = ½ is 0/0 (its limit is 1): the 0·log 0 convention must not make it 0
    from symce.numeric.truth import TruthFunction

    lam = pos("lam")
    expr = lam * sp.log(lam / (1 - lam)) / (2 * lam - 1)
    for engine in ("mpmath", "auto"):
        f = TruthFunction(expr, [lam], engine=engine)
        at_half = f(0.5)
        assert not at_half.resolved and math.isnan(at_half.value)
        near = f(0.5 + 2.0**-30)
        exact = mpmath.mpf(0.5 + 2.0**-30) * mpmath.log(mpmath.mpf(0.5 + 2.0**-30) / (0.5 - 2.0**-30)) / 2.0**-29
        assert near.resolved and near.value == float(exact)
    # the convention itself is kept: 0·log 0 = 0
    assert TruthFunction(lam * sp.log(lam), [lam])(0.0).value == 0.0


# -- Uniform: log(b − a) with the difference exact (symce.numeric.functions.log_diff) ---------------------------
def test_uniform_entropy_takes_the_exact_difference():
    from symce.families.uniform import Uniform

    a, b = sp.symbols("a b", real=True)
    f = sc.lambdify(sc.entropy(Uniform(a, b)), [a, b])
    big = 1.7976931348623157e308
    # H = −∫ₐᵇ (b − a)⁻¹ log (b − a)⁻¹ dx = log(b − a), with b − a exact (mpmath.fsub): b − a rounds to 1 (0 for
    # 1e-17), or overflows
    for av, bv in [(-1.0, 1e-17), (1e-300, 1.0), (-big, big), (0.25, 0.75), (3.0, 3.0 + 2**-40)]:
        exact = mpmath.log(mpmath.fsub(_mpf(bv), _mpf(av), exact=True))
        _close(float(f(av, bv)), exact, tol=2 * 2.0**-52)


def test_uniform_kl_is_infinite_outside_nested_supports_and_sampled_with_low_below_high():
    from symce.families.uniform import Uniform
    from symce.numeric.verify_domain import domain_of
    from symce.numeric.verify_inputs import make_inputs

    a1, b1, a2, b2 = sp.symbols("a1 b1 a2 b2", real=True)
    d = sc.kl(Uniform(a1, b1), Uniform(a2, b2))
    f = sc.lambdify(d, [a1, b1, a2, b2])
    assert float(f(0.0, 1.0, -1.0, 1.0)) == float(mpmath.log(2))
    assert float(f(-2.0, 1.0, -1.0, 1.0)) == math.inf
    # nearly equal supports: log(b₂ − a₂) − log(b₁ − a₁) cancels (1.3e6 ULP before log_diff_ratio)
    for pt in [(709.78, 1e17, 0.5, 1.0000009999999998e17), (0.0, 1.0, -2.0**-40, 1.0), (-800.0, -33.0, -800.0, -1.0)]:
        exact = mpmath.log(mpmath.fsub(_mpf(pt[3]), _mpf(pt[2]), exact=True)
                           / mpmath.fsub(_mpf(pt[1]), _mpf(pt[0]), exact=True))
        _close(float(f(*pt)), exact, tol=2 * 2.0**-52)
    dom = domain_of(d, [a1, b1, a2, b2])
    cols, _ = make_inputs(dom, 200, 0, grid_max=50)
    assert (cols[0] <= cols[1]).all() and (cols[2] <= cols[3]).all()


def test_ground_truth_keeps_an_undefined_term_undefined():
    # mpmath's interval product makes NaN·x = [0, 0] and its sum NaN + x the whole line: −log(0/0) + 1 was 1
    from symce.numeric.truth import TruthFunction

    lam = pos("lam")
    expr = 1 - sp.log(sp.atanh(2 * lam - 1) / (2 * lam - 1))
    got = TruthFunction(expr, [lam], engine="mpmath")(0.5)
    assert not got.resolved and math.isnan(got.value)


def test_geometric_entropy_near_p_one_against_the_summed_definition():
    # H = −Σ (1 − p)^x p log((1 − p)^x p); near p = 1 the closed form's 1 − 1/p kept one bit (2× the value)
    f = sc.lambdify(sc.entropy(Geometric(p1)), [p1])
    for p in (_near(1.0, -1), 1 - 1e-9, 0.75, 1e-6):
        a = _mpf(p)
        exact = -mpmath.nsum(lambda x: (1 - a) ** x * a * (x * mpmath.log1p(-a) + mpmath.log(a)), [0, mpmath.inf])
        _close(float(f(p)), exact)


def test_probabilities_of_families_declared_on_the_open_interval_are_sampled_inside_it():
    from symce.numeric.verify_domain import domain_of
    from symce.numeric.verify_inputs import make_inputs

    d = sc.kl(Geometric(p1), Geometric(p2))
    cols, _ = make_inputs(domain_of(d, [p1, p2]), 400, 0, grid_max=100)
    assert ((cols > 0) & (cols < 1)).all()
    b = sc.kl(sc.Bernoulli(p1), sc.Bernoulli(p2))  # Bernoulli(0) and Bernoulli(1) are distributions
    cols, _ = make_inputs(domain_of(b, [p1, p2]), 400, 0, grid_max=100)
    assert (cols == 0).any() and (cols == 1).any()


def _multinomial_entropy(n, ps):
    from itertools import product

    ps = [_mpf(v) for v in ps]
    total = mpmath.mpf(0)
    for xs in product(range(n + 1), repeat=len(ps)):
        if sum(xs) == n:
            pmf = mpmath.factorial(n) / mpmath.fprod(mpmath.factorial(x) for x in xs) * mpmath.fprod(
                p**x for p, x in zip(ps, xs))
            total -= pmf * mpmath.log(pmf) if pmf else 0
    return total


@pytest.mark.parametrize("n", [2, 3])
def test_multinomial_entropy_near_a_vertex_against_the_summed_definition(n):
    # (Σ pᵢⁿ − 1)·log n! cancels near a vertex; homogenised with Σ pᵢ = 1 it is one sign (rewrite_counts)
    ps = sp.Matrix([pos(f"a{i}") for i in range(3)])
    d = sc.entropy(Multinomial(n, ps))
    f = sc.lambdify(d, list(ps))
    for p in ([1 - 2.0**-30, 2.0**-30, 0.0], [0.25, 0.25, 0.5], [1 - 3e-9, 1e-9, 2e-9]):
        _close(float(f(*p)), _multinomial_entropy(n, p), tol=8 * 2.0**-52)
    s = stabilise(d.result, assumptions=d.conditions)
    assert s.proved, str(s)


def test_continuous_bernoulli_kl_near_p_equal_q_is_relative_accurate():
    # the closed form cancels to O((λ₂ − λ₁)²) (−1.1e-16 for 5.5e-32 at λ₁ = 0.75, λ₂ = λ₁ + 1 ulp); cbern_kl
    # integrates A″ by Gauss–Legendre from the logits' exact difference. Reference: the definition ∫ p log(p/q)
    from symce.families.continuous_bernoulli import ContinuousBernoulli

    l1, l2 = pos("l1"), pos("l2")
    d = sc.kl(ContinuousBernoulli(l1), ContinuousBernoulli(l2))
    assert stabilise(d.result, prove=False).expr.func is sc.numeric.functions.cbern_kl
    f = sc.lambdify(d, [l1, l2])
    for x, y in [(0.75, _near(0.75, 1)), (0.3, 0.3 * (1 + 1e-6)), (0.5, 0.5 + 1e-9), (1e-5, 1.1e-5), (0.2, 0.35)]:
        exact = mpmath.quad(lambda t: mpmath.exp(_cb_log_density(x, t)) * (_cb_log_density(x, t)
                                                                             - _cb_log_density(y, t)), [0, 1])
        _close(float(f(x, y)), exact, tol=8 * 2.0**-52)
