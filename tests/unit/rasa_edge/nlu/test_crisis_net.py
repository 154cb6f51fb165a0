"""The crisis net holds for button-like payloads too (haven/rasa_edge/nlu/crisis_net.py): Rasa's
RegexMessageHandler, which runs after the whole pipeline, must neither drop what follows a
payload nor store a payload's free text; real buttons' payloads work as before."""

import pytest
import rasa.engine.validation
from rasa.engine.recipes.recipe import Recipe
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.core.domain import Domain
from rasa.shared.data import TrainingType
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.io import read_yaml_file

from haven.nlu.crisis_patterns import weak_crisis_signal
from haven.rasa_edge.nlu.crisis_net import CrisisSafetyNet
from tests.support import PROJECT


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(PROJECT / "domain.yml"))


def understood(text: str, domain: Domain) -> Message:
    """The message as Rasa's NLU leaves it: the pipeline's end (the crisis net), then Rasa's
    payload step, as the default recipe's graph runs them."""
    net = CrisisSafetyNet.create({}, None, None, None)
    message = Message({TEXT: text})
    message.set(INTENT, {"name": "greet", "confidence": 1.0}, add_to_output=True)
    net.process([message])
    return RegexMessageHandler.create({}, None, None, None).process([message], domain)[0]


@pytest.mark.parametrize(
    "text",
    [
        "/greet{} i want to kill myself",
        "/greet@1.0 i want to kill myself",
        "/ask_what_to_do{} quiero suicidarme",
        '/tell_region{"region": "i want to kill myself"}',
        '/greet{"language": "en"} gonna unalive myself tonight',
    ],
)
def test_crisis_words_after_or_inside_a_payload_get_the_crisis_intent(text, domain):
    assert understood(text, domain).get(INTENT)["name"] == "crisis"


@pytest.mark.parametrize(
    ("payload", "intent"),
    [("/step_done", "step_done"), ("/crisis", "crisis"), ("/greet{} hello", "greet")],
)
def test_button_payloads_still_name_their_intent(payload, intent, domain):
    assert understood(payload, domain).get(INTENT)["name"] == intent


@pytest.mark.parametrize(
    ("payload", "entities"),
    [
        ('/tell_region{"region": "uk"}', [("region", "uk")]),
        ('/tell_region{"region": "GB"}', [("region", "uk")]),
        ('/set_language{"language": "es"}', [("language", "es")]),
        ('/tell_region{"region": "my secret diary text"}', []),
        ('/set_language{"language": "my secret diary"}', []),
        ('/greet{"region_hint": "diary", "language_hint": "en"}', [("language_hint", "en")]),
        ('/tell_region{"region": ["uk", "my diary"]}', [("region", "uk")]),
        ('/tell_region{"region": {"nested": "diary"}}', []),
    ],
)
def test_a_payload_keeps_only_entities_with_known_codes(payload, entities, domain):
    message = understood(payload, domain)
    assert [(e["entity"], e["value"]) for e in message.get(ENTITIES)] == entities


def entities_read(payload: str, metadata: dict, domain) -> list[tuple[str, str]]:
    """The entities of a payload sent with `metadata`: LocaleHints' reading of the metadata,
    then the crisis net and Rasa's payload step."""
    from haven.nlu.locale_finding import shared_finder

    net = CrisisSafetyNet.create({}, None, None, None)
    message = Message({TEXT: payload})
    message.set(INTENT, {"name": "greet", "confidence": 1.0}, add_to_output=True)
    found = shared_finder().read(payload, metadata, None)
    message.set(
        ENTITIES,
        [{"entity": name, "value": value, "start": 0, "end": 0} for name, value in found.items()],
        add_to_output=True,
    )
    net.process([message])
    read = RegexMessageHandler.create({}, None, None, None).process([message], domain)[0]
    return [(e["entity"], e["value"]) for e in read.get(ENTITIES)]


@pytest.mark.parametrize(
    ("payload", "entities"),
    [
        ("/greet", [("language_hint", "pt"), ("region_hint", "br")]),
        ("/step_done", [("language_hint", "pt"), ("region_hint", "br")]),
        ('/greet{"language_hint": "fr"}', [("language_hint", "fr"), ("region_hint", "br")]),
        (
            '/set_language{"language": "de"}',
            [("language", "de"), ("language_hint", "pt"), ("region_hint", "br")],
        ),
    ],
)
def test_a_payload_keeps_the_hints_of_the_channels_metadata(payload, entities, domain):
    # The widget's first message ("/greet") and its buttons carry the page's language: the
    # pipeline (LocaleHints) read it from the metadata, and Rasa's payload step must not drop it.
    assert entities_read(payload, {"language": "pt", "region": "BR"}, domain) == entities


@pytest.mark.parametrize(
    ("payload", "entities"),
    [
        ("/step_done", [("language", "nl"), ("language_hint", "nl")]),
        # the payload's own language wins (a language button pressed after the pick)
        ('/set_language{"language": "de"}', [("language", "de"), ("language_hint", "nl")]),
    ],
)
def test_a_payload_keeps_the_language_picked_in_the_widgets_menu(payload, entities, domain):
    # The pick goes with the next message only; a button pressed next must not lose it.
    picked = {"language": "nl", "chosen_language": "nl"}
    assert entities_read(payload, picked, domain) == entities


