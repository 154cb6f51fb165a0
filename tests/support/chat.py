"""One young person's conversation with the trained model in-process, as text: what the tests of
tests/conversations/ read. The fixtures that load the model are in
tests/conversations/conftest.py."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

WEB_CHAT = "haven_widget"
"""The web chat's input channel: the only one whose requests for a person enter the queue
(haven/handoff/queue.py `REQUEST_CHANNEL`)."""


class Chat:
    """One young person's conversation; `say` returns everything the bot answered, as text.

    `web_chat=True` sends each message as the web chat does (its input channel and an address
    hash in the metadata), so that a request for a person is filed as it would be there.
    """

    def __init__(self, agent: Any, metadata: dict | None = None, web_chat: bool = False) -> None:
        self.agent, self.metadata = agent, metadata
        self.sender = f"test-{uuid.uuid4().hex[:12]}"
        self.input_channel = WEB_CHAT if web_chat else None
        if web_chat:
            from haven.handoff.queue import ADDRESS_METADATA

            self.metadata = {**(metadata or {}), ADDRESS_METADATA: uuid.uuid4().hex}

    def say(self, text: str, metadata: dict | None = None) -> str:
        """Sends `text`; returns the bot's replies and their buttons' titles, a line each.

        `metadata` is for this message only (as the widget sends a menu pick), else the chat's.
        """
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        channel = CollectingOutputChannel()
        metadata = self.metadata if metadata is None else metadata
        message = UserMessage(
            text, channel, self.sender, input_channel=self.input_channel, metadata=metadata
        )
        asyncio.run(self.agent.handle_message(message))
        parts = []
        for reply in channel.messages:
            parts.append(reply.get("text") or "")
            parts += [button["title"] for button in reply.get("buttons") or []]
        return "\n".join(parts)
