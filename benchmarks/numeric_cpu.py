"""CPU-time throughput of the headline functions (the table (d) of results.md): symce (numpy, through
``lambdify``) against the naive textbook numpy formula, scipy's stable primitives and torch float64 on the CPU
(one thread), on 10⁶ realistic inputs (``numeric_realistic.realistic_inputs``) and 10⁶ bit patterns
(``verify.make_inputs``). Each implementation's best of ``--rounds`` rounds of ``time.process_time`` (taken in
turn): on the shared project machine wall time measures the other sessions, CPU time much less so (ratios
still move by ±30 % between runs). Ratios are other time ÷ symce time (> 1: symce faster).

The header names the machine and what bounds every row there: numpy's SIMD level and the in-cache cost of
np.log, np.log1p and torch.log. numpy vectorises float64 log only with AVX-512 (its X86_V4 level); on an AVX2
machine np.log is scalar libm (~4 ns an element) and np.log1p is scalar everywhere (~11 ns), while torch's
SLEEF log is vectorised on both, so ratios measured on one machine do not carry over to the other. Each row
ends with the issue-12 goals it meets (realistic: ÷ naive ≥ 0.5, ÷ scipy ≥ 1, ÷ torch ≥ 1; bit patterns:
÷ scipy ≥ 0.5). ``--isolate`` runs every function in a fresh process, so that no row inherits the
allocator state of the ones before it (in one process a row's time depended on what ran before it).
Run: ``python benchmarks/numeric_cpu.py [--only NAME] [--n N] [--rounds R] [--noadv] [--notorch] [--isolate]``."""

from __future__ import annotations

import argparse
import math
import os
import platform
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.numeric import cases  # noqa: E402
from benchmarks.numeric_realistic import naive, realistic_inputs  # noqa: E402
from symce.numeric import lambdify  # noqa: E402
from symce.numeric.verify import domain_of, make_inputs  # noqa: E402

try:
    import torch
except ImportError:  # optional
    torch = None


GOALS = {"real": {"naive": 0.5, "scipy": 1.0, "torch": 1.0}, "adv": {"scipy": 0.5}}


def _ns_per_element(f, x, rounds=50):
    best = math.inf
    for _ in range(rounds):
        t0 = time.perf_counter()
        f(x)
        best = min(best, time.perf_counter() - t0)
    return best / x.size * 1e9


def machine() -> str:
    """One line on what bounds the rows here: CPU, numpy's SIMD level, in-cache ns per element of the
    primitives (2¹⁶ elements, best of 50)."""
    from numpy._core._multiarray_umath import __cpu_features__ as feats

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    x = np.random.default_rng(0).uniform(0.1, 10.0, 1 << 16)
    o = np.empty_like(x)
    prims = {"np.log": lambda v: np.log(v, out=o), "np.log1p": lambda v: np.log1p(v, out=o)}
    if torch is not None:
        tx, to = torch.from_numpy(x), torch.empty(x.size, dtype=torch.float64)
        prims["torch.log"] = lambda v: torch.log(tx, out=to)
    cost = ", ".join(f"{k} {_ns_per_element(f, x):.1f}" for k, f in prims.items())
    return (f"machine: {cpu}; numpy {np.__version__} AVX-512F {'yes' if feats.get('AVX512F') else 'no'}, "
            f"AVX2 {'yes' if feats.get('AVX2') else 'no'}; ns/element in cache: {cost}")


def _verdict(label: str, ratios: dict) -> str:
    miss = [f"÷{k} {ratios[k]:.2f} < {g}" for k, g in GOALS[label].items() if k in ratios and ratios[k] < g]
    return "goals met" if not miss else "not met: " + ", ".join(miss)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", default=None, help="substring of the function names to run")
    ap.add_argument("--n", type=int, default=10**6)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--notorch", action="store_true")
    ap.add_argument("--noadv", action="store_true")
    ap.add_argument("--isolate", action="store_true", help="each function in a fresh process")
    ap.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)  # no header (an --isolate child)
    a = ap.parse_args(argv)
    if torch is not None:
        torch.set_num_threads(1)
    names = [c[0] for c in cases() if not a.only or a.only in c[0]]
    if not names:
        print(f"no function matches --only {a.only!r}", file=sys.stderr)
        return 2
    if not a.quiet:
        print(machine(), flush=True)
    if a.isolate:
        rest = [x for x in (argv if argv is not None else sys.argv[1:]) if x != "--isolate"]
        rest = [x for i, x in enumerate(rest) if x != "--only" and (i == 0 or rest[i - 1] != "--only")]
        for name in names:
            r = subprocess.run([sys.executable, __file__, *rest, "--only", name, "--quiet"])
            if r.returncode:
                return r.returncode
        return 0
    for name, d, args, scipy_fn, torch_fn, _goal in cases():
        if name not in names:
            continue
        fns = {"symce": lambdify(d, args), "naive": naive(name, 10)}
        if scipy_fn is not None:  # scipy has no normal CE or KL
            fns["scipy"] = scipy_fn
        if torch_fn is not None and torch is not None and not a.notorch:
            fns["torch"] = torch_fn
        sets = [("real", realistic_inputs(args, a.n, 0))]
        if not a.noadv:
            sets.append(("adv", make_inputs(domain_of(d, args), a.n, 1, grid=False)[0]))
        for label, cols in sets:
            tcols = [torch.as_tensor(c) for c in cols] if "torch" in fns else None
            best = {k: math.inf for k in fns}
            with np.errstate(all="ignore"):
                for _ in range(a.rounds):
                    for k, f in fns.items():
                        c = tcols if k == "torch" else list(cols)
                        t0 = time.process_time()
                        f(*c)
                        best[k] = min(best[k], time.process_time() - t0)
            s = best["symce"]
            ratios = {k: best[k] / s for k in fns if k != "symce"}
            print(f"{name:34} {label:4} symce {a.n / s / 1e6:7.1f} Minput/s  "
                  + "  ".join(f"÷{k} {r:5.2f}" for k, r in ratios.items()) + f"  {_verdict(label, ratios)}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
