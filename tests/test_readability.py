"""Readable results: each closed form is at most 1.5× the operations of its textbook form
(``sympy.count_ops``) and proved equal to it. Run with ``-s`` to see the measured ratios."""

from __future__ import annotations

import pytest
import sympy as sp

import symce as sc

MAX_RATIO = 1.5

mu1, mu2 = sp.symbols("mu1 mu2", real=True)
s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
p, q, t = sp.symbols("p q t", positive=True)
z = sp.Symbol("z", real=True)
_UNIT = [sp.StrictLessThan(0, v) for v in (p, q, t)] + [sp.StrictLessThan(v, 1) for v in (p, q, t)]


def _normal_kl():
    return (sc.kl(sc.Normal(mu1, s1), sc.Normal(mu2, s2)).result,
            sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - sp.Rational(1, 2), ())


def _bce_logits():
    return (sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli.from_logit(z)).result,
            sp.log(1 + sp.exp(z)) - t * z, _UNIT)


def _bernoulli_ce():
    return (sc.cross_entropy(sc.Bernoulli(p), sc.Bernoulli(q)).result,
            -p * sp.log(q) - (1 - p) * sp.log(1 - q), _UNIT)


def _bernoulli_entropy():
    return (sc.entropy(sc.Bernoulli(p)).result, -p * sp.log(p) - (1 - p) * sp.log(1 - p), _UNIT)


def _normal_entropy():
    return sc.entropy(sc.Normal(mu1, s1)).result, sp.log(2 * sp.pi * sp.E * s1**2) / 2, ()


def _softmax_ce():
    if not hasattr(sc, "Categorical"):
        pytest.skip("Categorical is not in symce yet (softmax CE at symbolic k)")
    k = sp.Symbol("k", integer=True, positive=True)
    i, j = sp.symbols("i j", integer=True, positive=True)
    T, Z = sp.IndexedBase("t", positive=True), sp.IndexedBase("z", real=True)
    derived = sc.cross_entropy(sc.Categorical(T, k=k), sc.Categorical.from_logits(Z, k=k)).result
    textbook = sp.log(sp.Sum(sp.exp(Z[j]), (j, 1, k))) - sp.Sum(T[i] * Z[i], (i, 1, k))
    return derived, textbook, [sp.Eq(sp.Sum(T[i], (i, 1, k)), 1)]


CASES = {
    "normal KL": _normal_kl,
    "BCE with logits": _bce_logits,
    "Bernoulli CE": _bernoulli_ce,
    "Bernoulli entropy": _bernoulli_entropy,
    "normal entropy": _normal_entropy,
    "softmax CE (symbolic k)": _softmax_ce,
}


@pytest.mark.parametrize("name", list(CASES))
def test_result_is_as_short_as_the_textbook_form(name):
    derived, textbook, assumptions = CASES[name]()
    ours, theirs = sp.count_ops(derived), sp.count_ops(textbook)
    ratio = ours / theirs
    print(f"\n[count_ops] {name}: symce {ours} ops ({derived}) vs textbook {theirs} ops ({textbook}): "
          f"ratio {ratio:.2f}")
    proof = sc.prove(derived, textbook, assumptions)
    assert proof.status == "proved", str(proof)
    assert ratio <= MAX_RATIO, f"{name}: {derived} has {ours} ops, {ratio:.2f}× the textbook {textbook}"
