"""action_forget_me marks the turn; the rule confirms with utter_forgotten."""

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.privacy import ActionForgetMe


def test_forget_me_says_nothing_itself_and_returns_no_events(domain):
    dispatcher = CollectingDispatcher()
    tracker = Tracker("s", {}, {"intent": {"name": "delete_my_data"}}, [], False, None, {}, "")
    events = ActionForgetMe().run(dispatcher, tracker, domain)
    assert dispatcher.messages == []  # the rule sends utter_forgotten, once
    assert events == []


def test_the_rule_confirms_right_after_the_action():
    import yaml

    from tests.support import PROJECT

    rules = yaml.safe_load((PROJECT / "data" / "rules" / "conversation.yml").read_text())["rules"]
    steps = [rule["steps"] for rule in rules if {"intent": "delete_my_data"} in rule["steps"]]
    assert steps == [
        [
            {"intent": "delete_my_data"},
            {"action": "action_forget_me"},
            {"action": "utter_forgotten"},
        ]
    ]


def test_its_name_is_the_one_the_store_and_the_domain_use(domain):
    assert ActionForgetMe().name() == "action_forget_me" in domain["actions"]
    assert "utter_forgotten" in domain["responses"]
