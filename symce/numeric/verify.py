r"""``verify(fn, reference)``: ULP errors of a numeric implementation against exact ground truth.

Inputs (:mod:`.verify_inputs`): half in the typical region (stratified on the line, by binade and near the
ends), half over the full float range stratified by binade (every float64 exponent of each argument gets
samples), plus an adversarial grid (±0, subnormals, 1e-300, 1e-17, 1 − 1e-16, logits
±30…±40, ±709.78, ±710, ±745, ±800, near-equal pairs for KL, one-hot and soft targets with zeros, ties
and huge gaps in logit vectors). A covariance given by its entries (a symmetric matrix parameter the family
constrains jointly) is sampled as whole matrices that are exactly positive definite at their float values.
Each output is compared with the correctly rounded value of the reference (:mod:`.truth`). Deterministic
for a given seed.

Two verdicts side by side, the typical region and the full range. Metrics: max and median ULP distance (the number of float64s between computed and true value), share
within 1 ULP, mean bits of error log2(1 + ULPs) (Herbie's measure), count of NaN/inf where the truth is
finite, and the worst inputs.

The reference of a Derivation with finitely many support points is its *definition*
(−Σ_x p(x) log q(x), Σ_x p(x) log(p(x)/q(x))) — equal to the closed form on the parameter space, and
what an implementation means when float inputs are slightly off the simplex; otherwise its closed form.

The pieces: :mod:`.ulp` (bit patterns and the ULP metric), :mod:`.verify_domain` (the input domain),
:mod:`.verify_inputs` (samples and the adversarial grid), :mod:`.verify_call` (calling the implementation),
:mod:`.truth` (the exact values) and :mod:`.verify_report` (the metrics, table and plot); here the reference
and the driver, and the public names of all of them.
"""

from __future__ import annotations

import inspect
import itertools
import math
from concurrent.futures import as_completed
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from symce.engine.derivation import Derivation
from symce.errors import ArgumentTypeError
from symce.numeric.truth import TruthFunction
from symce.numeric.ulp import from_ordinal, ordinal, sample_binades, sample_interval, ulp_distance
from symce.numeric.verify_call import ImplementationError, _call
from symce.numeric.verify_domain import Domain, domain_of
from symce.numeric.verify_inputs import is_spd_exact, make_inputs
from symce.numeric.verify_report import DEFAULT_THRESHOLDS, REGIONS, VerifyReport


# -- the reference --------------------------------------------------------------------------------------------
def defining_expression(d: Derivation):
    """The definition of a Derivation's quantity as a finite sum over the support, when there is one."""
    dists = d.distributions
    if not dists or any(getattr(x, "support_points", lambda: None)() is None for x in dists):
        return None
    P = dists[0]
    Q = dists[1] if len(dists) > 1 else P
    pts = P.support_points()
    if d.quantity == "entropy":
        return -sp.Add(*[P.mass(x) * sp.log(P.mass(x)) for x in pts])
    if d.quantity == "cross_entropy":
        return -sp.Add(*[P.mass(x) * sp.log(Q.mass(x)) for x in pts])
    if d.quantity == "kl":
        return sp.Add(*[P.mass(x) * (sp.log(P.mass(x)) - sp.log(Q.mass(x))) for x in pts])
    return None


