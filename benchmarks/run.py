#!/usr/bin/env python3
"""symce benchmarks (``make bench``): one process, four tables.

(a) cold run — from process start (``import symce`` measured inside) to the whole catalog derived,
    canonicalised, differentiated, proved and lambdified; the slowest single step; then a repeated
    request answered from the memo. Goals: < 3 s in total, no step > 0.5 s, memo < 5 ms.
(b) plain SymPy — the same quantities from first principles (``integrate``/``summation`` of −p log q over
    the support, ``simplify``, ``diff``, ``lambdify``; see ``plain_sympy.py``), each item in a child
    process killed at ``--limit`` seconds (shown as "> limit"), with the ratio plain/symce per item and in
    total. Items still waiting when ``--budget`` seconds have passed are skipped, so the run never hangs.
(c) scale — softmax cross-entropy plus gradient at k = 1000 (goal < 0.1 s) and the d = 5 Gaussian KL
    with Σ = LLᵀ plus gradient (goal < 0.5 s), against plain SymPy under the same limit (CPU time).
(c') growth — each scale item at several sizes k or d (``growth.py``): CPU times, the fitted exponent b
    of t ≈ c·nᵇ, the goals of issue 14, and a plot of time against size (``scale.png``).

Everything is driven by the catalog (``symce.families.EXAMPLES``/``pairs()``); families are looked up by
attribute (``getattr(symce, "Categorical", None)``) so the scale items appear as soon as they exist.

    python benchmarks/run.py [--limit S] [--budget S] [--jobs N] [--quick] [--markdown FILE]
"""

from __future__ import annotations

import time

_T_SCRIPT = time.perf_counter()  # first thing: everything below counts towards the cold run


def _process_age() -> float | None:
    """Seconds since this process started (Linux /proc), to count interpreter start-up too."""
    try:
        import os

        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return None


_AGE_AT_SCRIPT = _process_age()

import argparse  # noqa: E402
import multiprocessing as mp  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
if os.path.dirname(_HERE) not in sys.path:  # run from a checkout without installing
    sys.path.insert(1, os.path.dirname(_HERE))

GOAL_TOTAL, GOAL_STEP, GOAL_MEMO = 3.0, 0.5, 0.005
GOAL_CAT, GOAL_MVN = 0.1, 0.5


def _args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--limit", type=float, default=None, help="seconds per plain-SymPy item (default 20; 1 with --quick)")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds for all plain-SymPy catalog items together (default 180; 10 with --quick)")
    p.add_argument("--jobs", type=int, default=None, help="plain-SymPy items run in parallel (default: CPUs, at most 4)")
    p.add_argument("--quick", action="store_true", help="a short smoke run: small limits, a few plain items")
    p.add_argument("--k", type=int, default=1000, help="classes of the categorical scale item (default 1000)")
    p.add_argument("--d", type=int, default=5, help="dimension of the Gaussian scale item (default 5)")
    p.add_argument("--lambdify", choices=("symce", "sympy"), default="symce",
                   help="numeric code by symce.lambdify (stabilised; default) or plain sympy.lambdify")
    p.add_argument("--markdown", metavar="FILE", help="also write the tables as Markdown to FILE")
    a = p.parse_args(argv)
    if a.limit is None:
        a.limit = 1.0 if a.quick else 20.0
    if a.budget is None:
        a.budget = 10.0 if a.quick else 180.0
    if a.jobs is None:
        a.jobs = max(1, min(4, os.cpu_count() or 1))
    if a.limit <= 0 or a.budget <= 0 or a.jobs < 1:
        p.error("--limit and --budget must be positive and --jobs at least 1")
    return a


# -- tables ------------------------------------------------------------------------------------------
class Table:
    def __init__(self, title: str, head: list[str], notes: list[str] | None = None):
        self.title, self.head, self.rows, self.notes = title, head, [], notes or []

    def add(self, *row) -> None:
        self.rows.append([str(c) for c in row])

    def text(self) -> str:
        w = [max(len(r[i]) for r in [self.head, *self.rows]) for i in range(len(self.head))]
        fmt = lambda r: "  ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r))  # noqa: E731
        lines = [self.title, "=" * len(self.title), fmt(self.head), "  ".join("-" * x for x in w)]
        lines += [fmt(r) for r in self.rows] + self.notes
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", "| " + " | ".join(self.head) + " |",
                 "|" + "|".join(["---"] + ["---:"] * (len(self.head) - 1)) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in self.rows]
        if self.notes:
            lines += [""] + [f"{n}  " for n in self.notes]
        return "\n".join(lines) + "\n"


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def verdict(value: float, goal: float) -> str:
    return "ok" if value < goal else "OVER"


