"""``symce latex …``: standalone LaTeX (and PDF) documents from the command line.

    symce latex kl normal [normal] [--gradient] [--proof] [--out kl.tex] [--pdf]
    symce latex catalog --out catalog.tex [--pdf]

QUANTITY is ``entropy``, ``cross-entropy``, ``kl`` or ``catalog`` (the table of closed forms of the whole
catalog). FAMILY is a catalog label (``symce catalog`` lists them), looked up, never evaluated; with one
FAMILY, cross-entropy and KL compare two instances of it with distinct symbols. Without ``--out`` the
document is printed. Exit status: 0 success, 2 usage error, missing pdflatex or a symce/LaTeX error
(one line on stderr, no traceback).

:mod:`symce.app.cli` adds it to the one parser with :func:`add_parser` and dispatches ``latex`` to :func:`run`.
"""

from __future__ import annotations

import argparse
import sys

import sympy as sp

from symce.app.arguments import OK, USAGE, UsageError, example
from symce.core.notation import SETTINGS
from symce.engine.identities import kl_decomposition
from symce.engine.information import cross_entropy, entropy, kl
from symce.errors import SymceError
from symce.printing.document import Document, Section, document
from symce.printing.pdf import LatexError, compile_pdf

QUANTITIES = ("entropy", "cross-entropy", "kl", "catalog")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``latex`` sub-command to an ``argparse`` sub-parsers object; returns its parser."""
    p = subparsers.add_parser(
        "latex", help="write a standalone LaTeX document (and PDF) of derivations or of the catalog table",
        description="Derive a quantity for catalog families (or the whole catalog) and write a standalone "
                    "LaTeX article (article class; amsmath, amssymb, booktabs). --pdf compiles it with pdflatex.")
    p.add_argument("quantity", choices=QUANTITIES, help="the quantity to derive, or 'catalog' for the table of closed forms")
    p.add_argument("families", nargs="*", metavar="FAMILY", help="catalog label of P (and of Q); none for 'catalog'")
    p.add_argument("--out", "-o", metavar="FILE", help="write the .tex here (default: print it)")
    p.add_argument("--pdf", action="store_true", help="also compile FILE to PDF with pdflatex (needs --out)")
    p.add_argument("--gradient", action="store_true", help="add the gradient w.r.t. Q's parameters")
    p.add_argument("--proof", action="store_true", help="add the proof of KL(P‖Q) = H(P,Q) − H(P)")
    add_notation_arguments(p)
    p.add_argument("--title", default=None, help="document title")
    return p


def add_notation_arguments(p: argparse.ArgumentParser) -> None:
    """--ce-notation, --kl-notation and --log, with the values of :data:`symce.core.notation.SETTINGS`
    (the one list the printers check), for every sub-command that prints mathematics."""
    p.add_argument("--ce-notation", choices=SETTINGS["ce_notation"], default=SETTINGS["ce_notation"][0],
                   help="write cross-entropy as H(P, Q) or H_ce(P, Q)")
    p.add_argument("--kl-notation", choices=SETTINGS["kl_notation"], default=SETTINGS["kl_notation"][0],
                   help="write the KL divergence as KL(P‖Q), D_KL(P‖Q) or D(P‖Q)")
    p.add_argument("--log", choices=SETTINGS["log_notation"], default=SETTINGS["log_notation"][0],
                   dest="log_notation", help="log or ln")


def notation_settings(args) -> dict:
    """The printer settings the notation arguments ask for."""
    return {"ce_notation": args.ce_notation, "kl_notation": args.kl_notation, "log_notation": args.log_notation}


def _wrt(Q) -> list:
    """Q's scalar parameter symbols (sizes such as k, d are integers and left out)."""
    out = []
    for v in Q.parameters.values():
        vals = list(v) if isinstance(v, (list, tuple, sp.MatrixBase)) else [v]
        for x in vals:
            if isinstance(x, sp.Basic) and not isinstance(x, (sp.IndexedBase, sp.MatrixExpr)):
                out.extend(s for s in sorted(x.free_symbols, key=str) if isinstance(s, sp.Symbol) and not s.is_integer)
    return list(dict.fromkeys(out))


def build(args) -> Document:
    """The :class:`~symce.printing.document.Document` the arguments ask for."""
    settings = notation_settings(args)
    if args.quantity == "catalog":
        if args.families:
            raise UsageError("'catalog' takes no FAMILY")
        return document([], title=args.title or "Closed forms of the symce catalog", catalog=True, **settings)
    if not 1 <= len(args.families) <= (1 if args.quantity == "entropy" else 2):
        raise UsageError(f"{args.quantity} takes {'one FAMILY' if args.quantity == 'entropy' else 'one or two FAMILY labels'}")
    exs = [example(f) for f in args.families]
    P = exs[0].build(1)
    Q = (exs[1] if len(exs) > 1 else exs[0]).build(2)
    d = {"entropy": lambda: entropy(P), "cross-entropy": lambda: cross_entropy(P, Q), "kl": lambda: kl(P, Q)}[args.quantity]()
    items = [d]
    if args.gradient and not d.is_infinite:
        wrt = _wrt(P if args.quantity == "entropy" else Q)
        if wrt:
            items.append(d.gradient(wrt[0] if len(wrt) == 1 else wrt))
    if args.proof and args.quantity != "entropy":
        items.append(kl_decomposition(P, Q))
    names = {"entropy": "Entropy", "cross-entropy": "Cross-entropy", "kl": "KL divergence"}
    pair = args.families[0] if args.quantity == "entropy" else f"{args.families[0]} ‖ {args.families[-1]}"
    title = args.title or f"{names[args.quantity]}: {pair}"
    return document([Section(title, items)], title=title, **settings)


def run(args) -> int:
    """Run ``symce latex`` for parsed arguments; returns the exit status."""
    try:
        if args.pdf and not args.out:
            raise UsageError("--pdf needs --out FILE")
        doc = build(args)
        if not args.out:
            sys.stdout.write(doc.tex())
            return OK
        path = doc.write(args.out)
        print(f"wrote {path}")
        if args.pdf:
            result = compile_pdf(path)
            print(f"wrote {result.pdf}")
        return OK
    except UsageError as e:
        print(f"symce latex: error: {e}", file=sys.stderr)
        return USAGE
    except LatexError as e:
        print(f"symce latex: {e}", file=sys.stderr)
        return USAGE
    except SymceError as e:
        print(f"symce latex: {type(e).__name__}: {e}", file=sys.stderr)
        return USAGE
    except OSError as e:  # --out is a folder, or its folder cannot be created or written
        print(f"symce latex: error: cannot write {args.out!r}: {e.strerror or e}", file=sys.stderr)
        return USAGE

