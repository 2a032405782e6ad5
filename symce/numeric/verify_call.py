"""Calling an implementation under test on columns of inputs: one vectorised call with numpy arrays, torch
tensors or jax arrays where the callable takes them, else one call per point (a scalar-only callable;
a raising math.log(0) counts as NaN).

An implementation that takes arrays but returns one number for many points (a mean or sum: torch's
default ``reduction="mean"``) or another shape is refused with :class:`ImplementationError`, not re-run
point by point; so is one that raises anything but the float errors of a single point."""

from __future__ import annotations

import sys

import numpy as np

from symce.errors import SymceError


class ImplementationError(SymceError, RuntimeError):
    """The implementation under test raised, or returned a result of the wrong shape (a reduction)."""


def _check_shape(out, cols, how):
    n = cols[0].shape
    if out.shape == n:
        return out
    if out.ndim == 0 and cols[0].size == 1:
        return out.reshape(1)
    if out.size == 1 and cols[0].size > 1:
        raise ImplementationError(
            f"the implementation returned one value for {cols[0].size} points ({how}): a reduction such as a "
            f"mean or sum; verify needs one value per point (e.g. reduction='none')")
    raise ImplementationError(f"the implementation returned shape {out.shape} for inputs of shape {n} ({how}); "
                              f"verify needs one value per point")


def _call(fn, cols, mode):
    """Evaluate fn on columns; returns (values, mode used). Raises :class:`ImplementationError` for a
    reduction or a wrong shape, and when fn raises on every calling convention."""
    if mode in ("auto", "numpy"):
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(_to_numpy(fn(*[c.copy() for c in cols])), dtype=np.float64)
            return _check_shape(out, cols, "numpy arrays"), "numpy"
        except ImplementationError:
            raise
        except Exception as exc:  # noqa: BLE001 - a scalar-only callable fails here; try the next convention
            if mode == "numpy":
                raise ImplementationError(f"the implementation raised on numpy arrays: "
                                          f"{type(exc).__name__}: {exc}") from exc
    if mode in ("auto", "torch"):
        try:
            import torch

            out = fn(*[torch.as_tensor(c, dtype=torch.float64) for c in cols])
            out = np.asarray(_to_numpy(out), dtype=np.float64)
            return _check_shape(out, cols, "torch tensors"), "torch"
        except ImplementationError:
            raise
        except ImportError:
            if mode == "torch":
                raise
        except Exception as exc:  # noqa: BLE001
            if mode == "torch":
                raise ImplementationError(f"the implementation raised on torch tensors: "
                                          f"{type(exc).__name__}: {exc}") from exc
    if mode == "jax" or (mode == "auto" and "jax" in sys.modules):  # auto: only when the caller uses jax
        try:
            import jax

            if mode == "jax":  # float64 jax arrays need x64 (the jax backend sets it too)
                jax.config.update("jax_enable_x64", True)
            if jax.config.read("jax_enable_x64"):
                out = fn(*[jax.numpy.asarray(c, dtype=jax.numpy.float64) for c in cols])
                out = np.asarray(out, dtype=np.float64)
                return _check_shape(out, cols, "jax arrays"), "jax"
        except ImplementationError:
            raise
        except Exception as exc:  # noqa: BLE001
            if mode == "jax":
                raise ImplementationError(f"the implementation raised on jax arrays: "
                                          f"{type(exc).__name__}: {exc}") from exc
    vals = []
    for pt in zip(*cols):
        try:
            with np.errstate(all="ignore"):
                v = float(_to_numpy(fn(*[float(x) for x in pt])))
        except (ValueError, OverflowError, ZeroDivisionError):
            v = float("nan")  # math.log(0) raises: count it as a NaN
        except Exception as exc:  # noqa: BLE001 - anything else is a fault of the implementation
            raise ImplementationError(f"the implementation raised at {dict(enumerate(pt))}: "
                                      f"{type(exc).__name__}: {exc}") from exc
        vals.append(v)
    return np.array(vals, dtype=np.float64), "scalar"


def _to_numpy(x):
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return x
