r"""The inputs of a verification: samples of the typical region and of the full float range, then an
adversarial grid.

Half the samples lie in the typical region (:meth:`Domain.typical_intervals`), each argument drawn from a
mixture: half stratified on the real line (one draw per equal slice, so a strip 2.5 ≤ |z| ≤ 8 of
[−50, 50] holds 11% of them whatever the seed), a quarter stratified by binade (tiny values), a quarter
near the ends (1 − 2⁻ᵏ for probabilities; binades again otherwise); each column is shuffled on its own.
The other half covers the full range stratified by binade: every float64 exponent of each argument's
interval gets samples (uniform over the bit patterns within it). Probability vectors lie exactly on the
simplex (their exact binary values sum to 1), so implementations that normalise compute the same function.

The grid: ±0, subnormals, 1e-300, 1e-17, 1 − 1e-16, logits ±30…±40, ±709.78, ±710, ±745, ±800, near-equal
pairs for KL, one-hot and soft targets with zeros. A covariance given by its entries is sampled as whole
matrices that are exactly positive definite at their float values (LDLᵀ in rationals): variances over
the bit patterns, correlations over (−1, 1) or within δ of ±1, and adversarially condition numbers up to
1e600 and correlations a few ulps from ±1. Deterministic for a given seed.
"""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

import numpy as np

