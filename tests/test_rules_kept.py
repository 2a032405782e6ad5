"""Integrals with no closed form recognised by their shape (symce.engine.rules_kept): the cross-entropy is the
defining integral, kept with a note that says why, and equal to the definition evaluated by mpmath quadrature;
the shapes that do close (the same quadratic, a rational density, an exponential under a nested exponential)
are not caught and still close, to the published formulas."""

from __future__ import annotations

import mpmath as mp
import pytest
import sympy as sp

import symce as sc
from symce.engine import rules_kept
from symce.families.cauchy import Cauchy
from symce.families.logistic import Logistic
from symce.families.student_t import StudentT
from conftest import oracle
import oracles

m1, m2 = sp.symbols("m1 m2", real=True)
b1, b2, n1, n2 = sp.symbols("b1 b2 n1 n2", positive=True)
X = sp.Symbol("X", real=True)
POINT = {m1: sp.Rational(-1, 2), m2: sp.Rational(6, 5), b1: sp.Rational(4, 5), b2: sp.Rational(9, 4),
         n1: sp.Rational(7, 2), n2: sp.Rational(3, 2)}

KEPT = [
    ("t-t-location", StudentT(n1, m1, b1), StudentT(n1, m2, b1)),
    ("t-t-scale", StudentT(n1, m1, b1), StudentT(n1, m1, b2)),
    ("t-t-df", StudentT(n1, m1, b1), StudentT(n2, m1, b1)),
    ("t-cauchy", StudentT(n1, m1, b1), Cauchy(m2, b2)),
    ("logistic-logistic", Logistic(m1, b1), Logistic(m2, b2)),
]


@pytest.mark.parametrize("label, P, Q", [pytest.param(*c, id=c[0]) for c in KEPT])
def test_kept_cross_entropy_is_the_definition(label, P, Q):
    d = sc.cross_entropy(P, Q)
    assert d.result.has(sp.Integral), d.result
    notes = [s.rule for s in d.steps if "recognised by its shape" in s.rule]
    assert notes and all("kept as the defining integral" in n for n in notes), [s.rule for s in d.steps]
    got = oracles.value(d.result, POINT, dps=20)
    want = oracle(oracles.cross_entropy, P, Q, POINT, dps=20)
    assert oracles.digits_agree(got, want) >= 14, f"H({P!r}, {Q!r}): {got} vs definition {want}"


def _mp(r):
    return mp.mpf(r.p) / r.q


def _cauchy_ce(l1, s1, l2, s2):
    # Chyzak & Nielsen (2019), "A closed-form formula for the Kullback–Leibler divergence between Cauchy
    # distributions": KL = log(((s₁ + s₂)² + (l₁ − l₂)²)/(4 s₁ s₂)); H(P, Q) = H(P) + KL with
    # H(Cauchy(l, s)) = log(4π s) (Lazo & Rathie 1978)
    return mp.log(4 * mp.pi * s1) + mp.log(((s1 + s2) ** 2 + (l1 - l2) ** 2) / (4 * s1 * s2))


def test_shapes_that_close_are_not_caught():
    # the same quadratic as the density's: Euler's Beta integral (the Student t entropy, Lazo & Rathie 1978)
    h = sc.entropy(StudentT(n1, m1, b1)).result
    assert not h.has(sp.Integral)
    with mp.workdps(40):
        nu, s = _mp(POINT[n1]), _mp(POINT[b1])
        want = (nu + 1) / 2 * (mp.digamma((1 + nu) / 2) - mp.digamma(nu / 2)) \
            + mp.log(mp.sqrt(nu) * mp.beta(nu / 2, mp.mpf(1) / 2) * s)
        assert oracles.digits_agree(oracles.value(h, POINT, dps=40), want) >= 30
    # a rational density (Cauchy) against another Cauchy: residues
    ce = sc.cross_entropy(Cauchy(m1, b1), Cauchy(m2, b2)).result
    assert not ce.has(sp.Integral)
    with mp.workdps(40):
        want = _cauchy_ce(*[_mp(POINT[v]) for v in (m1, b1, m2, b2)])
        assert oracles.digits_agree(oracles.value(ce, POINT, dps=40), want) >= 30


def test_the_recogniser_leaves_numeric_exponents_and_rational_ratios_alone():
    x = X
    t3 = sp.exp(StudentT(3, m1, b1).log_density(x))
    assert rules_kept.kept_integral(sp.log(1 + (x - m2) ** 2 / b2), x, t3, [(-sp.oo, sp.oo)]) is None
    lg = sp.exp(Logistic(m1, b1).log_density(x))
    assert rules_kept.kept_integral(sp.log(1 + sp.exp(-(x - m2) / (2 * b1))), x, lg, [(-sp.oo, sp.oo)]) is None
    # and names a symbolic ratio of slopes
    got = rules_kept.kept_integral(sp.log(1 + sp.exp(-(x - m2) / b2)), x, lg, [(-sp.oo, sp.oo)])
    assert got is not None and isinstance(got[0], sp.Integral) and "not a rational number" in got[1]
    # a statistic that is not a logarithm, or a half-line support: not this module's
    assert rules_kept.kept_integral(x**2, x, t3, [(-sp.oo, sp.oo)]) is None
    assert rules_kept.kept_integral(sp.log(1 + x**2), x, t3, [(0, sp.oo)]) is None
