"""`HandoffRelay`: carries a live chat between a counselor's console and the young person's widget.

Within one Rasa server process. While a counselor has a chat, the widget channel gives the young
person's messages to the relay instead of to the bot, and the console's messages are pushed to
the widget. The chat's messages are held in memory only, for as long as the chat lasts (at most
`MAX_MESSAGES`), so the console can show them; they are never written to disk or to a log, and
they are dropped when the chat ends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.safety import mentions_crisis

MAX_MESSAGES = 500
YOUNG_PERSON, COUNSELOR, NOTICE = "young_person", "counselor", "notice"

Push = Callable[[str, dict[str, Any]], Awaitable[None]]


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

    def add(self, sender: str, text: str, **extra: Any) -> dict[str, Any]:
        """Appends a message (numbered, so the console asks only for newer ones)."""
        message = {"n": self.next_number, "from": sender, "text": text, "at": time.time(), **extra}
        self.next_number += 1
        self.messages.append(message)
        del self.messages[:-MAX_MESSAGES]
        self.changed.set()
        self.changed = asyncio.Event()
        return message

    def after(self, number: int) -> list[dict[str, Any]]:
        """Messages numbered above `number`."""
        return [m for m in self.messages if m["n"] > number]


class HandoffRelay:
    """Live chats of this process, keyed by conversation id."""

    def __init__(self) -> None:
        self._chats: dict[str, LiveChat] = {}
        self.push_to_young_person: Push | None = None

    def open(self, chat: LiveChat) -> None:
        """From now on the young person's messages go to this chat, not to the bot."""
        self._chats[chat.conversation_id] = chat

    def close(self, conversation_id: str) -> None:
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

    def from_young_person(self, conversation_id: str, text: str) -> bool:
        """Hands a message to the counselor; False if no counselor has this conversation.

        A message that matches the crisis patterns is flagged, so the console shows it as urgent.
        """
        chat = self._chats.get(conversation_id)
        if chat is None:
            return False
        chat.add(YOUNG_PERSON, text, risk=mentions_crisis(text))
        return True

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

    def young_person_left(self, conversation_id: str) -> None:
        """The widget disconnected (quick exit, a closed tab or a lost connection)."""
        chat = self._chats.get(conversation_id)
        if chat is not None:
            chat.add(NOTICE, "left")
