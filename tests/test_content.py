"""What the bot says, in every language, region and age group: facts only from the packs (and the
packs' facts from the help directory), StopNCII only for adults, no blame, safe advice.

Every response is rendered as a user would get it (bot/render.py); no trained model is needed.
"""

import re
from pathlib import Path

import pytest

from bot.channels import load_channel_messages
from bot.content import INTERNATIONAL, content
from bot.content_check import sources_table
from bot.render import Renderer

PROJECT = Path(__file__).resolve().parent.parent
HELP_DIRECTORY = PROJECT.parent / "shared" / "reference" / "help-directory.md"
AGES = (None, "adult")

PHONE_LIKE = re.compile(r"(?<![\w-])(?:\d[\d -]{4,}\d|\d{3,})(?![\w-])")
ADDRESS_LIKE = re.compile(
    r"\b(?:[a-z0-9-]+\.)+(?:org|com|gov|net|uk|ie|ca|au|nz|de|fr|nl|br|in|mx|es|ar|co|cl|pe)\b",
    re.I,
)
PAGE = re.compile(r"\b(?:[a-z0-9-]+\.)+[a-z]{2,}/[^ ;,)]+", re.I)
"""A page's address in a `source` ("3114.fr/que-se-passe-t-il-quand-je-contacte-le-3114/")."""


@pytest.fixture(scope="module")
def packs():
    return content()


@pytest.fixture(scope="module")
def renderer(packs):
    return Renderer(packs)


def rendered(packs, renderer, ages=AGES):
    """(language, region, age_band, key, text, buttons) for every response anyone can get."""
    for language, pack in packs.languages.items():
        for region in [*packs.regions, None]:
            for age_band in ages:
                slots = {"age_band": age_band, "progress_done": "-", "progress_left": "-"}
                for key in pack.responses:
                    message = renderer.render(key, language=language, region=region, slots=slots)
                    yield language, region, age_band, key, message["text"], message.get("buttons")


def every_text(packs, renderer):
    for language, region, age_band, key, text, buttons in rendered(packs, renderer):
        yield (language, region, age_band, key), text
        for button in buttons or []:
            yield (language, region, age_band, key), button["title"]
    for language in packs.languages:
        for region in packs.regions:
            metadata = {"language": language, "region": region}
            for key, text in load_channel_messages(metadata).items():
                yield (language, region, None, f"channel:{key}"), text


def known_values(packs) -> list[str]:
    values = [value for entry in packs.entries() for value in _values(entry)]
    return sorted(values, key=len, reverse=True)


def _values(entry) -> list[str]:
    return entry.values() if hasattr(entry, "values") else [entry.web]


def test_every_number_and_address_the_bot_gives_comes_from_a_pack(packs, renderer):
    known = known_values(packs)
    unlisted = set()
    for where, text in every_text(packs, renderer):
        rest = text
        for value in known:
            rest = re.sub(re.escape(value), " ", rest, flags=re.I)
        for found in PHONE_LIKE.findall(rest) + ADDRESS_LIKE.findall(rest):
            unlisted.add((where[0], where[3], found))
    assert not unlisted, f"numbers or addresses that no pack lists: {sorted(unlisted)[:10]}"


def test_every_entry_is_dated_and_says_where_it_comes_from(packs):
    for entry in packs.entries():
        assert entry.source and entry.checked and str(entry.checked) >= "2026-01-01", entry
        assert isinstance(entry.verified, bool), entry


def directory_cells() -> list[str]:
    cells = []
    for line in HELP_DIRECTORY.read_text(encoding="utf-8").splitlines():
        cells += [cell.strip().lower() for cell in line.split("|")] if "|" in line else [line]
    return cells


def entry_values_and_cells(packs):
    """(entry, value, the help directory's table cells that give the value) for every fact."""
    cells = directory_cells()
    for entry in packs.entries():
        for value in _values(entry):
            yield entry, value, [cell for cell in cells if value.lower() in cell]


@pytest.mark.skipif(not HELP_DIRECTORY.exists(), reason="../shared/reference is not checked out")
def test_facts_said_to_come_from_the_help_directory_are_in_it(packs):
    for entry, value, holding in entry_values_and_cells(packs):
        if entry.source.startswith("help-directory.md"):
            assert holding, (entry.source, value)


def test_a_verified_fact_from_outside_the_help_directory_names_the_page_it_was_checked_on(packs):
    for entry in packs.entries():
        if entry.verified and not entry.source.startswith("help-directory.md"):
            assert PAGE.search(entry.source), f"verified, but no page is named: {entry.source}"


def test_every_region_has_a_crisis_line_that_answers_at_any_hour(packs):
    for code, region in packs.regions.items():
        if code != INTERNATIONAL:  # the fallback points to a directory of every country's lines
            assert any(entry.always_open for entry in region.crisis), code


def test_docs_sources_md_lists_every_fact_as_the_packs_have_it(packs):
    shipped = (PROJECT / "docs" / "sources.md").read_text(encoding="utf-8")
    assert shipped == sources_table(packs), "docs/sources.md is out of date: run `make sources`"
    for entry in packs.entries():
        assert entry.source in shipped


