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
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import time

import numpy as np
import sympy as sp

from symce import families
from symce.engine.canonical import canonical
from symce.engine.information import cross_entropy, entropy, kl
from symce.core.special import sigmoid
from symce.numeric.functions import sigmoid_var_mix, wprod, wtanh
from symce.numeric.lambdify import lambdify
from symce.numeric.printed import stable_form
from symce.numeric.verify import verify
from symce.numeric.verify_domain import domain_of

GOALS = {"scalar": 3, "k-class": 4}
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


def derivatives(name: str, d, args):
    """(label, order, Derivation) for every partial of ``d`` and the Hessian diagonal where measured."""
    out = []
    for w in args:
        out.append((f"∂/∂{w}", 1, d.gradient(w)))
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
            "worst": _worst(rep, scaled)}


def _worst(rep, scaled):
    e = np.where(rep.resolved, scaled, -1.0)
    i = int(np.argmax(e))
    pt = {str(a): float(rep.inputs[k, i]) for k, a in enumerate(rep.args)}
    return pt, float(rep.computed[i]), float(rep.truth[i]), float(e[i])


def measure(job):
    """One formula's derivatives: (pos, name, kind, payload) — "skip" with the reason or "rows"."""
    pos, name, n, grid_max, seed = job
    build = dict(_catalog())[name]
    t0 = time.process_time()
    try:
        d = build()
    except Exception as exc:  # noqa: BLE001 - the values' table reports a failed derivation
        return pos, name, "skip", f"no derivation: {type(exc).__name__}"
    if not _measurable(d):
        return pos, name, "skip", "symbolic size or kept Sum/Integral: not lambdified"
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    kind = "k-class" if "categorical" in name else "scalar"
    rows = []
    domain = domain_of(d, args)
    for label, order, g in derivatives(name, d, args):
        if not g.result.free_symbols:
            rows.append((label, order, {"constant": str(g.result)}))
            continue
        try:
            f = lambdify(g, args)
            rep = verify(f, g.result, args, domain=domain, n=n, grid_max=grid_max, seed=seed, name=label,
                         hint=False)
            plain = rep.against(lambdify(g, args, stable=False), "sympy.lambdify")
            scaled = term_scale(g, args, rep.inputs)
        except (ValueError, TypeError, NotImplementedError) as exc:
            rows.append((label, order, {"error": f"{type(exc).__name__}: {exc}"}))
            continue
        r = _summary(rep, scaled_errors(rep, scaled), plain)
        # the grid puts points on the domain's closed boundary (p = 0, 1), where derivatives have poles (−p/q at
        # q = 0) the truth leaves unresolved: those are counted apart; elsewhere, as for the values, a goal is
        # met only where the truth settles ≥ 90 % of the points
        poles = int((~rep.resolved & _on_boundary(domain, rep.inputs)).sum())
        r["poles"] = poles
        r["ok"] = (r["max"] <= GOALS[kind] and r["median"] <= 0.5 and r["nonfinite"] == 0
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
                       progress=None) -> str:
    """Markdown: the derivatives of the formulas ``names`` (of the seed catalog), one row per formula and
    order, with every partial's error."""
    seed_names = {nm for nm, _ in _catalog()}
    work = [(pos, nm, n, grid_max, seed) for pos, nm in enumerate(names) if nm in seed_names]
    results = {}

    def done(res):
        results[res[0]] = res
        if progress is not None and res[2] == "rows":
            rs = [r for _, _, r in res[3]["rows"] if "max" in r]
            worst = max((r["max"] for r in rs), default=0.0)
            progress(f"  derivatives of {res[1]:<44} max {worst:.3g}, NaN/inf {sum(r['nonfinite'] for r in rs)}"
                     f"  {'met' if all(r['ok'] for r in rs) else 'NOT MET'} ({res[3]['seconds']:.1f} s)")

    if jobs > 1 and len(work) > 1:
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        work.sort(key=lambda w: -len(w[1]) * ("10" in w[1]))
        with ctx.Pool(jobs) as pool:
            for res in pool.imap_unordered(measure, work):
                done(res)
    else:
        for w in work:
            done(measure(w))
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
             "allowance near zeros; ✗ marks a partial that misses its goal.", "",
             "| formula | order | max error (units above) per partial | plain ULP max | NaN/inf | goal | "
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
            lines.append(f"| {nm} | {'∇' if order == 1 else 'diag ∇²'} | {_cell(rows, order, 'max')} | "
                         f"{_fmt(max((r['ulp_max'] for r in rs), default=0))} | {sum(r['nonfinite'] for r in rs)} | "
                         f"{'met' if ok else '**not met**'} | {_fmt(max((r['plain_max'] for r in rs), default=0))}, "
                         f"{sum(r['plain_nonfinite'] for r in rs)} |")
            for label, _, r in rows:
                if "error" in r:
                    missed.append(f"* {nm} {label}: not measured ({r['error']})")
                elif "max" in r and not r["ok"]:
                    pt, c, t, u = r["worst"]
                    args = ", ".join(f"{k}={v!r}" for k, v in pt.items())
                    missed.append(f"* {nm} {label}: {args} → {c!r}, exact {t!r} ({_fmt(u)}; NaN/inf "
                                  f"{r['nonfinite']}, median {r['median']:g}, truth unresolved at "
                                  f"{r['unresolved']} points, {r['poles']} of them on the boundary)")
    if missed:
        lines += ["", "Where a derivative misses its goal, the worst input:", "", *missed]
    if skipped:
        lines += ["", "Derivatives not measured: " + "; ".join(skipped) + "."]
    cpu = sum(r[3]["seconds"] for r in results.values() if r[2] == "rows")
    lines += ["", f"_{sum(1 for r in results.values() if r[2] == 'rows')} formulas' derivatives in {cpu:.1f} s "
                  "of CPU work._", ""]
    return "\n".join(lines)


__all__ = ["derivative_section", "derivatives", "term_scale", "scaled_errors", "measure", "GOALS"]
