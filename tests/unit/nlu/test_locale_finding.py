"""Language and region: what the user says, what the channel hints, and which one wins
(haven/nlu/locale_finding.py). Plain Python over the shipped packs; no Rasa needed."""

import pytest

from haven.nlu.locale_finding import LocaleFinder, effective_language, effective_region
from haven.packs.content import content


@pytest.fixture(scope="module")
def packs():
    return content()


@pytest.fixture(scope="module")
def finder(packs):
    return LocaleFinder(packs)


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("I'm in the UK", "uk"),
        ("i live in northern ireland", "uk"),  # not Ireland: the longer name wins
        ("im in ireland", "ie"),
        ("we live in the U.S.", "us"),
        ("vivo en estados unidos", "us"),
        ("im canadian", "ca"),
        ("i live in toronto", "ca"),
        ("from australia", "au"),
        ("new zealand", "nz"),
        ("vivo en alemania", "de"),
        ("je suis en France", "fr"),
        ("we're in the netherlands", "nl"),
        ("vivo en Brasil", "br"),
        ("im from india", "in"),
        ("vivo en Países Bajos", "nl"),
        ("help us please", None),  # "us" alone is a word, not a country
        ("vivo en México", "mx"),
        ("soy de cdmx", "mx"),
        ("i live in new mexico", "us"),  # the US state, not the country: the longer name wins
        ("vivo en España", "es"),
        ("im from madrid", "es"),
        ("hablo español", None),  # the language, not Spain
        ("soy argentina, de buenos aires", "ar"),
        ("vivo en Bogotá", "co"),
        ("soy chilena", "cl"),
        ("vivo en santiago de chile", "cl"),
        ("im in lima peru", "pe"),
        ("vivo en Japón", None),
        ("someone has my pics", None),
    ],
)
def test_regions_named_in_words(finder, text, region):
    assert finder.named_region(text) == region


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("in Spanish please", "set_language", None),  # Spanish is named in English...
        ("en español por favor", "set_language", "es"),
        ("español", None, "es"),  # a bare switch needs no intent
        ("english pls", None, "en"),
        ("can you talk in english", "set_language", "en"),
        ("my english teacher saw the pics", "disclose_sextortion", None),
    ],
)
def test_requests_to_switch_language(finder, text, intent, language):
    if text == "in Spanish please":
        language = "es"  # ...and "spanish" is one of Spanish's switch words
    assert finder.requested_language(text, intent) == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("someone has my pics and wants money", "en"),
        ("what do i do now", "en"),
        ("hi", "en"),
        ("alguien tiene mis fotos y me pide dinero", "es"),
        ("q hago wey", "es"),
        ("hola", "es"),
        ("me quiero matar", "es"),  # the crisis patterns count for their language
        ("¿y ahora qué?", "es"),  # ¿ is Spanish
        ("ok", None),
        ("no", None),
        ("", None),
    ],
)
def test_the_language_of_a_message_is_detected_or_left_open(finder, text, language):
    assert finder.detect_language(text) == language


@pytest.mark.parametrize(
    ("text", "region", "language"),
    [
        # French 2 (parler, intervenant), Spanish 3 (tu, de, un): too close to tell...
        ("yé tu possible de parler a un intervenant?", None, None),
        # ...but in Canada, where people write English or French, it is French
        ("yé tu possible de parler a un intervenant?", "ca", "fr"),
        ("y a tu quelqu'un de vrai qui peut me parler", "ca", "fr"),
        # the region only decides between close languages: clear Spanish stays Spanish there
        ("tengo miedo de que publique mis fotos", "ca", "es"),
        # and it needs two words of its language: "ok" says nothing, in Canada too
        ("ok", "ca", None),
        # a region whose languages are not among the close ones decides nothing
        ("yé tu possible de parler a un intervenant?", "de", None),
        ("yé tu possible de parler a un intervenant?", "xx", None),
    ],
)
def test_close_languages_are_decided_by_the_regions_languages(finder, text, region, language):
    assert finder.detect_language(text, region) == language


def test_the_region_of_the_metadata_or_the_message_decides_close_languages(finder):
    message = "yé tu possible de parler a un intervenant?"
    assert finder.read(message, {"region": "CA"}, None)["language_hint"] == "fr"
    assert finder.read(message + " montreal", None, None)["language_hint"] == "fr"
    assert "language_hint" not in finder.read(message + " berlin", None, None)
    assert "language_hint" not in finder.read(message, None, None)


