r"""The catalog report: the main job behind ``symce report`` (and ``make report``).

For every example of :data:`symce.families.EXAMPLES` it derives the entropy and proves KL(P‖P) = 0; for
every pair of :func:`symce.families.pairs` it derives H(P, Q) and KL(P‖Q), their gradients w.r.t. Q's
parameters, proves the decomposition KL(P‖Q) = H(P, Q) − H(P) and — for pairs of one parameterisation —
Gibbs' stationarity ∇_Q H(P, Q) = 0 at Q = P. Each step is timed. This module runs the catalog into a
:class:`Report` and summarises it for the terminal; :mod:`symce.app.report_markdown` writes ``report.md``.

Nothing here names a family: everything is driven by the catalog and the ``Family`` API, so a family
added to the catalog appears in the report without touching this file. One failing item never stops the
report: its error is recorded, shown, and makes the run fail (exit status 1 in the CLI).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import sympy as sp

from symce import families
from symce.core.family import flat_values
from symce.engine.derivation import Derivation
from symce.engine.identities import gibbs_stationarity, kl_decomposition, kl_self_zero
from symce.engine.information import cross_entropy, entropy, kl
from symce.engine.proof import PROVED, Proof
from symce.errors import SymceError

#: a generic class index for gradients w.r.t. an IndexedBase parameter (symbolic number of classes)
GENERIC_INDEX = sp.Symbol("m", integer=True, positive=True)

DERIVED, INFINITE, SKIPPED = "derived", "+∞", "skipped"


@dataclass
class Item:
    """One timed line of the report: a derivation or a proof for one example or pair."""

    section: str  # "normal" (an example) or "normal ‖ normal" (a pair)
    quantity: str  # e.g. "H(P,Q)", "∇_Q KL(P‖Q)", "KL = H(P,Q) − H(P)"
    kind: str  # "derivation" | "proof"
    status: str
    ms: float
    obj: Any = None
    note: str = ""

    @property
    def failed(self) -> bool:
        """A proof that is not "proved", or anything that raised."""
        return self.status.startswith("error") or (self.kind == "proof" and self.status not in (PROVED, SKIPPED))


@dataclass
class Section:
    title: str
    P: Any = None
    Q: Any = None
    items: list[Item] = field(default_factory=list)
    show_steps: bool = False
    is_pair: bool = False


@dataclass
class Report:
    sections: list[Section]
    seconds: float

    @property
    def items(self) -> list[Item]:
        return [it for s in self.sections for it in s.items]

    @property
    def failures(self) -> list[Item]:
        return [it for it in self.items if it.failed]


# -- running the catalog ------------------------------------------------------------------------------
def _one_line(s: str) -> str:
    return " ".join(s.split())


def _timed(section: Section, quantity: str, kind: str, run: Callable[[], Any]) -> Item:
    t0 = time.perf_counter()
    try:
        obj = run()
    except SymceError as e:
        item = Item(section.title, quantity, kind, f"error: {type(e).__name__}", 0.0, note=_one_line(str(e)))
    except Exception as e:  # noqa: BLE001 - one broken item must not stop the report; it is shown and fails it
        item = Item(section.title, quantity, kind, f"error: {type(e).__name__}", 0.0, note=_one_line(f"{type(e).__name__}: {e}"))
    else:
        if obj is None:
            item = Item(section.title, quantity, kind, SKIPPED, 0.0)
        elif isinstance(obj, tuple):  # (None, note): skipped with a reason
            item = Item(section.title, quantity, kind, SKIPPED, 0.0, note=obj[1])
        elif isinstance(obj, Proof):
            item = Item(section.title, quantity, kind, obj.status, 0.0, obj, note=_proof_note(obj))
        else:
            item = Item(section.title, quantity, kind, INFINITE if _is_infinite(obj) else DERIVED, 0.0, obj)
    item.ms = (time.perf_counter() - t0) * 1000
    section.items.append(item)
    return item


def _proof_note(p: Proof) -> str:
    if p.counterexample:
        cex = p.counterexample
        point = ", ".join(f"{k} = {v}" for k, v in list(cex.get("point", {}).items())[:6])
        return _one_line(f"counterexample at {point}: lhs = {_short_num(cex.get('lhs'))}, "
                         f"rhs = {_short_num(cex.get('rhs'))}")
    if p.status != PROVED:
        return f"no symbolic argument; agrees to {p.digits} digits at {p.points} points"
    return ""


def _short_num(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_short_num(x) for x in v[:4]) + (", …]" if len(v) > 4 else "]")
    try:
        return sp.Float(v, 8).__str__() if isinstance(v, sp.Basic) and v.is_number else str(v)
    except (TypeError, ValueError):
        return str(v)


def _is_infinite(d) -> bool:
    return isinstance(d, Derivation) and isinstance(d.result, sp.Basic) and d.result == sp.oo


def gradient_symbols(Q) -> tuple[list, str]:
    """The symbols to differentiate w.r.t.: Q's parameters, flattened. A parameter that is a Symbol,
    Indexed element or MatrixSymbol is used as is; an IndexedBase (symbolic number of classes) through
    its generic element ``base[m]``; any other expression through its free symbols. Integer symbols are
    sizes (k, d), not parameters, and are left out. Returns (symbols, note on what was done)."""
    out: list = []
    notes: list[str] = []
    for name, value in Q.parameters.items():
        for v in flat_values(value):
            if isinstance(v, sp.IndexedBase):
                out.append(v[GENERIC_INDEX])
                notes.append(f"{name}: w.r.t. the generic element {v}[{GENERIC_INDEX}]")
            elif isinstance(v, (sp.Symbol, sp.Indexed, sp.MatrixSymbol)):
                if not (isinstance(v, sp.Symbol) and v.is_integer):
                    out.append(v)
            elif isinstance(v, sp.Basic) and v.free_symbols:
                syms = sorted((s for s in v.free_symbols if isinstance(s, sp.Symbol) and not s.is_integer), key=str)
                out.extend(syms)
                if syms:
                    notes.append(f"{name}: w.r.t. its symbols")
    return list(dict.fromkeys(out)), "; ".join(dict.fromkeys(notes))


def _gradient(run: Callable[[], Derivation], Q):
    def go():
        d = run()
        if _is_infinite(d):
            return None, "the quantity is +∞ (P is not absolutely continuous w.r.t. Q)"
        wrt, _ = gradient_symbols(Q)
        if not wrt:
            return None, "Q has no symbolic parameters"
        return d.gradient(wrt[0] if len(wrt) == 1 else wrt)
    return go


def gibbs_if_applicable(P, Q):
    """Gibbs' stationarity proof for a pair of the same parameterisation. On a constrained parameter
    space (the simplex) :func:`symce.gibbs_stationarity` proves the Lagrange condition ∇H = λ∇c."""
    return gibbs_stationarity(P, Q)


def _same_parameterisation(P, Q) -> bool:
    return type(P) is type(Q) and list(P.parameters) == list(Q.parameters)


def check_out_dir(out: str) -> None:
    """Refuse an ``--out`` that is an existing file or a folder that cannot be created or written, before
    the catalog is derived (:class:`~symce.app.arguments.UsageError`, one line, exit 2)."""
    from symce.app.arguments import UsageError
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"--out {out!r} is a file; give a folder (report.md, report.tex and plots go in it)")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--out {out!r}: cannot create the folder: {e.strerror or e}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out!r}: cannot write in this folder (permission denied)")


def run_catalog(progress: Callable[[str], None] | None = None) -> Report:
    """Derive and prove the whole catalog; ``progress`` receives one line per example/pair as it goes."""
    t_start = time.perf_counter()
    sections: list[Section] = []
    examples, all_pairs = list(families.EXAMPLES), families.pairs()
    total = len(examples) + len(all_pairs)
    width = max([len(e.label) for e in examples] + [len(a.label) + len(b.label) + 3 for a, b in all_pairs] + [1])
    n = 0
    for ex in examples:
        n += 1
        sec = Section(ex.label)
        try:
            sec.P = ex.build(1)
        except Exception as e:  # noqa: BLE001 - a broken catalog entry is reported, not fatal
            sec.items.append(Item(ex.label, "build P", "derivation", f"error: {type(e).__name__}", 0.0, note=str(e)))
        else:
            P = sec.P
            _timed(sec, "H(P)", "derivation", lambda: entropy(P))
            _timed(sec, "KL(P‖P) = 0", "proof", lambda: kl_self_zero(P))
        sections.append(sec)
        _progress(progress, n, total, sec, width)
    seen_steps: set = set()
    for a, b in all_pairs:
        n += 1
        sec = Section(f"{a.label} ‖ {b.label}", is_pair=True)
        try:
            sec.P, sec.Q = a.build(1), b.build(2)
        except Exception as e:  # noqa: BLE001
            sec.items.append(Item(sec.title, "build P, Q", "derivation", f"error: {type(e).__name__}", 0.0, note=str(e)))
            sections.append(sec)
            _progress(progress, n, total, sec, width)
            continue
        P, Q = sec.P, sec.Q
        # derivation steps are shown for one pair per family (the first same-family pair met)
        fam = type(P).__name__
        if type(P) is type(Q) and fam not in seen_steps:
            seen_steps.add(fam)
            sec.show_steps = True
        _timed(sec, "H(P,Q)", "derivation", lambda: cross_entropy(P, Q))
        _timed(sec, "KL(P‖Q)", "derivation", lambda: kl(P, Q))
        _timed(sec, "∇_Q H(P,Q)", "derivation", _gradient(lambda: cross_entropy(P, Q), Q))
        _timed(sec, "∇_Q KL(P‖Q)", "derivation", _gradient(lambda: kl(P, Q), Q))
        _timed(sec, "KL = H(P,Q) − H(P)", "proof", lambda: kl_decomposition(P, Q))
        if _same_parameterisation(P, Q):
            _timed(sec, "∇_Q H(P,Q) = 0 at Q = P", "proof", lambda: gibbs_if_applicable(P, Q))
        sections.append(sec)
        _progress(progress, n, total, sec, width)
    return Report(sections, time.perf_counter() - t_start)


def _progress(progress, n: int, total: int, sec: Section, width: int = 48) -> None:
    if progress is None:
        return
    ms = sum(it.ms for it in sec.items)
    bad = [it for it in sec.items if it.failed]
    flag = f"  {len(bad)} FAILED" if bad else ""
    progress(f"[{n:>{len(str(total))}}/{total}] {sec.title:<{width}} {ms:8.1f} ms{flag}")


# -- terminal table -----------------------------------------------------------------------------------
def summary_table(report: Report) -> str:
    """A plain-text table: family pair, quantity, status, time (ms)."""
    rows = [(it.section, it.quantity, it.status, f"{it.ms:.1f}") for it in report.items]
    head = ("family pair", "quantity", "status", "time (ms)")
    w = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    line = lambda r: f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]:>{w[3]}}"  # noqa: E731
    out = [line(head), "  ".join("-" * x for x in w)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def summary_line(report: Report) -> str:
    items = report.items
    proofs = [it for it in items if it.kind == "proof"]
    proved = sum(it.status == PROVED for it in proofs)
    derivs = sum(it.kind == "derivation" and it.status in (DERIVED, INFINITE) for it in items)
    n_ex = sum(not s.is_pair for s in report.sections)
    skipped = sum(it.status == SKIPPED for it in proofs)
    return (f"{n_ex} examples, {len(report.sections) - n_ex} pairs: {derivs} derivations, "
            f"{proved}/{len(proofs) - skipped} proofs proved ({skipped} not applicable), "
            f"{len(report.failures)} failed; catalog derived and proved in {report.seconds:.2f} s")
