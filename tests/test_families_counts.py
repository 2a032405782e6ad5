"""The count families on ℤ — Poisson, Binomial (explicit and symbolic n), Geometric, NegativeBinomial — beyond
the catalog-wide tests of tests/test_families.py:

* published formulas, with their citations, as references independent of symce's engine;
* the pairs torch.distributions registers among Bernoulli, Binomial, Poisson and Geometric (finite and +∞)
  against torch float64 and the definition (tests/oracles.py at 40 digits);
* every ordered cross-family pair of these families against the definition (finite, +∞ or conditional);
* torch's pmf conventions (NegativeBinomial counts successes before the r-th failure, Geometric failures
  before the first success), checked point by point against ``log_prob``;
* kept sums (E[log X!] has no closed form) lambdified with mpmath and numpy, including Poisson(150), where
  the terms peak late and ``mpmath.nsum`` alone returned ≈ 0.
"""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp

import symce as sc
from symce.engine.definition import KEPT_SUM
from symce.errors import InvalidParameterError
from symce.families.binomial import EXPLICIT_EXAMPLES, Binomial
from symce.families.geometric import Geometric
from symce.families.negative_binomial import NegativeBinomial
from symce.families.poisson import Poisson
import oracles

torch = pytest.importorskip("torch")
TD = torch.distributions


def pos(name):
    return sp.Symbol(name, positive=True)


N = sp.Symbol("n", integer=True, nonnegative=True)
lam, mu, a, b, c, g, h, q, r = (pos(s) for s in ("lambda1", "lambda2", "a", "b", "c", "g", "h", "q", "r"))
p1, p2 = pos("p1"), pos("p2")

#: the families of this file as (symce distribution, torch distribution at a point or None)
DISTS = {
    "Bern": sc.Bernoulli(a),
    "Pois": Poisson(lam),
    "Bin7": Binomial(7, b),
    "Binn": Binomial(N, c),
    "Geom": Geometric(g),
    "NB": NegativeBinomial(r, q),
}
POINT = {a: sp.Rational(3, 10), lam: sp.Rational(27, 10), mu: sp.Rational(41, 10), b: sp.Rational(41, 100),
         c: sp.Rational(13, 20), g: sp.Rational(7, 20), h: sp.Rational(3, 5), q: sp.Rational(9, 20),
         r: sp.Rational(23, 10), p1: sp.Rational(31, 100), p2: sp.Rational(57, 100)}


POINT2 = {k: (v if k == r else 1 - v) if v < 1 else v / 3 for k, v in POINT.items()}


def _same(expr, published):
    """Equal at two parameter points to 30 digits (n = 9 and n = 4 where n is symbolic): SymPy cannot
    split log((1 − p1)/(1 − p2)) without knowing p < 1, so the identity is checked numerically."""
    for point in ({**POINT, N: 9}, {**POINT2, N: 4}):
        got, want = oracles.value(expr, point), oracles.value(published, point)
        if oracles.digits_agree(got, want) < 30:
            return False
    return True


def _agree(closed, truth, values, digits=25):
    got = oracles.value(closed, values)
    if truth == mpmath.inf or got == mpmath.inf:
        assert got == truth, (closed, got, truth)
        return
    assert oracles.digits_agree(got, truth) >= digits, (closed, mpmath.nstr(got, 30), mpmath.nstr(truth, 30))


# -- published formulas ------------------------------------------------------------------------------------
def test_poisson_kl_is_the_generalised_i_divergence():
    # Banerjee, Merugu, Dhillon & Ghosh (2005), "Clustering with Bregman divergences", JMLR 6:1705–1749,
    # Table 2 (1-D Poisson; KL = the Bregman divergence of the means, Thm. 4): x log(x/y) − (x − y)
    d = sc.kl(Poisson(lam), Poisson(mu))
    assert not d.result.has(sp.Sum)  # E[log X!] of H(P, Q) and of H(P) cancel before any summation
    assert _same(d.result, lam * sp.log(lam / mu) - (lam - mu))


