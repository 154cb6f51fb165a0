"""Never silently lost, and a supervisor's view from anywhere: a counselor's message says whether
the young person's process pushed it, one not delivered can be sent again, a restarted process
learns which chats the others hold, and a chat's messages are read from another process."""

import asyncio
import time

import pytest

from haven.handoff.relay import (
    ANSWER_TIMEOUT_SECONDS,
    CounselorUnreachable,
    HandoffRelay,
    LiveChat,
    RedisHandoffRelay,
)
from tests.support.polling import until
from tests.support.relays import running_relays
from tests.unit.handoff.test_relay import REDIS_URL, TEST_CHANNEL, redis_reachable


def chat(conversation):
    return LiveChat("req-delivery", conversation, "ana", "en", "uk")


def pushes_into(relay, pushed, sockets):
    """The widget channel's part: pushes go to `pushed`; `sockets` are the conversations with
    a socket on this process."""

    async def push(conversation_id, message):
        pushed.append((conversation_id, message))

    relay.push_to_young_person = push
    relay.connected_here = lambda conversation_id: conversation_id in sockets


def test_in_process_a_message_is_delivered_only_to_a_socket_that_is_there():
    async def scenario():
        relay, pushed, sockets = HandoffRelay(), [], set()
        pushes_into(relay, pushed, sockets)
        told = []
        relay.on_message = lambda chat, message: told.append(dict(message))
        await relay.open(chat("conv-a"))
        sockets.add("conv-a")
        sent = await relay.from_counselor("conv-a", "I'm here")
        assert sent["delivered"] is True and told[-1]["delivered"] is True
        sockets.clear()  # the young person's connection dropped
        lost = await relay.from_counselor("conv-a", "are you still there?")
        assert lost["delivered"] is False and told[-1] == lost  # the console is told at once
        again = await relay.send_again("conv-a", lost["n"])
        assert again["delivered"] is False  # still away: still not delivered
        sockets.add("conv-a")
        told.clear()
        again = await relay.send_again("conv-a", lost["n"])
        assert again["delivered"] is True
        assert told == [{**lost, "delivered": True}]  # the same n: consoles update the mark
        assert pushed[-1] == ("conv-a", {"text": "are you still there?", "from": "counselor"})
        count = len(pushed)
        await relay.send_again("conv-a", lost["n"])  # a double click sends nothing twice
        assert len(pushed) == count
        assert await relay.send_again("conv-a", 999) is None
        await relay.from_young_person("conv-a", "hi")
        young = relay.live("conv-a").messages[-1]
        assert await relay.send_again("conv-a", young["n"]) is None  # only a counselor's message
        assert await relay.send_again("conv-gone", 1) is None

    asyncio.run(scenario())


def test_without_a_widget_channel_nothing_counts_as_delivered():
    async def scenario():
        relay = HandoffRelay()
        await relay.open(chat("conv-b"))
        assert (await relay.from_counselor("conv-b", "hello"))["delivered"] is False

    asyncio.run(scenario())


def test_in_process_a_chat_is_read_here_and_nowhere_else():
    async def scenario():
        relay = HandoffRelay()
        await relay.open(chat("conv-c"))
        await relay.from_young_person("conv-c", "one")
        await relay.from_young_person("conv-c", "two")
        view = await relay.messages_anywhere("conv-c", 1)
        assert [m["text"] for m in view.messages] == ["two"] and view.typing is False
        assert await relay.messages_anywhere("conv-other", 0) is None

    asyncio.run(scenario())


@pytest.fixture
def redis_needed():
    if not redis_reachable():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")


