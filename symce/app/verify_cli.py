"""``symce verify MODULE:FUNCTION --against SPEC``: the verifier on the command line, for CI.

:mod:`symce.app.cli` adds it to the one parser with :func:`add_parser` and dispatches ``verify`` to
:func:`run`, whose return value is the exit code:

* 0 — every threshold met (on the region ``--region`` names: the typical one by default);
* 1 — a threshold exceeded (max/median ULP, NaN/inf where the truth is finite);
* 2 — usage: a malformed spec, ``--domain`` or ``--args``, no points to measure (``-n 0 --no-grid``), a
  negative seed (argparse also exits 2 on bad usage);
* 3 — MODULE:FUNCTION could not be imported or is not callable;
* 4 — the implementation raised, or returned the wrong shape (a reduction such as a mean is refused).

Every bad argument ends in one line on stderr and one of these codes, never a traceback: a module that
fails to import (any exception, a syntax error, ``sys.exit``) is 3, as is a target that is not
``MODULE:FUNCTION`` of dotted names or a function of a module that runs commands (``os:system``,
``subprocess:run``: refused, never called); sizes above :data:`MAX_SAMPLES` / :data:`MAX_GRID` /
:data:`MAX_JOBS`, a NaN threshold, ``--mode torch``/``jax`` without the package and a ``--plot`` path that
cannot be written are usage errors (2), checked before anything is measured.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor

from symce.app.spec import ALIASES, SpecError, parse
from symce.errors import ArgumentTypeError
from symce.numeric.verify import ImplementationError, verify

EXIT_OK, EXIT_THRESHOLD, EXIT_SPEC, EXIT_IMPORT, EXIT_IMPLEMENTATION = 0, 1, 2, 3, 4
EXIT_USAGE = EXIT_SPEC
#: the most points one run measures (the exact values take ~1 ms a point: 10⁶ points is already a long run)
MAX_SAMPLES = MAX_GRID = 1_000_000
MAX_JOBS = 256
#: modules whose functions run commands or change the process: a target there is refused, never called
REFUSED_MODULES = frozenset({"os", "posix", "nt", "sys", "subprocess", "shutil", "builtins", "pty", "socket",
                             "ctypes", "importlib", "runpy", "code", "codeop", "pdb", "signal", "multiprocessing",
                             "threading", "webbrowser", "pickle", "marshal", "tempfile", "pathlib", "io",
                             "urllib", "http", "ftplib", "smtplib", "asyncio", "sched", "atexit", "gc"})
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``verify`` sub-command to an ``argparse`` sub-parsers object; returns its parser."""
    p = subparsers.add_parser(
        "verify", help="measure a numeric implementation in ULPs against exact values",
        description="Measure MODULE:FUNCTION against the exact value of a derived quantity, on samples of the "
                    "typical region and of the full float range plus an adversarial grid; two verdicts, side "
                    "by side. The function's arguments are matched to the spec's parameter names by name when "
                    "its parameters have those names, else taken in --args order (default: the spec's). "
                    "Aliases: " + "; ".join(f"{k} = {v}" for k, v in ALIASES.items()))
    p.add_argument("target", metavar="MODULE:FUNCTION", help="e.g. mylib.losses:bce_with_logits")
    p.add_argument("--against", required=True, metavar="SPEC",
                   help='e.g. "ce(bernoulli(t), bernoulli_logit(z))" or an alias such as bernoulli-logit')
    p.add_argument("--args", metavar="NAMES", help="the order the function takes the spec's names, e.g. z,t")
    p.add_argument("--domain", action="append", default=[], metavar="NAME=LO:HI",
                   help="narrow a parameter's range (repeatable), e.g. --domain z=-20:20; never widens the "
                        "family's own constraints")
    p.add_argument("-n", "--samples", type=int, default=10_000, help="samples (default 10000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--grid-max", type=int, default=4000, help="at most this many adversarial grid points")
    p.add_argument("--no-grid", action="store_true", help="samples only")
    p.add_argument("--mode", choices=("auto", "numpy", "torch", "jax", "scalar"), default="auto",
                   help="how to call the function (default: try numpy arrays, then torch, then per point)")
    p.add_argument("--max-ulp", type=float, default=3.0, help="fail above this max ULP error (default 3)")
    p.add_argument("--median-ulp", type=float, default=0.5, help="fail above this median ULP error (default 0.5)")
    p.add_argument("--max-nonfinite", type=int, default=0,
                   help="fail above this many NaN/inf outputs where the truth is finite (default 0)")
    p.add_argument("--abs-floor", type=float, default=0.0, metavar="A",
                   help="where |exact| < A, count |error| in ULPs of A (default 0: pure ULP)")
    p.add_argument("--region", choices=("typical", "full", "both"), default="typical",
                   help="the verdict that sets the exit status (default: typical)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="processes for the ground truth (default 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--plot", metavar="PNG", help="write an error plot (needs matplotlib)")
    return p


def _load(target: str):
    """The function MODULE:FUNCTION names; ImportError (one line) for anything that stops it loading."""
    mod_name, colon, attr = target.partition(":")
    if not colon or not _DOTTED.fullmatch(mod_name) or not _DOTTED.fullmatch(attr):
        raise ImportError(f"{target!r} is not MODULE:FUNCTION of dotted Python names (e.g. mylib.losses:bce)")
    if any(p.startswith("__") for p in attr.split(".")):
        raise ImportError(f"{target!r}: a special attribute ({attr}) is not a numeric function")
    _refuse(target, mod_name)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # so a module next to the caller is found, as `python -m` would
    try:
        obj = importlib.import_module(mod_name)
    except ImportError:
        raise
    except SyntaxError as exc:
        raise ImportError(f"module {mod_name} has a syntax error: {exc.msg} ({exc.filename}, line {exc.lineno})") from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's module raised while it was imported
        raise ImportError(f"importing {mod_name} raised {type(exc).__name__}: {exc}") from None
    for part in attr.split("."):
        obj = getattr(obj, part)
    _refuse(target, getattr(obj, "__module__", None) or "")
    if not callable(obj):
        raise ImportError(f"{target} is not callable")
    return obj


def _refuse(target: str, module: str) -> None:
    if module.split(".")[0] in REFUSED_MODULES:
        raise ImportError(f"refused: {target} comes from {module}, whose functions run commands or change the "
                          f"process; symce verify never calls them (refused modules: os, sys, subprocess, …)")


def _check_sizes(args) -> str | None:
    """What is wrong with the sizes, thresholds, mode and plot path (None if nothing), before any work."""
    if args.samples < 0 or args.grid_max < 0 or args.seed < 0 or args.jobs < 1:
        return "--samples, --grid-max and --seed must be ≥ 0 and --jobs ≥ 1"
    if args.samples > MAX_SAMPLES or args.grid_max > MAX_GRID or args.jobs > MAX_JOBS:
        return (f"--samples and --grid-max are at most {MAX_SAMPLES:,} and --jobs at most {MAX_JOBS} (got -n "
                f"{args.samples}, --grid-max {args.grid_max}, --jobs {args.jobs}); the exact values take about "
                f"1 ms a point")
    if args.samples == 0 and (args.no_grid or args.grid_max == 0):
        return "no points to measure (-n 0 and no grid)"
    for flag, v in (("--max-ulp", args.max_ulp), ("--median-ulp", args.median_ulp)):
        if math.isnan(v) or v < 0:
            return f"{flag} must be a number ≥ 0 (inf: no limit), not {v}"
    if args.max_nonfinite < 0:
        return f"--max-nonfinite must be ≥ 0, not {args.max_nonfinite}"
    if args.mode in ("torch", "jax") and _missing(args.mode):
        return f"--mode {args.mode} needs {args.mode}, which is not installed (pip install {args.mode})"
    if args.plot:
        return _plot_problem(args.plot)
    return None


def _missing(package: str) -> bool:
    if package in sys.modules:
        return sys.modules[package] is None
    try:
        return importlib.util.find_spec(package) is None
    except (ImportError, ValueError):
        return True


def _plot_problem(path: str) -> str | None:
    folder = os.path.dirname(os.path.abspath(path))
    if not path.lower().endswith(_PLOT_SUFFIXES):
        return f"--plot {path!r}: the file name must end in {', '.join(_PLOT_SUFFIXES)}"
    if os.path.isdir(path):
        return f"--plot {path!r} is a folder; give a file name such as {os.path.join(path, 'errors.png')}"
    if not os.path.isdir(folder):
        return f"--plot {path!r}: the folder {folder} does not exist"
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        return f"--plot {path!r}: cannot write there (permission denied)"
    return None


def parse_domain(items, names) -> dict:
    """``["z=-20:20", "sigma=1e-3:1e3"]`` → {"z": (-20.0, 20.0), …}; raises ArgumentTypeError naming the item."""
    out = {}
    for item in items:
        name, eq, rng = item.partition("=")
        lo, colon, hi = rng.partition(":")
        name = name.strip()
        if not eq or not colon:
            raise ArgumentTypeError(f"--domain {item!r}: expected NAME=LO:HI, e.g. z=-20:20")
        if name not in names:
            raise ArgumentTypeError(f"--domain {item!r}: {name!r} is not a parameter of the spec; they are "
                                    f"{', '.join(names)}")
        try:
            a, b = float(lo), float(hi)
        except ValueError:
            raise ArgumentTypeError(f"--domain {item!r}: LO and HI must be numbers (inf allowed)") from None
        if not a <= b:
            raise ArgumentTypeError(f"--domain {item!r}: needs LO ≤ HI")
        out[name] = (a, b)
    return out


def _order(text, symbols):
    by = {str(s): s for s in symbols}
    names = [n.strip() for n in text.split(",")]
    if sorted(names) != sorted(by):
        raise ArgumentTypeError(f"--args {text!r}: must name each of {', '.join(by)} once")
    return [by[n] for n in names]


def _progress_bar(enabled: bool):
    """A callback progress(done, total) drawing a bar on stderr (tqdm's when installed), or None."""
    if not enabled:
        return None, lambda: None
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    state = {"bar": None, "last": 0}

    def progress(done, total):
        if tqdm is not None:
            if state["bar"] is None:
                state["bar"] = tqdm(total=total, desc="exact values", unit="pt", file=sys.stderr)
            state["bar"].update(done - state["last"])
            state["last"] = done
        else:
            width = 30
            k = width * done // max(total, 1)
            sys.stderr.write(f"\rexact values [{'#' * k}{'.' * (width - k)}] {done}/{total}")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    def close():
        if state["bar"] is not None:
            state["bar"].close()

    return progress, close


def run(args) -> int:
    """Run ``symce verify`` for parsed arguments; returns the exit status."""
    try:
        spec = parse(args.against)
        reference, symbols = spec.build()
        domain = parse_domain(args.domain, [str(s) for s in symbols])
        order = _order(args.args, symbols) if args.args else symbols
    except (SpecError, ArgumentTypeError) as exc:
        print(f"symce verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    problem = _check_sizes(args)
    if problem:
        print(f"symce verify: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        fn = _load(args.target)
    except (ImportError, AttributeError) as exc:
        print(f"symce verify: cannot load {args.target}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_IMPORT
    thresholds = {"max_ulp": args.max_ulp, "median_ulp": args.median_ulp, "nonfinite": args.max_nonfinite}
    progress, close = _progress_bar(not args.no_progress)
    executor = None
    if args.jobs > 1:
        executor = ProcessPoolExecutor(args.jobs)
    try:
        rep = verify(fn, reference, order, domain=domain or None, n=args.samples, seed=args.seed,
                     grid=not args.no_grid, grid_max=args.grid_max, mode=args.mode, thresholds=thresholds,
                     name=f"{args.target} against {spec.text}", abs_floor=args.abs_floor, region=args.region,
                     executor=executor, progress=progress)
    except ImplementationError as exc:
        print(f"symce verify: {args.target}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_IMPLEMENTATION
    except SystemExit as exc:  # the implementation called sys.exit: its fault, not a result
        print(f"symce verify: {args.target}: the implementation called sys.exit({exc.code!r})", file=sys.stderr)
        return EXIT_IMPLEMENTATION
    except ImportError as exc:  # --mode auto/torch found the package missing while calling
        print(f"symce verify: {args.target}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except ArgumentTypeError as exc:
        print(f"symce verify: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        close()
        if executor is not None:
            executor.shutdown()
    print(rep.table())
    if not rep.passed and not any(math.isfinite(float(v)) for v in rep.computed):
        print(f"symce verify: {args.target}: no finite value at any point (does it raise, or return NaN, "
              f"for every input?)", file=sys.stderr)
    if args.plot:
        try:
            rep.plot(args.plot)
            print(f"error plot: {args.plot}")
        except ImportError as exc:
            print(f"symce verify: no plot ({_one_line(exc)})", file=sys.stderr)
        except (OSError, ValueError) as exc:
            print(f"symce verify: cannot write the plot {args.plot!r}: {_one_line(exc)}", file=sys.stderr)
            return EXIT_USAGE
    return EXIT_OK if rep.passed else EXIT_THRESHOLD


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:500]
