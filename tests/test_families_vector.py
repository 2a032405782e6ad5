"""The vector families — Dirichlet on the simplex, Multinomial and OneHotCategorical on count vectors — against
independent references:

* published formulas, each with its citation (never imported from symce: written out here);
* torch.distributions in float64 (entropy, and KL where torch registers the pair);
* each other: the symbolic-k Dirichlet KL instantiated at k = 3 against the explicit k = 3 one and against the
  engine's direct route (no template); the one-hot encoding against the categorical;
* the definition (tests/oracles.py) for the KL gradient, which tests/test_families.py skips for vector parameters.
"""

from __future__ import annotations

import random

import mpmath as mp
import pytest
import sympy as sp

import symce as sc
from symce.engine.expectation import expectation
from symce.errors import (ArgumentTypeError, DimensionMismatchError, FamilyMismatchError, InvalidParameterError)
from symce.families.categorical import Categorical
from symce.families.dirichlet import Dirichlet
from symce.families.multinomial import Multinomial
from symce.families.one_hot_categorical import OneHotCategorical
import oracles

K = sp.Symbol("k", integer=True, positive=True)
DIGITS = 25


def _syms(name, k, **assumptions):
    return [sp.Symbol(f"{name}_{m}", **assumptions) for m in range(1, k + 1)]


def _concentrations(rng, k):
    return [sp.Rational(rng.randint(200, 6000), 1000) for _ in range(k)]


def _simplex_point(rng, k):
    w = [rng.randint(1, 1000) for _ in range(k)]
    return [sp.Rational(a, sum(w)) for a in w]


def _agree(closed, want, values, what, digits=DIGITS):
    got = oracles.value(closed, values)
    agree = oracles.digits_agree(got, want)
    assert agree >= digits, f"{what}: symce {mp.nstr(got, 30)}, reference {mp.nstr(want, 30)} ({agree:.1f} digits)"


# -- published formulas --------------------------------------------------------------------------------------
def _kl_dirichlet_penny(aq, ap):
    # W. D. Penny (2001), "KL-Divergences of Normal, Gamma, Dirichlet and Wishart densities", Wellcome Department
    # of Cognitive Neurology, University College London, p. 2, eqs. (8)–(9): for q = Dir(α^q), p = Dir(α^p),
    #   KL(q‖p) = log Γ(α^q_tot) − log Γ(α^p_tot) − Σ_s log Γ(α^q_s) + Σ_s log Γ(α^p_s)
    #             + Σ_s (α^q_s − α^p_s)(ψ(α^q_s) − ψ(α^q_tot)),   α_tot = Σ_s α_s
    q0, p0 = mp.fsum(aq), mp.fsum(ap)
    return (mp.loggamma(q0) - mp.loggamma(p0)
            - mp.fsum(mp.loggamma(a) for a in aq) + mp.fsum(mp.loggamma(a) for a in ap)
            + mp.fsum((a - b) * (mp.digamma(a) - mp.digamma(q0)) for a, b in zip(aq, ap)))


def _entropy_dirichlet_kbj(a):
    # S. Kotz, N. Balakrishnan & N. L. Johnson (2000), Continuous Multivariate Distributions, vol. 1: Models and
    # Applications, 2nd ed., Wiley, ch. 49 (Dirichlet distributions): the entropy of Dir(α₁, …, α_k),
    #   H = log B(α) + (α₀ − k) ψ(α₀) − Σ_j (α_j − 1) ψ(α_j),  B(α) = Π_j Γ(α_j)/Γ(α₀),  α₀ = Σ_j α_j
    a0 = mp.fsum(a)
    log_b = mp.fsum(mp.loggamma(x) for x in a) - mp.loggamma(a0)
    return log_b + (a0 - len(a)) * mp.digamma(a0) - mp.fsum((x - 1) * mp.digamma(x) for x in a)


def _kl_multinomial_kullback(n, p, q):
    # S. Kullback (1959), Information Theory and Statistics, Wiley, ch. 2: divergence is additive over independent
    # observations and unchanged by a sufficient statistic. The counts of n i.i.d. categorical draws are sufficient,
    # so KL(Mult(n, p) ‖ Mult(n, q)) = n Σ_i p_i log(p_i / q_i).
    return n * mp.fsum(a * mp.log(a / b) for a, b in zip(p, q))


