"""`CounselorConsoleInput`: the counselor console (/counselor) as its own entry in credentials.yml.

The console (haven/handoff/console.py, Rasa-free) is served by the Rasa server, so Rasa has to be
told to serve it; a channel entry is how credentials.yml says which routes a server has. The
console takes no messages for the bot itself: it talks to the web chat through the relay of
this process (`Services.for_process().relay`, haven/services.py, the same object the web chat
channel uses), and the web chat finds
the console's handoff queue on the app (`served_console`), so the two entries may come in any
order. Leaving the entry out turns the console off.

Its settings stay where they were: `handoff.yml` (language, session length), the storage
settings (database, keys) and `HAVEN_COUNSELOR_REMOTE` (docs/deploy.md). Without a usable
storage configuration the console is off and the chat works on (a warning says why).

Until this release the web chat channel served the console when its option
`counselor_console` was true; that option still works for one release, with a
`DeprecationWarning` naming this entry (haven/rasa_edge/widget_channel.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic

from haven.handoff.console import CounselorConsole
from haven.handoff.relay import HandoffRelay
from haven.rasa_edge import patches
from haven.rasa_edge.conversation_pause import set_paused
from haven.services import Services

logger = logging.getLogger(__name__)

ENTRY = "haven.rasa_edge.console_channel.CounselorConsoleInput"
"""This channel's dotted path, as credentials.yml names it."""


def served_console(app: Sanic | None) -> CounselorConsole | None:
    """The console the app serves, if one of the channels registered it."""
    return getattr(app.ctx, "haven_console", None) if app is not None else None


class CounselorConsoleInput(InputChannel):
    """Serves the counselor console at /counselor; takes no messages for the bot."""

    def __init__(
        self,
        relay: HandoffRelay | None = None,
        console: CounselorConsole | None = None,
        services: Services | None = None,
    ) -> None:
        patches.install()  # every adapter Rasa builds puts Haven's patches in place
        self.services = services or Services.for_process()
        self.relay = relay or self.services.relay
        self.console = console

    @classmethod
    def name(cls) -> str:
        """Rasa's name for the channel (it serves nothing under /webhooks/)."""
        return "counselor_console"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """The entry has no options yet (the console's settings are in handoff.yml)."""
        unknown = set(credentials or {})
        if unknown:
            raise ValueError(
                f"Unknown option(s) for the counselor console in credentials.yml: "
                f"{', '.join(sorted(unknown))}. Its settings are in handoff.yml."
            )
        return cls()

    def build_console(self) -> CounselorConsole | None:
        """The console over Haven's configured storage, or None (logged) when it has none."""
        if self.console is None:
            from haven.settings import StorageConfigError

            try:
                self.console = self.services.counselor_console(self.relay, pause_bot=set_paused)
            except StorageConfigError as error:  # the chat works on; nobody can take over
                logger.warning("The counselor console is off: %s", error)
        return self.console

    def register_on(self, app: Sanic) -> None:
        """Adds the console's routes to the app, once however many entries ask for it."""
        if served_console(app) is not None:
            logger.warning("The counselor console is named twice; it is served once.")
            return
        console = self.build_console()
        if console is not None:
            console.register(app)
            app.ctx.haven_console = console

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """A blueprint without routes of its own that puts the console on the app."""
        return _ConsoleBlueprint(self, "haven_counselor_console", __name__)


class _ConsoleBlueprint(Blueprint):
    def __init__(self, channel: CounselorConsoleInput, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx.channel = channel

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        """Registers the console's routes on the app, then the (empty) blueprint as usual."""
        self.ctx.channel.register_on(app)
        super().register(app, options)
