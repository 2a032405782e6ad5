r"""``verify(fn, reference)``: ULP errors of a numeric implementation against exact ground truth.

Inputs are drawn uniformly over float64 *bit patterns* inside the parameter domain (so 1e-300 is as likely
as 0.3, as in Herbie), plus an adversarial grid (±0, subnormals, 1e-300, 1e-17, 1 − 1e-16, logits
±30…±40, ±709.78, ±710, ±745, ±800, near-equal pairs for KL, one-hot and soft targets with zeros, ties
and huge gaps in logit vectors). A covariance given by its entries (a symmetric matrix parameter the family
constrains jointly) is sampled as whole matrices that are exactly positive definite at their float values.
Each output is compared with the correctly rounded value of the reference (:mod:`.truth`). Deterministic
for a given seed.

Metrics: max and median ULP distance (the number of float64s between computed and true value), share
within 1 ULP, mean bits of error log2(1 + ULPs) (Herbie's measure), count of NaN/inf where the truth is
finite, and the worst inputs.

The reference of a Derivation with finitely many support points is its *definition*
(−Σ_x p(x) log q(x), Σ_x p(x) log(p(x)/q(x))) — equal to the closed form on the parameter space, and
what an implementation means when float inputs are slightly off the simplex; otherwise its closed form.
"""

from __future__ import annotations

import html
import math
import random
import sys
from fractions import Fraction
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import sympy as sp
from sympy.assumptions import AppliedPredicate

from symce.engine.derivation import Derivation
from symce.errors import ArgumentTypeError
from symce.numeric.truth import TruthFunction

_MAXF = np.finfo(np.float64).max
_TINY = 5e-324


# -- the domain ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Domain:
    """Per argument an interval (lo, hi, lo_closed, hi_closed); ``simplex`` groups of argument indices
    whose values are probabilities summing to 1 (sampled on the simplex)."""

    args: tuple
    intervals: tuple
    simplex: tuple = ()
    pairs: tuple = ()  # (i, j): P's and Q's copies of the same parameter, for near-equal grid points
    #: d×d matrices of argument indices (None where an entry is not an argument) whose entries form a
    #: symmetric positive definite matrix (a covariance given by its entries): sampled as whole matrices
    spd: tuple = ()
    spd_pairs: tuple = ()  # (g, h): P's and Q's covariance (indices into spd), for near-equal grid points

    @classmethod
    def of(cls, args, spec: dict | None = None, simplex=(), pairs=(), spd=(), spd_pairs=()):
        """``spd``: square matrices (nested sequences or sympy Matrices) of arguments — symbols or
        indices into ``args``; entries that are not arguments (None, or a symbol the function does not
        take) are sampled with the matrix but not passed."""
        spec = spec or {}
        ivs = []
        for a in args:
            v = spec.get(a, spec.get(getattr(a, "name", a)))
            ivs.append(_interval(v) if v is not None else _from_assumptions(a))
        groups = tuple(_spd_group(args, m) for m in spd)
        return cls(tuple(args), tuple(ivs), tuple(tuple(g) for g in simplex), tuple(pairs), groups,
                   tuple(spd_pairs))

    def __str__(self):
        parts = []
        in_spd = {i for g in self.spd for row in g for i in row if i is not None}
        for i, (a, (lo, hi, lc, hc)) in enumerate(zip(self.args, self.intervals)):
            if i not in in_spd:
                parts.append(f"{a} ∈ {'[' if lc else '('}{lo:g}, {hi:g}{']' if hc else ')'}")
        for g in self.simplex:
            parts.append("(" + ", ".join(str(self.args[i]) for i in g) + ") on the simplex")
        for g in self.spd:
            rows = "; ".join(", ".join("·" if i is None else str(self.args[i]) for i in row) for row in g)
            parts.append(f"[{rows}] symmetric positive definite")
        return "; ".join(parts)


def _spd_group(args, m) -> tuple:
    rows = m.tolist() if isinstance(m, sp.MatrixBase) else [list(r) for r in m]
    d = len(rows)
    if d == 0 or any(len(r) != d for r in rows):
        raise ArgumentTypeError(f"an spd group must be a square matrix of arguments, not {rows!r}")
    args = list(args)

    def index(v):
        if v is None:
            return None
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            if not 0 <= v < len(args):
                raise ArgumentTypeError(f"spd group index {v} is not an argument index (0 … {len(args) - 1})")
            return int(v)
        return args.index(v) if v in args else None

    g = tuple(tuple(index(v) for v in r) for r in rows)
    for i in range(d):
        for j in range(i + 1, d):
            if g[i][j] != g[j][i]:
                raise ArgumentTypeError(f"an spd group must be symmetric: entries ({i}, {j}) and ({j}, {i}) "
                                        f"are different arguments")
    return g