@pytest.mark.parametrize("n", [7, N], ids=["n=7", "symbolic n"])
def test_binomial_kl_same_n(n):
    # Banerjee et al. (2005), Table 2 (1-D Binomial, mean x = Np): x log(x/y) + (N − x) log((N − x)/(N − y))
    d = sc.kl(Binomial(n, p1), Binomial(n, p2))
    assert not d.result.has(sp.Sum)
    x, y = n * p1, n * p2
    assert _same(d.result, x * sp.log(x / y) + (n - x) * sp.log((n - x) / (n - y)))


def test_geometric_entropy():
    # Cover & Thomas (2006), Elements of Information Theory, 2nd ed., Problem 2.1(a): the number of flips to
    # the first head has H = [−p log p − (1 − p) log(1 − p)]/p; torch's Geometric is that count minus one
    # (failures before the first success), and entropy does not see a shift
    d = sc.entropy(Geometric(g))
    assert not d.result.has(sp.Sum)
    assert _same(d.result, (-(1 - g) * sp.log(1 - g) - g * sp.log(g)) / g)


def _bregman(A, eta, eta_p, eta_q):
    """KL(P_θp ‖ P_θq) = A(η_q) − A(η_p) − (η_q − η_p)·A'(η_p) within one exponential family (Nielsen & Nock
    (2010), "Entropies and cross-entropies of exponential families", ICIP, Sec. 2; Banerjee et al. (2005),
    Thm. 4), from the published log-normaliser A alone."""
    return A.subs(eta, eta_q) - A.subs(eta, eta_p) - (eta_q - eta_p) * sp.diff(A, eta).subs(eta, eta_p)


@pytest.mark.parametrize("P, Q, A, eta_p, eta_q", [
    # Geometric: p(x) = exp(x·log(1 − p) + log p), A(η) = −log(1 − e^η)
    (Geometric(p1), Geometric(p2), "-log(1 - exp(e))", sp.log(1 - p1), sp.log(1 - p2)),
    # NegativeBinomial, same r: p(x) ∝ exp(x·log p + r·log(1 − p)), A(η) = −r·log(1 − e^η)
    (NegativeBinomial(r, p1), NegativeBinomial(r, p2), "-r*log(1 - exp(e))", sp.log(p1), sp.log(p2)),
], ids=["geometric", "negative-binomial"])
def test_same_family_kl_is_the_bregman_divergence_of_the_log_normaliser(P, Q, A, eta_p, eta_q):
    e = sp.Symbol("e")
    published = _bregman(sp.sympify(A, locals={"r": r, "e": e}), e, eta_p, eta_q)
    d = sc.kl(P, Q)
    assert not d.result.has(sp.Sum)
    assert oracles.digits_agree(oracles.value(d.result, POINT), oracles.value(published, POINT)) >= 30
    assert _same(d.result, published)


def test_poisson_entropy_large_rate_matches_its_asymptotic_expansion():
    # Evans & Boersma (1988), "The entropy of a Poisson distribution", SIAM Review 30(2):314–317:
    # H = ½ log(2πeλ) − 1/(12λ) − 1/(24λ²) − 19/(360λ³) + O(λ⁻⁴). The kept sum must survive λ = 1000
    # (terms below 10⁻⁴³⁰ at k = 0, peak near k = 1000).
    d = sc.entropy(Poisson(lam))
    L = mpmath.mpf(1000)
    with mpmath.workdps(40):
        published = mpmath.log(2 * mpmath.pi * mpmath.e * L) / 2 - 1 / (12 * L) - 1 / (24 * L**2) - 19 / (360 * L**3)
        got = oracles.value(d.result, {lam: 1000})
        assert abs(got - published) < 1e-12


