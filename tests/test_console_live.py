"""The live console's socket (/counselor/socket.io/, haven/handoff/live.py) on a running console:
closed like the console, and the queue pushed as it changes, with no browser polling."""

import asyncio
import http.client
import json
import time

import pytest
import socketio

from haven.handoff.status import CounselorDesk
from tests.test_counselor_console import Browser, ask, console_with_queue

SOCKET_PATH = "/counselor/socket.io"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    yield from console_with_queue(tmp_path_factory.mktemp("live"))


async def connect(port, cookie="", origin=None):
    """A socket.io client with the console's cookie; collects every `state` it is sent."""
    client = socketio.AsyncClient(reconnection=False)
    states, messages = [], []
    client.on("state", states.append)
    client.on("message", messages.append)
    headers = {"Cookie": cookie} if cookie else {}
    if origin:
        headers["Origin"] = origin
    await client.connect(
        f"http://127.0.0.1:{port}",
        socketio_path=SOCKET_PATH,
        headers=headers,
        transports=["polling"],  # the websocket client needs a newer aiohttp than Rasa pins
        wait_timeout=10,
    )
    return client, states, messages


def handshake(port, cookie="", origin=None):
    """Engine.IO's handshake and Socket.IO's CONNECT over plain HTTP long-polling: the server's
    answer to CONNECT ("40..." accepted, "44..." refused), without a client's slow teardown."""
    headers = {"Cookie": cookie} if cookie else {}
    if origin:
        headers["Origin"] = origin

    def call(method, query, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        connection.request(method, f"{SOCKET_PATH}/?EIO=4&transport=polling{query}", body, headers)
        try:
            reply = connection.getresponse()
            return reply.status, reply.read().decode()
        finally:
            connection.close()

    status, opened = call("GET", "")
    if status != 200:
        return f"{status}"
    sid = json.loads(opened[1:])["sid"]
    call("POST", f"&sid={sid}", "40")
    return call("GET", f"&sid={sid}")[1]


async def close(client):
    """Ends a client at once (a polling client otherwise waits for its last long poll)."""
    await client.eio.disconnect(abort=True)


async def until(check, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("not within the time")


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
