"""Ground truth at scale: wall time of ``compute_truth`` for N points of BCE-with-logits and Bernoulli KL in
one process and over a process pool (``--jobs``), and the engine (Arb via python-flint, or mpmath).

Run: ``python benchmarks/verify_scale.py [-n 100000] [--jobs 2]``. On a cluster the same call takes a
dask.distributed Client's executor: ``verify(fn, ref, n=10**8, executor=client.get_executor())``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import sympy as sp  # noqa: E402

import symce as sc  # noqa: E402
from symce.numeric.truth import TruthFunction  # noqa: E402
from symce.numeric.verify import compute_truth, declared_args, defining_expression, domain_of, make_inputs  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    t, z = sp.Symbol("t", positive=True), sp.Symbol("z", real=True)
    p, q = sp.symbols("p q", positive=True)
    print(f"| quantity | points | engine | 1 process | {args.jobs} processes | speed-up |\n|---|---:|---|---:|---:|---:|")
    for label, d in [("BCE-with-logits", sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli.from_logit(z))),
                     ("Bernoulli KL", sc.kl(sc.Bernoulli(p), sc.Bernoulli(q)))]:
        expr = defining_expression(d)
        expr = d.result if expr is None else expr
        a = declared_args(d, expr)
        cols, _ = make_inputs(domain_of(d, a), args.n, seed=0, grid=False)
        t0 = time.perf_counter()
        compute_truth(expr, a, cols)
        one = time.perf_counter() - t0
        with ProcessPoolExecutor(args.jobs) as pool:
            t0 = time.perf_counter()
            compute_truth(expr, a, cols, executor=pool, chunk=max(1000, args.n // (8 * args.jobs)))
            many = time.perf_counter() - t0
        print(f"| {label} | {args.n} | {TruthFunction(expr, a).engine} | {one:.2f} s | {many:.2f} s | {one / many:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
