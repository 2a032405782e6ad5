"""A row's value must not depend on the other rows of its batch: the softmax cross-entropy
Σᵢ tᵢ(log Σⱼ e^{zⱼ} − zᵢ) (k = 10) and its gradients, numpy (the fast kernel of symce.numeric.impl.fast, which
splits a batch into "dead" columns — every class but the maximum beyond e^{−746} — and "live" ones, and
works in chunks of columns) and torch (symce.numeric.impl.torch_kclass on (n, k) tensors, in blocks of rows).
Each hostile row is evaluated alone and inside shuffled batches dominated by dead columns, by live ones, and
long enough to cross the chunk and block boundaries: the results must be bit-identical, and match the
definition evaluated in mpmath within the k-class goal (4 ULP). The gaps m − zᵢ are taken exactly in
mpmath (a gap of 1e300 against a logit of 1e-17 keeps every digit), the others' share 1 − sᵢ as Σ_{j≠i} sⱼ.
References: the definition, and its derivatives ∂/∂zⱼ = sⱼ·Σt − tⱼ (Bishop, PRML eq. 4.109 for Σt = 1)."""

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.ulp import ulp_distance

K = 10
GOAL = 4
TS = sp.symbols(f"t1:{K + 1}", positive=True)
ZS = sp.symbols(f"z1:{K + 1}", real=True)
MAX = 1.7976931348623157e308
# logits at the kernels' thresholds: the overflow edge, gaps beyond 746 (e^{z − m} underflows) and near it,
# 37 (where z − m is no longer exact), ties, subnormals
LOGITS = [MAX, -MAX, 1.7976931348623155e308, -1.7976931348623155e308, 1e300, -1e300, 1e17, -1e17, 800.0,
          745.0, -745.0, 710.0, -710.0, 709.78, -709.78, 40.0, -40.0, 37.0, -37.0, 36.0, -36.0, 30.0, 2.0, -1.0,
          1.0, 0.5, 1.0000000000000002, 0.9999999999999999, 1e-8, 1e-17, -1e-17, 1e-300, 5e-324,
          2.2250738585072014e-308, 0.0]


def _targets(rng, kind):
    t = np.zeros(K)
    i = rng.integers(K)
    if kind == 0:  # one-hot
        t[i] = 1.0
    elif kind in (1, 2):  # nearly one-hot: the others at 1e-8 or 2^-53 (the accuracy section's grid)
        t[:] = 9.99999993922529e-09 if kind == 1 else 1.1102230246251565e-16
        t[i] = 0.9999999100000005 if kind == 1 else 0.999999999999999
    elif kind == 3:
        t[:] = 0.1
        t[i] = 0.09999999999999995
    else:
        t = rng.dirichlet(np.ones(K))
        t[rng.random(K) < 0.4] = 0.0
    return t


def _hostile():
    rng = np.random.default_rng(11)
    rows = [  # the rows the accuracy section found batch-dependent (1e292 came out 1e284 next to the second)
        ([9.99999993922529e-09] * 2 + [0.9999999100000005] + [9.99999993922529e-09] * 7,
         [-1e17, -1e300, -1.0, 1e17, -745.0, -36.0, 1e-17, -1e17, 1e17, 1e-8]),
        ([1.1102230246251565e-16] * 6 + [0.999999999999999] + [1.1102230246251565e-16] * 3,
         [1.0000000000000002, -1e17, 1e-8, -745.0, 1e300, 710.0, 0.5, 2.2250738585072014e-308, -1.0, 709.78]),
    ]
    for n in range(34):
        z = rng.choice(LOGITS, K) * rng.choice([1.0, -1.0], K)
        if n % 3 == 0:
            z[rng.integers(K)] = z.max()  # a tie at the maximum
        rows.append((_targets(rng, n % 5), z))
    t, z = (np.array([r[i] for r in rows], dtype=np.float64) for i in (0, 1))
    return t, z


