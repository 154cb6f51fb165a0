"""The log safety net: debug records, exception messages and structured fields lose user text."""

import json
import logging
from pathlib import Path

from haven.logs.privacy import HIDDEN, make_safe, traceback_without_messages
from haven.settings import StorageConfigError

THIS_FILE = Path(__file__).name  # the frames of a traceback name it

TYPED = "my ex Marcellus has my pics"


def record(level: int, message: str, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("rasa.core.processor", level, __file__, 1, message, (), exc_info)


def formatted(log_record: logging.LogRecord) -> str:
    return logging.Formatter("%(levelname)s %(message)s").format(log_record)


def raised(error: BaseException):
    try:
        raise error
    except BaseException as caught:
        return (type(caught), caught, caught.__traceback__)


def test_debug_records_are_hidden_unless_allowed():
    assert TYPED not in formatted(make_safe(record(logging.DEBUG, f"Received '{TYPED}'")))
    allowed = make_safe(record(logging.DEBUG, f"Received '{TYPED}'"), allow_debug=True)
    assert TYPED in formatted(allowed)


def test_an_exception_keeps_its_frames_but_not_its_message():
    exc_info = raised(ValueError(f"could not parse {TYPED}"))
    text = formatted(make_safe(record(logging.ERROR, "Handling failed", exc_info)))
    assert TYPED not in text
    assert "ValueError" in text and THIS_FILE in text and HIDDEN in text


def test_chained_exceptions_lose_their_messages_too():
    try:
        try:
            raise KeyError(TYPED)
        except KeyError as inner:
            raise RuntimeError(f"wrapped {TYPED}") from inner
    except RuntimeError as outer:
        text = traceback_without_messages(outer, outer.__traceback__)
    assert TYPED not in text and "KeyError" in text and "RuntimeError" in text


def test_messages_of_text_free_exceptions_are_kept():
    exc_info = raised(StorageConfigError("HAVEN_KEYS is malformed."))
    safe = make_safe(
        record(logging.ERROR, "start failed", exc_info), safe_types=(StorageConfigError,)
    )
    assert "HAVEN_KEYS is malformed." in formatted(safe)


def test_structured_events_lose_their_text_fields():
    event = {"event": "rest.message.received.failure", "text": TYPED, "log_level": "error"}
    safe = json.loads(
        formatted(make_safe(record(logging.ERROR, json.dumps(event)))).split(" ", 1)[1]
    )
    assert safe == {"event": "rest.message.received.failure", "text": HIDDEN, "log_level": "error"}


def test_structured_tracebacks_lose_exception_values():
    event = {
        "event": "x",
        "exception": [{"exc_type": "ValueError", "exc_value": TYPED, "frames": []}],
    }
    assert TYPED not in formatted(make_safe(record(logging.ERROR, json.dumps(event))))


def test_plain_info_messages_pass_unchanged():
    assert formatted(make_safe(record(logging.INFO, "Rasa server is up and running."))) == (
        "INFO Rasa server is up and running."
    )


def test_rasas_warnings_that_quote_a_typed_message_are_dropped():
    import warnings

    from rasa.shared.utils.io import raise_warning

    from haven.logs.privacy import silence_warnings_quoting_user_text

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        silence_warnings_quoting_user_text()
        raise_warning("Failed to parse arguments in line '/he has my pics'. Continuing.")
        raise_warning("An unrelated warning stays.")
    assert [str(w.message) for w in caught] == ["An unrelated warning stays."]


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, log_record: logging.LogRecord) -> None:
        self.records.append(log_record)


def asyncio_reports(run) -> str:
    """What asyncio's default exception handler logs while `run(loop)` runs, made safe."""
    import asyncio

    collect, asyncio_logger = Collect(), logging.getLogger("asyncio")
    asyncio_logger.addHandler(collect)
    loop = asyncio.new_event_loop()
    try:
        run(loop)
    finally:
        loop.close()
        asyncio_logger.removeHandler(collect)
    assert collect.records, "asyncio logged nothing"
    return "\n".join(formatted(make_safe(r)) for r in collect.records)


def test_a_task_exception_never_retrieved_does_not_quote_the_message():
    import asyncio

    async def handler(text):
        raise UnicodeEncodeError("utf-8", text, 0, 1, "surrogates not allowed")

    def run(loop):
        task = loop.create_task(handler(TYPED))
        loop.run_until_complete(asyncio.wait([task]))
        context = {"message": "Task exception was never retrieved", "future": task}
        loop.default_exception_handler({**context, "exception": task.exception()})

    text = asyncio_reports(run)
    assert TYPED not in text
    assert "Task exception was never retrieved" in text and "future: " + HIDDEN in text
    assert "UnicodeEncodeError" in text and THIS_FILE in text  # type and frames


def test_an_exception_in_a_callback_does_not_quote_its_arguments():
    def callback(text):
        raise ValueError("failed")

    def run(loop):
        loop.call_soon(callback, TYPED)
        loop.call_soon(loop.stop)
        loop.run_forever()

    text = asyncio_reports(run)
    assert TYPED not in text and "Exception in callback" in text and "ValueError" in text


def test_an_exception_given_as_a_log_argument_shows_its_type_only():
    log_record = logging.LogRecord(
        "bot.x", logging.ERROR, __file__, 1, "failed: %r", (ValueError(TYPED),), None
    )
    assert formatted(make_safe(log_record)) == f"ERROR failed: ValueError({HIDDEN})"
    safe = logging.LogRecord(
        "bot.x", logging.ERROR, __file__, 1, "%s", (StorageConfigError("HAVEN_KEYS"),), None
    )
    kept = make_safe(safe, safe_types=(StorageConfigError,))
    assert formatted(kept) == "ERROR HAVEN_KEYS"
