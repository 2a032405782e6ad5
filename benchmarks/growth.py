"""Growth with size (table (c') of ``benchmarks/run.py``; issue 14): each scale item at several sizes k or d,
each size in a fresh forked child, after one run at size 3 (the symbolic-size derivation all sizes share,
paid once per process), timed in CPU time
(``time.process_time``, which other load on the machine does not inflate). Per item: the times, the growth
exponent b of t ≈ c·nᵇ fitted by least squares on log t against log n, and the goal of the issue at its
size. ``plot`` draws time against size (log–log, matplotlib) next to the Markdown results.

    python benchmarks/growth.py [--quick] [--limit S] [--plot FILE] [--only PREFIX]
"""

from __future__ import annotations

import math
import os
import time

# (item, sizes, sizes with --quick, (size, goal seconds) or None)
ITEMS = [
    ("categorical CE + gradient, softmax logits (k)", (100, 1000, 10_000, 100_000), (100, 1000), (10_000, 0.5)),
    ("categorical KL + gradient, probabilities (k)", (100, 1000, 10_000, 100_000), (100, 1000), (10_000, 1.0)),
    ("MVN Σ = LLᵀ: KL + gradient (d)", (2, 4, 8, 12, 16, 24, 32), (2, 4, 8), (32, 5.0)),
    ("MVN full Σ: KL + gradient (d)", (2, 3, 4, 5, 6, 8, 12), (2, 3), (12, 2.0)),
    ("MVN constructor, numeric SPD Σ (d)", (8, 16, 32, 64), (8, 16), None),
    ("MVN constructor, symbolic full Σ (d)", (4, 8, 16, 32), (4, 8), None),
]
#: the second goal of the categorical items: k = 10⁵ in under 10 s
BIG_K_GOAL = (100_000, 10.0)


def _cpu(f) -> float:
    t0 = time.process_time()
    f()
    return time.process_time() - t0


def measure(item: str, n: int, warm: bool = True) -> float:
    """CPU seconds of ``item`` at size ``n``, derivation and gradient only (the distributions are built
    first and not counted, except for the constructor items). The memo is cleared; with ``warm``, the
    item is first run once at size 3 (2 when n = 3), which pays what every size shares once per process (the
    symbolic-size derivation the explicit sizes instantiate, lazy imports), so the times show growth."""
    import sympy as sp

    import symce

    symce.clear_cache()
    if warm:
        measure(item, 3 if n != 3 else 2, warm=False)  # another size: not a memo hit for the timed one
    if item.startswith("categorical CE"):
        P = symce.Categorical(list(sp.symbols(f"t1:{n + 1}", positive=True)))
        Q = symce.Categorical.from_logits(k=n, name="z")
        zs = list(Q.entries)
        return _cpu(lambda: symce.cross_entropy(P, Q).gradient(zs))
    if item.startswith("categorical KL"):
        P = symce.Categorical(list(sp.symbols(f"t1:{n + 1}", positive=True)))
        qs = list(sp.symbols(f"q1:{n + 1}", positive=True))
        Q = symce.Categorical(qs)
        return _cpu(lambda: symce.kl(P, Q).gradient(qs))
    MVN = symce.MultivariateNormal
    if item.startswith("MVN constructor, numeric"):
        L = sp.Matrix(n, n, lambda i, j: sp.Rational((7 * i + 3 * j) % 9 + 1, 7) if i >= j else 0)
        S = L * L.T
        return _cpu(lambda: MVN([0] * n, S))
    if item.startswith("MVN constructor, symbolic"):
        return _cpu(lambda: MVN.symbolic(n, "1", cholesky=False))
    chol = "LLᵀ" in item
    P, Q = MVN.symbolic(n, "1", cholesky=chol), MVN.symbolic(n, "2", cholesky=chol)
    wrt = sorted((s for s in Q.free_symbols if isinstance(s, sp.Symbol) and not s.is_integer), key=str)
    return _cpu(lambda: symce.kl(P, Q).gradient(wrt))


