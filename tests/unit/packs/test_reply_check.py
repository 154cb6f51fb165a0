"""`make check-content` reads every rendered reply (haven/packs/reply_check.py): the shipped packs
pass, and each thing a user must never read makes it fail, with the reply, language, region and
age."""

import shutil
from pathlib import Path

import pytest

from haven.packs.content import content, load_content
from haven.packs.reply_check import check_replies, widget_link_pattern, widget_links
from tests.support import PROJECT
from tests.unit.packs.test_content_check import edit, errors

OLD_WIDGET_RULE = (
    "  var LINK_PATTERN = new RegExp('(?:https?:\\\\/\\\\/[^\\\\s<>\"]+|\\\\b(?:[a-z0-9-]+\\\\.)+"
    "(?:org|com|gov|net|edu|uk|ie|ca|au|nz|de|fr|nl|br|in|es|mx|eu|info)\\\\b"
    "(?:\\\\/[^\\\\s<>\"]*)?)', 'gi');\n"
)
"""The widget's rule before: a fixed list of endings, so `.ar`, `.cl`, `.it` were plain text."""


@pytest.fixture
def packs(tmp_path) -> Path:
    shutil.copytree(PROJECT / "content", tmp_path / "content")
    return tmp_path / "content"


def messages(problems) -> list[str]:
    return [problem.message for problem in problems]


def test_the_shipped_replies_pass_every_reading():
    assert messages(check_replies(content())) == []


def test_a_label_written_as_an_instruction_fails_in_the_sentences_that_name_it(packs):
    edit(
        packs / "languages" / "en" / "language.yml",
        "child_helpline_finder: a helpline for young people in your country",
        "child_helpline_finder: Find a helpline for young people in your country",
    )
    found = errors(packs)
    assert any(
        "`utter_goodbye` (en, international, unknown age): names an entry by an instruction" in e
        for e in found
    ), found
    assert any("`channel.service_error` (en, international" in e for e in found), found


def test_a_label_with_a_comma_fails_because_it_breaks_a_list(packs):
    edit(
        packs / "languages" / "es" / "language.yml",
        "police_non_emergency: el número de la policía para lo que no es urgente",
        "police_non_emergency: Policía, si no es una emergencia",
    )
    found = errors(packs)
    assert any(
        "`utter_recovery_service` (es, uk, unknown age): names an entry with a comma" in e
        for e in found
    ), found


def test_stopncii_named_to_a_minor_or_someone_of_unknown_age_fails(packs):
    edit(
        packs / "languages" / "en" / "responses.yml",
        "With Take It Down, you don't send the picture to anyone",
        "With Take It Down or StopNCII, you don't send the picture to anyone",
    )
    found = errors(packs)
    for who in ("unknown age", "age_band minor"):
        assert any(
            f"`utter_why_take_down` (en, us, {who}): offers an 18+ tool" in e for e in found
        ), found
    assert not any("`utter_why_take_down` (en, us, age_band adult)" in e for e in found)


def test_an_adult_told_to_say_they_are_under_18_fails(packs):
    # Without its adult variation, step 4 tells an 18-year-old to say they are under 18.
    path = packs / "languages" / "en" / "responses.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  utter_step_block_report:\n") + len("  utter_step_block_report:\n")
    end = text.index('    - text: "Step 4:', start)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    found = errors(packs)
    assert any(
        "`utter_step_block_report` (en, uk, age_band adult): tells an adult to say they are "
        "under 18 ('you are under 18')" in e
        for e in found
    ), found


def test_a_reply_too_long_for_a_phone_fails(packs):
    # Found when Dutch was added from scratch (docs/localize.md, "Tried from scratch"): a
    # translated tool text made step 7 in the UK 1,012 characters, and only a unit test saw it.
    path = packs / "languages" / "es" / "responses.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index('"Paso 7:')
    path.write_text(text[:start] + '"' + "Muy largo. " * 92 + text[start + 1 :], encoding="utf-8")
    found = errors(packs)
    assert any(
        "`utter_step_take_down` (es, uk, unknown age): is " in e and "more than 1000" in e
        for e in found
    ), found


def test_an_adult_spoken_to_as_a_child_fails(packs):
    edit(
        packs / "languages" / "es" / "responses.yml",
        "Alguien de tu confianza lo puede hacer contigo.",
        "Un adulto de confianza lo puede hacer contigo.",
    )
    found = errors(packs)
    assert any(
        "`utter_step_report_authorities` (es, mx, age_band adult): speaks to an adult as to a "
        "child ('adulto de confianza')" in e
        for e in found
    ), found


def test_a_line_only_for_under_18s_given_to_an_adult_fails(packs):
    # Childline is for young people (`ages: under_18`): an adult's reply must never give it.
    edit(
        packs / "languages" / "en" / "responses.yml",
        "Someone you trust can do this with you. You are not",
        "Childline (call 0800 1111) can do this with you. You are not",
    )
    found = messages(check_replies(load_content(packs)))
    assert any(
        "`utter_step_report_authorities` (en, uk, age_band adult): gives an adult a line for "
        "under-18s only (0800 1111)" in m
        for m in found
    ), found


def test_an_address_the_widget_would_show_as_plain_text_fails(packs, tmp_path):
    widget = tmp_path / "haven.js"
    shipped = (PROJECT / "widget" / "haven.js").read_text(encoding="utf-8")
    start = shipped.index("  var LINK_PATTERN = new RegExp(")
    end = shipped.index("\n", start) + 1
    widget.write_text(shipped[:start] + OLD_WIDGET_RULE + shipped[end:], encoding="utf-8")
    found = messages(check_replies(load_content(packs), widget_js=widget))
    assert any("(en, cl, unknown age): shows pdichile.cl as plain text" in m for m in found), found
    assert any("shows argentina.gob.ar/grooming as plain text" in m for m in found), found


@pytest.mark.parametrize(
    "address", ["argentina.gob.ar/grooming", "pdichile.cl", "example.it", "help.example.co.za/x"]
)
def test_the_widget_links_any_countrys_address(address):
    text = f"- Somewhere: go to {address}, or call 123."
    assert widget_links(text, widget_link_pattern()) == [address]


def test_the_widget_links_no_ordinary_words():
    text = "Step 3: Save it. Then block them, e.g. on the app. window.__xss 1.5 3114"
    assert widget_links(text, widget_link_pattern()) == []
