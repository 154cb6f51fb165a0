"""action_forget_me confirms with utter_forgotten and keeps nothing."""

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.privacy import ActionForgetMe


def test_forget_me_confirms_and_returns_no_events(domain):
    dispatcher = CollectingDispatcher()
    tracker = Tracker("s", {}, {"intent": {"name": "delete_my_data"}}, [], False, None, {}, "")
    events = ActionForgetMe().run(dispatcher, tracker, domain)
    assert [message["response"] for message in dispatcher.messages] == ["utter_forgotten"]
    assert events == []


def test_its_name_is_the_one_the_store_and_the_domain_use(domain):
    assert ActionForgetMe().name() == "action_forget_me" in domain["actions"]
    assert "utter_forgotten" in domain["responses"]