@pytest.mark.parametrize("D, scipy_of", [
    (Poisson(lam), lambda v: ("poisson", (float(v[lam]),))),
    (Binomial(N, c), lambda v: ("binom", (9, float(v[c])))),
    (Geometric(g), lambda v: ("geom", (float(v[g]),))),              # scipy counts trials: a shift
    (NegativeBinomial(r, q), lambda v: ("nbinom", (float(v[r]), 1 - float(v[q])))),  # scipy's p = 1 − torch's
], ids=["poisson", "binomial-n", "geometric", "negative-binomial"])
def test_entropy_agrees_with_scipy(D, scipy_of):
    stats = pytest.importorskip("scipy.stats")
    values = {**POINT, N: 9}
    name, args = scipy_of(values)
    want = float(getattr(stats, name)(*args).entropy())
    got = float(oracles.value(sc.entropy(D).result, values))
    assert abs(got - want) <= 1e-9 * abs(want)


# -- what the engine keeps, and what it closes -------------------------------------------------------------
@pytest.mark.parametrize("name, kept", [("Pois", True), ("Binn", True), ("NB", True), ("Geom", False), ("Bin7", False)])
def test_entropy_keeps_the_defining_sum_only_where_there_is_no_closed_form(name, kept):
    d = sc.entropy(DISTS[name])
    assert d.result.has(sp.Sum) is kept
    assert (KEPT_SUM in d.method) is kept
    _agree(d.result, oracles.entropy(DISTS[name], {**POINT, N: 9}), {**POINT, N: 9})


# -- torch's registered pairs and conventions ----------------------------------------------------------------
def _torch(D, values):
    f = lambda v: torch.tensor(float(oracles.value(v, values)), dtype=torch.float64)  # noqa: E731
    if isinstance(D, sc.Bernoulli):
        return TD.Bernoulli(probs=f(D.p), validate_args=False)
    cls = getattr(TD, type(D).__name__)
    return cls(**{k: f(v) for k, v in D.parameters.items()}, validate_args=False)


@pytest.mark.parametrize("P, Q, n", [
    (sc.Bernoulli(a), Poisson(lam), 9),          # _kl_bernoulli_poisson
    (Poisson(lam), sc.Bernoulli(a), 9),          # _kl_poisson_infinity
    (Poisson(lam), Binomial(7, b), 9),           # _kl_poisson_infinity
    (Poisson(lam), Binomial(N, c), 9),           # _kl_poisson_infinity, symbolic n
    (Poisson(lam), Poisson(mu), 9),              # _kl_poisson_poisson
    (Binomial(7, p1), Binomial(7, p2), 9),       # _kl_binomial_binomial
    (Binomial(N, p1), Binomial(N, p2), 9),
    (Binomial(N, p1), Binomial(7, p2), 9),       # n_P > n_Q: +∞ in torch and here
    (Binomial(N, p1), Binomial(7, p2), 7),       # the same pair where n = 7: finite
    (Geometric(p1), Geometric(p2), 9),           # _kl_geometric_geometric
], ids=["bern|pois", "pois|bern", "pois|bin7", "pois|binn", "pois|pois", "bin7|bin7", "binn|binn",
        "binn|bin7@9", "binn|bin7@7", "geom|geom"])
def test_torch_registered_pairs(P, Q, n):
    values = {**POINT, N: n}
    d = sc.kl(P, Q)
    want = float(TD.kl_divergence(_torch(P, values), _torch(Q, values)))
    got = float(oracles.value(d.result, values))
    if math.isinf(want):
        assert got == want, f"KL({P!r} ‖ {Q!r}) = {d.result}, torch +∞"
    else:
        assert abs(got - want) <= 1e-9 * max(1.0, abs(want)), (got, want)
    _agree(d.result, oracles.kl(P, Q, values), values)


@pytest.mark.parametrize("D", [Poisson(lam), Binomial(7, b), Binomial(N, c), Geometric(g), NegativeBinomial(r, q)],
                         ids=repr)
