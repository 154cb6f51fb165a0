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

Never silently lost: a counselor's message says whether it reached the young person
(`delivered` on the message, and in the answer of `POST .../send`). It is delivered when the
process holding the young person's socket pushed it to that socket; with Redis, that process
answers the push (as it answers `where`), and no answer within `ANSWER_TIMEOUT_SECONDS` (their
process is restarting, or they left) means not delivered. The console then shows it as "not
delivered" with a button to send it again (`send_again`). We chose to report rather than to
hold undelivered messages for a later reconnect: the counselor sees at once what the young person
did not get and decides whether it still fits (a held message would arrive late, out of order
with what the counselor said since, and the relay would need a second store of messages).
"Delivered" means pushed to a connected socket, not read: a connection that died without a word
is only noticed by the ping (up to 25 s); a process that stopped has no socket to push to. An
answer later than the timeout leaves the message "not delivered": sent again, it may reach the
young person twice, which is better than once reported as sent and never seen.
The young person's own messages are not lost either: the widget keeps each one until the server
acknowledges it and sends it again after a reconnect (widget/haven.js, `outbox`); a process that
(re)starts asks the others which chats they hold (`who_holds`), so a message reaching it after a
restart goes to the counselor, not to the paused bot. A message for a counselor on another
process is answered by that process when it took it; no answer within `ANSWER_TIMEOUT_SECONDS`
(the counselor's process is restarting) raises `CounselorUnreachable`, and the web chat tells the
young person their message did not reach the counselor.

A supervisor may read a chat held on another process: `messages_anywhere` asks the holding
process for the messages after n (an answer over the same channel, `ANSWER_TIMEOUT_SECONDS` at
most). Pub/sub keeps nothing, so the messages still exist only in that process's memory.

The relay also tells the web chat channel when the queue may have changed (`on_queue_change`):
a claim (a chat opened, here or, through Redis, on any process) or `queue_changed` (a young person
left the queue), so waiting young people hear of their new place at once (haven/handoff/waiting.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError

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
ANSWER_TIMEOUT_SECONDS = 2.0
"""How long a process waits for another to say it delivered a counselor's message, or to send a
chat's messages: a round trip through Redis takes milliseconds, but a busy process (two cores,
the model answering) may take a second to read its channel."""
REDIS_TIMEOUT_SECONDS = 5.0
"""How long a publish may wait for Redis (the listener reads with its own one-second timeout)."""
TYPING = "typing"
"""`kind` of a pushed message that shows or hides the counselor's typing dots in the widget."""
TYPING_SECONDS = 6.0
"""How long the young person's typing dots stay on the console after they last typed."""

Push = Callable[[str, dict[str, Any]], Awaitable[None]]


class CounselorUnreachable(Exception):
    """A counselor holds the chat on another process, and that process did not take the young
    person's message (it is restarting, or gone): the web chat tells the young person so."""


@dataclass(frozen=True)
class ChatView:
    """What a console shows of a live chat: its messages after n, and the young person's dots."""

    messages: list[dict[str, Any]]
    typing: bool


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

    def view(self, number: int) -> ChatView:
        """The messages after `number`, and whether the young person is typing."""
        return ChatView(self.after(number), self.young_person_typing())

    def updated(self, message: dict[str, Any]) -> None:
        """A message changed (delivered after all): the consoles are told, with the same n."""
        self.changed.set()
        self.changed = asyncio.Event()
        if self.listener is not None:
            self.listener(self, message)


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

    async def from_counselor(self, conversation_id: str, text: str) -> dict[str, Any]:
        """Sends a counselor's message to the young person's widget; the message as the console
        shows it, with `delivered` (False: nobody took it, the console offers to send it again).

        Added after the delivery is known, so every console is told the truth the first time.
        """
        chat = self._chats[conversation_id]
        delivered = await self.deliver(conversation_id, {"text": text, "from": COUNSELOR})
        return chat.add(COUNSELOR, text, delivered=delivered)

    async def send_again(self, conversation_id: str, number: int) -> dict[str, Any] | None:
        """Sends a counselor's message that was not delivered again; None if the chat has no
        counselor's message `number`. One already delivered is not sent twice (a double click)."""
        chat = self._chats.get(conversation_id)
        if chat is None:
            return None
        message = next(
            (m for m in chat.messages if m["n"] == number and m["from"] == COUNSELOR), None
        )
        if message is None or message.get("delivered"):
            return message
        if await self.deliver(conversation_id, {"text": message["text"], "from": COUNSELOR}):
            message["delivered"] = True
            chat.updated(message)
        return message

    async def deliver(self, conversation_id: str, message: dict[str, Any]) -> bool:
        """Pushes a message to the widget; whether a socket of the young person's took it."""
        return await self._push_here(conversation_id, message)

    async def _push_here(self, conversation_id: str, message: dict[str, Any]) -> bool:
        """Pushes to this process's sockets of the conversation; whether it has one."""
        if self.push_to_young_person is None:
            return False
        here = bool(self.connected_here and self.connected_here(conversation_id))
        await self.push_to_young_person(conversation_id, dict(message))
        return here

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

    async def messages_anywhere(self, conversation_id: str, after: int) -> ChatView | None:
        """A live chat's messages after `after`, wherever it is held (here; with Redis, in any
        process); None if no counselor holds it (or its process did not answer)."""
        chat = self._chats.get(conversation_id)
        return chat.view(after) if chat is not None else None


CHANNEL = "haven:handoff"


class RedisHandoffRelay(HandoffRelay):
    """A relay across Rasa server processes through Redis pub/sub (channel `haven:handoff`).

    Each process keeps its counselors' chats in memory, as `HandoffRelay` does, and learns from
    the others which conversations a counselor holds elsewhere. A young person's message on one
    process is published to the process whose counselor has the chat; a message to the young
    person is published to every process, and the one with their socket delivers it (and, for
    a counselor's message, answers that it did). Pub/sub keeps nothing: a message reaches the
    processes listening at that moment, and is gone.

    Questions (`where`, a push to deliver, `history`, each with an `ask` id) are answered with
    `{"kind": "here", "ask": id, "value": ...}` by the process that can; the asker waits a moment
    for the first answer (`_ask`).
    """

    def __init__(self, redis_clients: RedisClients | str, channel: str = CHANNEL) -> None:
        """`channel`: the pub/sub channel the processes of one deployment share (pub/sub
        channels are global to a Redis server, whatever its database: tests use their own)."""
        super().__init__()
        self.channel = channel
        if isinstance(redis_clients, str):
            redis_clients = RedisClients(redis_clients)
        self.redis = redis_clients.async_client(REDIS_TIMEOUT_SECONDS)
        self._elsewhere: set[str] = set()
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._questions: dict[str, asyncio.Future[Any]] = {}
        self._learning_until = 0.0
        self._stopping = False

    async def start(self) -> None:
        """Subscribes to the channel (once per process), then asks which chats the other
        processes hold: after a restart, a young person's message must still reach their
        counselor, who did not open the chat again."""
        first = self._listener is None
        if first:
            self._listener = asyncio.get_running_loop().create_task(self._listen())
        await asyncio.wait_for(self._subscribed.wait(), timeout=10)
        if first:
            self._learning_until = time.monotonic() + WHERE_TIMEOUT_SECONDS
            await self._publish({"kind": "who_holds"})

    async def _held_elsewhere(self, conversation_id: str) -> bool:
        """Whether another process's counselor holds the conversation. In the first moment
        after start the answers to `who_holds` may still be on their way: waited for."""
        if conversation_id not in self._elsewhere:
            wait = self._learning_until - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        return conversation_id in self._elsewhere

    async def stop(self) -> None:
        """Stops listening and closes the connection."""
        if self._listener is not None:
            # The flag too: a cancel that lands as `get_message`'s own one-second timeout
            # expires is taken for that timeout (async-timeout), and the loop would go on.
            self._stopping = True
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
        """Here if the counselor is here, otherwise published to the process that has them;
        `CounselorUnreachable` if that process does not say it took the message in time."""
        if await super().from_young_person(conversation_id, text):
            return True
        if not await self._held_elsewhere(conversation_id):
            return False
        event = {"kind": "young", "conversation": conversation_id, "text": text}
        try:
            taken = await self._ask(event, ANSWER_TIMEOUT_SECONDS)
        except (RedisError, OSError) as error:
            logger.error("A young person's message could not be relayed: %s", type(error).__name__)
            taken = None
        if not taken:
            raise CounselorUnreachable(conversation_id)
        return True

    async def queue_changed(self) -> None:
        """Tells every process (this one too, through the channel) to look at the queue again."""
        await self._publish({"kind": "queue"})

    async def typing_from_young_person(self, conversation_id: str, typing: bool) -> bool:
        """Here if the counselor is here, otherwise published to the process that has them."""
        if await super().typing_from_young_person(conversation_id, typing):
            return True
        if not await self._held_elsewhere(conversation_id):
            return False
        event = {"kind": "typing", "conversation": conversation_id, "typing": bool(typing)}
        await self._publish(event)
        return True

    async def young_person_left(self, conversation_id: str) -> None:
        """Tells the counselor's process, wherever it is."""
        await super().young_person_left(conversation_id)
        if conversation_id not in self._chats and await self._held_elsewhere(conversation_id):
            await self._publish({"kind": "left", "conversation": conversation_id})

    async def to_young_person(self, conversation_id: str, message: dict[str, Any]) -> None:
        """Published to every process; the one holding the young person's socket delivers it."""
        await self._publish({"kind": "push", "conversation": conversation_id, "message": message})

    async def transcript_from_young_person(self, conversation_id: str, items: Any) -> bool:
        """Here if the counselor is here, otherwise published to the process that has them."""
        if await super().transcript_from_young_person(conversation_id, items):
            return True
        if not await self._held_elsewhere(conversation_id):
            return False
        cleaned = clean_transcript(items)
        event = {"kind": "transcript", "conversation": conversation_id, "items": cleaned}
        await self._publish(event)
        return True

    async def deliver(self, conversation_id: str, message: dict[str, Any]) -> bool:
        """Published to every process; True once the one holding the young person's socket says
        it pushed it, False if none did within `ANSWER_TIMEOUT_SECONDS` or Redis is away."""
        event = {"kind": "push", "conversation": conversation_id, "message": message}
        try:
            return bool(await self._ask(event, ANSWER_TIMEOUT_SECONDS))
        except (RedisError, OSError) as error:
            logger.error("A counselor's message could not be relayed: %s", type(error).__name__)
            return False

    async def connected_anywhere(self, conversation_id: str) -> bool:
        """Here, or asks the other processes and waits `WHERE_TIMEOUT_SECONDS` for an answer."""
        if await super().connected_anywhere(conversation_id):
            return True
        event = {"kind": "where", "conversation": conversation_id}
        return bool(await self._ask(event, WHERE_TIMEOUT_SECONDS))

    async def messages_anywhere(self, conversation_id: str, after: int) -> ChatView | None:
        """Here, or asks the process holding the chat for its messages after `after`."""
        here = await super().messages_anywhere(conversation_id, after)
        if here is not None:
            return here
        event = {"kind": "history", "conversation": conversation_id, "after": after}
        answer = await self._ask(event, ANSWER_TIMEOUT_SECONDS)
        if not isinstance(answer, dict) or not isinstance(answer.get("messages"), list):
            return None
        messages = [m for m in answer["messages"] if isinstance(m, dict)]
        return ChatView(messages, answer.get("typing") is True)

    async def _ask(self, event: dict[str, Any], timeout: float) -> Any:
        """Publishes a question and waits `timeout` for the first answer's value (None: none)."""
        question = secrets.token_hex(8)
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._questions[question] = answer
        try:
            await self._publish({**event, "ask": question})
            return await asyncio.wait_for(answer, timeout)
        except asyncio.TimeoutError:
            return None
        finally:
            self._questions.pop(question, None)

    async def _answer(self, event: dict[str, Any], value: Any) -> None:
        await self._publish({"kind": "here", "ask": event.get("ask"), "value": value})

    async def _publish(self, event: dict[str, Any]) -> None:
        await self.redis.publish(self.channel, json.dumps(event, ensure_ascii=False))

    async def _listen(self) -> None:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            self._subscribed.set()
            while not self._stopping:
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
            if event.get("ask"):
                await self._answer(event, True)  # taken: the young person's process is told
        elif kind == "left" and local is not None:
            await super().young_person_left(conversation_id)
        elif kind == "push":
            message = dict(event.get("message") or {})
            if await self._push_here(conversation_id, message) and event.get("ask"):
                await self._answer(event, True)  # delivered: the counselor's console is told
        elif kind == "transcript" and local is not None:
            await super().transcript_from_young_person(conversation_id, event.get("items"))
        elif kind == "where" and await super().connected_anywhere(conversation_id):
            await self._answer(event, True)
        elif kind == "history" and local is not None:
            view = local.view(int(event.get("after") or 0))
            await self._answer(event, {"messages": view.messages, "typing": view.typing})
        elif kind == "who_holds" and self._chats:
            await self._publish({"kind": "holding", "conversations": list(self._chats)})
        elif kind == "holding":
            for held in event.get("conversations") or []:
                if str(held) not in self._chats:
                    self._elsewhere.add(str(held))
        elif kind == "here":
            answer = self._questions.get(str(event.get("ask")))
            if answer is not None and not answer.done():
                answer.set_result(event.get("value", True))
