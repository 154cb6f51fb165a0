"""The live console's socket (/counselor/socket.io/, haven/handoff/live.py) on a running console:
closed like the console, and the queue pushed as it changes, with no browser polling."""

import asyncio
import json
import subprocess
import sys
import time

import pytest

from haven.handoff.queue import HandoffQueue
from haven.handoff.status import CounselorDesk
from haven.storage.crypto import KeyRing
from tests.support import PROJECT
from tests.support.canned import region_facts
from tests.support.console_live import close, connect, handshake
from tests.support.counselor_console import PASSWORD, Browser, ask, serve
from tests.support.polling import until
from tests.unit.handoff.test_console import console_with_queue


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    yield from console_with_queue(tmp_path_factory.mktemp("live"))


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """A console with ana and ben, counselors, and sam, a supervisor (made by the CLI)."""
    process, port, env = serve(tmp_path_factory.mktemp("team"), "tests.support.console_app")
    subprocess.run(
        [sys.executable, "-m", "haven.handoff.cli", "add", "sam", "--supervisor"],
        cwd=PROJECT,
        env={**env, "HAVEN_COUNSELOR_PASSWORD": PASSWORD},
        check=True,
        capture_output=True,
    )
    yield port, HandoffQueue(env["HAVEN_DB_URL"], KeyRing.parse(env["HAVEN_KEYS"]))
    process.terminate()
    process.wait(timeout=10)


def test_without_a_session_or_from_another_site_the_socket_is_refused(console):
    port, _ = console
    ana = Browser(port)
    ana.login("ana")

    assert handshake(port).startswith("44")
    assert handshake(port, "haven_counselor=not-a-session").startswith("44")
    # Another site's page cannot open it with the counselor's cookie (refused at the handshake).
    assert handshake(port, ana.cookie, origin="https://evil.example") == "400"
    assert handshake(port, ana.cookie, origin=f"http://127.0.0.1:{port}").startswith("40")
    assert handshake(port, ana.cookie).startswith("40")


def test_a_request_filed_elsewhere_reaches_the_console_within_a_second(console):
    port, queue = console
    ana = Browser(port)
    ana.login("ana")

    async def scenario():
        client, states, _ = await connect(port, ana.cookie)
        assert (await until(lambda: states))[-1]["counselor"] == "ana"
        filed_at = time.monotonic()
        # Filed by another process (as the action server does), straight into the database.
        request = await asyncio.get_running_loop().run_in_executor(
            None, lambda: ask(queue, "live-1", risk=True)
        )

        def pushed():
            return any(
                item["id"] == request.request_id and item["risk"]
                for state in states
                for item in state["queue"]
            )

        await until(pushed, seconds=1.5)
        assert time.monotonic() - filed_at < 1.5
        status, claimed = ana.post("/counselor/api/claim", {"id": request.request_id})
        assert status == 200
        await until(
            lambda: states[-1]["chats"] and states[-1]["chats"][0]["id"] == claimed["id"],
        )
        assert not any(item["id"] == claimed["id"] for item in states[-1]["queue"])
        ana.post(f"/counselor/api/chats/{claimed['id']}/end")
        await close(client)

    asyncio.run(scenario())


def test_a_closed_console_no_longer_counts_as_a_counselor_who_can_take_a_chat(console):
    port, queue = console
    ben = Browser(port)
    ben.login("ben")
    desk = CounselorDesk(queue.engine.url.render_as_string(hide_password=False))

    async def scenario():
        client, states, _ = await connect(port, ben.cookie)
        await until(lambda: states)
        assert desk.entry("ben").connected(time.time())
        await client.disconnect()  # as a closed tab does
        await until(lambda: not desk.entry("ben").connected(time.time()))
        await close(client)

    asyncio.run(scenario())