@pytest.mark.parametrize(
    ("metadata", "language", "region"),
    [
        ({"language": "es"}, "es", None),
        ({"language": "es-MX"}, "es", None),
        ({"locale": "en-GB"}, "en", "uk"),
        ({"locale": "es_US"}, "es", "us"),
        ({"locale": "es-MX"}, "es", "mx"),
        ({"locale": "es-ES"}, "es", "es"),  # Spain, the region, from the locale's country
        ({"locale": "es"}, "es", None),  # the language alone names no region
        ({"region": "es"}, None, "es"),
        ({"locale": "es-VE"}, "es", None),  # Venezuela has no pack: no hint, the fallback
        ({"region": "GB"}, None, "uk"),
        ({"region": "ca"}, None, "ca"),
        ({"region": "CA", "locale": "en-GB"}, "en", "ca"),  # region beats locale
        ({"language": "xx", "region": "ZZ"}, None, None),
        ({}, None, None),
        (None, None, None),
    ],
)
def test_channel_metadata_hints(finder, metadata, language, region):
    assert finder.language_from_metadata(metadata) == language
    assert finder.region_from_metadata(metadata) == region


def test_reading_a_message_gives_choices_and_hints(finder):
    assert finder.read("vivo en japon", None, "tell_region") == {
        "language_hint": "es",
        "region": "international",
    }
    assert finder.read("I'm in the UK", {"language": "es"}, "tell_region") == {
        "language_hint": "es",  # metadata wins over what the message looks like
        "region": "uk",
    }
    assert finder.read("/step_done", {"region": "NZ"}, "step_done") == {"region_hint": "nz"}
    assert finder.read("en español", None, "set_language") == {
        "language": "es",
        "language_hint": "es",
    }


def test_a_choice_beats_a_hint_and_unknown_means_english_and_no_region(packs):
    assert effective_language({"language": "en", "language_hint": "es"}, packs) == "en"
    assert effective_language({"language_hint": "es"}, packs) == "es"
    assert effective_language({"language": "xx"}, packs) == "en"
    assert effective_language({}, packs) == "en"
    assert effective_region({"region": "uk", "region_hint": "us"}, packs) == "uk"
    assert effective_region({"region_hint": "us"}, packs) == "us"
    assert effective_region({"region": "international"}, packs) == "international"
    assert effective_region({"region": "mars"}, packs) is None
    assert effective_region({}, packs) is None


def test_a_language_picked_in_the_menu_is_a_choice_and_a_sentence_typed_with_it_wins(finder):
    picked = {"language": "fr", "chosen_language": "fr"}
    # The widget sends the pick once: a choice (slot `language`), whatever the message says.
    assert finder.read("ok", picked, "affirm") == {"language": "fr", "language_hint": "fr"}
    assert finder.read("/step_done", picked, "step_done") == {
        "language": "fr",
        "language_hint": "fr",
    }
    # "in english please" was typed after the pick (it is in the message that carries it).
    assert finder.read("in english please", picked, "set_language")["language"] == "en"
    # The messages after it carry the widget's language as a hint only.
    assert "language" not in finder.read("ok", {"language": "fr"}, "affirm")
    # Only a code a pack has; free text never becomes a choice.
    assert "language" not in finder.read("ok", {"chosen_language": "my diary"}, "affirm")


def test_the_channel_metadata_kept_is_known_codes_only(finder):
    kept = finder.known_metadata(
        {"language": "fr", "chosen_language": "FR-ca", "locale": "fr-CA", "ip": "10.0.0.1"}
    )
    assert kept == {"language": "fr", "chosen_language": "fr", "locale": "fr-CA"}
    assert finder.known_metadata({"chosen_language": "klingon"}) == {}


def test_a_country_named_then_negated_gives_the_help_that_works_anywhere(finder):
    # The US was chosen here until the negation was read over the whole message (README, batch 6).
    said = finder.read("those are american numbers, im not in america", None, "choose_region")
    assert said["region"] == "international"
    assert finder.read("im not in america", None, "choose_region")["region"] == "international"
    assert finder.read("moro no Brasil", None, "tell_region")["region"] == "br"
    assert finder.read("não moro no Brasil", None, "choose_region")["region"] == "international"
    assert finder.read("no estoy en México", None, "choose_region")["region"] == "international"


def test_german_cities_are_found_as_germans_write_them(finder):
    for said in ("ich lebe in münchen", "wohne in Köln", "bin aus muenchen"):
        assert finder.read(said, None, "tell_region")["region"] == "de"
    assert finder.read("ich wohne in Großbritannien", None, "tell_region")["region"] == "uk"
    assert finder.read("ich wohne in grossbritannien", None, "tell_region")["region"] == "uk"
