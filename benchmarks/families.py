#!/usr/bin/env python3
"""The common families (issue 11), cold, side by side with plain SymPy first principles.

symce: the whole new catalog (``symce.families.COMMON``) in ONE FRESH PROCESS, timed from process start:
for every example H(P), its numeric code (``symce.lambdify``) and the proof KL(P‖P) = 0; for every
same-family pair H(P, Q) and KL(P‖Q), each with its gradient w.r.t. Q's parameters and the numeric code of
both. Goal: < 10 s.

plain SymPy (``plain_sympy.py``): the same items from the definition — ``integrate``/``summation`` of
−p log q (of p log(p/q) for KL) over the support, ``simplify``, ``diff`` + ``simplify`` w.r.t. Q's
parameters, ``lambdify`` — each in a forked child with a limit of ``--limit`` seconds of CPU time
(RLIMIT_CPU: a loaded machine does not shorten it; a wall-clock backstop of 3 × the limit + 30 s too).
An item stopped by the limit counts as the limit, so the total ratio is a lower bound. Goal: plain /
symce ≥ 100× over all items. Items plain SymPy cannot do (limit, or an error) are listed.

    python benchmarks/families.py [--limit S] [--jobs N] [--quick] [--markdown FILE]
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
    """(key, quantity, P's label, Q's label): every example's entropy, every same-family pair's CE and KL."""
    from symce import families

    out = [(f"H({e.label})", "entropy", e.label, None) for e in families.COMMON]
    for a, b in families.same_family_pairs():
        out += [(f"{q}({a.label} ‖ {b.label})", w, a.label, b.label) for q, w in (("CE", "cross_entropy"), ("KL", "kl"))]
    return out


def _norm(key: str) -> str:
    """Labels compared up to '_' vs '-' (family files renamed theirs while the catalog grew)."""
    return key.replace("_", "-")


def _example(label):
    from symce import families

    return next(e for e in families.COMMON if _norm(e.label) == _norm(label))


# -- symce, cold --------------------------------------------------------------------------------------
def cold_child(progress: bool = False) -> None:
    """In a fresh process: import symce, run every item, print JSON (seconds by item, totals, errors)."""
    t_import = time.perf_counter()
    import symce
    from symce.app.report import gradient_symbols
    from symce.core.limits import time_limit

    imported = time.perf_counter()
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
    print(json.dumps({"items": {_norm(k): v for k, v in items.items()}, "errors": errors, "proofs": proofs, "import_s": imported - t_import,
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


def cold_run() -> dict:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--cold-child"], stdout=subprocess.PIPE,
                       stderr=None, text=True)  # the child's progress lines go to our stderr
    if r.returncode != 0:
        raise RuntimeError(f"the cold child failed (exit {r.returncode})")
    out = json.loads(r.stdout.strip().splitlines()[-1])
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


def plain_run(items, limit: float, jobs: int, progress=print) -> dict:
    ctx = mp.get_context("fork")
    pending, running, out = list(items), {}, {}
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
            elif time.perf_counter() - t0 > 3 * limit + 30:
                p.kill()
                out[key] = ("limit", limit, "wall-clock backstop")
            else:
                continue
            p.join(1)
            rx.close()
            del running[key]
            progress(f"  plain {len(out):3d}/{len(items)}: {key:<52} {out[key][0]:<6} {out[key][1]:7.2f} s"
                     + (f"  {out[key][2]}" if out[key][2] else ""))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=float, default=None, help="CPU seconds per plain-SymPy item (default 10; 2 with --quick)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="plain-SymPy children at a time")
    ap.add_argument("--quick", action="store_true", help="plain SymPy on the first 6 items only")
    ap.add_argument("--markdown", metavar="FILE", help="also write the results as Markdown")
    ap.add_argument("--from-log", metavar="LOG", help="no run: the table from the progress lines of an earlier "
                                                     "(possibly interrupted) run, over the items plain SymPy reached")
    ap.add_argument("--cold-log", metavar="LOG", help="take symce's cold numbers (and plain results other than "
                                                     "errors) from an earlier run's output; run plain SymPy on the rest")
    ap.add_argument("--cold-child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.cold_child:
        cold_child(progress=True)
        return 0
    if a.from_log:
        return _render_log(a.from_log, a.limit or 10.0, a.markdown)
    limit = a.limit or (2.0 if a.quick else 10.0)
    reused: dict = {}
    if a.cold_log:  # the cold numbers (and plain results that are not errors) of an earlier run
        cold, total, _, reused = _parse_log(a.cold_log)
        reused = {k: v for k, v in reused.items() if v[0] != "error"}
        items = [it for it in _items() if _norm(it[0]) in cold["items"]]
        for n, (key, secs) in enumerate(cold["items"].items()):  # this run's output holds them too
            print(f"  symce {n + 1:3d}: {key:<52} {secs:7.3f} s")
    else:
        cold = cold_run()
        items = _items()
        total = (cold["age_s"] or 0.0) + cold["script_s"]
    print(f"symce cold: {len(items)} items, process start → done {total:.2f} s (CPU {cold['cpu_s']:.2f} s, import "
          f"{cold['import_s']:.2f} s); goal < {GOAL_COLD:g} s", flush=True)
    chosen = items[:6] if a.quick else items
    for i, (key, *_) in enumerate(it for it in chosen if it[0] in reused):
        note = f"  {reused[key][2]}" if reused[key][2] else ""
        print(f"  plain {i + 1:3d}/{len(chosen)}: {key:<52} {reused[key][0]:<6} {reused[key][1]:7.2f} s{note}")
    plain = {**reused, **plain_run([it for it in chosen if it[0] not in reused], limit, a.jobs)}
    lines = _table(cold, chosen, plain, limit, total)
    print("\n".join(lines))
    if a.markdown:
        with open(a.markdown, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        print(f"wrote {a.markdown}")
    return 0


def _render_log(path: str, limit: float, markdown: str | None) -> int:
    """The table from a run's output (``python benchmarks/families.py ... > LOG 2>&1``)."""
    cold, total, items, plain = _parse_log(path)
    lines = _table(cold, items, plain, limit, total)
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
        m = re.match(r"\s+plain\s+\d+/\d+: (.*?)\s+(ok|error|limit)\s+([\d.]+) s(?:  (.*))?$", line)
        if m:
            items.append((m.group(1),))
            plain[m.group(1)] = (m.group(2), float(m.group(3)), m.group(4) or "")
    return cold, total, items, plain


