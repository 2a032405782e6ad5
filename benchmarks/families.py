#!/usr/bin/env python3
"""The common families (issue 11), cold, side by side with plain SymPy first principles.

symce: the whole new catalog (``symce.families.COMMON``) in ONE FRESH PROCESS, timed from process start:
for every example H(P), its numeric code (``symce.lambdify``) and the proof KL(P‖P) = 0; for every
same-family pair H(P, Q) and KL(P‖Q), each with its gradient w.r.t. Q's parameters and the numeric code of
both. Goal: < 10 s of CPU time for the whole process (import included).

plain SymPy (``plain_sympy.py``): the same items from the definition — ``integrate``/``summation`` of
−p log q (of p log(p/q) for KL) over the support, ``simplify``, ``diff`` + ``simplify`` w.r.t. Q's
parameters, ``lambdify`` — each in a forked child with a limit of ``--limit`` seconds of CPU time
(RLIMIT_CPU: a loaded machine does not shorten it; a wall-clock backstop of 6 × the limit + 60 s too, which
counts the CPU time the child did get),
``--jobs`` children at a time. Goal: plain / symce ≥ 100×. Two ratios are reported: over the items both
finish (plain SymPy within the limit, no error), and over all items with an item stopped by the limit
counted as the limit (a lower bound). Items plain SymPy cannot do (limit, error, an Integral/Sum left in its
result) are listed. The LowRankMultivariateNormal items are shown apart as well as in the totals.

Every line of progress goes to the output as it happens; a run cut short resumes from its output:

    python benchmarks/families.py [--limit S] [--jobs N] [--quick] [--skip S,S] [--only S,S] [--markdown FILE]
    python benchmarks/families.py ... > LOG 2>&1                 # keep the progress lines
    python benchmarks/families.py --cold-log LOG ... > LOG2 2>&1  # resume: LOG's cold numbers and plain results
    python benchmarks/families.py --from-log LOG --markdown FILE  # the table from a log, no run
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
if os.path.dirname(_HERE) not in sys.path:
    sys.path.insert(1, os.path.dirname(_HERE))

GOAL_COLD, GOAL_RATIO = 10.0, 100.0
#: CPU seconds per symce item in the cold run (an item stopped there counts as the limit and is listed)
ITEM_LIMIT = 30.0


def _items():
    """(key, quantity, P's label, Q's label): every example's entropy, every same-family pair's CE and KL,
    less the items ``--skip``/``--only`` (the environment, so that the cold child sees them) leave out."""
    from symce import families

    out = [(f"H({e.label})", "entropy", e.label, None) for e in families.COMMON]
    for a, b in families.same_family_pairs():
        out += [(f"{q}({a.label} ‖ {b.label})", w, a.label, b.label) for q, w in (("CE", "cross_entropy"), ("KL", "kl"))]
    return [it for it in out if _chosen(it[0])]


def _chosen(key: str) -> bool:
    """An item is run unless a ``--skip`` substring is in its key, or ``--only`` substrings are given and
    none is (substrings compared up to '_' vs '-', case-insensitive)."""
    k = _norm(key).lower()
    skip = [_norm(s).lower() for s in os.environ.get("SYMCE_BENCH_SKIP", "").split(",") if s]
    only = [_norm(s).lower() for s in os.environ.get("SYMCE_BENCH_ONLY", "").split(",") if s]
    return not any(s in k for s in skip) and (not only or any(s in k for s in only))


def _norm(key: str) -> str:
    """Labels compared up to '_' vs '-' (family files renamed theirs while the catalog grew)."""
    return key.replace("_", "-")


def _example(label):
    from symce import families

    return next(e for e in families.COMMON if _norm(e.label) == _norm(label))


# -- symce, cold --------------------------------------------------------------------------------------
def cold_child(progress: bool = False) -> None:
    """In a fresh process: import symce, run every item, print JSON (seconds by item, totals, errors)."""
    t_import, c_import = time.perf_counter(), time.process_time()
    import symce
    from symce.app.report import gradient_symbols
    from symce.core.limits import time_limit

    imported, import_cpu = time.perf_counter(), time.process_time() - c_import
    items, errors, proofs = {}, [], {}

    def numeric(d):
        if d.is_infinite:
            return
        symce.lambdify(d)

    for key, which, la, lb in _items():
        c0 = time.process_time()
        try:
            with time_limit(f"{key} (derive, gradient, lambdify, proof)", ITEM_LIMIT):
                _cold_item(symce, gradient_symbols, numeric, proofs, key, which, la, lb)
        except Exception as e:  # noqa: BLE001 - recorded, the run goes on
            errors.append(f"{key}: {type(e).__name__}: {' '.join(str(e).split())[:160]}")
        items[key] = time.process_time() - c0
        if progress:
            print(f"  symce {len(items):3d}: {key:<52} {items[key]:7.3f} s", file=sys.stderr, flush=True)
    done = time.perf_counter()
    print(json.dumps({"items": {_norm(k): v for k, v in items.items()}, "errors": errors, "proofs": proofs, "import_s": import_cpu, "import_wall_s": imported - t_import,
                      "script_s": done - _T0, "cpu_s": time.process_time(), "age_s": _age_at_start}))


def _cold_item(symce, gradient_symbols, numeric, proofs, key, which, la, lb):
    """One item: derive, lambdify, and the KL(P‖P) = 0 proof (an example) or the gradient w.r.t. Q's
    parameters and its lambdify (a pair)."""
    P = _example(la).build(1)
    if which == "entropy":
        d = symce.entropy(P)
        numeric(d)
        proofs[key] = symce.kl_self_zero(P).status
        return
    Q = _example(lb).build(2)
    d = getattr(symce, which)(P, Q)
    numeric(d)
    wrt, _ = gradient_symbols(Q)
    if wrt and not d.is_infinite:
        numeric(d.gradient(wrt[0] if len(wrt) == 1 else wrt))


def _process_age():
    try:
        with open("/proc/self/stat") as f:
            start = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            return max(0.0, float(f.read().split()[0]) - start / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


_age_at_start = _process_age()


def _bytecode_env(from_source: bool) -> dict:
    """The cold child's environment. By default symce's modules are byte-compiled first (untimed) into a private
    cache (PYTHONPYCACHEPREFIX), as an installed package is (pip compiles at install; a checkout writes
    ``__pycache__`` at its first import): with PYTHONDONTWRITEBYTECODE set, as on the shared development
    machine, every cold run otherwise compiled symce's ~200 modules from source, about 0.5-1 s of CPU that
    no user's process pays. ``from_source`` keeps the environment as it is (and that cost in)."""
    env = dict(os.environ)
    if from_source:
        return env
    import tempfile

    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cache = os.path.join(tempfile.gettempdir(), f"symce-bench-pycache-{os.getuid()}")
    env["PYTHONPYCACHEPREFIX"] = cache  # looked up there for every module, SymPy's and NumPy's too
    if not os.path.exists(os.path.join(cache, "warmed")):
        # the first time, one untimed cold run fills the cache with every module the child imports
        subprocess.run([sys.executable, os.path.abspath(__file__), "--cold-child"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        open(os.path.join(cache, "warmed"), "w").close()
    package = os.path.join(os.path.dirname(_HERE), "symce")  # symce's modules edited since: compiled again
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], env=env, check=True, stdout=subprocess.DEVNULL)
    return env


