"""The ``symce`` command line: the one argparse parser, for every sub-command.

    symce report [--out DIR] [--quiet]             derive and prove the catalog, write DIR/report.md
    symce derive {entropy,cross-entropy,kl} FAMILY [FAMILY] [--latex] [--kl-notation D_KL] [--log ln]
    symce catalog                                  list the catalog labels
    symce latex QUANTITY [FAMILY ...] [--out F]    a standalone LaTeX/PDF document (symce.app.latex_cli)
    symce verify MODULE:FUNCTION --against SPEC    ULP errors of a numeric function (symce.app.verify_cli)
    symce coverage [--out DIR] [--families A,B]   the family × family coverage matrix (symce.app.coverage_cli)

``symce --help`` and ``symce COMMAND --help`` describe each. The ``latex`` and ``verify`` sub-commands
live in their own modules, which offer ``add_parser(subparsers)`` and ``run(args)``; this module builds
the parser and dispatches to the ``run`` each sub-command registers with ``set_defaults``.

Exit status: 0 success; 1 a check failed (a proof not "proved", an item that raised; ``verify``: a
threshold exceeded); 2 usage error, a file or folder that cannot be written, or an error from
:mod:`symce.errors` (printed as one line, no traceback); ``verify`` 3: MODULE:FUNCTION could not be loaded,
4: the implementation raised; 70: a bug in symce (one line; ``SYMCE_TRACEBACK=1`` shows the traceback);
130: interrupted. Family labels are looked up in the
catalog, never evaluated.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Sequence

# modules rather than their functions where the function is looked up when the command runs (tests
# replace the report's sections and the engine's kl)
from symce.app import accuracy, latex_cli, report, report_markdown, training_report, verify_cli
from symce.app import coverage_cli, coverage_page
from symce.app.arguments import FAILED, OK, USAGE, UsageError, example, labels, positive_int
INTERNAL = 70  # a bug in symce (sysexits' EX_SOFTWARE): one line on stderr, never a traceback
from symce.app.latex_cli import add_notation_arguments, notation_settings
from symce.engine import information
from symce.errors import SymceError
from symce.printing.report_document import write_report_tex
from symce.printing.pdf import INSTALL_HINT, LatexError, pdflatex
from symce.printing.plain import derivation_text, expr_text
from symce.printing.printer import latex


def parser() -> argparse.ArgumentParser:
    """The command line's parser: every sub-command, each with its ``run`` in ``set_defaults``."""
    p = argparse.ArgumentParser(
        prog="symce",
        description="Derive cross-entropy, entropy and KL divergence symbolically, with proofs and gradients.",
        epilog="exit status: 0 ok, 1 a check failed (a proof not proved), 2 usage error or symce error")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    r = sub.add_parser("report", help="derive and prove the whole catalog; write DIR/report.md (and report.tex/.pdf)",
                       description="Derive the entropy of every catalog example, cross-entropy and KL for every "
                                   "pair, their gradients w.r.t. Q's parameters, and prove KL = H(P,Q) − H(P), "
                                   "KL(P‖P) = 0 and Gibbs' stationarity. Writes DIR/report.md and prints a "
                                   "summary table. Exit status 1 if any proof is not proved or any item fails.")
    r.add_argument("--out", default="out", metavar="DIR", help="output folder (default: out)")
    r.add_argument("--quiet", action="store_true", help="no progress lines and no table; only the summary line")
    r.add_argument("--no-tex", action="store_true", help="write report.md only (no report.tex / report.pdf)")
    r.add_argument("--no-pdf", action="store_true", help="write report.tex but do not compile it with pdflatex")
    r.add_argument("--no-training", action="store_true",
                   help="leave out the training-loss section (empirical risk, MLE, Fisher information, losses)")
    r.add_argument("--no-accuracy", action="store_true",
                   help="leave out the accuracy section (ULP errors of the generated numeric code, with plots)")
    r.add_argument("--accuracy-samples", type=positive_int, default=500, metavar="N",
                   help="bit-pattern samples per formula in the accuracy section (default 500; the benchmark uses 10000)")
    add_notation_arguments(r)
    r.add_argument("--coverage", action="store_true",
                   help="add the coverage section: entropy, cross-entropy and KL of every family pair, classified "
                        "(closed form, Sum/Integral kept, +∞, not derivable), with a picture (`symce coverage`)")
    r.add_argument("--coverage-time-limit", type=coverage_cli._seconds, default=2.0, metavar="S",
                   help="CPU seconds per cell of the coverage section's matrix (default 2)")
    r.add_argument("--jobs", type=positive_int, default=min(2, os.cpu_count() or 1), metavar="N",
                   help="worker processes for the accuracy section (default: min(2, CPUs); 1 = in this process)")
    r.set_defaults(run=_report)

    d = sub.add_parser("derive", help="derive one quantity for catalog families and print the steps",
                       description="Derive entropy H(P), cross-entropy H(P,Q) or KL(P‖Q) for catalog examples "
                                   "given by label (see `symce catalog`). With one FAMILY, cross-entropy and KL "
                                   "compare two instances of it with distinct symbols.")
    d.add_argument("quantity", choices=["entropy", "cross-entropy", "kl"], help="the quantity to derive")
    d.add_argument("families", nargs="+", metavar="FAMILY", help="catalog label of P (and of Q)")
    d.add_argument("--latex", action="store_true", help="print the derivation as LaTeX (align*)")
    add_notation_arguments(d)
    d.set_defaults(run=_derive)

    c = sub.add_parser("catalog", help="list the catalog labels", description="List the labels of the catalog examples.")
    c.set_defaults(run=_catalog)
    latex_cli.add_parser(sub).set_defaults(run=latex_cli.run)
    verify_cli.add_parser(sub).set_defaults(run=verify_cli.run)
    coverage_cli.add_parser(sub).set_defaults(run=coverage_cli.run)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (the console script passes it to sys.exit)."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2): return rather than exit, for callers
        return int(e.code or 0)
    except UnicodeError:  # an argument that is not UTF-8 (a surrogate) in argparse's message to a strict stream
        print("symce: error: an argument is not valid UTF-8 text; see symce --help", file=sys.stderr)
        return USAGE
    try:
        return args.run(args)
    except UsageError as e:
        _say(f"symce: error: {e}")
        return USAGE
    except SymceError as e:
        _say(f"symce: {type(e).__name__}: {e}")
        return USAGE
    except KeyboardInterrupt:
        print("symce: interrupted", file=sys.stderr)
        return 130
    except UnicodeError as e:  # a non-UTF-8 argument (a file name) printed to a strict stream
        print(f"symce: error: an argument is not valid UTF-8 text ({type(e).__name__})", file=sys.stderr)
        return USAGE
    except OSError as e:  # a file or folder that cannot be read or written (--out, --plot): one line
        where = f" {e.filename!r}" if getattr(e, "filename", None) else ""
        _say(f"symce: error: cannot use{where}: {e.strerror or e}")
        return USAGE
    except Exception as e:  # noqa: BLE001 - a bug: one line (SYMCE_TRACEBACK=1 shows the traceback), exit 70
        if os.environ.get("SYMCE_TRACEBACK"):
            raise
        _say(f"symce: internal error: {type(e).__name__}: {' '.join(str(e).split())[:300]} "
             "(set SYMCE_TRACEBACK=1 to see the traceback)")
        return INTERNAL


