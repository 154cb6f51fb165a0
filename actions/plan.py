"""Actions that walk the user through the plan (the logic is in `haven.plan.steps`)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from haven.metrics import counts
from haven.nlu.crisis_patterns import weak_crisis_signal
from haven.nlu.questions import QUESTION_ENTITY
from haven.packs.responses import headline
from haven.plan.steps import FIRST_STEP, PlanProgress


def _progress(tracker: Tracker) -> PlanProgress:
    return PlanProgress.from_slots(
        tracker.get_slot("plan_step"),
        tracker.get_slot("steps_done"),
        tracker.get_slot("steps_seen"),
    )


class ActionPlanMove(Action):
    """Moves in the plan as the user asked (next, back, a topic) and sets `plan_step`.

    The step itself is shown by the rule that follows this action (data/rules/plan.yml). When the
    user jumps ahead before ever seeing step one, its headline ("Don't pay...") comes first.
    """

    def name(self) -> str:
        return "action_plan_move"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        progress = _progress(tracker)
        # The intent itself, not the ranking: stored trackers keep only the intent.
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        move = progress.move_for_intent(intent)
        if move.first_visit:
            counts.plan_step_reached(move.step)
        if move.remind_dont_pay_first:
            slots = tracker.current_slot_values()
            dispatcher.utter_message(text=headline(f"utter_step_{FIRST_STEP}", slots))
        return [
            SlotSet("plan_step", progress.current),
            SlotSet("steps_done", progress.done),
            SlotSet("steps_seen", progress.seen),
        ]


class ActionShowProgress(Action):
    """Fills `progress_done` and `progress_left` with step headlines for `utter_progress`."""

    def name(self) -> str:
        return "action_show_progress"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        progress = _progress(tracker)
        slots = tracker.current_slot_values()

        def headlines(steps: list[str]) -> str:
            return "\n".join(f"- {headline(f'utter_step_{step}', slots)}" for step in steps) or "-"

        return [
            SlotSet("progress_done", headlines(progress.done)),
            SlotSet("progress_left", headlines(progress.left)),
        ]


def rephrase_or_check_safety(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Asks to rephrase, or, when crisis was among the classifier's guesses, asks gently
    whether they are safe, with the crisis lines (`haven.nlu.crisis_patterns.weak_crisis_signal`).

    A message that asks whether to delete the account (`haven.nlu.questions`) gets "not yet, save
    the evidence first" even when the classifier could not place it: deleting destroys the evidence.
    """
    ranking = tracker.latest_message.get("intent_ranking")
    if weak_crisis_signal(ranking):
        dispatcher.utter_message(response="utter_safety_check")
    elif "delete_account" in tracker.get_latest_entity_values(QUESTION_ENTITY):
        dispatcher.utter_message(response="utter_delete_account_not_yet")
    else:
        dispatcher.utter_message(response="utter_rephrase")


class ActionRephraseOrCheckSafety(Action):
    """A message the classifier could not place: `rephrase_or_check_safety`."""

    def name(self) -> str:
        return "action_rephrase_or_check_safety"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        rephrase_or_check_safety(dispatcher, tracker)
        return []


class ActionCoreFallback(Action):
    """When no rule applies: `rephrase_or_check_safety`, and forget the confusing turn."""

    def name(self) -> str:
        return "action_core_fallback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        rephrase_or_check_safety(dispatcher, tracker)
        return [UserUtteranceReverted()]
