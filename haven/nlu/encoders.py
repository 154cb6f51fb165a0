"""Which sentence encoder the intent classifier reads meaning with, chosen in config.yml.

`encoder:` of MeaningAndSpellingClassifier names one of ENCODERS: `minilm` (all-MiniLM-L6-v2,
English only, haven/nlu/sentence_encoder.py), `usem3` (universal-sentence-encoder-multilingual v3,
haven/nlu/multilingual_encoder.py) or `both` (the two vectors side by side). One config option
rather than two code paths, so a held-out set or a new language can compare them on the same code.

Each encoder is built once per process (its weights are tens of MB). The one a loaded model
serves with is remembered here, so haven/nlu/encode_ahead.py encodes a message with the same encoder
the classifier will read it with.
"""

from __future__ import annotations

from functools import cache
from typing import Protocol

import numpy as np

from haven.nlu import sentence_encoder


class Encoder(Protocol):
    """Turns texts into rows of unit vectors of `dimensions` numbers."""

    dimensions: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """One vector per text, in the order given."""


class ConcatenatedEncoder:
    """Several encoders' vectors side by side: each keeps its own scale (a unit vector)."""

    def __init__(self, parts: list[Encoder]) -> None:
        self.parts = parts
        self.dimensions = sum(part.dimensions for part in parts)

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row per text: the parts' vectors one after the other."""
        return np.hstack([part.encode(texts) for part in self.parts]).astype(np.float32)


ENCODERS = ("minilm", "usem3", "both")
# When config.yml names none: the encoder of models trained before the option existed, whose saved
# configuration names none either, so they load as they were trained. config.yml names `both`.
DEFAULT_ENCODER = "minilm"


def check_encoder_name(name: object) -> str:
    """The name, if it names an encoder; otherwise an error saying what config.yml may say."""
    if name not in ENCODERS:
        raise ValueError(
            f"encoder: {name!r} in config.yml is not a sentence encoder Haven has; "
            f"use one of {', '.join(ENCODERS)}."
        )
    return str(name)


@cache
def shared_encoder(name: str) -> Encoder:
    """One encoder of each kind per process, built the first time it is asked for."""
    if name == "minilm":
        return sentence_encoder.shared_encoder()
    if name == "usem3":
        from haven.nlu.multilingual_encoder import MultilingualEncoder

        return MultilingualEncoder()
    check_encoder_name(name)
    return ConcatenatedEncoder([shared_encoder("minilm"), shared_encoder("usem3")])


_serving: list[Encoder] = []  # the encoder of the model this process serves, once one is loaded


def serve_with(name: str) -> Encoder:
    """Builds the encoder a loaded model reads with; haven/nlu/encode_ahead.py then uses it too."""
    encoder = shared_encoder(name)
    _serving[:] = [encoder]
    return encoder


def serving_encoder() -> Encoder | None:
    """The encoder of the loaded model, or None when no model has been loaded in this process."""
    return _serving[0] if _serving else None
