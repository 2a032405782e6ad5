r"""log_gap(a, b, x, y, c) = c·(a − b + log x − log y): the gap between two classes' logit-minus-log-probability
scores, (z_i − log q_i) − (z_j − log q_j), in the gradient of the KL of logits against probabilities,
∂/∂z_i = s_i Σ_j s_j·((z_i − log q_i) − (z_j − log q_j)).

It vanishes where softmax(z) = q, and there the logit difference and the log-ratio cancel: each rounded to
half an ulp, their sum loses log₂(|z_i − z_j|/|gap|) bits (k = 3 at q = (0.63, 0.17, 0.20), z = (3.97, 2.58, 0):
−0.08 from 1.39 and 1.31, 5 units of the gradient). The kernel (:mod:`symce.numeric.impl.log_gap`) forms
both in long double — log(x/y) as log1p((x − y)/y) within a factor 2 — and rounds once. c is the power of
two that keeps c·(a − b) finite for logits of opposite signs near ±DBL_MAX.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction


class log_gap(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """c·(a − b + log x − log y), arguments (a, b, x, y, c), x, y > 0."""

    nargs = 5

    def elementary(self):
        a, b, x, y, c = self.args
        return c * (a - b + sp.log(x) - sp.log(y))

    def fdiff(self, argindex=1):
        a, b, x, y, c = self.args
        return [c, -c, c / x, -c / y, a - b + sp.log(x) - sp.log(y)][argindex - 1]

    def lowering(self, names):
        """(numpy kernel, its arguments): the long-double kernel (the torch backend bridges it)."""
        from symce.numeric.impl.log_gap import log_gap_numpy

        return log_gap_numpy, self.args


__all__ = ["log_gap"]
