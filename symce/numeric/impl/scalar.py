"""The "math" (Python floats) and "scipy" backends, built on the numpy implementations."""

from __future__ import annotations

import math

import numpy as np

from symce.numeric.impl.arrays import array_impls

def math_impls() -> dict:
    """Scalar (Python float) implementations: the numpy algorithms on 0-d arrays."""
    impls = array_impls("numpy")

    def scalar(f):
        def g(*args, **kw):  # keywords: log_offset's double-double root (functools.partial)
            with np.errstate(all="ignore"):
                return float(f(*args, **kw))

        g.__name__ = getattr(f, "__name__", getattr(getattr(f, "func", None), "__name__", "kernel"))
        return g

    out = {k: scalar(f) for k, f in impls.items()}
    # Python's math raises where IEEE arithmetic has a value: log(0) = −∞ (a weight times log 0 is +∞ in a
    # cross-entropy against p = 0), exp overflow = +∞. The printed code calls bare log/exp, so these win
    # over the math module in the lambdify namespace.
    out["log"] = _math_log
    out["exp"] = _math_exp
    return out


def _math_log(x):
    x = float(x)
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


def _math_exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def scipy_impls() -> dict:
    """Prefer scipy.special's compiled functions where scipy has the same function."""
    import scipy.special as sc

    out = dict(array_impls("numpy"))
    out.update({"sigmoid": sc.expit, "log_sigmoid": sc.log_expit, "xlogy": sc.xlogy, "xlog1py": sc.xlog1py})
    return out


