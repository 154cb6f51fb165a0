"""The young person's side of a handoff over the web chat's Socket.IO, on a server without a Rasa
model (tests/support/widget_app.py): quick exit, "Clear chat" and a tab that does not come back
take a waiting request out of the queue, and a counselor who tries to claim it is told the young
person left; the transcript of the chat reaches the counselor's console from the page, only with
consent, and never the database."""

import asyncio
import json
from types import SimpleNamespace

import pytest

from haven.handoff.queue import HandoffQueue
from haven.handoff.relay import MAX_TRANSCRIPT_CHARS, MAX_TRANSCRIPT_MESSAGES
from haven.storage.crypto import KeyRing
from tests.support.counselor_console import Browser, serve
from tests.support.polling import until

GRACE_SECONDS = 3.0
EARLIER_WORDS = "glimmerwock sent me a threat"


@pytest.fixture(scope="module")
def haven(tmp_path_factory):
    """A running web chat and console with one counselor, ana; leaving has a short grace time."""
    data = tmp_path_factory.mktemp("widget")
    log = (data / "server.log").open("w")
    process, port, env = serve(
        data, "tests.support.widget_app", GRACE_SECONDS, counselors=("ana",), output=log
    )
    queue = HandoffQueue(env["HAVEN_DB_URL"], KeyRing.parse(env["HAVEN_KEYS"]))
    counselor = Browser(port)
    assert counselor.login("ana")[0].status == 303
    yield SimpleNamespace(port=port, queue=queue, data=data, counselor=counselor)
    process.terminate()
    process.wait(timeout=10)
    log.close()


async def young_person(port, claim=None):
    """A web chat's socket with its conversation (a new one, or `claim`ed back)."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    client.asked_for_transcript = []
    client.on("transcript_request", lambda *_: client.asked_for_transcript.append(True))
    await client.connect(f"http://127.0.0.1:{port}", transports=["polling"])
    client.session = await client.call("session_request", claim or {}, timeout=10)
    return client


async def hang_up(client):
    """Closes the connection as a closed tab does, without waiting for the client's long poll."""
    await client.eio.disconnect(abort=True)


def ask(queue, conversation_id, share=None):
    request = queue.request(
        conversation_id, language="en", region="uk", age_band=None, steps_done=[], risk=False
    )
    if share is not None:
        queue.set_share_summary(conversation_id, share)
    return request


def waiting_ids(queue):
    return [r.request_id for r in queue.waiting()]


def test_quick_exit_while_waiting_cancels_and_a_claim_hears_they_left(haven):
    async def scenario():
        client = await young_person(haven.port)
        request = ask(haven.queue, client.session["session_id"])
        assert request.request_id in waiting_ids(haven.queue)
        assert await client.call("leave", timeout=10) == {"ok": True}
        await hang_up(client)
        return request

    request = asyncio.run(scenario())
    assert request.request_id not in waiting_ids(haven.queue)  # at once, no grace time
    status, reply = haven.counselor.post("/counselor/api/claim", {"id": request.request_id})
    assert status == 410 and reply == {"error": "left", "message": "This young person has left."}
    assert {"counselor": None, "action": "left_waiting", "request": request.request_id} in [
        {key: line[key] for key in ("counselor", "action", "request")}
        for line in haven.queue.audit_trail()
    ]


def test_a_closed_tab_that_does_not_come_back_leaves_after_the_grace_time(haven):
    async def scenario():
        client = await young_person(haven.port)
        request = ask(haven.queue, client.session["session_id"])
        await hang_up(client)  # a closed tab: no goodbye
        await asyncio.sleep(1.0)
        assert request.request_id in waiting_ids(haven.queue)  # it may be a reload
        await until(lambda: request.request_id not in waiting_ids(haven.queue))
        status, reply = haven.counselor.post("/counselor/api/claim", {"id": request.request_id})
        assert status == 410 and reply["error"] == "left"

    asyncio.run(scenario())


def test_a_reload_within_the_grace_time_keeps_the_place_in_the_queue(haven):
    async def scenario():
        client = await young_person(haven.port)
        request = ask(haven.queue, client.session["session_id"])
        claim = {"session_id": client.session["session_id"], "token": client.session["token"]}
        await hang_up(client)
        await asyncio.sleep(0.5)
        again = await young_person(haven.port, claim)  # the page reloaded
        assert again.session["resumed"] is True
        await asyncio.sleep(GRACE_SECONDS + 1.5)
        assert request.request_id in waiting_ids(haven.queue)
        await again.call("leave", timeout=10)
        await hang_up(again)

    asyncio.run(scenario())


def test_clear_chat_leaves_the_old_conversation_at_once(haven):
    async def scenario():
        client = await young_person(haven.port)
        request = ask(haven.queue, client.session["session_id"])
        fresh = await client.call("session_request", {}, timeout=10)  # what "Clear chat" sends
        assert fresh["session_id"] != client.session["session_id"]
        assert request.request_id not in waiting_ids(haven.queue)
        await hang_up(client)

    asyncio.run(scenario())


