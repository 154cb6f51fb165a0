"""Redis handoff relays started for a test and always stopped, even when the test fails.

A relay's listener is a task on the test's event loop. A test that stopped its relays on its last
line left them running when an assertion failed before it; `asyncio.run` then cancelled the
listener, a cancel it can take for its own one-second read timeout (see `RedisHandoffRelay.stop`),
and waited for it for ever: the whole unit run hung instead of reporting the failure (7 runs of 8
of a relay test with an early `assert False`). Stopping every relay in a `finally`, each stop
bounded, turns that into the test's own failure.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from haven.handoff.relay import RedisHandoffRelay

STOP_SECONDS = 10.0
"""How long one relay may take to stop: its listener notices within its one-second read."""


@contextlib.asynccontextmanager
async def running_relays(
    *relays: RedisHandoffRelay, stop_seconds: float = STOP_SECONDS
) -> AsyncIterator[tuple[RedisHandoffRelay, ...]]:
    """Starts `relays` in order and yields them; stops every one of them when the block ends.

    The test builds the relays and sets their handlers first (some must be set before `start`).
    A relay the test stops inside the block (a process going down) is stopped again here, which
    is harmless (`tests/unit/support/test_relays.py`); a relay started later in the test goes in
    a nested block. A stop that takes longer than `stop_seconds` fails the test with an
    AssertionError that names the relay, after the others were stopped too.
    """
    try:
        for relay in relays:
            await relay.start()
        yield relays
    finally:
        failures = []
        for number, relay in enumerate(relays, start=1):
            try:
                await asyncio.wait_for(relay.stop(), timeout=stop_seconds)
            except asyncio.TimeoutError:
                failures.append(
                    f"relay {number} of {len(relays)} (channel {relay.channel}) "
                    f"did not stop within {stop_seconds:g} seconds"
                )
            except Exception as error:  # the others are still stopped
                failures.append(
                    f"relay {number} of {len(relays)} (channel {relay.channel}) "
                    f"failed to stop: {type(error).__name__}: {error}"
                )
        if failures:
            raise AssertionError("; ".join(failures))
