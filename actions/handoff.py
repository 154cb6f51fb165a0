"""Asking for a person: files a handoff request and answers honestly (logic in
`haven.handoff.queue`).

`action_request_human` sets `handoff_status` ("online" or "offline") and `handoff_wait` (the
estimated minutes, haven/handoff/waiting.py); the rule
that follows (data/rules/crisis.yml) shows `utter_request_human`, whose variation depends on
them, and asks whether the counselor may see a short summary. `action_handoff_consent` records
the answer (affirm or deny) and the rule confirms it. Nothing typed goes into the request.

Only the web chat can carry a counselor's live reply, so only a request that came through it
(input channel `haven_widget`, with the address hash that channel adds) enters the queue, within
the limits of `NewRequestLimit`. Any other request (the REST channel, or over the limit) gets
`utter_handoff_unavailable`, the help lines to call now, and the turn ends there: no summary is
asked for, and a later "yes" files nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from haven.handoff.queue import ADDRESS_METADATA, REFUSED, REQUEST_CHANNEL, HandoffDesk
from haven.handoff.waiting import estimate_for
from haven.nlu.locale_finding import shared_finder
from haven.services import Services

logger = logging.getLogger(__name__)


def desk() -> HandoffDesk:
    """The action server process's one desk, from its composition root (haven/services.py),
    made on first use (no I/O at import)."""
    return Services.for_process().handoff_desk


def crisis_seen(tracker: Tracker) -> bool:
    """Whether any message in this conversation was understood as crisis."""
    return any(
        event.get("event") == "user"
        and ((event.get("parse_data") or {}).get("intent") or {}).get("name") == "crisis"
        for event in tracker.events
    )


def request_address(tracker: Tracker) -> str | None:
    """The address hash of the latest message if it came through the web chat, else None."""
    if tracker.get_latest_input_channel() != REQUEST_CHANNEL:
        return None
    latest: dict[str, Any] = next(
        (e for e in reversed(tracker.events) if e.get("event") == "user"), {}
    )
    address = (latest.get("metadata") or {}).get(ADDRESS_METADATA)
    return address if isinstance(address, str) and address else None


def file_request(tracker: Tracker) -> str | None:
    """Files (or refreshes) this conversation's request; returns "online" or "offline", or None
    when it cannot be filed (not from the web chat, or over the limit of new requests)."""
    address = request_address(tracker)
    if address is None:
        logger.info("A request for a person from a channel without live replies was not filed.")
        return None
    # The chat's metadata (the widget's language) when the conversation has not set a slot yet.
    # Only known codes: whatever else a slot or the metadata holds is never filed or shown.
    metadata = tracker.latest_message.get("metadata") or {}
    finder = shared_finder()
    language = [tracker.get_slot("language"), tracker.get_slot("language_hint")]
    region = [tracker.get_slot("region"), tracker.get_slot("region_hint")]
    status = desk().ask(
        tracker.sender_id,
        address,
        language=_first_known(finder.known_language, [*language, metadata.get("language")]),
        region=_first_known(finder.known_region, region),
        age_band=tracker.get_slot("age_band"),
        steps_done=list(tracker.get_slot("steps_done") or []),
        risk=crisis_seen(tracker),
    )
    return None if status == REFUSED else status


def _first_known(known: Callable[[Any], str | None], values: list[Any]) -> str | None:
    """The first of `values` that `known` recognises, as its code; None if none is known."""
    return next((code for code in map(known, values) if code), None)


class ActionRequestHuman(Action):
    """Files a request for a counselor and sets what the honest answer needs."""

    def name(self) -> str:
        """The action name the rules use."""
        return "action_request_human"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Sets `handoff_status` and `handoff_wait`; the rule then answers. A request that cannot
        be filed gets the help lines and ends the turn."""
        status = file_request(tracker)
        if status is None:
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return [SlotSet("handoff_status", None), FollowupAction("action_listen")]
        logger.info("A handoff request was filed (a counselor is %s).", status)
        # From recent claims when there are enough, else handoff.yml's usual wait (waiting.py).
        usual = desk().settings.usual_wait_minutes
        wait = str(estimate_for(desk().queue, tracker.sender_id, usual).minutes)
        return [SlotSet("handoff_status", status), SlotSet("handoff_wait", wait)]


class ActionHandoffConsent(Action):
    """Records whether the counselor may see the summary; the rule then confirms the answer."""

    def name(self) -> str:
        """The action name the rules use."""
        return "action_handoff_consent"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Stores the answer (affirm: share) on the open request, filing it again if it expired."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        share = intent == "affirm"
        if desk().queue.set_share_summary(tracker.sender_id, share) is None and file_request(
            tracker
        ):
            desk().queue.set_share_summary(tracker.sender_id, share)
        return []
