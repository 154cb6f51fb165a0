"""Waiting and typing across two server processes through real Redis pub/sub: a claim on the
counselor's process makes the young person's process look at the queue again (naming the
conversation claimed), a young person who left does too, and typing dots cross both ways."""

import asyncio

import pytest

from haven.handoff.relay import TYPING, HandoffRelay, LiveChat, RedisHandoffRelay
from tests.support.polling import until
from tests.support.relays import running_relays
from tests.unit.handoff.test_relay import REDIS_URL, TEST_CHANNEL, redis_reachable


def test_in_process_a_claim_and_a_leave_tell_the_watcher():
    async def scenario():
        relay, heard = HandoffRelay(), []
        relay.on_queue_change = heard.append
        await relay.open(LiveChat("req-1", "conv-1", "ana", "en", "uk"))
        await relay.queue_changed()
        assert heard == ["conv-1", None]

    asyncio.run(scenario())


def test_across_two_processes_a_claim_moves_the_queue_and_typing_crosses():
    if not redis_reachable():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")

    async def scenario():
        console, widget = (
            RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL),
            RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL),
        )
        heard: dict[str, list] = {"console": [], "widget": []}
        pushed: list = []
        for name, relay in (("console", console), ("widget", widget)):
            relay.on_queue_change = heard[name].append
        async with running_relays(console, widget):

            async def push(conversation_id, message):
                pushed.append((conversation_id, message))

            widget.push_to_young_person = push
            live = LiveChat("req-9", "conv-waiting", "ana", "en", "uk")
            await console.open(live)
            await until(lambda: "conv-waiting" in heard["widget"])
            assert heard["console"] == ["conv-waiting"]  # once: its own event is not heard twice

            await widget.queue_changed()  # a young person left on the widget's process
            await until(lambda: None in heard["console"] and None in heard["widget"])

            assert await widget.typing_from_young_person("conv-waiting", True)
            await until(live.young_person_typing)
            await console.typing_from_counselor("conv-waiting", True)
            await until(lambda: pushed)
            assert pushed == [("conv-waiting", {"kind": TYPING, "typing": True})]
            assert not await widget.typing_from_young_person("conv-nobody", True)

    asyncio.run(scenario())
