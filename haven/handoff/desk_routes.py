"""The console's routes for working as a team: status, take next, transfer, support, join.

| path                                           | who           | what                           |
|------------------------------------------------|---------------|--------------------------------|
| `POST /counselor/api/status`                   | anyone        | `{status}`: available/busy/away |
| `POST /counselor/api/take_next`                | anyone        | claims the most urgent request |
| `POST /counselor/api/chats/<id>/transfer`      | its counselor | `{to}`: a connected colleague  |
| `POST /counselor/api/chats/<id>/support`       | its counselor | alerts every supervisor        |
| `POST /counselor/api/chats/<id>/join`          | a supervisor  | may write in the chat from now |

Each needs the session and its CSRF token, like every POST of the console
(haven/handoff/console.py), and each is a line of the encrypted audit trail (`HandoffQueue`).
The SQL of each runs on the console's threads (`CounselorConsole._blocking`), never on the event
loop that serves the young people's messages. After a transfer the young person is told that
another counselor is taking over (`handoff_transferred` in their language).
"Take next" stops at the counselor's number of chats (haven/handoff/status.py); a claim from the
queue by hand does not, so a counselor can still take a young person at risk they see waiting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sanic.request import Request
from sanic.response import HTTPResponse

from haven.handoff.queue import HandoffError, HandoffRequest
from haven.handoff.relay import NOTICE
from haven.handoff.status import STATUSES

if TYPE_CHECKING:
    from haven.handoff.console import CounselorConsole


class Refused(Exception):
    """A team action the console refuses: the `error` it answers, its HTTP status, and the key
    of console.yml that says why to the counselor, if any."""

    def __init__(self, error: str, status: int, text: str | None = None) -> None:
        super().__init__(error)
        self.error, self.status, self.text = error, status, text


class DeskRoutes:
    """Handlers of the team routes, over the console's queue, desk, relay and live server."""

    def __init__(self, console: CounselorConsole) -> None:
        self.console = console

    def routes(self) -> list[tuple[str, Any]]:
        """(path, handler) of each POST route."""
        return [
            ("/counselor/api/status", self.status),
            ("/counselor/api/take_next", self.take_next),
            ("/counselor/api/chats/<request_id>/transfer", self.transfer),
            ("/counselor/api/chats/<request_id>/support", self.support),
            ("/counselor/api/chats/<request_id>/join", self.join),
        ]

    def refused(self, refusal: Refused) -> HTTPResponse:
        """The console's answer to a refused action."""
        body = {"error": refusal.error}
        if refusal.text:
            body["message"] = self.console.texts[refusal.text]
        return self.console.reply(body, refusal.status)

    async def status(self, request: Request) -> HTTPResponse:
        """Sets the counselor's own status."""
        console = self.console
        session, body = await console._api_post(request)
        if session is None:
            return console.reply({"error": "refused"}, 403)
        status = body.get("status")
        if status not in STATUSES:
            return console.reply({"error": "status"}, 400)
        await console._blocking(self._set_status, session.counselor, str(status))
        console.live_changed()
        return console.reply({"status": status})

    def _set_status(self, name: str, status: str) -> None:
        self.console.desk.set_status(name, status)
        self.console.queue.record(name, f"status_{status}")

    async def take_next(self, request: Request) -> HTTPResponse:
        """Claims the most urgent waiting request, within the counselor's number of chats."""
        console = self.console
        session, _ = await console._api_post(request)
        if session is None:
            return console.reply({"error": "refused"}, 403)
        try:
            claimed = await console._blocking(self._take_next, session.counselor)
        except Refused as refusal:
            return self.refused(refusal)
        await console.opened(request.app, claimed, session.counselor)
        return console.reply({"id": claimed.request_id})

    def _take_next(self, name: str) -> HandoffRequest:
        console = self.console
        if len(console.queue.chats_of(name)) >= console.desk.entry(name).max_chats:
            raise Refused("full", 409, "take_next_full")
        claimed = console.queue.take_next(name)
        if claimed is None:
            raise Refused("empty", 404, "queue_empty")
        return claimed

    async def transfer(self, request: Request, request_id: str) -> HTTPResponse:
        """Gives one of my chats to a colleague whose console is connected now; the young
        person is told another counselor is taking over."""
        console = self.console
        session, body = await console._api_post(request)
        if session is None:
            return console.reply({"error": "refused"}, 403)
        to = body.get("to")
        try:
            moved = await console._blocking(self._transfer, request_id, session.counselor, to)
        except Refused as refusal:
            return self.refused(refusal)
        to = moved.claimed_by or ""
        chat = console.relay.by_request(request_id)
        if chat is not None:
            chat.counselor = to
            chat.add(NOTICE, "transferred", by=session.counselor, to=to)
        await console.live.transferred(moved.request_id, session.counselor, to)
        await console._notice(request.app, moved, "handoff_transferred", on_console=False)
        return console.reply({"ok": True})

    def _transfer(self, request_id: str, giver: str, to: Any) -> HandoffRequest:
        console = self.console
        own = console._live_chat(request_id)
        if own is None or own.claimed_by != giver:
            raise Refused("not found", 404)
        if not isinstance(to, str) or not console.desk.entry(to).connected(console.queue.clock()):
            raise Refused("colleague", 400, "transfer_nobody")
        try:
            return console.queue.transfer(request_id, giver, to)
        except HandoffError:
            raise Refused("not found", 404) from None

    async def support(self, request: Request, request_id: str) -> HTTPResponse:
        """Asks the supervisors for support with one of my chats."""
        console = self.console
        session, _ = await console._api_post(request)
        if session is None:
            return console.reply({"error": "refused"}, 403)
        try:
            await console._blocking(console.queue.flag_support, request_id, session.counselor)
        except HandoffError:
            return self.refused(Refused("not found", 404))
        await console.live.support_alert(request_id, session.counselor)
        return console.reply({"ok": True})

    async def join(self, request: Request, request_id: str) -> HTTPResponse:
        """A supervisor joins a live chat; anyone else is refused."""
        console = self.console
        session, _ = await console._api_post(request)
        if session is None:
            return console.reply({"error": "refused"}, 403)
        try:
            joined = await console._blocking(self._join, request_id, session.counselor)
        except Refused as refusal:
            return self.refused(refusal)
        chat = console.relay.by_request(request_id)
        if chat is not None:
            chat.add(NOTICE, "supervisor_joined", by=session.counselor)
        console.live_changed()
        return console.reply({"id": joined.request_id})

    def _join(self, request_id: str, name: str) -> HandoffRequest:
        console = self.console
        if not console.desk.entry(name).supervisor:
            raise Refused("supervisors only", 403)
        try:
            return console.queue.join(request_id, name)
        except HandoffError:
            raise Refused("not found", 404) from None
