"""``symce coverage``: the coverage matrix family × family (:mod:`symce.app.coverage`) as a page and a picture.

    symce coverage [--out DIR | --docs DOCS] [--families A,B,…] [--time-limit S] [--jobs N] [--quiet]

Exit status: 0 the matrix was written; 1 a cell failed with an error that is not a symce error (an engine
bug, listed on stderr; cells stopped by the time limit or refused by a symce error are results, not
failures); 2 usage error (unknown family, a time limit that is not a positive number).
"""

from __future__ import annotations

import argparse
import os
import sys

from symce.app import coverage, coverage_page
from symce.app.arguments import FAILED, OK, UsageError, positive_int


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def add_parser(sub) -> argparse.ArgumentParser:
    c = sub.add_parser(
        "coverage", help="the coverage matrix family × family: entropy, cross-entropy and KL of every family pair",
        description="For one representative of every family symce ships (its first example, symbolic "
                    "parameters), derive H(P) and, for every ordered pair on the same sample space, H(P, Q) and "
                    "KL(P ‖ Q); classify each as closed form, Sum/Integral kept, +∞ (with the reason) or not "
                    "derivable (error or time limit), with its CPU time. Writes DIR/coverage.md and "
                    "DIR/coverage.png (a heat map, when matplotlib is installed) and prints the counts. Every "
                    "cell runs under --time-limit seconds of CPU time, so the run takes at most about "
                    "cells × limit / jobs.",
        epilog="exit status: 0 written, 1 a cell failed with an error that is not a symce error (an engine "
               "bug), 2 usage error")
    where = c.add_mutually_exclusive_group()
    where.add_argument("--out", default="out", metavar="DIR", help="output folder (default: out)")
    where.add_argument("--docs", metavar="DOCS", help="write the documentation page DOCS/coverage.md and "
                                                      "DOCS/_static/coverage.png instead")
    c.add_argument("--families", metavar="A,B,…", help="only these families (labels such as 'gamma' or family "
                                                       "names such as 'Gamma', comma-separated); default: all")
    c.add_argument("--time-limit", type=_seconds, default=4.0, metavar="S",
                   help="CPU seconds per cell before it counts as not derivable (default 4)")
    c.add_argument("--jobs", type=positive_int, default=min(2, os.cpu_count() or 1), metavar="N",
                   help="worker processes (default: min(2, CPUs); 1 = in this process)")
    c.add_argument("--quiet", action="store_true", help="no progress lines; only the counts")
    return c


def run(args) -> int:
    only = [w.strip() for w in args.families.split(",") if w.strip()] if args.families else None
    try:
        reps = coverage.representatives(only)
    except ValueError as e:
        raise UsageError(str(e)) from None
    out_dir = args.docs or args.out
    progress = None if args.quiet else (lambda line: print(line, flush=True))
    if not args.quiet:
        n = len(coverage._jobs(reps, args.time_limit))
        print(f"symce coverage: {len(reps)} families, {n} cells, at most {args.time_limit:g} s CPU each "
              f"in {args.jobs} process{'es' if args.jobs > 1 else ''}", flush=True)
    cov = coverage.build(only, time_limit=args.time_limit, jobs=args.jobs, progress=progress)
    paths = coverage_page.write(cov, out_dir, docs=bool(args.docs))
    print(f"{cov.summary()}; {cov.seconds:.1f} s; wrote {', '.join(paths)}")
    for c in cov.crashed:
        print(f"symce coverage: {c.quantity}({c.P}, {c.Q}) failed: {c.note}", file=sys.stderr)
    return FAILED if cov.crashed else OK


__all__ = ["add_parser", "run"]
