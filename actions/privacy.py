"""Forget me: the user asked Haven to delete this conversation.

The deletion itself happens in the tracker store
(`haven.rasa_edge.tracker_store.EncryptedTrackerStore`): when it saves a conversation in which this
action ran, it deletes everything stored about it and keeps nothing, so the user's next message
starts a fresh conversation. The confirmation, `utter_forgotten`, follows this action in the rule
(data/rules/conversation.yml), so this action only marks the turn.

The action server's logging is made safe by its entry (`python -m haven.rasa_edge.action_server`
installs `haven.logs.privacy` before it imports the actions).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from haven.settings import FORGET_ACTION


class ActionForgetMe(Action):
    """Marks the turn in which the store deletes the conversation; the rule then confirms."""

    def name(self) -> str:
        """The action name the rule and the tracker store both use."""
        return FORGET_ACTION

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Returns no events: running is what marks the turn (nothing of it is kept)."""
        return []
