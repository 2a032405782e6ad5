"""Does ``symce.verify`` catch what it should, on every seed? The audit's mutants of a correct
BCE-with-logits, at the default 10⁴ samples + grid and default thresholds (typical-region verdict), over
10 seeds; then real implementations (scipy, torch, scikit-learn where installed) on both regions.

Run: ``python benchmarks/verify_mutants.py [--seeds 10]``; prints Markdown tables.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import sympy as sp  # noqa: E402

import symce as sc  # noqa: E402
from symce.numeric.verify import verify  # noqa: E402

t = sp.Symbol("t", positive=True)
z = sp.Symbol("z", real=True)
BCE = sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli.from_logit(z))


def stable(t, z):
    return (1 - t) * np.logaddexp(0, z) + t * np.logaddexp(0, -z)


MUTANTS = {
    "1e-6 relative on 0.55 ≤ t ≤ 0.7, 2.5 ≤ |z| ≤ 8":
        lambda t, z: stable(t, z) * np.where((t >= 0.55) & (t <= 0.7) & (np.abs(z) >= 2.5) & (np.abs(z) <= 8),
                                             1 + 1e-6, 1.0),
    "NaN on z ∈ [3, 3.25)": lambda t, z: np.where((z >= 3) & (z < 3.25), np.nan, stable(t, z)),
    "+1 ULP everywhere": lambda t, z: np.nextafter(stable(t, z), np.inf),
}


def real_implementations():
    out = {}
    try:
        import scipy.special as S

        out["scipy log_expit"] = lambda t, z: -(t * S.log_expit(z) + (1 - t) * S.log_expit(-z))
        out["scipy xlogy(expit)"] = lambda t, z: -(S.xlogy(t, S.expit(z)) + S.xlogy(1 - t, S.expit(-z)))
        out["scipy xlogy + xlog1py"] = lambda t, z: -(S.xlogy(t, S.expit(z)) + S.xlog1py(1 - t, -S.expit(z)))
    except ImportError:
        pass
    try:
        import torch

        out["torch BCE-with-logits"] = lambda t, z: torch.nn.functional.binary_cross_entropy_with_logits(
            torch.as_tensor(z), torch.as_tensor(t), reduction="none").numpy()
    except ImportError:
        pass
    return out


def probability_implementations():
    """BCE of probabilities, CE(Bernoulli(t) ‖ Bernoulli(p)): f(t, p)."""
    out = {}
    try:
        import scipy.special as S

        out["scipy xlogy + xlog1py"] = lambda t, p: -(S.xlogy(t, p) + S.xlog1py(1 - t, -p))
        out["scipy xlogy(1 − p)"] = lambda t, p: -(S.xlogy(t, p) + S.xlogy(1 - t, 1 - p))
    except ImportError:
        pass
    try:
        import torch

        out["torch binary_cross_entropy"] = lambda t, p: torch.nn.functional.binary_cross_entropy(
            torch.as_tensor(p), torch.as_tensor(t), reduction="none").numpy()
    except ImportError:
        pass
    try:
        import warnings

        from sklearn.metrics import log_loss

        def sklearn_log_loss(t, p):
            """log_loss is a mean over samples: one call per point, the soft target t as the weights of the
            labels 1 and 0 (weights summing to 1, so the weighted mean is the point's BCE)."""
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return np.array([log_loss([1, 0], [b, b], sample_weight=[a, 1 - a], labels=[0, 1])
                                 if 0 < a < 1 else log_loss([int(a)], [b], labels=[0, 1]) for a, b in zip(t, p)])

        out["sklearn log_loss (per point)"] = sklearn_log_loss
    except ImportError:
        pass
    return out


def _rows(rep, impls, names):
    for name, f in impls.items():
        r = rep.against(f, name)
        cells = []
        for region in ("typical", "full"):
            p = r.part(region)
            cells.append(f"{p.max_ulp:.3g}, {p.nonfinite}, {'PASS' if p.meets() else 'FAIL'}")
        w = r.part("typical").worst(1)
        worst = ", ".join(f"{k}={w[0][0][k]:.4g}" for k in names) + f": {w[0][3]:.3g} ULP" if w else ""
        print(f"| {name} | {cells[0]} | {cells[1]} | {worst} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args(argv)
    caught = {m: 0 for m in MUTANTS}
    reps = []
    t0 = time.perf_counter()
    for seed in range(args.seeds):
        rep = verify(stable, BCE, seed=seed)
        reps.append(rep)
        assert rep.passed, rep.table()
        for m, f in MUTANTS.items():
            caught[m] += not rep.against(f).passed
    print(f"## Mutants of a correct BCE-with-logits, default 10⁴ samples + grid, {args.seeds} seeds "
          f"({time.perf_counter() - t0:.1f} s)\n")
    print("| mutant | caught (typical verdict) |\n|---|---:|")
    for m, k in caught.items():
        print(f"| {m} | {k} of {args.seeds} |")
    print("\n## Real implementations, seed 0 (max ULP / NaN-inf per region)\n")
    print("| implementation | typical: max ULP, NaN/inf, verdict | full: max ULP, NaN/inf, verdict | worst typical input |")
    print("|---|---|---|---|")
    _rows(reps[0], real_implementations(), ("t", "z"))
    p = sp.Symbol("p", positive=True)
    prob = sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli(p))
    print("\n## BCE of probabilities f(t, p), seed 0\n")
    print("| implementation | typical: max ULP, NaN/inf, verdict | full: max ULP, NaN/inf, verdict | worst typical input |")
    print("|---|---|---|---|")
    import scipy.special as S

    base = verify(lambda t, p: -(S.xlogy(t, p) + S.xlog1py(1 - t, -p)), prob, [t, p])
    _rows(base, probability_implementations(), ("t", "p"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
