"""Distribution objects from elsewhere (sympy.stats random variables) accepted wherever a distribution is.

The engine turns its arguments into :class:`~symce.core.family.Family` objects here. Converters are
installed by the families layer when it is imported (``import symce`` always imports it), because what a
foreign object becomes — a shipped family such as ``Normal`` or a user :class:`~symce.Density` — is
decided there, above the engine.
"""

from __future__ import annotations

from typing import Any, Callable

from symce.core.family import Family
from symce.errors import ArgumentTypeError

#: converters tried in order; each returns a Family or None ("not mine")
_CONVERTERS: list[Callable[[Any], Family | None]] = []


def register(converter: Callable[[Any], Family | None]) -> None:
    """Install a converter (called by :mod:`symce.families` at import)."""
    if converter not in _CONVERTERS:
        _CONVERTERS.append(converter)


def as_family(obj: Any, role: str) -> Family:
    """``obj`` as a symce distribution, or ArgumentTypeError naming ``role`` and what is accepted."""
    if isinstance(obj, Family):
        return obj
    for convert in _CONVERTERS:
        family = convert(obj)
        if family is not None:
            return family
    raise ArgumentTypeError(
        f"{role} must be a symce distribution such as symce.Normal(mu, sigma), a symce.Density, or a "
        f"sympy.stats random variable, not {type(obj).__name__}")
