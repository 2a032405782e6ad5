"""Categorical: explicit k (probabilities, softmax logits) and symbolic k, against independent oracles.

Oracles: mpmath summation of the *defining* sums at 40 digits —
H(P, Q) = −Σ_i p_i log q_i, H(P) = −Σ_i p_i log p_i, KL(P‖Q) = Σ_i p_i log(p_i/q_i), with 0·log 0 = 0 —
and, for softmax, q_i = e^{z_i}/Σ_j e^{z_j} computed numerically (so H = logsumexp(z) − Σ t_i z_i is
checked, not assumed); gradients against mpmath finite differences of those sums, and against the
published softmax cross-entropy gradient softmax(z) − t (Bishop 2006, *Pattern Recognition and Machine
Learning*, eq. 4.109; Goodfellow, Bengio & Courville 2016, *Deep Learning*, §6.2.2.3).
"""

from __future__ import annotations

import random
import time

import mpmath as mp
import pytest
import sympy as sp

import symce as sc
from symce.errors import ArgumentTypeError, DimensionMismatchError, InvalidParameterError
from symce.families.categorical import family as cat
from symce.families.categorical import symbolic as csym
from symce.families.categorical import Categorical

MP_DPS = 40  # set around each test of this module by conftest.py
R = sp.Rational
K_SYM = sp.Symbol("k", integer=True, positive=True)


# -- oracles -----------------------------------------------------------------------------------------
def _mpf(v) -> mp.mpf:
    return mp.mpf(sp.Rational(v).p) / sp.Rational(v).q if isinstance(v, sp.Rational) else mp.mpf(str(v))


def softmax_oracle(z):
    zs = [_mpf(a) for a in z]
    s = mp.fsum(mp.exp(a) for a in zs)
    return [mp.exp(a) / s for a in zs]


def ce_oracle(p, q):
    """−Σ p_i log q_i; +∞ if some p_i > 0 has q_i = 0; terms with p_i = 0 contribute 0."""
    total = mp.mpf(0)
    for pi, qi in zip(p, q):
        pi, qi = mp.mpf(pi), mp.mpf(qi)
        if pi == 0:
            continue
        if qi == 0:
            return mp.inf
        total -= pi * mp.log(qi)
    return total


def kl_oracle(p, q):
    return ce_oracle(p, q) - ce_oracle(p, p)


def num(expr, values=None) -> mp.mpf:
    e = expr.xreplace(values) if values else expr
    return mp.mpf(str(sp.N(e, 45)))


def close(a, b, digits=30) -> bool:
    return abs(a - b) <= mp.mpf(10) ** (-digits) * max(1, abs(b))


def simplex_point(k, rng, zeros=0):
    w = [rng.randint(1, 1000) for _ in range(k)]
    for m in rng.sample(range(k), zeros):
        w[m] = 0
    s = sum(w)
    return [R(a, s) for a in w]


def logits(k, rng):
    return [R(rng.randint(-5000, 5000), 1000) for _ in range(k)]


ORACLE = {"cross_entropy": ce_oracle, "kl": kl_oracle}
QUANTITY = {"cross_entropy": sc.cross_entropy, "kl": sc.kl}


# -- explicit k, constant parameters: soft targets with zeros ----------------------------------------
@pytest.mark.parametrize("k", [2, 3, 10])
@pytest.mark.parametrize("quantity", ["cross_entropy", "kl"])
def test_constant_simplex_points_with_zeros(k, quantity):
    rng = random.Random(100 + k)
    for trial in range(4):
        p = simplex_point(k, rng, zeros=min(trial, k - 1))  # P soft target, some classes of mass 0
        q = simplex_point(k, rng)
        d = QUANTITY[quantity](Categorical(p), Categorical(q))
        assert close(num(d.result), ORACLE[quantity](p, q)), (p, q, d.result)
        if quantity == "cross_entropy":
            h = sc.entropy(Categorical(p)).result
            assert close(num(h), ce_oracle(p, p))


def test_zero_in_q_where_p_has_zero_too_is_finite():
    p, q = [R(1, 2), R(1, 2), 0], [R(1, 4), R(3, 4), 0]
    d = sc.cross_entropy(Categorical(p), Categorical(q))
    assert d.result.is_finite and close(num(d.result), ce_oracle(p, q))
    assert close(num(sc.kl(Categorical(p), Categorical(q)).result), kl_oracle(p, q))


