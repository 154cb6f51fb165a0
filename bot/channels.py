"""`HavenRestInput`: Rasa's REST channel with the input checks Haven needs.

Compared with Rasa's own `RestInput` it:
- answers malformed JSON, wrong types and a missing `sender` with a clear 400,
- answers an empty or whitespace-only message kindly, without bothering the assistant,
- refuses messages longer than `MAX_MESSAGE_CHARS` with a kind 413,
- answers messages over the per-conversation or per-address rate limit (bot/rate_limit.py; a
  long message counts as several) with a kind 429, without handling them,
- keeps only the `language`, `region` and `locale` metadata keys (nothing that identifies a
  device), and answers in that language, with that region's help lines, when it answers itself,
- puts the security headers on every response of the server (bot/web_security.py),
- files its conversations under `rest:` + sender (`REST_PREFIX`), apart from the web chat's
  conversations (whose ids never contain `:`), so a web chat conversation is reachable only with
  its token, never by naming its id as a REST sender; replies name the sender as it was sent,
- never logs what the user typed, even when handling the message fails,
- answers with a kind message and the crisis lines when a custom action failed (the action
  server is down; the turn is not saved, bot/action_failures.py), when PostgreSQL or Redis is out
  of reach (a 503; the turn is not handled or not saved), or when nothing was said, so nobody is
  left with half an answer or silence.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from functools import lru_cache
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import rasa_speedups
from bot.action_failures import ActionFailed, abort_turn_on_action_failure
from bot.content import content
from bot.conversations import DatabaseUnavailable
from bot.encode_ahead import encode_ahead
from bot.localization import LocaleFinder
from bot.lock_store import LockStoreUnavailable
from bot.rate_limit import MessageRateLimiter, client_address, message_cost, shared_limiter
from bot.render import Renderer
from bot.typed_text import typed_text
from bot.web_security import SecureBlueprint

logger = logging.getLogger(__name__)

# Every Haven server receives messages through these channels, so this is where Rasa gets the
# faster (same-result) validation and event lookup of bot/rasa_speedups.py.
rasa_speedups.install()

MAX_MESSAGE_CHARS = 10_000
"""Longest message the assistant reads; about four pages of text, far more than a chat turn.

Not lowered in issue 12 (forty such messages slowed everyone): a long message now counts as
several against the rate limits (bot/rate_limit.py) and waits in line with the other long ones
(bot/encode_ahead.py), so it no longer keeps anyone else waiting, and a lower limit would send
back unread a young person's paste of the threats they got, crisis words and all (a message over
the limit gets `message_too_long`, which has no crisis lines)."""

MAX_BODY_BYTES = 64 * 1024
SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}\Z")
ALLOWED_METADATA = ("language", "region", "locale")
REST_PREFIX = "rest:"
"""Put before a REST sender to make its conversation id; web chat ids never contain `:`."""
CHANNEL_MESSAGES = (
    "empty_message",
    "message_too_long",
    "service_error",
    "too_fast",
    "handoff_joined",
    "handoff_back_to_bot",
    "handoff_ended",
    "handoff_crisis",
)
"""What the channel says itself: `channel:` in content/languages/<language>/language.yml."""


SERVICE_UNAVAILABLE = (DatabaseUnavailable, LockStoreUnavailable)
"""PostgreSQL or Redis out of reach: the message is not handled, and is answered with a 503."""


class InvalidRequest(ValueError):
    """A request the channel refuses, with the HTTP status and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@lru_cache(maxsize=1)
def _renderer_and_finder() -> tuple[Renderer, LocaleFinder]:
    packs = content()
    return Renderer(packs), LocaleFinder(packs)


def load_channel_messages(metadata: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The texts the channel sends itself (empty message, too long, error), in the language and
    with the help lines of the region the metadata names (English and anywhere by default)."""
    renderer, finder = _renderer_and_finder()
    language = finder.language_from_metadata(metadata)
    region = finder.region_from_metadata(metadata)
    return {
        key: renderer.channel_message(key, language=language, region=region)
        for key in CHANNEL_MESSAGES
    }


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
    return _renderer_and_finder()[1].known_metadata(metadata)


class HavenRestInput(InputChannel):
    """The REST channel at /webhooks/rest/webhook, with input checks and no text in logs."""

    def __init__(self, limiter: MessageRateLimiter | None = None) -> None:
        load_channel_messages()  # read the content packs now: a broken pack stops the start
        self.limiter = limiter or shared_limiter()

    @classmethod
    def name(cls) -> str:
        """Keeps Rasa's URL: /webhooks/rest/webhook."""
        return "rest"

    def _reply(
        self, key: str, status: int = 200, metadata: Mapping[str, Any] | None = None
    ) -> HTTPResponse:
        text = load_channel_messages(metadata)[key]
        return response.json([{"recipient_id": None, "text": text}], status=status)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The channel's routes: a health check and the webhook."""
        webhook = SecureBlueprint("haven_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, text, metadata = parse_rest_body(request.body or b"")
            except InvalidRequest as error:
                if str(error) in CHANNEL_MESSAGES:
                    return self._reply(str(error), status=error.status)
                return response.json({"error": str(error)}, status=error.status)
            conversation_id = REST_PREFIX + sender
            address = self.limiter.address_key(client_address(request))
            if not self.limiter.allow(conversation_id, address, message_cost(text)):
                # Neither the address nor the text is logged.
                logger.info("A message over the rate limit got the too_fast message.")
                return self._reply("too_fast", status=429, metadata=metadata)
            if not text.strip():
                return self._reply("empty_message", metadata=metadata)

            collector = CollectingOutputChannel()
            try:
                async with encode_ahead(text):
                    with abort_turn_on_action_failure():
                        await on_new_message(
                            UserMessage(
                                text,
                                collector,
                                conversation_id,
                                input_channel=self.name(),
                                metadata=metadata,
                            )
                        )
            except ActionFailed:
                logger.warning("A custom action failed; the user got the service_error message.")
                return self._reply("service_error", status=503, metadata=metadata)
            except SERVICE_UNAVAILABLE as error:  # the store said in its own line what is wrong
                logger.warning("A message got the service_error message: %s", type(error).__name__)
                return self._reply("service_error", status=503, metadata=metadata)
            except Exception as error:  # the user gets a kind reply, never a stack trace
                # Log the kind of failure only: the message text must never reach a log.
                logger.error("Handling a REST message failed: %s", type(error).__name__)
                return self._reply("service_error", status=500, metadata=metadata)
            if not collector.messages:
                logger.warning(
                    "The assistant said nothing; the user got the service_error message."
                )
                return self._reply("service_error", metadata=metadata)
            return response.json(
                [{**message, "recipient_id": sender} for message in collector.messages]
            )

        return webhook
