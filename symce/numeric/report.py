"""The accuracy section of ``symce report``: every catalog formula's generated code, measured in ULPs.

``accuracy_section(out_dir)`` derives each catalog quantity (entropy of every example, cross-entropy and
KL of every same-sample-space pair), lambdifies it with the stabilising rewrite, verifies it against the
exact ground truth on float64 bit-pattern samples plus the adversarial grid, does the same for plain
``sympy.lambdify`` of the same derivation, and returns a Markdown section; an error plot per formula is
written into ``out_dir`` when matplotlib is importable (otherwise the section says so).
"""

from __future__ import annotations

import math
import os
import re
import time

import sympy as sp

GOALS = {"scalar": 3, "k-class": 4}


def _catalog():
    from ..families import EXAMPLES, pairs
    from ..information import cross_entropy, entropy, kl

    for e in EXAMPLES:
        yield f"H({e.label})", lambda e=e: entropy(e.build(1))
    for a, b in pairs():
        yield f"CE({a.label} ‖ {b.label})", lambda a=a, b=b: cross_entropy(a.build(1), b.build(2))
        yield f"KL({a.label} ‖ {b.label})", lambda a=a, b=b: kl(a.build(1), b.build(2))


def _numeric_ok(d) -> bool:
    r = d.result
    if not isinstance(r, sp.Expr) or d.is_infinite or r.has(sp.Sum, sp.Indexed, sp.MatrixExpr):
        return False
    return 0 < len(r.free_symbols) <= 24 and all(isinstance(s, sp.Symbol) for s in r.free_symbols)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()


def _fmt(u) -> str:
    return "inf" if u == math.inf else (f"{u:.1e}" if u >= 1e5 else f"{u:g}")


def accuracy_section(out_dir, n: int = 1000, grid_max: int = 300, seed: int = 0, plots: bool = True,
                     max_args: int = 12, only: str | None = None, progress=None) -> str:
    """Markdown: per catalog formula, the accuracy of symce's generated numpy code and of plain
    sympy.lambdify (max/median ULP, share within 1 ULP, NaN/inf where the truth is finite), with error plots
    written into ``out_dir``. ``n`` bit-pattern samples per formula (the benchmark uses 10⁴); formulas with
    more than ``max_args`` arguments (k = 10, MVN d = 3) are listed as not measured unless it is raised —
    the whole catalog at n = 2000 takes ~4 min, the default set ~1 min. ``only``: a substring of the
    formula names to measure. ``progress`` receives one line per measured formula."""
    from .lambdify import lambdify
    from .verify import verify

    os.makedirs(out_dir, exist_ok=True)
    can_plot = plots
    if plots:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            can_plot = False
    rows, skipped, t0 = [], [], time.perf_counter()
    for name, build in _catalog():
        if only is not None and only not in name:
            continue
        try:
            d = build()
        except Exception as exc:  # noqa: BLE001 - a derivation failure is reported by the main job already
            skipped.append(f"{name} (no derivation: {type(exc).__name__})")
            continue
        if not _numeric_ok(d):
            skipped.append(f"{name} (symbolic size or matrix result: not lambdified)")
            continue
        args = sorted(d.result.free_symbols, key=lambda s: s.name)
        if len(args) > max_args:
            skipped.append(f"{name} ({len(args)} arguments > max_args = {max_args})")
            continue
        f = lambdify(d, args)
        rep = verify(f, d, args, n=n, grid_max=grid_max, seed=seed, name=name)
        plain = rep.against(lambdify(d, args, stable=False), "sympy.lambdify")
        kind = "k-class" if len(args) > 4 else "scalar"
        ok = rep.max_ulp <= GOALS[kind] and rep.median_ulp <= 0.5 and rep.nonfinite == 0
        plot = ""
        if can_plot:
            path = os.path.join(out_dir, f"accuracy-{_slug(name)}.png")
            rep.plot(path)
            plot = f"[plot]({os.path.basename(path)})"
        rows.append((name, rep, plain, ok, plot, f.expr))
        if progress is not None:  # the section takes about a minute: say where it is
            progress(f"  accuracy {len(rows):3d}: {name:<48} max {rep.max_ulp:.3g} ULP, "
                     f"NaN/inf {rep.nonfinite}  {'met' if ok else 'NOT MET'}")
    lines = ["## Accuracy of the generated code", "",
             f"float64, {n} bit-pattern samples of each parameter domain + the adversarial grid (≤ {grid_max} "
             "points), against the correctly rounded exact value (interval arithmetic, precision raised until "
             "it pins the float). Goals: max ≤ 3 ULP (scalar forms) / ≤ 4 ULP (k-class forms), median ≤ 0.5, "
             "no NaN/inf where the truth is finite. `symce verify` and `benchmarks/numeric.py` measure any "
             "implementation the same way.", "",
             "| formula | max ULP | median | ≤ 1 ULP | NaN/inf | goal | plain lambdify: max ULP, NaN/inf | plot |",
             "|---|---:|---:|---:|---:|:-:|---:|---|"]
    for name, rep, plain, ok, plot, _ in rows:
        lines.append(f"| {name} | {_fmt(rep.max_ulp)} | {rep.median_ulp:g} | {rep.within_1ulp:.2%} | "
                     f"{rep.nonfinite} | {'met' if ok else '**not met**'} | {_fmt(plain.max_ulp)}, {plain.nonfinite} "
                     f"| {plot} |")
    missed = [(name, rep) for name, rep, _, ok, _, _ in rows if not ok]
    if missed:
        lines += ["", "Where a goal is not met, the worst inputs:", ""]
        for name, rep in missed:
            for pt, c, t, u in rep.worst(2):
                args = ", ".join(f"{k}={v!r}" for k, v in pt.items())
                lines.append(f"* {name}: {args} → {c!r}, exact {t!r} ({_fmt(u)} ULP)")
    if not can_plot and plots:
        lines += ["", "_No error plots: matplotlib is not installed (`pip install matplotlib`)._"]
    if skipped:
        lines += ["", "Not measured: " + "; ".join(skipped) + "."]
    lines += ["", f"_{len(rows)} formulas measured in {time.perf_counter() - t0:.1f} s._", ""]
    return "\n".join(lines)


__all__ = ["accuracy_section"]
