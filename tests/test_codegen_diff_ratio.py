"""codegen: (b − a)/s printed as the negation of an already computed (a − b)/s (the normal KL's value has
(μ₁ − μ₂)/σ₂, its gradient (μ₂ − μ₁)/σ₂) — the same bits, the difference's overflow included, on the numpy
and torch kernels. Reference: the exact quotient in fractions, rounded once."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from symce.numeric import codegen
from symce.numeric.functions import diff_ratio
from symce.numeric.impl import impls

_A, _B = sp.symbols("a b", real=True)
_S = sp.Symbol("s", positive=True)
_POINTS = [(3.0, 1.0, 7.0), (1.7e308, -1.7e308, 3.0), (-1e-310, 2e-310, 1e-300), (0.1, 0.3, 0.7)]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_reversed_difference_ratio_is_the_negation(backend):
    if backend == "torch":
        torch = pytest.importorskip("torch")
        from symce.numeric.impl.torch_fused import torch_names

        names, conv = torch_names(), (lambda v: torch.tensor(v, dtype=torch.float64))
    else:
        names, conv = impls("numpy"), np.array
    exprs = sp.ImmutableMatrix([[diff_ratio(_A, _B, _S), diff_ratio(_B, _A, _S)]])
    fn = codegen.generate([_A, _B, _S], exprs, names)
    assert fn.source.count("diff_ratio(") == 1 and "-(_t0)" in fn.source
    a, b, s = (conv([p[i] for p in _POINTS]) for i in range(3))
    if backend == "torch":
        fn.__globals__.update({"array": lambda rows: rows[0]})
        got = [[float(v) for v in col] for col in fn(a, b, s)]
    else:
        with np.errstate(all="ignore"):
            got = np.asarray(fn(a, b, s)).reshape(2, -1).tolist()
    for k, (x, y, z) in enumerate(_POINTS):
        want = float((Fraction(x) - Fraction(y)) / Fraction(z))
        assert got[0][k] == want and got[1][k] == -want
