"""`HavenWidgetInput`: the Socket.IO channel of Haven's web chat widget (widget/haven.js).

The protocol it speaks, and its Rasa-free checks (conversation ids and tokens, message checks,
what of Rasa's output reaches the browser, allowed origins), are in haven/web/widget_protocol.py,
whose docstring is the reference for the events and their payloads. This module is the adapter:
Socket.IO on Sanic, the conversation's lock and the reply sent again after a lost
acknowledgement, the counselor relay, leaving the handoff queue, and each message handed to Rasa
through the turn ladder it shares with the REST channel (haven/rasa_edge/turns.py). It also runs the
process's `QueueWatcher` (haven/handoff/waiting.py), which tells waiting young people their place
and estimated wait, and when a request ended with nobody; carries the typing dots; and asks
"did this help?" after a chat with a counselor and at the end of the plan.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from rasa.core.channels.socketio import SocketBlueprint
from sanic import Blueprint, Sanic
from socketio import AsyncServer

from haven.handoff.console import conversation_locale
from haven.handoff.queue import ADDRESS_METADATA
from haven.handoff.relay import TRANSCRIPT_REQUEST, TYPING, CounselorUnreachable, HandoffRelay
from haven.handoff.waiting import (
    ASK_HELPFUL,
    ASK_HELPFUL_NOTICES,
    HELPFUL_ANSWERS,
    WATCH_SECONDS,
    Locale,
    QueueWatcher,
    WaitingNotices,
)
from haven.metrics import counts
from haven.nlu.crisis_patterns import mentions_crisis
from haven.nlu.locale_finding import LANGUAGE_SET
from haven.packs.channel_messages import load_channel_messages
from haven.rasa_edge import patches
from haven.rasa_edge.console_channel import ENTRY as CONSOLE_ENTRY
from haven.rasa_edge.console_channel import CounselorConsoleInput, served_console
from haven.rasa_edge.turns import Turn, take_turn
from haven.services import Services
from haven.web.rate_limits import BucketTable, MessageRateLimiter, client_address
from haven.web.replies_sent_again import RepliesSentAgain
from haven.web.rest_checks import (
    MAX_BODY_BYTES,
    InvalidRequest,
)
from haven.web.security_headers import install_security_headers
from haven.web.widget_protocol import (
    NEW_CONVERSATIONS_PER_MINUTE,
    REMEMBERED_REPLIES,
    ConversationTokens,
    origin_checker,
    parse_widget_message,
    usable_seq,
    widget_messages,
)
from haven.web.widget_site import WidgetSite

logger = logging.getLogger(__name__)


class DeprecatedOptionWarning(DeprecationWarning):
    """An option of credentials.yml that still works for one release."""


# Shown once to whoever runs the server, as Python shows deprecations only to tests by default;
# -W options and test runners keep their say (as bot/__init__.py does for the old paths).
if not sys.warnoptions:
    warnings.simplefilter("default", DeprecatedOptionWarning)


class WidgetPushOutput(CollectingOutputChannel):
    """Sends messages that are not replies (e.g. from a counselor) to the conversation's room."""

    def __init__(self, sio: AsyncServer) -> None:
        super().__init__()
        self.sio = sio

    @classmethod
    def name(cls) -> str:
        """The same name as the input channel, so Rasa finds this output for it."""
        return HavenWidgetInput.name()

    async def _persist_message(self, message: dict[str, Any]) -> None:
        for shown in widget_messages([message]):
            await self.sio.emit("bot_uttered", shown, room=message["recipient_id"])


