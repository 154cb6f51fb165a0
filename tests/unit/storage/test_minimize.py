"""What the store keeps of each event: what dialogue needs, nothing a person typed."""

import json

import pytest

from haven.storage.minimize import EventMinimizer, latest_session, looks_personal

MINIMIZER = EventMinimizer(
    keep_slots=["plan_step", "steps_done", "region"], keep_metadata=["language", "region"]
)


def test_a_user_message_keeps_its_intent_and_entity_names_only():
    event = {
        "event": "user",
        "timestamp": 5.0,
        "text": "he is called Bob Smith, bob@example.com",
        "parse_data": {
            "intent": {"name": "disclose_sextortion", "confidence": 0.8},
            "entities": [{"entity": "email", "value": "bob@example.com", "role": "sender"}],
            "intent_ranking": [{"name": "greet", "confidence": 0.1}],
            "text": "he is called Bob Smith, bob@example.com",
        },
        "input_channel": "rest",
        "message_id": "abc123",
        "metadata": {"language": "de", "user_agent": "curl", "ip": "198.51.100.1"},
    }
    assert MINIMIZER.minimize_event(event) == {
        "event": "user",
        "timestamp": 5.0,
        "metadata": {"language": "de"},
        "text": None,
        "parse_data": {
            "intent": {"name": "disclose_sextortion", "confidence": 0.8},
            "entities": [{"entity": "email", "role": "sender"}],
        },
        "input_channel": "rest",
    }


def test_a_bot_message_keeps_only_which_response_it_was():
    event = {
        "event": "bot",
        "timestamp": 1.0,
        "text": "Step 1: Don't pay.",
        "data": {"buttons": [{"title": "Done", "payload": "/step_done"}]},
        "metadata": {"utter_action": "utter_step_dont_pay"},
    }
    small = MINIMIZER.minimize_event(event)
    assert small["text"] is None and small["data"] == {}
    assert small["metadata"] == {"utter_action": "utter_step_dont_pay"}


def test_actions_keep_their_name_but_not_end_to_end_text():
    event = {"event": "action", "timestamp": 1.0, "name": "utter_greet", "action_text": "Hi Bob"}
    small = MINIMIZER.minimize_event(event)
    assert small["name"] == "utter_greet" and small["action_text"] is None


@pytest.mark.parametrize(
    ("name", "value", "kept"),
    [
        ("plan_step", "dont_pay", "dont_pay"),
        ("steps_done", ["dont_pay", "stop_replying"], ["dont_pay", "stop_replying"]),
        ("region", "+44 20 7946 0958", None),
        ("region", "see www.evil.example.com", None),
        ("region", "a" * 65, None),
    ],
)
def test_allow_listed_slots_keep_plain_values_only(name, value, kept):
    small = MINIMIZER.minimize_event(
        {"event": "slot", "timestamp": 1, "name": name, "value": value}
    )
    assert small["value"] == kept


def test_other_slots_are_not_stored_at_all():
    event = {"event": "slot", "timestamp": 1, "name": "progress_done", "value": "- Step 1"}
    assert MINIMIZER.minimize_event(event) is None


def test_events_that_may_carry_text_are_dropped_and_structure_is_kept():
    events = [
        {"event": "agent", "timestamp": 1, "text": "hello from an agent"},
        {"event": "export", "timestamp": 1, "path": "stories.yml"},
        {"event": "session_started", "timestamp": 1, "metadata": {"ip": "1.2.3.4", "region": "GB"}},
        {"event": "rewind", "timestamp": 2},
        {"event": "entities", "timestamp": 3, "entities": [{"entity": "url", "value": "x.com"}]},
    ]
    assert MINIMIZER.minimize(events) == [
        {"event": "session_started", "timestamp": 1, "metadata": {"region": "GB"}},
        {"event": "rewind", "timestamp": 2},
        {"event": "entities", "timestamp": 3, "entities": [{"entity": "url"}]},
    ]


@pytest.mark.parametrize(
    "text",
    ["bob@example.com", "+1 (555) 867-5309", "4111 1111 1111 1111", "@snapuser", "https://x.io/a"],
)
def test_contact_and_payment_details_look_personal(text):
    assert looks_personal(text)


@pytest.mark.parametrize("text", ["dont_pay", "en", "GB", "adult", "step 3"])
def test_plain_values_do_not(text):
    assert not looks_personal(text)


def test_only_the_latest_session_is_kept():
    events = [
        {"event": "session_started"},
        {"event": "user"},
        {"event": "session_started"},
        {"event": "slot"},
    ]
    assert latest_session(events) == events[2:]
    assert latest_session(events[1:2]) == events[1:2]


def test_the_result_is_json():
    json.dumps(MINIMIZER.minimize([{"event": "user", "timestamp": 1, "parse_data": {}}]))
