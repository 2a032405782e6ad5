"""Accuracy and speed of generated float code: symce vs plain sympy.lambdify vs scipy vs torch.

Per function: max/median ULP and NaN/inf-where-finite count over 10⁴ float64 bit-pattern samples of the
parameter domain plus the adversarial grid (one exact ground truth shared by all implementations), and
throughput on 10⁶ bit-pattern inputs (implementations in turn, best of ≥ 7 rounds). Run: ``python benchmarks/numeric.py [--samples N]
[--throughput N] [--only NAME]``; ``make bench`` runs it with the defaults.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np
import scipy.special as sc_special
import sympy as sp

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import symce as sc  # noqa: E402
from symce.numeric import lambdify, verify  # noqa: E402
from symce.numeric.verify import domain_of, make_inputs  # noqa: E402

try:
    import torch
except ImportError:  # torch is an optional extra
    torch = None

LOG2PI = math.log(2 * math.pi)


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
        ("normal entropy", sc.entropy(N(m1, s1)), [s1], lambda s: np.log(s) + 0.5 * (1 + LOG2PI),
         (lambda s: torch.distributions.Normal(0.0, s, validate_args=False).entropy()) if torch else None, 3),
        ("normal CE", sc.cross_entropy(N(m1, s1), N(m2, s2)), [m1, m2, s1, s2],
         lambda a, b, s, r: np.log(r) + 0.5 * LOG2PI + (s**2 + (a - b) ** 2) / (2 * r**2), None, 3),
        ("normal KL", sc.kl(N(m1, s1), N(m2, s2)), [m1, m2, s1, s2],
         lambda a, b, s, r: np.log(r / s) + (s**2 + (a - b) ** 2) / (2 * r**2) - 0.5,
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


def throughput(fns: dict, cols, rounds: int = 7, min_seconds: float = 0.3) -> dict:
    """Inputs per second of each implementation on the same columns: the implementations take turns
    (round-robin, so drift in the machine's state hits all of them alike), at least ``rounds`` rounds and
    until each has run ``min_seconds``; the best time of each counts (the usual estimate for a noisy,
    shared machine: interference only ever adds time)."""
    args = {name: ([torch.as_tensor(c) for c in cols] if name == "torch" else list(cols)) for name in fns}
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
    ap.add_argument("--only", default=None, help="substring of the function names to run")
    a = ap.parse_args(argv)
    impls = ["symce", "sympy.lambdify", "scipy"] + (["torch"] if torch else [])
    print(f"float64 accuracy: {a.samples} bit-pattern samples + adversarial grid per function; throughput on "
          f"{a.throughput:.0e} inputs (Minputs/s, implementations in turn, best of ≥ 7 rounds). torch {'installed' if torch else 'not installed'}.")
    head = f"{'function':34} {'implementation':15} {'max ULP':>10} {'median':>7} {'≤1 ULP':>8} {'NaN/inf':>8} {'Minput/s':>9} {'vs scipy':>8}"
    print(head)
    print("-" * len(head))
    summary = []
    for name, d, args, scipy_fn, torch_fn, goal in cases():
        if a.only and a.only not in name:
            continue
        fns = {"symce": lambdify(d, args), "sympy.lambdify": lambdify(d, args, stable=False), "scipy": scipy_fn}
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
    return 0


def _f(u):
    return "inf" if u == math.inf else (f"{u:.2e}" if u >= 1e5 else f"{u:g}")


if __name__ == "__main__":
    sys.exit(main())