def test_log_density_is_torchs_log_prob(D):
    # the convention check: torch's NegativeBinomial(total_count, probs) counts successes before the r-th
    # failure, p(x) = Γ(r + x)/(Γ(r) x!)·(1 − p)^r p^x; Geometric counts failures before the first success
    values = {**POINT, N: 9}
    x = D.variable()
    top = 9 if isinstance(D, Binomial) else 40
    ks = torch.arange(0, top + 1, dtype=torch.float64)
    want = _torch(D, values).log_prob(ks)
    for k in range(top + 1):
        if isinstance(D, Binomial) and k > oracles.substitute(D.total_count, values):
            continue  # outside the support: torch's log_prob is not defined there either
        got = float(oracles.value(D.log_density(x).xreplace({x: k}), values))
        assert abs(got - float(want[k])) <= 1e-12 * max(1.0, abs(got)), (k, got, float(want[k]))


@pytest.mark.parametrize("D", [Binomial(7, b), Binomial(N, c), Geometric(g), sc.Bernoulli(a)], ids=repr)
def test_entropy_agrees_with_torch(D):
    values = {**POINT, N: 9}
    want = float(_torch(D, values).entropy())
    assert abs(float(oracles.value(sc.entropy(D).result, values)) - want) <= 1e-9 * max(1.0, abs(want))


# -- every cross-family pair against the definition ---------------------------------------------------------
CROSS = [(x, y) for x in DISTS for y in DISTS if x != y]


@pytest.mark.parametrize("x, y", CROSS, ids=[f"{x}|{y}" for x, y in CROSS])
def test_cross_family_kl_matches_definition(x, y):
    P, Q = DISTS[x], DISTS[y]
    d = sc.kl(P, Q)
    # n = 1 and n = 9 where a Binomial(n) is involved: the supports nest one way or the other
    for n in ((1, 9) if "Binn" in (x, y) else (9,)):
        values = {**POINT, N: n}
        _agree(d.result, oracles.kl(P, Q, values), values)


def test_cross_entropy_poisson_geometric_matches_definition():
    P, Q = DISTS["Pois"], DISTS["Geom"]
    _agree(sc.cross_entropy(P, Q).result, oracles.cross_entropy(P, Q, POINT), POINT)


# -- explicit n (not in the catalog: see binomial.EXPLICIT_EXAMPLES) -----------------------------------------
def test_explicit_binomial_is_exact_and_proved():
    ex = EXPLICIT_EXAMPLES[0]
    P, Q = ex.build(1), ex.build(2)
    H = sc.entropy(P)
    assert not H.result.has(sp.Sum)  # a finite sum of 8 exact terms
    _agree(H.result, oracles.entropy(P, POINT), POINT)
    _agree(sc.kl(P, Q).result, oracles.kl(P, Q, POINT), POINT)
    assert sc.kl_self_zero(P).status == "proved"
    assert sc.kl_decomposition(P, Q).status == "proved"


# -- kept sums are numbers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("D, point", [
    (Poisson(lam), {lam: sp.Rational(7, 2)}),
    (Poisson(lam), {lam: 150}),                  # peak near k = 150: mpmath.nsum alone gave ≈ 0 here
    (Poisson(lam), {lam: 1000}),                 # e^{−λ} must stay inside the sum: e^{−1000}·Σ is 0·∞ in floats
    (Binomial(N, c), {N: 9, c: sp.Rational(13, 20)}),
    (NegativeBinomial(r, q), {r: sp.Rational(23, 10), q: sp.Rational(9, 20)}),
], ids=["poisson", "poisson-150", "poisson-1000", "binomial-n", "negative-binomial"])
@pytest.mark.parametrize("backend", ["mpmath", "numpy", "torch"])
def test_kept_sums_lambdify(D, point, backend):
    d = sc.entropy(D)
    assert d.result.has(sp.Sum)
    f = sc.lambdify(d, backend=backend)
    truth = oracles.entropy(D, point)
    args = [point[s] for s in f.args]
    with mpmath.workdps(40):
        got = f(*[mpmath.mpf(sp.Float(v, 40)) if backend == "mpmath" else
                  torch.tensor(float(v), dtype=torch.float64) if backend == "torch" else float(v) for v in args])
    # the kept sum is evaluated at 30 digits and rounded once; the terms around it are double precision
    # (numpy) or the mpmath backend's (which returns about 17 digits here)
    rel = 1e-15 if backend == "mpmath" else 1e-12
    assert abs(mpmath.mpf(float(got)) - truth) <= rel * abs(truth), (backend, got, truth)


