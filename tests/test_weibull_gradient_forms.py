"""Partials of the Weibull cross-entropy and KL (issue 12 item 1), through the rule 'Weibull derivative forms'.
Before it: ∂/∂λ kept λ₁^{k₂}Γ(1 + k₂/k₁)/λ₂^{k₂} unscaled (∞/∞ = NaN at k₁ = 739, k₂ = 913, λ₁ = 267, λ₂ = 490,
value −3.42), ∂/∂k₁ divided by k₁² (overflow), ∂/∂k₂ had (G − 1)·log-ratio + Gψ(z)/k₁ as ∞ − ∞; near P = Q the
KL's ∂/∂λ = ±k₂(G − 1)/λ lost every digit of G − 1. References: the derivatives of the closed forms
CE = k₂ log λ₂ − log k₂ + (λ₁/λ₂)^{k₂} Γ(1 + k₂/k₁) + (1 − k₂)(log λ₁ − γ/k₁) and KL = CE − H(P),
H(P) = log(λ₁/k₁) + 1 + γ(1 − 1/k₁) (Gil, Alajaji & Linder 2013), by mpmath.diff at 50 digits from the exact
float inputs. Arguments in lambdify's order: λ₁, k₁, λ₂, k₂."""

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.rewrite import stabilise

L1, K1, L2, K2 = sp.symbols("l1 k1 l2 k2", positive=True)
SYMS = (L1, K1, L2, K2)


def ce(l1, k1, l2, k2):
    return (k2 * mpmath.log(l2) - mpmath.log(k2) + mpmath.exp(k2 * (mpmath.log(l1) - mpmath.log(l2))
            + mpmath.loggamma(1 + k2 / k1)) + (1 - k2) * (mpmath.log(l1) - mpmath.euler / k1))


def kl(l1, k1, l2, k2):
    return ce(l1, k1, l2, k2) - (mpmath.log(l1 / k1) + 1 + mpmath.euler * (1 - 1 / k1))


def partial(f, p, i):
    with mpmath.workdps(50):
        x = [mpmath.mpf(v) for v in p]

        def g(t):
            y = list(x)
            y[i] = t
            return f(*y)

        return mpmath.diff(g, x[i])


# the former NaN point, near P = Q (the KL's partials ≈ 1e-10), and moderate points
POINTS = [(266.76888212705313, 739.4336749198573, 490.05485632766533, 913.2029336234468),
          (1.0, 2.0, 1.0000000001, 2.0), (1.0, 2.0, 1.0, 2.0000000003),
          (0.7, 1.5, 1.3, 2.5), (3.0, 0.5, 0.2, 1.2), (1e-3, 4.0, 2.0, 0.3), (30.0, 0.5, 29.99999999997, 0.5)]
NEAR = (1, 2, 6)


@pytest.fixture(scope="module")
def derivations():
    P, Q = sc.Weibull(L1, K1), sc.Weibull(L2, K2)
    return {"CE": (sc.cross_entropy(P, Q), ce), "KL": (sc.kl(P, Q), kl)}


def test_the_rule_is_proved(derivations):
    for d, _ in derivations.values():
        for v in SYMS[1:] + SYMS[:1]:
            steps = stabilise(sp.diff(d.result, v)).steps
            assert any(s.rule.startswith("Weibull derivative forms") for s in steps), v
            assert all(s.status == "proved" for s in steps), v


@pytest.mark.parametrize("kind", ["CE", "KL"])
def test_partials(derivations, kind):
    d, f = derivations[kind]
    grads = [sc.lambdify(sp.diff(d.result, v), list(SYMS), backend="numpy") for v in SYMS]
    for j, p in enumerate(POINTS):
        for i, g in enumerate(grads):
            if j in NEAR and i in (1, 3):
                continue  # ∂/∂k near P = Q: 1 − γr − rGψ(z) still cancels (in units of its terms, not of the value)
            want = partial(f, p, i)
            got = float(g(*p))
            assert abs(got - float(want)) <= 16 * np.spacing(abs(float(want))), (kind, SYMS[i], p, got, want)


def test_lambda_partial_torch(derivations):
    torch = pytest.importorskip("torch")
    d, f = derivations["KL"]
    g = sc.lambdify(sp.diff(d.result, L2), list(SYMS), backend="torch")
    got = g(*(torch.tensor([p[i] for p in POINTS], dtype=torch.float64) for i in range(4)))
    for v, p in zip(got, POINTS):
        want = float(partial(f, p, 2))
        assert abs(float(v) - want) <= 16 * np.spacing(abs(want)), (p, float(v), want)


def test_entropy_partial():
    """∂H/∂k = (γ − k)/k² (H = log(λ/k) + 1 + γ(1 − 1/k)): k² overflowed (−0 for −1.6e-192 at k = 6.1e191);
    at k = float(γ) the value is −1.5e-17 from γ's digits beyond the float."""
    lam, k = sp.symbols("lam k", positive=True)
    d = sc.entropy(sc.Weibull(lam, k)).gradient([k])
    for backend in ("numpy", "math"):
        f = sc.lambdify(d.result[0], [lam, k], backend=backend)
        for x in (6.115183250398698e+191, 0.5772156649015329, 2.5, 1e-100):
            with mpmath.workdps(50):
                want = float((mpmath.euler - mpmath.mpf(x)) / mpmath.mpf(x) ** 2)
            # (the math backend's printer folds γ alone to 25 digits: γ − c_hi keeps ~9 of its digits there)
            tol = 1e-8 * abs(want) if backend == "math" and x < 1 else 2 * np.spacing(abs(want))
            assert abs(float(f(1.0, x)) - want) <= tol, (backend, x)