def _table(cold, items, plain, limit, total) -> list[str]:
    rows, s_sum, p_sum, cannot = [], 0.0, 0.0, []
    absent = [key for key, *_ in items if _norm(key) not in cold["items"]]  # a family file added meanwhile
    items = [it for it in items if _norm(it[0]) in cold["items"]]
    for key, *_ in items:
        s = cold["items"][_norm(key)]
        status, secs, note = plain[key]
        p = limit if status == "limit" else secs
        if status != "error":  # an error is no time to compare with: listed, not summed
            s_sum, p_sum = s_sum + s, p_sum + p
        if status != "ok" or note:
            cannot.append(f"{key} ({'CPU limit' if status == 'limit' else note})")
        shown = f"> {limit:g}" if status == "limit" else f"{secs:.2f}"
        ratio = "–" if status == "error" or s <= 0 else f"{'> ' if status == 'limit' else ''}{p / s:.0f}×"
        rows.append(f"| {key} | {s * 1000:.0f} | {shown} | {status}{': ' + note if note else ''} | {ratio} |")
    ratio = p_sum / s_sum if s_sum else float("nan")
    proofs = list(cold["proofs"].values())
    proved = f"KL(P‖P) = 0 proved for {proofs.count('proved')} of {len(proofs)} examples." if proofs else ""
    head = ["## The common families: symce cold vs plain SymPy", "",
            f"symce, one fresh process, {len(cold['items'])} items (every example's entropy + lambdify + "
            "KL(P‖P) = 0 proof; every same-family pair's H(P, Q) and KL with gradient + lambdify): "
            f"**{total:.2f} s** from process start (CPU {cold['cpu_s']:.2f} s; import {cold['import_s']:.2f} s); "
            f"goal < {GOAL_COLD:g} s (judged on CPU time, which other load does not inflate): "
            f"**{'met' if cold['cpu_s'] < GOAL_COLD else 'NOT met'}**. {proved}", "",
            f"plain SymPy (integrate/summation + simplify + diff + lambdify, each item in a fresh child, "
            f"{limit:g} s CPU limit) on {len(items)} items ({sum(plain[k][0] == 'error' for k, *_ in items)} errors "
            f"left out of the sums): {p_sum:.1f} s vs symce's {s_sum:.2f} s on the same items: "
            f"**{'> ' if cannot else ''}{ratio:.1f}×** (goal ≥ {GOAL_RATIO:g}×: "
            f"**{'met' if ratio >= GOAL_RATIO else 'NOT met'}**; items at the limit count as the limit).", "",
            "| item | symce (ms, cold) | plain SymPy (s CPU) | plain status | ratio |", "|---|---:|---:|---|---:|"]
    tail = ["", f"Plain SymPy cannot do {len(cannot)} of {len(items)} items (limit, error, or an Integral/Sum "
                f"left in the result): " + "; ".join(cannot) + "." if cannot else "Plain SymPy did every item."]
    if absent:
        tail += ["", "Not compared (examples added to the catalog after the cold run started): " + ", ".join(absent)]
    if cold["errors"]:
        tail += ["", "symce errors: " + "; ".join(cold["errors"])]
    return head + rows + tail


if __name__ == "__main__":
    sys.exit(main())