# -- arguments ----------------------------------------------------------------------------------------------
def test_binomial_total_count_must_be_an_integer():
    with pytest.raises(InvalidParameterError, match="total_count"):
        Binomial(2.5, 0.3)
    with pytest.raises(InvalidParameterError, match="total_count"):
        Binomial(sp.Symbol("m", positive=True), 0.3)  # not declared integer
    with pytest.raises(InvalidParameterError, match="total_count"):
        Binomial(-1, 0.3)
    with pytest.raises(InvalidParameterError, match="probs"):
        Binomial(3, 1.5)
    assert Binomial(10.0, 0.3).total_count == sp.Integer(10)  # torch passes counts as float tensors
    assert Binomial(total_count=N, probs=c).support == sp.Range(0, N + 1)


@pytest.mark.parametrize("make, name", [
    (lambda: Poisson(0), "rate"), (lambda: Geometric(1), "probs"), (lambda: Geometric(0), "probs"),
    (lambda: NegativeBinomial(0, 0.5), "total_count"), (lambda: NegativeBinomial(2, 1), "probs"),
])
def test_boundary_point_masses_are_refused_by_name(make, name):
    with pytest.raises(InvalidParameterError, match=name):
        make()


@pytest.mark.parametrize("D, point", [
    (Poisson(lam), {lam: sp.Rational(7, 2)}),
    (NegativeBinomial(r, q), {r: sp.Rational(23, 10), q: sp.Rational(9, 20)}),
    (Binomial(N, c), {N: 9, c: sp.Rational(13, 20)}),
], ids=["poisson", "negative-binomial", "binomial-n"])
def test_kept_sums_have_torch_gradients(D, point):
    # ∂/∂θ of the kept sum is the sum of ∂f/∂θ (numeric/kept.py), against a central difference of the
    # definition at 40 digits
    d = sc.entropy(D)
    f = sc.lambdify(d, backend="torch")
    xs = [torch.tensor(float(point[s]), dtype=torch.float64, requires_grad=not s.is_integer) for s in f.args]
    f(*xs).backward()
    for s, x in zip(f.args, xs):
        if s.is_integer:
            continue
        fd = oracles.central_difference(lambda vs: oracles.entropy(D, vs), point, s)
        assert abs(float(x.grad) - float(fd)) <= 1e-9 * max(1.0, abs(float(fd))), (s, float(x.grad), fd)


def test_many_explicit_trials_keep_the_finite_sum():
    # Binomial(50, p): E[log X!] over 51 points is kept as a Sum (exact) instead of a degree-50 polynomial
    # with 50 log k! kernels (55 s in the canonical form); KL with the same n closes
    P, Q = Binomial(50, p1), Binomial(50, p2)
    H = sc.entropy(P)
    assert H.result.has(sp.Sum)
    values = {p1: POINT[p1], p2: POINT[p2]}
    _agree(H.result, oracles.entropy(P, values), values)
    want = float(_torch(P, values).entropy())
    assert abs(float(oracles.value(H.result, values)) - want) <= 1e-9 * want
    kl = sc.kl(P, Q)
    assert not kl.result.has(sp.Sum)
    assert abs(float(oracles.value(kl.result, values)) - float(TD.kl_divergence(_torch(P, values), _torch(Q, values)))) <= 1e-9


