"""The end of the plan asks "did this help?" in the web chat only (haven/rasa_edge/nlg.py marks
the message; the web chat channel turns the mark into the question)."""

import asyncio

from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from haven.handoff.waiting import ASK_HELPFUL
from tests.unit.rasa_edge.test_nlg import domain, nlg  # noqa: F401 - fixtures


def generate(nlg, domain, key: str, channel: str) -> dict:  # noqa: F811
    tracker = DialogueStateTracker.from_events(
        "test", [UserUttered("ok", input_channel=channel)], slots=domain.slots
    )
    return asyncio.run(nlg.generate(key, tracker, "collector"))


def test_the_end_of_the_plan_in_the_web_chat_asks_did_this_help(nlg, domain):  # noqa: F811
    ended = generate(nlg, domain, "utter_plan_complete", "haven_widget")
    assert ended["custom"] == {ASK_HELPFUL: True}
    assert "custom" not in generate(nlg, domain, "utter_plan_complete", "rest")  # REST: no extra
    assert "custom" not in generate(nlg, domain, "utter_crisis", "haven_widget")