def exponent(points: list[tuple[int, float]]) -> float | None:
    """b of t ≈ c·nᵇ by least squares on (log n, log t); None with fewer than two sizes."""
    pts = [(math.log(n), math.log(t)) for n, t in points if t > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else None


def kill_limit(limit: float, quick: bool = False) -> float:
    """The wall time a child may run: a child also builds 2·10⁵ symbols and runs its warm-up, so at
    least a minute in the full run (the goals are judged on the CPU time the child reports)."""
    return limit if quick else max(limit, 60.0)


def run(run_limited, limit: float, quick: bool = False, parallel: int = 1, only: str | None = None) -> dict:
    """{item: [(n, status, seconds)]}; sizes of an item after its first timeout are skipped; ``only``: just
    the items whose name starts with it (e.g. "categorical")."""
    jobs = []
    for item, sizes, small, _ in ITEMS:
        if only and not item.startswith(only):
            continue
        for n in (small if quick else sizes):
            jobs.append(((item, n), measure, (item, n), item))
    kill = kill_limit(limit, quick)
    res = run_limited(jobs, kill, kill * len(jobs) + 1, parallel, max_group_timeouts=1)
    out: dict = {}
    for (item, n), (status, secs, note) in res.items():
        # the child's own figure (derivation and gradient only) where it answered
        t = note if status == "ok" and isinstance(note, float) else secs
        out.setdefault(item, []).append((n, status, t if status == "ok" else None, note))
    for rows in out.values():
        rows.sort()
    return out


def size_name(item: str) -> str:
    """The size an item grows with: the letter in its trailing parentheses, "(k)" or "(d)"."""
    return item.rsplit("(", 1)[-1].rstrip(")") if item.endswith(")") else "n"


def goals_of(item: str, goal) -> list:
    """The issue's goals for an item: its own, and for the categorical items also k = 10⁵ < 10 s."""
    if goal is None:
        return []
    return [goal] + ([BIG_K_GOAL] if item.startswith("categorical") else [])


def table(Table, ms, verdict, results: dict, limit: float):
    """One row per item: its name, every size with its time, the exponent and each goal with its verdict
    (the goals of an item share its row, so no row is left without its item's name). ``limit``: the wall
    time children were killed at (:func:`kill_limit`)."""
    t = Table(f"(c') growth with size: CPU time per size (fresh process, after a size-3 run; killed at {limit:g} s wall)",
              ["item", "CPU time by size", "exponent b (t ≈ c·nᵇ)", "goal", "status"])
    for item, _, _, goal in ITEMS:
        if item not in results:  # not asked for (--only)
            continue
        rows = results[item]
        n = size_name(item)
        cells = []
        for size, status, secs, note in rows:
            if status == "ok":
                cells.append(f"{n} = {size:,}: {ms(secs)}")
            elif status == "timeout":
                cells.append(f"{n} = {size:,}: > {limit:g} s wall")
            elif status == "skipped":
                continue
            else:
                cells.append(f"{n} = {size:,}: {status} ({str(note)[:60]})")
        b = exponent([(size, secs) for size, st, secs, _ in rows if st == "ok"])
        goal_cells, status_cells = [], []
        for g_size, g_secs in goals_of(item, goal):
            at = [(st, secs) for size, st, secs, _ in rows if size == g_size]
            goal_cells.append(f"{n} = {g_size:,}: < {g_secs:g} s")
            if not at:
                status_cells.append(f"{n} = {g_size:,}: not run")
            elif at[0][0] == "ok":
                status_cells.append(f"{n} = {g_size:,}: {verdict(at[0][1], g_secs)} ({ms(at[0][1])})")
            elif at[0][0] == "skipped":
                status_cells.append(f"{n} = {g_size:,}: not run (a smaller size timed out)")
            else:
                status_cells.append(f"{n} = {g_size:,}: OVER ({at[0][0]})")
        t.add(item, "; ".join(cells) or "not run", f"{b:.2f}" if b is not None else "n/a",
              "; ".join(goal_cells) or "none set", "; ".join(status_cells) or "–")
    t.notes.append("exponent: least-squares slope of log t against log n over the sizes that finished; "
                   "1 is linear in k, 3 cubic in d.")
    return t


def plot(results: dict, path: str) -> str:
    """Time against size, log–log, one line per item (its exponent in the legend), the issue's goals as
    crosses; ticks at the measured sizes. Returns a note for the table."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FixedFormatter, FixedLocator, NullFormatter, NullLocator
    except ImportError:
        return "plot skipped: matplotlib is not installed (pip install 'symce[plot]')"
    fig, axes = plt.subplots(1, 2, figsize=(12, 6.2))
    goal_of = {item: goal for item, _, _, goal in ITEMS}
    sizes: dict = {0: set(), 1: set()}
    for item, rows in results.items():
        pts = [(n, s) for n, st, s, _ in rows if st == "ok" and s]
        if not pts:
            continue
        panel = 0 if item.startswith("categorical") else 1
        ax = axes[panel]
        b = exponent(pts)
        name = item.rsplit(" (", 1)[0]
        line, = ax.loglog(*zip(*pts), marker="o", label=f"{name}: b = {b:.2f}" if b is not None else name)
        sizes[panel] |= {n for n, _ in pts}
        for g_size, g_secs in goals_of(item, goal_of.get(item)):
            ax.plot([g_size], [g_secs], marker="x", markersize=11, markeredgewidth=2.5, color=line.get_color(),
                    linestyle="none")
            sizes[panel].add(g_size)
    for panel, (ax, xl) in enumerate(zip(axes, ("number of classes k", "dimension d"))):
        if sizes[panel]:  # a tick at every measured size, written out (log axes label only powers of ten)
            ticks = sorted(sizes[panel])
            ax.xaxis.set_major_locator(FixedLocator(ticks))
            ax.xaxis.set_major_formatter(FixedFormatter([f"{t:,}" for t in ticks]))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(xl)
        ax.set_ylabel("CPU time per derivation (s)")
        ax.grid(True, which="both", alpha=0.3)
        ax.plot([], [], marker="x", color="grey", linestyle="none", markeredgewidth=2.5, label="goal of issue 14")
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, frameon=False)  # below: no line hidden
    axes[0].set_title("categorical, explicit k", fontsize=10)
    axes[1].set_title("multivariate normal, dimension d", fontsize=10)
    fig.suptitle("symce: CPU time against size, log–log (benchmarks/growth.py; b: fitted exponent of t ≈ c·nᵇ)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"plot: {os.path.relpath(path)}"


def main(argv=None) -> int:
    import argparse

    import run as bench

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--limit", type=float, default=20.0)
    p.add_argument("--plot", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "scale.png"))
    p.add_argument("--only", metavar="PREFIX", help='only the items whose name starts with PREFIX ("categorical", "MVN")')
    a = p.parse_args(argv)
    res = run(bench.run_limited, a.limit, a.quick, only=a.only)
    t = table(bench.Table, bench.ms, bench.verdict, res, kill_limit(a.limit, a.quick))
    t.notes.append(plot(res, a.plot))
    print(t.text())
    return 0


if __name__ == "__main__":
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
