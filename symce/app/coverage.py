r"""The coverage matrix, family × family: what the engine derives for every family symce ships.

One representative per family — the first example of each family class in :data:`symce.families.EXAMPLES`
and :data:`symce.families.COMMON`, with symbolic parameters — and, for it,

* H(P) on the diagonal,
* H(P, Q) and KL(P ‖ Q) for every ordered pair of representatives on the same sample space (a family
  against itself too, with distinct symbols),

each classified as **closed form**, **Sum/Integral kept** (a series or integral the engine could not
evaluate, left in the result), **+∞** (with the reason: P not absolutely continuous w.r.t. Q) or **not
derivable** (an error, or the per-cell time limit), with the CPU time the derivation took. Every cell runs
under ``time_limit`` seconds of CPU time (:mod:`symce.core.limits`), so the whole matrix costs at most
cells × limit / jobs seconds; ``jobs`` > 1 runs the cells in worker processes. A family file dropped into
symce/families/ appears in the next run: nothing here lists families.

``symce coverage`` writes the Markdown page and the picture; ``symce report`` adds the section.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from dataclasses import dataclass, field

import sympy as sp

# the module, not its lists: the catalog is read when the matrix is built (tests narrow it)
from symce import families
from symce.core import limits
from symce.engine.definition import KEPT_AT_LIMIT
from symce.engine.information import cross_entropy, entropy, kl
from symce.errors import DerivationTimeoutError, SymceError

CLOSED, KEPT, INFINITE, FAILED = "closed form", "Sum/Integral kept", "+∞", "not derivable"
STATUSES = (CLOSED, KEPT, INFINITE, FAILED)
QUANTITIES = {"H": "H(P)", "CE": "H(P, Q)", "KL": "KL(P ‖ Q)"}
#: one character per status in the matrix (time limit and error are both "not derivable")
_MARK = {CLOSED: "✓", KEPT: "∑", INFINITE: "∞", FAILED: "✗"}
_COLOUR = {CLOSED: "#4caf50", KEPT: "#ffc107", INFINITE: "#5c9bd5", FAILED: "#e53935"}


@dataclass(frozen=True)
class Cell:
    """One derivation of the matrix: ``quantity`` "H", "CE" or "KL" for P = family ``P``, Q = family ``Q``
    (``Q == P`` for H); ``note`` says why for +∞, not derivable and kept results; ``crashed`` marks an
    error that is not a :class:`~symce.errors.SymceError` (an engine bug rather than a missing rule)."""

    quantity: str
    P: str
    Q: str
    status: str
    seconds: float
    note: str = ""
    crashed: bool = False


@dataclass
class Coverage:
    """The matrix: ``families`` as (family name, example label, sample space), the ``cells``, the per-cell
    limit (CPU seconds), the wall time of the run and the worker processes it used."""

    families: list[tuple[str, str, tuple]]
    cells: list[Cell]
    time_limit: float
    seconds: float = 0.0
    jobs: int = 1
    _index: dict = field(default_factory=dict, repr=False)

    def cell(self, quantity: str, P: str, Q: str | None = None) -> Cell | None:
        if not self._index:
            self._index.update({(c.quantity, c.P, c.Q): c for c in self.cells})
        return self._index.get((quantity, P, P if Q is None else Q))

    def counts(self) -> dict[str, Counter]:
        """quantity ("H", "CE", "KL") → number of cells per status."""
        out = {q: Counter() for q in QUANTITIES}
        for c in self.cells:
            out[c.quantity][c.status] += 1
        return out

    @property
    def pairs(self) -> int:
        return sum(c.quantity == "KL" for c in self.cells)

    @property
    def crashed(self) -> list[Cell]:
        return [c for c in self.cells if c.crashed]

    def summary(self) -> str:
        k, ce, h = self.counts()["KL"], self.counts()["CE"], self.counts()["H"]
        return (f"{len(self.families)} families, {self.pairs} ordered pairs on a common sample space: KL in "
                f"closed form for {k[CLOSED]}, +∞ for {k[INFINITE]}, Sum/Integral kept for {k[KEPT]}, not "
                f"derivable for {k[FAILED]} (cross-entropy: {ce[CLOSED]}, {ce[INFINITE]}, {ce[KEPT]}, {ce[FAILED]}); "
                f"entropy in closed form for {h[CLOSED]}, kept for {h[KEPT]}, not derivable for {h[FAILED]}")


def representatives(only=None) -> list:
    """The first example of each family class, seed catalog first, then the common families by file.
    ``only``: labels or family names (any case) to keep; :class:`ValueError` naming the unknown ones."""
    reps: dict[str, object] = {}
    for e in [*families.EXAMPLES, *families.COMMON]:
        reps.setdefault(type(e.build(1)).__name__, e)
    if only is None:
        return list(reps.values())
    wanted = {w.lower() for w in only}
    known = {n.lower() for n in reps} | {e.label.lower() for e in reps.values()}
    unknown = sorted(wanted - known)
    if unknown:
        raise ValueError(f"unknown famil{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
                         f"known: {', '.join(reps)}")
    return [e for n, e in reps.items() if n.lower() in wanted or e.label.lower() in wanted]


# -- one cell -----------------------------------------------------------------------------------------
_REPS: list = []  # the representatives of the run, read by the worker processes (inherited by fork)


def classify(d) -> tuple[str, str]:
    """(status, note) of a derivation: +∞ with its reason, a kept Integral or infinite Sum, or closed form
    (a Sum over k classes is finite: closed form; a Piecewise with +∞ outside a condition: closed form,
    the condition in the note)."""
    r = d.result
    if d.is_infinite:
        return INFINITE, d.infinite_reason or "+∞"
    if isinstance(r, sp.Basic):
        if r.has(sp.Integral):
            if any(KEPT_AT_LIMIT in s.rule for s in getattr(d, "steps", ())):
                return KEPT, "an Integral is kept: SymPy's integrator stopped at its time limit (a faster machine or a " \
                             "higher limit may find a closed form)"
            return KEPT, "an Integral is kept"
        for s in r.atoms(sp.Sum):
            if any(b.is_infinite for (_, lo, hi) in s.limits for b in (lo, hi)):
                return KEPT, f"a Sum over {s.limits[0][0]} = {s.limits[0][1]}…{s.limits[0][2]} is kept"
        if isinstance(r, sp.Piecewise) and any(e == sp.oo for e, _ in r.args):
            cond = next(c for e, c in r.args if e != sp.oo)
            return CLOSED, f"finite where {cond}, +∞ otherwise"
    return CLOSED, ""


def _derive(quantity: str, P, Q):
    if quantity == "H":
        return entropy(P)
    return (cross_entropy if quantity == "CE" else kl)(P, Q)


def _run_cell(job) -> tuple[int, Cell]:
    pos, quantity, i, j, limit = job
    P = _REPS[i].build(1)
    Q = P if quantity == "H" else _REPS[j].build(2)
    names = type(P).__name__, type(Q).__name__
    old = limits.get_time_limit()
    limits.set_time_limit(limit)  # the engine's own steps use the default limit
    t0 = time.process_time()
    try:
        with limits.time_limit(f"{QUANTITIES[quantity]} for {names[0]}, {names[1]}", limit):
            status, note = classify(_derive(quantity, P, Q))
        crashed = False
    except DerivationTimeoutError:
        status, note, crashed = FAILED, f"time limit ({limit:g} s CPU)", False
    except Exception as e:  # noqa: BLE001 - every failure is a cell of the matrix
        msg = " ".join(str(e).split())
        status, note = FAILED, f"{type(e).__name__}: {msg[:200]}"
        crashed = not isinstance(e, SymceError)
    finally:
        limits.set_time_limit(old)
    return pos, Cell(quantity, *names, status, time.process_time() - t0, note, crashed)


def _jobs(reps: list, limit: float) -> list[tuple]:
    built = [e.build(1) for e in reps]
    out = [("H", i, i) for i in range(len(reps))]
    out += [(q, i, j) for i, P in enumerate(built) for j, Q in enumerate(built)
            if P.sample_space == Q.sample_space for q in ("CE", "KL")]
    return [(pos, q, i, j, limit) for pos, (q, i, j) in enumerate(out)]


def build(only=None, time_limit: float = 4.0, jobs: int = 1, progress=None) -> Coverage:
    """The coverage matrix of every family (or of ``only``: labels or family names), each cell under
    ``time_limit`` seconds of CPU time, in ``jobs`` worker processes; ``progress`` receives a line per
    cell. A worker that does not answer within 4 × the limit + 60 s of wall time (blocked outside
    Python) is stopped and its cells are marked not derivable."""
    reps = representatives(only)
    _REPS[:] = reps
    work = _jobs(reps, time_limit)
    started = time.perf_counter()
    cells: dict[int, Cell] = {}

    def done(pos: int, cell: Cell) -> None:
        cells[pos] = cell
        if progress is not None:
            q = QUANTITIES[cell.quantity].replace("P", cell.P, 1).replace("Q", cell.Q, 1)
            progress(f"  coverage {len(cells):4d}/{len(work)}: {q:<52} {cell.status:<18} {cell.seconds:6.2f} s")

    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if jobs > 1 and len(work) > 1 and can_fork:
        pool = multiprocessing.get_context("fork").Pool(jobs)
        try:
            results = pool.imap_unordered(_run_cell, work)
            for _ in work:
                done(*results.next(timeout=4 * time_limit + 60))
        except multiprocessing.TimeoutError:
            pool.terminate()
        finally:
            pool.terminate()
            pool.join()
    else:
        for w in work:
            done(*_run_cell(w))
    for pos, q, i, j, _ in work:  # cells a stopped worker never answered
        if pos not in cells:
            cells[pos] = Cell(q, type(reps[i].build(1)).__name__, type(reps[j].build(1)).__name__, FAILED,
                              float("nan"), "no answer: the worker was stopped (wall-time backstop)")
    fams = [(type(D).__name__, e.label, D.sample_space) for e in reps for D in [e.build(1)]]
    return Coverage(fams, [cells[p] for p in sorted(cells)], time_limit, time.perf_counter() - started,
                    jobs if can_fork else 1)


__all__ = ["Cell", "Coverage", "STATUSES", "build", "classify", "representatives"]
