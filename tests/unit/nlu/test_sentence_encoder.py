"""The sentence encoder: BERT's tokenizer, meaning-preserving vectors, a checked weights file."""

import numpy as np
import pytest

from haven.nlu.sentence_encoder import (
    SentenceEncoder,
    WordPieceTokenizer,
    model_dir,
    shared_encoder,
)


@pytest.fixture(scope="module")
def tokenizer():
    return WordPieceTokenizer((model_dir() / "vocab.txt").read_text(encoding="utf-8"))


def test_tokenizer_lowercases_strips_accents_and_splits_punctuation(tokenizer):
    vocab = {index: word for word, index in tokenizer.vocab.items()}
    words = [vocab[i] for i in tokenizer.ids("Héllo, he's SEXTORTING me!!")[1:-1]]
    assert words[:4] == ["hello", ",", "he", "'"]
    assert "".join(w.removeprefix("##") for w in words[5:-3]) == "sextorting"
    assert words[-3:] == ["me", "!", "!"]


def test_tokenizer_bounds_long_and_odd_input(tokenizer):
    ids = tokenizer.ids("pay " * 1000)
    assert len(ids) == 128 and ids[0] == tokenizer.cls and ids[-1] == tokenizer.sep
    assert tokenizer.ids("") == [tokenizer.cls, tokenizer.sep]
    assert tokenizer.ids("\x00\ufffd😭") == [tokenizer.cls, tokenizer.unknown, tokenizer.sep]


def test_paraphrases_are_closer_than_unrelated_sentences():
    paid, sent_money, weather = shared_encoder().encode(
        ["i already paid him", "i sent him money already", "what is the weather today"]
    )
    assert paid @ sent_money > 0.6
    assert paid @ weather < 0.2


def test_vectors_are_unit_length_and_do_not_depend_on_batching():
    texts = ["someone has my nudes", "hi", "he says he will post my pics unless i pay"]
    together = shared_encoder().encode(texts)
    alone = np.vstack([shared_encoder().encode([text]) for text in texts])
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-5)
    assert shared_encoder().encode([]).shape == (0, 384)


@pytest.mark.parametrize("changed", ["model.safetensors", "vocab.txt"])
def test_a_changed_model_file_is_refused(tmp_path, changed):
    for name in ("vocab.txt", "model.safetensors"):
        (tmp_path / name).write_bytes((model_dir() / name).read_bytes())
    with (tmp_path / changed).open("r+b") as handle:
        handle.seek(-1, 2)
        handle.write(b"\x01")
    with pytest.raises(RuntimeError, match=f"{changed} is not the all-MiniLM-L6-v2 model"):
        SentenceEncoder(tmp_path)