@pytest.mark.parametrize("k", [2, 3, 5])
def test_dirichlet_kl_and_entropy_against_the_literature(k):
    a1, a2 = _syms("alpha1", k, positive=True), _syms("alpha2", k, positive=True)
    kl, h = sc.kl(Dirichlet(a1), Dirichlet(a2)).result, sc.entropy(Dirichlet(a1)).result
    rng = random.Random(k)
    for _ in range(3):
        x, y = _concentrations(rng, k), _concentrations(rng, k)
        values = {**dict(zip(a1, x)), **dict(zip(a2, y))}
        with mp.workdps(40):
            xs, ys = [mp.mpf(v.p) / v.q for v in x], [mp.mpf(v.p) / v.q for v in y]
            _agree(kl, _kl_dirichlet_penny(xs, ys), values, f"KL Dirichlet k = {k} vs Penny (2001)")
            _agree(h, _entropy_dirichlet_kbj(xs), values, f"H Dirichlet k = {k} vs Kotz et al. (2000)")


def test_symbolic_k_dirichlet_against_the_literature_at_k4():
    a1, a2 = sp.IndexedBase("alpha1", positive=True), sp.IndexedBase("alpha2", positive=True)
    kl, h = sc.kl(Dirichlet(a1, k=K), Dirichlet(a2, k=K)).result, sc.entropy(Dirichlet(a1, k=K)).result
    assert kl.has(sp.Sum) and not kl.has(sp.Integral)
    rng = random.Random(4)
    x, y = _concentrations(rng, 4), _concentrations(rng, 4)
    values = {K: 4, **{a1[m]: v for m, v in enumerate(x, 1)}, **{a2[m]: v for m, v in enumerate(y, 1)}}
    with mp.workdps(40):
        xs, ys = [mp.mpf(v.p) / v.q for v in x], [mp.mpf(v.p) / v.q for v in y]
        _agree(kl, _kl_dirichlet_penny(xs, ys), values, "symbolic-k KL at k = 4 vs Penny (2001)")
        _agree(h, _entropy_dirichlet_kbj(xs), values, "symbolic-k H at k = 4 vs Kotz et al. (2000)")


def test_symbolic_k_kl_instantiated_at_3_is_the_explicit_k3_kl():
    a1, a2 = sp.IndexedBase("alpha1", positive=True), sp.IndexedBase("alpha2", positive=True)
    e1, e2 = _syms("alpha1", 3, positive=True), _syms("alpha2", 3, positive=True)
    symbolic = sc.kl(Dirichlet(a1, k=K), Dirichlet(a2, k=K)).result
    at3 = symbolic.xreplace({K: 3}).doit().xreplace({**{a1[m]: e1[m - 1] for m in (1, 2, 3)},
                                                    **{a2[m]: e2[m - 1] for m in (1, 2, 3)}})
    explicit = sc.kl(Dirichlet(e1), Dirichlet(e2))
    assert sp.expand(at3 - explicit.result) == 0
    assert "instantiated" in explicit.method
    # and the engine's direct route on the explicit vectors (no template) gives the same closed form
    P, Q = Dirichlet(e1), Dirichlet(e2)
    x = P.variable()
    direct, _, rules = expectation(P, P.log_density(x) - Q.log_density(x), x)
    assert any("exponential family" in r for r in rules)
    assert sp.expand(direct - explicit.result) == 0


def test_dirichlet_entropy_and_kl_come_from_the_moment_map():
    a1, a2 = sp.IndexedBase("alpha1", positive=True), sp.IndexedBase("alpha2", positive=True)
    d = sc.kl(Dirichlet(a1, k=K), Dirichlet(a2, k=K))
    assert "exponential family" in d.method and "sum over the support" not in d.method
    assert not d.result.has(sp.Integral)


# -- torch.distributions, float64 ---------------------------------------------------------------------------
torch = pytest.importorskip("torch")
TD = torch.distributions


def _t(v):
    return torch.tensor([float(a) for a in v], dtype=torch.float64)


def _close(got, want, what, rtol=1e-9):
    assert abs(got - want) <= rtol * max(1.0, abs(want)), f"{what}: symce {got!r}, torch {want!r}"


@pytest.mark.parametrize("k", [2, 3, 5])
def test_dirichlet_agrees_with_torch(k):
    a1, a2 = _syms("alpha1", k, positive=True), _syms("alpha2", k, positive=True)
    kl, h = sc.kl(Dirichlet(a1), Dirichlet(a2)).result, sc.entropy(Dirichlet(a1)).result
    rng = random.Random(100 + k)
    for _ in range(3):
        x, y = _concentrations(rng, k), _concentrations(rng, k)
        values = {**dict(zip(a1, x)), **dict(zip(a2, y))}
        p, q = TD.Dirichlet(_t(x)), TD.Dirichlet(_t(y))
        _close(float(oracles.value(h, values)), float(p.entropy()), f"H Dir{x}")
        _close(float(oracles.value(kl, values)), float(TD.kl_divergence(p, q)), f"KL Dir{x} ‖ Dir{y}")


