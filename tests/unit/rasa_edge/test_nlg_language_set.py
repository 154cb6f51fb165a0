"""A language chosen in the web chat ("in english please", a language button) is marked on the
reply that confirms it (haven/rasa_edge/nlg.py), in the web chat only, so the widget's own texts
and menu follow the choice; the channel puts the mark in the acknowledgement."""

import asyncio

from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from haven.nlu.locale_finding import LANGUAGE_SET
from tests.unit.rasa_edge.test_nlg import domain, nlg  # noqa: F401 - fixtures


def generate(nlg, domain, key: str, channel: str, **slots) -> dict:  # noqa: F811
    events = [UserUttered("in english please", input_channel=channel)]
    events += [SlotSet(name, value) for name, value in slots.items()]
    tracker = DialogueStateTracker.from_events("test", events, slots=domain.slots)
    return asyncio.run(nlg.generate(key, tracker, "collector"))


def test_the_reply_to_a_language_choice_in_the_web_chat_names_it(nlg, domain):  # noqa: F811
    # The choice, not the hint: a French page where "in english please" was typed.
    chosen = generate(
        nlg, domain, "utter_language_set", "haven_widget", language="en", language_hint="fr"
    )
    assert chosen["custom"] == {LANGUAGE_SET: "en"}
    assert chosen["text"].startswith("Okay, I'll write in English")
    dutch = generate(nlg, domain, "utter_language_set", "haven_widget", language="nl")
    assert dutch["custom"] == {LANGUAGE_SET: "nl"}


def test_no_mark_outside_the_web_chat_or_on_other_replies(nlg, domain):  # noqa: F811
    assert "custom" not in generate(nlg, domain, "utter_language_set", "rest", language="en")
    assert "custom" not in generate(nlg, domain, "utter_greet", "haven_widget", language="fr")