def test_team_routes_check_who_asks(team):
    port, queue = team
    ana, ben, sam = Browser(port), Browser(port), Browser(port)
    for browser, name in ((ana, "ana"), (ben, "ben"), (sam, "sam")):
        browser.login(name)
    first = ask(queue, "team-1", risk=True)
    ask(queue, "team-2")
    ask(queue, "team-3")
    assert ana.post("/counselor/api/take_next", csrf=False)[0] == 403
    status, taken = ana.post("/counselor/api/take_next")
    assert status == 200 and taken["id"] == first.request_id
    assert ana.post("/counselor/api/take_next")[0] == 200
    status, full = ana.post("/counselor/api/take_next")  # two chats: handoff.yml's number
    assert status == 409 and "as many chats" in full["message"]
    chat = f"/counselor/api/chats/{first.request_id}"

    # Canned responses, the help lines filled for the young person's region (uk here).
    canned = {
        e["key"]: e["text"] for e in json.loads(ana.request("GET", f"{chat}/canned")[1])["canned"]
    }
    assert region_facts("uk")["emergency"]["call"] in canned["crisis_lines"]
    assert "{" not in "".join(canned.values())
    assert ben.request("GET", f"{chat}/canned")[0].status == 404
    reply, body = ana.request("GET", f"{chat}/resources")
    assert (
        reply.status == 200 and region_facts("uk")["emergency"]["call"] in json.loads(body)["text"]
    )
    assert ben.request("GET", f"{chat}/resources")[0].status == 404

    # Only ana reads and writes her chat; sam, a supervisor, reads it, and writes once joined.
    assert ben.request("GET", chat)[0].status == 404
    assert ben.post(f"{chat}/send", {"text": "hi"})[0] == 404
    assert ben.post(f"{chat}/join")[0] == 403  # not a supervisor
    reply, body = sam.request("GET", chat)
    assert reply.status == 200 and json.loads(body)["can_write"] is False
    assert sam.post(f"{chat}/send", {"text": "hi"})[0] == 404
    assert sam.post(f"{chat}/end")[0] == 404
    assert ("sam", "supervisor_view") in [
        (a["counselor"], a["action"]) for a in queue.audit_trail()
    ]
    assert sam.post(f"{chat}/join")[0] == 200
    assert json.loads(sam.request("GET", chat)[1])["can_write"] is True
    assert sam.post(f"{chat}/send", {"text": "I am here too"})[0] == 200
    assert sam.post(f"{chat}/transfer", {"to": "ben"})[0] == 404  # only ana gives it away
    assert sam.post(f"{chat}/end")[0] == 404  # and only she ends it
    assert sam.post(f"{chat}/hand_back")[0] == 404

    # A transfer goes only to a colleague whose console is connected now.
    status, refused = ana.post(f"{chat}/transfer", {"to": "ben"})
    assert status == 400 and "not open" in refused["message"]
    assert ana.post(f"{chat}/transfer", {"to": ["ben"]})[0] == 400

    async def transfer_to_connected_ben():
        client, states, _ = await connect(port, ben.cookie)
        await until(lambda: states)
        assert ana.post(f"{chat}/transfer", {"to": "ben"})[0] == 200
        await until(lambda: any(c["id"] == first.request_id for c in states[-1]["chats"]))
        await close(client)

    asyncio.run(transfer_to_connected_ben())
    assert ana.request("GET", chat)[0].status == 404
    assert ben.request("GET", chat)[0].status == 200

    # Status: one of three words; end-of-chat tags: only those of handoff.yml.
    assert ben.post("/counselor/api/status", {"status": "asleep"})[0] == 400
    assert ben.post("/counselor/api/status", {"status": "busy"}) == (200, {"status": "busy"})
    status, _ = ben.post(f"{chat}/end", {"tags": ["the boy's name was tom"]})
    assert status == 400 and ben.request("GET", chat)[0].status == 200
    assert ben.post(f"{chat}/end", {"tags": ["money_demand", "crisis_support"]})[0] == 200
    ended = [line for line in queue.audit_trail() if line["action"] == "end"]
    assert ended[-1]["tags"] == ["money_demand", "crisis_support"]
    assert ("ben", "status_busy") in [
        (line["counselor"], line["action"]) for line in queue.audit_trail()
    ]


def test_logging_out_closes_the_live_socket(console):
    port, _ = console
    ben = Browser(port)
    ben.login("ben")

    async def scenario():
        client, states, _ = await connect(port, ben.cookie)
        await until(lambda: states)
        reply, _ = ben.request("POST", "/counselor/logout", form={"csrf": ben.csrf})
        assert reply.status == 303
        await until(lambda: not client.connected, seconds=15)  # the session is gone
        states.clear()
        await asyncio.sleep(1)
        assert states == []  # nothing more reaches it
        await close(client)

    asyncio.run(scenario())
