"""`ContentPackNLG` (haven/rasa_edge/nlg.py) as Rasa creates and calls it: from endpoints.yml, on a
tracker."""

import asyncio

import pytest
from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from haven.packs.content import ContentError
from haven.rasa_edge.nlg import ContentPackNLG
from tests.support import PROJECT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT / "domain.yml"))


@pytest.fixture(scope="module")
def nlg(domain) -> NaturalLanguageGenerator:
    # Rasa expands every ${VARIABLE} of the file; scripts/run-haven sets the action secret.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HAVEN_ACTION_SECRET", "unit-test")
        config = read_endpoint_config(str(PROJECT / "endpoints.yml"), "nlg")
    return NaturalLanguageGenerator.create(config, domain)


def say(nlg, domain, key: str, **slots) -> dict:
    tracker = DialogueStateTracker.from_events(
        "test", [SlotSet(name, value) for name, value in slots.items()], slots=domain.slots
    )
    return asyncio.run(nlg.generate(key, tracker, "rest"))


def test_endpoints_yml_loads_the_content_pack_nlg(nlg):
    assert isinstance(nlg, ContentPackNLG)


def test_a_uk_minor_in_crisis_gets_childline_and_999(nlg, domain):
    text = say(nlg, domain, "utter_crisis", region="uk")["text"]
    assert "999" in text and "Childline: call 0800 1111" in text and "85258" in text


def test_the_region_hint_is_used_until_the_user_chooses(nlg, domain):
    assert "911" in say(nlg, domain, "utter_crisis", region_hint="us")["text"]
    chosen = say(nlg, domain, "utter_crisis", region_hint="us", region="au")["text"]
    assert "000" in chosen and "911" not in chosen


def test_spanish_with_the_regions_lines(nlg, domain):
    text = say(nlg, domain, "utter_crisis", language_hint="es", region="ca")["text"]
    assert text.startswith("Me alegra mucho") and "1-800-668-6868" in text


def test_a_language_choice_beats_the_hint(nlg, domain):
    text = say(nlg, domain, "utter_greet", language_hint="es", language="en")["text"]
    assert text.startswith("Hi, I'm Haven")


def test_unknown_region_gets_help_for_anywhere_and_an_offer_to_pick(nlg, domain):
    message = say(nlg, domain, "utter_crisis")
    assert "local emergency number" in message["text"]
    assert {"title": "Choose my country", "payload": "/choose_region"} in message["buttons"]


def test_an_adult_gets_stopncii_and_a_minor_never(nlg, domain):
    adult = say(nlg, domain, "utter_step_take_down", region="us", age_band="adult")["text"]
    minor = say(nlg, domain, "utter_step_take_down", region="us")["text"]
    assert "StopNCII.org" in adult and "takeitdown.ncmec.org" in adult
    assert "StopNCII" not in minor and "takeitdown.ncmec.org" in minor


def test_an_unknown_response_is_none_for_rasa_to_log(nlg, domain):
    assert say(nlg, domain, "utter_no_such_thing") is None


def test_a_domain_response_without_english_text_stops_the_start():
    domain = Domain.from_dict({"responses": {"utter_missing": [{"text": "x"}]}})
    with pytest.raises(ContentError, match="utter_missing"):
        ContentPackNLG(None, domain)


def test_no_counselor_online_gives_the_young_persons_own_lines_in_their_language(nlg, domain):
    text = say(
        nlg, domain, "utter_request_human", handoff_status="offline", language="es", region="au"
    )["text"]
    assert "Kids Helpline" in text and "1800 55 1800" in text
    assert "childhelplineinternational.org" not in text
    assert "no hay ninguna persona consejera" in text
    unknown = say(nlg, domain, "utter_request_human", handoff_status="offline")["text"]
    assert "no counselor is online" in unknown and "Kids Helpline" not in unknown
    assert "childhelplineinternational.org" in unknown  # the default: lines for anywhere
