"""Honest waiting across two Rasa servers (PostgreSQL, Redis): two young people wait on one
server, a counselor on the other claims the request ahead, and the second young person sees their
place move up at once; both were told their place as soon as they asked."""

import asyncio
import json
import os
import subprocess
import sys

import pytest

from tests.integration.test_handoff_server import young_person
from tests.support import PROJECT
from tests.support.console_live import CounselorOnline
from tests.support.counselor_console import PASSWORD, Browser
from tests.support.polling import until
from tests.support.running_haven import disconnect

pytestmark = pytest.mark.server


async def waiting_young_person(server):
    client, pushed = await young_person(server)
    client.places = []
    client.on("waiting", client.places.append)
    said = await client.call("user_uttered", {"message": "/request_human", "seq": 1}, timeout=60)
    assert "and it can be longer" in said["messages"][0]["text"]
    await until(lambda: client.places)
    return client, pushed


def test_a_claim_on_one_server_moves_up_a_young_person_waiting_on_the_other(two_servers):
    console_server, widget_server = two_servers
    subprocess.run(
        [sys.executable, "-m", "haven.handoff.cli", "add", "cleo"],
        cwd=PROJECT,
        env={**os.environ, **console_server.env, "HAVEN_COUNSELOR_PASSWORD": PASSWORD},
        check=True,
        capture_output=True,
    )
    counselor = Browser(console_server.rasa_port)
    assert counselor.login("cleo")[0].status == 303
    online = CounselorOnline(console_server.rasa_port, counselor.cookie)  # cleo can take a chat

    async def scenario():
        first, first_pushed = await waiting_young_person(widget_server)
        second, _ = await waiting_young_person(widget_server)
        ahead = first.places[-1]["place"]
        assert second.places[-1]["place"] == ahead + 1  # others may wait from other tests
        assert "It can be longer." in second.places[-1]["text"]
        state = json.loads(counselor.request("GET", "/counselor/api/state")[1])
        request_id = state["queue"][ahead - 1]["id"]
        assert counselor.post("/counselor/api/claim", {"id": request_id})[0] == 200
        await until(lambda: second.places[-1]["place"] == ahead, seconds=5)
        await until(lambda: first.places[-1] == {"place": None}, seconds=5)
        await until(lambda: any("stays private" in m["text"] for m in first_pushed))
        chat = f"/counselor/api/chats/{request_id}"
        assert counselor.post(f"{chat}/end")[0] == 200
        await second.call("leave", {}, timeout=10)  # out of the queue at once, for other tests
        await disconnect(first)
        await disconnect(second)

    with online:
        asyncio.run(scenario())
