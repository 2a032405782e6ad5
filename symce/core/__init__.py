"""The core layer: what every other layer builds on — the ``Family`` model and its measures, exponential-family
forms, named special functions, time limits, and the display registry. It imports nothing else of symce
except :mod:`symce.errors` (which lives at the top level because users import it by that name)."""
