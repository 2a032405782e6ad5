"""Scale: the bounded memo and the memory clear_cache() gives back, SymPy's argument order reproduced by
the fast sort key, explicit-k categorical results equal to their plain-SymPy construction at large k."""

import gc
import random
import tracemalloc

import pytest
import sympy as sp
from sympy.core.basic import _args_sortkey

import symce as sc
from symce.engine import information
from symce.errors import InvalidParameterError
from symce.families.categorical.rebuild import order_key, sort_args

MU = sp.Symbol("mu", real=True)
S = sp.Symbol("s", positive=True)


def _normal_kl(i: int):
    return sc.kl(sc.Normal(sp.Rational(i, 7), 1 + sp.Rational(i, 3)), sc.Normal(MU, S))


@pytest.fixture
def cache_size():
    old = sc.get_cache_size()
    yield
    sc.set_cache_size(old)
    sc.clear_cache()


# -- the memo is an LRU of configurable size --------------------------------------------------------------
def test_the_memo_keeps_at_most_the_configured_number_of_derivations(cache_size):
    sc.clear_cache()
    sc.set_cache_size(3)
    ds = [_normal_kl(i) for i in range(1, 6)]
    assert len(information._MEMO) == 3
    assert _normal_kl(5) is ds[4]  # recent: served from the memo
    assert _normal_kl(1) is not ds[0]  # least recently used: forgotten, derived again (an equal result)
    assert _normal_kl(1).result == ds[0].result


def test_a_hit_makes_a_derivation_recent(cache_size):
    sc.clear_cache()
    sc.set_cache_size(2)
    first = _normal_kl(1)
    _normal_kl(2)
    assert _normal_kl(1) is first  # a hit: now the most recent
    _normal_kl(3)  # evicts 2, not 1
    assert _normal_kl(1) is first


def test_size_zero_memoises_nothing_and_shrinking_evicts(cache_size):
    sc.clear_cache()
    for i in range(1, 5):
        _normal_kl(i)
    assert len(information._MEMO) == 4
    sc.set_cache_size(1)
    assert len(information._MEMO) == 1
    sc.set_cache_size(0)
    assert len(information._MEMO) == 0
    assert _normal_kl(1) is not _normal_kl(1)


@pytest.mark.parametrize("bad", [-1, 2.5, True, "10"])
def test_a_bad_cache_size_is_refused_naming_the_argument(bad):
    with pytest.raises(InvalidParameterError, match="set_cache_size: parameter n"):
        sc.set_cache_size(bad)


def test_clear_cache_gives_the_memory_back():
    for i in range(200, 205):  # one-time allocations (lazy imports, interned dummies) before measuring
        _normal_kl(i)
    sc.clear_cache()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(1, 31):
            _normal_kl(i)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
        sc.clear_cache()
        left = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown > 300_000, grown  # 30 distinct derivations do hold memory …
    assert left < 0.2 * grown, (left, grown)  # … and clear_cache() returns (nearly) all of it


# -- the fast sort key orders exactly as SymPy's Basic.compare -------------------------------------------
def _pool():
    a, b = sp.symbols("a b", positive=True)
    x, y, z10, z2 = sp.symbols("x y z10 z2", real=True)
    p = sp.IndexedBase("p")
    n = sp.Symbol("n", integer=True)
    atoms = [a, b, x, y, z10, z2, p[1], p[10], p[2], n, sp.Dummy("d"), sp.Integer(3), sp.Rational(-1, 2),
             sp.Float(0.25), sp.pi, sp.E, sp.S.Half, sp.S.NegativeOne]
    rng = random.Random(7)
    out = list(atoms)
    for _ in range(300):
        u, v = rng.choice(out), rng.choice(out)
        op = rng.choice([lambda: u * v, lambda: u + v, lambda: sp.exp(u), lambda: sp.log(u), lambda: u ** 2,
                         lambda: sp.Abs(u), lambda: sp.Max(u, v), lambda: sp.KroneckerDelta(n, u) * v])
        e = op()
        if e.is_finite is not False and not e.has(sp.zoo, sp.nan):
            out.append(e)
    return out


def test_order_key_sorts_as_basic_compare():
    pool = _pool()
    rng = random.Random(11)
    for _ in range(40):
        sample = list(dict.fromkeys(rng.sample(pool, 30)))
        assert sort_args(sample) == sorted(sample, key=_args_sortkey)
        assert sorted(sample, key=order_key) == sorted(sample, key=_args_sortkey)


