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
"Take next" stops at the counselor's number of chats (haven/handoff/status.py); a claim from the
queue by hand does not, so a counselor can still take a young person at risk they see waiting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sanic.request import Request
from sanic.response import HTTPResponse

from haven.handoff.queue import HandoffError
from haven.handoff.relay import NOTICE
from haven.handoff.status import STATUSES

if TYPE_CHECKING:
    from haven.handoff.console import CounselorConsole


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

    async def status(self, request: Request) -> HTTPResponse:
        """Sets the counselor's own status."""
        console = self.console
        session, body = await console._api_post(request)
        if session is None:
            return self.console.reply({"error": "refused"}, 403)
        status = body.get("status")
        if status not in STATUSES:
            return self.console.reply({"error": "status"}, 400)
        console.desk.set_status(session.counselor, str(status))
        console.queue.record(session.counselor, f"status_{status}")
        console.live_changed()
        return self.console.reply({"status": status})

    async def take_next(self, request: Request) -> HTTPResponse:
        """Claims the most urgent waiting request, within the counselor's number of chats."""
        console = self.console
        session, _ = await console._api_post(request)
        if session is None:
            return self.console.reply({"error": "refused"}, 403)
        name = session.counselor
        if len(console.queue.chats_of(name)) >= console.desk.entry(name).max_chats:
            return self.console.reply(
                {"error": "full", "message": console.texts["take_next_full"]}, 409
            )
        claimed = console.queue.take_next(name)
        if claimed is None:
            return self.console.reply(
                {"error": "empty", "message": console.texts["queue_empty"]}, 404
            )
        await console.opened(request.app, claimed, name)
        return self.console.reply({"id": claimed.request_id})

    async def transfer(self, request: Request, request_id: str) -> HTTPResponse:
        """Gives one of my chats to a colleague whose console is connected now."""
        console = self.console
        session, body = await console._api_post(request)
        if session is None:
            return self.console.reply({"error": "refused"}, 403)
        to = body.get("to")
        now = console.queue.clock()
        own = console._live_chat(request_id)
        if own is None or own.claimed_by != session.counselor:
            return self.console.reply({"error": "not found"}, 404)
        if not isinstance(to, str) or not console.desk.entry(to).connected(now):
            return self.console.reply(
                {"error": "colleague", "message": console.texts["transfer_nobody"]}, 400
            )
        try:
            moved = console.queue.transfer(request_id, session.counselor, to)
        except HandoffError:
            return self.console.reply({"error": "not found"}, 404)
        chat = console.relay.by_request(request_id)
        if chat is not None:
            chat.counselor = to
            chat.add(NOTICE, "transferred", by=session.counselor, to=to)
        await console.live.transferred(moved.request_id, session.counselor, to)
        return self.console.reply({"ok": True})

    async def support(self, request: Request, request_id: str) -> HTTPResponse:
        """Asks the supervisors for support with one of my chats."""
        console = self.console
        session, _ = await console._api_post(request)
        if session is None:
            return self.console.reply({"error": "refused"}, 403)
        try:
            console.queue.flag_support(request_id, session.counselor)
        except HandoffError:
            return self.console.reply({"error": "not found"}, 404)
        await console.live.support_alert(request_id, session.counselor)
        return self.console.reply({"ok": True})

    async def join(self, request: Request, request_id: str) -> HTTPResponse:
        """A supervisor joins a live chat; anyone else is refused."""
        console = self.console
        session, _ = await console._api_post(request)
        if session is None:
            return self.console.reply({"error": "refused"}, 403)
        if not console.desk.entry(session.counselor).supervisor:
            return self.console.reply({"error": "supervisors only"}, 403)
        try:
            joined = console.queue.join(request_id, session.counselor)
        except HandoffError:
            return self.console.reply({"error": "not found"}, 404)
        chat = console.relay.by_request(request_id)
        if chat is not None:
            chat.add(NOTICE, "supervisor_joined", by=session.counselor)
        console.live_changed()
        return self.console.reply({"id": joined.request_id})