def _interval(v):
    if isinstance(v, sp.Interval):
        lo, hi = float(v.start), float(v.end)
        return (max(lo, -_MAXF), min(hi, _MAXF), not v.left_open and math.isfinite(lo),
                not v.right_open and math.isfinite(hi))
    if isinstance(v, tuple) and len(v) in (2, 4):
        lo, hi = float(v[0]), float(v[1])
        lc, hc = (v[2], v[3]) if len(v) == 4 else (True, True)
        return (max(lo, -_MAXF), min(hi, _MAXF), lc and math.isfinite(lo), hc and math.isfinite(hi))
    raise ArgumentTypeError(f"a domain entry must be a sympy Interval or a tuple (lo, hi[, lo_closed, hi_closed]), "
                            f"not {v!r}")


def _from_assumptions(a):
    if getattr(a, "is_positive", None):
        return (0.0, _MAXF, False, True)
    if getattr(a, "is_nonnegative", None):
        return (0.0, _MAXF, True, True)
    return (-_MAXF, _MAXF, True, True)


def domain_of(obj, args) -> Domain:
    """The parameter domain of a Derivation's distributions (probabilities in [0, 1] including the
    boundary, logits and means real, scales positive), else from the symbols' assumptions."""
    spec, simplex, pairs, spd = {}, [], [], []
    by_role: dict = {}
    spd_by_role: dict = {}
    if isinstance(obj, Derivation):
        for dist in obj.distributions:
            for role, value in dist.parameters.items():
                if _declared_spd(dist, value):
                    spd_by_role.setdefault((type(dist).__name__, role), []).append(len(spd))
                    spd.append(value)
                    continue
                values = list(value) if isinstance(value, (list, tuple)) else [value]
                syms = [v for v in values if isinstance(v, sp.Symbol)]
                for pos, s in enumerate(syms):
                    by_role.setdefault((type(dist).__name__, role, pos), []).append(s)
                if role in ("p", "probs"):
                    for s in syms:
                        spec[s] = (0.0, 1.0, True, True)
                    if role == "probs" and len(syms) == len(values) and len(syms) > 1:
                        simplex.append([args.index(s) for s in syms if s in args])
    for group in by_role.values():
        if len(group) == 2 and all(s in args for s in group):
            pairs.append((args.index(group[0]), args.index(group[1])))
    spd_pairs = [tuple(g) for g in spd_by_role.values() if len(g) == 2]
    dom = Domain.of(args, spec, [g for g in simplex if g], pairs, spd, spd_pairs)
    # a covariance none of whose entries the formula takes constrains nothing
    keep = [k for k, g in enumerate(dom.spd) if any(i is not None for row in g for i in row)]
    if len(keep) < len(dom.spd):
        renum = {k: n for n, k in enumerate(keep)}
        dom = Domain(dom.args, dom.intervals, dom.simplex, dom.pairs, tuple(dom.spd[k] for k in keep),
                     tuple((renum[a], renum[b]) for a, b in dom.spd_pairs if a in renum and b in renum))
    return dom


def _declared_spd(dist, value) -> bool:
    """A parameter that is a symmetric d×d matrix (d ≥ 2) of symbols which the family constrains *jointly*
    — a condition of ``dist.conditions()`` involves an off-diagonal entry (Sylvester's leading minors of a
    covariance given by its entries) or ``Q.positive_definite`` of it. Read from the family's own
    declaration, not from names: independent draws of such entries are almost never a valid matrix."""
    if not isinstance(value, sp.MatrixBase) or value.rows != value.cols or value.rows < 2:
        return False
    if not all(isinstance(v, sp.Symbol) for v in value) or value != value.T:
        return False
    off = {value[i, j] for i in range(value.rows) for j in range(value.cols) if i != j}
    for c in dist.conditions():
        if isinstance(c, AppliedPredicate) and c.function == sp.Q.positive_definite:
            return True
        if getattr(c, "free_symbols", set()) & off:
            return True
    return False


# -- bit patterns -------------------------------------------------------------------------------------------
def ordinal(x):
    """float64 → int64 preserving order; −0 and +0 both map to 0, neighbours differ by 1."""
    b = np.asarray(x, dtype=np.float64).view(np.int64)
    return np.where(b < 0, -(b & np.int64(0x7FFFFFFFFFFFFFFF)), b)


