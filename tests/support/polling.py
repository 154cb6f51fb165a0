"""Waiting in an async test until something a server pushes has arrived: the one polling loop the
tests of every tier share, so a test waits on the condition, never on a fixed sleep."""

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def until(check: Callable[[], T], seconds: float = 20.0) -> T:
    """`check()`'s first true answer, asked every 50 ms; AssertionError after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {seconds:g} seconds")