def test_not_absolutely_continuous_is_infinite():
    P, Q = Categorical([R(1, 2), R(1, 2), 0]), Categorical([1, 0, 0])
    for f in (sc.cross_entropy, sc.kl):
        d = f(P, Q)
        assert d.result == sp.oo and d.is_infinite
        assert "absolutely continuous" in d.infinite_reason and "P({2})" in d.infinite_reason


def test_one_hot_target_and_point_mass_entropy():
    z = sp.symbols("z1:4", real=True)
    d = sc.cross_entropy(Categorical([0, 1, 0]), Categorical.from_logits(z))
    vals = dict(zip(z, [R(1, 3), -2, R(7, 5)]))
    assert close(num(d.result, vals), ce_oracle([0, 1, 0], softmax_oracle(vals.values())))
    assert sc.entropy(Categorical([0, 0, 1])).result == 0


# -- explicit k, symbolic parameters -----------------------------------------------------------------
@pytest.mark.parametrize("k", [2, 3, 10])
def test_symbolic_probabilities_against_summation(k):
    rng = random.Random(k)
    ps = sp.symbols(f"p1:{k + 1}", positive=True)
    qs = sp.symbols(f"q1:{k + 1}", positive=True)
    P, Q = Categorical(ps), Categorical(qs)
    ce, kl, h = sc.cross_entropy(P, Q).result, sc.kl(P, Q).result, sc.entropy(P).result
    for _ in range(3):
        p, q = simplex_point(k, rng), simplex_point(k, rng)
        vals = {**dict(zip(ps, p)), **dict(zip(qs, q))}
        assert close(num(ce, vals), ce_oracle(p, q))
        assert close(num(kl, vals), kl_oracle(p, q))
        assert close(num(h, vals), ce_oracle(p, p))


@pytest.mark.parametrize("k", [2, 3, 10])
def test_softmax_cross_entropy_soft_targets(k):
    rng = random.Random(7 * k)
    ts = sp.symbols(f"t1:{k + 1}", positive=True)
    Z = Categorical.from_logits(k=k)
    d = sc.cross_entropy(Categorical(ts), Z)
    for zeros in (0, 1, k - 1):
        t, z = simplex_point(k, rng, zeros), logits(k, rng)
        vals = {**dict(zip(ts, t)), **dict(zip(Z.entries, z))}
        expected = ce_oracle(t, softmax_oracle(z))
        # the textbook form log Σ e^{z_j} − Σ t_i z_i, computed independently
        lse = mp.log(mp.fsum(mp.exp(_mpf(a)) for a in z)) - mp.fsum(_mpf(a) * _mpf(b) for a, b in zip(t, z))
        assert close(expected, lse)
        assert close(num(d.result, vals), expected)
    # constant soft target with a zero: the zero class is dropped, the rest is exact
    t = [R(1, 2), R(1, 2)] + [0] * (k - 2)
    d0 = sc.cross_entropy(Categorical(t), Z)
    z = logits(k, rng)
    assert close(num(d0.result, dict(zip(Z.entries, z))), ce_oracle(t, softmax_oracle(z)))


@pytest.mark.parametrize("k", [2, 3, 10])
def test_softmax_p_against_summation(k):
    rng = random.Random(11 * k)
    zs = sp.symbols(f"a1:{k + 1}", real=True)
    ws = sp.symbols(f"b1:{k + 1}", real=True)
    qs = sp.symbols(f"q1:{k + 1}", positive=True)
    P, W, Q = Categorical.from_logits(zs), Categorical.from_logits(ws), Categorical(qs)
    z, w, q = logits(k, rng), logits(k, rng), simplex_point(k, rng)
    vals = {**dict(zip(zs, z)), **dict(zip(ws, w)), **dict(zip(qs, q))}
    pz, pw = softmax_oracle(z), softmax_oracle(w)
    assert close(num(sc.cross_entropy(P, Q).result, vals), ce_oracle(pz, q))
    assert close(num(sc.cross_entropy(P, W).result, vals), ce_oracle(pz, pw))
    assert close(num(sc.kl(P, W).result, vals), kl_oracle(pz, pw))
    assert close(num(sc.entropy(P).result, vals), ce_oracle(pz, pz))


