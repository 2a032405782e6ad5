"""The result of a verification: per point the input, the computed and the true value and their ULP
distance; the metrics over the points where the truth is defined (max and median ULP, share within 1 ULP,
mean bits of error log2(1 + ULP), NaN/inf where the truth is finite, the worst inputs), and the text table,
HTML and plot of them."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from symce.numeric.ulp import ordinal, ulp_distance
from symce.numeric.verify_call import _call
from symce.numeric.verify_domain import Domain


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
