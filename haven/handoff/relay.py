"""`HandoffRelay`: carries a live chat between a counselor's console and the young person's widget.

`HandoffRelay` works within one Rasa server process; `RedisHandoffRelay` (used when
`HAVEN_REDIS_URL` is set; the process's composition root, haven/services.py, builds the one relay
of the process that the web chat and the console share) also reaches the other processes through
Redis pub/sub, so the counselor and the young person may be connected to different instances.

While a counselor has a chat, the widget channel gives the young person's messages to the relay
instead of to the bot, and the console's messages are pushed to the widget. The chat's messages
are held in memory only, for as long as the chat lasts (at most `MAX_MESSAGES`), so the console
can show them; they are never written to disk or to a log, and are dropped when the chat ends.

If the young person agreed to share, the counselor also sees this chat's earlier messages: the
relay asks the widget for them (`ask_for_transcript`), and the widget sends what its page holds
in memory (`transcript_from_young_person`, at most `MAX_TRANSCRIPT_MESSAGES` of
`MAX_TRANSCRIPT_CHARS` each). They are held like the live messages: in memory, for this chat only.

Typing dots go both ways and are never messages: the young person's widget says when they type
(`typing_from_young_person`, shown to the counselor for `TYPING_SECONDS` unless renewed), and the
counselor's console does the same (`typing_from_counselor`, pushed to the widget as `TYPING`).

The relay also tells the web chat channel when the queue may have changed (`on_queue_change`):
a claim (a chat opened, here or, through Redis, on any process) or `queue_changed` (a young person
left the queue), so waiting young people hear of their new place at once (haven/handoff/waiting.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from haven.nlu.crisis_patterns import mentions_crisis
from haven.storage.redis_clients import RedisClients
from haven.web.typed_text import typed_text

logger = logging.getLogger(__name__)

MAX_MESSAGES = 500
MAX_TRANSCRIPT_MESSAGES = 50
MAX_TRANSCRIPT_CHARS = 1000
YOUNG_PERSON, COUNSELOR, NOTICE, TRANSCRIPT = "young_person", "counselor", "notice", "transcript"
HAVEN = "haven"
TRANSCRIPT_REQUEST = "transcript_request"
"""`kind` of a pushed message that asks the widget for its transcript instead of showing text."""
WHERE_TIMEOUT_SECONDS = 1.0
REDIS_TIMEOUT_SECONDS = 5.0
"""How long a publish may wait for Redis (the listener reads with its own one-second timeout)."""
TYPING = "typing"
"""`kind` of a pushed message that shows or hides the counselor's typing dots in the widget."""
TYPING_SECONDS = 6.0
"""How long the young person's typing dots stay on the console after they last typed."""

Push = Callable[[str, dict[str, Any]], Awaitable[None]]


def clean_transcript(items: Any) -> list[dict[str, str]]:
    """The last `MAX_TRANSCRIPT_MESSAGES` well-formed messages, each cut to `MAX_TRANSCRIPT_CHARS`.

    Each is `{"from": "young_person" | "haven" | "counselor", "text": str}`; anything else is
    dropped. The text stays plain text: the console shows it with `textContent`, never as HTML.
    """
    if not isinstance(items, list):
        return []
    cleaned = []
    for item in items[-10 * MAX_TRANSCRIPT_MESSAGES :]:
        if not isinstance(item, dict):
            continue
        sender, text = item.get("from"), item.get("text")
        if sender not in (YOUNG_PERSON, HAVEN, COUNSELOR) or not isinstance(text, str):
            continue
        text = typed_text(text)[:MAX_TRANSCRIPT_CHARS]
        if text.strip():
            cleaned.append({"from": sender, "text": text})
    return cleaned[-MAX_TRANSCRIPT_MESSAGES:]