def _filler(rng, n, dead):
    """Rows whose every class but the maximum is beyond e^{−746} (bit-pattern logits), or realistic rows."""
    t = rng.dirichlet(np.ones(K), n)
    if dead:
        z = 10.0 ** rng.uniform(-300, 300, (n, K)) * rng.choice([1.0, -1.0], (n, K))
    else:
        z = rng.normal(0.0, 5.0, (n, K))
    return t, z


def _batches(t, z):
    """(name, batch t, batch z, positions of the hostile rows in it): scattered among dead fillers, among live
    ones, and in a batch past numpy's chunk (6553 columns) and torch's block (8192 rows) boundaries, some of
    them at those edges. A NaN target row and an infinite logit are in each batch as well."""
    rng = np.random.default_rng(5)
    n = len(t)
    out = []
    for name, size, dead in (("dead", 4 * n, True), ("live", 4 * n, False), ("long", 17000, None)):
        if dead is None:
            ft, fz = _filler(rng, size - n, True)
            half = (size - n) // 2
            ft[:half], fz[:half] = _filler(rng, half, False)
            edges = [0, 6552, 6553, 8191, 8192, 13106, 13107, 16383, 16384, size - 1]
            others = rng.permutation(np.setdiff1d(np.arange(size), edges))[: n - len(edges)]
            pos = rng.permutation(np.concatenate([edges, others]))
        else:
            ft, fz = _filler(rng, size - n, dead)
            pos = rng.permutation(size)[:n]
        ft[0] = np.nan
        fz[1, 3] = np.inf
        bt, bz = np.empty((size, K)), np.empty((size, K))
        free = np.setdiff1d(np.arange(size), pos)
        bt[pos], bz[pos] = t, z
        bt[free], bz[free] = ft, fz
        out.append((name, bt, bz, pos))
    return out


def _mp_truth(t, z):
    """(value, ∂/∂z (sⱼΣt − tⱼ), gaps lse − zⱼ) of one row in mpmath, the differences m − zⱼ exact."""
    with mpmath.workdps(40):
        zs = [mpmath.mpf(v) for v in z]
        m = max(zs)
        d = [mpmath.fsub(m, v, exact=True) for v in zs]  # ≥ 0, exact
        e = [mpmath.exp(-v) for v in d]
        tot = mpmath.fsum(e)
        i = zs.index(m)
        lg = mpmath.log1p(mpmath.fsum(e[:i] + e[i + 1:]))  # lse − m: log1p(1e-291) is 1e-291, not log(1) = 0
        gaps = [v + lg for v in d]
        ts = [mpmath.mpf(v) for v in t]
        T = mpmath.fsum(ts)
        value = mpmath.fsum(a * g for a, g in zip(ts, gaps) if a)
        s = [v / tot for v in e]
        rest = [mpmath.fsum(e[:j] + e[j + 1:]) / tot for j in range(K)]
        # sⱼΣt − tⱼ = sⱼ(Σt − tⱼ) − tⱼ·(1 − sⱼ), 1 − sⱼ as the others' share (no cancellation in it)
        gz = [s[j] * (T - ts[j]) - ts[j] * rest[j] for j in range(K)]
        return float(value), np.array([float(v) for v in gz]), np.array([float(v) for v in gaps])


@pytest.fixture(scope="module")
def data():
    t, z = _hostile()
    truth = [_mp_truth(a, b) for a, b in zip(t, z)]
    return t, z, truth, _batches(t, z)


@pytest.fixture(scope="module")
def ce():
    return sc.cross_entropy(sc.Categorical(list(TS)), sc.Categorical.from_logits(list(ZS)))


