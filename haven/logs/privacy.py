"""The log safety net: nothing a young person types reaches a log of the Rasa or action server.

At the default level (INFO) Rasa and rasa-sdk log no message text themselves; user text gets
into logs in three other ways, and `install()` closes each of them for every handler, including
handlers added later (it wraps the log record factory, not a handler):

- debug records, which Rasa fills with messages, slots and trackers: they are not written unless
  `HAVEN_ALLOW_DEBUG_LOGS=1` (meant for made-up test conversations only);
- exception messages in tracebacks (an error about a message may quote it): the traceback keeps
  its frames, but the message is replaced, except for exception types known to be text-free;
- Rasa's structured (JSON) log events, whose fields such as `text`, `user_text` or `rasa_event`
  may hold a message: those fields are replaced;
- reprs of objects that hold a message: an exception passed as a log argument is shown as its
  type only, and asyncio's own reports ("Task exception was never retrieved", "Exception in
  callback ...", written by the default exception handler of every event loop, uvloop's too, to
  the `asyncio` logger) keep their first words and the names of their parts (`future`, `handle`,
  `exception`, ...) but not the reprs, which quote a task's or a callback's arguments.

It also drops the Python warnings in which Rasa quotes a message (WARNINGS_QUOTING_USER_TEXT).

Installed by `haven.rasa_edge.tracker_store` (the Rasa server) and `actions.privacy` (the action
server).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import traceback
import warnings
from types import TracebackType
from typing import Any

from haven.settings import StorageConfigError, debug_logs_allowed

HIDDEN = "[hidden: may contain user text]"

SENSITIVE_FIELDS = frozenset(
    {
        # Rasa 3.6's own list of structured log fields that may carry user text
        # (rasa/utils/log_utils.py, `_anonymizer`).
        "text",
        "response_text",
        "user_text",
        "slot_values",
        "parse_data_text",
        "parse_data_entities",
        "prediction_events",
        "tracker_latest_message",
        "prefilled_slots",
        "message",
        "response",
        "slot_candidates",
        "rasa_event",
        "rasa_events",
        "tracker_states",
        "current_states",
        "old_states",
        "successes",
        "current_entity",
        "next_entity",
        "states",
        "entity",
        "token_text",
        "user_message",
        "json_message",
    }
)

_PROTECTED_LOGGERS = ("rasa", "rasa_sdk", "sanic", "haven", "bot", "actions")
_installed = False


def _safe_exception_types() -> tuple[type[BaseException], ...]:
    """Exceptions whose messages never hold user text: ours, and connection problems."""
    import sqlalchemy.exc

    from haven.storage.crypto import TamperedRecordError

    return (
        StorageConfigError,
        TamperedRecordError,
        OSError,
        asyncio.TimeoutError,
        sqlalchemy.exc.OperationalError,
        sqlalchemy.exc.InterfaceError,
    )


def install() -> None:
    """Makes every log record safe from now on (idempotent); see the module docstring."""
    global _installed
    if _installed:
        return
    allow_debug = debug_logs_allowed()
    safe_types = _safe_exception_types()
    previous_factory = logging.getLogRecordFactory()

    def safe_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return make_safe(previous_factory(*args, **kwargs), allow_debug, safe_types)

    logging.setLogRecordFactory(safe_record)
    silence_warnings_quoting_user_text()
    if not allow_debug:
        for name in _PROTECTED_LOGGERS:
            protected = logging.getLogger(name)
            if protected.getEffectiveLevel() < logging.INFO:
                protected.setLevel(logging.INFO)
    _installed = True


# Python warnings Rasa raises with the message's text in them: a typed text starting with "/" that
# names no known intent ("/someone has my pics") is quoted whole (rasa/shared/core/training_data/
# story_reader/yaml_story_reader.py). Warnings go to stderr, not through logging, so the record
# factory above never sees them. Rasa then reads the text as words, so nothing is lost.
WARNINGS_QUOTING_USER_TEXT = (r"Failed to parse arguments in line",)


def silence_warnings_quoting_user_text() -> None:
    """Drops the warnings of WARNINGS_QUOTING_USER_TEXT (added in front of any other filter)."""
    for message in WARNINGS_QUOTING_USER_TEXT:
        warnings.filterwarnings("ignore", message=message)


def make_safe(
    record: logging.LogRecord,
    allow_debug: bool = False,
    safe_types: tuple[type[BaseException], ...] = (),
) -> logging.LogRecord:
    """Rewrites a log record so it carries no user text (debug records only if allowed)."""
    if record.levelno < logging.INFO and not allow_debug:
        record.msg, record.args = "[debug message hidden: it may contain user text]", ()
        record.exc_info, record.exc_text = None, None
        return record
    if record.exc_info and record.exc_info[1] is not None:
        _, error, tb = record.exc_info
        if not isinstance(error, safe_types):
            record.exc_text = traceback_without_messages(error, tb, safe_types)
            record.exc_info = None
    if record.args:
        record.args = _hide_exception_args(record.args, safe_types)
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: log the template only
        record.args = ()
        return record
    if record.name == "asyncio" or record.name.startswith("asyncio."):
        record.msg, record.args = asyncio_report_without_reprs(message), ()
        return record
    if message.startswith("{"):
        hidden = _hide_structured_fields(message)
        if hidden is not None:
            record.msg, record.args = hidden, ()
    return record


class _HiddenException:
    """Stands in for an exception in log arguments: its type, for %s and %r alike."""

    def __init__(self, error: BaseException) -> None:
        self.shown = f"{type(error).__qualname__}({HIDDEN})"

    def __str__(self) -> str:
        return self.shown

    __repr__ = __str__


def _hide_exception_args(args: Any, safe_types: tuple[type[BaseException], ...]) -> Any:
    """Log arguments with each exception (whose str and repr may quote a message) shown as its
    type only, except the text-free `safe_types`."""

    def hidden(value: Any) -> Any:
        if isinstance(value, BaseException) and not isinstance(value, safe_types):
            return _HiddenException(value)
        return value

    if isinstance(args, dict):
        return {key: hidden(value) for key, value in args.items()}
    if isinstance(args, tuple):
        return tuple(hidden(value) for value in args)
    return hidden(args)


_REPR_START = re.compile(r"[<(\[{'\"]")
_REPORT_PART = re.compile(r"^(\w+): ")


def asyncio_report_without_reprs(message: str) -> str:
    """asyncio's report of an unhandled error, without the reprs that may quote user text.

    "Task exception was never retrieved\nfuture: <Task ... coro=<handler('hi ...')>>" becomes
    "Task exception was never retrieved\nfuture: [hidden: ...]"; the traceback is logged apart
    (and loses its message like any other).
    """
    first, *parts = message.split("\n")
    head = _REPR_START.split(first, maxsplit=1)[0].rstrip(" :") or "asyncio"
    names = [match.group(1) for match in map(_REPORT_PART.match, parts) if match]
    return head + "".join(f"\n{name}: {HIDDEN}" for name in names)


def traceback_without_messages(
    error: BaseException,
    tb: TracebackType | None,
    safe_types: tuple[type[BaseException], ...] = (),
) -> str:
    """A traceback with its frames (file, line, code) but without exception messages.

    Chained exceptions (`raise ... from ...`, errors while handling errors) are shown the same
    way, each with its type and frames.
    """
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    current_tb = tb
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        shown = str(current) if isinstance(current, safe_types) else HIDDEN
        block = ["Traceback (most recent call last):\n"]
        block += traceback.format_tb(current_tb or current.__traceback__)
        block.append(f"{type(current).__module__}.{type(current).__qualname__}: {shown}\n")
        parts.insert(0, "".join(block))
        cause = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        current, current_tb = cause, None
    return "\nDuring handling, another exception followed:\n\n".join(parts).rstrip("\n")


def _hide_structured_fields(message: str) -> str | None:
    try:
        event = json.loads(message)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    for key in event:
        if key in SENSITIVE_FIELDS:
            event[key] = HIDDEN
    exceptions = event.get("exception")
    if isinstance(exceptions, list):  # structlog's dict_tracebacks
        for entry in exceptions:
            if isinstance(entry, dict) and "exc_value" in entry:
                entry["exc_value"] = HIDDEN
                for frame in entry.get("frames") or []:
                    if isinstance(frame, dict):
                        frame.pop("locals", None)
    elif isinstance(exceptions, str):  # structlog's format_exc_info
        event["exception"] = HIDDEN
    return json.dumps(event, ensure_ascii=False)
