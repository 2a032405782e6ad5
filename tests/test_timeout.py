"""Time limits: counted in process CPU time; the step that runs out of time is the one named, and enclosing
limits survive inner ones."""

import signal
import subprocess
import sys
import time

import pytest

from symce.errors import DerivationTimeoutError
from symce.core.limits import time_limit


def _busy(seconds: float) -> None:
    """Spend ``seconds`` of this process's CPU time (however long that takes on a loaded machine)."""
    end = time.process_time() + seconds
    while time.process_time() < end:
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
    start = time.process_time()
    with pytest.raises(DerivationTimeoutError) as info:
        with time_limit("outer step", 0.6):
            with time_limit("inner step", 0.2):
                pass
            _busy(3.0)
    assert info.value.what == "outer step"
    assert time.process_time() - start < 1.5  # the outer limit was restored, not lost or reset to its full length


def test_no_timer_is_left_running():
    with time_limit("step", 1.0):
        pass
    assert signal.getitimer(signal.ITIMER_PROF)[0] == 0


def test_wall_clock_time_without_cpu_work_does_not_count():
    # sleeping spends wall-clock time, not this process's CPU time: a 0.2 s limit survives 0.6 s of it
    with time_limit("sleeping step", 0.2):
        time.sleep(0.6)


def test_another_process_holding_the_cpu_does_not_count():
    # waiting on a CPU-bound child: the child's CPU time is not ours
    busy = "import time\nend = time.process_time() + 0.8\nwhile time.process_time() < end: pass"
    with time_limit("waiting step", 0.3):
        subprocess.run([sys.executable, "-c", busy], check=True)


def test_a_cpu_bound_step_still_runs_out_of_time():
    start = time.process_time()
    with pytest.raises(DerivationTimeoutError) as info:
        with time_limit("cpu-bound step", 0.2):
            _busy(2.0)
    assert info.value.what == "cpu-bound step" and info.value.seconds == 0.2
    assert time.process_time() - start < 1.0
