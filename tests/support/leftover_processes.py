"""Finding the processes a test run left behind.

Every process a test starts inherits the run's environment, and so the variable `MARKER` with
a value of the run's own; at the end of the run, `tests/conftest.py` looks for live processes
that still carry it, stops them, and fails the run. This reads `/proc` directly: psutil would
be one more dependency for one loop, and the check only needs Linux, where CI runs (elsewhere
it is skipped).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

MARKER = "HAVEN_TEST_RUN"


OWN_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")
"""Processes Python's multiprocessing starts for this interpreter; they end when it does."""


def marked_processes(value: str, proc: Path = Path("/proc")) -> dict[int, str]:
    """Live processes (pid: command line) whose environment has MARKER=value, except this one
    and the multiprocessing helpers it started itself (`OWN_HELPERS`)."""
    wanted = f"{MARKER}={value}".encode()
    found = {}
    for entry in proc.glob("[0-9]*"):
        pid = int(entry.name)
        if pid == os.getpid():
            continue
        try:
            if wanted not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").strip()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):  # gone meanwhile, or not ours to read
            continue
        text = command.decode(errors="replace")
        if parent == os.getpid() and any(helper in text for helper in OWN_HELPERS):
            continue
        if command:  # a zombie has no command line and holds nothing
            found[pid] = text[:200]
    return found


def leftovers(value: str, grace: float = 10.0) -> dict[int, str]:
    """The marked processes still alive after `grace` seconds (servers just told to stop may
    need a moment); they are then killed, and returned so the run can name them."""
    deadline = time.monotonic() + grace
    found = marked_processes(value)
    while found and time.monotonic() < deadline:
        time.sleep(0.5)
        found = marked_processes(value)
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return found
