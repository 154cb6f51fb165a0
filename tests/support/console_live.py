"""What the live console's tests of several tiers share: a Socket.IO client with a counselor's
cookie, the raw handshake, a quick close, and waiting until something arrives."""

import asyncio
import http.client
import json
import time

import socketio

SOCKET_PATH = "/counselor/socket.io"


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