@pytest.mark.parametrize("k", [2, 3, 6])
def test_one_hot_categorical_agrees_with_torch(k):
    p1, p2 = _syms("p1", k, positive=True), _syms("p2", k, positive=True)
    z1, z2 = _syms("z1", k, real=True), _syms("z2", k, real=True)
    rng = random.Random(200 + k)
    x, y = _simplex_point(rng, k), _simplex_point(rng, k)
    u, v = ([sp.Rational(rng.randint(-3000, 3000), 1000) for _ in range(k)] for _ in range(2))
    values = {**dict(zip(p1, x)), **dict(zip(p2, y)), **dict(zip(z1, u)), **dict(zip(z2, v))}
    P, Q = OneHotCategorical(p1), OneHotCategorical(p2)
    L1, L2 = OneHotCategorical.from_logits(z1), OneHotCategorical.from_logits(z2)
    tp, tq = TD.OneHotCategorical(probs=_t(x)), TD.OneHotCategorical(probs=_t(y))
    tl1, tl2 = TD.OneHotCategorical(logits=_t(u)), TD.OneHotCategorical(logits=_t(v))
    _close(float(oracles.value(sc.entropy(P).result, values)), float(tp.entropy()), "H one-hot")
    _close(float(oracles.value(sc.kl(P, Q).result, values)), float(TD.kl_divergence(tp, tq)), "KL one-hot")
    _close(float(oracles.value(sc.entropy(L1).result, values)), float(tl1.entropy()), "H one-hot logits")
    _close(float(oracles.value(sc.kl(L1, L2).result, values)), float(TD.kl_divergence(tl1, tl2)), "KL one-hot logits")
    _close(float(oracles.value(sc.kl(P, L2).result, values)), float(TD.kl_divergence(tp, tl2)), "KL probs ‖ logits")


@pytest.mark.parametrize("n, k", [(1, 3), (3, 2), (3, 3), (5, 4)])
def test_multinomial_agrees_with_torch(n, k):
    p1, p2 = _syms("p1", k, positive=True), _syms("p2", k, positive=True)
    rng = random.Random(300 + 10 * n + k)
    x, y = _simplex_point(rng, k), _simplex_point(rng, k)
    values = {**dict(zip(p1, x)), **dict(zip(p2, y))}
    P, Q = Multinomial(n, p1), Multinomial(n, p2)
    tp = TD.Multinomial(n, probs=_t(x))
    # torch's Multinomial.entropy takes lgamma(n + 1) of an int64 tensor, which is computed in the default dtype:
    # with float32 (the default) torch's float64 entropy is off by ~2e-8 relative, so float64 is made the default
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        want = float(tp.entropy())
    finally:
        torch.set_default_dtype(default)
    _close(float(oracles.value(sc.entropy(P).result, values)), want, f"H Mult({n}, {x})")
    # torch registers no (Multinomial, Multinomial) KL: n times torch's categorical KL (Kullback 1959, above)
    want = n * float(TD.kl_divergence(TD.Categorical(probs=_t(x)), TD.Categorical(probs=_t(y))))
    _close(float(oracles.value(sc.kl(P, Q).result, values)), want, f"KL Mult({n}) vs n·KL(Cat)")
    with mp.workdps(40):
        ref = _kl_multinomial_kullback(n, [mp.mpf(a.p) / a.q for a in x], [mp.mpf(b.p) / b.q for b in y])
    _agree(sc.kl(P, Q).result, ref, values, "KL Mult vs Kullback (1959)")


def test_multinomial_from_logits_agrees_with_torch():
    z1, z2 = _syms("z1", 3, real=True), _syms("z2", 3, real=True)
    rng = random.Random(17)
    u, v = ([sp.Rational(rng.randint(-3000, 3000), 1000) for _ in range(3)] for _ in range(2))
    values = {**dict(zip(z1, u)), **dict(zip(z2, v))}
    P, Q = Multinomial.from_logits(4, z1), Multinomial.from_logits(4, z2)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch's lgamma of an int tensor (see test_multinomial_agrees_with_torch)
    try:
        want = float(TD.Multinomial(4, logits=_t(u)).entropy())
    finally:
        torch.set_default_dtype(default)
    _close(float(oracles.value(sc.entropy(P).result, values)), want, "H Mult(4, softmax(z))")
    want = 4 * float(TD.kl_divergence(TD.Categorical(logits=_t(u)), TD.Categorical(logits=_t(v))))
    _close(float(oracles.value(sc.kl(P, Q).result, values)), want, "KL Mult(4, softmax) vs 4·KL(Cat)")


