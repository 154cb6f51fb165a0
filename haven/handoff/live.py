"""`ConsoleLive`: the counselor console's own Socket.IO server, pushing the queue and chats.

Wire format (server to browser only; every action stays an HTTP POST with the CSRF token):

| event         | to                      | payload                                           |
|---------------|-------------------------|---------------------------------------------------|
| `state`       | each console            | what `GET /counselor/api/state` answers           |
| `message`     | the chat's counselor    | `{id, message}`: one message of a live chat,      |
|               | and every supervisor    | numbered as in `GET /counselor/api/chats/<id>`    |
| `support`     | every supervisor        | `{id, counselor}`: a counselor asks for support   |
| `transferred` | the colleague given it  | `{id, from}`                                      |

It is a second `socketio.AsyncServer` at `/counselor/socket.io/`, apart from the web chat's
(/socket.io/): the console's session cookie is only sent to /counselor paths, and no young
person's socket ever shares a server with a counselor's. It is closed like the console: a
connection from outside loopback is refused unless `HAVEN_COUNSELOR_REMOTE=1`, its `Origin` must
be the console's own, and it needs a live console session (the HttpOnly cookie). Each console's
session is checked again every `SESSION_CHECK_SECONDS`; a socket whose session ended (logout,
expiry) is disconnected.

Across server processes: with `HAVEN_REDIS_URL`, python-socketio's own `AsyncRedisManager`
carries every emit to the process holding the socket, so a message of a chat held on one process
reaches its counselor connected to another. What changes the queue often happens in a process
with no console at all (the action server files requests; any process expires them), so each
console process also watches the database (`WATCH_SECONDS`, one query for all its consoles,
never one per browser) and sends `state` to its own consoles when the queue, the chats or the
desk changed; an action taken in this process sends it at once. The database stays the one
source of truth, and nothing new is kept anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from socketio import AsyncRedisManager, AsyncServer

from haven.handoff.queue import HandoffError, HandoffRequest
from haven.handoff.relay import TYPING
from haven.handoff.status import DeskEntry, open_chats_by_counselor
from haven.web.widget_protocol import origin_checker

if TYPE_CHECKING:
    from haven.handoff.console import CounselorConsole
    from haven.handoff.relay import LiveChat

logger = logging.getLogger(__name__)

PATH = "/counselor/socket.io/"
REDIS_CHANNEL = "haven:console-live"
WATCH_SECONDS = 0.5
SESSION_CHECK_SECONDS = 10
"""How often each socket's session is checked again (and its counselor marked seen)."""
EVERYONE, SUPERVISORS = "counselors", "supervisors"


def counselor_room(name: str) -> str:
    """The room of one counselor's consoles (every tab, on every process)."""
    return f"counselor:{name}"


@dataclass
class Viewer:
    """A console connected to this process: whose, and the session token to check again."""

    counselor: str
    token: str


