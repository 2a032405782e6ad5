"""Accuracy and speed of generated float code: symce vs plain sympy.lambdify vs scipy vs torch.

Per function: max/median ULP and NaN/inf-where-finite count over 10⁴ float64 bit-pattern samples of the
parameter domain plus the adversarial grid (one exact ground truth shared by all implementations), and
throughput on 10⁶ bit-pattern inputs (implementations in turn, best of ≥ 7 rounds); then the same
functions on realistic inputs (:mod:`benchmarks.numeric_realistic`: logits ~ N(0, 5²), σ log-uniform on
[0.1, 10], probabilities uniform), values and gradients, against the naive numpy formula, scipy and torch
float64 on the CPU. Run: ``python benchmarks/numeric.py [--samples N] [--throughput N] [--only NAME]
[--sections accuracy,speed,gradients]``; ``make bench`` runs it with the defaults.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np
import scipy.special as sc_special
import scipy.stats as sc_stats
import sympy as sp

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import symce as sc  # noqa: E402
from symce.numeric import lambdify, verify  # noqa: E402
from symce.numeric.verify import domain_of, make_inputs  # noqa: E402

from benchmarks.numeric_realistic import gradient_case, naive, realistic_inputs, truth_of, ulp_report  # noqa: E402
from benchmarks.numeric_torch import torch_step_table  # noqa: E402

try:
    import torch
except ImportError:  # torch is an optional extra
    torch = None



def _syms(names, **kw):
    return [sp.Symbol(n, **kw) for n in names]


def cases():
    t, p, q = _syms(["t", "p", "q"], positive=True)
    z = sp.Symbol("z", real=True)
    m1, m2 = _syms(["mu1", "mu2"], real=True)
    s1, s2 = _syms(["sigma1", "sigma2"], positive=True)
    k = 10
    ts = _syms([f"t{i}" for i in range(1, k + 1)], positive=True)
    qs = _syms([f"q{i}" for i in range(1, k + 1)], positive=True)
    zs = _syms([f"z{i}" for i in range(1, k + 1)], real=True)
    B, N, C = sc.Bernoulli, sc.Normal, sc.Categorical
    xl, x1p, ent, rel = sc_special.xlogy, sc_special.xlog1py, sc_special.entr, sc_special.rel_entr
    le = sc_special.log_expit

    def stack(xs):
        return np.stack(np.broadcast_arrays(*xs))

    out = [
        ("BCE (probabilities)", sc.cross_entropy(B(t), B(q)), [t, q],
         lambda t, q: -xl(t, q) - x1p(1 - t, -q),
         (lambda t, q: torch.nn.functional.binary_cross_entropy(q, t, reduction="none")) if torch else None, 3),
        ("BCE with logits", sc.cross_entropy(B(t), B.from_logit(z)), [t, z],
         lambda t, z: -t * le(z) - (1 - t) * le(-z),
         (lambda t, z: torch.nn.functional.binary_cross_entropy_with_logits(z, t, reduction="none")) if torch else None, 3),
        ("Bernoulli entropy", sc.entropy(B(p)), [p], lambda p: ent(p) + ent(1 - p),
         (lambda p: torch.distributions.Bernoulli(probs=p, validate_args=False).entropy()) if torch else None, 3),
        ("Bernoulli KL", sc.kl(B(p), B(q)), [p, q], lambda p, q: rel(p, q) + rel(1 - p, 1 - q),
         (lambda p, q: torch.distributions.kl_divergence(torch.distributions.Bernoulli(probs=p, validate_args=False),
                                                         torch.distributions.Bernoulli(probs=q, validate_args=False)))
         if torch else None, 3),
        # scipy's stable primitives: scipy.stats.norm.entropy for H; scipy has no normal CE or KL (None: the
        # column shows "—"; the hand-written log form shown here until 2026-12-04 was a second naive formula,
        # which held symce to ≥ 1× a naive formula where the goal is within 2× of it)
        ("normal entropy", sc.entropy(N(m1, s1)), [s1], lambda s: sc_stats.norm.entropy(scale=s),
         (lambda s: torch.distributions.Normal(0.0, s, validate_args=False).entropy()) if torch else None, 3),
        ("normal CE", sc.cross_entropy(N(m1, s1), N(m2, s2)), [m1, m2, s1, s2],
         None, None, 3),
        ("normal KL", sc.kl(N(m1, s1), N(m2, s2)), [m1, m2, s1, s2],
         None,
         (lambda a, b, s, r: torch.distributions.kl_divergence(torch.distributions.Normal(a, s, validate_args=False),
                                                               torch.distributions.Normal(b, r, validate_args=False)))
         if torch else None, 3),
        (f"softmax CE (k={k}, soft targets)", sc.cross_entropy(C(ts), C.from_logits(zs)), ts + zs,
         lambda *a: -(stack(a[:k]) * sc_special.log_softmax(stack(a[k:]), axis=0)).sum(0),
         (lambda *a: torch.nn.functional.cross_entropy(torch.stack(a[k:]).T, torch.stack(a[:k]).T, reduction="none"))
         if torch else None, 4),
        (f"categorical KL (k={k})", sc.kl(C(ts), C(qs)), ts + qs, lambda *a: rel(stack(a[:k]), stack(a[k:])).sum(0),
         (lambda *a: torch.nn.functional.kl_div(torch.log(torch.stack(a[k:])), torch.stack(a[:k]),
                                                reduction="none").sum(0)) if torch else None, 4),
    ]
    return out


def throughput(fns: dict, cols, rounds: int = 7, min_seconds: float = 0.3, raw: bool = False) -> dict:
    """Inputs per second of each implementation on the same columns: the implementations take turns
    (round-robin, so drift in the machine's state hits all of them alike), at least ``rounds`` rounds and
    until each has run ``min_seconds``; the best time of each counts (the usual estimate for a noisy,
    shared machine: interference only ever adds time)."""
    # torch implementations get float64 tensors (zero-copy views of the columns); raw: every one takes numpy
    args = {name: ([torch.as_tensor(c) for c in cols] if not raw and name in ("torch", "symce torch") else list(cols))
            for name in fns}
    best = {name: math.inf for name in fns}
    spent = {name: 0.0 for name in fns}
    done = 0
    with np.errstate(all="ignore"):
        while done < rounds or min(spent.values()) < min_seconds:
            for name, fn in fns.items():
                t0 = time.perf_counter()
                fn(*args[name])
                t = time.perf_counter() - t0
                best[name] = min(best[name], t)
                spent[name] += t
            done += 1
    return {name: cols[0].size / t for name, t in best.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--grid-max", type=int, default=4000)
    ap.add_argument("--throughput", type=int, default=1_000_000)
    ap.add_argument("--realistic", type=int, default=4000, help="realistic points for the accuracy tables")
    ap.add_argument("--only", default=None, help="substring of the function names to run")
    ap.add_argument("--sections", default="accuracy,speed,gradients,torch",
                    help="comma-separated: accuracy (bit patterns), speed (realistic and adversarial), gradients, "
                         "torch (training steps against torch's built-in losses: benchmarks/numeric_torch.py)")
    a = ap.parse_args(argv)
    sections = set(a.sections.split(","))
    if "accuracy" in sections:
        accuracy_table(a)
    if "speed" in sections:
        speed_tables(a)
    if "gradients" in sections:
        gradient_tables(a)
    if "torch" in sections:
        torch_step_table(a)
    return 0


def _cases(a):
    return [c for c in cases() if not a.only or a.only in c[0]]


def speed_tables(a):
    """Values: accuracy on realistic inputs, throughput on realistic and adversarial inputs (same run)."""
    print(f"\nvalues on realistic inputs (logits, means ~ N(0, 5²); σ log-uniform on [0.1, 10]; probabilities "
          f"uniform; simplex uniform): ULP on {a.realistic} points; throughput (Minput/s) on {a.throughput:.0e} "
          f"realistic and {a.throughput:.0e} adversarial (bit-pattern) inputs")
    head = (f"{'function':34} {'implementation':14} {'max ULP':>9} {'median':>7} {'NaN/inf':>7} {'realistic':>10} "
            f"{'adversarial':>11}")
    print(head)
    print("-" * len(head))
    ratios = []
    for name, d, args, scipy_fn, torch_fn, goal in _cases(a):
        k = 10
        fns = {"symce": lambdify(d, args), "naive numpy": naive(name, k)}
        if scipy_fn is not None:
            fns["scipy"] = scipy_fn
        if torch_fn is not None:
            fns["torch"] = torch_fn
            st = lambdify(d, args, backend="torch")
            fns["symce torch"] = st
        cols_r = realistic_inputs(args, a.throughput, 0)
        cols_a, _ = make_inputs(domain_of(d, args), a.throughput, 1, grid=False)
        small = cols_r[:, : a.realistic]
        truth, ok = truth_of(d.result, args, small)
        speeds_r = throughput(fns, cols_r)
        speeds_a = throughput(fns, cols_a)
        for impl, fn in fns.items():
            tfn = fn
            if impl in ("torch", "symce torch"):
                def tfn(*c, _f=fn):
                    return _f(*[torch.as_tensor(x) for x in c])
            mx, med, _, bad = ulp_report(tfn, small, truth, ok)
            print(f"{name:34} {impl:14} {_f(mx):>9} {med:>7g} {bad:>7d} {speeds_r[impl] / 1e6:>10.2f} "
                  f"{speeds_a[impl] / 1e6:>11.2f}")
        ratios.append((name, {i: speeds_r["symce"] / v for i, v in speeds_r.items()},
                       {i: speeds_a["symce"] / v for i, v in speeds_a.items()}))
    print("\nsymce (numpy) throughput ÷ each implementation's (> 1: symce faster):")
    impls = ["naive numpy", "scipy", "torch", "symce torch"]
    print(f"{'function':34} " + " ".join(f"{i + ' (r/a)':>22}" for i in impls))
    for name, rr, ra in ratios:
        cells = [f"{rr[i]:>10.2f} / {ra[i]:<9.2f}" if i in rr else f"{'—':>22}" for i in impls]
        print(f"{name:34} " + " ".join(cells))


def gradient_tables(a):
    """Gradients of the headline functions: ULP against the correctly rounded symbolic derivative on the
    adversarial and realistic inputs, throughput on realistic inputs."""
    print(f"\ngradients (one headline parameter each): ULP on {a.samples} adversarial (bit-pattern) and "
          f"{a.realistic} realistic points; throughput (Minput/s) on {a.throughput:.0e} realistic inputs")
    head = (f"{'∂ function':40} {'implementation':15} {'adv max':>9} {'median':>6} {'NaN/inf':>7} {'real max':>9} "
            f"{'median':>6} {'NaN/inf':>7} {'Minput/s':>9}")
    print(head)
    print("-" * len(head))
    for name, d, args, *_ in _cases(a):
        got = gradient_case(name, d, args, 10)
        if got is None:
            continue
        w, g, fns = got
        cols_a, _ = make_inputs(domain_of(d, args), a.samples, 0, grid=True, grid_max=a.grid_max)
        cols_r = realistic_inputs(args, a.throughput, 2)
        truth_a, ok_a = truth_of(g.result, args, cols_a)
        small = cols_r[:, : a.realistic]
        truth_r, ok_r = truth_of(g.result, args, small)
        speeds = throughput({i: f for i, f in fns.items()}, cols_r, rounds=3, min_seconds=0.1, raw=True)
        for impl, fn in fns.items():
            ma, meda, _, bada = ulp_report(fn, cols_a, truth_a, ok_a)
            mr, medr, _, badr = ulp_report(fn, small, truth_r, ok_r)
            print(f"{'∂/∂' + str(w) + ' ' + name:40} {impl:15} {_f(ma):>9} {meda:>6g} {bada:>7d} {_f(mr):>9} "
                  f"{medr:>6g} {badr:>7d} {speeds[impl] / 1e6:>9.2f}")


def accuracy_table(a):
    impls = ["symce", "sympy.lambdify", "scipy"] + (["torch"] if torch else [])
    print(f"float64 accuracy: {a.samples} bit-pattern samples + adversarial grid per function; throughput on "
          f"{a.throughput:.0e} inputs (Minputs/s, implementations in turn, best of ≥ 7 rounds). torch {'installed' if torch else 'not installed'}.")
    head = f"{'function':34} {'implementation':15} {'max ULP':>10} {'median':>7} {'≤1 ULP':>8} {'NaN/inf':>8} {'Minput/s':>9} {'vs scipy':>8}"
    print(head)
    print("-" * len(head))
    summary = []
    for name, d, args, scipy_fn, torch_fn, goal in _cases(a):
        fns = {"symce": lambdify(d, args), "sympy.lambdify": lambdify(d, args, stable=False)}
        if scipy_fn is not None:
            fns["scipy"] = scipy_fn
        if torch_fn is not None:
            fns["torch"] = torch_fn
        t0 = time.perf_counter()
        base = verify(fns["symce"], d, args, n=a.samples, grid_max=a.grid_max, name="symce")
        t_truth = time.perf_counter() - t0
        cols, _ = make_inputs(domain_of(d, args), a.throughput, 1, grid=False)
        speeds = throughput({impl: fns[impl] for impl in impls if fns.get(impl) is not None}, cols)
        for impl in impls:
            fn = fns.get(impl)
            if fn is None:
                continue
            rep = base if impl == "symce" else base.against(fn, impl, mode="torch" if impl == "torch" else "auto")
            ratio = speeds[impl] / speeds["scipy"] if "scipy" in speeds else float("nan")
            print(f"{name:34} {impl:15} {_f(rep.max_ulp):>10} {rep.median_ulp:>7g} {rep.within_1ulp:>8.2%} "
                  f"{rep.nonfinite:>8d} {speeds[impl] / 1e6:>9.2f} {'' if impl != 'symce' else ''}")
            if impl == "symce":
                summary.append((name, rep, goal))
        if "scipy" in speeds:
            print(f"{'':34} {'':15} symce/scipy throughput ratio: {speeds['symce'] / speeds['scipy']:.2f} "
                  f"(truth for {base.n} points in {t_truth:.1f} s)")
    print("\naccuracy goals (max ≤ 3 ULP scalar / ≤ 4 ULP k-class, median ≤ 0.5, no NaN/inf where finite):")
    for name, rep, goal in summary:
        ok = rep.max_ulp <= goal and rep.median_ulp <= 0.5 and rep.nonfinite == 0
        print(f"  {name:34} max {_f(rep.max_ulp):>8} median {rep.median_ulp:g} NaN/inf {rep.nonfinite}: "
              f"{'met' if ok else 'NOT met'}")


def _f(u):
    return "inf" if u == math.inf else (f"{u:.2e}" if u >= 1e5 else f"{u:g}")


if __name__ == "__main__":
    sys.exit(main())
