"""`StatedAge` (haven/rasa_edge/nlu/stated_age.py) as the NLU pipeline runs it: the `age_band`
entity that fills the slot of the same name, whatever intent the classifier chose."""

from rasa.shared.nlu.training_data.message import Message

from haven.nlu.facts import AgeReader
from haven.packs.content import content
from haven.rasa_edge.nlu.stated_age import StatedAge


def process(text: str, intent: str = "adult_user") -> dict:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": 0.97})
    message.set("entities", [{"entity": "region", "value": "us"}])
    StatedAge(AgeReader(content())).process([message])
    return {e["entity"]: e["value"] for e in message.get("entities")}


def test_a_stated_minor_is_a_minor_even_when_the_intent_says_adult():
    assert process("im 14") == {"region": "us", "age_band": "minor"}
    assert process("tengo 14 años")["age_band"] == "minor"


def test_a_stated_adult_is_an_adult():
    assert process("im 20 and my ex wants money", "disclose_sextortion")["age_band"] == "adult"


def test_no_stated_age_adds_nothing_so_the_slot_keeps_its_value():
    assert process("im not a kid tho") == {"region": "us"}
    assert process("he wants 500", "disclose_sextortion") == {"region": "us"}


def test_a_button_payload_states_no_age():
    assert "age_band" not in process('/tell_region{"region": "us"}', "tell_region")


def test_the_entity_carries_the_band_only_and_is_named_for_rasa():
    message = Message(data={"text": "im 15"})
    StatedAge(AgeReader(content())).process([message])
    (entity,) = message.get("entities")
    assert entity["value"] == "minor" and entity["extractor"] == "StatedAge"
    assert "15" not in str(entity)