def from_ordinal(o):
    o = np.asarray(o, dtype=np.int64)
    b = np.where(o < 0, (-o) | np.int64(-0x8000000000000000), o)
    return b.view(np.float64)


def ulp_distance(a, b):
    """Number of float64s between a and b (inf where exactly one is NaN; 0 where both are NaN)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    oa, ob = ordinal(np.where(np.isnan(a), 0.0, a)), ordinal(np.where(np.isnan(b), 0.0, b))
    with np.errstate(over="ignore"):
        d = np.abs(oa.astype(np.float64) - ob.astype(np.float64))
        exact = np.abs(oa - ob).astype(np.float64)
    d = np.where(d < 2.0**52, exact, d)  # exact where small enough to matter
    d = np.where(np.isnan(a) != np.isnan(b), np.inf, d)
    return np.where(np.isnan(a) & np.isnan(b), 0.0, d)


def sample_interval(rng: np.random.Generator, iv, n):
    lo, hi, lc, hc = iv
    olo, ohi = int(ordinal(lo)) + (0 if lc else 1), int(ordinal(hi)) - (0 if hc else 1)
    return from_ordinal(rng.integers(olo, ohi, size=n, endpoint=True))


_REAL_GRID = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, -1e-300, 1e-17, -1e-17, 1e-8, 0.5, -0.5,
              1.0, -1.0, 1 - 1.1102230246251565e-16, 1 + 2.220446049250313e-16, 2.0, 30.0, -30.0, 33.0, -33.0, 36.0,
              -36.0, 37.0, -37.0, 38.0, -38.0, 40.0, -40.0, 709.78, -709.78, 710.0, -710.0, 745.0, -745.0, 800.0,
              -800.0, 1e17, -1e17, 1e300, -1e300, _MAXF, -_MAXF]
_UNIT_GRID = [0.0, 5e-324, 1e-300, 1e-17, 1e-8, 0.1, 0.25, 0.5, 0.75, 0.9, 1 - 1e-8, 1 - 1.1102230246251565e-16, 1.0]
_NEAR = [0.0, 2.220446049250313e-16, -2.220446049250313e-16, 1e-12, -1e-12, 1e-9, 1e-6, -1e-6, 1e-3, 0.5, -0.5]


def _grid_values(iv):
    lo, hi, lc, hc = iv
    base = _UNIT_GRID + _REAL_GRID if (lo >= 0 and hi <= 1) else _REAL_GRID
    out = []
    for v in base:
        if (lo < v < hi) or (lc and v == lo) or (hc and v == hi):
            out.append(v)
    for v in (lo, hi, np.nextafter(lo, hi), np.nextafter(hi, lo)):
        if (lo < v < hi) or (lc and v == lo) or (hc and v == hi):
            out.append(float(v))
    return sorted(set(out), key=lambda x: (x, math.copysign(1, x)))


def _simplex_points(rng: np.random.Generator, k: int, n: int, adversarial: bool):
    """n points of the simplex: bit-pattern draws normalised; adversarially one-hot, uniform, with zeros
    and with tiny entries."""
    if not adversarial:
        raw = sample_interval(rng, (0.0, 1.0, True, True), n * k).reshape(n, k)
        s = raw.sum(1, keepdims=True)
        raw[s[:, 0] == 0, 0] = 1.0
        return raw / np.where(s == 0, 1.0, s)
    pts = []
    for i in range(k):
        e = np.zeros(k)
        e[i] = 1.0
        pts.append(e)
    pts.append(np.full(k, 1.0 / k))
    for tiny in (5e-324, 1e-300, 1e-17, 1e-8):
        for i in range(k):
            e = np.full(k, tiny)
            e[i] = 1 - (k - 1) * tiny
            pts.append(e)
    half = np.zeros(k)
    half[: max(1, k // 2)] = 1.0 / max(1, k // 2)
    pts.append(half)
    return np.array(pts)


def is_spd_exact(m) -> bool:
    """Whether the float matrix ``m`` (its exact binary values) is symmetric positive definite: LDLᵀ
    elimination in rationals, every pivot > 0. The floats are the inputs, so the check is on them, not on
    the real matrix they were rounded from."""
    a = [[Fraction(float(v)) for v in row] for row in np.asarray(m, dtype=np.float64)]
    d = len(a)
    if any(a[i][j] != a[j][i] for i in range(d) for j in range(i)):
        return False
    for k in range(d):
        piv = a[k][k]
        if piv <= 0:
            return False
        for i in range(k + 1, d):
            f = a[i][k] / piv
            if f:
                for j in range(k + 1, i + 1):
                    a[i][j] -= f * a[j][k]  # lower triangle only (symmetric)
    return True


def _spd_from(diag, rho):
    """Σ from variances and a matrix of correlations: Σᵢⱼ = ρᵢⱼ·√Σᵢᵢ·√Σⱼⱼ in float64 (√ before the
    product: Σᵢᵢ·Σⱼⱼ overflows at 1e300)."""
    s = np.sqrt(diag)
    with np.errstate(over="ignore", under="ignore"):
        m = rho * s[:, None] * s[None, :]
    np.fill_diagonal(m, diag)
    return m


def _spd_points(rng: np.random.Generator, d: int, n: int, adversarial: bool):
    """(n, d, d) float64 matrices that are exactly symmetric positive definite (:func:`is_spd_exact`).

    Samples: each variance drawn over the bit patterns of (0, max]; each correlation ρᵢⱼ either over the
    bit patterns of (−1, 1) (mostly |ρ| ≪ 1: nearly diagonal, as bit patterns are) or, for a quarter of the
    entries, ±(1 − δ) with δ over the bit patterns of (0, 1) — nearly singular at every condition number
    up to ~1e16; Σᵢⱼ = ρᵢⱼ·√(ΣᵢᵢΣⱼⱼ), then the exact check, and rejected draws are drawn again.
    Adversarial: diagonal, ±5e-324 and ±tiny off the diagonal, identity and equal correlations, ρ a few
    ulps from ±1 (det Σ at the float resolution), condition numbers up to 1e600, extreme scales."""
    if not adversarial:
        out = np.empty((n, d, d))
        filled = 0
        while filled < n:
            m = n - filled
            diag = sample_interval(rng, (0.0, _MAXF, False, True), m * d).reshape(m, d)
            rho = sample_interval(rng, (-1.0, 1.0, False, False), m * d * d).reshape(m, d, d)
            delta = sample_interval(rng, (0.0, 1.0, False, False), m * d * d).reshape(m, d, d)
            near = rng.random((m, d, d)) < 0.25
            rho = np.where(near, np.sign(rho) * (1 - delta), rho)
            rho = np.triu(rho, 1)
            rho = rho + np.transpose(rho, (0, 2, 1))
            for k in range(m):
                s = _spd_from(diag[k], rho[k])
                if is_spd_exact(s):
                    out[filled] = s
                    filled += 1
        return out
    return np.array(_spd_grid(d))


def _spd_grid(d: int) -> list:
    scales = [1.0, 5e-324, 1e-300, 1e-17, 3.0, 1e17, 1e300, _MAXF]
    rhos = [0.0, 5e-324, -5e-324, 1e-300, -1e-17, 0.5, -0.5, 0.999, -0.999, 1 - 1e-8, -(1 - 1e-8),
            1 - 2.0**-52, -(1 - 2.0**-52), 1 - 2.0**-53, -(1 - 2.0**-53)]
    if d > 2:
        rhos += [-1 / (d - 1) + 1e-12, -1 / (d - 1) + 2.0**-50]  # equal correlations: PD iff ρ > −1/(d − 1)
    mats = []
    for i, a in enumerate(scales):  # pairs of scales (condition numbers up to 1e600), correlation patterns
        for b in scales[i:]:
            diag = np.array([a, b] + [a] * (d - 2))
            for r in rhos:
                rho = np.full((d, d), r)
                mats.append(_spd_from(diag, rho))
                if d > 2:  # one strong pair, the rest uncorrelated
                    rho = np.zeros((d, d))
                    rho[0, 1] = rho[1, 0] = r
                    mats.append(_spd_from(diag, rho))
    for tiny in (5e-324, -5e-324, 1e-300, -1e-300):  # absolute tiny off-diagonal on any scale
        for a in scales:
            m = np.full((d, d), tiny)
            np.fill_diagonal(m, a)
            mats.append(m)
    out, seen = [], set()
    for m in mats:
        key = m.tobytes()
        if key not in seen and np.all(np.isfinite(m)):
            seen.add(key)
            if is_spd_exact(m):
                out.append(m)
    return out


def make_inputs(domain: Domain, n: int, seed: int, grid: bool = True, grid_max: int = 4000):
    """(columns, is_grid): bit-pattern samples then the adversarial grid."""
    rng = np.random.default_rng(seed)
    m = len(domain.args)
    cols = [sample_interval(rng, iv, n) for iv in domain.intervals]
    for g in domain.simplex:
        pts = _simplex_points(rng, len(g), n, False)
        for c, i in enumerate(g):
            cols[i] = pts[:, c]
    for g in domain.spd:
        _put_spd(cols, g, _spd_points(rng, len(g), n, False))
    sample = np.array(cols).reshape(m, n)
    if not grid:
        return sample, np.zeros(n, bool)
    values = [_grid_values(iv) for iv in domain.intervals]
    total = math.prod(len(v) for v in values)
    pyrng = random.Random(seed)
    if total <= grid_max:
        import itertools

        rows = list(itertools.product(*values))
    else:
        rows = [tuple(pyrng.choice(v) for v in values) for _ in range(grid_max)]
    # near-equal pairs (KL of two close distributions): Q's parameter = P's·(1 + δ)
    for i, j in domain.pairs:
        for _ in range(max(1, grid_max // (4 * max(1, len(domain.pairs))))):
            r = [pyrng.choice(v) for v in values]
            d = pyrng.choice(_NEAR)
            base = r[i]
            with np.errstate(over="ignore"):
                near = float(base * (1 + d)) if base not in (0.0,) else float(base + d)
            lo, hi, lc, hc = domain.intervals[j]
            if (lo < near < hi) or (lc and near == lo) or (hc and near == hi):
                r[j] = near
                rows.append(tuple(r))
    grid_arr = np.array(rows, dtype=np.float64).T.reshape(m, -1)
    for g in domain.simplex:  # simplex groups: replace the grid's entries by adversarial simplex points
        pts = _simplex_points(rng, len(g), 0, True)
        reps = grid_arr.shape[1]
        idx = np.arange(reps) % len(pts)
        for c, i in enumerate(g):
            grid_arr[i] = pts[idx, c]
    if domain.spd:
        grid_arr = _spd_grid_rows(domain, grid_arr, pyrng, grid_max)
    grid_arr = np.unique(grid_arr, axis=1) if grid_arr.size else grid_arr
    allc = np.concatenate([sample, grid_arr], axis=1)
    flags = np.concatenate([np.zeros(sample.shape[1], bool), np.ones(grid_arr.shape[1], bool)])
    return allc, flags


def _put_spd(cols, g, mats):
    """Write the entries of matrices (n, d, d) into the argument columns of group g (upper triangle)."""
    d = len(g)
    for i in range(d):
        for j in range(i, d):
            if g[i][j] is not None:
                cols[g[i][j]] = np.array(mats[:, i, j], dtype=np.float64)


def _spd_grid_rows(domain: Domain, grid_arr, pyrng: random.Random, grid_max: int):
    """The grid's covariance entries: every adversarial matrix at least once (cycled over the grid rows,
    which are extended if there are fewer), then near-equal pairs for KL — Q's Σ = P's Σ·(1 + δ) and P's
    Σ with one variance nudged, kept where exactly positive definite."""
    mats = [np.array(_spd_grid(len(g))) for g in domain.spd]
    need = max(len(m) for m in mats)
    if grid_arr.shape[1] < need:
        reps = -(-need // max(1, grid_arr.shape[1]))
        grid_arr = np.tile(grid_arr, reps)[:, :max(need, grid_arr.shape[1])] if grid_arr.shape[1] else \
            np.zeros((grid_arr.shape[0], need))
    cols = list(grid_arr.copy())
    for g, m in zip(domain.spd, mats):
        order = list(range(len(m)))
        pyrng.shuffle(order)  # which other grid values a matrix meets: not always the same
        idx = np.array([order[k % len(m)] for k in range(grid_arr.shape[1])])
        _put_spd(cols, g, m[idx])
    grid_arr = np.array(cols).reshape(grid_arr.shape)
    extra = []
    for gp, gq in domain.spd_pairs:
        P, Q = domain.spd[gp], domain.spd[gq]
        mp = mats[gp]
        for _ in range(max(1, grid_max // (4 * len(domain.spd_pairs)))):
            row = grid_arr[:, pyrng.randrange(grid_arr.shape[1])].copy()
            s = mp[pyrng.randrange(len(mp))]
            dlt = pyrng.choice(_NEAR)
            with np.errstate(over="ignore"):
                if pyrng.random() < 0.5:
                    t = s * (1 + dlt)
                else:
                    t = s.copy()
                    k = pyrng.randrange(len(P))
                    t[k, k] = s[k, k] * (1 + abs(dlt))
            if not (np.all(np.isfinite(t)) and is_spd_exact(t)):
                continue
            c = list(row)
            _put_spd_row(c, P, s)
            _put_spd_row(c, Q, t)
            extra.append(c)
    if extra:
        grid_arr = np.concatenate([grid_arr, np.array(extra, dtype=np.float64).T], axis=1)
    return grid_arr


def _put_spd_row(row, g, mat):
    for i in range(len(g)):
        for j in range(i, len(g)):
            if g[i][j] is not None:
                row[g[i][j]] = float(mat[i, j])


# -- the reference --------------------------------------------------------------------------------------------
def defining_expression(d: Derivation):
    """The definition of a Derivation's quantity as a finite sum over the support, when there is one."""
    dists = d.distributions
    if not dists or any(getattr(x, "support_points", lambda: None)() is None for x in dists):
        return None
    P = dists[0]
    Q = dists[1] if len(dists) > 1 else P
    pts = P.support_points()
    if d.quantity == "entropy":
        return -sp.Add(*[P.mass(x) * sp.log(P.mass(x)) for x in pts])
    if d.quantity == "cross_entropy":
        return -sp.Add(*[P.mass(x) * sp.log(Q.mass(x)) for x in pts])
    if d.quantity == "kl":
        return sp.Add(*[P.mass(x) * (sp.log(P.mass(x)) - sp.log(Q.mass(x))) for x in pts])
    return None


