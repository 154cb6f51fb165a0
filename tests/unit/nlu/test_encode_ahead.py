"""haven/nlu/encode_ahead.py: a message's vector is made off the event loop, batched, and
forgotten."""

from __future__ import annotations

import asyncio
import functools
import threading

import numpy as np
import pytest

from haven.nlu import encode_ahead as ahead
from haven.nlu.intent_model import embed


def run_async(test):
    """Runs an async test in its own event loop (the project does not use pytest-asyncio)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


class BlockingEncoder:
    """Encodes a text as [its length, 0, ...]; the first call waits until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        if not self.calls:
            self.release.wait(timeout=5)
        self.calls.append(list(texts))
        vectors = np.zeros((len(texts), 3), dtype=np.float32)
        vectors[:, 0] = [len(text) for text in texts]
        return vectors


@run_async
async def test_texts_arriving_while_the_worker_is_busy_are_encoded_in_one_batch() -> None:
    encoder = BlockingEncoder()
    batching = ahead.BatchingEncoder(encoder)
    first = asyncio.ensure_future(batching.encode("a"))
    await asyncio.sleep(0.05)  # the worker now holds "a"
    later = [asyncio.ensure_future(batching.encode(text)) for text in ("bb", "ccc", "dddd")]
    await asyncio.sleep(0.05)
    encoder.release.set()
    vectors = await asyncio.gather(first, *later)
    assert encoder.calls == [["a"], ["bb", "ccc", "dddd"]]
    assert list(batching.batch_sizes) == [1, 3]
    assert [vector[0] for vector in vectors] == [1, 2, 3, 4]  # each text gets its own vector


@run_async
async def test_an_encoder_error_reaches_every_waiting_message_and_the_next_batch_works() -> None:
    class FailingOnce(BlockingEncoder):
        def encode(self, texts):
            if not self.calls:
                self.calls.append(texts)
                raise MemoryError
            return super().encode(texts)

    encoder = FailingOnce()
    encoder.release.set()
    batching = ahead.BatchingEncoder(encoder)
    with pytest.raises(MemoryError):
        await batching.encode("a")
    assert (await batching.encode("bb"))[0] == 2


@pytest.fixture
def loaded_encoder(monkeypatch):
    """encode_ahead with a fake encoder standing in for a loaded model's."""
    encoder = BlockingEncoder()
    encoder.release.set()
    monkeypatch.setattr(ahead, "_batching", None)
    monkeypatch.setattr(ahead, "serving_encoder", lambda: encoder)
    return encoder


@run_async
async def test_the_vector_is_there_for_the_message_and_forgotten_after(loaded_encoder) -> None:
    async with ahead.encode_ahead("  i paid him \n"):
        assert ahead.encoded_ahead("i paid him", loaded_encoder)[0] == len("i paid him")
        assert ahead.encoded_ahead("another text", loaded_encoder) is None
    assert ahead.encoded_ahead("i paid him", loaded_encoder) is None


@run_async
async def test_a_vector_made_by_another_encoder_is_not_used(loaded_encoder) -> None:
    async with ahead.encode_ahead("i paid him"):
        assert ahead.encoded_ahead("i paid him", BlockingEncoder()) is None


@run_async
async def test_button_payloads_and_blank_texts_are_not_encoded(loaded_encoder) -> None:
    for text in ("/step_done", "   ", ""):
        async with ahead.encode_ahead(text):
            assert ahead.encoded_ahead(text.strip(), loaded_encoder) is None
    assert loaded_encoder.calls == []


@run_async
async def test_nothing_is_encoded_when_no_model_loaded_the_encoder(monkeypatch) -> None:
    monkeypatch.setattr(ahead, "_batching", None)
    monkeypatch.setattr(ahead, "serving_encoder", lambda: None)
    async with ahead.encode_ahead("hello"):
        assert ahead._encoded.get() is None
    assert ahead._batching is None


@run_async
async def test_the_classifier_uses_the_vector_made_ahead(loaded_encoder, monkeypatch) -> None:
    def encode_missing(texts):
        return np.full((len(texts), 3), -1.0, dtype=np.float32)

    async with ahead.encode_ahead("hello"):
        monkeypatch.setattr(loaded_encoder, "encode", encode_missing)  # for what was not ahead
        vectors = embed(loaded_encoder, ["hello", "not ahead"])
    assert vectors[0][0] == len("hello")  # made ahead
    assert vectors[1][0] == -1.0  # encoded by the classifier itself


@run_async
async def test_a_long_message_is_encoded_from_its_first_characters_only(loaded_encoder) -> None:
    long_text = "he wants money " * 700  # about 10,000 characters
    async with ahead.encode_ahead(long_text):
        pass
    assert [len(text) for batch in loaded_encoder.calls for text in batch] == [
        ahead.MAX_CLASSIFIED_CHARS
    ]


@run_async
async def test_within_a_message_the_crisis_patterns_scan_it_once_and_all_of_it(
    loaded_encoder, monkeypatch
) -> None:
    from haven.nlu import crisis_patterns as safety

    scans = []
    scan = safety._scan
    monkeypatch.setattr(safety, "_scan", lambda text: scans.append(len(text)) or scan(text))
    long_text = "he wants money " * 700 + "i want to kill myself"
    async with ahead.encode_ahead(long_text):
        assert safety.crisis_language(long_text) == "en"  # the locale hints ask
        assert safety.mentions_crisis(long_text)  # then the safety net
    assert scans == [len(long_text)]
    assert safety.mentions_crisis(long_text) and len(scans) == 2  # outside a message: no memory


@run_async
async def test_long_messages_are_handed_to_rasa_one_at_a_time_and_short_ones_at_once(
    monkeypatch,
) -> None:
    # Issue 12: forty 10,000-character messages from forty addresses kept everyone else waiting
    # for all forty; in one line, a short message waits for at most one of them at each step.
    monkeypatch.setattr(ahead, "serving_encoder", lambda: None)  # no model: nothing to encode
    long = "he keeps asking for money " * 40  # over LONG_MESSAGE_CHARS
    assert len(long) > ahead.LONG_MESSAGE_CHARS
    inside: list[str] = []
    entered: list[str] = []
    leave = asyncio.Event()

    async def handle(name: str, text: str) -> None:
        async with ahead.encode_ahead(text):
            inside.append(name)
            entered.append(name)
            await leave.wait()
            inside.remove(name)

    tasks = [asyncio.ensure_future(handle(f"long {n}", long)) for n in range(3)]
    tasks.append(asyncio.ensure_future(handle("short", "help")))
    for _ in range(5):
        await asyncio.sleep(0)
    assert sorted(inside) == ["long 0", "short"]  # the other long ones wait their turn
    leave.set()
    await asyncio.gather(*tasks)
    assert inside == [] and entered == ["long 0", "short", "long 1", "long 2"]  # in order
