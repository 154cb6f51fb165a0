"""Rasa's behaviour changed where Rasa offers no option, installed by one explicit call.

- `speedups`: two hot paths of Rasa 3.6 made cheaper, with the same results.
- `action_failures`: a failed custom action stops the turn, so the channel answers kindly.
- `store_errors`: Rasa's fail-safe tracker store passes Haven's store errors on, so a database
  that is out of reach is answered with a 503 instead of a conversation silently lost.
- log privacy (`haven.logs.privacy`, Rasa-free): nothing a young person types reaches a log.

`install()` is idempotent and called by every adapter Rasa builds (channels, stores, NLG, NLU
components) and by the action server's entry; before, importing the REST channel patched Rasa and
building the tracker store installed log privacy, so a missed import lost a patch silently.
"""

from __future__ import annotations

from haven.logs import privacy as log_privacy

_installed: set[str] = set()

RASA_SERVER = "rasa"
ACTION_SERVER = "actions"


def install(process: str = RASA_SERVER) -> None:
    """Puts every patch the process needs in place, once (later calls do nothing).

    `process` is `RASA_SERVER` (every patch) or `ACTION_SERVER` (log privacy only: the action
    server runs rasa_sdk, not Rasa's processor or stores, and should not load them).
    """
    if process not in (RASA_SERVER, ACTION_SERVER):
        raise ValueError(f"Unknown process {process!r}: use 'rasa' or 'actions'.")
    if process in _installed:
        return
    log_privacy.install()
    if process == RASA_SERVER:
        from haven.rasa_edge.patches import action_failures, speedups, store_errors

        speedups.install()
        action_failures.install()
        store_errors.install()
    _installed.add(process)