from symce.errors import ArgumentTypeError
from symce.numeric.ulp import _MAXF, sample_binades, sample_interval, sample_linear
from symce.numeric.verify_domain import Domain


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
        raw = sample_binades(rng, (0.0, 1.0, True, True), n * k).reshape(n, k)
        s = raw.sum(1, keepdims=True)
        raw[s[:, 0] == 0, 0] = 1.0
        return exact_simplex(raw / np.where(s == 0, 1.0, s))
    pts = []
    for i in range(k):
        e = np.zeros(k)
        e[i] = 1.0
        pts.append(e)
    pts.append(np.full(k, 1.0 / k))
    for tiny in (5e-324, 1e-300, 1e-17, 2.0**-53, 1e-8):
        for i in range(k):
            e = np.full(k, tiny)
            e[i] = 1 - (k - 1) * tiny
            pts.append(e)
    half = np.zeros(k)
    half[: max(1, k // 2)] = 1.0 / max(1, k // 2)
    pts.append(half)
    return exact_simplex(np.array(pts))


def exact_simplex(pts):
    """Each row moved onto the simplex exactly: the entries other than the largest are rounded down to
    multiples of the largest's ulp u, and the largest becomes 1 − (their sum), exactly representable then
    (checked in rationals; u doubled when the largest crossed into the next binade). A point with a 1e-300
    entry cannot lie on the simplex in float64 (1 − 1e-300 is not a float): such entries become 0 or a
    multiple of u, the price of an exact sum."""
    out = np.array(pts, dtype=np.float64, copy=True)
    for row in out:
        j = int(np.argmax(row))
        u = float(np.spacing(row[j])) if row[j] > 0 else 2.0**-53
        for _ in range(8):
            others = [Fraction(float(np.floor(v / u) * u)) if i != j else Fraction(0) for i, v in enumerate(row)]
            rest = 1 - sum(others)
            top = float(rest)
            if rest >= 0 and Fraction(top) == rest:
                row[:] = [float(v) for v in others]
                row[j] = top
                break
            u *= 2
        else:  # never at these sizes; a one-hot is on the simplex
            row[:] = 0.0
            row[j] = 1.0
    return out


def _inside(pts, ivs) -> np.ndarray:
    ok = np.ones(len(pts), bool)
    for c, (lo, hi, lc, hc) in enumerate(ivs):
        x = pts[:, c]
        ok &= ((x > lo) | (lc & (x == lo))) & ((x < hi) | (hc & (x == hi)))
    return ok


def _within(draw, ivs, n: int):
    """n simplex points inside the (narrowed) intervals of their entries: drawn, the others rejected."""
    if n == 0:
        return np.empty((0, len(ivs)))
    got, total = [], 0
    for _ in range(50):
        pts = draw(max(2 * n, 64))
        pts = pts[_inside(pts, ivs)]
        got.append(pts)
        total += len(pts)
        if total >= n:
            return np.concatenate(got)[:n]
    raise ArgumentTypeError(f"domain: probabilities on the simplex with entries in {ivs} are too rare to "
                            f"sample ({total} of the {n} needed in 50 rounds); widen the domain")


def _simplex_uniform(rng: np.random.Generator, k: int, n: int):
    """n points uniform on the simplex (normalised exponentials: Dirichlet(1, …, 1)), exactly on it."""
    e = rng.exponential(size=(n, k))
    return exact_simplex(e / e.sum(1, keepdims=True))


def _typical_column(rng: np.random.Generator, iv, n: int):
    """One argument's typical samples: half stratified on the line, a quarter by binade, a quarter near
    the ends (1 − 2⁻ᵏ·u for a probability), shuffled."""
    n_lin, n_bin = n // 2, n // 4
    parts = [sample_linear(rng, iv, n_lin), sample_binades(rng, iv, n_bin)]
    rest = n - n_lin - n_bin
    lo, hi = iv[0], iv[1]
    if lo >= 0 and hi <= 1 and hi == 1:  # a probability: near 1 as finely as near 0
        d = sample_binades(rng, (0.0, 1.0, False, True), rest)
        near = np.clip(1.0 - d, lo, hi)
        if not iv[3]:  # (…, 1) open: 1 − d rounds to 1 for d < 2⁻⁵³; the largest float below 1 instead
            near = np.minimum(near, np.nextafter(1.0, 0.0))
        parts.append(near)
    else:
        parts.append(sample_binades(rng, iv, rest))
    out = np.concatenate(parts)
    rng.shuffle(out)
    return out


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


def _spd_points(rng: np.random.Generator, d: int, n: int, adversarial: bool, diag_iv=(0.0, _MAXF, False, True)):
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
            diag = sample_binades(rng, diag_iv, m * d).reshape(m, d)
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
    """(columns, is_grid): samples (n // 2 typical, the rest over the full range) then the adversarial grid."""
    rng = np.random.default_rng(seed)
    m = len(domain.args)
    n_typ = n // 2
    n_full = n - n_typ
    typ = domain.typical_intervals()
    cols = [np.concatenate([_typical_column(rng, t, n_typ), sample_binades(rng, iv, n_full)])
            for t, iv in zip(typ, domain.intervals)]
    for g in domain.simplex:
        ivs = [domain.intervals[i] for i in g]
        pts = np.concatenate([_within(lambda m: _simplex_uniform(rng, len(g), m), ivs, n_typ),
                              _within(lambda m: _simplex_points(rng, len(g), m, False), ivs, n_full)])
        for c, i in enumerate(g):
            cols[i] = pts[:, c]
    for g in domain.spd:
        diag = [typ[g[i][i]] if g[i][i] is not None else (1e-3, 1e3, True, True) for i in range(len(g))]
        lo = max(t[0] for t in diag)
        box = (lo, min(t[1] for t in diag), lo > 0, True) if lo >= 0 else (0.0, min(t[1] for t in diag), False, True)
        _put_spd(cols, g, np.concatenate([_spd_points(rng, len(g), n_typ, False, box).reshape(-1, len(g), len(g)),
                                          _spd_points(rng, len(g), n_full, False).reshape(-1, len(g), len(g))]))
    sample = np.array(cols).reshape(m, n)
    if not grid:
        return _ordered(domain, sample), np.zeros(n, bool)
    values = [_grid_values(iv) for iv in domain.intervals]
    total = math.prod(len(v) for v in values)
    pyrng = random.Random(seed)
    if total <= grid_max:
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
        keep = _inside(pts, [domain.intervals[i] for i in g])
        pts = pts[keep] if keep.any() else _within(lambda m: _simplex_uniform(rng, len(g), m),
                                                    [domain.intervals[i] for i in g], 8)
        reps = grid_arr.shape[1]
        idx = np.arange(reps) % len(pts)
        for c, i in enumerate(g):
            grid_arr[i] = pts[idx, c]
    if domain.spd:
        grid_arr = _spd_grid_rows(domain, grid_arr, pyrng, grid_max)
    grid_arr = np.unique(grid_arr, axis=1) if grid_arr.size else grid_arr
    allc = np.concatenate([sample, grid_arr], axis=1)
    flags = np.concatenate([np.zeros(sample.shape[1], bool), np.ones(grid_arr.shape[1], bool)])
    return _ordered(domain, allc), flags


def _ordered(domain: Domain, cols):
    """Each point's pairs of a joint condition x_i < x_j (Uniform's low < high) the right way round."""
    for i, j in domain.ordered:
        swap = cols[i] > cols[j]
        cols[i, swap], cols[j, swap] = cols[j, swap], cols[i, swap].copy()
    return cols


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
