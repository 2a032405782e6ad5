r"""``verify(fn, reference)``: ULP errors of a numeric implementation against exact ground truth.

Inputs are drawn uniformly over float64 *bit patterns* inside the parameter domain (so 1e-300 is as likely
as 0.3, as in Herbie), plus an adversarial grid (±0, subnormals, 1e-300, 1e-17, 1 − 1e-16, logits
±30…±40, ±709.78, ±710, ±745, ±800, near-equal pairs for KL, one-hot and soft targets with zeros, ties
and huge gaps in logit vectors). Each output is compared with the correctly rounded value of the
reference (:mod:`.truth`). Deterministic for a given seed.

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
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from ..derivation import Derivation
from ..errors import ArgumentTypeError
from .truth import TruthFunction

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

    @classmethod
    def of(cls, args, spec: dict | None = None, simplex=(), pairs=()):
        spec = spec or {}
        ivs = []
        for a in args:
            v = spec.get(a, spec.get(getattr(a, "name", a)))
            ivs.append(_interval(v) if v is not None else _from_assumptions(a))
        return cls(tuple(args), tuple(ivs), tuple(tuple(g) for g in simplex), tuple(pairs))

    def __str__(self):
        parts = []
        for a, (lo, hi, lc, hc) in zip(self.args, self.intervals):
            parts.append(f"{a} ∈ {'[' if lc else '('}{lo:g}, {hi:g}{']' if hc else ')'}")
        for g in self.simplex:
            parts.append("(" + ", ".join(str(self.args[i]) for i in g) + ") on the simplex")
        return "; ".join(parts)


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
    spec, simplex, pairs = {}, [], []
    by_role: dict = {}
    if isinstance(obj, Derivation):
        for dist in obj.distributions:
            for role, value in dist.parameters.items():
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
    return Domain.of(args, spec, [g for g in simplex if g], pairs)


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


def make_inputs(domain: Domain, n: int, seed: int, grid: bool = True, grid_max: int = 4000):
    """(columns, is_grid): bit-pattern samples then the adversarial grid."""
    rng = np.random.default_rng(seed)
    m = len(domain.args)
    cols = [sample_interval(rng, iv, n) for iv in domain.intervals]
    for g in domain.simplex:
        pts = _simplex_points(rng, len(g), n, False)
        for c, i in enumerate(g):
            cols[i] = pts[:, c]
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
    grid_arr = np.unique(grid_arr, axis=1) if grid_arr.size else grid_arr
    allc = np.concatenate([sample, grid_arr], axis=1)
    flags = np.concatenate([np.zeros(sample.shape[1], bool), np.ones(grid_arr.shape[1], bool)])
    return allc, flags


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
            fig, axes = plt.subplots(1, k, figsize=(4 * k, 3), squeeze=False)
            axes = axes[0]
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
        axes[0].set_title(self.name, fontsize=9)
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
    numpy call, then torch tensors, then one call per point), "numpy", "torch" or "scalar".
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
           "from_ordinal", "make_inputs"]