def _say(line: str) -> None:
    """One line on stderr; an argument that is not UTF-8 (a surrogate) is written escaped, never raises."""
    print(line.encode("utf-8", "backslashreplace").decode("utf-8"), file=sys.stderr)


def _report(args) -> int:
    def progress(line: str) -> None:
        print(line, flush=True)

    report.check_out_dir(args.out)  # an --out that is a file or cannot be written: refused before the work
    if not args.quiet:
        print(f"symce report: deriving the catalog into {args.out}/report.md", flush=True)
    start = time.perf_counter()
    rep = report.run_catalog(None if args.quiet else progress)
    timings: dict[str, float] = {}
    extras, extra_failed = _extra_sections(args, progress, timings)
    timings["total"] = time.perf_counter() - start
    path = report_markdown.write(rep, args.out, extras, timings, **notation_settings(args))
    latex_failed, pdf_note = False, ""
    if not args.no_tex:
        latex_failed, pdf_note = _report_tex(rep, args, extras, timings)
    if not args.quiet:
        print()
        print(report.summary_table(rep))
        print()
        for it in rep.failures:
            print(f"FAILED {it.section}: {it.quantity}: {it.status} {it.note}".rstrip())
    print(f"{report.summary_line(rep)}; wrote {path}" + (f"; {pdf_note}" if pdf_note else ""))
    if pdf_note:
        print(f"symce report: warning: {pdf_note}: {INSTALL_HINT}", file=sys.stderr)
    return FAILED if rep.failures or latex_failed or extra_failed else OK