# -- how the derivations are made ------------------------------------------------------------------------------
def test_multinomial_kl_is_derived_by_the_moment_map_and_entropy_is_the_written_out_sum():
    p, q = _syms("p", 3, positive=True), _syms("q", 3, positive=True)
    d = sc.kl(Multinomial(4, p), Multinomial(4, q))
    assert d.method == "exponential family: E[T] = ∇A(η) at η(θ)", d.method
    h = sc.entropy(Multinomial(4, p))
    assert "sum over the support" in h.method and not h.result.has(sp.Sum)
    assert sc.kl(Multinomial(2, p), Multinomial(3, q)).result == sp.oo  # P's counts total 2, Q's 3
    half = sp.Rational(1, 2)
    assert sc.kl(Multinomial(2, q), Multinomial(2, [half, half, 0])).result == sp.oo
    assert sc.kl(Multinomial(2, [half, half, 0]), Multinomial(2, [half, half, 0])).result == 0


def test_symbolic_n_multinomial_kl_by_the_moment_map_and_entropy_as_a_kept_sum():
    n = sp.Symbol("n", integer=True, positive=True)
    p, q = _syms("p", 3, positive=True), _syms("q", 3, positive=True)
    d = sc.kl(Multinomial(n, p), Multinomial(n, q))
    assert d.method == "exponential family: E[T] = ∇A(η) at η(θ)", d.method
    assert sp.expand(d.result - n * sum(a * sp.log(a / b) for a, b in zip(p, q))) == 0 or sp.simplify(
        sp.expand_log(d.result - n * sum(a * (sp.log(a) - sp.log(b)) for a, b in zip(p, q)), force=True)) == 0
    h = sc.entropy(Multinomial(n, p))
    assert h.result.has(sp.Sum) and "kept as the finite sum" in h.method
    values = {n: 3, **dict(zip(p, [sp.Rational(1, 5), sp.Rational(3, 10), sp.Rational(1, 2)]))}
    explicit = sc.entropy(Multinomial(3, p)).result  # the written-out sum over the support
    _agree(h.result, oracles.value(explicit, values), values, "H Mult(n) at n = 3 vs the explicit n = 3")


def test_one_hot_categorical_shares_the_categorical_derivations():
    p, q = _syms("p", 3, positive=True), _syms("q", 3, positive=True)
    for f in (lambda P, Q: sc.entropy(P), sc.cross_entropy, sc.kl):
        one_hot, cat = f(OneHotCategorical(p), OneHotCategorical(q)), f(Categorical(p), Categorical(q))
        assert one_hot.result == cat.result
        assert "change of encoding" in one_hot.steps[0].rule and "encoding" in one_hot.latex()
        assert one_hot.distributions[0] == OneHotCategorical(p)
    # one-hot vectors are the counts of one draw: the same sample space as Multinomial(1, ·)
    across = sc.kl(OneHotCategorical(p), Multinomial(1, q)).result
    assert sp.expand(across - sc.kl(Categorical(p), Categorical(q)).result) == 0
    assert sc.kl(Multinomial(2, q), OneHotCategorical(p)).result == sp.oo
    half = sp.Rational(1, 2)
    d = sc.kl(OneHotCategorical([half, half, 0]), OneHotCategorical([1, 0, 0]))
    assert d.result == sp.oo and d.infinite_reason
    g = sc.kl(OneHotCategorical(p), OneHotCategorical(q)).gradient(q[0]).result
    assert sp.simplify(g + p[0] / q[0]) == 0


def test_dirichlet_kl_gradient_against_the_definition():
    a1, a2 = _syms("alpha1", 3, positive=True), _syms("alpha2", 3, positive=True)
    P, Q = Dirichlet(a1), Dirichlet(a2)
    d = sc.kl(P, Q)
    rng = random.Random(7)
    values = {**dict(zip(a1, _concentrations(rng, 3))), **dict(zip(a2, _concentrations(rng, 3)))}
    for s in (a2[0], a1[1]):
        got = oracles.value(d.gradient(s).result, values)
        fd = oracles.central_difference(lambda vs: oracles.kl(P, Q, vs), values, s)
        assert oracles.digits_agree(got, fd) >= 18, (s, got, fd)