def _same_bits(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return np.array_equal(got.view(np.int64), want.view(np.int64)) or np.array_equal(got, want, equal_nan=True)


def test_numpy_value_row_alone_equals_row_in_any_batch(data, ce):
    t, z, truth, batches = data
    f = sc.lambdify(ce)
    alone = np.array([float(f(a, b)) for a, b in zip(t, z)])
    assert ulp_distance(alone, np.array([w[0] for w in truth])).max() <= GOAL
    for name, bt, bz, pos in batches:
        got = np.asarray(f(bt, bz))
        bad = [j for j in range(len(t)) if not _same_bits(got[pos[j]], alone[j])]
        assert not bad, (name, [(j, got[pos[j]], alone[j]) for j in bad])


def test_numpy_gradient_row_alone_equals_row_in_any_batch(data, ce):
    t, z, truth, batches = data
    g = sc.lambdify(ce.gradient(list(ZS)))
    alone = np.array([np.asarray(g(a, b), np.float64).reshape(K) for a, b in zip(t, z)])
    # the derivation's ∂/∂zⱼ is sⱼ − pⱼ (the categorical's Σp = 1 built in)
    want = np.array([_mp_grad_sp(a, b) for a, b in zip(t, z)])
    assert ulp_distance(alone, want).max() <= GOAL
    for name, bt, bz, pos in batches:
        got = np.asarray(g(bt, bz), np.float64).reshape(K, -1).T
        bad = [j for j in range(len(t)) if not _same_bits(got[pos[j]], alone[j])]
        assert not bad, (name, [(j, got[pos[j]], alone[j]) for j in bad])


def _mp_grad_sp(t, z):
    """s − p per class (the derivation's ∂/∂zⱼ, which takes Σp = 1) as s(1 − p) − p·(1 − s), exact gaps."""
    with mpmath.workdps(40):
        zs = [mpmath.mpf(v) for v in z]
        m = max(zs)
        e = [mpmath.exp(-mpmath.fsub(m, v, exact=True)) for v in zs]
        tot = mpmath.fsum(e)
        out = []
        for j in range(K):
            p = mpmath.mpf(t[j])
            out.append(float(e[j] / tot * (1 - p) - p * mpmath.fsum(e[:j] + e[j + 1:]) / tot))
        return out


def test_torch_value_and_gradients_row_alone_equals_row_in_any_batch(data, ce):
    torch = pytest.importorskip("torch")
    t, z, truth, batches = data
    f = sc.lambdify(ce, backend="torch")

    def run(a, b):
        ta = torch.tensor(np.atleast_2d(a), requires_grad=True)
        tb = torch.tensor(np.atleast_2d(b), requires_grad=True)
        out = f(ta, tb)
        gt, gz = torch.autograd.grad(out.sum(), [ta, tb])
        return out.detach().numpy(), gt.numpy(), gz.numpy()

    alone = [run(a, b) for a, b in zip(t, z)]
    val = np.array([a[0][0] for a in alone])
    assert ulp_distance(val, np.array([w[0] for w in truth])).max() <= GOAL
    gaps = np.array([a[1][0] for a in alone])
    fin = np.isfinite(np.array([w[2] for w in truth]))
    assert ulp_distance(gaps[fin], np.array([w[2] for w in truth])[fin]).max() <= GOAL
    # sⱼΣt − tⱼ cancels where sⱼ ≈ tⱼ: absolute error within a few ULP of the larger of the two
    gz = np.array([a[2][0] for a in alone])
    gz_want = np.array([w[1] for w in truth])
    scale = np.maximum(np.abs(t), np.abs(gz_want + t))
    assert (np.abs(gz - gz_want) <= GOAL * np.spacing(scale) + 1e-300).all()
    for name, bt, bz, pos in batches:
        got = run(bt, bz)
        for part in range(3):
            bad = [j for j in range(len(t)) if not _same_bits(got[part][pos[j]], alone[j][part][0])]
            assert not bad, (name, part, bad)


# ---- the other k = 10 forms over logits: numpy's own a.sum(0) summed a lone row (a (k,) or (k, 1) array)
# pairwise and a batch's rows in order, so a row alone differed in its last bit from the same row in a batch
# (H(categorical-logits-k10) in one row in 80 of the accuracy section's inputs)

XS = sp.symbols(f"x1:{K + 1}", real=True)
QS = sp.symbols(f"q1:{K + 1}", positive=True)


def _mp_lse(v):
    m = max(v)
    return m + mpmath.log(mpmath.fsum(mpmath.exp(a - m) for a in v))


def _mp_logit_forms(kind, a, b):
    with mpmath.workdps(50):
        a, b = [mpmath.mpf(float(v)) for v in a], [mpmath.mpf(float(v)) for v in b]
        if kind == "KL(cat ‖ logits)":  # Σ p (log p − log softmax(z))
            lz = _mp_lse(b)
            return float(mpmath.fsum(p * (mpmath.log(p) - z + lz) for p, z in zip(a, b) if p))
        la = _mp_lse(a)
        s = [mpmath.exp(x - la) for x in a]
        if kind == "H(logits)":
            return float(mpmath.fsum(w * (la - x) for w, x in zip(s, a)))
        if kind == "KL(logits ‖ cat)":
            return float(mpmath.fsum(w * (x - la - mpmath.log(q)) for w, x, q in zip(s, a, b)))
        lb = _mp_lse(b)
        if kind == "CE(logits ‖ logits)":
            return float(mpmath.fsum(w * (lb - z) for w, z in zip(s, b)))
        return float(mpmath.fsum(w * ((x - la) - (z - lb)) for w, x, z in zip(s, a, b)))  # KL(logits ‖ logits)


LOGIT_FORMS = {
    "H(logits)": lambda: sc.entropy(sc.Categorical.from_logits(list(XS))),
    "CE(logits ‖ logits)": lambda: sc.cross_entropy(sc.Categorical.from_logits(list(XS)),
                                                    sc.Categorical.from_logits(list(ZS))),
    "KL(logits ‖ logits)": lambda: sc.kl(sc.Categorical.from_logits(list(XS)), sc.Categorical.from_logits(list(ZS))),
    "KL(cat ‖ logits)": lambda: sc.kl(sc.Categorical(list(TS)), sc.Categorical.from_logits(list(ZS))),
    "KL(logits ‖ cat)": lambda: sc.kl(sc.Categorical.from_logits(list(XS)), sc.Categorical(list(QS))),
}


@pytest.mark.parametrize("kind", list(LOGIT_FORMS))
def test_numpy_logit_forms_row_alone_equals_row_in_batch(kind):
    rng = np.random.default_rng(7)
    n = 24
    probs = kind.startswith("KL(cat")

    def draw(m, logits):
        return rng.normal(0.0, 5.0, (m, K)) if logits else rng.dirichlet(np.ones(K), m)

    a = draw(n, not kind.startswith("KL(cat"))
    b = draw(n, not kind.endswith("cat)"))
    f = sc.lambdify(LOGIT_FORMS[kind]())
    args = (a, b) if kind != "H(logits)" else (a,)
    alone = np.array([float(f(*(v[i] for v in args))) for i in range(n)])
    want = np.array([_mp_logit_forms(kind, a[i], b[i]) for i in range(n)])
    assert ulp_distance(alone, want).max() <= GOAL
    # the same rows among 3n others (live rows, and bit-pattern logits whose other classes underflow)
    fa, fb = draw(3 * n, not kind.startswith("KL(cat")), draw(3 * n, not kind.endswith("cat)"))
    if not probs:
        fa[::2] = 10.0 ** rng.uniform(-300, 300, fa[::2].shape) * rng.choice([1.0, -1.0], fa[::2].shape)
    pos = rng.permutation(4 * n)[:n]
    free = np.setdiff1d(np.arange(4 * n), pos)
    batch = []
    for v, fv in zip((a, b), (fa, fb)):
        w = np.empty((4 * n, K))
        w[pos], w[free] = v, fv
        batch.append(w)
    got = np.asarray(f(*batch[: len(args)]))[pos]
    assert _same_bits(got, alone), (got, alone)
