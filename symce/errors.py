"""Every exception a symce user can see.

All derive from :class:`SymceError`, so ``except symce.errors.SymceError`` catches anything symce raises
on purpose. Each also derives from the matching built-in (``ValueError``, ``TypeError``,
``TimeoutError``) so generic handlers keep working. Messages name *what* was wrong and *what is allowed*.
"""

from __future__ import annotations


class SymceError(Exception):
    """Base class of every error symce raises deliberately."""


class InvalidParameterError(SymceError, ValueError):
    """A parameter value lies outside the family's parameter space (p = 1.5, sigma = -1, ...)."""

    def __init__(self, family: str, parameter: str, value, allowed: str):
        self.family, self.parameter, self.value, self.allowed = family, parameter, value, allowed
        super().__init__(f"{family}: parameter {parameter} = {value} is not allowed; {parameter} must be {allowed}")


class ArgumentTypeError(SymceError, TypeError):
    """An argument has a type symce cannot use (a string where an expression is expected, ...)."""


class FamilyMismatchError(SymceError, ValueError):
    """Two distributions cannot be compared: different sample spaces, or no rule for the pair."""


class DimensionMismatchError(SymceError, ValueError):
    """Two distributions (or a parameter and its family) disagree on dimension or number of classes."""


class DerivationTimeoutError(SymceError, TimeoutError):
    """A derivation step exceeded its time limit; the message names the step and the limit."""

    def __init__(self, what: str, seconds: float):
        self.what, self.seconds = what, seconds
        super().__init__(
            f"{what} did not finish within its time limit of {seconds:g} s; "
            "raise the limit with symce.set_time_limit(...) or choose a family with a closed-form route"
        )


class DerivationError(SymceError, ArithmeticError):
    """No rule of the engine applies and the fallback could not produce a closed form."""


class ProofError(SymceError, ValueError):
    """A proof request is malformed (e.g. assumptions that no point satisfies)."""


class DensityError(SymceError, ValueError):
    """A density written by the user is not a probability density: negative somewhere on its support,
    or its integral (sum) over the support is not 1. The message gives the evidence."""
