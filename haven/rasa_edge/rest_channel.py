"""`HavenRestInput`: Rasa's REST channel with the input checks Haven needs.

Compared with Rasa's own `RestInput` it:
- answers malformed JSON, wrong types and a missing `sender` with a clear 400,
- answers an empty or whitespace-only message kindly, without bothering the assistant,
- refuses messages longer than `MAX_MESSAGE_CHARS` with a kind 413,
- answers messages over the per-conversation or per-address rate limit (haven/web/rate_limits.py;
  a long message counts as several) with a kind 429, without handling them,
- keeps only the `language`, `region` and `locale` metadata keys (nothing that identifies a
  device), and answers in that language, with that region's help lines, when it answers itself,
- puts the security headers on every response of the server (haven/web/security_headers.py),
- files its conversations under `rest:` + sender (`REST_PREFIX`), apart from the web chat's
  conversations (whose ids never contain `:`), so a web chat conversation is reachable only with
  its token, never by naming its id as a REST sender; replies name the sender as it was sent,
- never logs what the user typed, even when handling the message fails,
- answers with a kind message and the crisis lines when a custom action failed (the action
  server is down; the turn is not saved, haven/rasa_edge/patches/action_failures.py), when
  PostgreSQL or Redis is out of reach (a 503; the turn is not handled or not saved), or when nothing
  was said, so nobody is left with half an answer or silence: the turn ladder the web chat shares,
  haven/rasa_edge/turns.py.

The checks of the request are Rasa-free, in haven/web/rest_checks.py, and the texts the channel
says itself in haven/packs/channel_messages.py; this class hands the checked message to Rasa.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from haven.packs.channel_messages import CHANNEL_MESSAGES, load_channel_messages
from haven.rasa_edge import patches
from haven.rasa_edge.turns import take_turn
from haven.services import Services
from haven.web.rate_limits import MessageRateLimiter, client_address
from haven.web.rest_checks import REST_PREFIX, InvalidRequest, parse_rest_body
from haven.web.security_headers import SecureBlueprint


class HavenRestInput(InputChannel):
    """The REST channel at /webhooks/rest/webhook, with input checks and no text in logs."""

    def __init__(
        self, limiter: MessageRateLimiter | None = None, services: Services | None = None
    ) -> None:
        patches.install()  # every adapter Rasa builds puts Haven's patches in place
        load_channel_messages()  # read the content packs now: a broken pack stops the start
        self.services = services or Services.for_process()
        # The process's one limiter, shared with the web chat: one allowance per address.
        self.limiter = limiter or self.services.message_limiter

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
            turn = await take_turn(
                on_new_message,
                text=text,
                conversation_id=REST_PREFIX + sender,
                input_channel=self.name(),
                limiter=self.limiter,
                address=self.limiter.address_key(client_address(request)),
                metadata=metadata,
            )
            if turn.reply_key is not None:
                return self._reply(turn.reply_key, status=turn.status, metadata=metadata)
            return response.json([{**message, "recipient_id": sender} for message in turn.messages])

        return webhook
