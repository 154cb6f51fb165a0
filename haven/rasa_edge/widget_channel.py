"""`HavenWidgetInput`: the Socket.IO channel of Haven's web chat widget (widget/haven.js).

Unlike Rasa's `SocketIOInput`, where the browser names the conversation it joins:
- the server issues every conversation id (`secrets.token_urlsafe(24)`, unguessable) together
  with a token, an HMAC of the id under a key derived from the storage key ring. A browser that
  reconnects gets its conversation back only by presenting both; any other id or token gets a new,
  empty conversation. Messages are always filed under the conversation of the socket's session,
  never under an id the browser sends with them.
- each message carries a sequence number and is answered in its acknowledgement, so the browser
  knows what arrived. The same message (number and text) sent again after a lost
  acknowledgement is not handled twice: the reply to it is sent again instead.
- messages get the same checks as the REST channel (haven/rasa_edge/rest_channel.py): wrong types,
  empty and too long messages get the channel's own kind replies (`load_channel_messages`), never an
  error, and so do messages over the per-conversation or per-address rate limit
  (haven/web/rate_limits.py, shared with the REST channel; a long message counts as several); the
  address is kept only as a keyed hash in the socket's session.
- a message whose handling fails is still acknowledged, with the kind error reply and its
  crisis lines, so the browser does not send it again and the chat keeps answering;
- text that is not valid Unicode (a lone UTF-16 surrogate) is repaired first
  (haven/web/typed_text.py);
- user text never reaches a log.

Socket.IO events (namespace `/`, path `/socket.io`):

- `session_request`, browser sends `{session_id?, token?}`; acknowledged with
  `{session_id, token, resumed}`, or `{ok: false, error: "too_fast"}` when the address started
  more than `NEW_CONVERSATIONS_PER_MINUTE` new conversations in a minute (resuming is not limited).
- `user_uttered`, browser sends `{message, seq, metadata: {language?}}`; acknowledged with
  `{ok: true, seq, messages}`, or `{ok: false, error}` ("no_session", "bad_request").
- `bot_uttered`, server to browser: one message outside a reply; `{"from": "counselor"}` marks a
  counselor's.
- `leave`, browser sends (quick exit): the young person is gone; a request for a counselor that
  is still waiting leaves the queue at once (`HandoffQueue.leave`). "Clear chat" (a new
  conversation on the same socket) does the same for the old conversation. A socket that just
  disconnects (a closed tab, a reload, a lost connection) gets `leave_grace_minutes` to come back
  first (`handoff.yml`).
- `transcript_request`, server to browser, once a counselor claims a chat whose young person
  agreed to share: the browser answers with `transcript`, `{messages: [{from, text}]}`, this
  page's messages from its memory. They go to the counselor's console through the relay, and only
  if the young person said yes; never to the database or a log.

While a counselor has the conversation (haven/handoff/relay.py, haven/handoff/console.py), the
young person's messages go to the counselor instead of the bot, and are acknowledged with no
messages; the bot is paused with Rasa's `ConversationPaused` until the counselor hands back.

A message in `messages` is `{"text": str}` with an optional `"buttons": [{title, payload}]`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import secrets
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

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
from haven.handoff.relay import (
    TRANSCRIPT_REQUEST,
    HandoffRelay,
    relay_for_environment,
)
from haven.nlu.crisis_patterns import mentions_crisis
from haven.packs.channel_messages import load_channel_messages
from haven.rasa_edge import patches
from haven.rasa_edge.turns import Turn, take_turn
from haven.web.rate_limits import (
    BucketTable,
    MessageRateLimiter,
    client_address,
    shared_limiter,
)
from haven.web.rest_checks import (
    MAX_BODY_BYTES,
    MAX_MESSAGE_CHARS,
    InvalidRequest,
    allowed_metadata,
)
from haven.web.security_headers import install_security_headers
from haven.web.typed_text import typed_text
from haven.web.widget_site import WidgetSite

logger = logging.getLogger(__name__)

CONVERSATION_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}\Z")
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}\Z")
MAX_SEQ = 2**31
NEW_CONVERSATIONS_PER_MINUTE = 30
"""New conversations one address may start a minute (a school's pupils may share one)."""
REMEMBERED_REPLIES = 10_000
"""How many conversations' last reply are kept in memory, to answer a message sent twice."""


class ConversationTokens:
    """Issues conversation ids and the tokens that prove a browser owns one.

    The first key signs; every key verifies, so tokens survive a key rotation until the old key
    is retired.
    """

    def __init__(self, keys: Iterable[bytes]) -> None:
        self._keys = list(keys)
        if not self._keys:
            raise ValueError("ConversationTokens needs at least one key.")

    @staticmethod
    def new_conversation_id() -> str:
        """A fresh random id: 24 bytes, 32 URL-safe characters."""
        return secrets.token_urlsafe(24)

    def token_for(self, conversation_id: str) -> str:
        """The token for a conversation, under the current key."""
        return self._sign(self._keys[0], conversation_id)

    def owns(self, conversation_id: Any, token: Any) -> bool:
        """Whether `token` is the token of `conversation_id` under any key."""
        if not isinstance(conversation_id, str) or not isinstance(token, str):
            return False
        if not CONVERSATION_ID_PATTERN.match(conversation_id) or not TOKEN_PATTERN.match(token):
            return False
        return any(
            hmac.compare_digest(self._sign(key, conversation_id), token) for key in self._keys
        )

    @staticmethod
    def _sign(key: bytes, conversation_id: str) -> str:
        digest = hmac.new(key, b"v1:" + conversation_id.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def default_tokens() -> ConversationTokens:
    """Tokens keyed by the storage key ring, so conversations survive a server restart.

    Without a usable key ring (Haven's storage not configured), a random key for this process.
    """
    from haven.settings import StorageConfigError, StorageSettings
    from haven.storage.crypto import load_key_ring

    try:
        settings = StorageSettings.load()
        ring = load_key_ring(settings.keys_spec, settings.key_file)
    except StorageConfigError as error:
        logger.warning(
            "Web chat tokens use a key for this process only (%s); a browser cannot resume its "
            "conversation after a restart.",
            error,
        )
        return ConversationTokens([secrets.token_bytes(32)])
    return ConversationTokens(ring.token_keys())


def parse_widget_message(data: Any) -> tuple[str, int, dict[str, str]]:
    """Validates a `user_uttered` payload and returns (text, seq, metadata).

    Raises `InvalidRequest` whose message is a key of `load_channel_messages()`; status 400
    when even the sequence number is unusable (the browser should not send it again).
    """
    if not isinstance(data, dict):
        raise InvalidRequest(400, "empty_message")
    seq = data.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 < seq < MAX_SEQ:
        raise InvalidRequest(400, "empty_message")
    text = data.get("message")
    if not isinstance(text, str):
        raise InvalidRequest(422, "empty_message")  # "I didn't get any words there."
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidRequest(413, "message_too_long")
    return typed_text(text), seq, allowed_metadata(data.get("metadata"))


def _button(button: Any) -> dict[str, str] | None:
    if not isinstance(button, dict):
        return None
    title, payload = button.get("title"), button.get("payload")
    if not isinstance(title, str) or not title:
        return None
    return {"title": title, "payload": payload if isinstance(payload, str) else title}


def widget_messages(collected: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the widget shows of Rasa's output: text and buttons, nothing else."""
    messages = []
    for message in collected:
        text = message.get("text")
        buttons = [b for b in map(_button, message.get("buttons") or []) if b]
        if not isinstance(text, str):
            text = ""
        if not text and not buttons:
            continue
        shown: dict[str, Any] = {"text": text}
        if buttons:
            shown["buttons"] = buttons
        messages.append(shown)
    return messages


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


def origin_checker(allowed_origins: Iterable[str]) -> Callable[[str | None, dict], bool]:
    """Socket.IO accepts the page's own origin, the NGO sites listed, and non-browser clients."""
    allowed = {origin.rstrip("/").lower() for origin in allowed_origins}

    def allowed_origin(origin: str | None, environ: dict) -> bool:
        if not origin:
            return True  # not a browser: no cross-site risk
        origin = origin.rstrip("/").lower()
        if origin in allowed:
            return True
        return urlsplit(origin).netloc == str(environ.get("HTTP_HOST", "")).lower()

    return allowed_origin


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
        counselor_console: bool = True,
        handoff_queue: Any = None,
        leave_grace_seconds: float | None = None,
    ) -> None:
        patches.install()  # every adapter Rasa builds puts Haven's patches in place
        self.relay = relay or relay_for_environment()
        self.counselor_console = counselor_console
        self.handoff_queue = handoff_queue
        self.leave_grace_seconds = leave_grace_seconds
        self._leaving: dict[str, asyncio.Task[None]] = {}
        self.app: Sanic | None = None
        self.allowed_origins = list(allowed_origins)
        self.limiter = limiter or shared_limiter()
        self.new_conversations = BucketTable(NEW_CONVERSATIONS_PER_MINUTE)
        self.site = WidgetSite(frame_ancestors=frame_ancestors, demo_page=demo_page)
        self.tokens = tokens or default_tokens()
        self.messages = load_channel_messages()
        self.sio: AsyncServer | None = None
        # Per conversation: (sequence number, digest of the text) of the last message, and the
        # reply, to answer a message sent twice without handling it twice.
        self._last_reply: OrderedDict[str, tuple[tuple[int, bytes], list[dict[str, Any]]]] = (
            OrderedDict()
        )
        self._digest_key = secrets.token_bytes(32)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @classmethod
    def name(cls) -> str:
        """Health check at /webhooks/haven_widget/."""
        return "haven_widget"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Reads `allowed_origins`, `frame_ancestors` and `demo_page` from credentials.yml."""
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
            counselor_console=bool(credentials.get("counselor_console", True)),
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

    def _digest(self, text: str) -> bytes:
        # Keyed per process, so the memory never holds a plain hash of what someone typed.
        # "surrogatepass": never an error here, even for text that missed `typed_text`.
        raw = text.encode("utf-8", "surrogatepass")
        return hashlib.blake2b(raw, key=self._digest_key, digest_size=16).digest()

    def _remember(
        self, conversation_id: str, fingerprint: tuple[int, bytes], reply: list[dict[str, Any]]
    ) -> None:
        self._last_reply[conversation_id] = (fingerprint, reply)
        self._last_reply.move_to_end(conversation_id)
        while len(self._last_reply) > REMEMBERED_REPLIES:
            self._last_reply.popitem(last=False)

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
            else:
                await sio.emit("bot_uttered", message, room=conversation_id)

        self.relay.push_to_young_person = push
        self.relay.connected_here = self._connected_here
        channel = _WidgetBlueprint(self, sio, "/socket.io", "haven_widget", __name__)
        if self.counselor_console:
            from haven.handoff.console import CounselorConsole
            from haven.rasa_edge.conversation_pause import set_paused
            from haven.settings import StorageConfigError

            try:
                channel.ctx.console = CounselorConsole.default(self.relay, pause_bot=set_paused)
            except StorageConfigError as error:  # the chat works on; nobody can take over
                logger.warning("The counselor console is off: %s", error)
            else:
                if self.handoff_queue is None:
                    self.handoff_queue = channel.ctx.console.queue
        if self.leave_grace_seconds is None:
            from haven.settings import HandoffSettings

            self.leave_grace_seconds = HandoffSettings.load().leave_grace_minutes * 60
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
        fingerprint = (seq, self._digest(text))
        async with self._lock(conversation_id):
            last = self._last_reply.get(conversation_id)
            if last and last[0] == fingerprint:  # sent again after a lost acknowledgement
                return {"ok": True, "seq": seq, "messages": last[1]}
            address = self._address(session)

            async def to_counselor() -> Turn | None:
                if not await self.relay.from_young_person(conversation_id, text):
                    return None  # no counselor has the chat: the bot answers
                # A counselor has the chat; crisis words still get the crisis lines at once,
                # those of the young person's own region and language.
                if mentions_crisis(text):
                    locale = await conversation_locale(self.app, conversation_id, metadata)
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
            self._remember(conversation_id, fingerprint, reply)
        return {"ok": True, "seq": seq, "messages": reply}

    def _failed(self, data: Any) -> dict[str, Any]:
        """The acknowledgement of a message whose handling failed: the kind error reply (with
        the crisis lines), so the browser neither waits nor sends it again."""
        seq = data.get("seq") if isinstance(data, dict) else None
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 < seq < MAX_SEQ:
            return {"ok": False, "error": "bad_request", "messages": self._kind("service_error")}
        return {"ok": True, "seq": seq, "messages": self._kind("service_error")}

    def _address(self, session: dict[str, Any]) -> bytes:
        """The keyed hash of the socket's client address (saved when it connected)."""
        return session.get("address") or self.limiter.address_key(None)

    # --- leaving ---------------------------------------------------------------------------

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
        if self.handoff_queue is None:
            return
        try:
            left = await asyncio.get_running_loop().run_in_executor(
                None, self.handoff_queue.leave, conversation_id
            )
        except Exception as error:  # the database is away: the request expires by itself
            logger.error("Cancelling a handoff request failed: %s", type(error).__name__)
            return
        if left:
            logger.info("A young person left while waiting; their request left the queue.")

    def _leave_later(self, conversation_id: str) -> None:
        """After a disconnect: leaves unless the young person is back within the grace time."""
        if self.handoff_queue is None or conversation_id in self._leaving:
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
        if self.handoff_queue is None:
            return False
        try:
            claimed = await asyncio.get_running_loop().run_in_executor(
                None, self.handoff_queue.claimed_for, conversation_id
            )
        except Exception as error:
            logger.error("Reading a handoff request failed: %s", type(error).__name__)
            return False
        return bool(claimed and claimed.share_summary)


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
        install_security_headers(app)
        self.ctx.site.register(app)
        if self.ctx.console is not None:
            self.ctx.console.register(app)
        super().register(app, options)
