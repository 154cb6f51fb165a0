"""haven/rasa_edge/patches/speedups.py gives exactly Rasa's answers, only faster."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from haven.rasa_edge.patches import speedups as rasa_speedups
from haven.rasa_edge.rest_channel import HavenRestInput

ORIGINAL_VALIDATE = rasa_speedups._ORIGINAL["validate_action_result"]
ORIGINAL_RESOLVE = rasa_speedups._ORIGINAL["resolve_by_type"]

REPLIES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "plan_step", "value": "dont_pay"}], "responses": []},
    {"events": [{"event": "action", "name": "action_listen"}]},
    {"responses": [{"response": "utter_greet"}]},
    {},
    # invalid ones
    {"events": {"event": "slot"}},
    {"events": [{"name": "no type"}]},
    {"events": [{"event": "slot", "timestamp": "yesterday"}]},
    {"responses": "utter_greet"},
    [],
    "not an object",
]


def test_building_a_channel_installs_the_speedups() -> None:
    HavenRestInput()
    assert RemoteAction._validate_action_result is rasa_speedups.validate_action_result
    assert Event.resolve_by_type is rasa_speedups.resolve_by_type


def outcome(validate, reply) -> str:
    try:
        validate(RemoteAction("action_plan_move", None), reply)
    except ValidationError as error:
        return f"invalid: {error.message}"
    return "valid"


@pytest.mark.parametrize("reply", REPLIES)
def test_action_replies_are_judged_as_rasa_judges_them(reply) -> None:
    assert outcome(rasa_speedups.validate_action_result, reply) == outcome(ORIGINAL_VALIDATE, reply)


def test_an_invalid_reply_is_refused_with_rasas_explanation() -> None:
    result = outcome(rasa_speedups.validate_action_result, {"events": [{"name": "x"}]})
    assert result.startswith("invalid: ")
    assert "Failed to validate Action server response from API" in result


def test_every_event_type_resolves_to_rasas_class() -> None:
    names = {event_class.type_name for event_class in all_subclasses(Event)}
    assert {"user", "action", "slot"} <= names
    for name in names:
        assert Event.resolve_by_type(name) is ORIGINAL_RESOLVE(name)


def test_events_deserialise_as_before() -> None:
    for event in (UserUttered("hi"), ActionExecuted("action_listen"), SlotSet("region", "IE")):
        assert Event.from_parameters(event.as_dict()) == event


def test_unknown_event_types_fail_or_default_as_before() -> None:
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None


def test_an_event_class_defined_later_is_found() -> None:
    class LateEvent(SlotSet):
        type_name = "haven_test_late_event"

    assert Event.resolve_by_type("haven_test_late_event") is LateEvent
