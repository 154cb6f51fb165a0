"""Encoding a message's meaning before Rasa reads it: off the event loop, and batched under load.

Rasa runs its NLU pipeline inside the event loop, so while the sentence encoder
(haven/nlu/encoders.py, most of the work of understanding a message) runs, the Rasa server does
nothing else. Haven's channels therefore hand each message to Rasa within `encode_ahead(text)`:
the text is encoded on a worker thread first (numpy's matrix products release the GIL, so the
event loop keeps serving other conversations on the other core), and texts that arrive while the
worker is busy are encoded together in one batch. The vector is kept in a context variable of the
message's own task, with the encoder that made it, where MeaningAndSpellingClassifier
(haven/rasa_edge/nlu/intent_classifier.py) finds it when it reads with the same encoder; if it is
not there (a test, `rasa shell`, another channel), the classifier encodes the text itself, with the
same result. Measured under load (make bench, 20 conversations): the server's main thread
spends about a fifth less time per message.

Long messages are handed to Rasa one at a time (`LONG_MESSAGE_CHARS`). Rasa reads the whole of
a message on the event loop (its tokenizer, the crisis patterns, the readers of age, questions
and language), so each 10,000-character message holds it for tens of milliseconds; forty
arriving together from forty addresses (the rate limits stop one address sending so many,
haven/web/rate_limits.py) kept every other young person waiting for all forty. With them in one
line, a short message waits for at most one of them at each of its steps. The long ones are read as
before, all of them, crisis patterns included; only later.

Nothing is stored: the text and its vector live only in memory, for the one message.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar
from weakref import WeakKeyDictionary

import numpy as np

from haven.nlu.crisis_patterns import one_scan_per_message
from haven.nlu.encoders import Encoder, serving_encoder

logger = logging.getLogger(__name__)

MAX_BATCH = 16  # texts encoded together at most; more wait for the next batch
MAX_CLASSIFIED_CHARS = 500
"""The intent classifier reads a message's first 500 characters (the encoder keeps 128 tokens
anyway); the crisis patterns still read all of it. On a 10,000-character message this takes the
classifier and its encoding from about 21 ms of the event loop to about 3 (and the encoder's
tokenizing, which holds the GIL, from 10,000 characters to 500)."""


LONG_MESSAGE_CHARS = 1_000
"""Messages longer than this are handed to Rasa one at a time, in the order they came (the
rate limits count them as more than one message for the same reason, haven/web/rate_limits.py)."""


def classified_text(text: str) -> str:
    """What of a message the intent classifier reads: its first `MAX_CLASSIFIED_CHARS`."""
    return text[:MAX_CLASSIFIED_CHARS]


# The text of the message this task handles, the encoder that read it, and its vector.
_encoded: ContextVar[tuple[str, Encoder, np.ndarray] | None] = ContextVar(
    "haven_encoded", default=None
)


def encoded_ahead(text: str, encoder: Encoder) -> np.ndarray | None:
    """The vector encode_ahead() made for `text` with `encoder` in this task, if it made one."""
    ahead = _encoded.get()
    if ahead is not None and ahead[0] == text and ahead[1] is encoder:
        return ahead[2]
    return None


class BatchingEncoder:
    """Encodes on one worker thread; what arrives while it works goes in the next batch."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self._waiting: list[tuple[str, asyncio.Future]] = []
        self._draining = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="haven-encoder")
        # The latest batch sizes, for tests and profiling: sizes only, never texts.
        self.batch_sizes: deque[int] = deque(maxlen=1000)

    async def encode(self, text: str) -> np.ndarray:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.append((text, future))
        if not self._draining:
            self._draining = True
            loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                batch = self._waiting[:MAX_BATCH]
                del self._waiting[:MAX_BATCH]
                self.batch_sizes.append(len(batch))
                texts = [text for text, _ in batch]
                try:
                    vectors = await loop.run_in_executor(self._worker, self.encoder.encode, texts)
                except Exception as error:  # each waiting message gets the error, none hangs
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), vector in zip(batch, vectors, strict=True):
                    if not future.done():
                        future.set_result(vector)
        finally:
            self._draining = False


_batching: BatchingEncoder | None = None


def _needs_understanding(text: str) -> bool:
    # Texts starting with "/" are button payloads naming their intent: the classifier passes the
    # intent on without encoding (one that names no known intent is encoded there, rarely).
    return bool(text) and not text.startswith("/")


@asynccontextmanager
async def encode_ahead(text: str) -> AsyncIterator[None]:
    """Within the block (handing one message to Rasa), the classifier finds `text` encoded.

    Encodes only when the served model uses the sentence encoder and the text will be read by it.
    The vector is forgotten when the block ends: a connection kept open for the next message
    must not carry this one's text.
    """
    async with _in_line_if_long(text):
        read = classified_text(text.strip())  # stripped, as Rasa's UserMessage keeps it
        batching = _batching_encoder() if _needs_understanding(read) else None
        vector = await _encode(batching, read) if batching is not None else None
        token = (
            _encoded.set((read, batching.encoder, vector))
            if batching is not None and vector is not None
            else None
        )
        try:
            with one_scan_per_message():  # the crisis patterns read all of it, once
                yield
        finally:
            if token is not None:
                _encoded.reset(token)


# One line of long messages per event loop (a lock belongs to the loop it was first used in).
_long_lines: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()


@asynccontextmanager
async def _in_line_if_long(text: str) -> AsyncIterator[None]:
    """A message longer than `LONG_MESSAGE_CHARS` waits for the long ones before it (an
    `asyncio.Lock` serves its waiters in order); others go at once."""
    if len(text) <= LONG_MESSAGE_CHARS:
        yield
        return
    line = _long_lines.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with line:
        yield


def _batching_encoder() -> BatchingEncoder | None:
    """The batcher for the served model's encoder; None if no model loaded one."""
    global _batching
    encoder = serving_encoder()
    if encoder is None:
        return None  # no loaded model asked for an encoder: nothing would read the vector
    if _batching is None or _batching.encoder is not encoder:
        _batching = BatchingEncoder(encoder)
    return _batching


async def _encode(batching: BatchingEncoder, text: str) -> np.ndarray | None:
    try:
        return await batching.encode(text)
    except Exception as error:  # the classifier encodes the text itself and meets the error there
        logger.warning("Encoding ahead failed (%s); the classifier will try.", type(error).__name__)
        return None