@dataclass
class LiveChat:
    """One chat a counselor has claimed: whose it is and what was said since."""

    request_id: str
    conversation_id: str
    counselor: str
    language: str | None
    region: str | None
    messages: list[dict[str, Any]] = field(default_factory=list)
    next_number: int = 1
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    transcript_received: bool = False
    young_person_typing_until: float = 0.0

    def young_person_typing(self) -> bool:
        """Whether the young person typed in the last `TYPING_SECONDS` (and did not send yet)."""
        return time.time() < self.young_person_typing_until

    listener: Callable[[LiveChat, dict[str, Any]], None] | None = None
    """Told of each message as it is added (the live console pushes it to the counselor)."""

    def add(self, sender: str, text: str, **extra: Any) -> dict[str, Any]:
        """Appends a message (numbered, so the console asks only for newer ones)."""
        message = {"n": self.next_number, "from": sender, "text": text, "at": time.time(), **extra}
        self.next_number += 1
        self.messages.append(message)
        del self.messages[:-MAX_MESSAGES]
        self.changed.set()
        self.changed = asyncio.Event()
        if self.listener is not None:
            self.listener(self, message)
        return message

    def after(self, number: int) -> list[dict[str, Any]]:
        """Messages numbered above `number`."""
        return [m for m in self.messages if m["n"] > number]


class HandoffRelay:
    """Live chats of this process, keyed by conversation id."""

    def __init__(self) -> None:
        self._chats: dict[str, LiveChat] = {}
        self.push_to_young_person: Push | None = None
        # Set by the web chat channel: whether this process holds a socket of the conversation.
        self.connected_here: Callable[[str], bool] | None = None
        # Set by the web chat channel: the queue may have changed (the conversation claimed, if
        # known), so waiting young people are told their new place.
        self.on_queue_change: Callable[[str | None], None] | None = None
        # Set by the live console (haven/handoff/live.py): each chat's messages as they come.
        self.on_message: Callable[[LiveChat, dict[str, Any]], None] | None = None

    async def start(self) -> None:
        """Starts whatever the relay needs on the server's event loop (nothing in-process)."""

    async def open(self, chat: LiveChat) -> None:
        """From now on the young person's messages go to this chat, not to the bot."""
        chat.listener = self.on_message
        self._chats[chat.conversation_id] = chat
        self._queue_changed_here(chat.conversation_id)

    async def queue_changed(self) -> None:
        """A request left the queue (the young person left): every process looks again."""
        self._queue_changed_here(None)

    def _queue_changed_here(self, claimed: str | None) -> None:
        if self.on_queue_change is not None:
            self.on_queue_change(claimed)

    async def close(self, conversation_id: str) -> None:
        """The chat ended: messages go to the bot again, and what was said is dropped."""
        chat = self._chats.pop(conversation_id, None)
        if chat is not None:
            chat.messages.clear()
            chat.changed.set()

    def live(self, conversation_id: str) -> LiveChat | None:
        """The conversation's live chat, if a counselor has it."""
        return self._chats.get(conversation_id)

    def by_request(self, request_id: str) -> LiveChat | None:
        """The live chat of a request."""
        return next((c for c in self._chats.values() if c.request_id == request_id), None)

    async def from_young_person(self, conversation_id: str, text: str) -> bool:
        """Hands a message to the counselor; False if no counselor has this conversation.

        A message that matches the crisis patterns is flagged, so the console shows it as urgent.
        """
        chat = self._chats.get(conversation_id)
        if chat is None:
            return False
        chat.young_person_typing_until = 0.0
        chat.add(YOUNG_PERSON, text, risk=mentions_crisis(text))
        return True

    async def typing_from_young_person(self, conversation_id: str, typing: bool) -> bool:
        """The young person is typing (or stopped); False if no counselor has this conversation."""
        chat = self._chats.get(conversation_id)
        if chat is None:
            return False
        chat.young_person_typing_until = time.time() + TYPING_SECONDS if typing else 0.0
        chat.changed.set()
        chat.changed = asyncio.Event()
        if chat.listener is not None:  # the live console shows the dots at once
            chat.listener(chat, {"kind": TYPING, "typing": bool(typing)})
        return True

    async def typing_from_counselor(self, conversation_id: str, typing: bool) -> None:
        """Shows (or hides) the counselor's typing dots in the young person's widget."""
        await self.to_young_person(conversation_id, {"kind": TYPING, "typing": bool(typing)})

    async def from_counselor(self, conversation_id: str, text: str) -> None:
        """Sends a counselor's message to the young person's widget."""
        chat = self._chats[conversation_id]
        chat.add(COUNSELOR, text)
        await self.to_young_person(conversation_id, {"text": text, "from": COUNSELOR})

    async def to_young_person(self, conversation_id: str, message: dict[str, Any]) -> None:
        """Pushes a message to the widget (a counselor's, or a notice in the young person's
        language)."""
        if self.push_to_young_person is not None:
            await self.push_to_young_person(conversation_id, message)

    async def young_person_left(self, conversation_id: str) -> None:
        """The widget disconnected (quick exit, a closed tab or a lost connection)."""
        chat = self._chats.get(conversation_id)
        if chat is not None:
            chat.add(NOTICE, "left")

    async def ask_for_transcript(self, conversation_id: str) -> None:
        """Asks the young person's widget for this chat's earlier messages (after a yes)."""
        await self.to_young_person(conversation_id, {"kind": TRANSCRIPT_REQUEST})

    async def transcript_from_young_person(self, conversation_id: str, items: Any) -> bool:
        """Gives the counselor the earlier messages, once per chat; False if nobody has the chat.

        The caller checks the young person agreed; the relay only carries and caps what it gets.
        """
        chat = self._chats.get(conversation_id)
        if chat is None:
            return False
        if not chat.transcript_received:
            chat.transcript_received = True
            chat.add(TRANSCRIPT, "", items=clean_transcript(items))
        return True

    async def connected_anywhere(self, conversation_id: str) -> bool:
        """Whether the young person has the chat open (here; with Redis, in any process)."""
        return bool(self.connected_here and self.connected_here(conversation_id))


