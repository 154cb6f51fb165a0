"""Which languages a test checks, read from the files, and the hand-written words it needs in each.

A language is added by its files (content/languages/<code>/, tests/nlu_heldout/<code>.yml,
docs/localize.md "Add a language"), never by editing a list of codes in Python: the tests of
every tier that check each pack take the codes from here. What they cannot read from the files
is what a pack must say, written by hand in that language; a pack with no entry fails with the
name of the list and the file to add it to (`words_of`), not with a bare KeyError.
"""

from __future__ import annotations

import pytest

from haven.packs.content import content

FIRST_PACKS = ("en", "es")
"""The packs written first, English and Spanish: their texts are checked word by word in
tests/unit/packs/test_content.py and the conversation tests; the packs after them share the
checks of tests/unit/packs/test_new_language_packs.py and tests/browser/test_widget_languages.py."""


def packs_after_first() -> tuple[str, ...]:
    """Every pack of content/languages/ but English and Spanish, as the packs' own loader reads
    them (a folder with only `crisis.yml` is no pack), in alphabetical order."""
    return tuple(sorted(code for code in content().languages if code not in FIRST_PACKS))


def words_of(table: dict[str, str], name: str, where: str, code: str) -> str:
    """`table[code]`, or a test failure saying which list of which file needs `code`'s words."""
    if code not in table:
        pytest.fail(f"{name} in {where} has no entry for {code!r}: add one in that language")
    return table[code]


def missing_words(tables: dict[str, dict[str, str]], code: str) -> list[str]:
    """The names of the lists in `tables` that have no entry for `code`."""
    return [name for name, table in tables.items() if code not in table]
