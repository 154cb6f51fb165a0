"""action_answer_questions (actions/answers.py), run as the action server runs it."""

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswerQuestions


def tracker(topics: list[str], **slots) -> Tracker:
    entities = [{"entity": "question", "value": topic} for topic in topics]
    return Tracker(
        sender_id="test",
        slots=slots,
        latest_message={
            "intent": {"name": "disclose_sextortion", "confidence": 0.9},
            "entities": entities,
            "text": None,
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="utter_disclosure_ack",
    )


def said(topics: list[str], domain, **slots) -> list[str]:
    dispatcher = CollectingDispatcher()
    assert ActionAnswerQuestions().run(dispatcher, tracker(topics, **slots), domain) == []
    return [message["response"] for message in dispatcher.messages]


def test_a_canadian_asking_for_a_takedown_gets_the_answer_and_the_line(domain):
    assert said(["takedown"], domain, region="ca") == [
        "utter_answer_takedown",
        "utter_answer_region_line",
    ]


def test_a_region_from_the_channel_counts_but_help_for_anywhere_does_not(domain):
    assert said([], domain, region_hint="mx") == ["utter_answer_region_line"]
    assert said([], domain, region="international") == []


def test_an_adult_gets_the_adult_route(domain):
    assert said([], domain, age_band="adult") == ["utter_answer_adult_route"]


def test_once_the_plan_has_started_only_questions_are_answered(domain):
    answers = said(["delete_account"], domain, plan_step="tell_adult", region="ca")
    assert answers == ["utter_answer_delete_account"]