# -- (a) cold run -------------------------------------------------------------------------------------
class Cold:
    """Timed steps of the cold run, keyed by (section, quantity, phase)."""

    def __init__(self):
        self.steps: list[tuple[str, str, str, float, str]] = []  # section, quantity, phase, seconds, error
        self.skipped: list[str] = []  # results of symbolic size, which numeric code cannot take
        self.proofs: list[str] = []  # statuses of the proofs that ran

    def run(self, section, quantity, phase, f):
        t0 = time.perf_counter()
        err, out = "", None
        try:
            out = f()
        except Exception as e:  # noqa: BLE001 - a failing step is shown in the table, never fatal
            err = f"{type(e).__name__}: {' '.join(str(e).split())[:120]}"
        self.steps.append((section, quantity, phase, time.perf_counter() - t0, err))
        if phase == "prove" and out is not None:
            self.proofs.append("not applicable" if isinstance(out, tuple) else getattr(out, "status", "?"))
        return out

    def item_time(self, section, quantity) -> float:
        return sum(s[3] for s in self.steps if s[0] == section and s[1] == quantity)


def _symbolic_size(expr) -> bool:
    """A result at symbolic k or d (matrix symbols, sums up to k): lambdified only once instantiated."""
    import sympy as sp

    entries = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    return any(isinstance(e, sp.Basic) and (e.atoms(sp.MatrixSymbol) or
                                             any(s.is_integer for s in e.free_symbols if isinstance(s, sp.Symbol)))
               for e in entries)


def _lambdify_fn(symce, which: str = "symce"):
    import sympy as sp

    fn = getattr(symce, "lambdify", None)
    if fn is not None and which == "symce":
        return lambda d: fn(d, backend="numpy")

    def plain(d):  # until symce.lambdify exists: SymPy's own printer
        e = d.result
        syms = sorted(e.free_symbols, key=str)
        return sp.lambdify(syms, e, "numpy")
    return plain


def cold_run(lambdify_with: str = "symce"):
    t_import = time.perf_counter()
    import symce
    from symce import families
    from symce.app.report import gibbs_if_applicable, gradient_symbols
    t_imported = time.perf_counter()

    cold = Cold()
    lam = _lambdify_fn(symce, lambdify_with)

    def grad(d, Q):
        if d is None or d.is_infinite:
            return None
        wrt, _ = gradient_symbols(Q)
        if not wrt:
            return None
        return d.gradient(wrt[0] if len(wrt) == 1 else wrt)

    def lam_of(d):
        if d is None or d.is_infinite:
            return None
        if _symbolic_size(d.result):
            cold.skipped.append(d.lhs)
            return None
        return lam(d)

    for ex in families.EXAMPLES:
        P = cold.run(ex.label, "build", "build", lambda: ex.build(1))
        if P is None:
            continue
        d = cold.run(ex.label, "H(P)", "derive", lambda: symce.entropy(P))
        cold.run(ex.label, "H(P)", "lambdify", lambda: lam_of(d))
        cold.run(ex.label, "KL(P‖P) = 0", "prove", lambda: symce.kl_self_zero(P))
    for a, b in families.pairs():
        sec = f"{a.label} ‖ {b.label}"
        PQ = cold.run(sec, "build", "build", lambda: (a.build(1), b.build(2)))
        if PQ is None:
            continue
        P, Q = PQ
        for name, f in (("H(P,Q)", symce.cross_entropy), ("KL(P‖Q)", symce.kl)):
            d = cold.run(sec, name, "derive", lambda: f(P, Q))
            g = cold.run(sec, name, "differentiate", lambda: grad(d, Q))
            cold.run(sec, name, "lambdify", lambda: lam_of(d))
            cold.run(sec, name, "lambdify", lambda: lam_of(g))
        cold.run(sec, "KL = H(P,Q) − H(P)", "prove", lambda: symce.kl_decomposition(P, Q))
        if type(P) is type(Q) and list(P.parameters) == list(Q.parameters):
            cold.run(sec, "Gibbs", "prove", lambda: gibbs_if_applicable(P, Q))
    t_done = time.perf_counter()
    cpu_done = time.process_time()  # CPU time since process start: what a loaded machine does not inflate

    # a repeated request: fresh but equal distributions, answered from the memo
    memo = []
    for a, b in families.pairs():
        try:
            P, Q = a.build(1), b.build(2)
        except Exception:  # noqa: BLE001
            continue
        t0 = time.perf_counter()
        symce.kl(P, Q)
        memo.append((time.perf_counter() - t0, f"{a.label} ‖ {b.label}"))
    return symce, cold, dict(import_s=t_imported - t_import, catalog_s=t_done - t_imported,
                             script_to_done=t_done - _T_SCRIPT, memo=memo, cpu_s=cpu_done,
                             lambdify_with=lambdify_with if getattr(symce, "lambdify", None) else "sympy")


