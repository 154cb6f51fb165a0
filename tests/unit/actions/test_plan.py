"""The plan actions (actions/plan.py), run as the action server runs them."""

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.plan import (
    ActionCoreFallback,
    ActionPlanMove,
    ActionRephraseOrCheckSafety,
    ActionShowProgress,
)


def tracker(intent: str, **slots) -> Tracker:
    return Tracker(
        sender_id="test",
        slots=slots,
        latest_message={"intent": {"name": intent, "confidence": 0.9}, "text": None},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def slot_values(events) -> dict:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def test_disclosure_starts_the_plan_at_dont_pay(domain):
    dispatcher = CollectingDispatcher()
    events = ActionPlanMove().run(dispatcher, tracker("disclose_sextortion"), domain)
    assert slot_values(events) == {
        "plan_step": "dont_pay",
        "steps_done": [],
        "steps_seen": ["dont_pay"],
    }
    assert dispatcher.messages == []


def test_jumping_ahead_first_says_dont_pay(domain):
    dispatcher = CollectingDispatcher()
    events = ActionPlanMove().run(dispatcher, tracker("ask_takedown"), domain)
    assert slot_values(events)["plan_step"] == "take_down"
    assert len(dispatcher.messages) == 1
    assert "pay" in dispatcher.messages[0]["text"].lower()


def test_done_records_the_step_and_moves_on(domain):
    dispatcher = CollectingDispatcher()
    events = ActionPlanMove().run(
        dispatcher,
        tracker(
            "step_done",
            plan_step="stop_replying",
            steps_done=["dont_pay"],
            steps_seen=["dont_pay", "stop_replying"],
        ),
        domain,
    )
    slots = slot_values(events)
    assert slots["plan_step"] == "save_evidence"
    assert slots["steps_done"] == ["dont_pay", "stop_replying"]


def test_progress_lists_step_headlines(domain):
    events = ActionShowProgress().run(
        CollectingDispatcher(),
        tracker("whats_left", plan_step="save_evidence", steps_done=["dont_pay", "stop_replying"]),
        domain,
    )
    slots = slot_values(events)
    assert slots["progress_done"].count("\n- ") == 1  # two lines
    assert slots["progress_left"].count("- ") == 6
    assert "Step 3" in slots["progress_left"].splitlines()[0]


def test_core_fallback_asks_to_rephrase_and_forgets_the_turn(domain):
    dispatcher = CollectingDispatcher()
    events = ActionCoreFallback().run(dispatcher, tracker("nlu_fallback"), domain)
    assert dispatcher.messages[0]["response"] == "utter_rephrase"
    assert events == [{"event": "rewind", "timestamp": None}]


def test_progress_headlines_come_in_the_conversations_language(domain):
    events = ActionShowProgress().run(
        CollectingDispatcher(),
        tracker("whats_left", plan_step="stop_replying", steps_done=["dont_pay"], language="es"),
        domain,
    )
    assert slot_values(events)["progress_done"] == "- Paso 1: No pagues, y no mandes nada más."


def test_the_dont_pay_reminder_comes_in_the_hinted_language(domain):
    dispatcher = CollectingDispatcher()
    ActionPlanMove().run(dispatcher, tracker("ask_takedown", language_hint="es"), domain)
    assert dispatcher.messages[0]["text"].startswith("Paso 1: No pagues")


def fallback_tracker(ranking: list[tuple[str, float]]) -> Tracker:
    """A message the classifier could not place, with its guesses."""
    found = tracker("nlu_fallback")
    found.latest_message["intent_ranking"] = [
        {"name": name, "confidence": confidence} for name, confidence in ranking
    ]
    return found


def test_a_fallback_whose_guesses_include_crisis_asks_whether_they_are_safe(domain):
    dispatcher = CollectingDispatcher()
    ranking = [("nlu_fallback", 0.45), ("crisis", 0.41), ("disclose_sextortion", 0.2)]
    assert ActionRephraseOrCheckSafety().run(dispatcher, fallback_tracker(ranking), domain) == []
    assert [message["response"] for message in dispatcher.messages] == ["utter_safety_check"]


def test_a_fallback_without_a_crisis_guess_asks_to_rephrase(domain):
    dispatcher = CollectingDispatcher()
    ranking = [("nlu_fallback", 0.45), ("greet", 0.3), ("ask_takedown", 0.2), ("crisis", 0.05)]
    ActionRephraseOrCheckSafety().run(dispatcher, fallback_tracker(ranking), domain)
    assert [message["response"] for message in dispatcher.messages] == ["utter_rephrase"]


def test_the_core_fallback_also_checks_safety_when_crisis_was_guessed(domain):
    dispatcher = CollectingDispatcher()
    ranking = [("ask_why", 0.5), ("crisis", 0.3)]
    events = ActionCoreFallback().run(dispatcher, fallback_tracker(ranking), domain)
    assert dispatcher.messages[0]["response"] == "utter_safety_check"
    assert events == [{"event": "rewind", "timestamp": None}]