def test_with_consent_the_counselor_sees_the_earlier_chat_in_memory_only(haven):
    earlier = [{"from": "haven", "text": f"message {n}"} for n in range(60)]
    earlier += [
        {"from": "young_person", "text": f"<b>{EARLIER_WORDS}</b>"},
        {"from": "young_person", "text": "x" * 5000},
        {"from": "someone", "text": "not a sender the page uses"},
        {"from": "haven", "text": 5},
    ]

    async def scenario():
        client = await young_person(haven.port)
        request = ask(haven.queue, client.session["session_id"], share=True)
        status, _ = haven.counselor.post("/counselor/api/claim", {"id": request.request_id})
        assert status == 200
        await until(lambda: client.asked_for_transcript)
        reply = await client.call("transcript", {"messages": earlier}, timeout=10)
        assert reply == {"ok": True}
        again = await client.call("transcript", {"messages": [earlier[0]]}, timeout=10)
        assert again == {"ok": True}  # accepted, but the counselor sees the first one only
        path = f"/counselor/api/chats/{request.request_id}"
        chat = json.loads(haven.counselor.request("GET", path)[1])
        (shared,) = [m for m in chat["messages"] if m["from"] == "transcript"]
        items = shared["items"]
        assert len(items) == MAX_TRANSCRIPT_MESSAGES
        assert items[-2] == {"from": "young_person", "text": f"<b>{EARLIER_WORDS}</b>"}
        assert items[-1]["text"] == "x" * MAX_TRANSCRIPT_CHARS
        assert items[0] == {"from": "haven", "text": "message 12"}  # the last 50 that are fit
        assert all(item["from"] in ("haven", "young_person") for item in items)
        assert haven.counselor.post(f"{path}/end")[0] == 200
        await hang_up(client)

    asyncio.run(scenario())
    stored = b"".join(p.read_bytes() for p in haven.data.glob("haven.db*"))
    logged = (haven.data / "server.log").read_bytes()
    assert EARLIER_WORDS.encode() not in stored and EARLIER_WORDS.encode() not in logged


def test_without_consent_nothing_is_asked_for_or_taken(haven):
    async def scenario():
        client = await young_person(haven.port)
        request = ask(haven.queue, client.session["session_id"], share=False)
        status, _ = haven.counselor.post("/counselor/api/claim", {"id": request.request_id})
        assert status == 200
        await asyncio.sleep(1.0)
        assert client.asked_for_transcript == []
        pushed = {"messages": [{"from": "young_person", "text": EARLIER_WORDS}]}
        assert await client.call("transcript", pushed, timeout=10) == {"ok": False}
        path = f"/counselor/api/chats/{request.request_id}"
        chat = json.loads(haven.counselor.request("GET", path)[1])
        assert [m for m in chat["messages"] if m["from"] == "transcript"] == []
        assert haven.counselor.post(f"{path}/end")[0] == 200
        await hang_up(client)

    asyncio.run(scenario())


def test_text_that_is_not_valid_unicode_is_answered_and_relayed_repaired(haven):
    # A lone UTF-16 surrogate used to raise in the widget's handler: no acknowledgement, the
    # browser sent it again every 30 s, and asyncio logged the message's repr each time.
    typed = "Quillibrant \ud800 took my pics"

    async def scenario():
        client = await young_person(haven.port)
        reply = await client.call("user_uttered", {"message": typed, "seq": 1}, timeout=10)
        assert reply == {"ok": True, "seq": 1, "messages": [{"text": "ok"}]}
        pushed = []
        client.on("bot_uttered", pushed.append)
        request = ask(haven.queue, client.session["session_id"], share=False)
        assert haven.counselor.post("/counselor/api/claim", {"id": request.request_id})[0] == 200
        reply = await client.call("user_uttered", {"message": typed, "seq": 2}, timeout=10)
        assert reply == {"ok": True, "seq": 2, "messages": []}  # to the counselor instead
        path = f"/counselor/api/chats/{request.request_id}"
        assert haven.counselor.post(f"{path}/send", {"text": "I'm here \udfff"})[0] == 200
        await until(lambda: any(m.get("from") == "counselor" for m in pushed))
        chat = json.loads(haven.counselor.request("GET", path)[1])
        young = [m["text"] for m in chat["messages"] if m["from"] == "young_person"]
        assert young == ["Quillibrant \ufffd took my pics"]
        assert [m["text"] for m in pushed if m.get("from") == "counselor"] == ["I'm here \ufffd"]
        assert haven.counselor.post(f"{path}/end")[0] == 200
        await hang_up(client)

    asyncio.run(scenario())
    stored = b"".join(p.read_bytes() for p in haven.data.glob("haven.db*"))
    logged = (haven.data / "server.log").read_bytes()
    assert b"Quillibrant" not in stored and b"Quillibrant" not in logged
    assert b"never retrieved" not in logged
