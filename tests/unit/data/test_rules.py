"""The rules cover the whole plan and every intent (data/rules/*.yml).

A missing rule would leave a young person without an answer at some step; these checks catch it
before training.
"""

import pytest
import yaml

from haven.plan.steps import JUMP_INTENTS, STEPS
from tests.support import PROJECT


@pytest.fixture(scope="module")
def rules() -> list[dict]:
    found = []
    for path in sorted((PROJECT / "data" / "rules").glob("*.yml")):
        found += yaml.safe_load(path.read_text(encoding="utf-8")).get("rules") or []
    return found


def first_intent(rule: dict) -> str | None:
    for step in rule["steps"]:
        if "intent" in step:
            return step["intent"]
    return None


def actions(rule: dict) -> list[str]:
    return [step["action"] for step in rule["steps"] if "action" in step]


def condition_step(rule: dict) -> str | None:
    for condition in rule.get("condition") or []:
        for slot in condition.get("slot_was_set") or []:
            if "plan_step" in slot:
                return slot["plan_step"]
    return None


@pytest.mark.parametrize("step", STEPS)
def test_every_step_is_shown_after_the_plan_moves_to_it(rules, step):
    shown = [
        rule
        for rule in rules
        if actions(rule) == ["action_plan_move", f"utter_step_{step}"]
        and {"plan_step": step} in rule["steps"][1]["slot_was_set"]
    ]
    assert len(shown) == 1


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize(("intent", "prefix"), [("ask_why", "why"), ("need_help_step", "help")])
def test_why_and_help_answer_for_the_step_on_screen(rules, step, intent, prefix):
    answers = [
        actions(rule)
        for rule in rules
        if first_intent(rule) == intent and condition_step(rule) == step
    ]
    assert answers == [[f"utter_{prefix}_{step}"]]


@pytest.mark.parametrize(
    "intent", [*JUMP_INTENTS, "step_done", "go_back", "ask_what_to_do", "disclose_sextortion"]
)
def test_plan_intents_move_in_the_plan(rules, intent):
    assert any(
        first_intent(rule) == intent and actions(rule)[-1] == "action_plan_move" for rule in rules
    )


def test_every_intent_has_a_rule(rules, domain):
    answered = {first_intent(rule) for rule in rules}
    missing = [intent for intent in domain["intents"] if intent not in answered]
    assert missing == []


def test_crisis_is_answered_with_crisis_help_then_an_offer_of_a_person(rules):
    crisis = [rule for rule in rules if first_intent(rule) == "crisis"]
    assert crisis and all(actions(rule)[:1] == ["utter_crisis"] for rule in crisis)
    assert any("utter_offer_human" in actions(rule) for rule in crisis)