def test_different_shapes_keep_only_what_does_not_cancel():
    # NegativeBinomial with r₁ ≠ r₂: E_P[log Γ(X + r₁) − log Γ(X + r₂)] has no closed form and is kept (one
    # sum, E[log X!] cancelled); Binomial with n₁, n₂: finite exactly where n₁ ≤ n₂ (supports nest)
    r1, r2, n1, n2 = pos("r1"), pos("r2"), *sp.symbols("n1 n2", integer=True, nonnegative=True)
    P, Q = NegativeBinomial(r1, p1), NegativeBinomial(r2, p2)
    d = sc.kl(P, Q)
    assert len(d.result.atoms(sp.Sum)) == 1
    values = {r1: sp.Rational(5, 2), r2: sp.Rational(7, 3), p1: POINT[p1], p2: POINT[p2]}
    _agree(d.result, oracles.kl(P, Q, values), values)
    P, Q = Binomial(n1, p1), Binomial(n2, p2)
    d = sc.kl(P, Q)
    for a_, b_ in ((4, 6), (6, 4), (5, 5)):
        values = {n1: a_, n2: b_, p1: POINT[p1], p2: POINT[p2]}
        _agree(d.result, oracles.kl(P, Q, values), values)


# -- logits, as torch's second spelling of the success probability ------------------------------------------
Z1, Z2 = sp.symbols("z1 z2", real=True)
LOGITS = {Z1: sp.Rational(-7, 10), Z2: sp.Rational(13, 10), N: 9, r: sp.Rational(23, 10)}


@pytest.mark.parametrize("P, Q", [
    (Geometric.from_logits(Z1), Geometric.from_logits(logits=Z2)),
    (Binomial.from_logits(N, Z1), Binomial.from_logits(N, Z2)),
    (NegativeBinomial.from_logits(r, Z1), NegativeBinomial.from_logits(r, Z2)),
], ids=["geometric", "binomial", "negative-binomial"])
def test_from_logits_is_torchs_logits(P, Q):
    assert "logits" in P.parameters and "probs" not in P.parameters and P.conditions() == []
    values = LOGITS
    tp, tq = _torch(P, values), _torch(Q, values)  # torch built with logits=…
    kl = sc.kl(P, Q)
    assert not kl.result.has(sp.Sum)
    _agree(kl.result, oracles.kl(P, Q, values), values)
    _agree(sc.entropy(P).result, oracles.entropy(P, values), values)
    try:
        want = float(TD.kl_divergence(tp, tq))
    except NotImplementedError:  # torch registers no NegativeBinomial pair
        want = None
    if want is not None:
        assert abs(float(oracles.value(kl.result, values)) - want) <= 1e-9 * max(1.0, abs(want))
    x = P.variable()
    for k in range(6):
        got = float(oracles.value(P.log_density(x).xreplace({x: k}), values))
        assert abs(got - float(tp.log_prob(torch.tensor(float(k), dtype=torch.float64)))) <= 1e-12 * max(1.0, abs(got))
    # the same distribution by probs: the same KL into Q
    probs = {"Geometric": lambda: Geometric(sp.exp(Z1) / (1 + sp.exp(Z1))),
             "Binomial": lambda: Binomial(N, sp.exp(Z1) / (1 + sp.exp(Z1))),
             "NegativeBinomial": lambda: NegativeBinomial(r, sp.exp(Z1) / (1 + sp.exp(Z1)))}[type(P).__name__]()
    _agree(sc.kl(probs, Q).result, oracles.value(kl.result, values), values, digits=30)


def test_from_logits_refuses_probs_and_missing_logits():
    with pytest.raises(sc.errors.ArgumentTypeError, match="logits"):
        Geometric.from_logits()
    with pytest.raises(sc.errors.ArgumentTypeError, match="probs"):
        Binomial.from_logits(3, probs=0.2)
    with pytest.raises(InvalidParameterError, match="logits"):
        Geometric.from_logits(sp.oo)


@pytest.mark.parametrize("P, Q", [
    (Binomial(7, p1), Binomial(N, p2)),    # finite exactly where n ≥ 7
    (Binomial(N, p1), Binomial(7, p2)),    # finite exactly where n ≤ 7
    (sc.Bernoulli(a), Binomial(N, c)),      # finite exactly where n ≥ 1
], ids=["bin7|binn", "binn|bin7", "bern|binn"])
def test_decomposition_proved_case_by_case_where_the_supports_nest_conditionally(P, Q):
    proof = sc.kl_decomposition(P, Q)
    assert proof.status == "proved", str(proof)
    assert sc.kl(P, Q).result.has(sp.Piecewise)