def _extra_sections(args, progress, timings: dict | None = None) -> tuple[list[str], bool]:
    """Sections beyond the catalog; a section that raises is reported and fails the run."""
    wanted = []
    if not args.no_training:
        wanted.append(("training losses", training_report.training_section, (), {}))
    if not args.no_accuracy:
        wanted.append(("accuracy of the generated code", accuracy.accuracy_section, (args.out, args.accuracy_samples),
                       {"jobs": args.jobs, **({} if args.quiet else {"progress": progress})}))
    if getattr(args, "coverage", False):
        wanted.append(("coverage", coverage_page.section, (args.out,),
                       {"time_limit": args.coverage_time_limit, "jobs": args.jobs,
                        **({} if args.quiet else {"progress": progress})}))
    out, failed = [], False
    for title, section, fargs, fkwargs in wanted:
        if not args.quiet:
            progress(f"section: {title} ...")
        start = time.perf_counter()
        try:
            out.append(section(*fargs, **fkwargs))
        except Exception as e:  # noqa: BLE001 - one failing section must not hide the rest of the report
            print(f"symce report: section {title!r} failed: {type(e).__name__}: {e}", file=sys.stderr)
            failed = True
            continue
        seconds = time.perf_counter() - start
        if timings is not None:
            timings[f"{title} section"] = seconds
        if not args.quiet:
            progress(f"section: {title} done in {seconds:.1f} s")
    return out, failed


def _report_tex(rep, args, extras=(), timings=None) -> tuple[bool, str]:
    """report.tex (and report.pdf when pdflatex is installed). Returns (LaTeX failed, a note when the
    PDF was skipped because pdflatex is missing)."""
    skipped = not args.no_pdf and pdflatex() is None
    try:
        tex = write_report_tex(rep, args.out, compile=False if args.no_pdf or skipped else None,
                               extra_sections=extras, timings=timings, **notation_settings(args))
    except LatexError as e:
        print(f"symce report: LaTeX failed: {' '.join(str(e).split())[:300]}", file=sys.stderr)
        return True, ""
    if not args.quiet:
        pdf = tex.with_suffix(".pdf")
        done = not args.no_pdf and not skipped and pdf.exists()
        print(f"wrote {tex}" + (f" and {pdf}" if done else ""), flush=True)
    return False, ("report.pdf skipped (pdflatex not found)" if skipped else "")


def _derive(args) -> int:
    names = args.families
    want = 1 if args.quantity == "entropy" else (1, 2)
    if (args.quantity == "entropy" and len(names) != 1) or len(names) > 2:
        raise UsageError(f"{args.quantity} takes {want if isinstance(want, int) else '1 or 2'} FAMILY "
                         f"label(s), got {len(names)}: {' '.join(names)}")
    examples = [example(label) for label in names]
    P = examples[0].build(1)
    if args.quantity == "entropy":
        d = information.entropy(P)
        print(f"P = {P!r}")
    else:
        Q = (examples[1] if len(examples) == 2 else examples[0]).build(2)
        d = (information.cross_entropy if args.quantity == "cross-entropy" else information.kl)(P, Q)
        print(f"P = {P!r}\nQ = {Q!r}")
    settings = notation_settings(args)
    if args.latex:
        print(latex(d, **settings))
    else:
        print(derivation_text(d, **settings))  # the chain, each lemma its own numbered line
    print(f"\nresult: {expr_text(d.result, settings['log_notation'])}")
    return OK


def _catalog(args) -> int:
    for label in labels():
        print(label)
    return OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