def cold_run(from_source: bool = False) -> dict:
    env = _bytecode_env(from_source)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--cold-child"], stdout=subprocess.PIPE,
                       stderr=None, text=True, env=env)  # the child's progress lines go to our stderr
    if r.returncode != 0:
        raise RuntimeError(f"the cold child failed (exit {r.returncode})")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["bytecode"] = "compiled from source" if from_source else "byte-compiled beforehand"
    out["wall_s"] = time.perf_counter() - t0  # process start → done, as the parent sees it
    return out


# -- plain SymPy, item by item in children under a CPU limit ------------------------------------------
def _plain(conn, which, la, lb, limit):
    import resource

    import sympy
    import plain_sympy as plain
    from symce.app.report import gradient_symbols

    bounds = plain._bounds
    # the whole-number supports as a SymPy user sums over them: Σ_{x=0}^{∞} (plain_sympy knows Range only)
    plain._bounds = lambda S: (0, sympy.oo) if S == sympy.Naturals0 else (1, sympy.oo) if S == sympy.Naturals else bounds(S)
    resource.setrlimit(resource.RLIMIT_CPU, (int(limit) + 1, int(limit) + 2))
    sympy.core.cache.clear_cache()
    t0 = time.process_time()
    try:
        P = _example(la).build(1)
        Q = P if lb is None else _example(lb).build(2)
        v = plain.quantity(P, Q, which)
        exprs = [v]
        if which != "entropy":
            wrt, _ = gradient_symbols(Q)
            exprs += plain.gradient(v, wrt)
        plain.lambdify(exprs)
        kept = v.has(sympy.Integral) or any(s.limits[0][2] == sympy.oo for s in v.atoms(sympy.Sum))
        conn.send(("ok", time.process_time() - t0, "Integral/Sum left" if kept else ""))
    except Exception as e:  # noqa: BLE001
        conn.send(("error", time.process_time() - t0, f"{type(e).__name__}: {' '.join(str(e).split())[:80]}"))


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a running child has used, from /proc; 0 where it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def plain_run(items, limit: float, jobs: int, done: int = 0, total: int | None = None, progress=print) -> dict:
    """{key: (status, CPU seconds, note)}; one progress line per item as it ends (``done`` items before it, of
    ``total``), with the wall-clock time since the start of the plain run."""
    ctx = mp.get_context("fork")
    pending, running, out = list(items), {}, {}
    total, start = total or len(items), time.perf_counter()
    while pending or running:
        while pending and len(running) < jobs:
            key, which, la, lb = pending.pop(0)
            rx, tx = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_plain, args=(tx, which, la, lb, limit), daemon=True)
            p.start()
            tx.close()
            running[key] = (p, rx, time.perf_counter())
        time.sleep(0.02)
        for key, (p, rx, t0) in list(running.items()):
            if rx.poll():
                try:
                    out[key] = rx.recv()
                except EOFError:
                    out[key] = ("limit", limit, "")
            elif not p.is_alive():  # SIGXCPU: the CPU limit
                out[key] = ("limit", limit, "")
            elif time.perf_counter() - t0 > 6 * limit + 60:
                used = _cpu_of(p.pid)  # on a loaded machine: what it did get, a lower bound all the same
                p.kill()
                out[key] = ("limit", used, "wall-clock backstop")
            else:
                continue
            p.join(1)
            rx.close()
            del running[key]
            m, sec = divmod(int(time.perf_counter() - start), 60)
            progress(f"  plain {done + len(out):3d}/{total} [{m}:{sec:02d}]: {key:<52} {out[key][0]:<6} "
                     f"{out[key][1]:7.2f} s" + (f"  {out[key][2]}" if out[key][2] else ""), flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=float, default=None,
                    help="CPU seconds per plain-SymPy item (default 60; 2 with --quick)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="plain-SymPy children at a time")
    ap.add_argument("--quick", action="store_true", help="plain SymPy on the first 6 items only")
    ap.add_argument("--cold-only", action="store_true", help="the cold symce run only, no plain SymPy")
    ap.add_argument("--markdown", metavar="FILE", help="also write the results as Markdown")
    ap.add_argument("--from-log", metavar="LOG", help="no run: the table from the progress lines of an earlier "
                                                     "(possibly interrupted) run, over the items plain SymPy reached")
    ap.add_argument("--cold-log", metavar="LOG", help="resume: symce's cold numbers and the plain results of an "
                                                     "earlier run's output (a result stopped at a shorter limit, or an "
                                                     "error, is run again); plain SymPy on the rest")
    ap.add_argument("--skip", metavar="S,S", help="leave out the items whose key contains one of these "
                                                   "comma-separated substrings (e.g. lowrank)")
    ap.add_argument("--only", metavar="S,S", help="run only the items whose key contains one of these substrings")
    ap.add_argument("--from-source", action="store_true",
                    help="the cold child compiles symce from source as the environment says (PYTHONDONTWRITEBYTECODE); "
                         "by default symce is byte-compiled beforehand, untimed, as an installed package is")
    ap.add_argument("--cold-child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    for name, value in (("SYMCE_BENCH_SKIP", a.skip), ("SYMCE_BENCH_ONLY", a.only)):
        if value is not None:  # the cold child reads them from its environment
            os.environ[name] = value
    if a.cold_child:
        cold_child(progress=True)
        return 0
    if a.from_log:
        return _render_log(a.from_log, a.markdown)
    limit = a.limit or (2.0 if a.quick else 60.0)
    reused: dict = {}
    if a.cold_log:  # the cold numbers and plain results of an earlier run
        cold, total, _, reused = _parse_log(a.cold_log)
        # a limit shorter than this run's, or an error (the harness may have changed), is run again
        reused = {k: v for k, v in reused.items() if v[0] == "ok" or (v[0] == "limit" and v[1] >= limit)}
        items = _items()  # those missing from LOG's cold run are listed apart (a later cold log can fill them)
        for n, (key, secs) in enumerate(cold["items"].items()):  # this run's output holds them too
            print(f"  symce {n + 1:3d}: {key:<52} {secs:7.3f} s")
    else:
        cold = cold_run(a.from_source)
        items = _items()
        total = (cold["age_s"] or 0.0) + cold["script_s"]
    print(f"symce cold: {len(items)} items, process start → done {total:.2f} s (CPU {cold['cpu_s']:.2f} s, import "
          f"{cold['import_s']:.2f} s); goal < {GOAL_COLD:g} s"
          + (f"; symce's modules {cold['bytecode']}" if cold.get("bytecode") else ""), flush=True)
    chosen = [] if a.cold_only else items[:6] if a.quick else items
    if chosen:
        print(f"plain SymPy: {len(chosen)} items, {limit:g} s CPU limit each, {a.jobs} at a time", flush=True)
    done = [it for it in chosen if it[0] in reused]
    for i, (key, *_) in enumerate(done):
        note = f"  {reused[key][2]}" if reused[key][2] else ""
        print(f"  plain {i + 1:3d}/{len(chosen)} [reused]: {key:<52} {reused[key][0]:<6} {reused[key][1]:7.2f} s{note}")
    plain = {**reused, **plain_run([it for it in chosen if it[0] not in reused], limit, a.jobs, len(done), len(chosen))}
    lines = _table(cold, chosen, plain, total)
    print("\n".join(lines))
    if a.markdown:
        with open(a.markdown, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        print(f"wrote {a.markdown}")
    return 0


def _render_log(path: str, markdown: str | None) -> int:
    """The table from a run's output (``python benchmarks/families.py ... > LOG 2>&1``)."""
    cold, total, items, plain = _parse_log(path)
    lines = _table(cold, items, plain, total)
    lines.insert(2, f"_Rendered from the progress log of a run (`--from-log`): plain SymPy reached {len(items)} of "
                    f"{len(cold['items'])} items; the comparison is over those items._\n")
    print("\n".join(lines))
    if markdown:
        with open(markdown, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    return 0


def _parse_log(path: str):
    """(cold, total seconds, plain items, plain results) from the progress lines of a run."""
    import re

    cold = {"items": {}, "errors": [], "proofs": {}}
    items, plain, total = [], {}, float("nan")
    for line in open(path, encoding="utf-8"):
        m = re.match(r"symce cold: \d+ items, process start → done ([\d.]+) s \(CPU ([\d.]+) s, import ([\d.]+) s\)", line)
        if m:
            total, cold["cpu_s"], cold["import_s"] = (float(g) for g in m.groups())
        m = re.match(r"\s+symce\s+\d+: (.*?)\s+([\d.]+) s$", line)
        if m:
            cold["items"][_norm(m.group(1))] = float(m.group(2))
        m = re.match(r"\s+plain\s+\d+/\d+(?: \[[^\]]*\])?: (.*?)\s+(ok|error|limit)\s+([\d.]+) s(?:  (.*))?$", line)
        if m:
            if m.group(1) not in plain:
                items.append((m.group(1),))
            plain[m.group(1)] = (m.group(2), float(m.group(3)), m.group(4) or "")
    return cold, total, items, plain


def _lowrank(key: str) -> bool:
    return "lowrank" in key.lower()


def _ratio(p: float, s: float) -> str:
    return f"{p / s:.1f}×" if s > 0 else "–"


def _table(cold, items, plain, total) -> list[str]:
    """The Markdown: the summary against the goals, the item table, what plain SymPy cannot do."""
    rows, cannot = [], []
    absent = [key for key, *_ in items if _norm(key) not in cold["items"]]  # a family file added meanwhile
    items = [it for it in items if _norm(it[0]) in cold["items"]]
    # (symce s, plain s) sums: all comparable items (lower bound), the items both finish; each with/without LowRank
    sums = {k: [0.0, 0.0, 0] for k in ("all", "all-lr", "both", "both-lr")}
    for key, *_ in items:
        s = cold["items"][_norm(key)]
        status, secs, note = plain[key]
        groups = [] if status == "error" else ["all"] + (["both"] if status == "ok" else [])
        for g in groups + [g + "-lr" for g in groups if not _lowrank(key)]:
            sums[g][0] += s
            sums[g][1] += secs  # a limit row holds the limit it was stopped at
            sums[g][2] += 1
        if status != "ok" or note:
            cannot.append(f"{key} ({f'stopped at {secs:.0f} s CPU' if status == 'limit' else note})")
        shown = f"> {secs:.1f}" if status == "limit" else f"{secs:.2f}"
        ratio = "–" if status == "error" or s <= 0 else f"{'> ' if status == 'limit' else ''}{secs / s:.0f}×"
        rows.append(f"| {key} | {s * 1000:.0f} | {shown} | {status}{': ' + note if note else ''} | {ratio} |")
    lr = sum(v for k, v in cold["items"].items() if _lowrank(k))
    n_lr = sum(1 for k in cold["items"] if _lowrank(k))
    cpu = cold["cpu_s"]
    proofs = list(cold["proofs"].values())
    proved = f" KL(P‖P) = 0 proved for {proofs.count('proved')} of {len(proofs)} examples." if proofs else ""
    met = lambda ok: "met" if ok else "**not met**"  # noqa: E731
    head = ["## The common families: symce cold vs plain SymPy", "",
            f"symce, one fresh process, {len(cold['items'])} items (every example's entropy + lambdify + "
            "KL(P‖P) = 0 proof; every same-family pair's H(P, Q) and KL with gradient + lambdify): "
            f"**CPU {cpu:.2f} s** for the whole process (import {cold['import_s']:.2f} s), {total:.2f} s wall from "
            f"process start" + (f", symce's modules {cold['bytecode']}" if cold.get("bytecode") else "")
            + f".{proved}", "",
            "| measure | value | goal | status |", "|---|---:|---:|---|",
            f"| symce cold, whole catalog, CPU | {cpu:.2f} s | < {GOAL_COLD:g} s | {met(cpu < GOAL_COLD)} |"]
    if n_lr:
        head += [f"| … of which the {n_lr} LowRankMultivariateNormal items | {lr:.2f} s | | |",
                 f"| symce cold without LowRank, CPU | {cpu - lr:.2f} s | < {GOAL_COLD:g} s | {met(cpu - lr < GOAL_COLD)} |"]
    for g, what in (("both", "items both finish"), ("all", "all comparable items, a limit counted as the limit")):
        for sub, label in ((g, ""), (g + "-lr", ", without LowRank")):
            s_sum, p_sum, n = sums[sub]
            if n and (sub == g or n != sums[g][2]):
                bound = "> " if g == "all" and any(plain[k][0] == "limit" for k, *_ in items
                                                     if sub == g or not _lowrank(k)) else ""
                head.append(f"| plain SymPy / symce, {what}{label} ({n}): {p_sum:.1f} s / {s_sum:.2f} s | "
                            f"{bound}{_ratio(p_sum, s_sum)} | ≥ {GOAL_RATIO:g}× | {met(s_sum and p_sum / s_sum >= GOAL_RATIO)} |")
    errors = sum(plain[k][0] == "error" for k, *_ in items)
    head += ["", f"plain SymPy: integrate/summation + simplify + diff + lambdify, each item in a fresh child under a "
                 f"CPU limit; {len(items)} items, {errors} errors (no time to compare: left out of the sums).", "",
             "| item | symce (ms, cold) | plain SymPy (s CPU) | plain status | ratio |", "|---|---:|---:|---|---:|"]
    tail = ["", f"Plain SymPy cannot do {len(cannot)} of {len(items)} items (limit, error, or an Integral/Sum "
                f"left in the result): " + "; ".join(cannot) + "." if cannot else "Plain SymPy did every item."]
    if absent:
        tail += ["", "Not compared (not in the cold run's log): " + ", ".join(absent)]
    if cold["errors"]:
        tail += ["", "symce errors: " + "; ".join(cold["errors"])]
    return head + rows + tail


if __name__ == "__main__":
    sys.exit(main())
