"""Two hot paths of Rasa 3.6 made cheaper, with exactly the same results.

Profiling the Rasa server under load (`make bench`, py-spy) showed two places where Rasa repeats
work on every message that gives the same answer each time:

- `RemoteAction._validate_action_result` calls `jsonschema.validate` on every action server reply.
  That function first checks the schema itself against the JSON Schema meta-schema and builds a
  new validator, every time: about 3.5 ms of a ~24 ms message, 15% of the server's time. Here the
  schema is checked once and the validator kept; each reply is still validated in full, and an
  invalid reply raises the same `ValidationError` with the same message.
- `Event.resolve_by_type` walks every subclass of `Event` to find one event's class; it runs for
  every event of every stored conversation and every action reply. Here a name-to-class table
  answers, rebuilt whenever a name is not in it (so classes defined later are still found), and
  unknown names fail as before.

`install()` is called by `haven.rasa_edge.patches.install()`, which every adapter Rasa builds calls,
so every Rasa server that serves Haven has both. tests/unit/rasa_edge/patches/test_speedups.py
checks the results match Rasa's own.
"""

from __future__ import annotations

from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_ORIGINAL = {
    "validate_action_result": RemoteAction._validate_action_result,
    "resolve_by_type": Event.resolve_by_type,
}
_action_reply_validator: Any = None
_event_classes: dict[str, type[Event]] = {}


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's check of an action server reply, with the validator built once."""
    global _action_reply_validator
    if _action_reply_validator is None:
        schema = RemoteAction.action_response_format_spec()
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)
        _action_reply_validator = validator_class(schema)
    # As jsonschema.validate does: of all the errors, raise the most relevant one.
    error = best_match(_action_reply_validator.iter_errors(result))
    if error is None:
        return True
    # Rasa's own wording (rasa/core/actions/action.py), so logs read the same.
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Rasa's `Event.resolve_by_type` answered from a table instead of a class walk."""
    event_class = _event_classes.get(type_name)
    if event_class is None:
        # Rasa returns the first subclass with the name; keep that one when names repeat.
        _event_classes.clear()
        for candidate in all_subclasses(Event):
            _event_classes.setdefault(candidate.type_name, candidate)
        event_class = _event_classes.get(type_name)
    if event_class is not None:
        return event_class
    return _ORIGINAL["resolve_by_type"](type_name, default)


def install() -> None:
    """Puts both in place (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_by_type)
