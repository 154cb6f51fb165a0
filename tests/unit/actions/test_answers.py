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


def fallback(topics: list[str], ranking: list[tuple[str, float]]) -> list[str]:
    """What a message the classifier could not place gets, given its question topics."""
    from actions.plan import ActionRephraseOrCheckSafety

    unplaced = tracker(topics)
    unplaced.latest_message["intent"] = {"name": "nlu_fallback", "confidence": 0.45}
    unplaced.latest_message["intent_ranking"] = [
        {"name": name, "confidence": confidence} for name, confidence in ranking
    ]
    dispatcher = CollectingDispatcher()
    ActionRephraseOrCheckSafety().run(dispatcher, unplaced, {})
    return [message["response"] for message in dispatcher.messages]


def test_an_unplaced_question_about_deleting_still_gets_not_yet():
    ranking = [("nlu_fallback", 0.45), ("ask_evidence", 0.3), ("already_posted", 0.1)]
    assert fallback(["delete_account"], ranking) == ["utter_delete_account_not_yet"]
    assert fallback([], ranking) == ["utter_rephrase"]


def test_a_crisis_guess_still_comes_before_not_yet():
    ranking = [("nlu_fallback", 0.45), ("crisis", 0.4), ("ask_delete_account", 0.1)]
    assert fallback(["delete_account"], ranking) == ["utter_safety_check"]
