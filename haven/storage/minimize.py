"""`EventMinimizer`: reduces a conversation to what the dialogue needs before it is stored.

Rasa's policies decide the next action from intent names, entity names, action names and the
values of featurized slots; they never read what the user or the bot literally said. So:

- user messages keep their intent (name and confidence), the names of entities found, the
  channel's name, and the allow-listed metadata (language, region); their text, entity values,
  intent ranking and message id are dropped;
- bot messages keep only which response was sent (`utter_action`), not its text or buttons;
- slot values are kept only for allow-listed slots, and even then a value that looks like a phone
  number, e-mail address, username, URL or payment card number is dropped;
- event types that may carry user text (agent messages, exported stories) are dropped.

Only the latest session is kept: Rasa starts every session from scratch, carrying the slots over
in the session's own events, so earlier sessions are never read again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Event types whose dicts carry no user text: kept as they are (after the metadata filter).
_STRUCTURAL_EVENTS = frozenset(
    {
        "session_started",
        "restart",
        "reset_slots",
        "rewind",
        "undo",
        "followup",
        "active_loop",
        "loop_interrupted",
        "action_execution_rejected",
        "pause",
        "resume",
        "cancel_reminder",
        "user_featurization",
    }
)
_ENTITY_KEYS = ("entity", "role", "group")
_MAX_KEPT_STRING = 64

_PERSONAL_PATTERNS = (
    re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+"),  # e-mail address
    re.compile(r"(https?://|www\.)|\b[\w-]+\.(com|net|org|io|me|app|gg|co)\b", re.IGNORECASE),
    re.compile(r"(?<!\w)@\w{2,}"),  # @username
    re.compile(r"(\d[\s().-]*){7,}"),  # phone or card number: seven or more digits
)


def looks_personal(value: str) -> bool:
    """Whether a string looks like contact or payment details (it is then never stored)."""
    return any(pattern.search(value) for pattern in _PERSONAL_PATTERNS)


def latest_session(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events from the last `session_started` on (all of them if there is none)."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "session_started":
            return events[index:]
    return events


class EventMinimizer:
    """Strips serialized Rasa events down to what dialogue needs (see the module docstring)."""

    def __init__(self, keep_slots: Iterable[str], keep_metadata: Iterable[str]) -> None:
        self.keep_slots = frozenset(keep_slots)
        self.keep_metadata = frozenset(keep_metadata)

    def minimize(self, events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The events to store, in order; events that carry nothing needed are left out."""
        kept = []
        for event in events:
            small = self.minimize_event(event)
            if small is not None:
                kept.append(small)
        return kept

    def minimize_event(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """One event reduced, or None if it is not stored at all."""
        kind = event.get("event")
        base = {"event": kind, "timestamp": event.get("timestamp")}
        metadata = self._metadata(event.get("metadata"))
        if metadata:
            base["metadata"] = metadata
        if kind == "user":
            return {**base, **self._user(event)}
        if kind == "bot":
            utter_action = (event.get("metadata") or {}).get("utter_action")
            if utter_action:
                metadata = {**metadata, "utter_action": utter_action}
            return {**base, "text": None, "data": {}, "metadata": metadata}
        if kind == "action":
            return {
                **base,
                "name": event.get("name"),
                "policy": event.get("policy"),
                "confidence": event.get("confidence"),
                "action_text": None,
                "hide_rule_turn": bool(event.get("hide_rule_turn")),
            }
        if kind == "slot":
            return self._slot(base, event)
        if kind == "entities":
            return {**base, "entities": _entity_names(event.get("entities"))}
        if kind == "reminder":
            return {
                **base,
                "intent": event.get("intent"),
                "date_time": event.get("date_time"),
                "name": event.get("name"),
                "kill_on_user_msg": event.get("kill_on_user_msg", True),
                "entities": _entity_names(event.get("entities")),
            }
        if kind in _STRUCTURAL_EVENTS:
            kept = {key: value for key, value in event.items() if key != "metadata"}
            return {**kept, **base}
        # Unknown or text-carrying types ("agent", "export", future ones) are not stored.
        return None

    def _metadata(self, metadata: Any) -> dict[str, Any]:
        if not isinstance(metadata, dict):
            return {}
        return {
            key: value
            for key, value in metadata.items()
            if key in self.keep_metadata and _safe_value(value)
        }

    def _user(self, event: dict[str, Any]) -> dict[str, Any]:
        parse_data = event.get("parse_data") or {}
        intent = parse_data.get("intent") or {}
        kept_intent = {"name": intent.get("name"), "confidence": intent.get("confidence")}
        return {
            "text": None,
            "parse_data": {
                "intent": kept_intent,
                "entities": _entity_names(parse_data.get("entities")),
            },
            "input_channel": event.get("input_channel"),
        }

    def _slot(self, base: dict[str, Any], event: dict[str, Any]) -> dict[str, Any] | None:
        name = event.get("name")
        if name not in self.keep_slots:
            return None
        value = event.get("value")
        return {**base, "name": name, "value": value if _safe_value(value) else None}


def _entity_names(entities: Any) -> list[dict[str, Any]]:
    if not isinstance(entities, list):
        return []
    return [
        {key: entity[key] for key in _ENTITY_KEYS if isinstance(entity.get(key), str)}
        for entity in entities
        if isinstance(entity, dict) and isinstance(entity.get("entity"), str)
    ]


def _safe_value(value: Any) -> bool:
    """Whether a kept slot or metadata value is small, plain and not personal details."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return not looks_personal(str(value))
    if isinstance(value, str):
        return len(value) <= _MAX_KEPT_STRING and not looks_personal(value)
    if isinstance(value, list):
        return len(value) <= 32 and all(
            isinstance(item, str) and _safe_value(item) for item in value
        )
    return False
