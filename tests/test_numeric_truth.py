"""Ground truth: correctly rounded float64 values from interval arithmetic, checked against independent
stable formulas evaluated with mpmath at 80 digits (to 1e-30 relative on the adversarial grid)."""

from fractions import Fraction

import mpmath
import pytest
import sympy as sp

from symce.numeric.truth import ground_truth, to_float

p = sp.Symbol("p", positive=True)
t = sp.Symbol("t", nonnegative=True)
z = sp.Symbol("z", real=True)
s1, s2 = sp.symbols("sigma1 sigma2", positive=True)


def _close(tv, ref):
    with mpmath.workdps(80):
        return tv.mid == ref or abs(tv.mid - ref) <= mpmath.mpf(10) ** -30 * abs(ref)


@pytest.mark.parametrize("x", [1e-300, 1e-17, 0.25, 0.5, 1 - 1.1102230246251565e-16, 5e-324])
def test_bernoulli_entropy_matches_an_independent_stable_formula(x):
    H = -p * sp.log(p) - (1 - p) * sp.log(1 - p)  # the defining sum
    tv = ground_truth(H, [p], [x], min_bits=110)
    with mpmath.workdps(80):  # stable form: −p log p − (1 − p) log1p(−p)
        X = mpmath.mpf(x)
        ref = -X * mpmath.log(X) - (1 - X) * mpmath.log1p(-X)
    assert _close(tv, ref)
    assert tv.value == float(ref)


