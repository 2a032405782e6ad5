"""CPU-time throughput of the headline functions (the table (d) of results.md): symce (numpy, through
``lambdify``) against the naive textbook numpy formula, scipy's stable primitives and torch float64 on the CPU
(one thread), on 10⁶ realistic inputs (``numeric_realistic.realistic_inputs``) and 10⁶ bit patterns
(``verify.make_inputs``). Each implementation's best of ``--rounds`` rounds of ``time.process_time`` (taken in
turn): on the shared project machine wall time measures the other sessions, CPU time much less so (ratios
still move by ±30 % between runs). Ratios are other time ÷ symce time (> 1: symce faster).
Run: ``python benchmarks/numeric_cpu.py [--only NAME] [--n N] [--rounds R] [--noadv] [--notorch]``."""

from __future__ import annotations

import argparse
import math
import os
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", default=None, help="substring of the function names to run")
    ap.add_argument("--n", type=int, default=10**6)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--notorch", action="store_true")
    ap.add_argument("--noadv", action="store_true")
    a = ap.parse_args(argv)
    if torch is not None:
        torch.set_num_threads(1)
    for name, d, args, scipy_fn, torch_fn, _goal in cases():
        if a.only and a.only not in name:
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
            print(f"{name:34} {label:4} symce {a.n / s / 1e6:7.1f} Minput/s  "
                  + "  ".join(f"÷{k} {best[k] / s:5.2f}" for k in fns if k != "symce"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
