"""`LocaleHints` (haven/rasa_edge/nlu/locale_hints.py) as the NLU pipeline runs it."""

from rasa.shared.nlu.training_data.message import Message

from haven.nlu.locale_finding import LocaleFinder
from haven.packs.content import content
from haven.rasa_edge.nlu.locale_hints import LocaleHints


def process(text: str, intent: str | None = None, metadata: dict | None = None) -> dict:
    message = Message(data={"text": text, "metadata": metadata})
    if intent:
        message.set("intent", {"name": intent, "confidence": 0.9})
    message.set("entities", [{"entity": "other", "value": "kept"}])
    LocaleHints(LocaleFinder(content())).process([message])
    return {e["entity"]: e["value"] for e in message.get("entities")}


def test_entities_for_language_and_region_are_added_and_others_kept():
    assert process("me quiero matar", "crisis", {"region": "GB"}) == {
        "other": "kept",
        "language_hint": "es",
        "region_hint": "uk",
    }


def test_a_place_without_a_pack_is_the_international_fallback():
    assert process("vivo en japon", "tell_region")["region"] == "international"


def test_metadata_language_wins_over_the_message():
    assert process("hola", "greet", {"language": "en"})["language_hint"] == "en"


def test_the_extractor_is_named_for_rasa():
    message = Message(data={"text": "im in the uk", "metadata": None})
    LocaleHints(LocaleFinder(content())).process([message])
    assert message.get("entities")[0]["extractor"] == "LocaleHints"


def test_a_negated_country_is_not_chosen_and_help_for_anywhere_is():
    found = process(
        "these numbers are for the US, I'm not there", "out_of_scope", {"locale": "en-US"}
    )
    assert found["region"] == "international" and found["region_hint"] == "us"


def test_a_city_finds_its_region_whatever_the_intent():
    assert process("i live in manchester", "greet")["region"] == "uk"
