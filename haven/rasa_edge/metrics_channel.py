"""`HavenMetricsInput`: a Rasa server's `/metrics` (the NGO's counts), an entry in credentials.yml.

Like the counselor console (haven/rasa_edge/console_channel.py), the endpoint is a route of the
Rasa server, and a channel entry is how credentials.yml says which routes a server has; it takes
no messages. The route itself (haven/metrics/endpoint.py, Rasa-free) stays closed, a 404, until
the deployment sets `HAVEN_METRICS_TOKEN`, and answers loopback only unless
`HAVEN_METRICS_REMOTE=1`. Leaving the entry out turns it off whatever the environment says.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic

from haven.metrics.endpoint import MetricsEndpoint
from haven.rasa_edge import patches
from haven.services import Services
from haven.web.security_headers import SecureBlueprint


class HavenMetricsInput(InputChannel):
    """Serves `GET /metrics`; takes no messages for the bot."""

    def __init__(self, endpoint: MetricsEndpoint | None = None) -> None:
        patches.install()  # every adapter Rasa builds puts Haven's patches in place
        self.endpoint = endpoint or Services.for_process().metrics_endpoint

    @classmethod
    def name(cls) -> str:
        """Rasa's name for the channel (it serves nothing under /webhooks/)."""
        return "haven_metrics"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """The entry has no options: the token and the remote switch are in the environment."""
        unknown = set(credentials or {})
        if unknown:
            raise ValueError(
                f"Unknown option(s) for /metrics in credentials.yml: {', '.join(sorted(unknown))}."
                " Its settings are HAVEN_METRICS_TOKEN and HAVEN_METRICS_REMOTE (README)."
            )
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """A blueprint without routes of its own that puts `/metrics` on the app."""
        return _MetricsBlueprint(self.endpoint, "haven_metrics", __name__)


class _MetricsBlueprint(SecureBlueprint):
    def __init__(self, endpoint: MetricsEndpoint, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx.endpoint = endpoint

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        """Adds `/metrics` to the app, then registers the (empty) blueprint as usual."""
        self.ctx.endpoint.register(app)
        super().register(app, options)