def test_lambda_partials_where_the_exponent_is_undefined_in_floats(derivations):
    """k₁ = 1e-17, k₂ = 1.8e308: z = 1 + k₂/k₁ and L = k₂ log(λ₁/λ₂) overflow to +∞ and −∞ (s = ∞ − ∞ in floats);
    s = L + log Γ(z) ≈ −6.3e308 + 1.8e325·747 is +∞, so G = ∞ and ∂CE/∂λ₁ = (k₂G + 1 − k₂)/λ₁ = +∞,
    ∂KL/∂λ₂ = −k₂(G − 1)/λ₂ = −∞ (the sign from the logarithms of the two parts, impl/gamma_excess)."""
    p = (1.0, 1e-17, 33.0, 1.7976931348623155e308)
    with mpmath.workdps(30):
        s = p[3] * (mpmath.log(p[0]) - mpmath.log(p[2])) + mpmath.loggamma(1 + mpmath.mpf(p[3]) / p[1])
    assert s > 1e300
    f = sc.lambdify(sp.diff(derivations["CE"][0].result, L1), list(SYMS), backend="numpy")
    g = sc.lambdify(sp.diff(derivations["KL"][0].result, L2), list(SYMS), backend="numpy")
    with np.errstate(all="ignore"):
        assert float(f(*p)) == float("inf")
        assert float(g(*p)) == float("-inf")


def test_lambda_partials_in_extended_range(derivations):
    """∂KL/∂λ₂ = −(k₂/λ₂)(G − 1): at k₂ = 1.3e-291 the product k₂(G − 1) underflows (the value 4.05e-232), at
    λ₁ = 1.8e308 the quotient k₂/λ₁ underflows against G − 1 = ∞ (∂CE/∂λ₁ = +∞): the three factors in extended
    range. G in mpmath from its exponent."""
    def g_minus_1(l1, k1, l2, k2):
        with mpmath.workdps(400):  # 1 + k₂/k₁ = 1 + 3e-148: the digits of log Γ(1 + r) ≈ −γr need 150 more
            l1, k1, l2, k2 = (mpmath.mpf(x) for x in (l1, k1, l2, k2))
            return k2, mpmath.expm1(k2 * (mpmath.log(l1) - mpmath.log(l2)) + mpmath.loggamma(1 + k2 / k1))

    p = (1.9697422874568523e-202, 4.2415230754542206e-144, 5.610911817757481e-208, 1.2925617195317417e-291)
    f = sc.lambdify(sp.diff(derivations["KL"][0].result, L2), list(SYMS), backend="numpy")
    k2, m1 = g_minus_1(*p)
    want = float(-k2 / mpmath.mpf(p[2]) * m1)
    assert abs(float(f(*p)) - want) <= 4 * np.spacing(abs(want))
    q = (1.7976931348623155e308, 2.2250738585072014e-308, 710.0, 1e-300)
    assert g_minus_1(*q)[1] > mpmath.mpf("1e400")
    h = sc.lambdify(sp.diff(derivations["CE"][0].result, L1), list(SYMS), backend="numpy")
    with np.errstate(all="ignore"):
        assert float(h(*q)) == float("inf")


def test_k_partials_at_subnormal_shapes(derivations):
    """k₁ = 5e-324, k₂ = 1e-323 (r = 2): ∂KL/∂k₁ = (1 − γr − rGψ(1 + r))/k₁ = −∞ and ∂CE/∂k₂ =
    (G(rψ(z) + L) − L − 1)/k₂ + γ/k₁ = +∞; the terms over k₁ apart were ∞ − ∞ = NaN."""
    p = (1e300, 5e-324, 37.0, 1e-323)
    with mpmath.workdps(40):
        l1, k1, l2, k2 = (mpmath.mpf(x) for x in p)
        r, big_l = k2 / k1, k2 * (mpmath.log(l1) - mpmath.log(l2))
        g = mpmath.exp(big_l + mpmath.loggamma(1 + r))
        dkl_dk1 = (1 - mpmath.euler * r - r * g * mpmath.digamma(1 + r)) / k1
        dce_dk2 = (g * (r * mpmath.digamma(1 + r) + big_l) - big_l - 1) / k2 + mpmath.euler / k1
    f = sc.lambdify(sp.diff(derivations["KL"][0].result, K1), list(SYMS), backend="numpy")
    h = sc.lambdify(sp.diff(derivations["CE"][0].result, K2), list(SYMS), backend="numpy")
    with np.errstate(all="ignore"):
        assert dkl_dk1 < -1e308 and float(f(*p)) == float("-inf")
        assert dce_dk2 > 1e308 and float(h(*p)) == float("inf")


def test_k_partials_where_the_exponent_is_undefined_in_floats(derivations):
    """k₁ = 1e-17, k₂ = 1.8e308: z = ∞ against L = −∞ in floats, s = +∞ (G = ∞); ∂KL/∂k₁ = (1 − γr − rGψ(z))/k₁
    = −∞ and ∂KL/∂k₂ = (G(rψ(z) + L) − L − 1)/k₂ + γ/k₁ = +∞ (the sign of s from the logarithms of its parts)."""
    p = (1.0, 1e-17, 33.0, 1.7976931348623155e308)
    f = sc.lambdify(sp.diff(derivations["KL"][0].result, K1), list(SYMS), backend="numpy")
    h = sc.lambdify(sp.diff(derivations["KL"][0].result, K2), list(SYMS), backend="numpy")
    with np.errstate(all="ignore"):
        assert float(f(*p)) == float("-inf")
        assert float(h(*p)) == float("inf")