def cold_tables(cold: Cold, info: dict) -> list[Table]:
    age = _AGE_AT_SCRIPT
    total = info["script_to_done"] + (age or 0.0)
    slow = max(cold.steps, key=lambda s: s[3]) if cold.steps else ("", "", "", 0.0, "")
    t = Table("(a) cold run: the whole catalog in one fresh process", ["measure", "time", "goal", "status"])
    t.add("interpreter start-up (before the script)", ms(age), "", "")
    t.add("import symce", ms(info["import_s"]), "", "")
    phases = {}
    for s in cold.steps:
        phases.setdefault(s[2], []).append(s[3])
    for phase in ("build", "derive", "differentiate", "prove", "lambdify"):
        if phase in phases:
            how = f", {info.get('lambdify_with')}.lambdify" if phase == "lambdify" else ""
            t.add(f"{phase} ({len(phases[phase])} steps{how})", ms(sum(phases[phase])), "", "")
    t.add("total: process start → catalog done", ms(total), f"< {GOAL_TOTAL:g} s", verdict(total, GOAL_TOTAL))
    t.add("  the same in CPU time of this process (unaffected by other load)", ms(info["cpu_s"]),
          f"< {GOAL_TOTAL:g} s", verdict(info["cpu_s"], GOAL_TOTAL))
    t.add(f"slowest step: {slow[0]} {slow[1]} [{slow[2]}]", ms(slow[3]), f"< {GOAL_STEP:g} s",
          verdict(slow[3], GOAL_STEP))
    n_proofs = sum(s[2] == "prove" for s in cold.steps) - cold.proofs.count("not applicable")
    proved = cold.proofs.count("proved")
    t.add("proofs proved (the rest refuted, only checked numerically, or raised)", f"{proved}/{n_proofs}", "all",
          "ok" if proved == n_proofs else "NOT ALL")
    over = [s for s in cold.steps if s[3] > GOAL_STEP]
    t.add("steps over 0.5 s", str(len(over)), "0", "ok" if not over else "OVER")
    if info["memo"]:
        times = sorted(m[0] for m in info["memo"])
        median = times[len(times) // 2]
        worst = max(info["memo"])
        t.add(f"repeated KL request from the memo (median of {len(times)})", ms(median),
              f"< {GOAL_MEMO * 1000:g} ms", verdict(median, GOAL_MEMO))
        t.add(f"  worst: {worst[1]}", ms(worst[0]), f"< {GOAL_MEMO * 1000:g} ms", verdict(worst[0], GOAL_MEMO))
    if cold.skipped:
        t.notes.append(f"{len(cold.skipped)} results of symbolic size (k or d) not lambdified: numeric code "
                       "needs an explicit size")
    errors = [s for s in cold.steps if s[4]]
    t.notes += [f"ERROR {s[0]} {s[1]} [{s[2]}]: {s[4]}" for s in errors]

    per = Table("(a') slowest steps per phase", ["phase", "max step", "where", "steps"])
    for phase, times in phases.items():
        worst = max((s for s in cold.steps if s[2] == phase), key=lambda s: s[3])
        per.add(phase, ms(worst[3]), f"{worst[0]} {worst[1]}", str(len(times)))
    return [t, per]


# -- (b) plain SymPy, item by item in child processes --------------------------------------------------
def _child(conn, fn, args):
    """Run ``fn(*args)`` in a forked child; send back (ok, cpu seconds, note)."""
    import sympy

    sympy.core.cache.clear_cache()  # no help from the parent's warm cache
    t0 = time.process_time()
    try:
        note = fn(*args) or ""
        conn.send((True, time.process_time() - t0, note))
    except Exception as e:  # noqa: BLE001
        msg = " ".join(str(e).split())
        conn.send((False, time.process_time() - t0, (f"{type(e).__name__}: {msg}" if msg
                                                     else f"{type(e).__name__} raised inside SymPy")[:70]))
    finally:
        conn.close()


def run_limited(jobs: list[tuple], limit: float, budget: float, parallel: int, max_group_timeouts: int = 0) -> dict:
    """Run each (key, fn, args[, group]) in a forked child, ``parallel`` at a time, each killed at ``limit``
    s wall time; jobs not started within ``budget`` s are skipped, and so are the jobs of a group once
    ``max_group_timeouts`` of its jobs timed out (0: no cap). Returns {key: (status, seconds, note)}."""
    ctx = mp.get_context("fork")
    pending, running, out = list(jobs), {}, {}
    timeouts: dict = {}
    t_start = time.perf_counter()
    while pending or running:
        while pending and len(running) < parallel:
            key, fn, args, *grp = pending.pop(0)
            group = grp[0] if grp else None
            if time.perf_counter() - t_start > budget:
                out[key] = ("skipped", None, f"budget of {budget:g} s used up")
                continue
            if max_group_timeouts and timeouts.get(group, 0) >= max_group_timeouts:
                out[key] = ("skipped", None, f"{max_group_timeouts} items of this family pair timed out")
                continue
            rx, tx = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(tx, fn, args), daemon=True)
            proc.start()
            tx.close()
            running[key] = (proc, rx, time.perf_counter(), group)
        time.sleep(0.01)
        for key, (proc, rx, t0, group) in list(running.items()):
            if rx.poll():
                try:
                    ok, secs, note = rx.recv()
                except EOFError:
                    ok, secs, note = False, None, "child exited without an answer"
                out[key] = ("ok" if ok else "error", secs, note)
            elif not proc.is_alive():
                out[key] = ("error", None, f"child died (exit code {proc.exitcode})")
            elif time.perf_counter() - t0 > limit:
                proc.kill()
                out[key] = ("timeout", None, "")
                timeouts[group] = timeouts.get(group, 0) + 1
            else:
                continue
            proc.join(1)
            rx.close()
            del running[key]
    return out


