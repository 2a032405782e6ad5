"""Accuracy of the generated code for every catalog formula at the issue's sample count.

The accuracy goals of the numeric issue hold for "every generated function of the catalog, float64,
≥ 10⁴ bit-pattern samples + the grid": this script measures exactly that — every entropy, cross-entropy
and KL of the catalog that has an explicit size (Bernoulli, categorical k = 2, 3, 10 with probabilities
or logits, normal, MVN d = 1, 2, 3 with Σ = LLᵀ or Σ given by its entries), symce's generated numpy code
and plain ``sympy.lambdify`` of the same derivation, against the correctly rounded exact value. It is
``symce.app.accuracy.accuracy_section`` with no limit on the number of arguments, run over worker
processes (one formula per task, the slowest first).

Run: ``python benchmarks/accuracy.py [--samples N] [--jobs J] [--only TEXT] [--out FILE]``; ``make bench``
runs it with the defaults (10⁴ samples, 2 processes) and writes ``benchmarks/accuracy.md``. With
``--common-only`` it measures the common families' formulas alone (issue 11's accuracy table) and writes
``benchmarks/accuracy_common.md``. With ``--common-derivatives`` it measures every first-order partial of
the common families' formulas instead (``--derivative-samples`` default 100, ≤ 50 grid points, at most
``--time-limit`` CPU seconds per partial) and writes ``benchmarks/accuracy_common_derivatives.md``. Progress
goes to stderr, the Markdown table to stdout and ``--out``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from symce.app.accuracy import _all, _is_common, accuracy_section  # noqa: E402
from symce.app.accuracy_derivatives import derivative_section  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the worker processes)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="ULP accuracy of symce's generated code (and of plain "
                                 "sympy.lambdify) for every catalog formula, against exact ground truth.")
    ap.add_argument("--samples", type=int, default=10_000, metavar="N",
                    help="float64 bit-pattern samples per formula, besides the adversarial grid (default 10000)")
    ap.add_argument("--grid", type=int, default=300, metavar="N",
                    help="at most N adversarial grid points per formula (default 300)")
    ap.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), metavar="J",
                    help="worker processes (default: 2, or 1 on a one-core machine)")
    ap.add_argument("--only", metavar="TEXT", help="measure only formulas whose name contains TEXT "
                    "(e.g. 'mvnormal-d2-full' or 'KL(')")
    ap.add_argument("--out", metavar="FILE",
                    help="write the Markdown table here (default benchmarks/accuracy.md, accuracy_common.md with "
                    "--common-only, accuracy_common_derivatives.md with --common-derivatives; '-' for stdout only)")
    ap.add_argument("--derivative-samples", type=int, default=None, metavar="N",
                    help="samples per partial derivative (every partial of each seed formula, the Hessian "
                    "diagonal of the small and headline ones), besides ≤ 100 grid points (default 1000; 0: none; "
                    "with --common-derivatives: default 100, besides ≤ 50 grid points)")
    ap.add_argument("--derivatives-only", action="store_true", help="measure only the derivatives")
    ap.add_argument("--common-only", action="store_true",
                    help="measure only the common families' formulas (issue 11: entropy, CE and KL within each "
                    "family), each at --samples samples + ≤ 100 grid points, no derivatives; writes "
                    "benchmarks/accuracy_common.md unless --out says otherwise")
    ap.add_argument("--common-derivatives", action="store_true",
                    help="measure only the first-order partials of the common families' formulas (entropy, CE "
                    "and KL within each family; no Hessians, no values), --derivative-samples samples + ≤ 50 "
                    "grid points each; writes benchmarks/accuracy_common_derivatives.md unless --out says "
                    "otherwise")
    ap.add_argument("--time-limit", type=float, default=60.0, metavar="S",
                    help="with --common-derivatives: CPU seconds per partial (derivation, code and exact truth) "
                    "before it is listed as not measured (default 60; 0: no limit)")
    ap.add_argument("--plots", metavar="DIR", help="also write one error plot per formula into DIR "
                    "(needs matplotlib)")
    args = ap.parse_args(argv)
    if args.out is None:
        args.out = os.path.join(HERE, "accuracy_common_derivatives.md" if args.common_derivatives
                                else "accuracy_common.md" if args.common_only else "accuracy.md")
    if args.derivative_samples is None:
        args.derivative_samples = 100 if args.common_derivatives else 1000
    if args.samples < 1 or args.jobs < 1 or args.derivative_samples < 0 or args.time_limit < 0:
        ap.error("--samples and --jobs must be positive, --derivative-samples and --time-limit ≥ 0")
    if args.common_derivatives and args.derivative_samples < 1:
        ap.error("--common-derivatives needs --derivative-samples ≥ 1")

    def progress(line):
        print(f"[{time.perf_counter() - t0:7.1f} s]{line}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    if args.common_derivatives:
        return _common_derivatives(args, progress, t0)
    print(f"accuracy of every catalog formula: {args.samples} samples + ≤ {args.grid} grid points each, "
          f"{args.jobs} process(es)", file=sys.stderr, flush=True)
    out_dir = args.plots or tempfile.mkdtemp(prefix="symce-accuracy-")
    cpu0 = _cpu()
    md = accuracy_section(out_dir, n=args.samples, grid_max=args.grid, seed=args.seed, plots=bool(args.plots),
                          max_args=None, only=args.only, progress=progress, jobs=args.jobs,
                          derivative_samples=args.derivative_samples, values=not args.derivatives_only,
                          common_only=args.common_only, common_samples=args.samples if args.common_only else None)
    what = "the common families' formulas" if args.common_only else "every catalog formula"
    flags = f" --common-only --samples {args.samples}" if args.common_only else ""
    if args.seed:  # the draw depends on it: a table must say which (accuracy_seeds.py reads it back)
        flags += f" --seed {args.seed}"
    md = md.replace("## Accuracy of the generated code",
                    f"## Accuracy of the generated code — {what}, {args.samples} samples "
                    f"(`benchmarks/accuracy.py{flags}`)", 1)
    md += f"\n_CPU time of the run (this process and its workers): {_cpu() - cpu0:.0f} s._\n"

    print(md)
    if args.out != "-":
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(md)
        print(f"wrote {args.out} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


def _common_derivatives(args, progress, t0) -> int:
    """--common-derivatives: every first-order partial of the common families' formulas, to a Markdown file."""
    names = [nm for nm, _ in _all() if _is_common(nm) and (args.only is None or args.only in nm)]
    grid = min(args.grid, 50)
    print(f"first-order partials of {len(names)} common-family formulas: {args.derivative_samples} samples + "
          f"≤ {grid} grid points each, ≤ {args.time_limit:g} s CPU per partial, {args.jobs} process(es)",
          file=sys.stderr, flush=True)
    cpu0 = _cpu()
    md = derivative_section(names, n=args.derivative_samples, grid_max=grid, seed=args.seed, jobs=args.jobs,
                            progress=progress, common=True, time_limit=args.time_limit or None)
    cmd = (f"benchmarks/accuracy.py --common-derivatives --derivative-samples {args.derivative_samples} "
           f"--grid {grid} --time-limit {args.time_limit:g} --jobs {args.jobs}"
           + (f" --only '{args.only}'" if args.only else ""))
    md = (f"## Accuracy of the generated derivatives — the common families' formulas (`{cmd}`)\n\n" + md
          + f"\n_CPU time of the run (this process and its workers): {_cpu() - cpu0:.0f} s._\n")
    print(md)
    if args.out != "-":
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(md)
        print(f"wrote {args.out} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