@pytest.mark.parametrize("tt", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("zz", [-800.0, -745.0, -40.0, -37.0, 0.0, 30.0, 709.78, 710.0, 800.0])
def test_bce_with_logits_matches_softplus_form(tt, zz):
    bce = sp.log(1 + sp.exp(z)) - t * z  # lambdify(..., 'mpmath') gives inf here at z = 800
    tv = ground_truth(bce, [t, z], [tt, zz], min_bits=110)
    with mpmath.workdps(80):  # (1 − t)·softplus(z) + t·softplus(−z)
        Z, T = mpmath.mpf(zz), mpmath.mpf(tt)
        sp_ = lambda v: v + mpmath.log1p(mpmath.exp(-v)) if v > 0 else mpmath.log1p(mpmath.exp(v))
        ref = (1 - T) * sp_(Z) + T * sp_(-Z)
    assert _close(tv, ref)


def test_normal_kl_near_equal_scales():
    kl = sp.log(s2 / s1) - sp.Rational(1, 2) + s1**2 / (2 * s2**2)
    a = 1.5
    b = float(mpmath.mpf(a) * (1 + mpmath.mpf("1e-12")))
    tv = ground_truth(kl, [s1, s2], [a, b], min_bits=110)
    with mpmath.workdps(80):
        u = (mpmath.mpf(a) - mpmath.mpf(b)) / mpmath.mpf(b)
        ref = u**2 / 2 - (mpmath.log1p(u) - u)
    assert _close(tv, ref) and tv.value > 0


def test_fixed_precision_is_not_enough_but_the_truth_is():
    H = -p * sp.log(p) - (1 - p) * sp.log(1 - p)
    with mpmath.workdps(50):  # 50 digits lose the −(1 − p) log(1 − p) ≈ p term entirely at p = 1e-300
        naive = -mpmath.mpf(1e-300) * mpmath.log(mpmath.mpf(1e-300)) - (1 - mpmath.mpf(1e-300)) * mpmath.log(1 - mpmath.mpf(1e-300))
    tv = ground_truth(H, [p], [1e-300])
    assert tv.resolved and tv.prec >= 1024
    assert float(naive) != tv.value


def test_exact_rounding_of_interval_ends():
    for man, exp in [(3, -1076), (5, -1077), (2**60 + 1, -1100), (1, 1024), (2**53 + 1, 0)]:
        try:
            ref = float(Fraction(man) * Fraction(2) ** exp)
        except OverflowError:
            ref = float("inf")
        assert to_float((0, man, exp, man.bit_length())) == ref


z1, z2, z3 = sp.symbols("z1 z2 z3", real=True)


@pytest.mark.parametrize("zs", [(0.0, 0.0, 0.0), (745.0, 0.0, -745.0), (800.0, 1e-300, -37.0), (1e300, -1e300, 0.5),
                                (-1.7976931348623157e308, 1e17, 30.0), (40.0, 40.0, -800.0), (-709.78, 710.0, 709.78)])
def test_softmax_entropy_matches_an_independent_stable_formula(zs):
    """The defining sum −Σ pᵢ log pᵢ with pᵢ = e^{zᵢ}/Σ e^{zⱼ}: the truth evaluates log pᵢ of the winning class
    as −log1p(Σ_{j≠i} e^{zⱼ}/e^{zᵢ}) — same value, pinned at low precision (it took ~1100 bits as a difference)."""
    zsym = [z1, z2, z3]
    S = sp.Add(*[sp.exp(z) for z in zsym])
    H = -sp.Add(*[sp.exp(z) / S * sp.log(sp.exp(z) / S) for z in zsym])
    tv = ground_truth(H, zsym, list(zs), min_bits=110)
    with mpmath.workprec(4000):  # shift by the max: log pᵢ = (zᵢ − m) − log1p(Σ_{j≠argmax} e^{zⱼ − m}); zᵢ − m exact
        Z = [mpmath.mpf(v) for v in zs]
        k = max(range(3), key=lambda i: Z[i])
        m = Z[k]
        rest = mpmath.fsum(mpmath.exp(Z[j] - m) for j in range(3) if j != k)
        logS = mpmath.log1p(rest)
        ref = -mpmath.fsum(mpmath.exp(Z[i] - m - logS) * (Z[i] - m - logS) for i in range(3))
    assert _close(tv, ref) and tv.value == float(ref)
    assert ground_truth(H, zsym, list(zs)).prec <= 256  # the winning class needs no cancellation


def test_bernoulli_logit_entropy_at_huge_logits_is_pinned_cheaply():
    sig = sp.exp(z) / (sp.exp(z) + 1)
    H = -sig * sp.log(sig) - (1 - sig) * sp.log(1 - sig)  # 1 − σ: a genuine cancellation, kept
    H2 = -sig * sp.log(sig) - 1 / (sp.exp(z) + 1) * sp.log(1 / (sp.exp(z) + 1))
    for zz in (-800.0, -40.0, 0.0, 36.0, 745.0, 1e300, -1e300):
        b = ground_truth(H2, [z], [zz])
        with mpmath.workdps(80):  # H = softplus(−|z|) + |z|·σ(−|z|)
            Z = abs(mpmath.mpf(zz))
            ref = mpmath.log1p(mpmath.exp(-Z)) + Z / (1 + mpmath.exp(Z))
        assert b.value == float(ref) and b.prec <= 256
        if abs(zz) < 1000:  # 1 − σ(z) cancels to e^−z: ~|z|·1.44 bits, impossible at 1e300
            assert ground_truth(H, [z], [zz]).value == float(ref)


# -- rigour at huge and tiny arguments, against 1000-digit mpmath --------------------------------------------
def test_log_and_exp_bounds_enclose_the_1000_digit_value():
    """mpmath's own directed rounding is not trusted: mpf_log(1 + 2⁻⁵², 64, round_ceiling) lies below the exact
    log; the truth's bounds enclose it, and the log of huge and tiny floats, at 64 … 1152 bits."""
    import math

    from mpmath import libmp as L

    from symce.numeric.truth_intervals import _exp_end, _log_end

    xs = [1 + 2.0**-52, 1 - 2.0**-53, 1.7976931348623157e308, 1e300, 2.0**1023, 5e-324, 1e-300,
          math.ldexp(1 - 2.0**-53, 1024), 2.2250738585072014e-308]
    for x in xs:
        m = L.from_float(x)
        with mpmath.workdps(1000):
            exact = mpmath.log(mpmath.mpf(m))
            for prec in (64, 128, 1152):
                assert mpmath.mpf(_log_end(m, prec, False)) <= exact <= mpmath.mpf(_log_end(m, prec, True)), (x, prec)
    for v in (-745.1, -1e-300, 2.0**-52, 709.78, 1e5, -3e6):
        m = L.from_float(v)
        with mpmath.workdps(1000):
            exact = mpmath.exp(mpmath.mpf(m))
            assert mpmath.mpf(_exp_end(m, 64, False)) <= exact <= mpmath.mpf(_exp_end(m, 64, True)), v


def test_softmax_ce_at_a_rounding_tie_rounds_up():
    """k = 3, t = (0, 1, 0), z = (1e17, −40, 1e-8): CE = log(e^{z1} + e^{z2} + e^{z3}) − z2 = 1e17 + 40 + δ with
    δ = log1p(e^{−1e17−40} + e^{1e-8−1e17}) > 0. 1e17 + 40 is exactly halfway between the floats 1e17 + 32 and
    1e17 + 48, so the correctly rounded value is 1e17 + 48 (δ is invisible even at 1000 digits)."""
    ts = sp.symbols("t1:4", positive=True)
    zs = sp.symbols("z1:4", real=True)
    S = sp.Add(*[sp.exp(v) for v in zs])
    ce = -sp.Add(*[tt * sp.log(sp.exp(v) / S) for tt, v in zip(ts, zs)])
    tv = ground_truth(ce, [*ts, *zs], [0.0, 1.0, 0.0, 1e17, -40.0, 1e-8])
    with mpmath.workdps(1000):
        lse = mpmath.log(mpmath.exp(mpmath.mpf(1e17)) + mpmath.exp(mpmath.mpf(-40)) + mpmath.exp(mpmath.mpf(1e-8)))
        value = lse + 40
        tie = mpmath.mpf(10) ** 17 + 40
        assert value >= tie  # the 1000-digit value is the tie itself (δ ≈ e^−1e17 is below 1000 digits)
    below, above = 1e17 + 32, 1e17 + 48
    assert Fraction(above) - Fraction(below) == 16 and Fraction(below) + 8 == 10**17 + 40  # exactly halfway
    assert tv.value == above


# -- the Arb evaluator (python-flint, optional) gives the same floats as the mpmath intervals -----------------
def test_arb_and_mpmath_engines_agree_on_the_verifier_inputs():
    pytest.importorskip("flint")
    import numpy as np

    import symce as sc
    from symce.numeric.truth import TruthFunction
    from symce.numeric.verify import declared_args, defining_expression, domain_of, make_inputs

    q = sp.Symbol("q", positive=True)
    ts = list(sp.symbols("t1:4", positive=True))
    zs = list(sp.symbols("z1:4", real=True))
    cases = [sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli.from_logit(z)), sc.kl(sc.Bernoulli(p), sc.Bernoulli(q)),
             sc.cross_entropy(sc.Categorical(ts), sc.Categorical.from_logits(zs))]
    for d in cases:
        expr = defining_expression(d)
        expr = d.result if expr is None else expr
        args = declared_args(d, expr)
        cols, _ = make_inputs(domain_of(d, args), 400, seed=2, grid_max=300)
        arb = TruthFunction(expr, args, engine="arb")
        assert arb.engine == "arb"
        va, _ = arb.many(cols)
        vm, _ = TruthFunction(expr, args, engine="mpmath").many(cols)
        va, vm = np.array(va), np.array(vm)
        assert np.all((va == vm) | (np.isnan(va) & np.isnan(vm)))