def _plain_item(which: str, la: str, lb: str | None):
    import plain_sympy as plain
    from symce import families
    from symce.app.report import gradient_symbols

    ex = {e.label: e for e in families.EXAMPLES}
    P = ex[la].build(1)
    Q = ex[lb].build(2) if lb else P
    value = plain.quantity(P, Q, which)
    exprs = [value]
    if which != "entropy":
        wrt, _ = gradient_symbols(Q)
        exprs += plain.gradient(value, [w for w in wrt if isinstance(w, plain.sp.Symbol)])
    plain.lambdify(exprs)
    if value.has(plain.sp.Integral, plain.sp.Product):
        return "no closed form: an unevaluated Integral/Product remains"
    return f"ops {plain.sp.count_ops(value)}"


def _family_group(la: str, lb: str | None) -> tuple:
    """Items are grouped by the families of P and Q (types, from the catalog; no family is named)."""
    from symce import families

    ex = {e.label: e for e in families.EXAMPLES}
    try:
        return (type(ex[la].build(1)).__name__, type(ex[lb].build(2)).__name__ if lb else None)
    except Exception:  # noqa: BLE001
        return (la, lb)


def _round_robin(jobs: list[tuple]) -> list[tuple]:
    """Interleave the groups so that every family pair is reached before the budget runs out."""
    groups: dict = {}
    for j in jobs:
        groups.setdefault(j[3], []).append(j)
    out, queues = [], list(groups.values())
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


