"""Time limits for derivation steps, counted in process CPU time.

SymPy is pure Python, so an interval timer can interrupt it between bytecodes; that is the only
portable way to bound a runaway ``integrate`` without a subprocess. The timer is ``ITIMER_PROF``: it
counts the CPU time (user + system) this process spends, not the wall clock, so a derivation on a
loaded machine — other processes holding the cores, the process descheduled or asleep — gets its full
budget, and a limit of *s* seconds means *s* seconds of work. A step that blocks without computing
(waiting on I/O or a lock) is therefore not bounded by it; symce's steps compute.

Outside the main thread (or on a platform without ``setitimer``) the limit cannot be enforced and the
step runs unbounded — never silently wrong, only possibly slow.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time

from symce.errors import DerivationTimeoutError, InvalidParameterError

_DEFAULT_LIMIT = 20.0
# CPU-time timer and its signal; SIGPROF is not otherwise used by CPython or SymPy
_TIMER = getattr(signal, "ITIMER_PROF", None)
_SIGNAL = getattr(signal, "SIGPROF", None)


def set_time_limit(seconds: float) -> None:
    """Set the default time limit (seconds of process CPU time) of fallback steps such as integration
    over the support."""
    global _DEFAULT_LIMIT
    if isinstance(seconds, bool) or not (isinstance(seconds, (int, float)) and seconds > 0):
        raise InvalidParameterError("set_time_limit", "seconds", seconds, "a positive number of seconds (the time limit)")
    _DEFAULT_LIMIT = float(seconds)


def get_time_limit() -> float:
    """The default time limit, in seconds of process CPU time."""
    return _DEFAULT_LIMIT


@contextlib.contextmanager
def time_limit(what: str, seconds: float | None = None):
    """Run the body under a limit of ``seconds`` of process CPU time; raise
    :class:`DerivationTimeoutError` naming ``what`` when it is spent.

    Limits nest: an enclosing limit that runs out first stays in charge (its error names the enclosing
    step), and what is left of it is restored when an inner limit ends.
    """
    seconds = _DEFAULT_LIMIT if seconds is None else seconds
    usable = (_TIMER is not None and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def _expired(signum, frame):
        raise DerivationTimeoutError(what, seconds)

    outer_left = signal.getitimer(_TIMER)[0]
    if 0 < outer_left <= seconds:
        # an enclosing limit expires first: it stays in charge, and its error names the enclosing step
        yield
        return
    old_handler = signal.signal(_SIGNAL, _expired)
    started = time.process_time()
    signal.setitimer(_TIMER, seconds)
    try:
        yield
    finally:
        signal.setitimer(_TIMER, 0)
        signal.signal(_SIGNAL, old_handler)
        if outer_left > 0:  # restore what is left of the enclosing limit (at least a tick)
            signal.setitimer(_TIMER, max(outer_left - (time.process_time() - started), 1e-3))
