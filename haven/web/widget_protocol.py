"""The web chat's protocol, without Rasa: what the browser (widget/haven.js) and Haven say to
each other over Socket.IO, and the checks of both sides. `HavenWidgetInput`
(haven/rasa_edge/widget_channel.py) is the adapter that serves it and hands messages to Rasa.

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
- `user_uttered`, browser sends `{message, seq, metadata: {language?, chosen_language?}}`:
  `language` is the language the widget shows, when the page set it or the young person picked
  it (a hint, with every message; on a page that set none, with the greeting "/greet" only: the
  browser's language, else English), and `chosen_language` the language picked in its menu,
  with the first message after the pick only (a choice, so it wins over "in english please"
  typed before it, and loses to one typed after; haven/nlu/locale_finding.py); acknowledged with
  `{ok: true, seq, messages}` (plus `helpful`, below, at the end of the plan, and `language`
  when the message chose a language in words or with a button: the widget then shows its own
  texts in it, as if picked in its menu, but sends no `chosen_language` for it), or
  `{ok: false, error}` ("no_session", "bad_request").
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
- `waiting`, server to browser, while the young person waits for a counselor and whenever that
  changes (a request ahead claimed or gone, the counselors offline; haven/handoff/waiting.py):
  `{place, minutes, estimated, text}`: their place (1 is next), the estimated minutes (null when
  no counselor can come now), whether the estimate comes from recent claims (else it is the usual
  wait of handoff.yml), and the sentence to show, in their language. `{place: null}` once the
  request no longer waits (claimed, left, expired). A request that expired, or the counselors
  going offline, also comes as a `bot_uttered` message with the region's crisis lines.
- `typing`: browser sends `{typing: true}` while the young person types (at most every 3 s),
  shown to the counselor who has the chat, if any; server sends `{typing: bool}` while the
  counselor types (the widget hides it with their message, or after 8 s without news).
- `helpful`, server to browser after a chat with a counselor ends (or in the acknowledgement at
  the end of the plan): `{question, answers: {yes, a_bit, no}, thanks}`; the browser may answer
  once with `helpful`, `{answer: "yes" | "a_bit" | "no"}`, acknowledged `{ok}`. Only a count per
  answer is kept (haven/storage/helpfulness.py); an answer nobody asked for is refused.

While a counselor has the conversation (haven/handoff/relay.py, haven/handoff/console.py), the
young person's messages go to the counselor instead of the bot, and are acknowledged with no
messages; the bot is paused with Rasa's `ConversationPaused` until the counselor hands back.

A message in `messages` is `{"text": str}` with an optional `"buttons": [{title, payload}]`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from haven.web.rest_checks import MAX_MESSAGE_CHARS, InvalidRequest, allowed_metadata
from haven.web.typed_text import typed_text

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


def usable_seq(seq: Any) -> TypeGuard[int]:
    """Whether `seq` is a message's sequence number the acknowledgement can name."""
    return isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq < MAX_SEQ


def parse_widget_message(data: Any) -> tuple[str, int, dict[str, str]]:
    """Validates a `user_uttered` payload and returns (text, seq, metadata).

    Raises `InvalidRequest` whose message is a key of `load_channel_messages()`; status 400
    when even the sequence number is unusable (the browser should not send it again).
    """
    if not isinstance(data, dict):
        raise InvalidRequest(400, "empty_message")
    seq = data.get("seq")
    if not usable_seq(seq):
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