def plain_table(cold: Cold, args) -> Table:
    from symce import families

    items = [("entropy", e.label, None, e.label, "H(P)") for e in families.EXAMPLES]
    for a, b in families.pairs():
        sec = f"{a.label} ‖ {b.label}"
        items += [("cross_entropy", a.label, b.label, sec, "H(P,Q)"), ("kl", a.label, b.label, sec, "KL(P‖Q)")]
    if args.quick:
        items = items[:4]
    jobs = _round_robin([((sec, q), _plain_item, (which, la, lb), _family_group(la, lb))
                         for which, la, lb, sec, q in items])
    res = run_limited(jobs, args.limit, args.budget, args.jobs, max_group_timeouts=0 if args.quick else 3)
    t = Table(f"(b) plain SymPy from first principles vs symce (limit {args.limit:g} s per item)",
              ["item", "quantity", "symce", "plain SymPy", "plain/symce", "note"])
    tot_s = tot_p = 0.0
    n_timeout = 0
    for which, la, lb, sec, q in items:
        status, secs, note = res[(sec, q)]
        s = cold.item_time(sec, q)
        if status == "ok":
            tot_s, tot_p = tot_s + s, tot_p + secs
            ratio = f"{secs / s:.0f}×" if s > 0 else "n/a"
            t.add(sec, q, ms(s), ms(secs), ratio, note)
        elif status == "timeout":
            n_timeout += 1
            tot_s, tot_p = tot_s + s, tot_p + args.limit
            t.add(sec, q, ms(s), f"> {args.limit:g} s", f"> {args.limit / s:.0f}×" if s > 0 else "n/a", "killed at the limit")
        else:
            t.add(sec, q, ms(s), status, "n/a", note)
    bound = ">" if n_timeout else ""
    t.add("total (items plain SymPy finished or timed out on)", "", ms(tot_s), f"{bound} {ms(tot_p)}".strip(),
          f"{bound} {tot_p / tot_s:.0f}×".strip() if tot_s > 0 else "n/a", f"{n_timeout} timed out")
    t.notes.append("symce column: derive + gradient + lambdify of the item in the cold run (wall time); plain column: "
                   "integrate/summation + simplify + diff + simplify + lambdify in a fresh child (CPU time).")
    return t


# -- (c) scale ----------------------------------------------------------------------------------------
def _timed(f):
    t0 = time.process_time()  # CPU time: other load on the machine does not inflate it
    out = f()
    return out, time.process_time() - t0


def _plain_softmax(k):
    import plain_sympy as plain

    plain.softmax_cross_entropy(k)


def _plain_mvn_full(d):
    import plain_sympy as plain

    plain.mvn_kl_full(d)


def _plain_mvn_chol(d):
    import plain_sympy as plain

    plain.mvn_kl_cholesky(d)


def scale_table(symce, args) -> Table:
    import sympy as sp

    t = Table("(c) scale: explicit k and d", ["item", "symce", "goal", "status", "plain SymPy", "plain/symce"])
    plain_jobs, rows = [], []

    Cat = getattr(symce, "Categorical", None)
    k = args.k
    if Cat is None:
        rows.append((f"categorical k = {k}: CE + gradient (1000 logits)", None, "n/a (family not in catalog yet)"))
    else:
        try:
            symce.clear_cache()
            ts = sp.symbols(f"t1:{k + 1}", positive=True)
            P = Cat(list(ts))
            Q = Cat.from_logits(k=k, name="z")
            zs = [s for v in Q.parameters.values() for s in (v if isinstance(v, (list, tuple)) else [v])]
            d, t_ce = _timed(lambda: symce.cross_entropy(P, Q))
            _, t_g = _timed(lambda: d.gradient(zs))
            rows.append((f"categorical k = {k}: CE", t_ce, None))
            rows.append((f"categorical k = {k}: gradient w.r.t. {k} logits", t_g, None))
            rows.append((f"categorical k = {k}: CE + gradient", t_ce + t_g, GOAL_CAT))
            plain_jobs.append((f"categorical k = {k}: CE + gradient", _plain_softmax, (k,)))
        except Exception as e:  # noqa: BLE001
            rows.append((f"categorical k = {k}", None, f"error: {type(e).__name__}: {' '.join(str(e).split())[:100]}"))

    MVN = getattr(symce, "MultivariateNormal", None)
    dim = args.d
    if MVN is None:
        rows.append((f"MVN d = {dim}, Σ = LLᵀ: KL + gradient", None, "n/a (family not in catalog yet)"))
    else:
        try:
            symce.clear_cache()
            P, Q = _mvn_pair(MVN, dim)
            wrt = sorted((s for s in Q.free_symbols if isinstance(s, sp.Symbol) and not s.is_integer), key=str)
            d, t_kl = _timed(lambda: symce.kl(P, Q))
            _, t_g = _timed(lambda: d.gradient(wrt))
            rows.append((f"MVN d = {dim}, Σ = LLᵀ: KL", t_kl, None))
            rows.append((f"MVN d = {dim}, Σ = LLᵀ: gradient w.r.t. {len(wrt)} parameters of Q", t_g, None))
            rows.append((f"MVN d = {dim}, Σ = LLᵀ: KL + gradient", t_kl + t_g, GOAL_MVN))
            plain_jobs.append((f"MVN d = {dim}, Σ = LLᵀ: KL + gradient", _plain_mvn_chol, (dim,)))
            plain_jobs.append((f"MVN d = {dim}, full symmetric Σ: KL + gradient", _plain_mvn_full, (dim,)))
            rows.append((f"MVN d = {dim}, full symmetric Σ: KL + gradient", None, "plain SymPy only"))
        except Exception as e:  # noqa: BLE001
            rows.append((f"MVN d = {dim}", None, f"error: {type(e).__name__}: {' '.join(str(e).split())[:100]}"))

    res = run_limited([(key, fn, a) for key, fn, a in plain_jobs], args.limit, args.limit * len(plain_jobs) + 1, 1)
    by_name = {name: (secs, goal) for name, secs, goal in rows}
    for name, secs, goal in rows:
        plain_txt, ratio = "", ""
        if name in res:
            st, psecs, note = res[name]
            ref = secs if secs is not None else _chol_total(by_name, name)
            if st == "ok":
                plain_txt = ms(psecs)
                ratio = f"{psecs / ref:.0f}×" if ref else ""
            elif st == "timeout":
                plain_txt = f"> {args.limit:g} s"
                ratio = f"> {args.limit / ref:.0f}×" if ref else ""
            else:
                plain_txt = f"{st}: {note}"
        if isinstance(goal, str):
            t.add(name, "", "", goal, plain_txt, ratio)
        elif goal is None:
            t.add(name, ms(secs), "", "", plain_txt, ratio)
        else:
            t.add(name, ms(secs), f"< {goal * 1000:g} ms", verdict(secs, goal), plain_txt, ratio)
    return t