def test_kl_of_a_distribution_with_itself_is_zero():
    ps = sp.symbols("p1:4", positive=True)
    P = Categorical(ps)
    assert sc.kl(P, P).result == 0
    z = sp.symbols("z1:4", real=True)
    assert sp.expand(sc.kl(Categorical.from_logits(z), Categorical.from_logits(z)).result) == 0


# -- symbolic k --------------------------------------------------------------------------------------
def _sym_pair():
    p, q = sp.IndexedBase("p", positive=True), sp.IndexedBase("q", positive=True)
    z, w = sp.IndexedBase("z", real=True), sp.IndexedBase("w", real=True)
    return {
        "probs": (Categorical(p, k=K_SYM), Categorical(q, k=K_SYM)),
        "logits": (Categorical.from_logits(z, k=K_SYM), Categorical.from_logits(w, k=K_SYM)),
    }


def test_symbolic_k_closed_forms_from_the_engine():
    i, j = cat.I, cat.J
    p, q = sp.IndexedBase("p", positive=True), sp.IndexedBase("q", positive=True)
    t, z = sp.IndexedBase("t", positive=True), sp.IndexedBase("z", real=True)
    P, Q = Categorical(p, k=K_SYM), Categorical(q, k=K_SYM)
    ce = sc.cross_entropy(P, Q)
    assert ce.result == -sp.Sum(p[i] * sp.log(q[i]), (i, 1, K_SYM))
    assert sc.entropy(P).result == -sp.Sum(p[i] * sp.log(p[i]), (i, 1, K_SYM))
    assert sc.kl(P, Q).result == sp.Sum(p[i] * sp.log(p[i] / q[i]), (i, 1, K_SYM))
    soft = sc.cross_entropy(Categorical(t, k=K_SYM), Categorical.from_logits(z, k=K_SYM)).result
    expected = sp.log(sp.Sum(sp.exp(z[j]), (j, 1, K_SYM))) - sp.Sum(t[i] * z[i], (i, 1, K_SYM))
    assert soft == expected
    assert any("exponential family" in s.rule for s in ce.steps)  # E[δ(X, i)] came from ∇A(η)
    assert ce.conditions and isinstance(ce.conditions[0], sp.Eq)


@pytest.mark.parametrize("pk,qk", [("probs", "probs"), ("probs", "logits"), ("logits", "probs"),
                                   ("logits", "logits")])
@pytest.mark.parametrize("quantity", ["cross_entropy", "kl", "entropy"])
@pytest.mark.parametrize("K", [2, 3, 10])
def test_symbolic_k_instantiated_equals_explicit_and_summation(pk, qk, quantity, K):
    rng = random.Random(hash((pk, qk, quantity, K)) % 1000)
    P, Q = _sym_pair()[pk][0], _sym_pair()[qk][1]
    d = sc.entropy(P) if quantity == "entropy" else QUANTITY[quantity](P, Q)
    vp = simplex_point(K, rng) if pk == "probs" else logits(K, rng)
    vq = simplex_point(K, rng) if qk == "probs" else logits(K, rng)
    values = {**{P.base[m]: a for m, a in enumerate(vp, 1)}, **{Q.base[m]: a for m, a in enumerate(vq, 1)}}
    symbolic = d.result.xreplace({K_SYM: K}).doit().xreplace(values)
    # the explicit-k derivation with the same numbers
    Pe = Categorical.from_logits(vp) if pk == "logits" else Categorical(vp)
    Qe = Categorical.from_logits(vq) if qk == "logits" else Categorical(vq)
    explicit = (sc.entropy(Pe) if quantity == "entropy" else QUANTITY[quantity](Pe, Qe)).result
    pp = softmax_oracle(vp) if pk == "logits" else vp
    qq = softmax_oracle(vq) if qk == "logits" else vq
    oracle = {"cross_entropy": ce_oracle(pp, qq), "kl": kl_oracle(pp, qq), "entropy": ce_oracle(pp, pp)}[quantity]
    assert close(num(symbolic), oracle)
    assert close(num(explicit), oracle)


def test_symbolic_k_expfamily_matches_log_density():
    for P in (_sym_pair()["probs"][0], _sym_pair()["logits"][0]):
        x = P.variable()
        ef = P.expfamily()
        gap = ef.log_density() - P.log_density(x)  # for probabilities: −log Σ p_j, zero on the simplex
        assert (ef.constrain(gap) if ef.constrain else gap) == 0
        m = ef.mean_statistic(0)
        expected = P.base[cat.I] if not P.is_logits else sp.exp(P.base[cat.I]) / sp.Sum(sp.exp(P.base[cat.J]), (cat.J, 1, K_SYM))
        assert m == expected