@pytest.mark.skipif(not HELP_DIRECTORY.exists(), reason="../shared/reference is not checked out")
def test_what_the_help_directory_marks_verify_ships_unverified(packs):
    for entry, value, holding in entry_values_and_cells(packs):
        if holding and all("(verify" in cell for cell in holding):
            assert entry.verified is False, value


def test_stopncii_is_never_offered_to_anyone_under_18_or_of_unknown_age(packs, renderer):
    for language, region, _, key, text, _ in rendered(packs, renderer, ages=(None,)):
        assert "stopncii" not in text.lower(), (language, region, key)


def test_adults_get_stopncii_and_everyone_gets_take_it_down(packs, renderer):
    for language in packs.languages:
        for region in packs.regions:
            for age_band in AGES:
                slots = {"age_band": age_band}
                text = renderer.render(
                    "utter_step_take_down", language=language, region=region, slots=slots
                )["text"]
                assert "takeitdown.ncmec.org" in text, (language, region, age_band)
                assert ("StopNCII.org" in text) == (age_band == "adult"), (language, region)


@pytest.mark.parametrize(
    ("tool", "only_in"), [("childline.org.uk/remove", "uk"), ("NeedHelpNow.ca", "ca")]
)
def test_regional_tools_are_offered_to_minors_in_their_region_only(packs, renderer, tool, only_in):
    for language, region, age_band, key, text, _ in rendered(packs, renderer):
        if tool in text:
            assert region == only_in and age_band is None, (language, region, key)
    text = renderer.render("utter_step_take_down", language="en", region=only_in, slots={})
    assert tool in text["text"]


BLAME = {
    "en": re.compile(
        r"\bwhy (did|would|were) you\b"
        r"|\byou should(n't| not) have (sent|done|shared|trusted|talked)\b"
        r"|\bhow could you\b"
    ),
    "es": re.compile(
        r"\bpor ?qu[eé] (lo )?(hiciste|mandaste|enviaste)\b"
        r"|\bno (deber[ií]as|tendr[ií]as que) haber\b"
        r"|\bc[oó]mo pudiste\b"
    ),
}


def test_every_language_has_wording_checks():
    # A new language adds its blame and keep-the-image patterns here (docs/localize.md).
    for language in content().languages:
        assert language in BLAME and language in KEEP_VERBS, language


def test_nothing_the_bot_says_blames_the_young_person(packs, renderer):
    for where, text in every_text(packs, renderer):
        assert not BLAME[where[0]].search(text.lower()), where


KEEP_VERBS = {
    "en": re.compile(r"\b(screenshot|save|keep|forward|send|upload|share)\b"),
    "es": re.compile(r"\b(captura|guard|reenv|mand|envi|sub|compart)\w*"),
}
THE_IMAGE = {
    "en": re.compile(r"\b(picture|image|photo|video|nude)s?\b"),
    "es": re.compile(r"\b(foto|imagen|video|nude|pack)s?\b"),
}
ITSELF = {"en": "itself", "es": "misma"}
NEGATION = {
    "en": re.compile(r"\b(never|don't|do not|not|no need|don't need|won't|doesn't)\b"),
    "es": re.compile(r"\b(nunca|no|jam[aá]s|ni)\b"),
}


def test_evidence_advice_never_asks_to_keep_or_send_the_image_itself(packs, renderer):
    for where, text in every_text(packs, renderer):
        language = where[0]
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text.lower()):
            if (
                KEEP_VERBS[language].search(sentence)
                and THE_IMAGE[language].search(sentence)
                and ITSELF[language] in sentence
            ):
                assert NEGATION[language].search(sentence), (where, sentence)


def test_evidence_step_says_what_to_save_and_never_the_image(renderer):
    text = renderer.render("utter_step_save_evidence", language="en", region=None)["text"].lower()
    for thing in ("chat", "profile", "username", "links", "pay", "dates"):
        assert thing in text
    assert "never screenshot, save or send on the picture or video itself" in text
    assert "don't delete your account" in text


def test_the_greeting_discloses_a_bot_its_limits_and_asks_for_no_name_or_pictures(renderer):
    text = renderer.render("utter_greet", language="en", region=None)["text"].lower()
    assert "automated assistant" in text and "not a person" in text
    assert "can't" in text  # what it cannot do
    assert "private, but" in text  # limits of confidentiality
    assert "don't tell me your name" in text and "never send me any pictures" in text


def test_every_step_offers_done_why_and_help_in_every_language(packs, renderer):
    for language, pack in packs.languages.items():
        for key in pack.responses:
            if key.startswith("utter_step_"):
                message = renderer.render(key, language=language, region="us")
                payloads = {button["payload"] for button in message["buttons"]}
                assert payloads == {"/step_done", "/ask_why", "/need_help_step"}, (language, key)


def test_crisis_reply_gives_the_regions_lines_first(packs, renderer):
    for language in packs.languages:
        for code, region in packs.regions.items():
            text = renderer.render("utter_crisis", language=language, region=code)["text"]
            first = region.crisis[0].values()[0]
            assert first in text and text.index(first) < 400, (language, code)
            for number in region.emergency.values():
                assert number in text, (language, code)


def test_replies_stay_short_enough_to_read_on_a_phone(packs, renderer):
    for where, text in every_text(packs, renderer):
        assert len(text) <= 1000, f"{where} is {len(text)} characters"
