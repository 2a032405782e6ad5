"""``symce verify MODULE:FUNCTION --against SPEC``: the verifier on the command line, for CI.

:mod:`symce.app.cli` adds it to the one parser with :func:`add_parser` and dispatches ``verify`` to
:func:`run`, whose return value is the exit code:

* 0 — every threshold met;
* 1 — a threshold exceeded (max/median ULP, NaN/inf where the truth is finite);
* 2 — a malformed spec or option (argparse also exits 2 on bad usage);
* 3 — MODULE:FUNCTION could not be imported or is not callable.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from symce.app.spec import ALIASES, SpecError, parse
from symce.numeric.verify import verify

EXIT_OK, EXIT_THRESHOLD, EXIT_SPEC, EXIT_IMPORT = 0, 1, 2, 3


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``verify`` sub-command to an ``argparse`` sub-parsers object; returns its parser."""
    p = subparsers.add_parser(
        "verify", help="measure a numeric implementation in ULPs against exact values",
        description="Measure MODULE:FUNCTION against the exact value of a derived quantity, on float64 "
                    "bit-pattern samples of the parameter domain plus an adversarial grid. The function takes "
                    "the spec's parameter names positionally (numpy arrays, torch tensors or floats). "
                    "Aliases: " + "; ".join(f"{k} = {v}" for k, v in ALIASES.items()))
    p.add_argument("target", metavar="MODULE:FUNCTION", help="e.g. mylib.losses:bce_with_logits")
    p.add_argument("--against", required=True, metavar="SPEC",
                   help='e.g. "ce(bernoulli(t), bernoulli_logit(z))" or an alias such as bernoulli-logit')
    p.add_argument("-n", "--samples", type=int, default=10_000, help="bit-pattern samples (default 10000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--grid-max", type=int, default=4000, help="at most this many adversarial grid points")
    p.add_argument("--no-grid", action="store_true", help="bit-pattern samples only")
    p.add_argument("--mode", choices=("auto", "numpy", "torch", "jax", "scalar"), default="auto",
                   help="how to call the function (default: try numpy arrays, then torch, then per point)")
    p.add_argument("--max-ulp", type=float, default=3.0, help="fail above this max ULP error (default 3)")
    p.add_argument("--median-ulp", type=float, default=0.5, help="fail above this median ULP error (default 0.5)")
    p.add_argument("--max-nonfinite", type=int, default=0,
                   help="fail above this many NaN/inf outputs where the truth is finite (default 0)")
    p.add_argument("--plot", metavar="PNG", help="write an error plot (needs matplotlib)")
    return p


def _load(target: str):
    if ":" not in target:
        raise ImportError(f"{target!r} is not MODULE:FUNCTION (e.g. mylib.losses:bce)")
    mod_name, _, attr = target.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # so a module next to the caller is found, as `python -m` would
    obj = importlib.import_module(mod_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise ImportError(f"{target} is not callable")
    return obj


def run(args) -> int:
    """Run ``symce verify`` for parsed arguments; returns the exit status."""
    try:
        spec = parse(args.against)
        reference, symbols = spec.build()
    except SpecError as exc:
        print(f"symce verify: {exc}", file=sys.stderr)
        return EXIT_SPEC
    if args.samples < 0 or args.grid_max < 0:
        print("symce verify: --samples and --grid-max must be ≥ 0", file=sys.stderr)
        return EXIT_SPEC
    try:
        fn = _load(args.target)
    except (ImportError, AttributeError) as exc:
        print(f"symce verify: cannot load {args.target}: {exc}", file=sys.stderr)
        return EXIT_IMPORT
    thresholds = {"max_ulp": args.max_ulp, "median_ulp": args.median_ulp, "nonfinite": args.max_nonfinite}
    rep = verify(fn, reference, symbols, n=args.samples, seed=args.seed, grid=not args.no_grid,
                 grid_max=args.grid_max, mode=args.mode, thresholds=thresholds,
                 name=f"{args.target} against {spec.text}")
    print(rep.table())
    if args.plot:
        try:
            rep.plot(args.plot)
            print(f"error plot: {args.plot}")
        except ImportError as exc:
            print(f"symce verify: no plot ({exc})", file=sys.stderr)
    return EXIT_OK if rep.passed else EXIT_THRESHOLD

