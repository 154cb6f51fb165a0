"""`RepliesSentAgain`: the web chat's answer to a message sent twice, without handling it twice.

A browser that lost a message's acknowledgement (a dropped connection, a phone that slept) sends
the message again, with the same sequence number (haven/web/widget_protocol.py). Handled again, it
would move the plan on twice or file a second request for a person; so for each conversation the
channel keeps the last message's fingerprint (its sequence number and a keyed digest of its text)
and the reply it got, and a message with the same fingerprint gets that reply again.

The digest is keyed with a random key of this process, so the memory never holds a plain hash of
what someone typed (a plain hash of a short message can be found by trying). At most
`REMEMBERED_REPLIES` conversations are kept; the least recently used goes first. Hand-written: it
is a bounded dict and a keyed BLAKE2b, which no library makes shorter. No Rasa import.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from typing import Any

from haven.web.widget_protocol import REMEMBERED_REPLIES

Fingerprint = tuple[int, bytes]
"""A message's sequence number and the keyed digest of its text."""
Reply = list[dict[str, Any]]


class RepliesSentAgain:
    """The last reply of each conversation, by its message's fingerprint (bounded, in memory)."""

    def __init__(self, max_conversations: int = REMEMBERED_REPLIES) -> None:
        self.max_conversations = max_conversations
        self._key = secrets.token_bytes(32)
        self._last: OrderedDict[str, tuple[Fingerprint, Reply]] = OrderedDict()

    def fingerprint(self, seq: int, text: str) -> Fingerprint:
        """What tells this message from another: its sequence number and keyed digest."""
        # "surrogatepass": never an error here, even for text that missed `typed_text`.
        raw = text.encode("utf-8", "surrogatepass")
        return seq, hashlib.blake2b(raw, key=self._key, digest_size=16).digest()

    def reply_to(self, conversation_id: str, fingerprint: Fingerprint) -> Reply | None:
        """The reply already sent for this very message, or None if it is a new one."""
        last = self._last.get(conversation_id)
        return last[1] if last is not None and last[0] == fingerprint else None

    def remember(self, conversation_id: str, fingerprint: Fingerprint, reply: Reply) -> None:
        """Keeps `reply` as the answer to the conversation's latest message."""
        self._last[conversation_id] = (fingerprint, reply)
        self._last.move_to_end(conversation_id)
        while len(self._last) > self.max_conversations:
            self._last.popitem(last=False)

    def __len__(self) -> int:
        return len(self._last)
