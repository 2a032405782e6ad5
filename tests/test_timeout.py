"""Time limits: the step that runs out of time is the one named, and enclosing limits survive inner ones."""

import signal
import time

import pytest

from symce.errors import DerivationTimeoutError
from symce.core.limits import time_limit


def _busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_the_enclosing_limit_names_itself_when_it_expires_first():
    with pytest.raises(DerivationTimeoutError) as info:
        with time_limit("outer step", 0.3):
            with time_limit("inner step", 5):
                _busy(1.0)
    assert info.value.what == "outer step" and info.value.seconds == 0.3


def test_an_inner_limit_that_expires_first_names_the_inner_step():
    with pytest.raises(DerivationTimeoutError) as info:
        with time_limit("outer step", 5):
            with time_limit("inner step", 0.2):
                _busy(1.0)
    assert info.value.what == "inner step"


def test_the_enclosing_limit_still_runs_after_an_inner_one_finishes():
    start = time.monotonic()
    with pytest.raises(DerivationTimeoutError) as info:
        with time_limit("outer step", 0.6):
            with time_limit("inner step", 0.2):
                pass
            _busy(3.0)
    assert info.value.what == "outer step"
    assert time.monotonic() - start < 1.5  # the outer limit was restored, not lost or reset to its full length


def test_no_timer_is_left_running():
    with time_limit("step", 1.0):
        pass
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