def test_arb_engine_at_the_tie_point_and_at_huge_logits():
    pytest.importorskip("flint")
    from symce.numeric.truth import TruthFunction

    ts = sp.symbols("t1:4", positive=True)
    zs = sp.symbols("z1:4", real=True)
    S = sp.Add(*[sp.exp(v) for v in zs])
    ce = -sp.Add(*[tt * sp.log(sp.exp(v) / S) for tt, v in zip(ts, zs)])
    tf = TruthFunction(ce, [*ts, *zs], engine="arb")
    assert tf(0.0, 1.0, 0.0, 1e17, -40.0, 1e-8).value == 1e17 + 48  # see the tie test above
    bce = sp.log(1 + sp.exp(z)) - t * z
    for zz in (1e300, -1e300, 800.0):  # e^{1e300} is beyond Arb's balls: the mpmath intervals take it
        with mpmath.workdps(60):
            Z = mpmath.mpf(zz)
            ref = (Z + mpmath.log1p(mpmath.exp(-Z))) if Z > 0 else mpmath.log1p(mpmath.exp(Z))
        assert TruthFunction(bce, [t, z], engine="arb")(0.0, zz).value == float(ref)


def test_special_functions_through_arb_against_mpmath_at_60_digits():
    """log Γ, ψ, ψ⁽²⁾, B, erf, erfc and I_ν (the newer families' formulas) are correctly rounded through Arb."""
    pytest.importorskip("flint")
    from symce.numeric.truth import TruthFunction

    x = sp.Symbol("x", positive=True)
    y = sp.Symbol("y", positive=True)
    cases = [(sp.loggamma(x) - x * sp.polygamma(0, x), lambda X, Y: mpmath.loggamma(X) - X * mpmath.digamma(X)),
             (sp.polygamma(2, x) + sp.erf(y), lambda X, Y: mpmath.polygamma(2, X) + mpmath.erf(Y)),
             (sp.log(sp.beta(x, y)) + sp.erfc(y), lambda X, Y: mpmath.log(mpmath.beta(X, Y)) + mpmath.erfc(Y)),
             (sp.besseli(1, x) * sp.exp(-x), lambda X, Y: mpmath.besseli(1, X) * mpmath.exp(-X))]
    for expr, ref in cases:
        tf = TruthFunction(expr, [x, y])
        for X, Y in [(0.5, 0.25), (3.0, 1e-3), (1e-8, 7.5), (123.456, 2.0)]:
            with mpmath.workdps(60):
                want = float(ref(mpmath.mpf(X), mpmath.mpf(Y)))
            got = tf(X, Y)
            assert got.resolved and got.value == want, (expr, X, Y)


