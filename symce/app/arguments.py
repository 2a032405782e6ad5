"""What the sub-commands share when they read their arguments: the usage error argparse cannot see, whole
numbers ≥ 1, and catalog families given by label (looked up in the catalog, never evaluated)."""

from __future__ import annotations

import argparse

# the module, not its EXAMPLES: the catalog is read when a label is looked up (a test may narrow it)
from symce import families

OK, FAILED, USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad command line that argparse cannot see (unknown family label, wrong number of families)."""


def positive_int(text: str) -> int:
    """argparse type: a whole number ≥ 1 (argparse turns the error into a usage error, exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {value}")
    return value


def _examples() -> list:
    # the seed catalog and the common families (gamma, poisson, …): every family file is reachable by label
    return list(families.EXAMPLES) + list(families.COMMON)


def labels() -> list[str]:
    """The labels of the catalog examples (the seed catalog's, then the common families'), in order."""
    return [e.label for e in _examples()]


def example(label: str):
    """The catalog example with this label; :class:`UsageError` naming the known labels otherwise."""
    for e in _examples():
        if e.label == label:
            return e
    raise UsageError(f"unknown family {label!r}; known families: {', '.join(labels())}")
