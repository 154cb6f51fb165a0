"""Security headers on every response the Rasa server sends, whichever route made it.

The widget's page and files set their own, stricter headers (haven/web/widget_site.py); every other
response (the REST channel's JSON, Socket.IO, Rasa's own `/` and error pages) gets:

- `X-Content-Type-Options: nosniff`: JSON is never run as a script;
- `Referrer-Policy: no-referrer`: no address leaks onwards;
- `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` and
  `X-Frame-Options: DENY` (for older browsers): nothing loads, nobody frames it;
- `Cache-Control: no-store`: replies stay off shared caches;
- the `Permissions-Policy` of the widget's files.

A header a route already set is left as it is, so the demo page keeps its own policy (and, when
`frame_ancestors` is configured, no `X-Frame-Options`).

Host names (DNS rebinding): a page on a name the attacker controls, resolving to this server's
address (loopback on a laptop), would otherwise be same-origin with it. Every request whose
`Host` is not a loopback name or one of `HAVEN_PUBLIC_HOSTS` (haven/settings.py) gets a bare 421,
except the health checks (`HEALTH_PATHS`), which load balancers and probes call by address, and
the NGO's counts (`/metrics`), which Prometheus calls by each instance's own name: a bearer token
guards them (haven/metrics/endpoint.py), and a page a browser shows cannot send it.

Rasa's own answer at `/` ("Hello from Rasa: 3.6.21", when the demo page is off) is a 404: the
version helps nobody but someone looking for a known flaw. Neither Sanic nor Haven sends a
`Server` header.

CORS: Rasa's `--cors` stays off (scripts/run-haven never passes it), so no response carries
`Access-Control-Allow-Origin`; only the Socket.IO channel accepts the origins listed in
credentials.yml (`allowed_origins`), checked by the Socket.IO server itself.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from importlib.metadata import version
from typing import Any

from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import BaseHTTPResponse, HTTPResponse

from haven.web.widget_site import COMMON_HEADERS

DEFAULT_HEADERS = {
    **COMMON_HEADERS,
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


HEALTH_PATHS = frozenset({"/webhooks/rest", "/webhooks/haven_widget"})
"""Answered whatever the Host: they say only "ok", and probes call them by IP address."""
ANY_HOST_PATHS = HEALTH_PATHS | {"/metrics"}
"""The health checks, and `/metrics` (closed by its own token, whatever the Host)."""


def host_name(header: str) -> str:
    """The name in a `Host` header, without its port: `[::1]:5005` gives `::1`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    if header.count(":") == 1:
        header = header.partition(":")[0]
    return header.rstrip(".")


def host_check(
    allowed: Iterable[str],
) -> Callable[[Request], Coroutine[Any, Any, HTTPResponse | None]]:
    """A request middleware that answers 421 to a request for a host name not in `allowed`."""
    names = frozenset(allowed)

    async def check(request: Request) -> HTTPResponse | None:
        if request.method in ("GET", "HEAD") and request.path.rstrip("/") in ANY_HOST_PATHS:
            return None
        if host_name(request.headers.get("host") or "") in names:
            return None
        return response.text(
            "This server does not answer to that host name (HAVEN_PUBLIC_HOSTS).", status=421
        )

    return check


RASA_GREETING = f"Hello from Rasa: {version('rasa')}".encode()
"""What Rasa's root route says (the version from the package's metadata: no Rasa import)."""


async def hide_rasa_version(
    request: Request, reply: BaseHTTPResponse | None
) -> HTTPResponse | None:
    """Answers Rasa's root route, which names its version, with a bare 404."""
    if request.path == "/" and reply is not None and reply.body == RASA_GREETING:
        return response.text("Not found", status=404, headers=DEFAULT_HEADERS)
    return None


async def add_security_headers(request: Request, response: BaseHTTPResponse | None) -> None:
    """Sets each of `DEFAULT_HEADERS` the response does not have yet."""
    if response is None:
        return
    headers = response.headers
    own_policy = "Content-Security-Policy" in headers
    for name, value in DEFAULT_HEADERS.items():
        if name == "X-Frame-Options" and own_policy:
            continue  # the route's own frame-ancestors decides
        if name not in headers:
            headers[name] = value


def install_security_headers(app: Sanic) -> None:
    """Adds the headers (a response middleware) and the Host check (a request middleware, for
    the names of `public_hosts`, from the process's settings) to the app once, however many
    channels ask for it."""
    from haven.services import Services

    if getattr(app.ctx, "haven_security_headers", False):
        return
    app.ctx.haven_security_headers = True
    app.register_middleware(host_check(Services.for_process().settings.public_hosts), "request")
    app.register_middleware(hide_rasa_version, "response")
    app.register_middleware(add_security_headers, "response")


class SecureBlueprint(Blueprint):
    """A channel's blueprint that also puts the security headers on every app response."""

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        """Installs the headers on the app, then registers the blueprint as usual."""
        install_security_headers(app)
        super().register(app, options)