# -- gradient hook -----------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [2, 3, 10])
def test_softmax_ce_gradient_hook(k):
    rng = random.Random(5 * k)
    ts = sp.symbols(f"t1:{k + 1}", positive=True)
    Z = Categorical.from_logits(k=k)
    d = sc.cross_entropy(Categorical(ts), Z)
    g = d.gradient_hook(list(Z.entries))
    assert g is not None and g.result.shape == (k, 1) and len(g.steps) >= 2
    t, z = simplex_point(k, rng), logits(k, rng)
    vals = {**dict(zip(ts, t)), **dict(zip(Z.entries, z))}
    sm = softmax_oracle(z)
    for m in range(k):
        # published form: ∂H/∂z_m = softmax(z)_m − t_m (Bishop 2006, eq. 4.109)
        assert close(num(g.result[m], vals), sm[m] - _mpf(t[m]))

        # finite differences of the defining sum
        def f(x, m=m):
            zz = [_mpf(a) for a in z]
            zz[m] = x
            return ce_oracle([_mpf(a) for a in t], softmax_oracle(zz))

        assert close(num(g.result[m], vals), mp.diff(f, _mpf(z[m])), digits=20)


@pytest.mark.parametrize("k", [2, 3, 10])
def test_probability_gradient_hook_against_finite_differences(k):
    rng = random.Random(3 * k)
    ps = sp.symbols(f"p1:{k + 1}", positive=True)
    qs = sp.symbols(f"q1:{k + 1}", positive=True)
    for f in (sc.cross_entropy, sc.kl):
        d = f(Categorical(ps), Categorical(qs))
        wrt = list(qs) + list(ps)
        g = d.gradient_hook(wrt)
        p, q = simplex_point(k, rng), simplex_point(k, rng)
        vals = {**dict(zip(ps, p)), **dict(zip(qs, q))}
        for n, w in enumerate(wrt):
            # unconstrained partial derivatives of the defining sum (each entry a free variable)
            def h(x, w=w):
                pp = [x if s == w else _mpf(vals[s]) for s in ps]
                qq = [x if s == w else _mpf(vals[s]) for s in qs]
                return -mp.fsum(a * mp.log(b) for a, b in zip(pp, qq)) + (
                    0 if f is sc.cross_entropy else mp.fsum(a * mp.log(a) for a in pp))

            assert close(num(g.result[n], vals), mp.diff(h, _mpf(vals[w])), digits=20)


def test_gradient_hook_declines_compound_entries_and_handles_repeats():
    x, b = sp.symbols("x b", real=True)
    ts = sp.symbols("t1:3", positive=True)
    d = sc.cross_entropy(Categorical(ts), Categorical.from_logits([2 * x + b, x]))
    assert d.gradient_hook([x]) is None  # the generic chain rule must handle z = w·x + b
    P = Categorical(ts)
    g = sc.cross_entropy(P, P).gradient_hook(list(ts))  # t appears in P and Q: both contributions
    vals = {ts[0]: R(1, 3), ts[1]: R(2, 3)}
    for n, w in enumerate(ts):
        direct = sp.diff(-ts[0] * sp.log(ts[0]) - ts[1] * sp.log(ts[1]), w)
        assert close(num(g.result[n], vals), num(direct, vals))


def test_gradient_hook_zero_mass_classes():
    z = sp.symbols("z1:4", real=True)
    d = sc.cross_entropy(Categorical([R(1, 2), R(1, 2), 0]), Categorical.from_logits(z))
    g = d.gradient_hook(list(z))
    vals = dict(zip(z, [R(1, 2), -1, 2]))
    sm = softmax_oracle(vals.values())
    for m, t in enumerate([R(1, 2), R(1, 2), 0]):
        assert close(num(g.result[m], vals), sm[m] - _mpf(t))


