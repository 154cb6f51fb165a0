"""Answer the question that was asked, then go on with the plan (the choice is
`haven.plan.answers`).

Runs after the acknowledgement of a disclosure (data/rules/plan.yml): it reads the `question`
entities `haven.rasa_edge.nlu.asked_questions.AskedQuestions` found and the `age_band` and region
slots, and utters the answers; `action_plan_move` then shows the step.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from haven.nlu.locale_finding import effective_region
from haven.nlu.questions import QUESTION_ENTITY
from haven.packs.content import INTERNATIONAL, content
from haven.plan.answers import answer_keys


class ActionAnswerQuestions(Action):
    """Utters the answers to what the disclosure asked, and the adult route and region's line."""

    def name(self) -> str:
        """The action name the plan's disclosure rule uses."""
        return "action_answer_questions"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Utters each answer (rendered by Haven's NLG); sets nothing."""
        slots = tracker.current_slot_values()
        region = effective_region(slots, content())
        keys = answer_keys(
            tracker.get_latest_entity_values(QUESTION_ENTITY),
            plan_started=slots.get("plan_step") is not None,
            age_band=slots.get("age_band"),
            region_known=region not in (None, INTERNATIONAL),
        )
        for key in keys:
            dispatcher.utter_message(response=key)
        return []