def test_dirichlet_gradients_at_explicit_k_are_the_derivatives_of_the_result():
    # the instantiated derivation differentiates once at symbolic k (a gradient hook): the same as diff
    a1, a2 = _syms("alpha1", 4, positive=True), _syms("alpha2", 4, positive=True)
    P, Q = Dirichlet(a1), Dirichlet(a2)
    for d in (sc.kl(P, Q), sc.entropy(P), sc.cross_entropy(P, Q)):
        ws = [w for w in a1 + a2 if d.result.has(w)]
        g = d.gradient(ws)
        assert g.method == "differentiated at symbolic k, instantiated"
        assert all(sp.expand(gi - sp.diff(d.result, w)) == 0 for gi, w in zip(g.result, ws))


# -- arguments ------------------------------------------------------------------------------------------------
def test_bad_arguments_are_refused_by_name():
    a = sp.Symbol("a", positive=True)
    for bad in ([0, 1], [-1, 2], [sp.Symbol("n", negative=True), 1], [sp.oo, 1]):
        with pytest.raises(InvalidParameterError, match="concentration"):
            Dirichlet(bad)
    with pytest.raises(InvalidParameterError, match="at least 2"):
        Dirichlet([a])
    with pytest.raises(ArgumentTypeError, match="concentration"):
        Dirichlet(["1", a])
    with pytest.raises(ArgumentTypeError, match="concentration"):
        Dirichlet(a)
    with pytest.raises(ArgumentTypeError, match="positive integer Symbol"):
        Dirichlet(sp.IndexedBase("alpha"))
    with pytest.raises(InvalidParameterError, match="concentration"):
        Dirichlet(sp.IndexedBase("alpha", negative=True), k=K)
    with pytest.raises(DimensionMismatchError):
        Dirichlet([1, 2], k=3)
    with pytest.raises(DimensionMismatchError):
        sc.kl(Dirichlet([1, 2]), Dirichlet([1, 2, 3]))
    with pytest.raises(FamilyMismatchError):
        sc.kl(Dirichlet([1, 2]), sc.Normal(0, 1))
    for n in (0, -2):
        with pytest.raises(InvalidParameterError, match="total_count"):
            Multinomial(n, [a, 1 - a])
    for n in (2.5, "3", True, sp.Integer(2) * a):
        with pytest.raises(ArgumentTypeError, match="total_count"):
            Multinomial(n, [a, 1 - a])
    for n in (sp.Symbol("n"), sp.Symbol("n", positive=True)):  # a symbolic n must be a positive integer
        with pytest.raises(InvalidParameterError, match="total_count"):
            Multinomial(n, [a, 1 - a])
    with pytest.raises(InvalidParameterError, match="Multinomial.*probs"):
        Multinomial(3, [sp.Rational(1, 2), sp.Rational(2, 3)])
    with pytest.raises(InvalidParameterError, match="total_count"):
        Multinomial(1000, [sp.Rational(1, 4)] * 4)  # C(1003, 3) support points
    with pytest.raises(InvalidParameterError, match="OneHotCategorical.*probs"):
        OneHotCategorical([sp.Rational(1, 2), sp.Rational(2, 3)])
    with pytest.raises(ArgumentTypeError, match="OneHotCategorical"):
        OneHotCategorical(sp.IndexedBase("p"), k=K)
    with pytest.raises(ArgumentTypeError, match="one-hot|non-negative"):
        OneHotCategorical([a, 1 - a]).mass((sp.Rational(1, 2), 1))
    assert OneHotCategorical([a, 1 - a]).mass((1, 1)) == 0


# -- the other sizes, against the definition (tests/test_families.py covers EXAMPLES) -------------------------
from conftest import SEEDS, oracle, sample_point  # noqa: E402
from symce.families import dirichlet, multinomial, one_hot_categorical  # noqa: E402

OTHER = [pytest.param(e, id=e.label) for m in (dirichlet, multinomial, one_hot_categorical) for e in m.OTHER_SIZES]


@pytest.mark.parametrize("ex", OTHER)
def test_other_sizes_against_the_definition(ex):
    P, Q = ex.build(1), ex.build(2)
    h, ce, kl = sc.entropy(P), sc.cross_entropy(P, Q), sc.kl(P, Q)
    for seed in SEEDS[:2]:
        values = sample_point(seed, (ex, P), (ex, Q))
        _agree(h.result, oracle(oracles.entropy, P, values), values, f"H({P!r})")
        _agree(ce.result, oracle(oracles.cross_entropy, P, Q, values), values, f"H({P!r}, {Q!r})")
        _agree(kl.result, oracle(oracles.kl, P, Q, values), values, f"KL({P!r} ‖ {Q!r})")
    assert sc.kl_self_zero(P).status == "proved"
    assert sc.kl_decomposition(P, Q).status == "proved"
