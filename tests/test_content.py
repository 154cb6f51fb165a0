"""What the bot says: facts only from sources, StopNCII only for adults, no blame, safe advice.

These checks read domain.yml and content/ as data; they need no trained model.
"""

import re
from pathlib import Path

import pytest
import yaml

from bot.channels import load_channel_messages

PROJECT = Path(__file__).resolve().parent.parent
HELP_DIRECTORY = PROJECT.parent / "shared" / "reference" / "help-directory.md"

PHONE = re.compile(r"(?<![\w-])(?:1-800-[0-9A-Z-]{7,8}|\d{3,})(?![\w-])")
ADDRESS = re.compile(
    r"\b(?:[a-z0-9-]+\.)+(?:org|com|gov|net|uk|ie|ca|au|nz|de|fr|nl|br|in)\b", re.I
)


def response_variations(domain):
    for key, variations in domain["responses"].items():
        for variation in variations:
            yield key, variation


def texts_the_bot_sends(domain):
    for key, variation in response_variations(domain):
        yield key, variation.get("text", "")
        for button in variation.get("buttons") or []:
            yield key, button["title"]
    for key, text in load_channel_messages().items():
        yield f"channel:{key}", text


@pytest.fixture(scope="module")
def sources():
    with (PROJECT / "content" / "sources.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)["facts"]


def test_every_number_and_address_the_bot_gives_is_in_the_sources(domain, sources):
    known = {fact["value"].lower() for fact in sources}
    unlisted = set()
    for key, text in texts_the_bot_sends(domain):
        for found in PHONE.findall(text) + ADDRESS.findall(text):
            if found.lower() not in known:
                unlisted.add((key, found))
    assert not unlisted, f"numbers or addresses without a source in content/sources.yml: {unlisted}"


def test_every_source_entry_is_dated_and_says_where_it_comes_from(sources):
    for fact in sources:
        assert fact["source"] and fact["what"], fact
        assert str(fact["checked"]) >= "2026-01-01", fact
        assert isinstance(fact["verified"], bool), fact


@pytest.mark.skipif(not HELP_DIRECTORY.exists(), reason="../shared/reference is not checked out")
def test_facts_said_to_come_from_the_help_directory_are_in_it(sources):
    directory = HELP_DIRECTORY.read_text(encoding="utf-8").lower()
    for fact in sources:
        if fact["source"].startswith("help-directory.md"):
            assert fact["value"].lower() in directory, fact
        else:
            assert fact["verified"] is False, f"{fact['value']} has a secondary source only"


def test_stopncii_is_only_ever_offered_to_adults(domain):
    for key, variation in response_variations(domain):
        if "stopncii" not in variation.get("text", "").lower():
            continue
        conditions = variation.get("condition") or []
        adult_only = any(
            c.get("name") == "age_band" and c.get("value") == "adult" for c in conditions
        )
        assert adult_only or key == "utter_adult_user", key


def test_every_variation_for_adults_has_a_default_for_everyone_else(domain):
    for key, variations in domain["responses"].items():
        if any(v.get("condition") for v in variations):
            assert any(not v.get("condition") for v in variations), key


BLAME = re.compile(
    r"\bwhy (did|would|were) you\b"
    r"|\byou should(n't| not) have (sent|done|shared|trusted|talked)\b"
    r"|\bhow could you\b"
)


def test_nothing_the_bot_says_blames_the_young_person(domain):
    for key, text in texts_the_bot_sends(domain):
        assert not BLAME.search(text.lower()), key


KEEP_VERBS = re.compile(r"\b(screenshot|save|keep|forward|send|upload|share)\b")
THE_IMAGE = re.compile(r"\b(picture|image|photo|video|nude)s?\b")
NEGATION = re.compile(r"\b(never|don't|do not|not|no need|don't need|won't|doesn't)\b")


def test_evidence_advice_never_asks_to_keep_or_send_the_image_itself(domain):
    for key, text in texts_the_bot_sends(domain):
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text.lower()):
            if KEEP_VERBS.search(sentence) and THE_IMAGE.search(sentence) and "itself" in sentence:
                assert NEGATION.search(sentence), (key, sentence)


def test_evidence_step_says_what_to_save_and_never_the_image(domain):
    text = domain["responses"]["utter_step_save_evidence"][0]["text"].lower()
    for thing in ("chat", "profile", "username", "links", "pay", "dates"):
        assert thing in text
    assert "never screenshot, save or send on the picture or video itself" in text
    assert "don't delete your account" in text


def test_the_greeting_discloses_a_bot_its_limits_and_asks_for_no_name_or_pictures(domain):
    text = domain["responses"]["utter_greet"][0]["text"].lower()
    assert "automated assistant" in text and "not a person" in text
    assert "can't" in text  # what it cannot do
    assert "private, but" in text  # limits of confidentiality
    assert "don't tell me your name" in text and "never send me any pictures" in text


def test_every_step_offers_done_why_and_help(domain):
    for key, variation in response_variations(domain):
        if key.startswith("utter_step_"):
            payloads = {button["payload"] for button in variation["buttons"]}
            assert payloads == {"/step_done", "/ask_why", "/need_help_step"}, key


def test_crisis_reply_gives_the_crisis_lines_first(domain):
    text = domain["responses"]["utter_crisis"][0]["text"]
    assert "988" in text and "911" in text
    assert text.index("988") < 400


def test_replies_stay_short_enough_to_read_on_a_phone(domain):
    for key, text in texts_the_bot_sends(domain):
        assert len(text) <= 700, f"{key} is {len(text)} characters"
