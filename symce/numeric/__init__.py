"""Stable float code from derived formulas, and an exact verifier for any numeric implementation.

* :mod:`.functions` — stable special functions (softplus, log_sigmoid, xlogy, xlog1py, logsumexp, log1pmx,
  kl_div, …) as SymPy functions with derivatives, mpmath evaluation and elementary definitions;
* :mod:`.special` — the special functions of the families' formulas (log Γ, ψ, ψ⁽ⁿ⁾, B, erf, erfc, I_ν,
  Ei, E_n, H_x, ζ): one kernel name per function on every backend (scipy.special, torch, mpmath), and their
  enclosures in the ground truth (:mod:`.truth_special`, Arb in :mod:`.truth_flint`);
* :mod:`.rewrite` — :func:`stabilise`, the rewrite of derived formulas into those functions, each step
  proved with :func:`symce.prove`;
* :mod:`.lambdify` — :func:`lambdify` for numpy (default), scipy, math, mpmath and torch;
* :mod:`.truth` — exact ground truth: mpmath interval arithmetic on the exact binary value of each input,
  precision raised until the interval pins the correctly rounded float64;
* :mod:`.verify` — :func:`verify`: ULP errors of any callable against that truth, on bit-pattern samples
  of the parameter domain and an adversarial grid.
"""

from __future__ import annotations

from symce.numeric.functions import (diff_ratio, kl_div, log1pmx, log1pmx_ratio, log_offset, log_sigmoid, logsumexp,
                        softplus, to_elementary, xlog1py, xlogy)
from symce.numeric.lambdify import BACKENDS, lambdify
from symce.numeric.rewrite import Stabilised, stabilise
from symce.numeric.truth import ground_truth, truth_function
from symce.numeric.verify import Domain, VerifyReport, verify

__all__ = ["lambdify", "stabilise", "Stabilised", "verify", "VerifyReport", "Domain", "ground_truth",
           "truth_function", "BACKENDS", "softplus", "log_sigmoid", "xlogy", "xlog1py", "logsumexp", "log1pmx",
           "log1pmx_ratio", "kl_div", "diff_ratio", "log_offset", "to_elementary"]
