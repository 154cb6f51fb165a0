"""One turn: hand one checked message to Rasa and turn any failure into the kind reply.

Both channels (haven/rasa_edge/rest_channel.py, haven/rasa_edge/widget_channel.py) call
`take_turn` once their own checks of the request passed; only how they send the result differs
(a JSON list with an HTTP status, a Socket.IO acknowledgement). The rungs, in order:

| rung                                                      | reply             | status | log     |
|-----------------------------------------------------------|-------------------|--------|---------|
| over the conversation's or address's rate limit (1)       | `too_fast`        | 429    | info    |
| empty or only spaces                                      | `empty_message`   | 200    | -       |
| the channel takes the turn (`before_rasa`: a counselor has the web chat)   | its own | 200 | - |
| a custom action failed (`ActionFailed`)                   | `service_error`   | 503    | warning |
| PostgreSQL or Redis out of reach (`SERVICE_UNAVAILABLE`)  | `service_error`   | 503    | warning |
| anything else raised                                      | `service_error`   | 500    | error   |
| the assistant said nothing                                | `service_error`   | 200    | warning |

(1) A long message counts as several (`message_cost`). The replies are keys of
`load_channel_messages` (haven/packs/channel_messages.py); `too_fast` and `service_error` carry the
crisis lines.

Rasa reads the message within `encode_ahead(text)` (its vector made off the event loop, and the
crisis patterns scanned once, haven/nlu/encode_ahead.py) and `abort_turn_on_action_failure()` (a
failed custom action ends the turn unsaved, haven/rasa_edge/patches/action_failures.py).

Log levels: a failed action, database or Redis is a service Haven depends on being out of reach;
it is answered kindly, the service logs its own side, and the operator's health checks see it, so
it is a warning (the widget logged a failed action as an error before, because it caught it only
as "anything else"). An error is kept for what Haven does not expect (a bug), which needs a
developer. Only the kind of failure is logged: the message text must never reach a log.

Rasa has no hook for "the turn failed, answer this instead", which is why this ladder is written
here rather than configured.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from haven.nlu.encode_ahead import encode_ahead
from haven.rasa_edge.patches.action_failures import ActionFailed, abort_turn_on_action_failure
from haven.web.rate_limits import MessageRateLimiter, message_cost
from haven.web.rest_checks import SERVICE_UNAVAILABLE

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


@dataclass(frozen=True)
class Turn:
    """What came of one message: Rasa's messages, or the key of the channel's own reply."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    reply_key: str | None = None
    status: int = 200

    @classmethod
    def kind(cls, key: str, status: int = 200) -> Turn:
        """The channel answers with its own message `key` (haven/packs/channel_messages.py)."""
        return cls(reply_key=key, status=status)


async def take_turn(
    on_new_message: OnNewMessage,
    *,
    text: str,
    conversation_id: str,
    input_channel: str,
    limiter: MessageRateLimiter,
    address: bytes,
    metadata: dict[str, Any] | None = None,
    before_rasa: Callable[[], Awaitable[Turn | None]] | None = None,
) -> Turn:
    """One message through the rungs in the module docstring; never raises for Rasa's failures.

    `metadata` goes to Rasa with the message; `before_rasa` may take the turn instead of the bot
    (it returns a `Turn`) or leave it to the bot (None).
    """
    if not limiter.allow(conversation_id, address, message_cost(text)):
        # Neither the address nor the text is logged.
        logger.info("A message over the rate limit got the too_fast message.")
        return Turn.kind("too_fast", 429)
    if not text.strip():
        return Turn.kind("empty_message")
    if before_rasa is not None:
        taken = await before_rasa()
        if taken is not None:
            return taken
    collector = CollectingOutputChannel()
    message = UserMessage(
        text, collector, conversation_id, input_channel=input_channel, metadata=metadata
    )
    try:
        async with encode_ahead(text):
            with abort_turn_on_action_failure():
                await on_new_message(message)
    except ActionFailed:
        logger.warning("A custom action failed; the user got the service_error message.")
        return Turn.kind("service_error", 503)
    except SERVICE_UNAVAILABLE as error:  # the store said in its own line what is wrong
        logger.warning("A message got the service_error message: %s", type(error).__name__)
        return Turn.kind("service_error", 503)
    except Exception as error:  # the user gets a kind reply, never a stack trace
        logger.error("Handling a message failed: %s", type(error).__name__)
        return Turn.kind("service_error", 500)
    if not collector.messages:
        logger.warning("The assistant said nothing; the user got the service_error message.")
        return Turn.kind("service_error")
    return Turn(messages=list(collector.messages))
