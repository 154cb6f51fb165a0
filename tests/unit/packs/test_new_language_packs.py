"""Every pack written after English and Spanish (Portuguese (Brazil), French, German and Dutch
today): complete, in the widget's menu, and speaking its own language where it matters most: the
crisis reply, "I didn't get that", the gentle safety check and the region's help lines.

Which packs these are comes from content/languages/ (`NEW`), so a new pack gets these checks with
no edit here; the sentences each pack must say are hand-written below, one entry per language,
and a pack with no entry fails naming the list to add it to (`said`).

Everything here runs without a trained model: the language and region come from the message and
the channel's metadata (`LocaleFinder.read`, what the `LocaleHints` component puts in the slots),
and the reply from `ContentPackNLG`, as Rasa calls it on a tracker.
"""

import asyncio
import re

import pytest
import yaml
from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from haven.nlu.crisis_patterns import crisis_language
from haven.nlu.locale_finding import LocaleFinder, effective_language
from haven.packs.content import content
from haven.packs.render import Renderer
from haven.web.widget_site import load_widget_strings
from tests.support import PROJECT
from tests.support.languages import FIRST_PACKS, missing_words, packs_after_first, words_of

THIS_FILE = "tests/unit/packs/test_new_language_packs.py"
NEW = packs_after_first()
"""Every pack in content/languages/ but English and Spanish (tests/support/languages.py)."""

# Hand-written words in each language: a new pack needs its entry in each of these (and a case in
# CRISES below); `test_each_new_pack_has_its_words_in_this_file` names what is missing.
# How each pack opens its crisis reply, asks "are you safe?", and says it did not understand.
CRISIS_OPENING = {
    "pt": "Que bom que você me contou.",
    "fr": "Je suis vraiment content que tu me l'aies dit.",
    "de": "Ich bin echt froh, dass du es mir gesagt hast.",
    "nl": "Ik ben echt blij dat je het me vertelt.",
}
SAFETY_CHECK = {
    "pt": "Você está seguro agora?",
    "fr": "Est-ce que tu es en sécurité en ce moment ?",
    "de": "Bist du gerade in Sicherheit?",
    "nl": "Ben je nu veilig?",
}
REPHRASE = {
    "pt": "Desculpa, não entendi direito.",
    "fr": "Désolé, je n'ai pas bien compris.",
    "de": "Sorry, das habe ich nicht ganz verstanden.",
    "nl": "Sorry, dat begreep ik niet helemaal.",
}
# A message in the language saying what is happening ("someone has my pics and wants money").
DISCLOSURE = {
    # the issue's own examples
    "pt": "alguém tem minhas fotos e quer dinheiro",
    "fr": "il menace de publier mes photos",
    "de": "jemand erpresst mich mit Nacktbildern",
    "nl": "iemand chanteert me met naaktfoto's",
    # and the ones the first packs must keep
    "en": "someone has my pics and wants money",
    "es": "alguien tiene mis fotos y me pide dinero",
}
# Asking for the language in words, as a young person might type it.
ASKED_FOR = {
    "pt": "português",
    "fr": "en français",
    "de": "auf deutsch",
    "nl": "in het nederlands",
}
# (region, language, a crisis message written there, what the reply must say in that language)
CRISES = [
    ("br", "pt", "eu quero morrer, não aguento mais", ["ligue para 190", "CVV", "188"]),
    ("fr", "fr", "j'ai envie de mourir", ["appelle le 112", "appelle le 3114", "appelle le 119"]),
    ("ca", "fr", "je veux me suicider", ["appelle le 911", "envoie TEXTO par SMS au 686868"]),
    ("de", "de", "ich will mich umbringen", ["ruf 112 an", "TelefonSeelsorge", "116 111"]),
    ("nl", "nl", "ik wil dood", ["bel 112", "113 Zelfmoordpreventie", "bel 113 of 0800-0113"]),
]


def said(table: dict[str, str], name: str, code: str) -> str:
    """What `code`'s pack must say from the list `name` of this file (a clear failure if none)."""
    return words_of(table, name, THIS_FILE, code)


@pytest.fixture(scope="module")
def packs():
    return content()


@pytest.fixture(scope="module")
def renderer(packs):
    return Renderer(packs)


@pytest.fixture(scope="module")
def finder(packs):
    return LocaleFinder(packs)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT / "domain.yml"))


@pytest.fixture(scope="module")
def nlg(domain) -> NaturalLanguageGenerator:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HAVEN_ACTION_SECRET", "unit-test")
        config = read_endpoint_config(str(PROJECT / "endpoints.yml"), "nlg")
    return NaturalLanguageGenerator.create(config, domain)