@dataclass(frozen=True)
class Snapshot:
    """The queue, the live chats and the desk, read together."""

    now: float
    waiting: list[HandoffRequest]
    claimed: list[HandoffRequest]
    entries: list[DeskEntry]

    def fingerprint(self) -> tuple[Any, ...]:
        """What a console shows, to tell whether anything changed (minutes waited included)."""
        return (
            int(self.now // 60),
            tuple((r.request_id, r.risk, r.share_summary) for r in self.waiting),
            tuple(
                (r.request_id, r.claimed_by, tuple(r.joined), r.needs_support, r.risk)
                for r in self.claimed
            ),
            tuple((e.name, e.status, e.max_chats, e.connected(self.now)) for e in self.entries),
        )


class ConsoleLive:
    """The console's Socket.IO server, its rooms, and the watcher of the queue."""

    def __init__(
        self,
        console: CounselorConsole,
        redis_url: str | None = None,
        watch_seconds: float = WATCH_SECONDS,
    ) -> None:
        self.console = console
        self.watch_seconds = watch_seconds
        manager = AsyncRedisManager(redis_url, channel=REDIS_CHANNEL) if redis_url else None
        self.sio = AsyncServer(
            async_mode="sanic",
            client_manager=manager,
            cors_allowed_origins=origin_checker(()),  # the console's own origin only
            max_http_buffer_size=4096,  # the browser sends nothing but the handshake
            # A closed laptop is noticed within 10 seconds (the counselor no longer counts).
            ping_interval=5,
            ping_timeout=5,
        )
        self.viewers: dict[str, Viewer] = {}
        self._nudge = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self.sio.on("connect", self._connect)
        self.sio.on("disconnect", self._disconnect)

    # --- serving --------------------------------------------------------------------------

    def attach(self, app: Any) -> None:
        """Serves the socket at `PATH`, pushes the relay's messages, runs the watcher."""
        self.console.relay.on_message = self._message_added
        app.add_route(
            self.sio.handle_request,
            PATH,
            methods=["GET", "POST", "OPTIONS"],
            name="counselor_socketio",
        )
        app.enable_websocket()

        async def start(app: Any, _loop: Any) -> None:
            self._watcher = asyncio.get_running_loop().create_task(self._watch())

        async def stop(app: Any, _loop: Any) -> None:
            if self._watcher is not None:
                self._watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._watcher

        app.register_listener(start, "after_server_start")
        app.register_listener(stop, "before_server_stop")

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        try:
            return await self._admit(sid, environ)
        except Exception as error:  # the database or Redis is away: refused, the page retries
            logger.error("A live console could not connect: %s", type(error).__name__)
            return False

    async def _admit(self, sid: str, environ: dict[str, Any]) -> bool:
        """Whether this socket is a logged-in console reaching us as the console allows."""
        console = self.console
        request = environ.get("sanic.request")
        if request is None or console._refused(request) is not None:
            return False
        if not console._same_origin(request):
            return False
        from haven.handoff.console import COOKIE

        token = request.cookies.get(COOKIE) or ""
        # The console's own check: a pending login, a removed account or a changed password
        # (the session's stamp) is refused here as on every page.
        session = await _off_loop(console._logged_in, token)
        if session is None:
            return False
        name = session.counselor
        entry = await _off_loop(console.desk.entry, name)
        self.viewers[sid] = Viewer(name, token)
        await self.sio.enter_room(sid, EVERYONE)
        await self.sio.enter_room(sid, counselor_room(name))
        if entry.supervisor:
            await self.sio.enter_room(sid, SUPERVISORS)
        await _off_loop(console.desk.seen, name)
        self.changed()
        return True

    async def _disconnect(self, sid: str) -> None:
        viewer = self.viewers.pop(sid, None)
        if viewer is None:
            return
        if not any(v.counselor == viewer.counselor for v in self.viewers.values()):
            try:
                await _off_loop(self.console.desk.seen, viewer.counselor, False)
            except Exception as error:  # the next heartbeat elsewhere corrects it
                logger.error("Marking a console closed failed: %s", type(error).__name__)
        self.changed()

    # --- what is pushed -------------------------------------------------------------------

    def changed(self) -> None:
        """Something changed here: the watcher sends `state` to this process's consoles now."""
        self._nudge.set()

    async def support_alert(self, request_id: str, counselor: str) -> None:
        """Tells every supervisor, on every process, that a counselor asks for support."""
        await self._emit("support", {"id": request_id, "counselor": counselor}, room=SUPERVISORS)
        self.changed()

    async def transferred(self, request_id: str, giver: str, to: str) -> None:
        """Tells the colleague (each of their consoles) that a chat is theirs now."""
        await self._emit("transferred", {"id": request_id, "from": giver}, room=counselor_room(to))
        self.changed()

    def _message_added(self, chat: LiveChat, message: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._push_message(chat.request_id, message))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _push_message(self, request_id: str, message: dict[str, Any]) -> None:
        # Who holds the chat now is the database's answer (a transfer may have been made on
        # another process), so a chat given away never reaches its earlier counselor.
        try:
            found = await _off_loop(self.console.queue.live_chat, request_id)
        except HandoffError:
            return
        except Exception as error:
            logger.error("Pushing a chat message failed: %s", type(error).__name__)
            return
        rooms = [counselor_room(found.claimed_by or ""), SUPERVISORS]
        if message.get("kind") == TYPING:  # the young person's typing dots, not a message
            await self._emit("typing", {"id": request_id, "typing": message["typing"]}, room=rooms)
            return
        await self._emit("message", {"id": request_id, "message": message}, room=rooms)

    async def _emit(self, event: str, data: Any, **where: Any) -> None:
        """Emits, logging a failure by its kind only (Redis away a moment: the state is sent
        again at the next change, and a console that missed a message asks for it)."""
        try:
            await self.sio.emit(event, data, **where)
        except Exception as error:
            logger.error("The live console could not send %s: %s", event, type(error).__name__)

    # --- the state of a console -----------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Reads the queue, the live chats and the desk (blocking: call it off the loop)."""
        console = self.console
        return Snapshot(
            console.queue.clock(),
            console.queue.waiting(),
            console.queue.claimed(),
            console.desk.entries(),
        )

    def state_for(self, counselor: str, snapshot: Snapshot | None = None) -> dict[str, Any]:
        """What one counselor's console shows (blocking without a snapshot)."""
        seen = snapshot or self.snapshot()
        now, console = seen.now, self.console
        by_name = {e.name: e for e in seen.entries}
        me = by_name.get(counselor) or console.desk.entry(counselor)
        counts = open_chats_by_counselor(seen.claimed)
        state: dict[str, Any] = {
            "counselor": counselor,
            "supervisor": me.supervisor,
            "status": me.status,
            "max_chats": me.max_chats,
            "queue": [r.summary(now) for r in seen.waiting],
            "chats": [
                {
                    **r.summary(now),
                    "live": console.relay.live(r.conversation_id) is not None,
                    "joined": r.claimed_by != counselor,
                    "needs_support": r.needs_support,
                }
                for r in seen.claimed
                if r.with_counselor(counselor)
            ],
            "colleagues": [
                {
                    "name": e.name,
                    "status": e.status,
                    "chats": counts.get(e.name, 0),
                    "max_chats": e.max_chats,
                }
                for e in seen.entries
                if e.name != counselor and e.connected(now)
            ],
            "tags": list(console.end_tags),
            "live": [],
        }
        if me.supervisor:
            state["live"] = [
                {**r.summary(now), "counselor": r.claimed_by, "needs_support": r.needs_support}
                for r in seen.claimed
            ]
        return state

    async def _watch(self) -> None:
        """Sends `state` to this process's consoles whenever what they show changed."""
        last: tuple[Any, ...] | None = None
        checked = 0.0
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._nudge.wait(), self.watch_seconds)
            nudged = self._nudge.is_set()
            self._nudge.clear()
            if not self.viewers:
                last = None
                continue
            try:
                if time.monotonic() - checked >= SESSION_CHECK_SECONDS:
                    checked = time.monotonic()
                    await self._check_sessions()
                seen = await _off_loop(self.snapshot)
                fingerprint = seen.fingerprint()
                if fingerprint != last or nudged:
                    last = fingerprint
                    await self._send_states(seen)
            except Exception as error:  # the database is away for a moment: next round
                logger.error("Updating the live console failed: %s", type(error).__name__)

    async def _send_states(self, seen: Snapshot) -> None:
        states: dict[str, dict[str, Any]] = {}
        for sid, viewer in list(self.viewers.items()):
            if viewer.counselor not in states:
                states[viewer.counselor] = await _off_loop(self.state_for, viewer.counselor, seen)
            await self._emit("state", states[viewer.counselor], to=sid)

    async def _check_sessions(self) -> None:
        """Disconnects consoles whose session ended; marks the others' counselors seen."""
        names = set()
        for sid, viewer in list(self.viewers.items()):
            if await _off_loop(self.console._logged_in, viewer.token) is None:
                await self.sio.disconnect(sid)
                self.viewers.pop(sid, None)
            else:
                names.add(viewer.counselor)
        for name in names:
            await _off_loop(self.console.desk.seen, name)


async def _off_loop(function: Callable[..., Any], *args: Any) -> Any:
    """Runs blocking work (SQL, synchronous Redis) in a thread, never on the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)
