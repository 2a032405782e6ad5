"""Logit-vector pairs at the float64 edges: KL(softmax x ‖ softmax y) (softmax_kl), and the cross-entropy and
entropy of categoricals with logits (logit_xent). Before the scaled weights these reached ~4e18 ULP: a class
whose weight e^{x_j − logsumexp x} underflows to 0 still adds s_j·(huge logit gap) = e^{−746}·1e308 = e^{−37},
and a subnormal weight (a subnormal entropy or KL) kept only a few bits.

The oracle is the *defining* sum Σ_i s_i (log s_i − log t_i) (resp. Σ_i s_i (−log t_i)) in mpmath at a
precision raised until two evaluations agree to far below an ULP — not the kernels' algorithm."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce.numeric.functions as F
from symce.numeric import lambdify
from symce.numeric.verify import ulp_distance

MAX = 1.7976931348623157e308


def _defining(x, y, kind, dps):
    with mpmath.workdps(dps):
        X = [mpmath.mpf(v) for v in x]
        Y = [mpmath.mpf(v) for v in y]
        lx = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in X))
        ly = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in Y))
        ls = [v - lx for v in X]
        lt = [v - ly for v in Y]
        if kind == "kl":
            return mpmath.fsum(mpmath.exp(a) * (a - b) for a, b in zip(ls, lt))
        return mpmath.fsum(-mpmath.exp(a) * b for a, b in zip(ls, lt))


def exact(x, y, kind):
    """The defining sum rounded to float64, at ≥ 200 digits, raised until two precisions agree (a KL of
    1e-309 between terms of size 1 needs > 330 digits)."""
    dps = 200
    prev = _defining(x, y, kind, dps)
    while True:
        dps *= 2
        cur = _defining(x, y, kind, dps)
        if float(cur) == float(prev) and abs(cur - prev) <= abs(cur) * mpmath.mpf(2) ** -80:
            return float(cur)
        # values like e^{−9e307} (log1p of e^{−huge} is 0 at any fixed precision): two precisions both
        # far below the smallest subnormal agree on the float 0
        if max(abs(cur), abs(prev)) < mpmath.mpf(2) ** -1200:
            return 0.0
        if dps > 10000:  # pragma: no cover - would mean an unresolvable case
            raise AssertionError(f"no convergence at {x}, {y}")
        prev = cur


def _fns(k, backend="numpy"):
    xs = sp.symbols(f"x1:{k + 1}", real=True)
    ys = sp.symbols(f"y1:{k + 1}", real=True)
    args = list(xs + ys)
    return (lambdify(F.softmax_kl(*xs, *ys), args, backend=backend),
            lambdify(F.logit_xent(*xs, *ys), args, backend=backend))


def _ulps(got, want):
    return float(ulp_distance(np.float64(got), np.float64(want)))


# (x, y, max ULP): the worst inputs of the catalog's accuracy table before this fix
WORST_KL = [
    ((800.0, 0.0), (1.7976931348623155e308, 0.0)),       # was 0.0, exact 6.59e-40
    ((745.0, 0.0), (709.78, 0.0)),                       # subnormal: was 9.76e-309, exact 5.58e-309
    ((709.78, -37.0), (MAX, -30.0)),                     # was 0.0, exact 8.56e-17
    ((30.0, -745.0), (MAX, 33.0)),                       # was 0.0, exact 4.7e-29
    ((1e-17, 709.78, -40.0), (1e-8, 709.78, -MAX)),      # was 0.0, exact 4.26e-18
    ((-1e17, 1e-8, -745.0), (-1.0000000010000002e17, 710.0, 0.5)),  # was 1.29e-308, exact 7.38e-309
    ((-37.0, 0.0), (-0.5, 0.0)),                         # e^{c} of a rounded c = 36.5: was 22 ULP
    ((-33.0, 0.9999999999999999, 36.0), (36.0, -709.78, 36.00000000000001)),  # c = 69: was 61 ULP
    ((1e-08, -1e300, 710.0), (2.0, 1e-300, 709.78)),     # e^{−1e300}·e^{1e300}-size class: was 9e14 ULP
]
WORST_XENT = [
    ((709.78, -37.0), (MAX, -30.0)),                     # CE: was 0.0, exact 8.56e-17
    ((30.0, -745.0), (MAX, 33.0)),                       # CE: was 0.0, exact 4.7e-29
    ((1e-17, 709.78, -40.0), (1e-8, 709.78, -MAX)),      # CE: was 3.96e-306, exact 4.26e-18
    ((-MAX, 2.2250738585072014e-308, 745.0), (-33.0, -1e300, 0.9999999999999999)),  # was 1.1e7 ULP
    ((745.0, 1.0000000000000002), None),                 # H, subnormal: was 7.36e-321, exact 5.716e-321
    ((-745.0, 2.2250738585072014e-308), None),           # H, subnormal: was 320 ULP
    ((-709.78, 30.0, -709.78), None),                    # H, subnormal: was 529 ULP
    ((-709.78, 745.0, 1.0000000000000002), None),        # H, subnormal: was 333 ULP
]


def _goal(k):
    return 3 if 2 * k <= 4 else 4


@pytest.mark.parametrize("x, y", WORST_KL)
def test_worst_kl_inputs(x, y):
    kl, _ = _fns(len(x))
    got = float(kl(*x, *y))
    assert _ulps(got, exact(x, y, "kl")) <= _goal(len(x)), (got, exact(x, y, "kl"))


@pytest.mark.parametrize("x, y", WORST_XENT)
def test_worst_xent_inputs(x, y):
    y = x if y is None else y
    _, xent = _fns(len(x))
    got = float(xent(*x, *y))
    want = exact(x, y, "xent")
    assert _ulps(got, want) <= _goal(len(x)), (got, want)


def test_catalog_forms_use_the_logit_kernels():
    from symce.families import EXAMPLES
    from symce.engine.information import cross_entropy, entropy, kl

    ex = {e.label: e for e in EXAMPLES}
    c = ex["categorical-logits-k3"]
    assert isinstance(lambdify(entropy(c.build(1))).expr, F.logit_xent)
    assert isinstance(lambdify(cross_entropy(c.build(1), c.build(2))).expr, F.logit_xent)
    assert isinstance(lambdify(kl(c.build(1), c.build(2))).expr, F.softmax_kl)
    # the entropy at a subnormal value through the whole pipeline (derivation → rewrite → code)
    h = lambdify(entropy(ex["categorical-logits-k2"].build(1)))
    z = (745.0, 1.0000000000000002)
    assert _ulps(float(h(*z)), exact(z, z, "xent")) <= 3


_EDGE = [0.0, 5e-324, 1e-300, 1e-17, 1e-8, 0.5, 1.0, 2.0, 30.0, 33.0, 36.0, 37.0, 38.0, 40.0, 700.0, 709.78,
         710.0, 745.0, 746.0, 800.0, 1e17, 1e300, 1.7976931348623155e308, MAX]


def _sweep(k, n, seed):
    """Seeded points over extreme logits: signed edge values, edge values plus a small perturbation,
    near-equal pairs (y = x + shift + tiny), and ties."""
    rng = np.random.default_rng(seed)
    pts = []
    for _ in range(n):
        kind = rng.integers(4)
        x = [float(rng.choice(_EDGE) * rng.choice([-1, 1])) for _ in range(k)]
        if kind == 0:
            y = [float(rng.choice(_EDGE) * rng.choice([-1, 1])) for _ in range(k)]
        elif kind == 1:  # y = x + a common shift + small differences
            sh = float(rng.choice([0.0, 1.0, 700.0, -745.0]))
            y = [v + sh + float(rng.choice([0.0, 1e-12, -1e-9, 0.5, 30.0])) for v in x]
        elif kind == 2:
            y = [v * float(rng.choice([1.0, 1.0 + 2.0 ** -40, 0.5])) for v in x]
        else:
            y = [float(rng.normal(0, 40)) for _ in range(k)]
        pts.append((x, y))
    return pts


@pytest.mark.parametrize("k", [2, 3])
def test_seeded_sweep_over_extreme_logits(k):
    kl, xent = _fns(k)
    pts = [(x, y) for x, y in _sweep(k, 120, seed=k)
           if all(math.isfinite(v) for v in x + y)]
    X = np.array([x + y for x, y in pts]).T
    with np.errstate(all="ignore"):
        got_kl, got_ce, got_h = kl(*X), xent(*X), xent(*X[:k], *X[:k])
    goal = _goal(k)
    for j, (x, y) in enumerate(pts):
        for got, want in ((got_kl[j], exact(x, y, "kl")), (got_ce[j], exact(x, y, "xent")),
                          (got_h[j], exact(x, x, "xent"))):
            if math.isinf(want):
                assert got == want, (x, y, got, want)
                continue
            assert math.isfinite(got), (x, y, got, want)
            assert _ulps(got, want) <= goal, (x, y, got, want)


def test_other_backends_agree_on_the_worst_inputs():
    for backend in ("math", "mpmath"):
        kl, _ = _fns(3, backend)
        x, y = (1e-17, 709.78, -40.0), (1e-8, 709.78, -MAX)
        assert _ulps(float(kl(*x, *y)), exact(x, y, "kl")) <= 4, backend
