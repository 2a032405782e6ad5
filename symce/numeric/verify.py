r"""``verify(fn, reference)``: ULP errors of a numeric implementation against exact ground truth.

Inputs are drawn uniformly over float64 *bit patterns* inside the parameter domain (so 1e-300 is as likely
as 0.3, as in Herbie), plus an adversarial grid (±0, subnormals, 1e-300, 1e-17, 1 − 1e-16, logits
±30…±40, ±709.78, ±710, ±745, ±800, near-equal pairs for KL, one-hot and soft targets with zeros, ties
and huge gaps in logit vectors). A covariance given by its entries (a symmetric matrix parameter the family
constrains jointly) is sampled as whole matrices that are exactly positive definite at their float values.
Each output is compared with the correctly rounded value of the reference (:mod:`.truth`). Deterministic
for a given seed.

Metrics: max and median ULP distance (the number of float64s between computed and true value), share
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

from typing import Callable, Sequence

import numpy as np
import sympy as sp

from symce.engine.derivation import Derivation
from symce.errors import ArgumentTypeError
from symce.numeric.truth import TruthFunction
from symce.numeric.ulp import from_ordinal, ordinal, sample_interval, ulp_distance
from symce.numeric.verify_call import _call
from symce.numeric.verify_domain import Domain, domain_of
from symce.numeric.verify_inputs import is_spd_exact, make_inputs
from symce.numeric.verify_report import VerifyReport


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


# -- verify -------------------------------------------------------------------------------------------------------
def verify(fn: Callable, reference, args: Sequence | None = None, *, domain: Domain | dict | None = None,
           n: int = 10_000, seed: int = 0, grid: bool = True, grid_max: int = 4000, mode: str = "auto",
           thresholds: dict | None = None, name: str | None = None) -> VerifyReport:
    """Measure ``fn`` against ``reference`` (a Derivation or a SymPy expression).

    ``args``: the symbols in the order ``fn`` takes them (default: ``fn.args`` if set, else the free
    symbols sorted by name). ``domain``: a :class:`Domain` or a dict symbol/name -> Interval or (lo, hi);
    default from the Derivation's families or the symbols' assumptions. ``mode``: "auto" (try a vectorised
    numpy call, then torch tensors, then jax arrays if jax is imported, then one call per point), "numpy",
    "torch", "jax" (float64 jax arrays; turns on jax_enable_x64) or "scalar".
    ``thresholds``: e.g. {"max_ulp": 3, "median_ulp": 0.5, "nonfinite": 0} for ``report.passed``.
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
    if args is None:
        args = getattr(fn, "args", None) or sorted(expr.free_symbols, key=lambda s: s.name)
    args = list(args)
    missing = expr.free_symbols - set(args)
    if missing:
        raise ArgumentTypeError(f"verify: the reference depends on {sorted(map(str, missing))}, which are not "
                                f"among the arguments {[str(a) for a in args]}")
    if domain is None:
        domain = domain_of(reference, args) if isinstance(reference, Derivation) else Domain.of(args)
    elif isinstance(domain, dict):
        domain = Domain.of(args, domain)
    cols, is_grid = make_inputs(domain, n, seed, grid, grid_max)
    computed, _ = _call(fn, list(cols), mode)
    tf = TruthFunction(expr, args)
    truth, resolved = [], []
    for pt in cols.T:
        t = tf(*pt)
        truth.append(t.value)
        resolved.append(t.resolved)
    truth = np.array(truth)
    ulps = ulp_distance(computed, truth)
    return VerifyReport(label, tuple(args), cols, computed, truth, ulps, is_grid, np.array(resolved), domain, seed,
                        dict(thresholds or {}))


__all__ = ["verify", "VerifyReport", "Domain", "domain_of", "defining_expression", "ulp_distance", "ordinal",
           "from_ordinal", "make_inputs", "is_spd_exact", "sample_interval"]
