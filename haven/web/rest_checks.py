"""What the REST channel accepts: the body, the sender, the text and the metadata, checked.

The Rasa-free half of `HavenRestInput` (haven/rasa_edge/rest_channel.py, whose docstring lists
what the channel does): a malformed body, a wrong type or a missing `sender` is a 400 with a
clear message, a message longer than `MAX_MESSAGE_CHARS` a 413, and only the `language`,
`region` and `locale` metadata keys that name known codes are kept. The web chat channel uses the
same limits and metadata rule.
"""

from __future__ import annotations

import json
import re
from typing import Any

from haven.packs.channel_messages import renderer_and_finder
from haven.storage.conversations import DatabaseUnavailable
from haven.storage.redis_clients import LockStoreUnavailable
from haven.web.typed_text import typed_text

MAX_MESSAGE_CHARS = 10_000
"""Longest message the assistant reads; about four pages of text, far more than a chat turn.

Not lowered in issue 12 (forty such messages slowed everyone): a long message now counts as
several against the rate limits (haven/web/rate_limits.py) and waits in line with the other long
ones (haven/nlu/encode_ahead.py), so it no longer keeps anyone else waiting, and a lower limit
would send back unread a young person's paste of the threats they got, crisis words and all."""

MAX_BODY_BYTES = 64 * 1024
SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}\Z")
ALLOWED_METADATA = ("language", "region", "locale", "chosen_language")
REST_PREFIX = "rest:"
"""Put before a REST sender to make its conversation id; web chat ids never contain `:`."""
SERVICE_UNAVAILABLE = (DatabaseUnavailable, LockStoreUnavailable)
"""PostgreSQL or Redis out of reach: the message is not handled, and is answered with a 503."""


class InvalidRequest(ValueError):
    """A request the channel refuses, with the HTTP status and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_rest_body(raw: bytes) -> tuple[str, str, dict[str, str]]:
    """Validates a REST request body and returns (sender, text, metadata).

    Raises `InvalidRequest` with a 4xx status for anything the assistant should not see.
    An empty `text` is valid here; the caller answers it without the assistant.
    """
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidRequest(413, "message_too_long")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidRequest(400, "The body must be JSON encoded as UTF-8.") from error
    except RecursionError as error:  # nested deeper than the parser goes
        raise InvalidRequest(400, "The body must be JSON nested less deeply.") from error
    if not isinstance(body, dict):
        raise InvalidRequest(
            400, 'The body must be a JSON object: {"sender": ..., "message": ...}.'
        )
    sender = body.get("sender")
    if not isinstance(sender, str) or not SENDER_PATTERN.match(sender):
        raise InvalidRequest(
            400, "'sender' must be a string of 1 to 128 letters, digits or the characters _ . : -."
        )
    text = body.get("message")
    if not isinstance(text, str):
        raise InvalidRequest(400, "'message' must be a string.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidRequest(413, "message_too_long")
    return sender, typed_text(text), allowed_metadata(body.get("metadata"))


def allowed_metadata(metadata: Any) -> dict[str, str]:
    """The metadata keys in `ALLOWED_METADATA` that name known codes; nothing else."""
    return renderer_and_finder()[1].known_metadata(metadata)
