"""The derivatives' part of the accuracy section: every partial derivative of each seed-catalog formula, and
the Hessian diagonal of the small and the headline ones, lambdified (through the same proved stabilising
rewrite as the value) and measured against the correctly rounded truth of the derivative.

Near a zero of a derivative the ULP distance says little (∂KL/∂q at p = q: the true value 0 has no ULP
scale; ∂KL/∂σ₂ of the normal KL vanishes on σ₂² = σ₁² + (μ₁ − μ₂)², where its terms cancel). The error of a
point is therefore |computed − exact| in ULPs of max(|exact|, S), S the sum of the magnitudes of the terms of
the stable form's final sum (each term computed by the generated code; a product or quotient is one term,
so S = |value| and the error is the plain ULP distance). The goals are those of the values — ≤ 3 of these
units for the scalar forms, ≤ 4 for the k-class ones, no NaN/inf where the truth is finite — and the plain
ULP maximum is reported next to them, so a relaxation near zeros is visible.

``derivative_section(..., common=True)`` measures the common families' formulas (issue 11: entropy, CE and
KL within each family) the same way, first order only (their Hessians' exact truth is too slow), held to
the common families' goals (≤ 4 units elementary, ≤ 16 with special functions) and with a CPU-time limit per
partial: a partial whose truth does not finish in time is listed as not measured, not dropped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import multiprocessing
import signal
import threading
import time

import numpy as np
import sympy as sp

from symce import families
from symce.app.accuracy_catalog import common_catalog, goal_class
from symce.engine.canonical import canonical
from symce.engine.information import cross_entropy, entropy, kl
from symce.core.special import sigmoid
from symce.numeric.functions import sigmoid_var_mix, wprod, wtanh
from symce.numeric.lambdify import lambdify
from symce.numeric.printed import stable_form
from symce.numeric.verify import verify
from symce.numeric.verify_domain import domain_of

GOALS = {"scalar": 3, "k-class": 4, "elementary": 4, "special": 16}
#: the Hessian diagonal is measured for formulas with at most this many arguments, and for the headline k = 10
#: formulas (softmax cross-entropy, categorical KL) w.r.t. Q's parameters
HESSIAN_MAX_ARGS = 4
HEADLINE_K10 = ("CE(categorical-k10 ‖ categorical-logits-k10)", "KL(categorical-k10 ‖ categorical-k10)")


def _catalog():
    """The seed catalog's formulas (name, build) of explicit size."""
    for e in families.EXAMPLES:
        yield f"H({e.label})", lambda e=e: entropy(e.build(1))
    for a, b in families.pairs():
        yield f"CE({a.label} ‖ {b.label})", lambda a=a, b=b: cross_entropy(a.build(1), b.build(2))
        yield f"KL({a.label} ‖ {b.label})", lambda a=a, b=b: kl(a.build(1), b.build(2))


class CPUTimeLimit(BaseException):
    """A partial's measurement ran past its CPU-time limit (a BaseException, so that no ``except Exception``
    in the truth's precision escalation swallows it)."""


def _on_limit(signum, frame):
    raise CPUTimeLimit()


@contextlib.contextmanager
def cpu_limit(seconds):
    """Raise CPUTimeLimit once this process has spent ``seconds`` of CPU time inside the block (ITIMER_PROF
    counts CPU, not wall time: the machine is shared). No limit where setitimer is missing or off the main
    thread (signals reach only the main thread)."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGPROF, _on_limit)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


def _measurable(d) -> bool:
    r = d.result
    if not isinstance(r, sp.Expr) or d.is_infinite or r.has(sp.Sum, sp.Integral, sp.Indexed, sp.MatrixExpr):
        return False
    return 0 < len(r.free_symbols) <= 24 and all(isinstance(s, sp.Symbol) for s in r.free_symbols)


def _q_symbols(d):
    """The symbols of Q's parameters (the distribution a model trains)."""
    Q = d.distributions[-1]
    out = []
    for value in Q.parameters.values():
        vals = list(value) if isinstance(value, (list, tuple, sp.MatrixBase)) else [value]
        out += [v for v in vals if isinstance(v, sp.Symbol)]
    return out


