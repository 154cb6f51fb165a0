"""Rasa's `FailSafeTrackerStore` passes on the errors of a store that asks for it.

Rasa wraps every tracker store in `FailSafeTrackerStore`, which answers a failed `retrieve` with
nothing and keeps a failed `save` in memory: with Haven's encrypted store, a database out of reach
would start an empty conversation or lose a turn without a word (haven/rasa_edge/tracker_store.py
explains the whole path). A store whose class sets the attribute named by `RAISE_ERRORS_FLAG` gets
its errors raised instead, so the channel answers with its kind `service_error` reply. Other tracker
stores keep Rasa's fallback.
"""

from __future__ import annotations

from collections.abc import Callable

from rasa.core.tracker_store import FailSafeTrackerStore

RAISE_ERRORS_FLAG = "haven_passes_store_errors_on"
"""The class attribute a tracker store sets (True) to have its errors passed on."""


def install() -> None:
    """Makes Rasa's FailSafeTrackerStore pass the errors of a store that asks for it on
    (idempotent).

    Other tracker stores keep Rasa's fallback. Rasa offers no option for this, so the wrapper's two
    error handlers are replaced once per process (as action_failures.py hooks Rasa's logger).
    """
    for name in ("on_tracker_store_error", "on_tracker_store_retrieve_error"):
        original = getattr(FailSafeTrackerStore, name)
        if not getattr(original, "haven_lets_errors_through", False):
            setattr(FailSafeTrackerStore, name, _raising_for_haven(original))


def _raising_for_haven(
    original: Callable[[FailSafeTrackerStore, Exception], None],
) -> Callable[[FailSafeTrackerStore, Exception], None]:
    def on_error(wrapper: FailSafeTrackerStore, error: Exception) -> None:
        if getattr(wrapper._tracker_store, RAISE_ERRORS_FLAG, False):
            raise error
        original(wrapper, error)

    on_error.haven_lets_errors_through = True  # type: ignore[attr-defined]
    return on_error
