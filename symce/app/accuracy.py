"""The accuracy section of ``symce report``: every catalog formula's generated code, measured in ULPs.

``accuracy_section(out_dir)`` derives each catalog quantity (entropy of every example, cross-entropy and
KL of every same-sample-space pair), lambdifies it with the stabilising rewrite, verifies it against the
exact ground truth on samples of the typical region and of the full float range plus the adversarial grid, does the same for plain
``sympy.lambdify`` of the same derivation, and returns a Markdown section; an error plot per formula is
written into ``out_dir`` when matplotlib is importable (otherwise the section says so).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import re
import time

import numpy as np
import sympy as sp

# the module, not its EXAMPLES: the catalog is read when the section runs (a test may narrow it)
from symce import families
from symce.app.accuracy_catalog import common_catalog as _common_catalog
from symce.app.accuracy_catalog import goal_class as _goal_class
from symce.app.accuracy_catalog import is_common as _is_common
from symce.app.accuracy_derivatives import derivative_section, scaled_errors, term_scale
from symce.engine.information import cross_entropy, entropy, kl
from symce.numeric.lambdify import lambdify
from symce.numeric.verify import verify

# ULP goals: the seed catalog's scalar and k-class forms; the common families' formulas (issue 11) ≤ 4 ULP
# when elementary, ≤ 16 ULP with special functions (log Γ, ψ, erf, I_ν, …)
GOALS = {"scalar": 3, "k-class": 4, "elementary": 4, "special": 16}


def _catalog():
    for e in families.EXAMPLES:
        yield f"H({e.label})", lambda e=e: entropy(e.build(1))
    for a, b in families.pairs():
        yield f"CE({a.label} ‖ {b.label})", lambda a=a, b=b: cross_entropy(a.build(1), b.build(2))
        yield f"KL({a.label} ‖ {b.label})", lambda a=a, b=b: kl(a.build(1), b.build(2))


def _all():
    yield from _catalog()
    yield from _common_catalog()


def _numeric_ok(d) -> bool:
    r = d.result
    if not isinstance(r, sp.Expr) or d.is_infinite or r.has(sp.Sum, sp.Integral, sp.Indexed, sp.MatrixExpr):
        return False
    return 0 < len(r.free_symbols) <= 24 and all(isinstance(s, sp.Symbol) for s in r.free_symbols)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()


def _fmt(u) -> str:
    return "inf" if u == math.inf else (f"{u:.1e}" if u >= 1e5 else f"{u:g}")


def _measure(job):
    """One catalog formula: derive, lambdify (stable and plain), verify, plot. Runs in a worker process
    when the section is parallel, so it takes and returns plain data: (position, name, kind, payload) —
    kind "skip" with the reason, or "row" with the metrics, worst inputs and plot link."""
    pos, name, n, grid_max, seed, plot_dir, max_args = job
    build = dict(_all())[name]
    t0 = time.process_time()  # CPU: wall time says nothing on a loaded machine
    try:
        d = build()
    except Exception as exc:  # noqa: BLE001 - a derivation failure is reported by the main job already
        return pos, name, "skip", f"no derivation: {type(exc).__name__}"
    if not _numeric_ok(d):
        return pos, name, "skip", "symbolic size, kept Sum/Integral or matrix result: not lambdified"
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    if max_args is not None and len(args) > max_args:
        return pos, name, "skip", f"{len(args)} arguments > max_args = {max_args}"
    try:
        f = lambdify(d, args)
        rep = verify(f, d, args, n=n, grid_max=grid_max, seed=seed, name=name, hint=False)
        plain = rep.against(lambdify(d, args, stable=False), "sympy.lambdify")
    except (ValueError, TypeError, NotImplementedError) as exc:
        # one formula the backend or the ground truth cannot evaluate is a row saying so, not a lost section
        return pos, name, "skip", f"not measured: {type(exc).__name__}: {exc}"
    # the goals: ≤ 4 ULP for the k-class (categorical) forms, ≤ 3 ULP for the seed's scalar
    # Bernoulli and normal forms (the multivariate normal is held to the stricter of the two), ≤ 16 ULP with
    # special functions, ≤ 4 ULP for the common families' elementary formulas
    kind = _goal_class(name, d.result)
    # a goal is met only where the ground truth settles the points (≥ 90 %; a node the truth cannot
    # evaluate leaves every point unresolved and would otherwise read as 0 ULP)
    ok = (rep.max_ulp <= GOALS[kind] and rep.median_ulp <= (1 if kind == "special" else 0.5) and rep.nonfinite == 0
          and rep.unresolved * 10 <= rep.n)
    zero = None
    if name.startswith("H(") and _is_common(name):
        # a differential entropy crosses 0 (Beta(1, 1), ContinuousBernoulli(½) are uniform on [0, 1]): there
        # the error counts in ULPs of max(|exact|, S), S = Σ|terms| of the stable form's final sum, as for the
        # derivatives (accuracy_derivatives); away from the zero S = |value| and it is the ULP distance
        try:
            e = scaled_errors(rep, term_scale(d, args, rep.inputs))[~np.isnan(rep.truth)]
        except (ValueError, TypeError, NotImplementedError) as exc:  # a row that says so, not a lost section
            return pos, name, "skip", f"not measured (terms' scale): {type(exc).__name__}: {exc}"
        zero = (float(e.max()) if e.size else 0.0, float(np.median(e)) if e.size else 0.0)
        ok = (zero[0] <= GOALS[kind] and zero[1] <= (1 if kind == "special" else 0.5) and rep.nonfinite == 0
              and rep.unresolved * 10 <= rep.n)
    plot = ""
    if plot_dir is not None:
        path = os.path.join(plot_dir, f"accuracy-{_slug(name)}.png")
        rep.plot(path)
        plot = f"[plot]({os.path.basename(path)})"
    typ = rep.part("typical")
    row = {"goal": kind, "typ_max": typ.max_ulp, "typ_nonfinite": typ.nonfinite, "max": rep.max_ulp, "median": rep.median_ulp, "within1": rep.within_1ulp, "nonfinite": rep.nonfinite,
           "plain_max": plain.max_ulp, "plain_nonfinite": plain.nonfinite, "ok": ok, "plot": plot,
           "worst": rep.worst(2), "points": rep.n, "unresolved": rep.unresolved, "args": len(args),
           "seconds": time.process_time() - t0, "zero": zero}
    return pos, name, "row", row


def _goal_note(r) -> str:
    kind = r.get("goal", "scalar")
    note = f" (≤ {GOALS[kind]}, {kind})" if kind in ("special", "elementary") else ""
    if r.get("zero") is not None:
        # bars escaped: the note sits in a table cell, where a bare | starts a new column
        note += f"; in ULPs of max(\\|H\\|, Σ\\|terms\\|): max {_fmt(r['zero'][0])}, median {r['zero'][1]:g}"
    if r.get("unresolved", 0) * 10 > r.get("points", 1):
        note += f"; truth unresolved at {r['unresolved']} of {r['points']} points"
    return note


def _cost(name: str) -> int:
    """A rough order of the formulas' run times (the slowest first, so two workers finish together):
    logits need ~1100-bit ground truth where one logit dominates, and k = 10 has 10–20 arguments."""
    return ("logits" in name) * 4 + ("k10" in name) * 3 + (name.startswith("KL")) + ("d3" in name)


def accuracy_section(out_dir, n: int = 1000, grid_max: int = 300, seed: int = 0, plots: bool = True,
                     max_args: int | None = None, only: str | None = None, progress=None, jobs: int = 1,
                     common_samples: int | None = None, derivative_samples: int | None = None,
                     values: bool = True, common_only: bool = False) -> str:
    """Markdown: per catalog formula, the accuracy of symce's generated numpy code and of plain
    sympy.lambdify (max/median ULP, share within 1 ULP, NaN/inf where the truth is finite), with error plots
    written into ``out_dir``. ``n`` samples per formula (``benchmarks/accuracy.py`` uses 10⁴);
    every formula of explicit size is measured (k = 10, MVN d = 3 and full Σ included) unless ``max_args``
    limits the number of arguments. ``only``: a substring of the formula names to measure. ``progress``
    receives one line per measured formula. ``jobs`` > 1 measures formulas in that many worker processes.
    The common families' formulas (``families.COMMON``) get ``common_samples`` samples (default n/5, at
    least 50), a grid of ≤ 100 points and no plots. The seed formulas' derivatives (every partial, the
    Hessian diagonal of the small and headline ones: :mod:`symce.app.accuracy_derivatives`) get
    ``derivative_samples`` samples each (default n/5, at least 20; 0 leaves them out) and a grid of ≤ 100
    points; ``values=False`` measures only the derivatives; ``common_only`` only the common families' formulas
    (no derivatives). The derivatives' exact truth is the costly part: at the report's 100 samples the 59 seed
    formulas' derivatives take 69 s of CPU together (≤ 15 s each, the k = 10 logits the most; python-flint
    absent, as in a fresh clone). The formulas with logits on the P side against probabilities took 80–140 s
    each at 200 samples before the truth gave up at once on ∞ − ∞ and x/0 at q = 0 (it climbed to 32768 bits
    at each such point: :func:`symce.numeric.truth_compile._infinities`). Measured on the 2-core project machine at n = 500: the whole catalog (59 formulas) 36 s of work without
    plots, 90 s with plots serially, 52 s with plots and ``jobs=2``; at n = 10⁴ without plots 403 s of work,
    209 s with ``jobs=2`` (``benchmarks/accuracy.py``)."""
    os.makedirs(out_dir, exist_ok=True)
    can_plot = plots
    if plots:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            can_plot = False
    t0 = time.perf_counter()
    names = [name for name, _ in _all() if (only is None or only in name) and (not common_only or _is_common(name))]
    n_deriv = 0 if common_only else max(20, n // 5) if derivative_samples is None else derivative_samples
    derived = derivative_section(names, n=n_deriv, grid_max=min(grid_max, 100), seed=seed, jobs=jobs,
                                 progress=progress) if n_deriv > 0 else ""
    if not values:
        return "## Accuracy of the generated code\n\n" + derived
    plot_dir = out_dir if can_plot else None
    # the common families' formulas (well over a hundred) at a fifth of the samples and without plots, so
    # the section stays within minutes; benchmarks/accuracy.py measures them at full size
    n_common = max(50, n // 5) if common_samples is None else common_samples
    work = [(pos, name, n_common, min(grid_max, 100), seed, None, max_args) if _is_common(name)
            else (pos, name, n, grid_max, seed, plot_dir, max_args) for pos, name in enumerate(names)]
    results = {}

    def done(res):
        pos, name, kind, payload = res
        results[pos] = res
        if kind == "row" and progress is not None:  # the section takes a while: say where it is
            count = sum(1 for r in results.values() if r[2] == "row")
            progress(f"  accuracy {count:3d}: {name:<48} max {payload['max']:.3g} ULP, NaN/inf "
                     f"{payload['nonfinite']}  {'met' if payload['ok'] else 'NOT MET'}  ({payload['seconds']:.1f} s)")

    if jobs > 1 and len(work) > 1:
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        work.sort(key=lambda w: -_cost(w[1]))
        with ctx.Pool(jobs) as pool:
            for res in pool.imap_unordered(_measure, work):
                done(res)
    else:
        for w in work:
            done(_measure(w))
    rows = [results[p] for p in sorted(results) if results[p][2] == "row"]
    skipped = [f"{results[p][1]} ({results[p][3]})" for p in sorted(results) if results[p][2] == "skip"]
    lines = ["## Accuracy of the generated code", "",
             f"float64, {n} samples of each parameter domain (the common families' formulas: "
             f"{max(50, n // 5) if common_samples is None else common_samples} samples, a grid of ≤ 100 points, "
             "no plots) (half in the typical region, half over every "
             f"binade of the full float range) + the adversarial grid (≤ {grid_max} points), against the "
             "correctly rounded exact value (rigorous enclosures, precision raised until they pin the float). "
             "The typical region: probabilities in [0, 1], logits and means |x| ≤ 50, scales in [1e-3, 1e3]. "
             "Goals (over all points): max ≤ 4 ULP for the categorical (k-class) forms, ≤ 3 ULP for the other "
             "Bernoulli and normal forms, median ≤ 0.5; for the common families' formulas ≤ 4 ULP when elementary, "
             "≤ 16 ULP and median ≤ 1 with special functions (log Γ, ψ, erf, I_ν, …: the goal column says "
             "'special'); the common families' entropies, which cross 0 (a differential entropy is 0 where the "
             "density is uniform on [0, 1]), are held to these goals in ULPs of max(|H|, Σ|terms| of the stable "
             "form's final sum), so an absolute error of one unit of the terms' size is allowed near the zero "
             "(the goal column gives both); no NaN/inf where the truth is finite. `symce verify` and `benchmarks/numeric.py` "
             "measure any implementation the same way.", "",
             "| formula | max ULP | median | ≤ 1 ULP | NaN/inf | typical: max ULP, NaN/inf | goal | "
             "plain lambdify: max ULP, NaN/inf | plot |",
             "|---|---:|---:|---:|---:|---:|:-:|---:|---|"]
    for _, name, _, r in rows:
        lines.append(f"| {name} | {_fmt(r['max'])} | {r['median']:g} | {r['within1']:.2%} | "
                     f"{r['nonfinite']} | {_fmt(r['typ_max'])}, {r['typ_nonfinite']} | "
                     f"{'met' if r['ok'] else '**not met**'}{_goal_note(r)} | {_fmt(r['plain_max'])}, "
                     f"{r['plain_nonfinite']} | {r['plot']} |")
    missed = [(name, r) for _, name, _, r in rows if not r["ok"]]
    if missed:
        lines += ["", "Where a goal is not met, the worst inputs:", ""]
        for name, r in missed:
            for pt, c, t, u in r["worst"]:
                args = ", ".join(f"{k}={v!r}" for k, v in pt.items())
                lines.append(f"* {name}: {args} → {c!r}, exact {t!r} ({_fmt(u)} ULP)")
    if not can_plot and plots:
        lines += ["", "_No error plots: matplotlib is not installed (`pip install matplotlib`)._"]
    if skipped:
        lines += ["", "Not measured: " + "; ".join(skipped) + "."]
    cpu = sum(r["seconds"] for _, _, _, r in rows)
    lines += ["", f"_{len(rows)} formulas measured in {time.perf_counter() - t0:.1f} s of wall time, "
                  f"{cpu:.1f} s of CPU work{f' in {jobs} processes' if jobs > 1 else ''}._", ""]
    return "\n".join(lines) + ("\n" + derived if derived else "")


__all__ = ["accuracy_section"]
