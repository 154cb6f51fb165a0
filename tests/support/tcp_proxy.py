"""`TcpProxy`: a TCP proxy on loopback that a test can take down and bring back.

The fault tests (test_faults.py, test_tracker_store.py) point Haven at the proxy instead of the
real PostgreSQL, so they can make the database fully unreachable, as a crashed server or a cut
network does, without touching the real server that other tests and engineers share. `down()`
closes the listening socket (new connections are refused) and aborts every open connection;
`up()` listens again on the same port. `hang()` is the quieter failure of a network that drops
packets: connections are accepted and never answered. The proxy runs its own asyncio loop in a
thread, so it works beside synchronous tests and a Haven in another process alike.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

from tests.support.running_haven import free_port

CHUNK = 64 * 1024


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target`; `down()` and `up()` cut and restore it."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.connections = 0  # connections forwarded since start, for the tests' own checks
        # The standard loop, whatever the policy: Sanic's tests install uvloop's, whose close()
        # fails while a transport it served is still being torn down.
        self._loop = asyncio.SelectorEventLoop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._hanging = False

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        self.up()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.down()
        self._run(self._finish_connections())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def up(self) -> None:
        """Listens again on the same port, and forwards."""
        if self._hanging:
            self.down()
        self._run(self._listen())

    def down(self) -> None:
        """Refuses new connections and aborts every open one (both sides)."""
        self._hanging = False
        self._run(self._close())

    def hang(self) -> None:
        """Aborts every open connection; new ones are accepted and never answered."""
        self._run(self._close())
        self._hanging = True
        self._run(self._listen())

    def _run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._forward, "127.0.0.1", self.port, reuse_address=True
            )

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _finish_connections(self) -> None:
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _forward(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        if self._hanging:  # hold the connection open, silent, until the client gives up
            self._open.add(client_writer)
            try:
                while await client_reader.read(CHUNK):
                    pass
            except (ConnectionError, OSError):
                pass
            finally:  # the client gave up: close our side too (or it is only found by the GC)
                client_writer.transport.abort()
            self._open.discard(client_writer)
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        if self._server is None:  # taken down while this connection was being opened
            client_writer.transport.abort()
            upstream_writer.transport.abort()
            return
        self.connections += 1
        self._open.update((client_writer, upstream_writer))
        await asyncio.gather(
            self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer)
        )
        self._open.difference_update((client_writer, upstream_writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()