def reply(nlg, domain, key: str, slots: dict) -> str:
    """What ContentPackNLG says for `key` on a tracker with these slots."""
    tracker = DialogueStateTracker.from_events(
        "test", [SlotSet(name, value) for name, value in slots.items()], slots=domain.slots
    )
    return asyncio.run(nlg.generate(key, tracker, "socketio"))["text"]


# --- complete ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", NEW)
def test_each_new_pack_has_its_words_in_this_file(code):
    # Without them the checks below would skip the pack or fail on a bare KeyError.
    tables = {
        "CRISIS_OPENING": CRISIS_OPENING,
        "SAFETY_CHECK": SAFETY_CHECK,
        "REPHRASE": REPHRASE,
        "DISCLOSURE": DISCLOSURE,
        "ASKED_FOR": ASKED_FOR,
    }
    missing = missing_words(tables, code)
    if code not in {language for _, language, _, _ in CRISES}:
        missing.append("CRISES (a crisis message in it, with a region's lines)")
    assert missing == [], f"{THIS_FILE} has no {code!r} in: " + ", ".join(missing)


@pytest.mark.parametrize("code", NEW)
def test_every_new_pack_has_every_text_english_has(packs, code):
    # Nothing of the new packs falls back to English: every response, every phrase of
    # language.yml (contact, labels, tools, channel, region names...) and every opening hours
    # and note of the regions' help lines.
    pack = packs.languages[code]
    assert pack.fallbacks == [], pack.fallbacks
    english = packs.languages["en"]
    assert set(pack.responses) == set(english.responses)
    for key, variations in english.responses.items():
        assert len(pack.responses[key]) == len(variations), key  # the adult variation too
    for region in packs.regions.values():
        for entry in region.entries():
            if entry.hours and not entry.hours.always:
                assert code in dict(entry.hours.texts), (region.code, entry.name or entry.label)
            if entry.note:
                assert code in dict(entry.note.texts), (region.code, entry.name)


@pytest.mark.parametrize("code", NEW)
def test_every_new_pack_has_the_consoles_and_the_widgets_texts(code):
    english = yaml.safe_load((PROJECT / "content/languages/en/console.yml").read_text())["texts"]
    path = PROJECT / "content" / "languages" / code / "console.yml"
    texts = yaml.safe_load(path.read_text(encoding="utf-8"))["texts"]
    assert set(texts) == set(english)
    placeholder = re.compile(r"\{[a-z_]+\}")
    for key, text in english.items():
        assert set(placeholder.findall(texts[key])) == set(placeholder.findall(text)), key
    widget = load_widget_strings()
    assert set(widget[code]) == set(widget["en"])
    assert all(widget[code][key] != widget["en"][key] for key in ("quick_exit", "intro_exit"))


@pytest.mark.parametrize("code", NEW)
def test_each_new_pack_is_marked_not_yet_reviewed(packs, code):
    assert packs.languages[code].reviewed is False


def test_the_widgets_menu_and_the_language_buttons_list_every_pack(packs, renderer):
    # The widget's menu is built from its strings (widget/haven.js), the chat's language buttons
    # from the packs: both must name every pack, each in its own language.
    widget = load_widget_strings()
    assert set(widget) == set(packs.languages)
    for code, pack in packs.languages.items():
        assert widget[code]["language_name"] == pack.name
    titles = {title for title, _ in renderer.language_buttons("en")}
    assert titles == {pack.name for code, pack in packs.languages.items() if code != "en"}
    assert {"Português", "Français", "Deutsch", "Nederlands", "Español"} <= titles


# --- the language: a choice beats a guess ---------------------------------------------------


@pytest.mark.parametrize("code", NEW + FIRST_PACKS)
def test_a_message_in_a_new_language_is_answered_in_it(finder, packs, code):
    text = said(DISCLOSURE, "DISCLOSURE", code)
    found = finder.read(text, None, None)
    assert found.get("language_hint") == code, found
    assert effective_language(found, packs) == code


@pytest.mark.parametrize("code", NEW)
def test_the_widgets_language_wins_over_what_the_message_looks_like(finder, packs, code):
    # The page's data-language or the menu: sent as metadata with every message.
    for text in ("i want to die", "quiero morir", "hi"):
        found = finder.read(text, {"language": code}, None)
        assert found["language_hint"] == code, (text, found)
        assert effective_language(found, packs) == code
    # Asking for the language in words is a choice too, and outlasts the channel's hint.
    asked = finder.read(said(ASKED_FOR, "ASKED_FOR", code), {"language": "en"}, None)
    assert asked["language"] == code
    assert effective_language({**asked, "language_hint": "en"}, packs) == code


# --- crisis first, in the pack's own language, with the region's lines -------------------------


