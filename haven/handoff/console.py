"""`CounselorConsole`: the counselors' web console at /counselor, served by the Rasa server.

| path                                    | what                                                 |
|-----------------------------------------|------------------------------------------------------|
| `GET /counselor`                        | the login page, or the console once logged in        |
| `GET /counselor/console.js`, `.css`     | the console's script and style (no inline code)      |
| `POST /counselor/login`, `/logout`      | form posts; login is rate-limited                    |
| `GET`/`POST /counselor/password`        | change my password (ends my other sessions)          |
| `GET /counselor/api/state`              | the queue (risk, then waiting time) and my chats      |
| `GET /counselor/api/chats/<id>`         | a chat of mine: its messages after `?after=N`        |
| `POST /counselor/api/claim`             | claim a waiting request `{id}`                       |
| `POST /counselor/api/chats/<id>/send`   | send `{text}` (or `{again: n}`): `{n, delivered}`    |
| `POST /counselor/api/chats/<id>/typing` | `{typing}`: the counselor's typing dots in the widget |
| `GET /counselor/api/chats/<id>/resources` | the region's help lines, in the chat's language   |
| `GET /counselor/api/chats/<id>/canned`  | canned responses, in its language, for its region    |
| `POST /counselor/api/chats/<id>/hand_back`, `/end` | back to the bot, or end (`{tags}`)       |
| `/counselor/socket.io/`                 | the live console: queue and chats pushed (live.py)   |

Status, take next, transfer, support and a supervisor's join are in haven/handoff/desk_routes.py;
a supervisor (haven/handoff/status.py) may also read any live chat (`GET .../chats/<id>`), held on
this process or another (the relay asks the one that holds it).

Closed by default: the server listens on loopback only, and the console also refuses any request
that does not come from a loopback address unless `HAVEN_COUNSELOR_REMOTE=1` (behind a proxy
that terminates TLS). Every page and API needs a session; every POST needs the session's CSRF
token (a form field or the `X-CSRF-Token` header) and a same-origin `Origin` when one is sent.
A counselor sees the queue and only the chats they claimed: anyone else's chat is a 404.

Logging in: name and password, then, for an account with a second factor, the 6-digit code of
its authenticator app (a pending session between the two steps, five minutes at most). Wrong
passwords and wrong codes count alike in the login limit. A session lasts while its account's
stamp (`CounselorAccounts.session_stamp`) is unchanged: a new password, a second factor set up
or removed, or the account removed ends it at its next request, in every process.

Hashing, SQL and Redis block, so every call into the accounts, the sessions and the login limit,
and the queue's SQL of a claim, take next, transfer, join and end, runs on the console's own pool
of `CONSOLE_THREADS` threads: the event loop that serves the young people's messages never waits
for a login or a claim (tests/unit/handoff/test_console_login.py measures it; test_desk_routes.py
checks the team routes). The pool is bounded so that many logins at once cost at most that many
Argon2id hashes of memory and CPU.

Every text a counselor reads comes from `content/languages/<language>/console.yml`
(haven/packs/console_texts.py), in the language `console_language` of handoff.yml: the pages are
filled in here, each text HTML-escaped, and the script gets the texts as JSON in the page (it sets
them with textContent only).
"""

from __future__ import annotations

import asyncio
import functools
import html
import ipaddress
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from redis.exceptions import RedisError
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

if TYPE_CHECKING:  # for the annotation only; `resources` imports it when first used
    from haven.packs.render import Renderer

from haven.handoff.counselors import (
    AccountError,
    ConsoleSession,
    ConsoleSessions,
    CounselorAccounts,
    LoginLimiter,
    login_input_ok,
)
from haven.handoff.desk_routes import DeskRoutes
from haven.handoff.live import ConsoleLive
from haven.handoff.queue import (
    HandoffError,
    HandoffQueue,
    HandoffRequest,
    YoungPersonLeft,
    purge_periodically,
)
from haven.handoff.relay import NOTICE, ChatView, HandoffRelay, LiveChat
from haven.handoff.status import CounselorDesk
from haven.handoff.tags import UnknownTag, checked_end_tags, count_end_tags
from haven.handoff.waiting import Locale, WaitingNotices
from haven.packs.channel_messages import load_channel_messages
from haven.packs.console_texts import load_console_texts
from haven.packs.language_packs import DEFAULT_LANGUAGE
from haven.services import BackgroundTasks
from haven.settings import PROJECT_ROOT, StorageConfigError
from haven.storage.crypto import TamperedRecordError
from haven.web.rate_limits import client_address
from haven.web.security_headers import install_security_headers
from haven.web.typed_text import typed_text
from haven.web.widget_site import COMMON_HEADERS

