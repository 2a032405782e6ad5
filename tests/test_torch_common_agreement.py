"""The torch backend against the numpy backend on every common family's entropy, cross-entropy and KL
(families.COMMON, same-family pairs: a new family is tested by adding it), float64, at seeded typical points.

The accuracy benchmark measures the numpy code against exact values; torch has kernels of its own (native
rational_log_sum, fused functions, bridges) that no benchmark row reads. This test ties them to the measured
numpy values, at 2⁻⁴⁰ of max(|value|, 1): a float32 rounding anywhere inside (2⁻²⁴) fails it. It was written
for such a bug: the native rational_log_sum kernel made its constant part a float32 tensor
(torch.as_tensor of a Python float), so CE(rayleigh) and the other families' constant terms came out ~1e-9
off in float64 — inside the 1e-9 relative tolerance of the comparisons with torch.distributions."""

from __future__ import annotations

import random

import pytest

import symce as sc
from symce import families
from symce.errors import SymceError

torch = pytest.importorskip("torch")

TOL = 2.0 ** -40
POINTS = 6


def _formulas():
    for e in families.COMMON:
        yield f"H({e.label})", (e,), lambda e=e: sc.entropy(e.build(1))
    for a, b in families.same_family_pairs():
        if a.build(1).sample_space != b.build(2).sample_space:
            continue
        yield f"CE({a.label} ‖ {b.label})", (a, b), lambda a=a, b=b: sc.cross_entropy(a.build(1), b.build(2))
        yield f"KL({a.label} ‖ {b.label})", (a, b), lambda a=a, b=b: sc.kl(a.build(1), b.build(2))


FORMULAS = list(_formulas())


@pytest.mark.parametrize("name,examples,derive", FORMULAS, ids=[f[0] for f in FORMULAS])
def test_torch_agrees_with_numpy(name, examples, derive):
    d = derive()
    try:
        fn = sc.lambdify(d)
        ft = sc.lambdify(d, backend="torch")
    except SymceError as err:  # a kept Sum/Integral or a symbolic size: nothing to lambdify
        pytest.skip(f"{name}: not lambdified ({type(err).__name__})")
    rng = random.Random(hash(name) % 2**32)
    dists = [ex.build(i + 1) for i, ex in enumerate(examples)]
    rows = []
    for _ in range(POINTS):
        values = {}
        for ex, dist in zip(examples, dists):
            values.update(ex.sample(dist, rng))
        rows.append({str(s): float(v) for s, v in values.items()})
    params = list(rows[0])
    want = [float(fn(**r)) for r in rows]
    got = ft(**{p: torch.tensor([r[p] for r in rows], dtype=torch.float64) for p in params})
    assert got.dtype == torch.float64
    for r, w, g in zip(rows, want, got.tolist()):
        if w == g:  # ±∞ (a +∞ pair: different supports) or exactly equal
            continue
        assert abs(g - w) <= TOL * max(abs(w), 1.0), f"{name} at {r}: torch {g!r}, numpy {w!r}"
