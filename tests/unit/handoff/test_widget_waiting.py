"""Honest waiting over the web chat's Socket.IO, on a server without a Rasa model
(support/widget_app.py): a young person sees their place and estimate change the moment a request
ahead is claimed (pushed, not found by the watcher's own round); one whose request expires is told
at once with their region's crisis lines; a counselor who joins brings the confidentiality notice;
typing dots go both ways; after the chat, "did this help?" is counted once."""

import asyncio
import time

import pytest

from haven.storage.helpfulness import HelpfulnessCounts
from tests.support.counselor_console import ask
from tests.support.polling import until
from tests.support.waiting import (
    FAST_WATCH_SECONDS,
    KEEP_SECONDS,
    SLOW_WATCH_SECONDS,
    running,
    seed_claims,
)


@pytest.fixture(scope="module")
def haven(tmp_path_factory):
    with running(tmp_path_factory.mktemp("waiting"), SLOW_WATCH_SECONDS) as found:
        yield found


@pytest.fixture(scope="module")
def haven_keeping_briefly(tmp_path_factory):
    """Requests expire after KEEP_SECONDS; the watcher looks every second."""
    with running(
        tmp_path_factory.mktemp("expiring"),
        FAST_WATCH_SECONDS,
        HAVEN_HANDOFF_KEEP_MINUTES=str(KEEP_SECONDS / 60),
    ) as found:
        yield found


async def young_person(port):
    """A web chat's socket that keeps every `waiting`, `bot_uttered`, `typing`, `helpful`."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    client.got = {"waiting": [], "bot_uttered": [], "typing": [], "helpful": []}
    for event, kept in client.got.items():
        client.on(event, kept.append)
    await client.connect(f"http://127.0.0.1:{port}", transports=["polling"])
    client.session = await client.call("session_request", {}, timeout=10)
    client.id = client.session["session_id"]
    client.seq = 0
    return client


async def say(client, text="hi"):
    client.seq += 1
    return await client.call("user_uttered", {"message": text, "seq": client.seq}, timeout=10)


def texts(client):
    return [m.get("text", "") for m in client.got["bot_uttered"]]


def test_the_place_and_estimate_move_up_as_soon_as_a_request_ahead_is_claimed(haven):
    async def scenario():
        ahead, mine = await young_person(haven.port), await young_person(haven.port)
        seed_claims(haven.queue, every_seconds=300, waited_seconds=300)  # 5 minutes a place
        first = ask(haven.queue, ahead.id)
        ask(haven.queue, mine.id)
        await say(mine)  # a turn of the chat: the channel looks at the queue
        await until(lambda: mine.got["waiting"], seconds=5)
        told = mine.got["waiting"][-1]
        assert (told["place"], told["minutes"], told["estimated"]) == (2, 10, True)
        assert told["text"] == (
            "You're number 2 in the queue for a counselor. "
            "Right now it takes about 10 minutes. It can be longer."
        )
        status, _ = haven.counselor.post("/counselor/api/claim", {"id": first.request_id})
        assert status == 200
        started = time.monotonic()
        await until(lambda: mine.got["waiting"][-1]["place"] == 1, seconds=5)
        assert time.monotonic() - started < 3  # pushed by the claim, not by a later round
        assert mine.got["waiting"][-1]["text"] == (
            "You're next in the queue for a counselor. "
            "Right now it takes about 5 minutes. It can be longer."
        )
        # The one claimed hears the counselor joined, and what stays private.
        await until(lambda: len(ahead.got["bot_uttered"]) >= 2, seconds=5)
        assert "A counselor has joined" in texts(ahead)[0]
        assert "stays private" in texts(ahead)[1] and "danger" in texts(ahead)[1]
        assert not any("in time" in text for text in texts(ahead))
        await ahead.disconnect()
        await mine.disconnect()

    asyncio.run(scenario())


def test_typing_dots_both_ways_and_did_this_help_counted_once(haven):
    async def scenario():
        young = await young_person(haven.port)
        other = await young_person(haven.port)
        request = ask(haven.queue, young.id)
        assert haven.counselor.post("/counselor/api/claim", {"id": request.request_id})[0] == 200
        chat = f"/counselor/api/chats/{request.request_id}"
        _, shown = haven.counselor.request("GET", chat)
        assert '"typing":false' in shown.replace(" ", "")
        await young.emit("typing", {"typing": True})
        await asyncio.sleep(0.5)
        _, shown = haven.counselor.request("GET", chat)
        assert '"typing":true' in shown.replace(" ", "")

        assert haven.counselor.post(f"{chat}/typing", {"typing": True})[0] == 200
        await until(lambda: young.got["typing"], seconds=5)
        assert young.got["typing"][-1] == {"typing": True}
        assert haven.counselor.post(f"{chat}/typing", {"typing": True}, csrf=False)[0] == 403

        assert haven.counselor.post(f"{chat}/end")[0] == 200
        await until(lambda: young.got["helpful"], seconds=5)
        question = young.got["helpful"][-1]
        assert question["question"] == "Did this help?"
        assert question["answers"] == {"yes": "Yes", "a_bit": "A bit", "no": "No"}
        counts = HelpfulnessCounts(haven.env["HAVEN_DB_URL"])
        counts.create_schema()  # the server makes it at the first answer
        before = counts.counts()
        assert await young.call("helpful", {"answer": "a_bit"}, timeout=10) == {"ok": True}
        assert await young.call("helpful", {"answer": "a_bit"}, timeout=10) == {"ok": False}
        assert await other.call("helpful", {"answer": "yes"}, timeout=10) == {"ok": False}
        assert await young.call("helpful", {"answer": "<b>"}, timeout=10) == {"ok": False}
        assert await young.call("helpful", "nonsense", timeout=10) == {"ok": False}
        after = counts.counts()
        assert after == {**before, "a_bit": before["a_bit"] + 1}
        assert (await say(young))["ok"] is True  # the chat goes on serving
        await young.disconnect()
        await other.disconnect()

    asyncio.run(scenario())


def test_an_expired_request_tells_the_young_person_at_once_with_the_crisis_lines(
    haven_keeping_briefly,
):
    haven = haven_keeping_briefly

    async def scenario():
        young = await young_person(haven.port)
        ask(haven.queue, young.id)
        await say(young)
        await until(lambda: young.got["waiting"], seconds=5)
        assert young.got["waiting"][-1]["place"] == 1
        await until(lambda: any("in time" in text for text in texts(young)), seconds=15)
        (told,) = [m for m in young.got["bot_uttered"] if "in time" in m["text"]]
        assert "0800 1111" in told["text"] and "85258" in told["text"]  # the UK's crisis lines
        assert told["buttons"][0]["payload"] == "/ask_what_to_do"
        assert young.got["waiting"][-1] == {"place": None}
        await young.disconnect()

    asyncio.run(scenario())


def test_the_end_of_the_plan_asks_did_this_help_in_the_acknowledgement(haven):
    async def scenario():
        young = await young_person(haven.port)
        plain = await say(young, "hello")
        assert "helpful" not in plain
        ended = await say(young, "/the_end")
        assert [m["text"] for m in ended["messages"]] == ["ok"]
        assert ended["helpful"]["question"] == "Did this help?"
        assert await young.call("helpful", {"answer": "yes"}, timeout=10) == {"ok": True}
        await young.disconnect()

    asyncio.run(scenario())
