"""Ending a turn cleanly when a custom action fails (the action server is down or erred).

When a custom action fails, Rasa logs "Encountered an exception while running action ..." from
`rasa.core.processor`, drops the action's events and carries on predicting. The young person would
get half an answer, and the stored conversation would hold a turn whose events are missing, which
no rule matches any more (the next messages all end in the fallback). Rasa offers no hook for this,
so a logging filter on that logger raises `ActionFailed` while a channel is handling a message
(`abort_turn_on_action_failure`): the turn stops before the tracker is saved, the conversation stays
as it was before the message, and the channel answers with a kind message and the crisis lines
(haven/rasa_edge/turns.py). The next message tries the action server again, so the bot
recovers as soon as it is back. Crisis replies are responses, not custom actions, so they never
depend on it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

PROCESSOR_LOGGER = "rasa.core.processor"
FAILURE_PREFIX = "Encountered an exception while running action"

_watching: ContextVar[bool] = ContextVar("haven_abort_on_action_failure", default=False)


class ActionFailed(RuntimeError):
    """A custom action failed while a message was handled; the turn was not saved."""


class _ActionFailureFilter(logging.Filter):
    """Lets every record through, then raises on Rasa's failed-action record when asked to."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _watching.get() and str(record.msg).startswith(FAILURE_PREFIX):
            raise ActionFailed("a custom action failed; the turn was not saved")
        return True


_FILTER = _ActionFailureFilter()


def install() -> None:
    """Puts the filter on Rasa's processor logger (idempotent); it raises only inside the block."""
    logger = logging.getLogger(PROCESSOR_LOGGER)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


@contextmanager
def abort_turn_on_action_failure() -> Iterator[None]:
    """Within the block (one message's handling), a failed custom action raises ActionFailed."""
    install()
    token = _watching.set(True)
    try:
        yield
    finally:
        _watching.reset(token)