# -- the report -------------------------------------------------------------------------------------------------
@dataclass
class VerifyReport:
    name: str
    args: tuple
    inputs: np.ndarray           # (n_args, n)
    computed: np.ndarray
    truth: np.ndarray
    ulps: np.ndarray
    is_grid: np.ndarray
    resolved: np.ndarray
    domain: Domain
    seed: int
    thresholds: dict = field(default_factory=dict)

    # metrics over points where the truth is defined (not NaN)
    @property
    def _defined(self):
        return ~np.isnan(self.truth)

    @property
    def n(self) -> int:
        return int(self._defined.sum())

    @property
    def max_ulp(self) -> float:
        u = self.ulps[self._defined]
        return float(u.max()) if u.size else 0.0

    @property
    def median_ulp(self) -> float:
        u = self.ulps[self._defined]
        return float(np.median(u)) if u.size else 0.0

    @property
    def within_1ulp(self) -> float:
        u = self.ulps[self._defined]
        return float((u <= 1).mean()) if u.size else 1.0

    @property
    def mean_bits(self) -> float:
        u = self.ulps[self._defined]
        return float(np.mean(np.log2(1 + np.minimum(u, 2.0**64)))) if u.size else 0.0

    @property
    def nonfinite(self) -> int:
        """NaN/inf computed where the truth is finite."""
        return int((np.isfinite(self.truth) & ~np.isfinite(self.computed)).sum())

    @property
    def unresolved(self) -> int:
        return int((~self.resolved).sum())

    def worst(self, k: int = 5):
        u = np.where(self._defined, self.ulps, -1)
        order = np.argsort(-u, kind="stable")[:k]
        return [({str(a): float(self.inputs[i, j]) for i, a in enumerate(self.args)}, float(self.computed[j]),
                 float(self.truth[j]), float(self.ulps[j])) for j in order if u[j] > 0]

    def metrics(self) -> dict:
        return {"n": self.n, "max_ulp": self.max_ulp, "median_ulp": self.median_ulp,
                "within_1ulp": self.within_1ulp, "mean_bits": self.mean_bits, "nonfinite": self.nonfinite,
                "unresolved": self.unresolved}

    @property
    def passed(self) -> bool:
        t = self.thresholds
        return (self.max_ulp <= t.get("max_ulp", math.inf) and self.median_ulp <= t.get("median_ulp", math.inf)
                and self.nonfinite <= t.get("nonfinite", math.inf))

    def against(self, fn: Callable, name: str | None = None, mode: str = "auto") -> "VerifyReport":
        """Another implementation measured on the same inputs and the same (already computed) truth."""
        computed, _ = _call(fn, list(self.inputs), mode)
        return VerifyReport(name or getattr(fn, "__name__", "fn"), self.args, self.inputs, computed, self.truth,
                            ulp_distance(computed, self.truth), self.is_grid, self.resolved, self.domain, self.seed,
                            dict(self.thresholds))

    def table(self) -> str:
        m = self.metrics()
        lines = [f"verify {self.name}  (seed {self.seed}; {m['n']} points: "
                 f"{int((~self.is_grid).sum())} bit-pattern samples + {int(self.is_grid.sum())} grid)",
                 f"  domain: {self.domain}",
                 f"  {'max ULP':>12} {'median ULP':>11} {'≤ 1 ULP':>8} {'mean bits':>9} {'NaN/inf':>8}",
                 f"  {_fmt(m['max_ulp']):>12} {_fmt(m['median_ulp']):>11} {m['within_1ulp']:>8.2%} "
                 f"{m['mean_bits']:>9.3f} {m['nonfinite']:>8d}"]
        if m["unresolved"]:
            lines.append(f"  ({m['unresolved']} points where the interval never pinned one float64)")
        w = self.worst()
        if w:
            lines.append("  worst inputs:")
            for pt, c, t, u in w:
                args = ", ".join(f"{k}={v!r}" for k, v in pt.items())
                lines.append(f"    {args}: got {c!r}, exact {t!r} ({_fmt(u)} ULP)")
        if self.thresholds:
            lines.append(f"  thresholds {self.thresholds}: {'PASS' if self.passed else 'FAIL'}")
        return "\n".join(lines)

    __str__ = table

    def _repr_html_(self) -> str:
        m = self.metrics()
        head = "".join(f"<th>{h}</th>" for h in ("max ULP", "median ULP", "≤ 1 ULP", "mean bits", "NaN/inf"))
        row = (f"<td>{_fmt(m['max_ulp'])}</td><td>{_fmt(m['median_ulp'])}</td><td>{m['within_1ulp']:.2%}</td>"
               f"<td>{m['mean_bits']:.3f}</td><td>{m['nonfinite']}</td>")
        worst = "".join(
            "<tr><td>" + html.escape(", ".join(f"{k}={v!r}" for k, v in pt.items())) +
            f"</td><td>{c!r}</td><td>{t!r}</td><td>{_fmt(u)}</td></tr>" for pt, c, t, u in self.worst())
        return (f"<div><b>verify {html.escape(self.name)}</b> ({m['n']} points, seed {self.seed})"
                f"<table><tr>{head}</tr><tr>{row}</tr></table>"
                f"<table><tr><th>input</th><th>computed</th><th>exact</th><th>ULP</th></tr>{worst}</table></div>")

    def plot(self, path=None, ax=None):
        """Error (bits, log2(1 + ULP)) against each input; saved to ``path`` if given. Needs matplotlib."""
        try:
            import matplotlib

            if path is not None and ax is None:
                matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError("plotting needs matplotlib (pip install matplotlib)") from exc
        k = len(self.args)
        if ax is None:
            # at most 4 panels a row: a k = 10 or d = 3 formula (10–20 inputs) stays readable on a page
            cols = min(k, 4)
            rows = -(-k // cols)
            fig, grid = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
            axes = list(grid.ravel()[:k])
            for extra in grid.ravel()[k:]:
                extra.set_visible(False)
        else:
            fig, axes = ax.figure, [ax] * k
        bits = np.log2(1 + np.minimum(self.ulps, 2.0**64))
        for i, a in enumerate(self.args):
            # x: the input's position among float64 bit patterns (≈ its signed binary exponent + 1023), which
            # spreads 1e-300 … 1e308 evenly, as the samples are drawn, and never overflows an axis transform
            x = ordinal(self.inputs[i]) / 2.0**52
            axes[i].scatter(x[~self.is_grid], bits[~self.is_grid], s=3, alpha=0.5, label="bit-pattern samples")
            axes[i].scatter(x[self.is_grid], bits[self.is_grid], s=6, marker="x", label="grid")
            axes[i].set_xlabel(f"{a} (float64 bit-pattern position)")
            axes[i].set_ylabel("error, bits")
            # errors are ≥ 0: start at 0, and show at least 2 bits so an exact formula does not look noisy
            axes[i].set_ylim(-0.1, max(2.0, float(np.max(bits, initial=0.0)) * 1.1))
        fig.suptitle(self.name, fontsize=10) if ax is None else axes[0].set_title(self.name, fontsize=9)
        axes[-1].legend(fontsize=7)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=90)
            plt.close(fig)
        return fig