# -- arguments ----------------------------------------------------------------------------------------------
def _param_names(fn) -> list | None:
    """The positional parameter names of fn (None when it has no readable signature or takes *args)."""
    try:
        ps = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in ps):
        return None
    return [p.name for p in ps if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def declared_args(d: Derivation, expr) -> list:
    """The symbols of expr in the order the Derivation's distributions declare their parameters (P's,
    then Q's), any others after them by name."""
    out = []
    for dist in d.distributions:
        for value in dist.parameters.values():
            vals = list(value) if isinstance(value, (list, tuple, sp.MatrixBase)) else [value]
            out += [v for v in vals if isinstance(v, sp.Symbol) and v in expr.free_symbols and v not in out]
    return out + sorted(expr.free_symbols - set(out), key=lambda s: s.name)


def match_args(fn, expr, args=None, reference=None) -> list:
    """The argument order: fn's own parameter names when they are exactly the reference's symbols' names
    (whatever ``args`` says), else ``args``, else ``fn.args``, else the declaration order of a Derivation,
    else the symbols sorted by name."""
    syms = {s.name: s for s in expr.free_symbols}
    names = _param_names(fn)
    if names is not None and len(names) >= len(syms) and len(syms) and set(names[:len(syms)]) == set(syms):
        extra = names[len(syms):]
        if not extra or all(p.default is not p.empty for p in list(inspect.signature(fn).parameters.values())
                            [len(syms):len(names)]):
            return [syms[n] for n in names[:len(syms)]]
    if args is not None:
        return list(args)
    if getattr(fn, "args", None):
        return list(fn.args)
    if isinstance(reference, Derivation):
        return declared_args(reference, expr)
    return sorted(expr.free_symbols, key=lambda s: s.name)


def _permutations(k: int):
    """Candidate argument orders for the hint: all of them up to 4 arguments, else the transpositions."""
    if k <= 4:
        return [p for p in itertools.permutations(range(k)) if p != tuple(range(k))]
    out = []
    for i in range(k):
        for j in range(i + 1, k):
            p = list(range(k))
            p[i], p[j] = p[j], p[i]
            out.append(tuple(p))
    return out


def permutation_hint(fn, rep: VerifyReport, mode: str, limit: int = 2000) -> str:
    """When the report fails: an order of the arguments in which fn would meet the thresholds on the same
    points (fn called with the columns permuted, compared with the same truth), as a sentence; else ''."""
    if rep.passed or len(rep.args) < 2:
        return ""
    pick = np.flatnonzero(rep.typical if rep.region != "full" else np.ones_like(rep.typical))[:limit]
    if pick.size == 0:
        return ""
    sub = rep.restrict(pick_mask(rep.truth.size, pick))
    for perm in _permutations(len(rep.args)):
        try:
            cols = [sub.inputs[i] for i in perm]
            computed, _ = _call(fn, cols, mode)
        except Exception:  # noqa: BLE001 - an order the implementation cannot take is not the answer
            continue
        trial = VerifyReport(sub.name, sub.args, sub.inputs, computed, sub.truth, sub.ulps, sub.is_grid,
                             sub.resolved, sub.domain, sub.seed, dict(sub.thresholds), np.ones(pick.size, bool),
                             sub.abs_floor, "typical")
        if trial.passed:
            order = [str(rep.args[i]) for i in perm]
            return (f"the implementation meets the thresholds when called as f({', '.join(order)}) — its "
                    f"arguments may be in another order (pass args=[{', '.join(order)}] or "
                    f"--args {','.join(order)})")
    return ""


def pick_mask(n: int, idx) -> np.ndarray:
    m = np.zeros(n, bool)
    m[idx] = True
    return m


# -- the truth, in chunks ----------------------------------------------------------------------------------------
def _truth_chunk(job):
    """(values, resolved) of one chunk of points; a top-level function so a process pool can pickle it."""
    expr, args, cols = job
    tf = TruthFunction(expr, args)
    vals, ok = tf.many(cols)
    return np.array(vals, dtype=np.float64), np.array(ok, bool)


def compute_truth(expr, args, cols, executor=None, chunk: int = 2000, progress=None):
    """The correctly rounded truth at every column of ``cols`` (n_args, n): in this process, or split into
    chunks of ``chunk`` points submitted to ``executor`` (any ``concurrent.futures.Executor``: a process
    pool, a dask.distributed Client's ``get_executor()``). ``progress(done, total)`` after each chunk."""
    n = cols.shape[1]
    bounds = [(a, min(a + chunk, n)) for a in range(0, n, chunk)] or [(0, 0)]
    jobs = [(expr, tuple(args), cols[:, a:b]) for a, b in bounds]
    vals, ok = [None] * len(jobs), [None] * len(jobs)
    done = 0
    if executor is None:
        for k, job in enumerate(jobs):
            vals[k], ok[k] = _truth_chunk(job)
            done += job[2].shape[1]
            if progress is not None:
                progress(done, n)
    else:
        futures = {executor.submit(_truth_chunk, job): k for k, job in enumerate(jobs)}
        for fut in as_completed(futures):
            k = futures[fut]
            vals[k], ok[k] = fut.result()
            done += jobs[k][2].shape[1]
            if progress is not None:
                progress(done, n)
    return np.concatenate(vals), np.concatenate(ok)


# -- verify -------------------------------------------------------------------------------------------------------
def verify(fn: Callable, reference, args: Sequence | None = None, *, domain: Domain | dict | None = None,
           n: int = 10_000, seed: int = 0, grid: bool = True, grid_max: int = 4000, mode: str = "auto",
           thresholds: dict | None = None, name: str | None = None, abs_floor: float = 0.0,
           region: str = "typical", executor=None, progress=None, hint: bool = True) -> VerifyReport:
    """Measure ``fn`` against ``reference`` (a Derivation or a SymPy expression).

    ``args``: the symbols in the order ``fn`` takes them — used unless ``fn``'s parameter names are the
    symbols' names (then those match by name); default ``fn.args`` if set, else the order the Derivation's
    distributions declare them, else the free symbols sorted by name. ``domain``: a :class:`Domain`, or a
    dict symbol/name -> Interval or (lo, hi) that *narrows* the family's domain (probabilities stay in
    [0, 1], simplex and covariance groups are kept). ``mode``: "auto" (try a vectorised numpy call, then
    torch tensors, then jax arrays if jax is imported, then one call per point), "numpy", "torch", "jax"
    (float64 jax arrays; turns on jax_enable_x64) or "scalar". ``thresholds``: e.g. {"max_ulp": 3,
    "median_ulp": 0.5, "nonfinite": 0, "max_rel": 1e-15}, merged over :data:`DEFAULT_THRESHOLDS`;
    ``region`` ("typical", "full" or "both") is the verdict ``report.passed`` gives; ``abs_floor``: where
    |truth| is below it, errors count in ULPs of it (see :mod:`.verify_report`). ``executor``: any
    ``concurrent.futures.Executor`` to compute the truth on, in chunks; ``progress``: a callable
    ``progress(done, total)`` called after each chunk, or True for a tqdm bar (a widget in notebooks).
    ``hint``: when the verdict fails, try the other orders of the arguments and say which would pass.
    """
    if isinstance(reference, Derivation):
        expr = defining_expression(reference)
        expr = reference.result if expr is None else expr
        label = name or str(reference.lhs)  # a Quantity (or its text): the report names it in text
    elif isinstance(reference, sp.Basic):
        expr, label = reference, name or str(reference)
    else:
        raise ArgumentTypeError(f"verify needs a Derivation or a SymPy expression as reference, not "
                                f"{type(reference).__name__}")
    abs_floor = _check_options(n, grid, grid_max, seed, region, abs_floor, thresholds)
    args = match_args(fn, expr, args, reference)
    missing = expr.free_symbols - set(args)
    if missing:
        raise ArgumentTypeError(f"verify: the reference depends on {sorted(map(str, missing))}, which are not "
                                f"among the arguments {[str(a) for a in args]}")
    base = domain if isinstance(domain, Domain) else (
        domain_of(reference, args) if isinstance(reference, Derivation) else Domain.of(args))
    if isinstance(domain, dict):
        base = base.narrow(domain)
    elif domain is not None and not isinstance(domain, Domain):
        raise ArgumentTypeError(f"domain must be a Domain or a dict name -> (lo, hi), not {type(domain).__name__}")
    domain = base
    cols, is_grid = make_inputs(domain, n, seed, grid, grid_max)
    computed, _ = _call(fn, list(cols), mode)
    bar = None
    if progress is True:
        progress, bar = _tqdm_progress()
    try:
        truth, resolved = compute_truth(expr, args, cols, executor, progress=progress or None)
    finally:
        if bar is not None:
            bar.close()
    rep = VerifyReport(label, tuple(args), cols, computed, truth, ulp_distance(computed, truth), is_grid, resolved,
                       domain, seed, dict(thresholds or {}), domain.in_typical(cols), abs_floor, region)
    rep.hint = permutation_hint(fn, rep, mode) if hint else ""
    return rep


def _tqdm_progress():
    """progress=True: a tqdm bar (tqdm.auto: a widget in Jupyter, text in a terminal); tqdm is optional."""
    try:
        from tqdm.auto import tqdm
    except ImportError as exc:
        raise ArgumentTypeError("verify(progress=True) needs tqdm (pip install 'symce[progress]'); or pass a "
                                "callable progress(done, total)") from exc
    state = {"bar": None, "last": 0}

    class _Bar:
        def __call__(self, done, total):
            if state["bar"] is None:
                state["bar"] = tqdm(total=total, desc="exact values", unit="pt")
            state["bar"].update(done - state["last"])
            state["last"] = done

        def close(self):
            if state["bar"] is not None:
                state["bar"].close()

    b = _Bar()
    return b, b


#: the most points verify measures (n, and grid_max): the exact values take about 1 ms a point, so 10⁶ is
#: already a quarter of an hour; the command line has the same limit (app/verify_cli.py MAX_SAMPLES)
MAX_POINTS = 1_000_000


def _count_option(value, what: str) -> None:
    # bool is an int to Python, but n=True is a mistake, not one point
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ArgumentTypeError(f"verify: {what} must be an integer ≥ 0, not {value!r:.80}")


def _check_options(n, grid, grid_max, seed, region, abs_floor, thresholds=None) -> float:
    """Refuse bad options up front (naming the option, what it got and what is allowed); abs_floor as a float."""
    for value, what in ((n, "n"), (seed, "seed"), (grid_max, "grid_max")):
        _count_option(value, what)
    if n > MAX_POINTS or grid_max > MAX_POINTS:
        raise ArgumentTypeError(f"verify: n and grid_max are at most {MAX_POINTS:,} (got n = {n}, grid_max = "
                                f"{grid_max}); the exact values take about 1 ms a point")
    if n == 0 and (not grid or grid_max == 0):
        raise ArgumentTypeError("verify: no points to measure (n = 0 and no grid); allowed: n ≥ 1 or a grid")
    if not isinstance(region, str) or region not in REGIONS:
        raise ArgumentTypeError(f"verify: region must be one of {REGIONS}, not {region!r:.80}")
    try:
        floor = float(abs_floor) if isinstance(abs_floor, (int, float, np.integer, np.floating)) \
            and not isinstance(abs_floor, bool) else math.nan
    except OverflowError:  # an int beyond the float range
        floor = math.inf
    if not (floor >= 0 and math.isfinite(floor)):
        raise ArgumentTypeError(f"verify: abs_floor must be a finite number ≥ 0, not {abs_floor!r:.80}")
    _check_thresholds(thresholds)
    return floor


def _check_thresholds(thresholds) -> None:
    if thresholds is None:
        return
    if not isinstance(thresholds, dict):
        raise ArgumentTypeError(f"verify: thresholds must be a dict such as {{'max_ulp': 3}} with keys among "
                                f"{', '.join(DEFAULT_THRESHOLDS)}, max_rel, not {type(thresholds).__name__} "
                                f"{thresholds!r:.80}")
    allowed = (*DEFAULT_THRESHOLDS, "max_rel")
    for key, value in thresholds.items():
        if key not in allowed:  # a misspelt key would otherwise be ignored silently
            raise ArgumentTypeError(f"verify: thresholds has the key {key!r:.40}; allowed keys: {', '.join(allowed)}")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or value != value or value < 0:  # value != value: NaN (math.isnan overflows on huge ints)
            raise ArgumentTypeError(f"verify: thresholds[{key!r}] must be a number ≥ 0 (inf: no limit), "
                                    f"not {value!r:.80}")


__all__ = ["verify", "VerifyReport", "Domain", "domain_of", "defining_expression", "ulp_distance", "ordinal",
           "from_ordinal", "make_inputs", "is_spd_exact", "sample_interval", "sample_binades", "match_args",
           "compute_truth", "DEFAULT_THRESHOLDS", "ImplementationError", "declared_args"]
