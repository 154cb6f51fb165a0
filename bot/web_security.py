"""Security headers on every response the Rasa server sends, whichever route made it.

The widget's page and files set their own, stricter headers (bot/widget_web.py); every other
response (the REST channel's JSON, Socket.IO, Rasa's own `/` and error pages) gets:

- `X-Content-Type-Options: nosniff`: JSON is never run as a script;
- `Referrer-Policy: no-referrer`: no address leaks onwards;
- `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` and
  `X-Frame-Options: DENY` (for older browsers): nothing loads, nobody frames it;
- `Cache-Control: no-store`: replies stay off shared caches;
- the `Permissions-Policy` of the widget's files.

A header a route already set is left as it is, so the demo page keeps its own policy (and, when
`frame_ancestors` is configured, no `X-Frame-Options`).

CORS: Rasa's `--cors` stays off (scripts/run-haven never passes it), so no response carries
`Access-Control-Allow-Origin`; only the Socket.IO channel accepts the origins listed in
credentials.yml (`allowed_origins`), checked by the Socket.IO server itself.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.widget_web import COMMON_HEADERS

DEFAULT_HEADERS = {
    **COMMON_HEADERS,
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


async def add_security_headers(request: Request, response: HTTPResponse) -> None:
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
    """Adds the response middleware to the app once, however many channels ask for it."""
    if getattr(app.ctx, "haven_security_headers", False):
        return
    app.ctx.haven_security_headers = True
    app.register_middleware(add_security_headers, "response")


class SecureBlueprint(Blueprint):
    """A channel's blueprint that also puts the security headers on every app response."""

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        """Installs the headers on the app, then registers the blueprint as usual."""
        install_security_headers(app)
        super().register(app, options)
