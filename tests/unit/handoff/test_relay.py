"""The handoff relay: in-process, and across two processes' relays through real Redis pub/sub."""

import asyncio
import socket
import uuid

import pytest

from haven.handoff.relay import (
    MAX_TRANSCRIPT_CHARS,
    MAX_TRANSCRIPT_MESSAGES,
    HandoffRelay,
    LiveChat,
    RedisHandoffRelay,
    clean_transcript,
)
from haven.services import Services
from tests.support.polling import until
from tests.support.relays import running_relays

REDIS_URL = "redis://127.0.0.1:6379/1"

TEST_CHANNEL = f"haven:handoff:unit-{uuid.uuid4().hex}"
"""The unit tests' own pub/sub channel: the server tests running beside them (`make -j2 unit
test-server`) publish on the deployment's, and their pushes reached these relays (a counselor's
"are you still there?" in a unit test's widget). Pub/sub channels ignore the Redis database."""


def chat(conversation="conv-1"):
    return LiveChat("req-1", conversation, "ana", "en", "uk")


def test_in_process_the_young_person_reaches_the_counselor_and_back():
    async def scenario():
        relay = HandoffRelay()
        pushed = []

        async def push(conversation_id, message):
            pushed.append((conversation_id, message))

        relay.push_to_young_person = push
        assert not await relay.from_young_person("conv-1", "hello")  # nobody has it: the bot
        live = chat()
        await relay.open(live)
        assert await relay.from_young_person("conv-1", "i want to kms")
        assert live.messages[-1]["risk"] is True  # crisis words are flagged for the counselor
        await relay.from_counselor("conv-1", "I'm here")
        assert pushed == [("conv-1", {"text": "I'm here", "from": "counselor"})]
        await relay.young_person_left("conv-1")
        assert live.messages[-1]["text"] == "left"
        await relay.close("conv-1")
        assert live.messages == [] and relay.live("conv-1") is None

    asyncio.run(scenario())


def test_the_transcript_reaches_the_counselor_once_and_is_dropped_with_the_chat():
    async def scenario():
        relay = HandoffRelay()
        pushed = []

        async def push(conversation_id, message):
            pushed.append(message)

        relay.push_to_young_person = push
        earlier = [{"from": "young_person", "text": "they want money"}]
        assert not await relay.transcript_from_young_person("conv-1", earlier)  # no chat
        live = chat()
        await relay.open(live)
        await relay.ask_for_transcript("conv-1")
        assert pushed == [{"kind": "transcript_request"}]
        assert await relay.transcript_from_young_person("conv-1", earlier)
        assert await relay.transcript_from_young_person("conv-1", [{"from": "haven", "text": "x"}])
        shared = [m for m in live.messages if m["from"] == "transcript"]
        assert [m["items"] for m in shared] == [earlier]  # the first one only
        await relay.close("conv-1")
        assert live.messages == []

    asyncio.run(scenario())


def test_the_transcript_is_capped_and_only_plain_messages_pass():
    many = [{"from": "haven", "text": str(n)} for n in range(MAX_TRANSCRIPT_MESSAGES + 20)]
    cleaned = clean_transcript(many + [{"from": "young_person", "text": "y" * 3000}])
    assert len(cleaned) == MAX_TRANSCRIPT_MESSAGES
    assert cleaned[-1] == {"from": "young_person", "text": "y" * MAX_TRANSCRIPT_CHARS}
    odd = [None, "text", {"from": "admin", "text": "x"}, {"from": "haven"}]
    odd.append({"from": "haven", "text": " "})
    assert clean_transcript(odd) == []
    assert clean_transcript({"from": "haven", "text": "x"}) == []
    assert clean_transcript([{"from": "haven", "text": "<b>hi</b>", "html": "<b>"}]) == [
        {"from": "haven", "text": "<b>hi</b>"}  # kept as text; the console never parses it
    ]


def test_transcript_text_that_is_not_valid_unicode_is_repaired():
    earlier = [{"from": "young_person", "text": "he said \ud800 this"}]
    assert clean_transcript(earlier) == [{"from": "young_person", "text": "he said \ufffd this"}]


def test_the_environment_chooses_the_relay():
    assert type(Services.from_environ({}).relay) is HandoffRelay
    relay = Services.from_environ({"HAVEN_REDIS_URL": "redis://127.0.0.1:6379"}).relay
    assert isinstance(relay, RedisHandoffRelay)
    # The same default database as every other Redis client, and a timeout instead of a hang.
    connection = relay.redis.connection_pool.connection_kwargs
    assert (
        connection["db"] == 1
        and connection["socket_timeout"]
        and connection["socket_connect_timeout"]
    )


def redis_reachable() -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", 6379)) == 0


def test_across_two_processes_through_redis():
    if not redis_reachable():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")

    async def scenario():
        # The counselor's console is on `console`; the young person's socket is on `widget`.
        console, widget = (
            RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL),
            RedisHandoffRelay(REDIS_URL, channel=TEST_CHANNEL),
        )
        delivered = {"console": [], "widget": []}
        for name, relay in (("console", console), ("widget", widget)):

            async def push(conversation_id, message, name=name):
                delivered[name].append(message)

            relay.push_to_young_person = push
        async with running_relays(console, widget):
            live = chat("conv-redis")
            await console.open(live)

            await until(lambda: "conv-redis" in widget._elsewhere)
            assert await widget.from_young_person("conv-redis", "are you a real person")
            await until(lambda: live.messages)
            assert live.messages[-1]["text"] == "are you a real person"

            await console.from_counselor("conv-redis", "yes, I'm Ana")
            await until(lambda: delivered["widget"])
            assert delivered["widget"] == [{"text": "yes, I'm Ana", "from": "counselor"}]

            earlier = [{"from": "young_person", "text": "he has my photos"}]
            assert await widget.transcript_from_young_person("conv-redis", earlier)
            await until(lambda: live.messages[-1]["from"] == "transcript")
            assert live.messages[-1]["items"] == earlier

            # Is the young person still there? The widget's process holds their socket.
            widget.connected_here = lambda conversation_id: conversation_id == "conv-redis"
            assert await console.connected_anywhere("conv-redis")
            assert not await console.connected_anywhere("conv-gone")

            await widget.young_person_left("conv-redis")
            await until(lambda: live.messages[-1]["text"] == "left")
            await console.close("conv-redis")
            await until(lambda: "conv-redis" not in widget._elsewhere)
            assert not await widget.from_young_person("conv-redis", "hi")  # back to the bot

    asyncio.run(scenario())