def test_across_processes_delivered_is_the_young_persons_process_answering(redis_needed):
    async def scenario():
        console, widget = (
            RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL),
            RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL),
        )
        on_console, on_widget = [], []
        pushes_into(console, on_console, set())
        pushes_into(widget, on_widget, {"conv-d"})
        async with running_relays(console, widget):
            await console.open(chat("conv-d"))
            sent = await console.from_counselor("conv-d", "hello from Ana")
            assert sent["delivered"] is True
            assert ("conv-d", {"text": "hello from Ana", "from": "counselor"}) in on_widget

            await widget.stop()  # the young person's process stops (a restart, a crash)
            started = time.monotonic()
            lost = await console.from_counselor("conv-d", "still there?")
            assert lost["delivered"] is False
            assert time.monotonic() - started < ANSWER_TIMEOUT_SECONDS + 1
            assert console.live("conv-d").messages[-1] == lost  # shown as not delivered

            # It starts again: it asks who holds what, so the young person's messages, sent again
            # by their widget after the reconnect, reach the counselor and not the paused bot.
            restarted, on_restarted = RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL), []
            pushes_into(restarted, on_restarted, {"conv-d"})
            async with running_relays(restarted):
                assert await restarted.from_young_person("conv-d", "sorry my wifi")
                await until(lambda: console.live("conv-d").messages[-1]["text"] == "sorry my wifi")
                again = await console.send_again("conv-d", lost["n"])
                assert again["delivered"] is True
                assert ("conv-d", {"text": "still there?", "from": "counselor"}) in on_restarted
                await console.close("conv-d")

    asyncio.run(scenario())


def test_a_young_persons_message_is_taken_by_the_counselors_process_or_said_unreachable(
    redis_needed,
):
    async def scenario():
        console, widget = (
            RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL),
            RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL),
        )
        pushes_into(widget, [], {"conv-u"})
        async with running_relays(console, widget):
            await console.open(chat("conv-u"))
            await until(lambda: "conv-u" in widget._elsewhere)
            assert await widget.from_young_person("conv-u", "are you there")
            assert console.live("conv-u").messages[-1]["text"] == "are you there"  # taken first

            await console.stop()  # the counselor's process stops: nobody takes the next one
            started = time.monotonic()
            with pytest.raises(CounselorUnreachable):
                await widget.from_young_person("conv-u", "hello??")
            assert time.monotonic() - started < ANSWER_TIMEOUT_SECONDS + 1

    asyncio.run(scenario())


def test_a_process_that_never_heard_of_a_chat_is_not_told_it_is_held(redis_needed):
    async def scenario():
        first, second = (
            RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL),
            RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL),
        )
        async with running_relays(first, second):
            assert not await second.from_young_person("conv-nobody", "hi")  # the bot answers

    asyncio.run(scenario())


def test_a_supervisor_reads_a_chat_held_on_another_process(redis_needed):
    async def scenario():
        holder, supervisor = (
            RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL),
            RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL),
        )
        async with running_relays(holder, supervisor):
            live = chat("conv-e")
            await holder.open(live)
            await holder.from_young_person("conv-e", "he wants money")
            await holder.from_counselor("conv-e", "you did nothing wrong")
            await holder.typing_from_young_person("conv-e", True)
            view = await supervisor.messages_anywhere("conv-e", 0)
            assert [(m["from"], m["text"]) for m in view.messages] == [
                ("young_person", "he wants money"),
                ("counselor", "you did nothing wrong"),
            ]
            assert view.messages[1]["delivered"] is False and view.typing is True
            later = await supervisor.messages_anywhere("conv-e", view.messages[0]["n"])
            assert [m["text"] for m in later.messages] == ["you did nothing wrong"]
            started = time.monotonic()
            assert await supervisor.messages_anywhere("conv-nowhere", 0) is None
            assert time.monotonic() - started < ANSWER_TIMEOUT_SECONDS + 1
            await holder.close("conv-e")
            assert await supervisor.messages_anywhere("conv-e", 0) is None  # dropped with the chat

    asyncio.run(scenario())


def test_the_relay_stops_even_when_stopped_as_its_read_times_out(redis_needed):
    # Stopped about a second after start, as the listener's one-second read expires: the cancel
    # could be taken for that timeout, and stop() waited for ever (seen in 2 runs of 6 of this
    # arrangement under pytest; a race, so this bounded test catches it only sometimes).
    async def scenario():
        first, second = (
            RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL),
            RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL),
        )
        async with running_relays(first, second):
            await second.from_young_person("conv-nobody", "hi")  # waits out the first second
            await asyncio.wait_for(first.stop(), 5)
            await asyncio.wait_for(second.stop(), 5)

    for _ in range(6):
        asyncio.run(scenario())