logger = logging.getLogger(__name__)

CONSOLE_DIR = PROJECT_ROOT / "console"
WIDGET_VENDOR = PROJECT_ROOT / "widget" / "vendor"
COOKIE = "haven_counselor"
MAX_TEXT = 4000
FIELD = re.compile(r"\{\{(\w+)\}\}|\{(\w+)\}")
"""In console/*.html: `{{key}}` is a text of console.yml, `{name}` a value filled in here."""
TOUCH_SECONDS = 30
LOGIN_FORMS = ("login_form.html", "code_form.html")
CONSOLE_THREADS = 2
"""Threads for the console's hashing, SQL and Redis calls (haven-console-N)."""
T = TypeVar("T")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    **COMMON_HEADERS,
    # Not no-referrer: with it, Chromium sends `Origin: null` on the login form, which the
    # same-origin check must refuse. Same-origin requests only ever carry the console's address.
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


PauseBot = Callable[[Sanic, str, bool], Awaitable[None]]
"""Pauses (True) or resumes (False) the bot for a conversation: the Rasa side, given by the
web chat channel (haven/rasa_edge/conversation_pause.py), so this module needs no Rasa."""


async def no_bot_to_pause(app: Sanic, conversation_id: str, paused: bool) -> None:
    """For a console served without a Rasa server (tests, a console on its own)."""


LOCALE_SLOTS = (("language", ("language", "language_hint")), ("region", ("region", "region_hint")))


async def conversation_locale(
    app: Any, conversation_id: str, known: Mapping[str, str | None] | None = None
) -> dict[str, str]:
    """The young person's language and region, for texts sent during a handoff.

    From the conversation's slots (their choice, else the hint); for what the slots do not say,
    `known` (the widget's language, or what the request recorded); otherwise nothing, and the
    texts use the deployment's default (English, and help lines that work anywhere).
    """
    locale = {key: value for key, value in (known or {}).items() if value}
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return locale
    try:
        tracker = await store.retrieve(conversation_id)
    except Exception as error:  # the texts fall back to what is known
        logger.error("Reading a conversation's language failed: %s", type(error).__name__)
        return locale
    for key, slots in LOCALE_SLOTS:
        for slot in slots:
            value = tracker.get_slot(slot) if tracker is not None else None
            if isinstance(value, str) and value:
                locale[key] = value
                break
    return locale