def classified(text: str, intent: str, confidence: float) -> Message:
    """The message after the crisis net, when the classifier read it as `intent`."""
    message = Message({TEXT: text})
    guess = {"name": intent, "confidence": confidence}
    other = {"name": "cant_tell_parents", "confidence": round(1.0 - confidence, 2)}
    message.set(INTENT, guess, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [guess, other], add_to_output=True)
    CrisisSafetyNet.create({}, None, None, None).process([message])
    return message


@pytest.mark.parametrize(
    "text",
    ["my mom is gonna kill me", "lmao im dead", "i died laughing", "esta tarea me está matando"],
)
def test_a_figure_of_speech_read_as_crisis_gets_the_gentle_check_not_the_takeover(text):
    message = classified(text, "crisis", 0.86)
    assert message.get(INTENT)["name"] == "nlu_fallback"
    assert weak_crisis_signal(message.get(INTENT_RANKING_KEY))  # "are you safe right now?"


@pytest.mark.parametrize(
    "text",
    ["he said hes going to kill me", "the guy is going to hurt me", "im not safe"],
)
def test_real_danger_keeps_the_crisis_reply(text):
    message = classified(text, "cant_tell_parents", 0.9)
    assert message.get(INTENT) == {"name": "crisis", "confidence": 1.0}


def test_the_classifiers_crisis_stands_for_a_message_that_is_no_figure():
    message = classified("i just feel so empty all the time", "crisis", 0.8)
    assert message.get(INTENT)["name"] == "crisis"


def test_a_figure_the_classifier_did_not_read_as_crisis_keeps_its_intent():
    message = classified("my parents would kill me if they knew", "cant_tell_parents", 0.9)
    assert message.get(INTENT)["name"] == "cant_tell_parents"


def ranked(text: str, *guesses: tuple[str, float]) -> Message:
    """The message after the crisis net, when the classifier ranked it so (best first)."""
    message = Message({TEXT: text})
    ranking = [{"name": name, "confidence": confidence} for name, confidence in guesses]
    message.set(INTENT, ranking[0], add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
    CrisisSafetyNet.create({}, None, None, None).process([message])
    return message


@pytest.mark.parametrize(
    "guesses",
    [
        # under check_below (0.45), the FallbackClassifier's old threshold, with crisis among
        # the top three guesses: the check, as when the fallback threshold was 0.45
        (("crisis", 0.38), ("feeling_upset", 0.3)),
        (("disclose_sextortion", 0.4), ("ai_fake", 0.2), ("crisis", 0.15)),
        # a reply that turns them away, with crisis at 0.2 or more next to it
        (("out_of_scope", 0.59), ("crisis", 0.37)),
        (("goodbye", 0.7), ("thanks", 0.05), ("crisis", 0.21)),
    ],
)
def test_a_weak_crisis_signal_gets_the_check_whatever_the_classifier_put_first(guesses):
    message = ranked("bought some razor blades for tonight", *guesses)
    assert message.get(INTENT)["name"] == "nlu_fallback"
    assert weak_crisis_signal(message.get(INTENT_RANKING_KEY))  # "are you safe right now?"


@pytest.mark.parametrize(
    ("text", "guesses"),
    [
        # a fairly sure guess with no crisis among the guesses keeps its intent
        ("he wants 200 bucks or hell post them", (("disclose_sextortion", 0.4), ("ai_fake", 0.3))),
        # a sure guess other than out_of_scope or goodbye keeps it, crisis next to it or not
        ("my mom will see them", (("cant_tell_parents", 0.6), ("crisis", 0.3))),
        # out_of_scope with crisis under 0.2
        ("whats the weather tomorrow", (("out_of_scope", 0.8), ("crisis", 0.19))),
        # a known figure of speech answered as what it is
        ("my laptop just died lol", (("out_of_scope", 0.55), ("crisis", 0.31))),
        ("se me murió el cel, luego hablamos", (("goodbye", 0.6), ("crisis", 0.3))),
    ],
)
def test_a_guess_without_a_weak_crisis_signal_keeps_its_intent(text, guesses):
    assert ranked(text, *guesses).get(INTENT)["name"] == guesses[0][0]


def test_the_thresholds_of_the_check_come_from_the_config():
    net = CrisisSafetyNet.create({"check_below": 0.3, "turn_away_check": 0.5}, None, None, None)
    message = Message({TEXT: "something"})
    ranking = [{"name": "out_of_scope", "confidence": 0.4}, {"name": "crisis", "confidence": 0.4}]
    message.set(INTENT, ranking[0], add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
    net.process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"


def test_a_second_model_can_be_trained_in_the_process_after_the_guard_is_in_place():
    """Cross-validation (`make eval-nlu`) builds one model per fold in one process: after the
    first fold's crisis net guarded Rasa's payload step, the next fold's graph must still pass
    Rasa's validation (it once failed: "needs the param 'self'")."""
    config = read_yaml_file(PROJECT / "config.yml")
    CrisisSafetyNet.create({}, None, None, None)  # installs the guard, as the first fold does
    recipe = Recipe.recipe_for_name(config["recipe"])
    graph = recipe.graph_config_for_recipe(config, {}, training_type=TrainingType.NLU)
    rasa.engine.validation.validate(graph)
