"""Never silently lost, on real servers (PostgreSQL, Redis): the counselor's console is on one Rasa
server, the young person's web chat on a third, which is stopped and started again mid-chat. A
message the counselor sends while it is down is answered "not delivered" (and shown so in the
chat), never "delivered"; sent again after the young person is back, it reaches them. Their own
message after the restart reaches the counselor, not the paused bot. A supervisor logged in on
the second server, which holds no part of the chat, reads its messages all the same."""

import asyncio
import json
import os
import subprocess
import sys

import pytest

from tests.support import PROJECT
from tests.support.console_live import CounselorOnline, close
from tests.support.counselor_console import PASSWORD, Browser
from tests.support.polling import until
from tests.support.running_haven import Haven

pytestmark = pytest.mark.server


def add_account(server, name, *role):
    subprocess.run(
        [sys.executable, "-m", "haven.handoff.cli", "add", name, *role],
        cwd=PROJECT,
        env={**os.environ, **server.env, "HAVEN_COUNSELOR_PASSWORD": PASSWORD},
        check=True,
        capture_output=True,
    )


def young_persons_server(tmp_path_factory, console_server):
    """A third Rasa server on the same database and Redis, using the first one's action server."""
    return Haven(
        tmp_path_factory.mktemp("young-person"),
        HAVEN_START_ACTION_SERVER="0",
        HAVEN_ACTION_PORT=str(console_server.action_port),
        **console_server.env,
    )


async def web_chat(server, claim=None):
    """A web chat socket on `server`: a new conversation, or the one `claim` resumes."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    client.pushed = []
    client.on("bot_uttered", client.pushed.append)
    await client.connect(f"http://127.0.0.1:{server.rasa_port}", transports=["polling"])
    session = await client.call("session_request", claim or {}, timeout=10)
    client.claim = {"session_id": session["session_id"], "token": session["token"]}
    client.resumed = session["resumed"]
    return client


def queue_ids(browser):
    return {
        item["id"]
        for item in json.loads(browser.request("GET", "/counselor/api/state")[1])["queue"]
    }


def test_a_message_sent_while_the_young_persons_server_restarts_is_reported_then_sent_again(
    two_servers, tmp_path_factory
):
    console_server, other_server = two_servers
    add_account(console_server, "dana")
    add_account(console_server, "sid", "--supervisor")
    counselor = Browser(console_server.rasa_port)
    assert counselor.login("dana")[0].status == 303
    supervisor = Browser(other_server.rasa_port)
    assert supervisor.login("sid")[0].status == 303
    widget_server = young_persons_server(tmp_path_factory, console_server)
    restarted = None

    async def scenario():
        nonlocal restarted
        client = await web_chat(widget_server)
        before = queue_ids(counselor)
        said = await client.call(
            "user_uttered", {"message": "/request_human", "seq": 1}, timeout=60
        )
        assert said["ok"]
        (request_id,) = await until(lambda: queue_ids(counselor) - before)
        assert counselor.post("/counselor/api/claim", {"id": request_id})[0] == 200
        await until(lambda: any("counselor has joined" in m["text"] for m in client.pushed))
        chat = f"/counselor/api/chats/{request_id}"

        status, sent = counselor.post(f"{chat}/send", {"text": "hello, I'm Dana"})
        assert status == 200 and sent["delivered"] is True
        await until(lambda: any(m.get("text") == "hello, I'm Dana" for m in client.pushed))

        widget_server.stop()  # the young person's server restarts
        await close(client)
        status, lost = counselor.post(f"{chat}/send", {"text": "are you still there?"})
        assert status == 200 and lost["delivered"] is False  # never "delivered" when it was not
        shown = json.loads(counselor.request("GET", chat)[1])["messages"]
        assert [m["delivered"] for m in shown if m["n"] == lost["n"]] == [False]

        restarted = young_persons_server(tmp_path_factory, console_server)
        back = await web_chat(restarted, client.claim)  # the widget reconnects, same chat
        assert back.resumed
        status, again = counselor.post(f"{chat}/send", {"again": lost["n"]})
        assert status == 200 and again == {"ok": True, "n": lost["n"], "delivered": True}
        await until(lambda: any(m.get("text") == "are you still there?" for m in back.pushed))
        # The widget sends what the young person typed meanwhile; it reaches Dana, not the bot.
        said = await back.call("user_uttered", {"message": "sorry my wifi died", "seq": 2})
        assert said["ok"] and said["messages"] == []

        def young_messages():
            messages = json.loads(counselor.request("GET", chat)[1])["messages"]
            return [m["text"] for m in messages if m["from"] == "young_person"]

        assert await until(young_messages) == ["sorry my wifi died"]

        # Sid, on the second server, reads the chat Dana holds on the first one.
        reply, body = supervisor.request("GET", chat)
        assert reply.status == 200
        watched = json.loads(body)
        assert watched["live"] is True and watched["can_write"] is False
        texts = [(m["from"], m["text"]) for m in watched["messages"]]
        assert ("counselor", "hello, I'm Dana") in texts
        assert ("young_person", "sorry my wifi died") in texts
        later = json.loads(
            supervisor.request("GET", f"{chat}?after={watched['messages'][-2]['n']}")[1]
        )
        assert later["messages"] == watched["messages"][-1:]

        assert counselor.post(f"{chat}/end")[0] == 200
        await close(back)

    try:
        with CounselorOnline(console_server.rasa_port, counselor.cookie):
            asyncio.run(scenario())
    finally:
        for server in (widget_server, restarted):
            if server is not None:
                server.stop()