class CounselorConsole:
    """Routes of the console, its sessions and its login limit."""

    def __init__(
        self,
        relay: HandoffRelay,
        queue: HandoffQueue,
        accounts: CounselorAccounts,
        sessions: ConsoleSessions,
        desk: CounselorDesk,
        renderer: Callable[[], Renderer],
        limiter: LoginLimiter | None = None,
        allow_remote: bool = False,
        secure_cookie: bool | None = None,
        language: str = DEFAULT_LANGUAGE,
        pause_bot: PauseBot = no_bot_to_pause,
        background: BackgroundTasks | None = None,
        end_tags: tuple[str, ...] = (),
        live: Callable[[CounselorConsole], ConsoleLive] = ConsoleLive,
    ) -> None:
        """`desk` and `renderer` come from the composition root (`Services.counselor_desk`,
        `Services.renderer`, read when a text first needs it)."""
        self.relay = relay
        self.desk = desk
        self.end_tags = end_tags
        self.pause_bot = pause_bot
        self.queue = queue
        self.accounts = accounts
        self.sessions = sessions
        self.limiter = limiter or LoginLimiter()
        self.allow_remote = allow_remote
        # Reached from elsewhere means through the HTTPS proxy: the session cookie is then sent
        # over HTTPS only (`Secure`), never in the clear. On loopback it works over plain HTTP.
        self.secure_cookie = self.allow_remote if secure_cookie is None else secure_cookie
        self.language = language
        self.texts = load_console_texts(language)
        self._renderer: Renderer | None = None
        self._make_renderer = renderer
        # The purger runs with the process's other background tasks (haven/services.py).
        self.background = background or BackgroundTasks()
        self.threads = ThreadPoolExecutor(
            max_workers=CONSOLE_THREADS, thread_name_prefix="haven-console"
        )
        self.live = live(self)
        self.desk_routes = DeskRoutes(self)

    async def _blocking(self, work: Callable[..., T], *arguments: Any) -> T:
        """Runs `work` on the console's threads, so the event loop goes on meanwhile."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.threads, functools.partial(work, *arguments))

    @property
    def renderer(self) -> Renderer:
        """Responses and notices in a language with a region's help lines (made on first use)."""
        if self._renderer is None:
            self._renderer = self._make_renderer()
        return self._renderer

    @property
    def notices(self) -> WaitingNotices:
        """The texts of waiting and of a chat with a counselor (haven/handoff/waiting.py)."""
        return WaitingNotices(self.renderer)

    @staticmethod
    def reply(body: Any, status: int = 200) -> HTTPResponse:
        """A JSON answer with the console's headers (for haven/handoff/desk_routes.py)."""
        return _json(body, status)

    def live_changed(self) -> None:
        """Something consoles show changed here: push it now (not at the next watch)."""
        self.live.changed()

    @classmethod
    def default(
        cls, relay: HandoffRelay, pause_bot: PauseBot = no_bot_to_pause
    ) -> CounselorConsole:
        """The console over Haven's configured database, keys and `handoff.yml`, from the
        process's composition root (haven/services.py)."""
        from haven.services import Services

        return Services.for_process().counselor_console(relay, pause_bot)

    # --- checks ---------------------------------------------------------------------------

    def _refused(self, request: Request) -> HTTPResponse | None:
        if self.allow_remote:
            return None
        try:
            loopback = ipaddress.ip_address(request.ip).is_loopback
        except ValueError:
            loopback = False
        return None if loopback else _text(self.texts["not_found"], 404)

    async def _session(self, request: Request) -> ConsoleSession | None:
        return await self._blocking(self._logged_in, request.cookies.get(COOKIE))

    def _logged_in(self, token: str | None) -> ConsoleSession | None:
        # On the console's threads: a session store in Redis, the account in the database.
        session = self.sessions.get(token)
        if session is None or session.pending:
            return None
        if self.accounts.session_stamp(session.counselor) != session.stamp:
            self.sessions.end(token)  # removed, a new password, a second factor set or removed
            return None
        now = self.queue.clock()
        # "Online" is refreshed at most every 30 seconds, not on every poll of the console.
        if now - session.last_touch >= TOUCH_SECONDS:
            self.accounts.touch(session.counselor)
            self.sessions.touched(token, session, now)
        return session

    @staticmethod
    def _same_origin(request: Request) -> bool:
        origin = request.headers.get("origin")
        if not origin:
            return True  # not sent by every browser for same-origin requests
        return urlsplit(origin).netloc == request.host

    async def _post_session(self, request: Request, sent: str | None) -> ConsoleSession | None:
        session = await self._session(request)
        if session is None or not self._same_origin(request):
            return None
        return session if self.sessions.csrf_ok(session, sent) else None

    # --- pages ----------------------------------------------------------------------------

    async def page(self, request: Request) -> HTTPResponse:
        """The login form, or the console for a logged-in counselor."""
        session = await self._session(request)
        if session is None:
            return _html(self._login_page())
        # The script's texts, as JSON that cannot end its <script> element (no `<` left).
        texts = json.dumps(self.texts, ensure_ascii=False).replace("<", "\\u003c")
        logged_in = html.escape(self.texts["logged_in_as"]).replace(
            "{name}", f"<strong>{html.escape(session.counselor)}</strong>"
        )
        return _html(
            self._fill(
                "console.html",
                csrf=html.escape(session.csrf, quote=True),
                logged_in=logged_in,
                texts=texts,
            )
        )

    def _login_page(
        self,
        error: str | None = None,
        form: str = "login_form.html",
        status: str | None = None,
        **values: str,
    ) -> str:
        """The small page of the login steps and the password change, with one of their forms
        (`values` are HTML already escaped), an error or a `status` message above it."""
        title = "login_title" if form in LOGIN_FORMS else "password_title"
        chars = str(self.accounts.min_password_chars)
        shown = ""
        for key, role, kind in ((error, "alert", "error"), (status, "status", "hint")):
            if key is not None:
                text = html.escape(self.texts[key]).replace("{chars}", chars)
                shown += f'<p class="{kind}" role="{role}">{text}</p>'
        return self._fill(
            "login.html",
            title=html.escape(self.texts[title]),
            error=shown,
            form=self._fill(form, **values),
        )

    def _fill(self, name: str, /, **values: str) -> str:
        """A page of console/ in the console's language; `values` are HTML already escaped."""
        values = {"lang": html.escape(self.language, quote=True), **values}

        def field(match: re.Match[str]) -> str:
            if match.group(1):
                return html.escape(self.texts[match.group(1)], quote=True)
            return values[match.group(2)]

        return FIELD.sub(field, _read(name))

    async def login(self, request: Request) -> HTTPResponse:
        """Step one checks name and password; for an account with a second factor, step two
        (the form with `step=code`) checks the code. Too many failures of either lock the name
        and the address for a while."""
        if not self._same_origin(request):
            return _text(self.texts["refused"], 403)
        address = client_address(request)  # the client's own, behind the proxy too
        if request.form.get("step") == "code":
            token = request.cookies.get(COOKIE)
            code = str(request.form.get("code") or "")[:16]
            csrf = request.form.get("csrf")
            step = await self._blocking(self._code_step, token, code, csrf, address)
        else:
            name = (request.form.get("name") or "").strip().lower()
            password = request.form.get("password") or ""
            if not login_input_ok(name, password):  # refused before anything is counted
                return _html(self._login_page("login_wrong"), 400)
            step = await self._blocking(self._password_step, name, password, address)
        if step.outcome == "in" and step.token:
            reply = response.redirect("/counselor", status=303, headers=PAGE_HEADERS)
            _set_cookie(reply, step.token, self.secure_cookie)
            return reply
        if step.outcome in ("code", "code_wrong") and step.token:
            error = "code_wrong" if step.outcome == "code_wrong" else None
            csrf_field = html.escape(step.csrf, quote=True)
            reply = _html(
                self._login_page(error, "code_form.html", csrf=csrf_field),
                401 if error else 200,
            )
            _set_cookie(reply, step.token, self.secure_cookie)
            return reply
        status = {"login_locked": 429, "unavailable": 503}.get(step.outcome, 401)
        reply = _html(self._login_page(step.outcome), status)
        if request.form.get("step") == "code":
            _clear_cookie(reply)  # the pending session is over
        return reply

    def _password_step(self, name: str, password: str, address: str) -> _Step:
        if not self.limiter.allowed(name, address):
            return _Step("login_locked")
        if not self.accounts.verify(name, password):
            self.limiter.failed(name, address)
            return _Step("login_wrong")
        stamp = self.accounts.session_stamp(name) or ""
        if self.accounts.has_totp(name):
            # The limit's counts stay until the code is right too: a right password alone must
            # not reset the count of wrong codes.
            token, pending = self.sessions.start(name, stamp, pending=True)
            return _Step("code", token, pending.csrf)
        return _Step("in", self._open_session(name, address, stamp))

    def _code_step(self, token: str | None, code: str, csrf: str | None, address: str) -> _Step:
        pending = self.sessions.get(token)
        if pending is None or not pending.pending or not self.sessions.csrf_ok(pending, csrf):
            return _Step("login_expired")
        name = pending.counselor
        if not self.limiter.allowed(name, address):
            self.sessions.end(token)
            return _Step("login_locked")
        try:
            right = self.accounts.verify_totp(name, code)
        except (TamperedRecordError, StorageConfigError) as error:  # the keys, not the code
            logger.error("A counselor's second factor cannot be read: %s", error)
            return _Step("unavailable")
        if not right:
            self.limiter.failed(name, address)
            return _Step("code_wrong", token, pending.csrf)
        self.sessions.end(token)
        stamp = self.accounts.session_stamp(name)
        if stamp is None or stamp != pending.stamp:  # the account changed meanwhile
            return _Step("login_expired")
        return _Step("in", self._open_session(name, address, stamp))

    def _open_session(self, name: str, address: str, stamp: str) -> str:
        self.limiter.succeeded(name, address)
        token, _ = self.sessions.start(name, stamp)
        self.accounts.touch(name)
        self.queue.record(name, "login")
        return token

    async def logout(self, request: Request) -> HTTPResponse:
        """Ends the session (needs its CSRF token) and marks the counselor offline."""
        session = await self._post_session(request, request.form.get("csrf"))
        if session is None:
            return _text(self.texts["refused"], 403)
        await self._blocking(self._log_out, request.cookies.get(COOKIE), session.counselor)
        reply = response.redirect("/counselor", status=303, headers=PAGE_HEADERS)
        _clear_cookie(reply)
        return reply

    def _log_out(self, token: str | None, counselor: str) -> None:
        self.sessions.end(token)
        self.accounts.touch(counselor, online=False)
        self.queue.record(counselor, "logout")

    # --- password -------------------------------------------------------------------------

    async def password(self, request: Request) -> HTTPResponse:
        """The form to change my password (GET: the current one, the new one twice), and the
        change (POST)."""
        if request.method == "POST":
            return await self.change_password(request)
        session = await self._session(request)
        if session is None:
            return response.redirect("/counselor", status=303, headers=PAGE_HEADERS)
        return _html(self._password_page(session))

    def _password_page(self, session: ConsoleSession, error: str | None = None) -> str:
        chars = str(self.accounts.min_password_chars)
        return self._login_page(
            error,
            "password_form.html",
            csrf=html.escape(session.csrf, quote=True),
            name=html.escape(session.counselor, quote=True),
            chars=chars,
            hint=html.escape(self.texts["password_hint"]).replace("{chars}", chars),
        )

    async def change_password(self, request: Request) -> HTTPResponse:
        """Changes my password after checking the current one; my other sessions end, and this
        browser gets a new session (a new cookie)."""
        session = await self._post_session(request, request.form.get("csrf"))
        if session is None:
            return _text(self.texts["refused"], 403)
        current = request.form.get("current") or ""
        new, again = request.form.get("new") or "", request.form.get("again") or ""
        if not login_input_ok(session.counselor, current):
            return _html(self._password_page(session, "password_wrong"), 400)
        token = request.cookies.get(COOKIE)
        address = client_address(request)
        step = await self._blocking(
            self._new_password, token, session, current, new, again, address
        )
        if step.token is None:
            status = {"login_locked": 429, "password_wrong": 401}.get(step.outcome, 400)
            return _html(self._password_page(session, step.outcome), status)
        reply = _html(self._login_page(None, "password_done.html", status="password_changed"))
        _set_cookie(reply, step.token, self.secure_cookie)
        return reply

    def _new_password(
        self,
        token: str | None,
        session: ConsoleSession,
        current: str,
        new: str,
        again: str,
        address: str,
    ) -> _Step:
        name = session.counselor
        if not self.limiter.allowed(name, address):
            return _Step("login_locked")
        if not self.accounts.verify(name, current):
            self.limiter.failed(name, address)  # a stolen session must not guess the password
            return _Step("password_wrong")
        if new != again:
            return _Step("password_mismatch")
        try:
            self.accounts.set_password(name, new)
        except AccountError:
            return _Step("password_short")
        # Every session of this counselor ends with the new stamp; this browser gets a new one.
        self.sessions.end(token)
        opened, _ = self.sessions.start(name, self.accounts.session_stamp(name) or "")
        self.queue.record(name, "password")
        return _Step("changed", opened)

    # --- API ------------------------------------------------------------------------------

    async def state(self, request: Request) -> HTTPResponse:
        """The queue and this counselor's chats."""
        session = await self._session(request)
        if session is None:
            return _json({"error": "login"}, 401)
        return _json(self.live.state_for(session.counselor))

    async def claim(self, request: Request) -> HTTPResponse:
        """Claims a waiting request, pauses the bot and tells the young person."""
        session, body = await self._api_post(request)
        if session is None:
            return _json({"error": "refused"}, 403)
        try:
            claimed = await self._blocking(
                self.queue.claim, str(body.get("id", "")), session.counselor
            )
        except YoungPersonLeft:
            return _json({"error": "left", "message": self.texts["claim_left"]}, 410)
        except HandoffError:
            return _json({"error": "gone", "message": self.texts["claim_gone"]}, 409)
        await self.opened(request.app, claimed, session.counselor)
        return _json({"id": claimed.request_id})

    async def opened(self, app: Any, claimed: HandoffRequest, counselor: str) -> None:
        """After a claim: the chat opens here, the bot pauses, the young person is told."""
        await self.relay.open(_live(claimed, counselor))
        await self.pause_bot(app, claimed.conversation_id, True)
        await self._notice(app, claimed, "handoff_joined")
        if claimed.share_summary:
            # The young person said yes: their widget sends this chat's earlier messages.
            await self.relay.ask_for_transcript(claimed.conversation_id)
        self.live_changed()

    async def chat(self, request: Request, request_id: str) -> HTTPResponse:
        """The live messages of one of my chats.

        A chat this process does not hold (the server restarted since the claim) is opened again
        here, so the young person's messages reach the counselor instead of the paused bot.
        """
        session = await self._session(request)
        if session is None:
            return _json({"error": "login"}, 401)
        found = self._mine(request_id, session)
        watching = found is None and self.desk.entry(session.counselor).supervisor
        if watching:  # a supervisor reads any live chat held here (read-only until they join)
            found = self._live_chat(request_id)
        if found is None:
            return _json({"error": "not found"}, 404)
        chat = self.relay.by_request(request_id)
        if chat is None and not watching:
            chat = _live(found, found.claimed_by or session.counselor)
            await self.relay.open(chat)
        try:
            after = int(request.args.get("after", "0"))
        except ValueError:
            after = 0
        if watching and after == 0:  # a supervisor opened a colleague's chat to read it
            self.queue.record(session.counselor, "supervisor_view", request_id)
        view: ChatView | None = None
        if chat is not None:
            view = chat.view(after)
        elif watching:  # held by a counselor on another process: it sends the messages
            view = await self.relay.messages_anywhere(found.conversation_id, after)
        return _json(
            {
                "summary": found.summary(self.queue.clock()),
                "counselor": found.claimed_by,
                "can_write": found.with_counselor(session.counselor),
                "live": view is not None,
                "messages": view.messages if view else [],
                "typing": bool(view and view.typing),
            }
        )

    async def typing(self, request: Request, request_id: str) -> HTTPResponse:
        """Shows (`{typing: true}`) or hides the counselor's typing dots to the young person."""
        session, body = await self._api_post(request)
        if session is None:
            return _json({"error": "refused"}, 403)
        found = self._mine(request_id, session)
        if found is None or self.relay.live(found.conversation_id) is None:
            return _json({"error": "not found"}, 404)
        await self.relay.typing_from_counselor(found.conversation_id, body.get("typing") is True)
        return _json({"ok": True})

    async def send(self, request: Request, request_id: str) -> HTTPResponse:
        """Sends a counselor's message (`{text}`) to the young person, or sends again one that
        was not delivered (`{again: n}`). Answers `{ok, n, delivered}`: `delivered` is false when
        no process holding the young person's socket took it (haven/handoff/relay.py), so the
        console never shows as sent what the young person did not get."""
        session, body = await self._api_post(request)
        if session is None:
            return _json({"error": "refused"}, 403)
        found = self._mine(request_id, session)
        if found is None or self.relay.live(found.conversation_id) is None:
            return _json({"error": "not found"}, 404)
        again, text = body.get("again"), body.get("text")
        if "again" in body:
            if not isinstance(again, int) or isinstance(again, bool):
                return _json({"error": "again"}, 400)
            message = await self.relay.send_again(found.conversation_id, again)
            if message is None:
                return _json({"error": "not found"}, 404)
        elif not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            return _json({"error": "text"}, 400)
        else:
            message = await self.relay.from_counselor(
                found.conversation_id, typed_text(text).strip()
            )
        return _json({"ok": True, "n": message["n"], "delivered": message["delivered"]})

    async def resources(self, request: Request, request_id: str) -> HTTPResponse:
        """The crisis lines and helplines of the young person's region, in their language."""
        found = await self._chat_locale(request, request_id)
        if found is None:
            return _json({"error": "not found"}, 404)
        renderer, locale, _ = found
        lines = renderer.render(
            "utter_crisis", language=locale.get("language"), region=locale.get("region"), slots={}
        )
        return _json({"text": lines["text"] if lines else ""})

    async def canned(self, request: Request, request_id: str) -> HTTPResponse:
        """The canned responses in the chat's language, help lines filled for its region
        (haven/packs/canned.py): `{"canned": [{key, label, text}]}`."""
        from haven.packs.canned import load_canned

        found = await self._chat_locale(request, request_id)
        if found is None:
            return _json({"error": "not found"}, 404)
        renderer, locale, chat = found
        language, region = locale.get("language"), locale.get("region")
        slots = {"age_band": chat.age_band}
        return _json(
            {
                "canned": [
                    {
                        "key": entry.key,
                        "label": entry.label,
                        "text": renderer.fill_text(
                            entry.text, language=language, region=region, slots=slots
                        ),
                    }
                    for entry in load_canned(language)
                ]
            }
        )

    async def _chat_locale(
        self, request: Request, request_id: str
    ) -> tuple[Renderer, dict[str, str], HandoffRequest] | None:
        """The renderer, the young person's language and region, and the chat: for one of my
        chats only."""
        session = await self._session(request)
        found = self._mine(request_id, session) if session else None
        if found is None:
            return None
        locale = await conversation_locale(
            request.app, found.conversation_id, {"language": found.language, "region": found.region}
        )
        return self.renderer, locale, found

    async def finish(self, request: Request, request_id: str, action: str) -> HTTPResponse:
        """Hands the chat back to the bot ("hand_back") or ends it ("end"); the bot resumes."""
        session, body = await self._api_post(request)
        if session is None:
            return _json({"error": "refused"}, 403)
        try:
            tags = checked_end_tags(body.get("tags"), self.end_tags)
        except UnknownTag as error:
            return _json({"error": "tags", "message": str(error)}, 400)
        try:
            ended = await self._blocking(
                self.queue.end, request_id, session.counselor, action, tags
            )
        except HandoffError:
            return _json({"error": "not found"}, 404)
        count_end_tags(tags)
        self.live_changed()
        await self.relay.close(ended.conversation_id)
        await self.pause_bot(request.app, ended.conversation_id, False)
        await self._notice(
            request.app, ended, "handoff_back_to_bot" if action == "hand_back" else "handoff_ended"
        )
        return _json({"ok": True})

    async def _api_post(self, request: Request) -> tuple[ConsoleSession | None, dict[str, Any]]:
        body = request.json if isinstance(request.json, dict) else {}
        return await self._post_session(request, request.headers.get("x-csrf-token")), body

    def _live_chat(self, request_id: str) -> HandoffRequest | None:
        try:
            return self.queue.live_chat(request_id)
        except HandoffError:
            return None

    def _mine(self, request_id: str, session: ConsoleSession) -> HandoffRequest | None:
        try:
            return self.queue.get_for(request_id, session.counselor)
        except HandoffError:
            return None

    async def _notice(
        self, app: Any, request: HandoffRequest, key: str, on_console: bool = True
    ) -> None:
        """Tells the young person, in their language, what happened to their chat (`key` of
        `channel:` in language.yml); the counselor's chat shows it too unless `on_console` is
        False (a transfer notes itself with both names)."""
        metadata = await conversation_locale(
            app, request.conversation_id, {"language": request.language, "region": request.region}
        )
        text = load_channel_messages(metadata)[key]
        chat = self.relay.by_request(request.request_id)
        if chat is not None and on_console:
            chat.add(NOTICE, key)
        # `notice` lets the web chat ask "did this help?" after an end (haven/handoff/waiting.py).
        await self.relay.to_young_person(request.conversation_id, {"text": text, "notice": key})
        if key == "handoff_joined":  # what the counselor keeps private, and when they cannot
            locale = Locale(metadata.get("language"), metadata.get("region"))
            confidential = self.notices.text("confidential", locale)
            await self.relay.to_young_person(request.conversation_id, {"text": confidential})

    # --- routes ---------------------------------------------------------------------------

    def register(self, app: Sanic) -> None:
        """Adds the console's routes to the Rasa server's app, with the security headers and
        the Host check (haven/web/security_headers.py)."""
        install_security_headers(app)

        def guarded(handler: Any) -> Any:
            async def route(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
                refused = self._refused(request)
                if refused is not None:
                    return refused
                try:
                    result = handler(request, *args, **kwargs)
                    return await result if hasattr(result, "__await__") else result
                except RedisError as error:  # sessions and the login limit live there
                    logger.error(
                        "The counselor console cannot reach Redis (HAVEN_REDIS_URL): %s",
                        type(error).__name__,
                    )
                    return _text(self.texts["unavailable"], 503)

            route.__name__ = f"counselor_{handler.__name__}"
            return route

        def asset(name: str) -> Any:
            def serve(request: Request) -> HTTPResponse:
                content_type = "text/javascript" if name.endswith(".js") else "text/css"
                # socket.io-client is the widget's vendored copy (widget/vendor/, `make vendor`).
                folder = WIDGET_VENDOR if name == "socket.io.min.js" else CONSOLE_DIR
                return response.raw(
                    (folder / name).read_bytes(),
                    content_type=f"{content_type}; charset=utf-8",
                    headers=PAGE_HEADERS,
                )

            serve.__name__ = name.replace(".", "_")
            return serve

        async def start_relay(app: Sanic, _loop: Any) -> None:
            await self.relay.start()
            self.background.start("handoff purge", lambda: purge_periodically(self.queue))

        async def stop_purger(app: Sanic, _loop: Any) -> None:
            await self.background.stop()

        app.register_listener(start_relay, "after_server_start")
        app.register_listener(stop_purger, "before_server_stop")
        add = app.add_route
        add(guarded(self.page), "/counselor", methods=["GET"], name="counselor_page")
        for name in ("console.js", "live.js", "console.css", "socket.io.min.js"):
            add(guarded(asset(name)), f"/counselor/{name}", methods=["GET"], name=name)
        self.live.attach(app)
        for path, handler in self.desk_routes.routes():
            add(guarded(handler), path, methods=["POST"], name=f"counselor_{handler.__name__}")
        add(guarded(self.login), "/counselor/login", methods=["POST"], name="counselor_login")
        add(guarded(self.logout), "/counselor/logout", methods=["POST"], name="counselor_logout")
        add(guarded(self.password), "/counselor/password", methods=["GET", "POST"])
        add(guarded(self.state), "/counselor/api/state", methods=["GET"], name="counselor_state")
        add(guarded(self.claim), "/counselor/api/claim", methods=["POST"], name="counselor_claim")
        add(
            guarded(self.chat),
            "/counselor/api/chats/<request_id>",
            methods=["GET"],
            name="counselor_chat",
        )
        add(
            guarded(self.send),
            "/counselor/api/chats/<request_id>/send",
            methods=["POST"],
            name="counselor_send",
        )
        add(
            guarded(self.resources),
            "/counselor/api/chats/<request_id>/resources",
            methods=["GET"],
            name="counselor_resources",
        )
        add(
            guarded(self.typing),
            "/counselor/api/chats/<request_id>/typing",
            methods=["POST"],
            name="counselor_typing",
        )
        add(
            guarded(self.canned),
            "/counselor/api/chats/<request_id>/canned",
            methods=["GET"],
            name="counselor_canned",
        )
        for action in ("hand_back", "end"):

            async def finish(request: Request, request_id: str, action: str = action) -> Any:
                return await self.finish(request, request_id, action)

            finish.__name__ = action
            add(
                guarded(finish),
                f"/counselor/api/chats/<request_id>/{action}",
                methods=["POST"],
                name=f"counselor_{action}",
            )


@dataclass(frozen=True)
class _Step:
    """What a login step or a password change came to: an outcome (a key of console.yml for an
    error), the cookie's new token when there is one, and a pending session's CSRF token."""

    outcome: str
    token: str | None = None
    csrf: str = ""


def _set_cookie(reply: HTTPResponse, token: str, secure: bool) -> None:
    # Sanic 21.12's cookie jar: HttpOnly, SameSite=Strict, only sent to the console's paths.
    reply.cookies[COOKIE] = token
    cookie = reply.cookies[COOKIE]
    cookie["path"] = "/counselor"
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    if secure:
        cookie["secure"] = True


def _clear_cookie(reply: HTTPResponse) -> None:
    reply.cookies[COOKIE] = ""
    reply.cookies[COOKIE]["path"] = "/counselor"
    reply.cookies[COOKIE]["max-age"] = 0


def _live(request: HandoffRequest, counselor: str) -> LiveChat:
    return LiveChat(
        request.request_id, request.conversation_id, counselor, request.language, request.region
    )


def _read(name: str) -> str:
    return (CONSOLE_DIR / name).read_text(encoding="utf-8")


def _html(body: str, status: int = 200) -> HTTPResponse:
    return response.html(body, status=status, headers=PAGE_HEADERS)


def _json(body: Any, status: int = 200) -> HTTPResponse:
    return response.json(body, status=status, headers=PAGE_HEADERS)


def _text(body: str, status: int) -> HTTPResponse:
    return response.text(body, status=status, headers=COMMON_HEADERS)