def _chol_total(by_name, name):
    """The symce time a plain-only row is compared with: symce's Σ = LLᵀ KL + gradient."""
    for other, (secs, goal) in by_name.items():
        if "Σ = LLᵀ: KL + gradient" in other and isinstance(secs, float):
            return secs
    return None


def _mvn_pair(MVN, d: int):
    import sympy as sp

    symbolic = getattr(MVN, "symbolic", None)
    if symbolic is not None:
        return symbolic(d, "1"), symbolic(d, "2")

    def make(i):
        mu = [sp.Symbol(f"mu{i}_{r}", real=True) for r in range(1, d + 1)]
        L = sp.Matrix(d, d, lambda r, c: sp.Symbol(f"L{i}_{r + 1}{c + 1}", positive=(r == c), real=True)
                      if c <= r else 0)
        return MVN.from_cholesky(mu, L)
    return make(1), make(2)


# -----------------------------------------------------------------------------------------------------
def main(argv=None) -> int:
    args = _args(argv)
    symce, cold, info = cold_run(args.lambdify)
    tables = cold_tables(cold, info)
    for t in tables:
        print(t.text(), "\n", flush=True)
    print(f"(b) running plain SymPy on the catalog: limit {args.limit:g} s per item, {args.jobs} in parallel, "
          f"budget {args.budget:g} s ...", flush=True)
    tb = plain_table(cold, args)
    print(tb.text(), "\n", flush=True)
    tables.append(tb)
    print(f"(c) scale items (plain SymPy limit {args.limit:g} s) ...", flush=True)
    tc = scale_table(symce, args)
    print(tc.text(), flush=True)
    tables.append(tc)
    print(f"\n(c') growth with size (limit {args.limit:g} s per size) ...", flush=True)
    import growth

    res = growth.run(run_limited, args.limit, args.quick, parallel=1)
    td = growth.table(Table, ms, verdict, res, growth.kill_limit(args.limit, args.quick))
    where = os.path.dirname(os.path.abspath(args.markdown)) if args.markdown else _HERE
    td.notes.append(growth.plot(res, os.path.join(where, "scale.png")))
    print(td.text(), flush=True)
    tables.append(td)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write("## symce benchmarks\n\n" + "\n".join(t.markdown() for t in tables))
        print(f"\nwrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