# -- the fast instantiation builds exactly what evaluated SymPy builds ------------------------------
@pytest.mark.parametrize("K", [2, 3, 10])
def test_fast_instantiation_equals_evaluated(K):
    ps, qs = sp.symbols(f"p1:{K + 1}", positive=True), sp.symbols(f"q1:{K + 1}", positive=True)
    zs, ws = sp.symbols(f"z1:{K + 1}", real=True), sp.symbols(f"w1:{K + 1}", real=True)
    dists = {"probs": (Categorical(ps), Categorical(qs)),
             "logits": (Categorical.from_logits(zs), Categorical.from_logits(ws))}
    for pk in dists:
        for qk in dists:
            P, Q = dists[pk][0], dists[qk][1]
            (Pt, mp_), (Qt, mq) = P.template("P"), Q.template("Q")
            slots = {b: s for b, s in {**mp_, **mq}.items() if isinstance(s, csym.Slot)}
            for d in (sc.cross_entropy(Pt, Qt), sc.kl(Pt, Qt), sc.entropy(Pt)):
                fast = csym.Instantiator(slots, K, fast=True)
                slow = csym.Instantiator(slots, K, fast=False)
                assert fast(d.result) == slow(d.result), (pk, qk, d.quantity)
                for b in slots:
                    g = sp.diff(d.result, b[csym.M]).doit()
                    g = csym.resolve_index_range(g, csym.M, 1, csym.K_T)
                    for m in (1, K):
                        assert fast(g.xreplace({csym.M: m})) == slow(g.xreplace({csym.M: m}))


@pytest.mark.parametrize("quantity", ["cross_entropy", "kl"])
def test_fast_build_where_the_argument_order_differs_between_classes(quantity):
    # names chosen so that P's entry sorts before Q's at some classes and after it at others, plus a
    # Dummy (another symbol class, another rank) among P's entries: an argument order fixed at the first
    # class would be wrong at the others. Reference: the defining sums built by evaluated SymPy.
    k = 9
    t = [sp.Symbol(("a" if m % 2 else "y") + str(m), positive=True) for m in range(1, k + 1)]
    t[4] = sp.Dummy("d5", positive=True)
    other = [sp.Symbol(("x" if m % 2 else "b") + str(m), positive=True) for m in range(1, k + 1)]
    if quantity == "kl":
        Q = Categorical(other)
        expected = sp.Add(*[ti * sp.log(ti / qi) for ti, qi in zip(t, other)])
        grad = [-ti / qi for ti, qi in zip(t, other)]
        d = sc.kl(Categorical(t), Q)
    else:
        Q = Categorical.from_logits(other)
        total = sp.Add(*[sp.exp(zi) for zi in other])
        expected = sp.log(total) - sp.Add(*[ti * zi for ti, zi in zip(t, other)])
        grad = [sp.exp(zi) / total - ti for ti, zi in zip(t, other)]
        d = sc.cross_entropy(Categorical(t), Q)
    assert d.result == expected  # the same object SymPy builds: argument order included
    g = d.gradient(other).result
    assert [g[m] for m in range(k)] == grad
    # the column, built from its sparse representation, is the matrix SymPy's constructor builds
    assert g == sp.ImmutableMatrix(grad) and hash(g) == hash(sp.ImmutableMatrix(grad)) and g.shape == (k, 1)


# -- densities, support, masses ----------------------------------------------------------------------
def test_log_density_and_mass():
    z = [R(1, 2), -1, 3]
    Z = Categorical.from_logits(z)
    P = Categorical([R(1, 5), 0, R(4, 5)])
    sm = softmax_oracle(z)
    for m in (1, 2, 3):
        assert close(num(sp.exp(Z.log_density(sp.Integer(m)))), sm[m - 1])
        assert close(num(Z.mass(m)), sm[m - 1])
    assert P.log_density(sp.Integer(2)) == -sp.oo and P.mass(3) == R(4, 5)
    assert P.support_points() == [1, 2, 3] and P.sample_space == ("categorical", 3)
    assert _sym_pair()["probs"][0].support_points() is None
    X = P.variable()
    assert X.is_integer and X.is_positive