CHANNEL = "haven:handoff"


class RedisHandoffRelay(HandoffRelay):
    """A relay across Rasa server processes through Redis pub/sub (channel `haven:handoff`).

    Each process keeps its counselors' chats in memory, as `HandoffRelay` does, and learns from
    the others which conversations a counselor holds elsewhere. A young person's message on one
    process is published to the process whose counselor has the chat; a message to the young
    person is published to every process, and the one with their socket delivers it. Pub/sub
    keeps nothing: a message reaches the processes listening at that moment, and is gone.
    """

    def __init__(self, redis_clients: RedisClients | str) -> None:
        super().__init__()
        if isinstance(redis_clients, str):
            redis_clients = RedisClients(redis_clients)
        self.redis = redis_clients.async_client(REDIS_TIMEOUT_SECONDS)
        self._elsewhere: set[str] = set()
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._questions: dict[str, asyncio.Future[bool]] = {}

    async def start(self) -> None:
        """Subscribes to the channel (once per process)."""
        if self._listener is None:
            self._listener = asyncio.get_running_loop().create_task(self._listen())
        await asyncio.wait_for(self._subscribed.wait(), timeout=10)

    async def stop(self) -> None:
        """Stops listening and closes the connection."""
        if self._listener is not None:
            self._listener.cancel()
            # Wait for the listener to close its pub/sub connection: an event loop cannot close
            # (and a test cannot end) while a connection is still open.
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self.redis.close()
        await self.redis.connection_pool.disconnect()

    async def open(self, chat: LiveChat) -> None:
        """Opens the chat here and tells the other processes a counselor has it."""
        await super().open(chat)
        await self._publish({"kind": "open", "conversation": chat.conversation_id})

    async def close(self, conversation_id: str) -> None:
        """Closes the chat here and everywhere."""
        await super().close(conversation_id)
        await self._publish({"kind": "close", "conversation": conversation_id})

    async def from_young_person(self, conversation_id: str, text: str) -> bool:
        """Here if the counselor is here, otherwise published to the process that has them."""
        if await super().from_young_person(conversation_id, text):
            return True
        if conversation_id not in self._elsewhere:
            return False
        await self._publish({"kind": "young", "conversation": conversation_id, "text": text})
        return True

    async def queue_changed(self) -> None:
        """Tells every process (this one too, through the channel) to look at the queue again."""
        await self._publish({"kind": "queue"})

    async def typing_from_young_person(self, conversation_id: str, typing: bool) -> bool:
        """Here if the counselor is here, otherwise published to the process that has them."""
        if await super().typing_from_young_person(conversation_id, typing):
            return True
        if conversation_id not in self._elsewhere:
            return False
        event = {"kind": "typing", "conversation": conversation_id, "typing": bool(typing)}
        await self._publish(event)
        return True

    async def young_person_left(self, conversation_id: str) -> None:
        """Tells the counselor's process, wherever it is."""
        await super().young_person_left(conversation_id)
        if conversation_id in self._elsewhere:
            await self._publish({"kind": "left", "conversation": conversation_id})

    async def to_young_person(self, conversation_id: str, message: dict[str, Any]) -> None:
        """Published to every process; the one holding the young person's socket delivers it."""
        await self._publish({"kind": "push", "conversation": conversation_id, "message": message})

    async def transcript_from_young_person(self, conversation_id: str, items: Any) -> bool:
        """Here if the counselor is here, otherwise published to the process that has them."""
        if await super().transcript_from_young_person(conversation_id, items):
            return True
        if conversation_id not in self._elsewhere:
            return False
        cleaned = clean_transcript(items)
        event = {"kind": "transcript", "conversation": conversation_id, "items": cleaned}
        await self._publish(event)
        return True

    async def connected_anywhere(self, conversation_id: str) -> bool:
        """Here, or asks the other processes and waits `WHERE_TIMEOUT_SECONDS` for an answer."""
        if await super().connected_anywhere(conversation_id):
            return True
        import secrets

        question = secrets.token_hex(8)
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._questions[question] = answer
        try:
            await self._publish({"kind": "where", "conversation": conversation_id, "ask": question})
            return await asyncio.wait_for(answer, WHERE_TIMEOUT_SECONDS)
        except asyncio.TimeoutError:
            return False
        finally:
            self._questions.pop(question, None)

    async def _publish(self, event: dict[str, Any]) -> None:
        await self.redis.publish(CHANNEL, json.dumps(event, ensure_ascii=False))

    async def _listen(self) -> None:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(CHANNEL)
            self._subscribed.set()
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is None:
                    continue
                try:
                    await self._handle(json.loads(message["data"]))
                except Exception as error:  # one bad event must not stop the relay
                    logger.error("A handoff relay event failed: %s", type(error).__name__)
        finally:
            await pubsub.close()

    async def _handle(self, event: dict[str, Any]) -> None:
        kind, conversation_id = event.get("kind"), str(event.get("conversation"))
        local = self._chats.get(conversation_id)
        if kind == "open":
            if local is None:
                self._elsewhere.add(conversation_id)
                self._queue_changed_here(conversation_id)  # claimed on another process
        elif kind == "queue":
            self._queue_changed_here(None)
        elif kind == "typing" and local is not None:
            await super().typing_from_young_person(conversation_id, bool(event.get("typing")))
        elif kind == "close":
            self._elsewhere.discard(conversation_id)
        elif kind == "young" and local is not None:
            await super().from_young_person(conversation_id, str(event.get("text", "")))
        elif kind == "left" and local is not None:
            await super().young_person_left(conversation_id)
        elif kind == "push":
            await super().to_young_person(conversation_id, dict(event.get("message") or {}))
        elif kind == "transcript" and local is not None:
            await super().transcript_from_young_person(conversation_id, event.get("items"))
        elif kind == "where" and await super().connected_anywhere(conversation_id):
            await self._publish({"kind": "here", "ask": event.get("ask")})
        elif kind == "here":
            answer = self._questions.get(str(event.get("ask")))
            if answer is not None and not answer.done():
                answer.set_result(True)
