"""`running_relays` (tests/support/relays.py): a relay test that fails still ends, its relays
stopped, and a relay stop that hangs fails the test instead of hanging the run."""

import asyncio

import pytest

from haven.handoff.relay import RedisHandoffRelay
from tests.support.relays import running_relays
from tests.unit.handoff.test_relay import REDIS_URL, TEST_CHANNEL, redis_reachable


@pytest.fixture
def redis_needed():
    if not redis_reachable():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")


def tasks_left():
    return [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]


def test_the_relays_of_a_failing_block_are_stopped_and_the_failure_is_reported(redis_needed):
    async def scenario():
        relays = [RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL) for _ in range(2)]
        with pytest.raises(AssertionError, match="the test's own failure"):
            async with running_relays(*relays):
                assert tasks_left()  # the listeners run inside the block
                raise AssertionError("the test's own failure")
        assert tasks_left() == []

    asyncio.run(scenario())


def test_a_relay_stopped_inside_the_block_is_stopped_again_harmlessly(redis_needed):
    async def scenario():
        going_down = RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL)
        staying = RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL)
        async with running_relays(going_down, staying):
            await going_down.stop()  # a process going down in the middle of a test
        assert tasks_left() == []

    asyncio.run(scenario())


class RelayThatNeverStops:
    """Stands for a relay whose listener ignores its stop: what hung the unit runs."""

    channel = "haven:handoff:never-stops"

    def __init__(self):
        self.stopping = False

    async def start(self):
        pass

    async def stop(self):
        self.stopping = True
        await asyncio.sleep(3600)


def test_a_stop_that_hangs_fails_naming_the_relay_and_the_others_are_still_stopped(
    redis_needed,
):
    async def scenario():
        stuck = RelayThatNeverStops()
        other = RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL)
        with pytest.raises(AssertionError) as failure:
            async with running_relays(stuck, other, stop_seconds=0.2):
                pass
        assert str(failure.value) == (
            "relay 1 of 2 (channel haven:handoff:never-stops) did not stop within 0.2 seconds"
        )
        assert stuck.stopping and tasks_left() == []

    asyncio.run(scenario())