def derivatives(name: str, d, args, hessian: bool = True):
    """(label, order, Derivation) for every partial of ``d`` and the Hessian diagonal where measured."""
    out = []
    for w in args:
        out.append((f"∂/∂{w}", 1, d.gradient(w)))
    if not hessian:
        return out
    second = args if len(args) <= HESSIAN_MAX_ARGS else (_q_symbols(d) if name in HEADLINE_K10 else [])
    for w in second:
        g = next(x for lab, o, x in out if o == 1 and lab == f"∂/∂{w}")
        h = canonical(sp.diff(g.result, w))
        out.append((f"∂²/∂{w}²", 2, dataclasses.replace(g, quantity="hessian", result=h)))
    return out


def _terms(expr):
    """The terms of the final sum of ``expr``: its Add terms, or those of the one sum a product scales, each
    weighted term wprod(w, v) taken apart into the terms of v times w (the sum inside cancels the same way)."""
    if expr.is_Add:
        return [u for t in expr.args for u in _weighted_terms(t)]
    if isinstance(expr, wprod):
        return _weighted_terms(expr)
    if isinstance(expr, wtanh):  # w·tanh(a/2): the sum in w cancels as in the product it stands for
        return [u * sp.tanh(expr.args[1] / 2) for u in _terms(expr.args[0])]
    if isinstance(expr, sigmoid_var_mix):  # σσ′·(σ·c₁ + σ′·c₂): the two terms of the bracket
        a, c1, c2 = expr.args
        return [sigmoid(a) * sigmoid(-a) * sigmoid(a) * c1, sigmoid(a) * sigmoid(-a) * sigmoid(-a) * c2]
    c, rest = expr.as_coeff_Mul()
    if c != 1 and isinstance(rest, sigmoid_var_mix):
        return [c * u for u in _terms(rest)]
    if expr.is_Mul:
        sums = [f for f in expr.args if f.is_Add]
        if len(sums) == 1:
            rest = sp.Mul(*[f for f in expr.args if f is not sums[0]])
            return [rest * t for t in sums[0].args]
    return [expr]


def _weighted_terms(t):
    c, rest = t.as_coeff_Mul()
    if not isinstance(rest, wprod):
        return [t]
    w, v = rest.args
    return [c * w * u for u in (_weighted_terms(v) if isinstance(v, wprod) else _terms(v))]


def term_scale(g, args, cols) -> np.ndarray:
    """S at each column: Σ |term| of the stable form's final sum (0 where it is one term or not finite)."""
    n = cols.shape[1]
    terms = _terms(stable_form(g.result, tuple(g.conditions)))
    if len(terms) < 2:
        return np.zeros(n)
    s = np.zeros(n)
    with np.errstate(all="ignore"):
        for t in terms:
            f = lambdify(dataclasses.replace(g, result=t), args)
            v = np.abs(np.broadcast_to(np.asarray(f(*cols), dtype=np.float64), (n,)))
            s = s + v
    return np.where(np.isfinite(s), s, 0.0)


def scaled_errors(rep, scale) -> np.ndarray:
    """|computed − exact| in ULPs of max(|exact|, S); the ULP distance where either is not finite."""
    c, t = rep.computed, rep.truth
    with np.errstate(all="ignore"):
        fin = np.isfinite(c) & np.isfinite(t)
        ref = np.maximum(np.abs(t), scale)
        u = np.abs(c - t) / np.spacing(np.where(ref > 0, ref, 0.0))
        u = np.where(c == t, 0.0, u)
    return np.where(fin, np.minimum(u, rep.ulps), rep.ulps)


def _summary(rep, scaled, plain):
    ok_pts = rep.resolved
    e = scaled[ok_pts] if ok_pts.any() else np.zeros(1)
    u = rep.ulps[ok_pts] if ok_pts.any() else np.zeros(1)
    return {"max": float(np.max(e)), "median": float(np.median(e)), "ulp_max": float(np.max(u)),
            "nonfinite": rep.nonfinite, "plain_max": plain.max_ulp, "plain_nonfinite": plain.nonfinite,
            "unresolved": rep.unresolved, "points": rep.n,
            # the derivative overflows float64 (∂/∂α of log Γ(α) ≈ −1/α at α = 1e-300): the correctly rounded
            # value is ±inf and a NaN or finite result there is a miss the NaN/inf count (finite truth) leaves out
            "overflow_miss": int((np.isinf(rep.truth) & (rep.computed != rep.truth)).sum()),
            "worst": _worst(rep, scaled)}


