"""Proof statuses are honest: "proved" only with a symbolic argument, "refuted" only with a real
counterexample, "checked numerically" when neither is in reach."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import symce as sc
import oracles

mu1, mu2 = sp.symbols("mu1 mu2", real=True)
s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
x = sp.Symbol("x", real=True)
a, b = sp.symbols("a b", real=True)


def _differ_at(lhs, rhs, point: dict) -> bool:
    """Re-evaluate both sides at a counterexample point, independently of symce (40 digits)."""
    pt = {sp.Symbol(k, **_assumptions_of(k, lhs, rhs)): v for k, v in point.items()}
    l, r = oracles.value(lhs, pt), oracles.value(rhs, pt)
    return oracles.digits_agree(l, r) < 20


def _assumptions_of(name, *exprs):
    for e in exprs:
        for s in e.free_symbols:
            if s.name == name:
                return s.assumptions0
    return {}


def test_true_identity_is_proved():
    proof = sc.prove(sc.kl(sc.Normal(mu1, s1), sc.Normal(mu2, s2)).result,
                     sc.cross_entropy(sc.Normal(mu1, s1), sc.Normal(mu2, s2)).result
                     - sc.entropy(sc.Normal(mu1, s1)).result)
    assert proof.status == "proved" and proof.proved and bool(proof)
    assert proof.steps and proof.steps[-1].expr == 0, "a proof ends with a step that reaches 0"
    assert proof.counterexample is None


def test_kl_is_not_symmetric_refuted_with_a_real_counterexample():
    P, Q = sc.Normal(mu1, s1), sc.Normal(mu2, s2)
    lhs, rhs = sc.kl(P, Q).result, sc.kl(Q, P).result
    proof = sc.prove(lhs, rhs)
    assert proof.status == "refuted" and not proof
    cex = proof.counterexample
    assert cex and set(cex["point"]) == {"mu1", "mu2", "sigma1", "sigma2"}
    assert all(v > 0 for k, v in cex["point"].items() if k.startswith("sigma")), "the point must be valid"
    assert _differ_at(lhs, rhs, cex["point"]), f"lhs and rhs do not really differ at {cex}"


@pytest.mark.parametrize("lhs, rhs, assumptions", [
    ((x + 1) ** 2, x**2 + 1, ()),
    (sp.log(a * b), sp.log(a) + sp.log(b) + 1, ()),
    (sp.exp(x) / (1 + sp.exp(x)), 1 / (1 + sp.exp(x)), ()),
    (sc.sigmoid(x), 1 - sc.sigmoid(x), ()),
    (sc.kl(sc.Bernoulli(sp.Symbol("p", positive=True)), sc.Bernoulli(sp.Symbol("q", positive=True))).result,
     sc.kl(sc.Bernoulli(sp.Symbol("q", positive=True)), sc.Bernoulli(sp.Symbol("p", positive=True))).result,
     (sp.Symbol("p", positive=True) < 1, sp.Symbol("q", positive=True) < 1)),
], ids=["square", "log-plus-1", "sigmoid-vs-complement", "sigma-symmetry", "bernoulli-kl-symmetry"])
def test_false_identity_is_refuted(lhs, rhs, assumptions):
    proof = sc.prove(lhs, rhs, assumptions)
    assert proof.status == "refuted", str(proof)
    assert _differ_at(lhs, rhs, proof.counterexample["point"]), str(proof)


@pytest.mark.parametrize("lhs, rhs", [
    # false by 1e-35, below the 30 digits of the numeric check: "checked numerically" is the honest
    # answer, "proved" would be a lie
    (sp.sqrt(2) + sp.Rational(1, 10**35), sp.sqrt(2)),
    (sp.log(1 + x**2) + sp.Rational(1, 10**33), sp.log(1 + x**2)),
    (sp.log(a**2), 2 * sp.log(a) + sp.Rational(1, 10**40)),
])
def test_false_identity_is_never_proved(lhs, rhs):
    proof = sc.prove(lhs, rhs)
    assert proof.status != "proved", str(proof)


def test_no_symbolic_argument_in_reach_is_checked_numerically():
    # sin² + cos² = 1 is true, but neither expand, expand_log nor cancel closes it, and the expensive
    # simplify is given no time: the only honest status is "checked numerically"
    proof = sc.prove(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1, time_limit_s=1e-4)
    assert proof.status == "checked numerically", str(proof)
    assert not proof and proof.points >= 3 and proof.counterexample is None


def test_true_identity_with_complex_intermediate_values_is_not_refuted():
    # W(x)·e^{W(x)} = x holds for every x on the principal branch, including x < −1/e where W(x) is
    # complex; the two sides must not be declared different because of a tiny imaginary rounding residue
    proof = sc.prove(sp.LambertW(x) * sp.exp(sp.LambertW(x)), x, time_limit_s=0.5)
    assert proof.status != "refuted", str(proof)


def test_forced_log_expansion_records_side_conditions():
    # log(ab) = log a + log b only for positive a, b (a = b = −1: log 1 = 0 ≠ 2iπ); with plain real
    # symbols the proof must state the conditions it relied on
    proof = sc.prove(sp.log(a * b), sp.log(a) + sp.log(b))
    # the status itself says the proof is conditional (issue #16: "proved" alone misled readers)
    assert proof.status == "proved under conditions" and not proof.proved, str(proof)
    side = set(proof.side_conditions)
    assert sp.StrictGreaterThan(a, 0) in side and sp.StrictGreaterThan(b, 0) in side, str(proof)
    assert "side condition" in proof.steps[-1].rule or "positive" in proof.steps[-1].rule
    assert "a > 0" in proof.statement and "b > 0" in proof.statement


def test_no_side_conditions_when_the_assumptions_suffice():
    pa, pb = sp.symbols("a b", positive=True)
    proof = sc.prove(sp.log(pa * pb), sp.log(pa) + sp.log(pb))
    assert proof.status == "proved" and proof.side_conditions == ()


def test_bernoulli_decomposition_states_its_side_conditions():
    # the Bernoulli KL decomposition needs expand_log(force=True), valid for 0 < p, q < 1: that range
    # must appear in the proof's statement (as assumptions or as recorded side conditions)
    p, q = sp.symbols("p q", positive=True)
    proof = sc.kl_decomposition(sc.Bernoulli(p), sc.Bernoulli(q))
    assert proof.status == "proved", str(proof)
    stated = set(proof.assumptions) | set(proof.side_conditions)
    one_minus = {sp.StrictLessThan(p, 1), sp.StrictLessThan(q, 1), sp.StrictGreaterThan(1 - p, 0),
                 sp.StrictGreaterThan(1 - q, 0)}
    assert any(c in stated for c in one_minus), f"0 < p, q < 1 not stated: {proof.statement}"


def test_checked_numerically_really_agrees():
    proof = sc.prove(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1, time_limit_s=1e-4)
    with mpmath.workdps(50):
        for v in (-3, 0.25, 7):
            assert abs(mpmath.sin(v) ** 2 + mpmath.cos(v) ** 2 - 1) < mpmath.mpf(10) ** -45
    assert proof.digits >= 30


def test_forced_rewrite_never_proves_a_false_identity_for_complex_symbols():
    # log(e^c) = c is false for a complex c: at c = 1 + 2πi, e^c = e > 0 so log(e^c) = 1 ≠ c. A "proved"
    # status is acceptable only if the recorded side conditions exclude that point (e.g. "c is real").
    c = sp.Symbol("c")  # no assumptions: complex
    proof = sc.prove(sp.log(sp.exp(c)), c)
    if proof.status != "proved":
        return
    witness = {c: 1 + 2 * sp.pi * sp.I}
    lhs, rhs = oracles.value(sp.log(sp.exp(c)), witness), oracles.value(c, witness)
    assert abs(lhs - rhs) > 1  # the identity really fails at the witness
    held = [cond for cond in proof.side_conditions + proof.assumptions
            if sp.simplify(cond.xreplace(witness)) == sp.true]
    assert len(held) < len(proof.side_conditions + proof.assumptions), (
        f"'proved' for a false identity: every stated condition {proof.side_conditions} holds at {witness}, "
        f"where log(e^c) = {lhs} but c = {rhs}")
