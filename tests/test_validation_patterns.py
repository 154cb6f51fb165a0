"""Every pattern that validates input in bot/ matches the whole value: a trailing newline is
refused (`$` would accept one), so an id, name or code is exactly what was checked."""

import pytest

from bot.channels import SENDER_PATTERN
from bot.content_check import PAYLOAD
from bot.counselors import NAME_PATTERN
from bot.crypto import KEY_ID_PATTERN
from bot.help_directory import COUNTRY_CODE, REGION_CODE
from bot.language_packs import LANGUAGE_CODE
from bot.localization import _LOCALE
from bot.pack_reader import ADDRESS, PHONE
from bot.widget_channel import CONVERSATION_ID_PATTERN, TOKEN_PATTERN
from bot.widget_web import FRAME_ANCESTOR_PATTERN

CASES = [
    (SENDER_PATTERN, "test-1"),
    (CONVERSATION_ID_PATTERN, "a" * 32),
    (TOKEN_PATTERN, "b" * 43),
    (NAME_PATTERN, "ana"),
    (KEY_ID_PATTERN, "k1"),
    (REGION_CODE, "uk"),
    (REGION_CODE, "international"),
    (COUNTRY_CODE, "GB"),
    (LANGUAGE_CODE, "es"),
    (_LOCALE, "es-MX"),
    (PHONE, "116 111"),
    (ADDRESS, "https://www.example.org/help"),
    (FRAME_ANCESTOR_PATTERN, "https://www.example.org"),
    (PAYLOAD, "/greet"),
]


@pytest.mark.parametrize(("pattern", "valid"), CASES)
def test_a_valid_value_matches_and_the_same_with_a_newline_does_not(pattern, valid):
    assert pattern.match(valid)
    assert not pattern.match(valid + "\n")