# -- errors -----------------------------------------------------------------------------------------
def test_errors():
    with pytest.raises(InvalidParameterError, match=r"probs.*sum to 11/10.*must sum to 1"):
        Categorical([R(1, 2), R(3, 5)])
    with pytest.raises(InvalidParameterError, match=r"probs\[1\] = 3/2"):
        Categorical([R(1, 2), R(3, 2), -1])
    with pytest.raises(InvalidParameterError, match=r"probs\[0\] = -1/2"):
        Categorical([R(-1, 2), R(3, 2)])
    with pytest.raises(InvalidParameterError, match="at least 2"):
        Categorical([1])
    with pytest.raises(ArgumentTypeError, match=r"probs\[0\].*str"):
        Categorical(["0.5", "0.5"])
    with pytest.raises(ArgumentTypeError):
        Categorical("0.5, 0.5")
    with pytest.raises(ArgumentTypeError):
        Categorical.from_logits(["z1", "z2"])
    with pytest.raises(InvalidParameterError, match=r"z\[1\]"):
        Categorical.from_logits([1, sp.I])
    with pytest.raises(DimensionMismatchError):
        sc.cross_entropy(Categorical([R(1, 2), R(1, 2)]), Categorical([R(1, 3)] * 3))
    with pytest.raises(DimensionMismatchError):
        sc.kl(_sym_pair()["probs"][0], Categorical([R(1, 2), R(1, 2)]))
    with pytest.raises(DimensionMismatchError):
        Categorical([R(1, 2), R(1, 2)], k=3)
    with pytest.raises(InvalidParameterError, match="k"):
        Categorical(sp.IndexedBase("p"), k=sp.Symbol("n"))
    with pytest.raises(InvalidParameterError, match=r"p\w* is not allowed|probs\[1\]"):
        Categorical([sp.Rational(1, 2), -sp.Symbol("a", positive=True)])
    with pytest.raises(InvalidParameterError, match="already sum"):
        Categorical([R(3, 4), R(1, 2), sp.Symbol("a", positive=True)])
    Categorical([0.1] * 10)  # floats: a few ulps of slack, not exact equality


# -- catalog -----------------------------------------------------------------------------------------
def test_examples_sample_valid_points():
    rng = random.Random(0)
    labels = [e.label for e in cat.EXAMPLES]
    assert {"categorical-k2", "categorical-k3", "categorical-k10", "categorical-logits-k10",
            "categorical-symbolic-k", "categorical-logits-symbolic-k"} <= set(labels)
    for ex in cat.EXAMPLES:
        P, Q = ex.build(1), ex.build(2)
        vals = {**ex.sample(P, rng), **ex.sample(Q, rng)}
        d = sc.cross_entropy(P, Q)
        # the documented recipe: fix k, expand the sums, substitute (harmless without sums)
        v = num(d.result.xreplace(vals).doit().xreplace(vals))
        assert mp.isfinite(v) and v >= -mp.mpf(10) ** -30
        if not P.is_symbolic and not P.is_logits:
            assert sum(vals[s] for s in P.entries) == 1 and all(vals[s] > 0 for s in P.entries)


def test_timing_k1000_printed(capsys):
    """Not a timed test: prints CE + gradient time at k = 1000 (the benchmark measures it properly)."""
    K = 1000
    ts = sp.symbols(f"t1:{K + 1}", positive=True)
    Z, T = Categorical.from_logits(k=K), Categorical(ts)
    t0 = time.perf_counter()
    d = sc.cross_entropy(T, Z)
    g = d.gradient_hook(list(Z.entries))
    dt = time.perf_counter() - t0
    assert g.result.shape == (K, 1)
    rng = random.Random(1)
    t, z = simplex_point(K, rng), logits(K, rng)
    sm = softmax_oracle(z)
    for m in (0, 499, 999):
        vals = {ts[m]: t[m], **dict(zip(Z.entries, z))}
        assert close(num(g.result[m], vals), sm[m] - _mpf(t[m]))
    with capsys.disabled():
        print(f"\n[categorical] k = {K}: cross-entropy + gradient in {dt * 1000:.1f} ms")


def test_gradient_through_calculus_single_and_vector():
    ts = sp.symbols("t1:4", positive=True)
    Z = Categorical.from_logits(k=3)
    d = sc.cross_entropy(Categorical(ts), Z)
    vals = {**dict(zip(ts, [R(1, 5), R(3, 10), R(1, 2)])), **dict(zip(Z.entries, [R(1, 2), -1, 2]))}
    sm = softmax_oracle([R(1, 2), -1, 2])
    single = sc.gradient(d, Z.entries[1])  # a scalar, as symce.engine.derivation returns for one symbol
    assert not isinstance(single.result, sp.MatrixBase)
    assert close(num(single.result, vals), sm[1] - _mpf(R(3, 10)))
    col = sc.gradient(d, list(Z.entries)).result
    assert col.shape == (3, 1) and close(num(col[2], vals), sm[2] - _mpf(R(1, 2)))
