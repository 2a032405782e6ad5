"""The Kumaraswamy and Student-t entropy gradients (Derivation.gradient, lambdified through the stabilising
rewrite) against the textbook entropies differentiated by mpmath at 450 digits (step relative to the point):

* Kumaraswamy: H = 1 − 1/b + (1 − 1/a)H_b − log(ab) (Jones 2009, *Kumaraswamy's distribution: a beta-type
  distribution with some tractability advantages*, Statistical Methodology 6, eq. (2.3)... as the entropy
  section states it), H_b the harmonic number;
* Student-t: H = ((ν + 1)/2)(ψ((ν + 1)/2) − ψ(ν/2)) + log(√ν B(ν/2, ½)) + log σ (Lazo & Rathie 1978, IEEE
  Trans. Inf. Theory 24, Table I).

The points are where the raw gradients failed (issue #12 item 1): ∂H/∂ν = NaN at ν = 5e-324 (ψ′(ν/2) ≈ 4/ν²
against 2/ν: ∞ − ∞), the Kumaraswamy ∂/∂b NaN where ψ′(b) and 1/(ab²) both overflow, ∂/∂a = ∞ for 6e271
(1/a² overflowing) — plus ordinary ones. The rules are the polygamma shift and the reciprocal powers
(symce/numeric/rewrite_polygamma_shift.py), whose steps must be proved."""

import math

import mpmath
import pytest
import sympy as sp

import symce as sc
from symce.numeric.rewrite import stabilise

a, b = sp.symbols("a1 b1", positive=True)
nu, sigma = sp.symbols("nu1 sigma1", positive=True)
mu = sp.Symbol("mu1", real=True)

KUMARASWAMY_POINTS = [(4.7705096124843146e-232, 8.299812085904892e-192), (1e-300, 1e-300),
                      (1.2761294555958339e-272, 2.6114182716613217e-31), (5e-324, 800.0), (710.0, 5e-324),
                      (2.0, 3.0), (0.5, 0.7), (1e-3, 40.0)]
STUDENT_POINTS = [5e-324, 1e-300, 1e-10, 0.5, 3.0, 41.0, 1e3, 1e6]
DPS = 420  # b + 1 keeps the digits of b = 5e-324; the poles 1/b², 4/ν² are exact at this precision


def _mp_kumaraswamy(x, y):
    return 1 - 1 / y + (1 - 1 / x) * mpmath.harmonic(y) - mpmath.log(x * y)


def _mp_student(v):
    return ((v + 1) / 2 * (mpmath.digamma((v + 1) / 2) - mpmath.digamma(v / 2))
            + mpmath.log(mpmath.sqrt(v) * mpmath.beta(v / 2, mpmath.mpf(1) / 2)))


def _kumaraswamy_partials(x, y):
    """(∂H/∂a, ∂H/∂b) of the textbook entropy, with dH_b/db = ψ′(b + 1) (DLMF 5.4.14, 5.15.1), and the
    magnitudes of their terms (the scale of their cancellation near a zero)."""
    h, t = mpmath.harmonic(y), (1 - 1 / x) * mpmath.psi(1, y + 1)
    return [(h / x**2 - 1 / x, abs(h) / x**2 + 1 / x), (t + 1 / y**2 - 1 / y, abs(t) + 1 / y**2 + 1 / y)]


def _student_partial(v):
    """∂H/∂ν of Lazo & Rathie's entropy (d/dx log B(x, ½) = ψ(x) − ψ(x + ½), the ψ terms cancel) and the
    magnitude of its terms."""
    u, w = (v + 1) / 4 * mpmath.psi(1, (v + 1) / 2), (v + 1) / 4 * mpmath.psi(1, v / 2)
    return u - w + 1 / (2 * v), u + w + 1 / (2 * v)


def _within(got, want, scale, units):
    """|got − want| ≤ units·ulp(max(|want|, scale)) (the benchmark's measure near a zero); the same infinity
    where the exact value overflows."""
    w = float(want)
    if math.isinf(w) or math.isinf(got):
        return got == w
    return abs(got - w) <= units * math.ulp(max(abs(w), float(scale), 5e-324))


def test_the_analytic_partials_are_the_textbook_derivatives():
    # the references' derivatives against mpmath.diff of the textbook entropies where differences resolve
    with mpmath.workdps(40):
        for x, y in [(2.0, 3.0), (0.5, 0.7)]:
            got = _kumaraswamy_partials(mpmath.mpf(x), mpmath.mpf(y))
            assert mpmath.almosteq(got[0][0], mpmath.diff(lambda t: _mp_kumaraswamy(t, y), x), 1e-25)
            assert mpmath.almosteq(got[1][0], mpmath.diff(lambda t: _mp_kumaraswamy(x, t), y), 1e-25)
        for v in (0.5, 3.0):
            assert mpmath.almosteq(_student_partial(mpmath.mpf(v))[0], mpmath.diff(_mp_student, v), 1e-25)


@pytest.fixture(scope="module")
def kumaraswamy():
    d = sc.entropy(sc.Kumaraswamy(a, b))
    return [d.gradient(w) for w in (a, b)]


@pytest.fixture(scope="module")
def student():
    return sc.entropy(sc.StudentT(nu, mu, sigma)).gradient(nu)


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_kumaraswamy_entropy_gradient_at_the_hard_points(kumaraswamy, backend):
    for i, g in enumerate(kumaraswamy):
        f = sc.lambdify(g, [a, b], backend=backend)
        for p in KUMARASWAMY_POINTS:
            got = float(f(*p))
            with mpmath.workdps(DPS):
                want, scale = _kumaraswamy_partials(mpmath.mpf(p[0]), mpmath.mpf(p[1]))[i]
            assert _within(got, want, scale, 4), (i, p, got, want)


@pytest.mark.parametrize("backend", ["numpy", "math"])
def test_student_t_entropy_gradient_at_the_hard_points(student, backend):
    f = sc.lambdify(student, [nu, mu, sigma], backend=backend)
    for v in STUDENT_POINTS:
        got = float(f(v, 0.0, 1.0))
        with mpmath.workdps(DPS):
            want, scale = _student_partial(mpmath.mpf(v))
        # ∂H/∂ν ≈ −1/ν² for large ν from terms of size ≈ ½: the error is bounded by that of the terms
        assert _within(got, want, scale, 16), (v, got, want)


def test_the_new_steps_are_proved(kumaraswamy, student):
    for g in [*kumaraswamy, student]:
        st = stabilise(g.result, assumptions=tuple(g.conditions))
        mine = [s for s in st.steps if s.rule.startswith(("polygamma shift", "reciprocal powers"))]
        assert mine and all(s.status == "proved" for s in mine), [(s.rule, s.status) for s in mine]