def test_an_overflowing_interval_inside_does_not_leave_the_point_unresolved():
    """CE(Gumbel₁ ‖ Gumbel₂) = log β₂ + (γβ₁ + β₂e^{(μ₂ − μ₁)/β₂}Γ(β₁/β₂ + 1) + μ₁ − μ₂)/β₂ at μ₁ = μ₂ = −1.8e308:
    the exponent −μ₁/β₂ + μ₂/β₂ is an interval [−huge, +huge] at 64 bits and its e^x reaches 2^(10^304); the
    truth jumped from there to the maximal precision, failed there (special functions stop at 4096 bits) and
    reported +∞ unresolved. The exact value, with μ₂ − μ₁ = 0 taken by hand, is log β₂ + γβ₁/β₂ + Γ(1 + β₁/β₂)."""
    b1, b2, m1, m2 = sp.symbols("beta1 beta2 mu1 mu2", positive=True)
    ce = sp.log(b2) + (sp.EulerGamma * b1 + b2 * sp.exp(-m1 / b2 + m2 / b2) * sp.gamma(b1 / b2 + 1) + m1 - m2) / b2
    pt = [5e-324, 0.9999999999999999, -1.7976931348623157e308, -1.7976931348623157e308]
    tv = ground_truth(ce, [b1, b2, m1, m2], pt)
    with mpmath.workdps(60):
        B1, B2 = mpmath.mpf(pt[0]), mpmath.mpf(pt[1])
        ref = mpmath.log(B2) + mpmath.euler * B1 / B2 + mpmath.gamma(1 + B1 / B2)
    assert tv.resolved and tv.value == float(ref)
