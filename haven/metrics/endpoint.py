"""`MetricsEndpoint`: `GET /metrics`, the NGO's counts for Prometheus, closed like the console.

| request                                                  | answer                            |
|----------------------------------------------------------|-----------------------------------|
| `HAVEN_METRICS_TOKEN` not set                            | 404 (the endpoint is off)         |
| from an address other than loopback, without `HAVEN_METRICS_REMOTE=1` | 404                  |
| through a reverse proxy (`X-Forwarded-For`, `Forwarded` or `X-Real-IP` sent) | 404           |
| without `Authorization: Bearer <HAVEN_METRICS_TOKEN>`    | 401, `WWW-Authenticate: Bearer`   |
| with it                                                  | 200, the counts                   |

Prometheus scrapes each process directly, inside the deployment's own network; a request that
passed the public reverse proxy (Caddy and ingress-nginx add `X-Forwarded-For`) is never
answered, so `HAVEN_METRICS_REMOTE=1` opens the endpoint to that network, not to the internet,
whatever the proxy's configuration. The token is compared in constant time; refused requests
are logged as a count, once a minute at most, never with their address. The answer is
`haven.metrics.counts.exposition()`: counts only, in the format the scraper asks for in `Accept`
(prometheus-client's `choose_encoder`: Prometheus' text format, or OpenMetrics).

The same endpoint is served by each Rasa server (haven/rasa_edge/metrics_channel.py, an entry in
credentials.yml) and by the action server (haven/rasa_edge/action_server.py): each process its
own counts (haven/metrics/__init__.py says why). The Host check of the Rasa server
(haven/web/security_headers.py) lets `/metrics` through whatever the Host, as Prometheus calls
each instance by its own name or address; what guards it against a page in a browser (DNS
rebinding) is the token, which such a page does not have.

Written here rather than with prometheus-client's own servers (`start_http_server`,
`make_asgi_app`): those listen on a port of their own without authentication, or need an ASGI
server; this is one Sanic route on the port the process already serves, behind the same checks
as the console.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable

from prometheus_client.exposition import choose_encoder
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from haven.logs.throttle import SummarizedLog
from haven.metrics.counts import Encoder, exposition
from haven.settings import MetricsSettings

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
"""Headers a reverse proxy adds: a request with one came in from outside."""
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class MetricsEndpoint:
    """The `/metrics` route: the checks of the module docstring, then the counts."""

    def __init__(
        self, settings: MetricsSettings, render: Callable[[Encoder], bytes] = exposition
    ) -> None:
        self.settings = settings
        self.render = render
        self._expected = f"Bearer {settings.token}".encode() if settings.token else None
        self._refused = SummarizedLog(logger, "Refused requests for /metrics")

    def answer(self, request: Request) -> HTTPResponse:
        """The counts, or the refusal the module docstring gives."""
        if self._expected is None or not self._address_allowed(request):
            return response.text("Not found", status=404, headers=HEADERS)
        given = (request.headers.get("authorization") or "").strip().encode()
        if not hmac.compare_digest(given, self._expected):
            self._refused.note()
            return response.text(
                "Unauthorized",
                status=401,
                headers={**HEADERS, "WWW-Authenticate": 'Bearer realm="haven metrics"'},
            )
        encoder, content_type = choose_encoder(request.headers.get("accept") or "")
        return response.raw(self.render(encoder), content_type=content_type, headers=HEADERS)

    def _address_allowed(self, request: Request) -> bool:
        if any(name in request.headers for name in PROXY_HEADERS):
            return False
        if self.settings.allow_remote:
            return True
        try:  # the peer's own address, never X-Forwarded-For: a proxy in front is not loopback
            return ipaddress.ip_address(request.ip).is_loopback
        except ValueError:
            return False

    def register(self, app: Sanic) -> None:
        """Adds `GET /metrics` to the app, once however many callers ask for it."""
        if getattr(app.ctx, "haven_metrics", None) is not None:
            return
        app.ctx.haven_metrics = self

        async def metrics(request: Request) -> HTTPResponse:
            return self.answer(request)

        app.add_route(metrics, METRICS_PATH, methods=["GET"], name="haven_metrics")
