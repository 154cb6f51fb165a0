"""`IntentModel`: Haven's intent classifier, without Rasa.

Young people write in their own words, with typos and slang, and many intents differ by meaning
more than by words ("i already paid" and "i sent him 50 bucks"). The classifier therefore reads
each message two ways and lets one logistic regression weigh both:

- spelling: TF-IDF over words (1-2 grams) and characters within words (1-4 grams), so "nudez",
  "sextorted" and "pics" still meet the training data;
- meaning: a sentence embedding, from the encoder config.yml names (`encoder:`,
  haven/nlu/encoders.py): all-MiniLM-L6-v2 (English), universal-sentence-encoder-multilingual v3 (16
  languages), or both.

On Haven's training data this raised 5-fold macro F1 from 0.76 (Rasa's count vectors and
LogisticRegressionClassifier) to about 0.90 with MiniLM, and to 0.92 with both encoders
(English 0.924, Spanish 0.917; README, NLU figures; `make eval-nlu`). The model is saved as
plain arrays (numpy .npz) and JSON vocabularies, never as a pickle. The NLU component that
Rasa runs, `MeaningAndSpellingClassifier` (haven/rasa_edge/nlu/intent_classifier.py), only hands
it Rasa's messages and Rasa's model storage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from haven.nlu.encode_ahead import classified_text, encoded_ahead
from haven.nlu.encoders import (
    DEFAULT_ENCODER,
    Encoder,
    check_encoder_name,
    serve_with,
    shared_encoder,
)

WORDS = {"analyzer": "word", "ngram_range": (1, 2), "sublinear_tf": True}
CHARACTERS = {"analyzer": "char_wb", "ngram_range": (1, 4), "sublinear_tf": True}
# Rasa's form of a message that names its intent (a button's payload): "/intent", "/intent@0.9",
# '/intent{"entity": "value"}' (rasa/shared/core/training_data/story_reader/yaml_story_reader.py).
BUTTON_PAYLOAD = re.compile(r"^/(?P<intent>[^{@]+)")
RANKING_LENGTH = 10
DEFAULT_CONFIG: dict[str, Any] = {
    "C": 10.0,
    "embedding_weight": 2.0,
    "encoder": DEFAULT_ENCODER,
    "max_iter": 3000,
    "random_state": 2026,
}
"""C: inverse regularisation; embedding_weight: how loud meaning is next to spelling;
encoder: which sentence encoder reads meaning (haven/nlu/encoders.py)."""

# Training texts already encoded in this process, by encoder: cross-validation trains five times
# on the same sentences. Only training data goes here, never what a user types.
_training_embeddings: dict[str, dict[str, np.ndarray]] = {}


class IntentModel:
    """Logistic regression over TF-IDF n-grams and a sentence embedding."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config = {**DEFAULT_CONFIG, **(config or {})}
        self.encoder_name = check_encoder_name(self.config["encoder"])
        self.words = TfidfVectorizer(**WORDS)
        self.characters = TfidfVectorizer(**CHARACTERS)
        self.regression: LogisticRegression | None = None

    @property
    def trained(self) -> bool:
        """Whether there is anything to rank with (a pipeline without intents trains nothing)."""
        return self.regression is not None

    def fit(self, texts: list[str], intents: list[str]) -> None:
        """Fits the vectorizers and the regression on the training examples."""
        self.words.fit(texts)
        self.characters.fit(texts)
        self.regression = LogisticRegression(
            C=self.config["C"],
            max_iter=self.config["max_iter"],
            class_weight="balanced",
            random_state=self.config["random_state"],
        )
        self.regression.fit(
            self._features(texts, _embed_training(self.encoder_name, texts)), intents
        )

    def button_intent(self, text: str) -> str | None:
        """The intent a button payload such as "/step_done" names, when it is a known one.

        Rasa's RegexMessageHandler gives such a message that intent after the pipeline anyway,
        so guessing would be wasted work; a "/" text naming no known intent is read as words.
        """
        payload = BUTTON_PAYLOAD.match(text.strip())
        if payload and payload["intent"].strip() in self._known_intents:
            return payload["intent"].strip()
        return None

    def rank(self, texts: list[str]) -> list[list[dict[str, Any]]]:
        """For each typed text, its most likely intents with their confidences, best first."""
        assert self.regression is not None  # noqa: S101 (only called when trained)
        texts = [classified_text(text) for text in texts]  # not the whole of a long one
        embeddings = embed(shared_encoder(self.encoder_name), texts)
        probabilities = self.regression.predict_proba(self._features(texts, embeddings))
        names = self.regression.classes_
        return [
            [
                {"name": str(names[i]), "confidence": float(row[i])}
                for i in np.argsort(-row)[:RANKING_LENGTH]
            ]
            for row in probabilities
        ]

    @property
    def _known_intents(self) -> set[str]:
        return {str(name) for name in self.regression.classes_} if self.regression else set()

    def _features(self, texts: list[str], embeddings: np.ndarray) -> csr_matrix:
        return hstack(
            [
                self.words.transform(texts),
                self.characters.transform(texts),
                csr_matrix(embeddings * self.config["embedding_weight"]),
            ]
        ).tocsr()

    def save(self, directory: Path) -> None:
        """Saves vocabularies as JSON and the numbers as .npz (no pickle)."""
        assert self.regression is not None  # noqa: S101 (only called after training)
        vocabularies = {
            "words": {k: int(v) for k, v in self.words.vocabulary_.items()},
            "characters": {k: int(v) for k, v in self.characters.vocabulary_.items()},
        }
        (directory / "vocabularies.json").write_text(json.dumps(vocabularies))
        np.savez(
            directory / "weights.npz",
            words_idf=self.words.idf_,
            characters_idf=self.characters.idf_,
            coef=self.regression.coef_,
            intercept=self.regression.intercept_,
            classes=np.array(self.regression.classes_, dtype=str),
        )

    @classmethod
    def load(cls, directory: Path, config: Mapping[str, Any] | None = None) -> IntentModel:
        """A model saved by `save`, ready to serve; an untrained one if nothing was saved."""
        model = cls(config)
        try:
            vocabularies = json.loads((directory / "vocabularies.json").read_text())
            with np.load(directory / "weights.npz", allow_pickle=False) as weights:
                arrays = {name: weights[name] for name in weights.files}
        except (ValueError, FileNotFoundError):
            return model
        model.words.vocabulary_ = vocabularies["words"]
        model.words.idf_ = arrays["words_idf"]
        model.characters.vocabulary_ = vocabularies["characters"]
        model.characters.idf_ = arrays["characters_idf"]
        regression = LogisticRegression()
        # Fortran order makes coef_.T, which predict_proba multiplies by, C-contiguous: scipy
        # then reads it in place instead of copying 6 MB per message (0.7 ms -> 0.05 ms).
        regression.coef_ = np.asfortranarray(arrays["coef"])
        regression.intercept_ = arrays["intercept"]
        regression.classes_ = arrays["classes"]
        model.regression = regression
        # Read the weights now, not during the first user's message, and encode ahead with them.
        serve_with(model.encoder_name)
        # A loaded classifier serves messages one or a few at a time. Several BLAS threads per
        # small matrix product only fight the server's other work for the cores: on 2 cores,
        # one thread made an encoding 2-3 times faster under load (make bench).
        threadpool_limits(limits=1, user_api="blas")
        return model


def embed(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """Vectors for the texts being classified; a message's own comes encoded ahead when it can."""
    ahead = [encoded_ahead(text, encoder) for text in texts]
    missing = [text for text, vector in zip(texts, ahead, strict=True) if vector is None]
    encoded = iter(encoder.encode(missing)) if missing else iter(())
    return np.vstack([next(encoded) if vector is None else vector for vector in ahead])


def _embed_training(encoder_name: str, texts: list[str]) -> np.ndarray:
    known = _training_embeddings.setdefault(encoder_name, {})
    missing = [text for text in dict.fromkeys(texts) if text not in known]
    if missing:
        vectors = shared_encoder(encoder_name).encode(missing)
        known.update(zip(missing, vectors, strict=True))
    return np.vstack([known[text] for text in texts])
