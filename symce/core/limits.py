"""Time limits for derivation steps.

SymPy is pure Python, so an interval timer (SIGALRM) can interrupt it between bytecodes; that is the
only portable way to bound a runaway ``integrate`` without a subprocess. Outside the main thread (or on a
platform without ``setitimer``) the limit cannot be enforced and the step runs unbounded — never
silently wrong, only possibly slow.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time

from symce.errors import DerivationTimeoutError, InvalidParameterError

_DEFAULT_LIMIT = 20.0


def set_time_limit(seconds: float) -> None:
    """Set the default time limit (seconds) of fallback steps such as integration over the support."""
    global _DEFAULT_LIMIT
    if isinstance(seconds, bool) or not (isinstance(seconds, (int, float)) and seconds > 0):
        raise InvalidParameterError("set_time_limit", "seconds", seconds, "a positive number of seconds (the time limit)")
    _DEFAULT_LIMIT = float(seconds)


def get_time_limit() -> float:
    return _DEFAULT_LIMIT


@contextlib.contextmanager
def time_limit(what: str, seconds: float | None = None):
    """Run the body under a time limit; raise :class:`DerivationTimeoutError` naming ``what``."""
    seconds = _DEFAULT_LIMIT if seconds is None else seconds
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def _expired(signum, frame):
        raise DerivationTimeoutError(what, seconds)

    outer_left = signal.getitimer(signal.ITIMER_REAL)[0]
    if 0 < outer_left <= seconds:
        # an enclosing limit expires first: it stays in charge, and its error names the enclosing step
        yield
        return
    old_handler = signal.signal(signal.SIGALRM, _expired)
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if outer_left > 0:  # restore what is left of the enclosing limit (at least a tick)
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - started), 1e-3))