class HavenWidgetInput(InputChannel):
    """The web chat channel: Socket.IO at /socket.io, the widget files and the demo page."""

    def __init__(
        self,
        allowed_origins: Iterable[str] = (),
        frame_ancestors: Iterable[str] = (),
        demo_page: bool = True,
        tokens: ConversationTokens | None = None,
        limiter: MessageRateLimiter | None = None,
        relay: HandoffRelay | None = None,
        counselor_console: bool = False,
        handoff_queue: Any = None,
        leave_grace_seconds: float | None = None,
        services: Services | None = None,
        watch_seconds: float = WATCH_SECONDS,
    ) -> None:
        patches.install()  # every adapter Rasa builds puts Haven's patches in place
        # What the channel shares with the process's other adapters: the relay (the console's),
        # the limiter (the REST channel's), the tokens' keys (the store's key ring).
        self.services = services or Services.for_process()
        self.relay = relay or self.services.relay
        self.counselor_console = counselor_console
        self.handoff_queue = handoff_queue
        self.leave_grace_seconds = leave_grace_seconds
        self._leaving: dict[str, asyncio.Task[None]] = {}
        self.watch_seconds = watch_seconds
        self.watcher: QueueWatcher | None = None
        self._watching: asyncio.Task[None] | None = None
        # Conversations asked "did this help?" and not answered yet (one count per question).
        self._asked_helpful: OrderedDict[str, bool] = OrderedDict()
        self.app: Sanic | None = None
        self.allowed_origins = list(allowed_origins)
        self.limiter = limiter or self.services.message_limiter
        self.new_conversations = BucketTable(NEW_CONVERSATIONS_PER_MINUTE)
        self.site = WidgetSite(frame_ancestors=frame_ancestors, demo_page=demo_page)
        self.tokens = tokens or self.services.tokens
        self.messages = load_channel_messages()
        self.sio: AsyncServer | None = None
        # To answer a message sent twice without handling it twice (haven/web/).
        self.replies = RepliesSentAgain()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @classmethod
    def name(cls) -> str:
        """Health check at /webhooks/haven_widget/."""
        return "haven_widget"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Reads `allowed_origins`, `frame_ancestors` and `demo_page` from credentials.yml (and
        the deprecated `counselor_console`: the console is now its own entry)."""
        credentials = credentials or {}
        unknown = set(credentials) - {
            "allowed_origins",
            "frame_ancestors",
            "demo_page",
            "counselor_console",
        }
        if unknown:
            raise ValueError(
                f"Unknown option(s) for the web chat channel in credentials.yml: "
                f"{', '.join(sorted(unknown))}."
            )
        return cls(
            allowed_origins=credentials.get("allowed_origins") or (),
            frame_ancestors=credentials.get("frame_ancestors") or (),
            demo_page=bool(credentials.get("demo_page", True)),
            counselor_console=_old_console_option(credentials),
        )

    def get_output_channel(self) -> OutputChannel | None:
        """Where messages outside a reply go (Rasa's external events, a counselor)."""
        return WidgetPushOutput(self.sio) if self.sio else None

    def _kind(self, key: str, metadata: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """The channel's own reply `key`, in the metadata's language and region when given."""
        if metadata:
            return [{"text": load_channel_messages(metadata)[key]}]
        return [{"text": self.messages[key]}]

    def _lock(self, conversation_id: str) -> asyncio.Lock:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        return lock

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Socket.IO, the widget's files and the demo page, with their security headers."""
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=origin_checker(self.allowed_origins),
            max_http_buffer_size=MAX_BODY_BYTES,
            ping_interval=15,
            ping_timeout=10,
        )
        self.sio = sio

        async def push(conversation_id: str, message: dict[str, Any]) -> None:
            if message.get("kind") == TRANSCRIPT_REQUEST:
                await sio.emit(TRANSCRIPT_REQUEST, {}, room=conversation_id)
            elif message.get("kind") == TYPING:
                await sio.emit(
                    TYPING, {"typing": bool(message.get("typing"))}, room=conversation_id
                )
            else:
                notice = message.pop("notice", None)
                await sio.emit("bot_uttered", message, room=conversation_id)
                if notice in ASK_HELPFUL_NOTICES and self._connected_here(conversation_id):
                    await self._ask_helpful_after_push(conversation_id)

        self.relay.push_to_young_person = push
        self.relay.connected_here = self._connected_here
        self.relay.on_queue_change = self._queue_changed
        channel = _WidgetBlueprint(self, sio, "/socket.io", "haven_widget", __name__)
        if self.counselor_console:  # the old option (deprecated): the console comes along
            channel.ctx.console = CounselorConsoleInput(relay=self.relay, services=self.services)
        if self.leave_grace_seconds is None:
            self.leave_grace_seconds = self.services.settings.handoff.leave_grace_minutes * 60
        self.site.add_health_route(channel)

        @sio.on("connect")
        async def connect(sid: str, environ: dict, auth: Any = None) -> None:
            request = environ.get("sanic.request")
            address = client_address(request) if request is not None else None
            await sio.save_session(sid, {"address": self.limiter.address_key(address)})

        @sio.on("disconnect")
        async def disconnect(sid: str) -> None:
            session = await sio.get_session(sid)
            conversation_id = session.get("conversation")
            if conversation_id:
                await self.relay.young_person_left(conversation_id)
                if not session.get("left"):
                    self._leave_later(conversation_id)

        @sio.on("leave")
        async def leave(sid: str, data: Any = None) -> dict[str, Any]:
            # Quick exit: the young person is gone for good (the page cleared its storage).
            session = await sio.get_session(sid)
            conversation_id = session.get("conversation")
            if conversation_id:
                session["left"] = True
                await sio.save_session(sid, session)
                await self._leave_now(conversation_id)
            return {"ok": True}

        @sio.on("transcript")
        async def transcript(sid: str, data: Any = None) -> dict[str, Any]:
            conversation_id = (await sio.get_session(sid)).get("conversation")
            if not conversation_id or not isinstance(data, dict):
                return {"ok": False}
            # Only for a chat a counselor holds and whose young person said yes to sharing.
            claimed = await self._claimed_with_consent(conversation_id)
            if not claimed:
                return {"ok": False}
            sent = await self.relay.transcript_from_young_person(
                conversation_id, data.get("messages")
            )
            return {"ok": sent}

        @sio.on("typing")
        async def typing(sid: str, data: Any = None) -> None:
            # The young person's typing dots, for the counselor who has the chat (if any).
            conversation_id = (await sio.get_session(sid)).get("conversation")
            if conversation_id and isinstance(data, dict):
                await self.relay.typing_from_young_person(
                    conversation_id, data.get("typing") is True
                )

        @sio.on("helpful")
        async def helpful(sid: str, data: Any = None) -> dict[str, Any]:
            # One optional tap after "did this help?": counted, nothing else kept.
            conversation_id = (await sio.get_session(sid)).get("conversation")
            answer = data.get("answer") if isinstance(data, dict) else None
            if answer not in HELPFUL_ANSWERS or not conversation_id:
                return {"ok": False}
            if self._asked_helpful.pop(conversation_id, None) is None:
                return {"ok": False}  # not asked, or already answered: counted once
            try:
                await asyncio.get_running_loop().run_in_executor(
                    None, self.services.count_helpfulness, answer
                )
            except Exception as error:
                logger.error("Counting a 'did this help?' answer failed: %s", type(error).__name__)
                return {"ok": False}
            return {"ok": True}

        @sio.on("session_request")
        async def session_request(sid: str, data: Any = None) -> dict[str, Any]:
            claimed = data if isinstance(data, dict) else {}
            resumed = self.tokens.owns(claimed.get("session_id"), claimed.get("token"))
            session = await sio.get_session(sid)
            if not resumed and not self.new_conversations.allow(self._address(session)):
                return {"ok": False, "error": "too_fast"}
            conversation_id = (
                claimed["session_id"] if resumed else self.tokens.new_conversation_id()
            )
            previous = session.get("conversation")
            if previous and previous != conversation_id:
                # "Clear chat": the old conversation is left behind for good.
                await sio.leave_room(sid, previous)
                await self._leave_now(previous)
            self._stop_leave_timer(conversation_id)
            if self.watcher is not None:
                self.watcher.tell_again(conversation_id)  # back after a reload
            session["conversation"] = conversation_id
            await sio.save_session(sid, session)
            await sio.enter_room(sid, conversation_id)
            return {
                "session_id": conversation_id,
                "token": self.tokens.token_for(conversation_id),
                "resumed": resumed,
            }

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: Any = None) -> dict[str, Any]:
            try:
                return await self._user_uttered(on_new_message, sid, data)
            except Exception as error:  # acknowledged all the same, so the chat keeps answering
                # Log the kind of failure only: the message text must never reach a log.
                logger.error("Handling a web chat message failed: %s", type(error).__name__)
                return self._failed(data)

        return channel

    # --- messages --------------------------------------------------------------------------

    async def _user_uttered(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], sid: str, data: Any
    ) -> dict[str, Any]:
        """Checks, rate-limits and answers one `user_uttered` event; the acknowledgement."""
        assert self.sio is not None  # noqa: S101 (only called from the blueprint's handler)
        session = await self.sio.get_session(sid)
        conversation_id = session.get("conversation")
        if not conversation_id:
            return {"ok": False, "error": "no_session"}
        try:
            text, seq, metadata = parse_widget_message(data)
        except InvalidRequest as error:
            if error.status == 400:
                return {"ok": False, "error": "bad_request", "messages": self._kind(str(error))}
            return {"ok": True, "seq": data["seq"], "messages": self._kind(str(error))}
        fingerprint = self.replies.fingerprint(seq, text)
        async with self._lock(conversation_id):
            again = self.replies.reply_to(conversation_id, fingerprint)
            if again is not None:  # sent again after a lost acknowledgement
                return {"ok": True, "seq": seq, "messages": again}
            address = self._address(session)

            async def to_counselor() -> Turn | None:
                try:
                    if not await self.relay.from_young_person(conversation_id, text):
                        return None  # no counselor has the chat: the bot answers
                except CounselorUnreachable:  # their process is restarting: never lost unsaid
                    locale = await conversation_locale(self.app, conversation_id, metadata)
                    return Turn(messages=self._kind("handoff_not_delivered", locale))
                # A counselor has the chat; crisis words still get the crisis lines at once,
                # those of the young person's own region and language.
                if mentions_crisis(text):
                    locale = await conversation_locale(self.app, conversation_id, metadata)
                    counts.crisis_reply("direct")  # the NGO's count, as for the bot's
                    return Turn(messages=self._kind("handoff_crisis", locale))
                return Turn()

            turn = await take_turn(
                on_new_message,
                text=text,
                conversation_id=conversation_id,
                input_channel=self.name(),
                limiter=self.limiter,
                address=address,
                # The address hash is for the limit on requests for a person
                # (haven/handoff/queue.py); the store keeps only `keep_metadata`, so it is never
                # saved.
                metadata={**metadata, ADDRESS_METADATA: address.hex()},
                before_rasa=to_counselor,
            )
            if turn.reply_key is None:
                reply = widget_messages(turn.messages)
            else:
                reply = self._kind(turn.reply_key, metadata)
            if turn.reply_key == "too_fast":
                # Not remembered: the same message sent again later is handled then.
                return {"ok": True, "seq": seq, "messages": reply}
            self.replies.remember(conversation_id, fingerprint, reply)
        if self.watcher is not None:
            self.watcher.poke()  # the turn may have filed a request: tell its place at once
        acknowledgement: dict[str, Any] = {"ok": True, "seq": seq, "messages": reply}
        chosen = [(m.get("custom") or {}).get(LANGUAGE_SET) for m in turn.messages]
        if any(chosen):  # a language chosen in the chat: the widget's texts follow it
            acknowledgement["language"] = next(code for code in chosen if code)
        if any((m.get("custom") or {}).get(ASK_HELPFUL) for m in turn.messages):
            locale = await conversation_locale(self.app, conversation_id, metadata)
            acknowledgement["helpful"] = self._helpful_question(conversation_id, locale)
        return acknowledgement

    # --- waiting, and "did this help?" ------------------------------------------------------

    def _queue_changed(self, claimed: str | None) -> None:
        if self.watcher is not None:
            self.watcher.poke(claimed)

    async def _start_watching(self) -> None:
        """Starts the queue watcher of this process, when a console (so a queue) is served."""
        console = served_console(self.app)
        queue = self._handoff_queue()
        if queue is None or console is None or self._watching is not None:
            return
        settings = self.services.settings.handoff
        sio = self.sio
        assert sio is not None  # noqa: S101 (started after the blueprint made it)

        async def send(conversation_id: str, event: str, payload: dict[str, Any]) -> None:
            await sio.emit(event, payload, room=conversation_id)

        self.watcher = QueueWatcher(
            queue,
            self.services.handoff_desk.counselor_available,
            settings.usual_wait_minutes,
            holds=self._connected_here,
            send=send,
            notices=WaitingNotices(self.services.renderer),
            every_seconds=self.watch_seconds,
        )
        self._watching = asyncio.get_running_loop().create_task(self.watcher.run())

    async def _stop_watching(self) -> None:
        if self._watching is not None:
            self._watching.cancel()
            self._watching = None

    def _helpful_question(self, conversation_id: str, locale: dict[str, str]) -> dict[str, Any]:
        """The "did this help?" texts, remembering the question so one answer is counted."""
        self._asked_helpful[conversation_id] = True
        self._asked_helpful.move_to_end(conversation_id)
        while len(self._asked_helpful) > REMEMBERED_REPLIES:
            self._asked_helpful.popitem(last=False)
        notices = WaitingNotices(self.services.renderer)
        return notices.helpful(Locale(locale.get("language"), locale.get("region")))

    async def _ask_helpful_after_push(self, conversation_id: str) -> None:
        assert self.sio is not None  # noqa: S101 (only called from the blueprint's push)
        locale = await conversation_locale(self.app, conversation_id)
        question = self._helpful_question(conversation_id, locale)
        await self.sio.emit("helpful", question, room=conversation_id)

    def _failed(self, data: Any) -> dict[str, Any]:
        """The acknowledgement of a message whose handling failed: the kind error reply (with
        the crisis lines), so the browser neither waits nor sends it again."""
        seq = data.get("seq") if isinstance(data, dict) else None
        if not usable_seq(seq):
            return {"ok": False, "error": "bad_request", "messages": self._kind("service_error")}
        return {"ok": True, "seq": seq, "messages": self._kind("service_error")}

    def _address(self, session: dict[str, Any]) -> bytes:
        """The keyed hash of the socket's client address (saved when it connected)."""
        return session.get("address") or self.limiter.address_key(None)

    # --- leaving ---------------------------------------------------------------------------

    def _handoff_queue(self) -> Any:
        """The queue young people leave: the one given, else the served console's, else None
        (no console, so no counselor waits for anyone)."""
        if self.handoff_queue is not None:
            return self.handoff_queue
        console = served_console(self.app)
        return console.queue if console is not None else None

    def _connected_here(self, conversation_id: str) -> bool:
        """Whether a socket of this process is in the conversation's room."""
        if self.sio is None:
            return False
        manager = self.sio.manager
        room = manager.rooms.get("/", {}).get(conversation_id) or {}
        return any(manager.is_connected(sid, "/") for sid in list(room))

    async def _leave_now(self, conversation_id: str) -> None:
        """Takes the conversation's waiting request out of the queue (the young person left)."""
        self._stop_leave_timer(conversation_id)
        queue = self._handoff_queue()
        if queue is None:
            return
        try:
            left = await asyncio.get_running_loop().run_in_executor(
                None, queue.leave, conversation_id
            )
        except Exception as error:  # the database is away: the request expires by itself
            logger.error("Cancelling a handoff request failed: %s", type(error).__name__)
            return
        if left:
            logger.info("A young person left while waiting; their request left the queue.")
            await self.relay.queue_changed()  # everyone behind them moves up

    def _leave_later(self, conversation_id: str) -> None:
        """After a disconnect: leaves unless the young person is back within the grace time."""
        if self._handoff_queue() is None or conversation_id in self._leaving:
            return

        async def wait_then_leave() -> None:
            await asyncio.sleep(self.leave_grace_seconds or 0)
            self._leaving.pop(conversation_id, None)
            if not await self.relay.connected_anywhere(conversation_id):
                await self._leave_now(conversation_id)

        self._leaving[conversation_id] = asyncio.get_running_loop().create_task(wait_then_leave())

    def _stop_leave_timer(self, conversation_id: str) -> None:
        task = self._leaving.pop(conversation_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _claimed_with_consent(self, conversation_id: str) -> bool:
        queue = self._handoff_queue()
        if queue is None:
            return False
        try:
            claimed = await asyncio.get_running_loop().run_in_executor(
                None, queue.claimed_for, conversation_id
            )
        except Exception as error:
            logger.error("Reading a handoff request failed: %s", type(error).__name__)
            return False
        return bool(claimed and claimed.share_summary)


def _old_console_option(credentials: dict[str, Any]) -> bool:
    """The web chat's old `counselor_console` option (one more release), with a warning."""
    if "counselor_console" not in credentials:
        return False
    warnings.warn(
        f"The web chat's option counselor_console in credentials.yml is deprecated: name the "
        f"console as its own channel, {CONSOLE_ENTRY}: {{}} (leave it out to turn the console "
        f"off). This release still follows the option.",
        DeprecatedOptionWarning,
        stacklevel=3,
    )
    return bool(credentials["counselor_console"])


class _WidgetBlueprint(SocketBlueprint):
    """Rasa's Socket.IO blueprint that also serves the widget's files and the demo page."""

    def __init__(self, channel: HavenWidgetInput, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx.channel = channel
        self.ctx.site = channel.site
        self.ctx.console = None

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        """Attaches Socket.IO and the widget's routes to the app, then the channel's own."""
        self.ctx.channel.app = app
        channel = self.ctx.channel

        async def start_watching(_app: Sanic, _loop: Any) -> None:
            await channel._start_watching()

        async def stop_watching(_app: Sanic, _loop: Any) -> None:
            await channel._stop_watching()

        app.register_listener(start_watching, "after_server_start")
        app.register_listener(stop_watching, "before_server_stop")
        install_security_headers(app)
        self.ctx.site.register(app)
        if self.ctx.console is not None:
            self.ctx.console.register_on(app)
        super().register(app, options)
