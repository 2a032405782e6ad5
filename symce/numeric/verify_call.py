"""Calling an implementation under test on columns of inputs: one vectorised call with numpy arrays, torch
tensors or jax arrays where the callable takes them, else one call per point (a scalar-only callable;
a raising math.log(0) counts as NaN)."""

from __future__ import annotations

import sys

import numpy as np


def _call(fn, cols, mode):
    """Evaluate fn on columns; returns (values, mode used)."""
    if mode in ("auto", "numpy"):
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(_to_numpy(fn(*[c.copy() for c in cols])), dtype=np.float64)
            if out.shape == cols[0].shape:
                return out, "numpy"
            if out.ndim == 0 and cols[0].size == 1:
                return out.reshape(1), "numpy"
        except Exception:  # noqa: BLE001 - a scalar-only callable fails here; try the next calling convention
            if mode == "numpy":
                raise
    if mode in ("auto", "torch"):
        try:
            import torch

            out = fn(*[torch.as_tensor(c, dtype=torch.float64) for c in cols])
            out = np.asarray(_to_numpy(out), dtype=np.float64)
            if out.shape == cols[0].shape:
                return out, "torch"
        except ImportError:
            if mode == "torch":
                raise
        except Exception:  # noqa: BLE001
            if mode == "torch":
                raise
    if mode == "jax" or (mode == "auto" and "jax" in sys.modules):  # auto: only when the caller uses jax
        try:
            import jax

            if mode == "jax":  # float64 jax arrays need x64 (the jax backend sets it too)
                jax.config.update("jax_enable_x64", True)
            if jax.config.read("jax_enable_x64"):
                out = fn(*[jax.numpy.asarray(c, dtype=jax.numpy.float64) for c in cols])
                out = np.asarray(out, dtype=np.float64)
                if out.shape == cols[0].shape:
                    return out, "jax"
        except Exception:  # noqa: BLE001
            if mode == "jax":
                raise
    vals = []
    for pt in zip(*cols):
        try:
            with np.errstate(all="ignore"):
                v = float(_to_numpy(fn(*[float(x) for x in pt])))
        except (ValueError, OverflowError, ZeroDivisionError):
            v = float("nan")  # math.log(0) raises: count it as a NaN
        vals.append(v)
    return np.array(vals, dtype=np.float64), "scalar"


def _to_numpy(x):
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return x