def _worst(rep, scaled):
    e = np.where(rep.resolved, scaled, -1.0)
    i = int(np.argmax(e))
    pt = {str(a): float(rep.inputs[k, i]) for k, a in enumerate(rep.args)}
    return pt, float(rep.computed[i]), float(rep.truth[i]), float(e[i])


def measure(job):
    """One formula's derivatives: (pos, name, kind, payload) — "skip" with the reason or "rows"."""
    pos, name, n, grid_max, seed, *extra = job
    common, limit = extra if extra else (False, None)
    build = dict(common_catalog() if common else _catalog())[name]
    t0 = time.process_time()
    try:
        d = build()
    except Exception as exc:  # noqa: BLE001 - the values' table reports a failed derivation
        return pos, name, "skip", f"no derivation: {type(exc).__name__}"
    if not _measurable(d):
        return pos, name, "skip", "symbolic size or kept Sum/Integral: not lambdified"
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    if common:
        kind = goal_class(name, d.result)  # the values' classes: elementary, or special functions
    else:
        kind = "k-class" if "categorical" in name else "scalar"
    rows = []
    domain = domain_of(d, args)
    labels = [(f"∂/∂{w}", w) for w in args]
    if common:  # first order only, each partial derived and measured under the CPU-time limit
        todo = [(label, 1, w) for label, w in labels]
    else:
        todo = [(label, order, g) for label, order, g in derivatives(name, d, args)]
    for label, order, g in todo:
        try:
            with cpu_limit(limit):
                if common:
                    g = d.gradient(g)
                if not g.result.free_symbols:
                    rows.append((label, order, {"constant": str(g.result)}))
                    continue
                f = lambdify(g, args)
                rep = verify(f, g.result, args, domain=domain, n=n, grid_max=grid_max, seed=seed, name=label,
                             hint=False)
                plain = rep.against(lambdify(g, args, stable=False), "sympy.lambdify")
                scaled = term_scale(g, args, rep.inputs)
        except CPUTimeLimit:
            rows.append((label, order, {"error": f"over the CPU-time limit of {limit:g} s"}))
            continue
        except (ValueError, TypeError, NotImplementedError) as exc:
            rows.append((label, order, {"error": f"{type(exc).__name__}: {exc}"}))
            continue
        r = _summary(rep, scaled_errors(rep, scaled), plain)
        # the grid puts points on the domain's closed boundary (p = 0, 1), where derivatives have poles (−p/q at
        # q = 0) the truth leaves unresolved: those are counted apart; elsewhere, as for the values, a goal is
        # met only where the truth settles ≥ 90 % of the points
        poles = int((~rep.resolved & _on_boundary(domain, rep.inputs)).sum())
        r["poles"] = poles
        r["ok"] = (r["max"] <= GOALS[kind] and r["median"] <= (1 if kind == "special" else 0.5)
                   and r["nonfinite"] == 0
                   and (r["unresolved"] - poles) * 10 <= r["points"])
        rows.append((label, order, r))
    return pos, name, "rows", {"goal": kind, "rows": rows, "seconds": time.process_time() - t0}


def _on_boundary(domain, cols) -> np.ndarray:
    """Points with an argument on a closed finite end of its interval (a probability 0 or 1)."""
    out = np.zeros(cols.shape[1], dtype=bool)
    for i, (lo, hi, lo_closed, hi_closed) in enumerate(domain.intervals):
        if lo_closed and math.isfinite(lo):
            out |= cols[i] == lo
        if hi_closed and math.isfinite(hi):
            out |= cols[i] == hi
    return out


def _fmt(u) -> str:
    return "inf" if u == math.inf else (f"{u:.1e}" if u >= 1e5 else f"{u:g}")