# -- explicit k at scale: the same objects plain SymPy builds ---------------------------------------------
@pytest.mark.parametrize("quantity", ["cross_entropy", "kl"])
def test_k_2000_results_and_gradients_equal_the_plain_sympy_construction(quantity):
    # independent reference: the textbook sums, built and evaluated by SymPy term by term
    k = 2000
    t = sp.symbols(f"t1:{k + 1}", positive=True)
    if quantity == "kl":
        q = sp.symbols(f"q1:{k + 1}", positive=True)
        P, Q = sc.Categorical(list(t)), sc.Categorical(list(q))
        expected = sp.Add(*[ti * sp.log(ti / qi) for ti, qi in zip(t, q)])
        d = sc.kl(P, Q)
        wrt = list(q)
        grad = [-ti / qi for ti, qi in zip(t, q)]
    else:
        z = sp.symbols(f"z1:{k + 1}", real=True)
        P, Q = sc.Categorical(list(t)), sc.Categorical.from_logits(list(z))
        lse = sp.log(sp.Add(*[sp.exp(zi) for zi in z]))
        expected = lse - sp.Add(*[ti * zi for ti, zi in zip(t, z)])
        d = sc.cross_entropy(P, Q)
        wrt = list(z)
        total = sp.Add(*[sp.exp(zi) for zi in z])
        grad = [sp.exp(zi) / total - ti for ti, zi in zip(t, z)]
    assert d.result == expected
    g = d.gradient(wrt).result
    assert len(g) == k
    for m in (0, 1, 9, 99, 1234, k - 1):
        assert g[m] == grad[m], m


# -- multivariate normal: positive definiteness without symbolic minors -----------------------------------
def _spd(d: int, rng: random.Random) -> sp.Matrix:
    L = sp.Matrix(d, d, lambda i, j: sp.Rational(rng.randint(1, 9), 7) if i >= j else 0)
    return L * L.T


def test_numeric_covariances_are_decided_exactly_at_d_12():
    rng = random.Random(5)
    S = _spd(12, rng)
    sc.MultivariateNormal([0] * 12, S)
    sc.MultivariateNormal([0] * 12, S.applyfunc(lambda e: sp.Float(float(e))))
    # Σ − λI with λ above the smallest eigenvalue (mpmath at 50 digits, an independent computation)
    import mpmath
    with mpmath.workdps(50):
        lam_min = min(mpmath.eigsy(mpmath.matrix(S.tolist()))[0])
    bad = S - sp.Rational(str(lam_min * mpmath.mpf("1.001"))) * sp.eye(12)
    with pytest.raises(InvalidParameterError, match="not positive definite"):
        sc.MultivariateNormal([0] * 12, bad)


def test_float_covariances_are_decided_on_their_exact_binary_values():
    e = 2.0 ** -52
    sc.MultivariateNormal([0, 0], [[1.0, 1.0 - e], [1.0 - e, 1.0]])  # det = 2e − e² > 0 exactly
    with pytest.raises(InvalidParameterError, match="not positive definite"):
        sc.MultivariateNormal([0, 0], [[1.0, 1.0], [1.0, 1.0]])  # singular
    with pytest.raises(InvalidParameterError, match="not positive definite"):
        sc.MultivariateNormal([0, 0, 0], [[1.0, 0.9, 0.0], [0.9, 1.0, 0.9], [0.0, 0.9, 1.0]])  # det = 1 − 1.62 < 0


def test_a_symbolic_covariance_above_d_3_records_positive_definiteness_as_a_predicate():
    d = 12
    P = sc.MultivariateNormal.symbolic(d, "1", cholesky=False)
    conds = P.conditions()
    assert sp.Q.positive_definite(P.Sigma) in conds
    assert all(not isinstance(c, sp.StrictGreaterThan) or len(c.lhs.free_symbols) == 1 for c in conds)


def test_a_fresh_equal_categorical_pair_is_served_from_the_memo():
    k = 1000
    t = list(sp.symbols(f"t1:{k + 1}", positive=True))
    q = list(sp.symbols(f"q1:{k + 1}", positive=True))
    first = sc.kl(sc.Categorical(t), sc.Categorical(q))
    assert sc.kl(sc.Categorical(list(t)), sc.Categorical(list(q))) is first
