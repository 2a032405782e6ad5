r"""The result of a verification: per point the input, the computed and the true value and their ULP
distance; the metrics over the points where the truth is defined (max and median ULP, share within 1 ULP,
max relative error, mean bits of error log2(1 + ULP), NaN/inf where the truth is finite, the worst
inputs) for two regions side by side — the typical region and the full float range — and the text
table, HTML and plot of them.

The error of a point is its ULP distance, except where |truth| < ``abs_floor``: there it is
|computed − truth| counted in ULPs of ``abs_floor`` (at a zero of the function a ULP distance counts the
floats between 5e-17 and 0: 4.4e18 of them). ``abs_floor = 0`` (the default) is the pure ULP distance;
relative error is |computed − truth| / max(|truth|, abs_floor). ``passed`` always applies thresholds
(:data:`DEFAULT_THRESHOLDS` where none are given) to the verdict of ``region`` ("typical", "full" or
"both")."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from symce.errors import ArgumentTypeError
from symce.numeric.ulp import ulp_distance
from symce.numeric.verify_call import _call
from symce.numeric.verify_domain import Domain

#: the thresholds ``passed`` applies when none are given (the command line's defaults)
DEFAULT_THRESHOLDS = {"max_ulp": 3.0, "median_ulp": 0.5, "nonfinite": 0}
REGIONS = ("typical", "full", "both")


def floored_errors(computed, truth, abs_floor: float = 0.0):
    """ULP distances, with |computed − truth| in ULPs of ``abs_floor`` where |truth| < abs_floor."""
    u = ulp_distance(computed, truth)
    if abs_floor > 0:
        with np.errstate(all="ignore"):
            near = np.isfinite(truth) & np.isfinite(computed) & (np.abs(truth) < abs_floor)
            u = np.where(near, np.minimum(u, np.abs(computed - truth) / np.spacing(abs_floor)), u)
    return u


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
    typical: np.ndarray | None = None   # which points lie in the typical region (None: all)
    abs_floor: float = 0.0
    region: str = "typical"            # the verdict ``passed`` reports
    hint: str = ""                     # e.g. the argument order that would pass

    def __post_init__(self):
        self.thresholds = {**DEFAULT_THRESHOLDS, **(self.thresholds or {})}
        if self.typical is None:
            self.typical = np.ones(self.truth.shape, bool)
        self.ulps = floored_errors(self.computed, self.truth, self.abs_floor)

    # metrics over points where the truth is defined (not NaN)
    @property
    def _defined(self):
        return ~np.isnan(self.truth)

    @property
    def max_rel(self) -> float:
        """Max relative error |computed − truth| / max(|truth|, abs_floor) (inf for a NaN/inf computed)."""
        d = self._defined & np.isfinite(self.truth)
        if not d.any():
            return 0.0
        c, t = self.computed[d], self.truth[d]
        with np.errstate(all="ignore"):
            r = np.where(c == t, 0.0, np.abs(c - t) / np.maximum(np.abs(t), self.abs_floor))
        r = np.where(np.isnan(r), np.inf, r)
        return float(r.max())

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
                "within_1ulp": self.within_1ulp, "max_rel": self.max_rel, "mean_bits": self.mean_bits,
                "nonfinite": self.nonfinite, "unresolved": self.unresolved}

    def restrict(self, mask) -> "VerifyReport":
        """The report over the points of ``mask`` only."""
        m = np.asarray(mask, bool)
        return VerifyReport(self.name, self.args, self.inputs[:, m], self.computed[m], self.truth[m], self.ulps[m],
                            self.is_grid[m], self.resolved[m], self.domain, self.seed, dict(self.thresholds),
                            self.typical[m], self.abs_floor, self.region, self.hint)

    def part(self, region: str) -> "VerifyReport":
        """The typical region's report or the full range's (all points)."""
        if region not in ("typical", "full"):
            raise ArgumentTypeError(f"region must be 'typical' or 'full', not {region!r}")
        return self.restrict(self.typical) if region == "typical" else self

    def meets(self) -> bool:
        """Whether these points meet the thresholds."""
        t = self.thresholds
        return (self.max_ulp <= t.get("max_ulp", math.inf) and self.median_ulp <= t.get("median_ulp", math.inf)
                and self.nonfinite <= t.get("nonfinite", math.inf) and self.max_rel <= t.get("max_rel", math.inf))

    @property
    def verdicts(self) -> dict:
        """{"typical": bool, "full": bool}: the thresholds applied to each region."""
        return {r: self.part(r).meets() for r in ("typical", "full")}

    @property
    def passed(self) -> bool:
        v = self.verdicts
        return v["typical"] and v["full"] if self.region == "both" else v[self.region]

    def against(self, fn: Callable, name: str | None = None, mode: str = "auto") -> "VerifyReport":
        """Another implementation measured on the same inputs and the same (already computed) truth."""
        computed, _ = _call(fn, list(self.inputs), mode)
        return VerifyReport(name or getattr(fn, "__name__", "fn"), self.args, self.inputs, computed, self.truth,
                            ulp_distance(computed, self.truth), self.is_grid, self.resolved, self.domain, self.seed,
                            dict(self.thresholds), self.typical, self.abs_floor, self.region)

    def table(self) -> str:
        m = self.metrics()
        floor = (f"ULP; where |exact| < {self.abs_floor:g}, |error| in ULPs of {self.abs_floor:g}"
                 if self.abs_floor > 0 else "ULP (no absolute floor)")
        lines = [f"verify {self.name}  (seed {self.seed}; {m['n']} points: "
                 f"{int((~self.is_grid).sum())} samples + {int(self.is_grid.sum())} grid)",
                 f"  domain: {self.domain}",
                 f"  typical region: {self.domain.describe_typical()}",
                 f"  errors: {floor}",
                 f"  {'region':<8} {'points':>7} {'max ULP':>10} {'median':>7} {'≤ 1 ULP':>8} {'max rel':>9} "
                 f"{'NaN/inf':>7}  verdict"]
        for r in ("typical", "full"):
            p = self.part(r)
            pm = p.metrics()
            lines.append(f"  {r:<8} {pm['n']:>7d} {_fmt(pm['max_ulp']):>10} {_fmt(pm['median_ulp']):>7} "
                         f"{pm['within_1ulp']:>8.2%} {pm['max_rel']:>9.2e} {pm['nonfinite']:>7d}  "
                         f"{'PASS' if p.meets() else 'FAIL'}")
        if m["unresolved"]:
            lines.append(f"  ({m['unresolved']} points where the interval never pinned one float64)")
        w = self.worst()
        if w:
            lines.append("  worst inputs:")
            for pt, c, t, u in w:
                args = ", ".join(f"{k}={v!r}" for k, v in pt.items())
                lines.append(f"    {args}: got {c!r}, exact {t!r} ({_fmt(u)} ULP)")
        t = ", ".join(f"{k} ≤ {v:g}" for k, v in self.thresholds.items())
        lines.append(f"  thresholds {t}; verdict on {self.region}: {'PASS' if self.passed else 'FAIL'}")
        if self.hint:
            lines.append(f"  note: {self.hint}")
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
        """Error in ULP (symmetric-log y axis: 0, 1, 10, … 1e18 on one scale; NaN/inf drawn at the top)
        against each input's own value on a symmetric-log x axis (linear below the smallest magnitude
        sampled, at most 1e-3; decades beyond), samples and grid marked, the typical region shaded. Five panels a row at most, so 20
        inputs (a k = 10 softmax CE) stay legible on a page. Saved to ``path`` if given. Needs matplotlib."""
        try:
            import matplotlib

            if path is not None and ax is None:
                matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError("plotting needs matplotlib (pip install matplotlib)") from exc
        k = len(self.args)
        if ax is None:
            cols = min(k, 5)
            rows = -(-k // cols)
            fig, grid = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.5 * rows + 0.4), squeeze=False)
            axes = list(grid.ravel()[:k])
            for extra in grid.ravel()[k:]:
                extra.set_visible(False)
        else:
            fig, axes = ax.figure, [ax] * k
        err = np.asarray(self.ulps, dtype=np.float64)
        finite_top = float(np.max(err[np.isfinite(err)], initial=1.0))
        top = max(10.0, finite_top * 10)
        err = np.where(np.isfinite(err), err, top)  # NaN/inf outputs: at the top edge, not lost
        typ_iv = self.domain.typical_intervals()
        for i, a in enumerate(self.args):
            x = self.inputs[i]
            xa = np.abs(x[np.isfinite(x) & (x != 0)])
            # linear below the smallest magnitude sampled (at most 1e-3), one unit per decade beyond
            thresh = min(float(max(np.min(xa, initial=1.0), 1e-300)), 1e-3)
            axi = axes[i]
            lo, hi = typ_iv[i][0], typ_iv[i][1]
            axi.axvspan(_symlog(lo, thresh), _symlog(hi, thresh), color="0.92", zorder=0,
                        label="typical region" if i == 0 else None)
            u = _symlog(x, thresh)
            axi.scatter(u[~self.is_grid], err[~self.is_grid], s=2, alpha=0.4, label="samples", zorder=2)
            axi.scatter(u[self.is_grid], err[self.is_grid], s=6, marker="x", label="grid", zorder=3)
            _decade_ticks(axi, x, thresh)
            axi.set_yscale("symlog", linthresh=1.0)
            axi.set_ylim(-0.1, top * 2)
            ydec = [d for d in range(0, int(np.log10(top)) + 1, max(1, int(np.log10(top)) // 4 or 1))]
            axi.set_yticks([0.0] + [10.0**d for d in ydec])
            axi.set_yticklabels(["0"] + ["1" if d == 0 else f"1e{d}" for d in ydec])
            axi.set_xlabel(str(a), fontsize=8)
            axi.set_ylabel("error (ULP)", fontsize=8)
            axi.tick_params(labelsize=6)
        fig.suptitle(self.name, fontsize=9) if ax is None else axes[0].set_title(self.name, fontsize=8)
        axes[0].legend(fontsize=6, loc="upper left")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=90)
            plt.close(fig)
        return fig


def _symlog(x, thresh: float):
    """Our own symmetric-log coordinate (matplotlib's overflows at ±1e308): x/thresh within ±thresh,
    sign(x)·(1 + log10(|x|/thresh)) beyond — one unit per decade."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):  # |x|/thresh overflows at 1e308/1e-300: subtract the logs instead
        big = np.sign(x) * (1 + np.log10(np.maximum(np.abs(x), thresh)) - np.log10(thresh))
        return np.where(np.abs(x) < thresh, x / thresh, big)


def _decade_ticks(ax, x, thresh: float):
    """0 and a few labelled decades on each side where there are inputs (≤ 4 a side)."""
    x = x[np.isfinite(x)]
    lo_e = int(np.ceil(np.log10(thresh)))
    ticks, labels = [0.0], ["0"]
    for sign in (1, -1):
        side = x[x * sign > 0]
        if not side.size:
            continue
        hi_e = int(np.floor(np.log10(np.max(np.abs(side)))))
        exps = {hi_e}
        if lo_e < 0 < hi_e:
            exps.add(0)  # 1: where a loss's arguments mostly live
        low = min(0, hi_e)
        if low - lo_e >= 20:  # a round decade among the tiny magnitudes
            exps.add(int(round((lo_e + low) / 2, -1)))
        exps = sorted(exps)
        for e in exps:
            ticks.append(float(_symlog(sign * 10.0**e, thresh)))
            labels.append(("−" if sign < 0 else "") + ("1" if e == 0 else f"1e{e}"))
    order = np.argsort(ticks)
    ax.set_xticks([ticks[k] for k in order])
    ax.set_xticklabels([labels[k] for k in order])


def _fmt(u) -> str:
    if u == math.inf:
        return "inf"
    if u >= 1e6:
        return f"{u:.2e}"
    return f"{u:g}"
