"""What the live console's tests of several tiers share: a Socket.IO client with a counselor's
cookie, the raw handshake and a quick close (waiting until something arrives is
tests/support/polling.py)."""

import asyncio
import http.client
import json
import threading

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
    payload = call("GET", f"&sid={sid}")[1]
    # The first state push may come before the CONNECT answer in the same payload (the socket
    # joined its rooms while being admitted; socket.io-client holds such events until connected).
    packets = payload.split("\x1e")
    return next((p for p in packets if p.startswith(("40", "44"))), payload)


async def close(client):
    """Ends a client at once (a polling client otherwise waits for its last long poll)."""
    await client.eio.disconnect(abort=True)


class CounselorOnline:
    """A counselor's live console socket kept open in a thread of its own, for tests that need a
    counselor who can take a chat now (status available and console connected,
    haven/handoff/status.py) while the test itself is synchronous or runs its own event loop."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port, self.cookie = port, cookie
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "CounselorOnline":
        self._thread.start()
        if not self._ready.wait(15) or self._failed is not None:
            raise AssertionError(f"the counselor's console did not connect: {self._failed!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def _run(self) -> None:
        async def hold() -> None:
            try:
                client, _, _ = await connect(self.port, self.cookie)
            except BaseException as error:  # noqa: BLE001 - reported by __enter__
                self._failed = error
                self._ready.set()
                return
            self._ready.set()
            while not self._stop.is_set():
                await asyncio.sleep(0.1)
            await close(client)

        asyncio.run(hold())