def _fmt(u) -> str:
    if u == math.inf:
        return "inf"
    if u >= 1e6:
        return f"{u:.2e}"
    return f"{u:g}"


# -- verify -------------------------------------------------------------------------------------------------------
def _call(fn, cols, mode):
    """Evaluate fn on columns; returns (values, mode used)."""
    if mode in ("auto", "numpy"):
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(_to_numpy(fn(*[c.copy() for c in cols])), dtype=np.float64)
            if out.shape == cols[0].shape:
                return out, "numpy"
            if out.ndim == 0 and cols[0].size == 1:
                return out.reshape(1), "numpy"
        except Exception:  # noqa: BLE001 - a scalar-only callable fails here; try the next calling convention
            if mode == "numpy":
                raise
    if mode in ("auto", "torch"):
        try:
            import torch

            out = fn(*[torch.as_tensor(c, dtype=torch.float64) for c in cols])
            out = np.asarray(_to_numpy(out), dtype=np.float64)
            if out.shape == cols[0].shape:
                return out, "torch"
        except ImportError:
            if mode == "torch":
                raise
        except Exception:  # noqa: BLE001
            if mode == "torch":
                raise
    if mode == "jax" or (mode == "auto" and "jax" in sys.modules):  # auto: only when the caller uses jax
        try:
            import jax

            if mode == "jax":  # float64 jax arrays need x64 (the jax backend sets it too)
                jax.config.update("jax_enable_x64", True)
            if jax.config.read("jax_enable_x64"):
                out = fn(*[jax.numpy.asarray(c, dtype=jax.numpy.float64) for c in cols])
                out = np.asarray(out, dtype=np.float64)
                if out.shape == cols[0].shape:
                    return out, "jax"
        except Exception:  # noqa: BLE001
            if mode == "jax":
                raise
    vals = []
    for pt in zip(*cols):
        try:
            with np.errstate(all="ignore"):
                v = float(_to_numpy(fn(*[float(x) for x in pt])))
        except (ValueError, OverflowError, ZeroDivisionError):
            v = float("nan")  # math.log(0) raises: count it as a NaN
        vals.append(v)
    return np.array(vals, dtype=np.float64), "scalar"


