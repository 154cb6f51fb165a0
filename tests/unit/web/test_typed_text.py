"""What a person typed is made valid Unicode before anything reads it (haven/web/typed_text.py)."""

import pytest

from haven.web.typed_text import typed_text


@pytest.mark.parametrize(
    ("typed", "handled"),
    [
        ("hi there", "hi there"),
        ("h\x00i", "hi"),
        ("hi \ud800", "hi \ufffd"),  # a lone high surrogate
        ("\udfffhi", "\ufffdhi"),  # a lone low surrogate
        ("\ud83d\ude00 ok", "\U0001f600 ok"),  # a pair written as two escapes: its emoji
        ("me quiero morir \ud83d", "me quiero morir \ufffd"),
        ("ya no aguanto más 😭", "ya no aguanto más 😭"),
    ],
)
def test_typed_text_is_valid_unicode_with_every_word_kept(typed, handled):
    assert typed_text(typed) == handled
    typed_text(typed).encode("utf-8")  # what hashing, encryption and logs need
