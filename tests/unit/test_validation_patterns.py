"""Every pattern that validates input in haven/ matches the whole value: a trailing newline is
refused (`$` would accept one), so an id, name or code is exactly what was checked."""

import pytest

from haven.handoff.counselors import NAME_PATTERN
from haven.nlu.locale_finding import _LOCALE
from haven.packs.content_check import PAYLOAD
from haven.packs.help_directory import COUNTRY_CODE, REGION_CODE
from haven.packs.language_packs import LANGUAGE_CODE
from haven.packs.pack_reader import ADDRESS, PHONE
from haven.storage.crypto import KEY_ID_PATTERN
from haven.web.rest_checks import SENDER_PATTERN
from haven.web.widget_protocol import CONVERSATION_ID_PATTERN, TOKEN_PATTERN
from haven.web.widget_site import FRAME_ANCESTOR_PATTERN

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
