"""A handoff across two Rasa servers (PostgreSQL, Redis): the young person's web chat is on one,
the counselor's console on the other; their messages, and the earlier chat the young person agreed
to share, cross through Redis pub/sub, and the counselor's login works on either server. The
counselor's live socket is on the young person's server: the request filed there reaches it within
a second, and the young person's messages, held by the chat on the console's server, come back to
it through python-socketio's Redis manager."""

import asyncio
import json
import os
import subprocess
import sys
import time

import pytest

from tests.integration.test_handoff_server import young_person
from tests.support.console_live import close, connect
from tests.support.counselor_console import PASSWORD, Browser
from tests.support.polling import until
from tests.support.running_haven import PROJECT, disconnect

pytestmark = pytest.mark.server


def test_counselor_and_young_person_on_different_servers(two_servers):
    console_server, widget_server = two_servers
    subprocess.run(
        [sys.executable, "-m", "haven.handoff.cli", "add", "ana"],
        cwd=PROJECT,
        env={**os.environ, **console_server.env, "HAVEN_COUNSELOR_PASSWORD": PASSWORD},
        check=True,
        capture_output=True,
    )
    counselor = Browser(console_server.rasa_port)
    assert counselor.login("ana")[0].status == 303
    elsewhere = Browser(widget_server.rasa_port)
    elsewhere.cookie = counselor.cookie  # the console session is in Redis: no sticky sessions
    assert elsewhere.request("GET", "/counselor/api/state")[0].status == 200

    async def scenario():
        live, states, live_messages = await connect(widget_server.rasa_port, counselor.cookie)
        await until(lambda: states)  # ana's console is connected: she can take a chat
        client, pushed = await young_person(widget_server)
        asked = []
        client.on("transcript_request", lambda *_: asked.append(True))
        said = await client.call(
            "user_uttered", {"message": "/request_human", "seq": 1}, timeout=60
        )
        filed = time.monotonic()  # the action server filed it before this answer
        assert "and it can be longer" in said["messages"][0]["text"]  # ana is online elsewhere
        await until(lambda: states[-1]["queue"], seconds=1.0)
        assert time.monotonic() - filed < 1.0
        await client.call("user_uttered", {"message": "/affirm", "seq": 4}, timeout=60)
        state = json.loads(counselor.request("GET", "/counselor/api/state")[1])
        (waiting,) = state["queue"]
        status, claimed = counselor.post("/counselor/api/claim", {"id": waiting["id"]})
        assert status == 200
        await until(lambda: any("counselor has joined" in m["text"] for m in pushed))
        await until(lambda: asked)  # the claim, on the other server, asked this page
        earlier = [{"from": "young_person", "text": "earlier, from far away"}]
        reply = await client.call("transcript", {"messages": earlier}, timeout=10)
        assert reply == {"ok": True}
        chat_path = f"/counselor/api/chats/{claimed['id']}"

        def transcript():
            chat = json.loads(counselor.request("GET", chat_path)[1])
            return [m["items"] for m in chat["messages"] if m["from"] == "transcript"]

        assert await until(transcript) == [earlier]

        said = await client.call("user_uttered", {"message": "hello from far away", "seq": 2})
        assert said["messages"] == []

        def young_messages():
            chat = json.loads(counselor.request("GET", chat_path)[1])
            return [m["text"] for m in chat["messages"] if m["from"] == "young_person"]

        assert await until(young_messages) == ["hello from far away"]
        # Held by the chat on the console's server, pushed to ana's socket on this one.
        await until(
            lambda: any(m["message"]["text"] == "hello from far away" for m in live_messages)
        )
        assert {m["id"] for m in live_messages} == {claimed["id"]}
        assert counselor.post(f"{chat_path}/send", {"text": "hello back"})[0] == 200
        await until(lambda: any(m.get("from") == "counselor" for m in pushed))
        assert counselor.post(f"{chat_path}/hand_back")[0] == 200
        await until(lambda: any("handed you back" in m["text"] for m in pushed))
        said = await client.call("user_uttered", {"message": "/show_menu", "seq": 3}, timeout=60)
        assert said["messages"]  # the bot, on the other server, answers again
        await disconnect(client)
        await close(live)

    asyncio.run(scenario())
