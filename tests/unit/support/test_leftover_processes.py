"""The end-of-run check finds, and stops, processes a test left running (tests/conftest.py)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.leftover_processes import MARKER, leftovers, marked_processes

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")


def sleeper(marker: str | None) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if key != MARKER}
    if marker:
        env[MARKER] = marker
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env)


def test_a_process_carrying_the_runs_marker_is_found_killed_and_named():
    marker = uuid.uuid4().hex
    left, unmarked = sleeper(marker), sleeper(None)
    try:
        assert list(marked_processes(marker)) == [left.pid]
        found = leftovers(marker, grace=0.5)
        assert list(found) == [left.pid] and "time.sleep(60)" in found[left.pid]
        assert left.wait(timeout=10) == -9
        assert unmarked.poll() is None  # another run's or nobody's process is left alone
    finally:
        for process in (left, unmarked):
            process.kill()
            process.wait()


def test_a_run_whose_processes_all_stopped_has_no_leftovers():
    marker = uuid.uuid4().hex
    stopped = sleeper(marker)
    stopped.terminate()
    stopped.wait()
    assert leftovers(marker, grace=0.5) == {}


def test_this_run_is_marked_so_its_processes_can_be_found():
    assert os.environ.get(MARKER)


def test_multiprocessings_own_helper_of_this_run_is_not_a_leftover():
    import multiprocessing

    marker = os.environ[MARKER]
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:  # starts the resource tracker, which lives as long as we do
        assert pool.apply(abs, (-1,)) == 1
    assert not any("resource_tracker" in command for command in marked_processes(marker).values())