def _to_numpy(x):
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return x


def verify(fn: Callable, reference, args: Sequence | None = None, *, domain: Domain | dict | None = None,
           n: int = 10_000, seed: int = 0, grid: bool = True, grid_max: int = 4000, mode: str = "auto",
           thresholds: dict | None = None, name: str | None = None) -> VerifyReport:
    """Measure ``fn`` against ``reference`` (a Derivation or a SymPy expression).

    ``args``: the symbols in the order ``fn`` takes them (default: ``fn.args`` if set, else the free
    symbols sorted by name). ``domain``: a :class:`Domain` or a dict symbol/name -> Interval or (lo, hi);
    default from the Derivation's families or the symbols' assumptions. ``mode``: "auto" (try a vectorised
    numpy call, then torch tensors, then jax arrays if jax is imported, then one call per point), "numpy",
    "torch", "jax" (float64 jax arrays; turns on jax_enable_x64) or "scalar".
    ``thresholds``: e.g. {"max_ulp": 3, "median_ulp": 0.5, "nonfinite": 0} for ``report.passed``.
    """
    if isinstance(reference, Derivation):
        expr = defining_expression(reference)
        expr = reference.result if expr is None else expr
        label = name or reference.lhs
    elif isinstance(reference, sp.Basic):
        expr, label = reference, name or str(reference)
    else:
        raise ArgumentTypeError(f"verify needs a Derivation or a SymPy expression as reference, not "
                                f"{type(reference).__name__}")
    if args is None:
        args = getattr(fn, "args", None) or sorted(expr.free_symbols, key=lambda s: s.name)
    args = list(args)
    missing = expr.free_symbols - set(args)
    if missing:
        raise ArgumentTypeError(f"verify: the reference depends on {sorted(map(str, missing))}, which are not "
                                f"among the arguments {[str(a) for a in args]}")
    if domain is None:
        domain = domain_of(reference, args) if isinstance(reference, Derivation) else Domain.of(args)
    elif isinstance(domain, dict):
        domain = Domain.of(args, domain)
    cols, is_grid = make_inputs(domain, n, seed, grid, grid_max)
    computed, _ = _call(fn, list(cols), mode)
    tf = TruthFunction(expr, args)
    truth, resolved = [], []
    for pt in cols.T:
        t = tf(*pt)
        truth.append(t.value)
        resolved.append(t.resolved)
    truth = np.array(truth)
    ulps = ulp_distance(computed, truth)
    return VerifyReport(label, tuple(args), cols, computed, truth, ulps, is_grid, np.array(resolved), domain, seed,
                        dict(thresholds or {}))


__all__ = ["verify", "VerifyReport", "Domain", "domain_of", "defining_expression", "ulp_distance", "ordinal",
           "from_ordinal", "make_inputs", "is_spd_exact"]
