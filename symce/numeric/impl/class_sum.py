"""Σ over the classes' axis 0 of a (k, …) array in index order, numpy or torch.

numpy's ``a.sum(0)`` adds the rows of a (k, n ≥ 2) array one at a time, in order, but sums a (k, 1) or (k,)
array pairwise with eight accumulators: a row evaluated alone rounded differently from the same row in a
batch (a last bit in one row in four at k = 10, H(categorical-logits-k10) among them). Here every shape takes
the batch's order, so a row's value does not depend on the rows beside it.
"""

from __future__ import annotations


def sum_classes(a):
    """a[0] + a[1] + … + a[k − 1], left to right (a fresh array or scalar)."""
    if len(a) == 0:
        return a.sum(0)
    acc = a[0] * 1
    for r in a[1:]:
        acc += r
    return acc


__all__ = ["sum_classes"]
