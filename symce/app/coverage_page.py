"""The coverage matrix (:mod:`symce.app.coverage`) as Markdown — counts, the matrix per sample space, the
pairs one by one — and as a picture (a matplotlib heat map, when matplotlib is importable)."""

from __future__ import annotations

import math
import os
from collections import OrderedDict

from symce.app.coverage import _COLOUR, _MARK, CLOSED, FAILED, INFINITE, KEPT, QUANTITIES, STATUSES, Coverage

GREY = "#e0e0e0"


def _esc(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def _secs(c) -> str:
    return "–" if c is None or math.isnan(c.seconds) else f"{c.seconds:.2f}"


def _space(space: tuple) -> str:
    return {"real": "ℝ", "integer": "ℤ"}.get(space[0], " ".join(str(s) for s in space)) \
        if len(space) == 1 else f"{space[0]}, {', '.join(str(s) for s in space[1:])}"


def groups(cov: Coverage) -> "OrderedDict[tuple, list[str]]":
    """sample space → the family names on it, in the matrix's order."""
    out: OrderedDict = OrderedDict()
    for name, _, space in cov.families:
        out.setdefault(space, []).append(name)
    return out


def markdown(cov: Coverage, picture: str | None = None, level: int = 2, matrix: bool = True) -> str:
    """The coverage section: what it is, the counts, the picture (``picture``: its path as the page links
    it), the matrix per sample space (``matrix``) and one row per family and per pair."""
    h = "#" * level
    counts = cov.counts()
    out = [f"{h} Coverage: family × family", "",
           "For one representative of each family (its first example, symbolic parameters): the entropy H(P), "
           "and the cross-entropy H(P, Q) and KL(P ‖ Q) of every ordered pair of families on the same sample "
           "space, each derived by the engine and classified as **closed form**, **Sum/Integral kept** (a series "
           "or an integral left in the result; its note says when SymPy's integrator stopped at its share of the "
           "time limit rather than finding no closed form), **+∞** (with the reason) or **not derivable** (an error, or the "
           f"time limit of {cov.time_limit:g} s of CPU time per cell). Times are the CPU seconds of each "
           f"derivation in a worker process that had derived earlier cells (SymPy's cache warm).", "",
           f"**Coverage:** {cov.summary()}.", "",
           "| quantity | cells | " + " | ".join(STATUSES) + " | CPU s |", "|---|---:|" + "---:|" * len(STATUSES) + "---:|"]
    for q, label in QUANTITIES.items():
        cpu = sum(c.seconds for c in cov.cells if c.quantity == q and not math.isnan(c.seconds))
        out.append(f"| {label} | {sum(counts[q].values())} | " + " | ".join(str(counts[q][s]) for s in STATUSES)
                   + f" | {cpu:.1f} |")
    timeouts = sum(c.note.startswith("time limit") for c in cov.cells)
    errors = sum(c.status == FAILED for c in cov.cells) - timeouts
    cut = [c for c in cov.cells if c.status == KEPT and "time limit" in c.note]
    out += ["", f"Not derivable: {timeouts} cells stopped by the time limit, {errors} by an error "
                f"({len(cov.crashed)} of them not a symce error: an engine bug). Kept because SymPy's integrator "
                f"stopped at its share of the time limit (a closed form may exist; another machine may find it): "
                f"{len(cut)} cells" + (": " + ", ".join(f"{c.quantity}({c.P} ‖ {c.Q})" for c in cut)
                                       if 0 < len(cut) <= 8 else " (their notes below say so)" if cut else "")
                + f". The whole matrix took "
                f"{cov.seconds:.1f} s in {cov.jobs} process{'es' if cov.jobs > 1 else ''}.", ""]
    if picture:
        out += ["| picture | file |", "|---|---|", f"| the coverage matrix | [coverage]({picture}) |", ""]
    if matrix:
        out += _matrices(cov, h)
    out += [f"{h}# Entropy of each family", "", "| family | example | sample space | H(P) | CPU s | note |",
            "|---|---|---|---|---:|---|"]
    for name, label, space in cov.families:
        c = cov.cell("H", name)
        out.append(f"| {name} | {label} | {_space(space)} | {c.status} | {_secs(c)} | {_esc(c.note)} |")
    out += ["", f"{h}# Each pair", "", "| P | Q | H(P, Q) | KL(P ‖ Q) | CPU s (H(P, Q), KL) | note |",
            "|---|---|---|---|---:|---|"]
    for names in groups(cov).values():
        for p in names:
            for q in names:
                ce, k = cov.cell("CE", p, q), cov.cell("KL", p, q)
                note = k.note if ce.note in ("", k.note) else (f"H(P, Q): {ce.note}; KL: {k.note}" if k.note else ce.note)
                out.append(f"| {p} | {q} | {ce.status} | {k.status} | {_secs(ce)}, {_secs(k)} | {_esc(note)} |")
    return "\n".join(out) + "\n"


def _matrices(cov: Coverage, h: str) -> list[str]:
    legend = ", ".join(f"{m} {s}" for s, m in _MARK.items())
    out = [f"{h}# The matrix", "",
           f"Row P, column Q; in each cell the status of H(P, Q), then of KL(P ‖ Q) ({legend}); on the diagonal "
           "H(P) first.", ""]
    for space, names in groups(cov).items():
        out += [f"Sample space {_space(space)}:", "", "| P \\ Q | " + " | ".join(names) + " |",
                "|---|" + ":-:|" * len(names)]
        for p in names:
            row = []
            for q in names:
                pair = _MARK[cov.cell("CE", p, q).status] + _MARK[cov.cell("KL", p, q).status]
                row.append(f"H{_MARK[cov.cell('H', p).status]} {pair}" if p == q else pair)
            out.append(f"| **{p}** | " + " | ".join(row) + " |")
        out.append("")
    return out


def plot(cov: Coverage, path: str) -> bool:
    """The heat map: a cell per ordered pair, its upper-left triangle H(P, Q), its lower-right KL(P ‖ Q), a
    disc for H(P) on the diagonal, grey where P and Q live on different sample spaces. False (and nothing
    written) when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Circle, Patch, Polygon
    except ImportError:
        return False
    names = [n for ns in groups(cov).values() for n in ns]
    n = len(names)
    size = max(4.0, 0.32 * n + 2.5)
    fig, ax = plt.subplots(figsize=(size + 2.6, size))
    for r, p in enumerate(names):
        for c, q in enumerate(names):
            ce, k = cov.cell("CE", p, q), cov.cell("KL", p, q)
            if ce is None:
                ax.add_patch(Polygon([(c, r), (c + 1, r), (c + 1, r + 1), (c, r + 1)], color=GREY, lw=0))
                continue
            ax.add_patch(Polygon([(c, r), (c + 1, r), (c, r + 1)], color=_COLOUR[ce.status], lw=0))
            ax.add_patch(Polygon([(c + 1, r), (c + 1, r + 1), (c, r + 1)], color=_COLOUR[k.status], lw=0))
            if p == q:
                ax.add_patch(Circle((c + 0.5, r + 0.5), 0.22, color=_COLOUR[cov.cell("H", p).status], ec="k", lw=0.6))
    ax.set_xlim(0, n)
    ax.set_ylim(n, 0)
    ax.set_aspect("equal")
    ax.set_xticks([i + 0.5 for i in range(n)], names, rotation=90, fontsize=7)
    ax.set_yticks([i + 0.5 for i in range(n)], names, fontsize=7)
    ax.set_xticks(range(n + 1), minor=True)
    ax.set_yticks(range(n + 1), minor=True)
    ax.grid(which="minor", color="white", lw=0.8)
    ax.tick_params(which="both", length=0)
    ax.set_xlabel("Q")
    ax.set_ylabel("P")
    handles = [Patch(color=_COLOUR[s], label=s) for s in STATUSES] + [Patch(color=GREY, label="other sample space")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False,
              title="upper-left: H(P, Q)\nlower-right: KL(P ‖ Q)\ndisc: H(P)", title_fontsize=8)
    k = cov.counts()["KL"]
    ax.set_title(f"{len(cov.families)} families, {cov.pairs} pairs: KL {k[CLOSED]} closed, {k[INFINITE]} +∞, "
                 f"{k[KEPT]} kept, {k[FAILED]} not derivable", fontsize=9)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def section(out_dir: str, only=None, time_limit: float = 2.0, jobs: int = 1, progress=None) -> str:
    """The report's coverage section: build the matrix, draw coverage.png into ``out_dir``, return the
    Markdown (counts, picture, per-family and per-pair tables; the wide matrix is left to the docs page)."""
    from symce.app import coverage

    cov = coverage.build(only, time_limit=time_limit, jobs=jobs, progress=progress)
    pic = "coverage.png" if plot(cov, os.path.join(out_dir, "coverage.png")) else None
    md = markdown(cov, pic, level=2, matrix=False)
    if pic is None:
        md += "\n_No picture: matplotlib is not installed (`pip install matplotlib`)._\n"
    return md


def write(cov: Coverage, out_dir: str, docs: bool = False) -> list[str]:
    """Write the page and the picture: ``out_dir/coverage.md`` and ``coverage.png`` beside it, or with
    ``docs`` the documentation page ``out_dir/coverage.md`` and ``out_dir/_static/coverage.png``."""
    os.makedirs(out_dir, exist_ok=True)
    png = os.path.join(out_dir, "_static" if docs else "", "coverage.png")
    drawn = plot(cov, png)
    link = ("_static/coverage.png" if docs else "coverage.png") if drawn else None
    md = markdown(cov, None, level=2)
    head = (["# Coverage", "",
             "Generated by `symce coverage --docs docs` (not by the Sphinx build: the matrix takes minutes); "
             "rerun it after adding a family.", ""] if docs else ["# symce coverage", ""])
    if link:
        head += [f"![The coverage matrix]({link})", ""]
    path = os.path.join(out_dir, "coverage.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(head) + "\n" + md)
    return [path] + ([png] if drawn else [])


__all__ = ["markdown", "plot", "section", "write", "groups"]