@pytest.mark.parametrize(("region", "code", "message", "lines"), CRISES)
def test_a_crisis_message_gets_the_crisis_reply_in_its_language_with_the_regions_lines(
    finder, nlg, domain, region, code, message, lines
):
    # The pattern net recognises it, the message says its language, the page its country.
    assert crisis_language(message) is not None
    slots = finder.read(message, {"region": region.upper()}, "crisis")
    assert slots["language_hint"] == code and slots["region_hint"] == region, slots
    text = reply(nlg, domain, "utter_crisis", slots)
    assert text.startswith(said(CRISIS_OPENING, "CRISIS_OPENING", code)), text
    for line in lines:
        assert line in text, (line, text)
    assert "I'm really glad" not in text and "If you're" not in text


@pytest.mark.parametrize(("region", "code", "message", "lines"), CRISES)
def test_the_widgets_choice_gives_the_crisis_reply_in_that_language(
    finder, nlg, domain, region, code, message, lines
):
    # Chosen in the widget, the language holds even for a crisis typed in English.
    slots = finder.read("i want to kill myself", {"language": code, "region": region}, "crisis")
    text = reply(nlg, domain, "utter_crisis", slots)
    opening = said(CRISIS_OPENING, "CRISIS_OPENING", code)
    assert text.startswith(opening) and all(line in text for line in lines), text


@pytest.mark.parametrize(("region", "code", "message", "lines"), CRISES)
def test_not_understood_and_the_safety_check_are_in_the_packs_language(
    nlg, domain, region, code, message, lines
):
    # The classifier does not know these languages yet: its fallback and the gentle "are you
    # safe?" on a weak signal must still be in the young person's language.
    slots = {"language_hint": code, "region_hint": region}
    rephrase = reply(nlg, domain, "utter_rephrase", slots)
    assert rephrase.startswith(said(REPHRASE, "REPHRASE", code)), rephrase
    check = reply(nlg, domain, "utter_safety_check", slots)
    assert said(SAFETY_CHECK, "SAFETY_CHECK", code) in check, check
    assert lines[0] in check and lines[1] in check, check


# --- regions follow the language ------------------------------------------------------------


def test_canada_answers_in_french_or_english_as_the_young_person_writes(renderer):
    french = renderer.render("utter_crisis", language="fr", region="ca")["text"]
    assert "Kids Help Phone : appelle le 1-800-668-6868, ou envoie TEXTO par SMS au 686868" in (
        french
    )
    assert "CONNECT" not in french
    english = renderer.render("utter_crisis", language="en", region="ca")["text"]
    assert "text CONNECT to 686868" in english and "TEXTO" not in english


@pytest.mark.parametrize(
    ("region", "code", "hours"),
    [
        (
            "de",
            "de",
            "Nummer gegen Kummer: ruf 116 111 an — erreichbar Montag bis Samstag, 14 bis 20 Uhr",
        ),
        ("de", "en", "Nummer gegen Kummer: call 116 111 — open Monday to Saturday, 2 pm to 8 pm"),
        (
            "fr",
            "fr",
            "3018 (e-Enfance) : appelle le 3018, ou écris-leur sur leur chat en ligne"
            " — ouvert tous les jours, de 9 h à 23 h",
        ),
        ("br", "pt", "SaferNet: entre em new.safernet.org.br/denuncie"),
        (
            "nl",
            "nl",
            "Helpwanted.nl: bel 020 261 52 75, of ga naar helpwanted.nl, of chat online met ze",
        ),
    ],
)
def test_each_regions_help_lines_read_in_the_language_of_the_reply(renderer, region, code, hours):
    texts = [
        renderer.render(key, language=code, region=region)["text"]
        for key in ("utter_crisis", "utter_step_report_authorities")
    ]
    assert any(hours in text for text in texts), texts


@pytest.mark.parametrize(
    ("region", "code"), [("br", "pt"), ("fr", "fr"), ("de", "de"), ("nl", "nl")]
)
def test_a_region_named_in_its_own_language_sets_the_region(finder, region, code):
    said = {
        "br": "eu moro no Brasil",
        "fr": "j'habite en France",
        "de": "ich wohne in Deutschland",
        "nl": "ik woon in Nederland",
    }[region]
    found = finder.read(said, None, None)
    assert found.get("region") == region and found.get("language_hint") == code, found


def test_minors_are_never_offered_stopncii_in_the_new_languages(packs, renderer):
    for code in NEW:
        for region in packs.regions:
            for key in ("utter_step_take_down", "utter_help_take_down", "utter_answer_takedown"):
                for age_band in (None, "minor"):
                    text = renderer.render(
                        key, language=code, region=region, slots={"age_band": age_band}
                    )["text"]
                    assert "stopncii" not in text.lower(), (code, region, key, age_band)