def _cell(rows, order, key):
    parts = []
    for label, o, r in rows:
        if o != order:
            continue
        var = label.split("∂", 2)[-1].lstrip("/").rstrip("²")
        if "constant" in r:
            parts.append(f"{var} const")
        elif "error" in r:
            parts.append(f"{var} n/a")
        else:
            parts.append(f"{var} {_fmt(r[key])}" + ("" if r["ok"] else "✗"))
    return " · ".join(parts)


def derivative_section(names, n: int = 200, grid_max: int = 100, seed: int = 0, jobs: int = 1,
                       progress=None, common: bool = False, time_limit: float | None = None) -> str:
    """Markdown: the derivatives of the formulas ``names`` (of the seed catalog; with ``common``, of the
    common families' catalog, first order only), one row per formula and order, with every partial's error.
    ``time_limit``: CPU seconds per partial (derivation, lambdify and truth), past which the partial is
    listed as not measured; None: no limit."""
    known = {nm for nm, _ in (common_catalog() if common else _catalog())}
    work = [(pos, nm, n, grid_max, seed, common, time_limit) for pos, nm in enumerate(names) if nm in known]
    results = {}

    def done(res):
        results[res[0]] = res
        if progress is not None and res[2] == "rows":
            rs = [r for _, _, r in res[3]["rows"] if "max" in r]
            worst = max((r["max"] for r in rs), default=0.0)
            lost = sum(1 for _, _, r in res[3]["rows"] if "error" in r)
            progress(f"  derivatives {len(results):3d}/{len(work)} of {res[1]:<44} max {worst:.3g}, NaN/inf "
                     f"{sum(r['nonfinite'] for r in rs)}  {'met' if all(r['ok'] for r in rs) and not lost else 'NOT MET'}"
                     f"{f', {lost} not measured' if lost else ''} ({res[3]['seconds']:.1f} s)")
        elif progress is not None:
            progress(f"  derivatives {len(results):3d}/{len(work)} of {res[1]:<44} skipped: {res[3]}")

    if jobs > 1 and len(work) > 1:
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        work.sort(key=lambda w: -len(w[1]) * ("10" in w[1]))
        with ctx.Pool(jobs) as pool:
            for res in pool.imap_unordered(measure, work):
                done(res)
    else:
        for w in work:
            done(measure(w))
    if common:
        lines = ["### Gradients of the common families' formulas", "",
                 "Every first-order partial derivative of each common family's entropy, cross-entropy and KL "
                 "(issue 11's catalog; no Hessians: their exact truth is too slow): `Derivation.gradient` "
                 "lambdified through the same proved stabilising rewrite as the value, against the correctly "
                 f"rounded derivative; {n} samples + ≤ {grid_max} grid points per partial"
                 + (f", at most {time_limit:g} s of CPU per partial (derivation, code and truth; a partial over "
                    "it is listed below as not measured)" if time_limit else "") + ". Near zeros of a "
                 "derivative the error of a point is |computed − exact| in ULPs of max(|exact|, S), S = Σ|terms| "
                 "of the stable form's final sum (where the stable form is one product or quotient, S = |value| "
                 "and this is the ULP distance). Goals as for the common families' values: ≤ 4 of these units "
                 "and median ≤ 0.5 for elementary formulas, ≤ 16 and median ≤ 1 where the formula has special "
                 "functions (log Γ, ψ, erf, I_ν, …), no NaN/inf where the exact derivative is finite, the truth "
                 "settled at ≥ 90 % of the points off the domain's closed boundary. 'plain ULP' is the ULP "
                 "distance without the allowance near zeros; ✗ marks a partial that misses its goal, n/a one "
                 "not measured.", ""]
    else:
        lines = ["### Gradients and Hessians", "",
             f"Every partial derivative of each seed-catalog formula (first order), and the Hessian diagonal "
             f"(second order) of the formulas with ≤ {HESSIAN_MAX_ARGS} arguments and of the k = 10 headline "
             "formulas (softmax cross-entropy, categorical KL; w.r.t. Q's parameters): `Derivation.gradient` "
             "lambdified through the same proved stabilising rewrite as the value, against the correctly "
             f"rounded derivative; {n} samples + ≤ {grid_max} grid points per derivative. Near zeros of a "
             "derivative the ULP distance is meaningless, so the error of a point is |computed − exact| in ULPs "
             "of max(|exact|, S), S = Σ|terms| of the stable form's final sum (the terms computed by the "
             "generated code; where the stable form is one product or quotient, S = |value| and this is the ULP "
             "distance). Goals as for the values: ≤ 3 (scalar), ≤ 4 (k-class) of these units, median ≤ 0.5, "
             "no NaN/inf where the exact derivative is finite, the truth settled at ≥ 90 % of the points off the "
             "domain's boundary (on a closed end, a probability 0 or 1, derivatives have poles such as −p/q at "
             "q = 0, which the truth leaves unresolved: not counted). 'plain ULP' is the ULP distance without the "
             "allowance near zeros; ✗ marks a partial that misses its goal.", ""]
    lines += ["| formula | order | max error (units above) per partial | plain ULP max | NaN/inf | goal | "
              "plain lambdify: max ULP, NaN/inf |", "|---|:-:|---|---:|---:|:-:|---:|"]
    missed, skipped = [], []
    for pos in sorted(results):
        _, nm, kind, payload = results[pos]
        if kind == "skip":
            skipped.append(f"{nm} ({payload})")
            continue
        for order in (1, 2):
            rows = [x for x in payload["rows"] if x[1] == order]
            if not rows:
                continue
            rs = [r for _, _, r in rows if "max" in r]
            ok = all(r["ok"] for r in rs) and len(rs) == len([r for _, _, r in rows if "constant" not in r])
            note = f" (≤ {GOALS[payload['goal']]}, {payload['goal']})" if common else ""
            lines.append(f"| {nm} | {'∇' if order == 1 else 'diag ∇²'} | {_cell(rows, order, 'max')} | "
                         f"{_fmt(max((r['ulp_max'] for r in rs), default=0))} | {sum(r['nonfinite'] for r in rs)} | "
                         f"{'met' if ok else '**not met**'}{note} | {_fmt(max((r['plain_max'] for r in rs), default=0))}, "
                         f"{sum(r['plain_nonfinite'] for r in rs)} |")
            for label, _, r in rows:
                if "error" in r:
                    missed.append(f"* {nm} {label}: not measured ({r['error']})")
                elif "max" in r and not r["ok"]:
                    pt, c, t, u = r["worst"]
                    args = ", ".join(f"{k}={v!r}" for k, v in pt.items())
                    missed.append(f"* {nm} {label}: {args} → {c!r}, exact {t!r} ({_fmt(u)}; NaN/inf "
                                  f"{r['nonfinite']}, not ±inf where the exact value overflows "
                                  f"{r['overflow_miss']}, median {r['median']:g}, truth unresolved at "
                                  f"{r['unresolved']} points, {r['poles']} of them on the boundary)")
    every = [r for res in results.values() if res[2] == "rows" for _, _, r in res[3]["rows"] if "constant" not in r]
    meas = [r for r in every if "max" in r]
    lines += ["", f"Summary: {sum(r['ok'] for r in meas)} of {len(every)} partials meet their goal; "
                  f"{len(meas) - sum(r['ok'] for r in meas)} measured miss it; {len(every) - len(meas)} not "
                  f"measured; NaN/inf where the truth is finite: {sum(r['nonfinite'] for r in meas)} points in "
                  f"{sum(1 for r in meas if r['nonfinite'])} partials; where the exact derivative overflows to "
                  f"±inf, another result (NaN or finite): {sum(r['overflow_miss'] for r in meas)} points in "
                  f"{sum(1 for r in meas if r['overflow_miss'])} partials."]
    if missed:
        lines += ["", "Where a derivative misses its goal, the worst input:", "", *missed]
    if skipped:
        lines += ["", "Derivatives not measured: " + "; ".join(skipped) + "."]
    cpu = sum(r[3]["seconds"] for r in results.values() if r[2] == "rows")
    lines += ["", f"_{sum(1 for r in results.values() if r[2] == 'rows')} formulas' derivatives in {cpu:.1f} s "
                  "of CPU work._", ""]
    return "\n".join(lines)


__all__ = ["derivative_section", "derivatives", "term_scale", "scaled_errors", "measure", "GOALS", "cpu_limit",
           "CPUTimeLimit"]
