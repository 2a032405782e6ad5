"""The array namespace the implementations are written against (numpy or torch), in a module of its own so
that kernels outside the arrays package (:mod:`symce.numeric.impl.gamma_kernels`) use it without importing
the package that registers them."""

from __future__ import annotations

import numpy as np


class _Array:
    """The handful of array operations the implementations need, for numpy or torch."""

    def __init__(self, kind: str):
        self.kind = kind
        if kind == "torch":
            import torch

            self.m, self.f64 = torch, torch.float64
        else:
            self.m, self.f64 = np, np.float64

    def asarray(self, x):
        if self.kind == "torch":
            return self.m.as_tensor(x, dtype=self.f64)
        return np.asarray(x, dtype=np.float64)

    def zeros_like(self, x):
        return self.m.zeros_like(x)

    def stack(self, xs):
        xs = [self.asarray(x) for x in xs]
        if self.kind == "torch":
            xs = self.m.broadcast_tensors(*xs)
            return self.m.stack(xs)
        return np.stack(np.broadcast_arrays(*xs))

    def full_like(self, x, v):
        return self.m.full_like(x, v)
