"""Haven's action server: rasa_sdk's server that answers only the Rasa servers holding the secret.

`python -m haven.rasa_edge.action_server --port 5055` serves the custom actions in `actions/` like
`python -m rasa_sdk`, with these differences:
- every request except `GET /health` must carry the header `X-Haven-Action-Secret` with the
  value of `HAVEN_ACTION_SECRET` (compared in constant time); anything else gets a bare 401,
  so a process that can reach the port cannot run actions or list them;
- it does not start without a secret of at least `MIN_SECRET_CHARS` characters;
- CORS is off (rasa_sdk allows every origin by default); no browser ever talks to it;
- `GET /metrics` serves this process's share of the NGO's counts (plan steps, handoff requests),
  with its own bearer token instead of the secret (haven/metrics/endpoint.py).

Rasa sends the header from the `action_endpoint: headers:` of endpoints.yml and
deploy/endpoints.prod.yml. `scripts/run-haven` makes a random secret per run when none is set;
the production profile requires one (docs/deploy.md).
"""

from __future__ import annotations

import argparse
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from haven.logs.throttle import SummarizedLog
from haven.metrics.endpoint import METRICS_PATH
from haven.rasa_edge import patches
from haven.services import Services
from haven.settings import Settings

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Haven-Action-Secret"  # noqa: S105 (a header name, not a secret)
SECRET_VARIABLE = "HAVEN_ACTION_SECRET"  # noqa: S105 (a variable name)
MIN_SECRET_CHARS = 24
OPEN_PATHS = frozenset({"/health", METRICS_PATH})
"""Paths answered without the secret: the health check run-haven and load balancers use, and the
NGO's counts, which check their own token (haven/metrics/endpoint.py)."""


class ActionSecretError(RuntimeError):
    """The shared secret is missing or too short; the message is one clear sentence."""


def action_secret(settings: Settings | Mapping[str, str]) -> str:
    """The shared secret `HAVEN_ACTION_SECRET` of the settings (or of an environment given as a
    mapping, for tests).

    Raises `ActionSecretError` when it is unset or shorter than `MIN_SECRET_CHARS`.
    """
    if not isinstance(settings, Settings):
        settings = Settings(settings)
    secret = settings.action_secret
    if len(secret) < MIN_SECRET_CHARS:
        raise ActionSecretError(
            f"{SECRET_VARIABLE} must be set to a random string of at least {MIN_SECRET_CHARS} "
            f"characters (e.g. from `openssl rand -hex 32`), the same for the action server and "
            f"every Rasa server."
        )
    return secret


def secret_check(secret: str) -> Callable[[Request], Awaitable[HTTPResponse | None]]:
    """A Sanic request middleware that answers 401 unless the request carries `secret`."""
    expected = secret.encode("utf-8")
    # One line a minute at most, with a count: a flood of refused requests cannot fill the disk.
    refused = SummarizedLog(
        logger, "Refused requests to the action server without the right secret"
    )

    async def check(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS and request.method in ("GET", "HEAD"):
            return None
        given = (request.headers.get(SECRET_HEADER) or "").encode("utf-8")
        if hmac.compare_digest(given, expected):
            return None
        refused.note()
        return response.json({"error": "unauthorized"}, status=401)

    return check


def create_action_app(secret: str, actions: str = "actions") -> Sanic:
    """rasa_sdk's app for the `actions` package, with CORS off and the secret checked first."""
    from rasa_sdk.endpoint import create_app

    patches.install(patches.ACTION_SERVER)  # before the actions are imported and log anything
    app = create_app(actions, cors_origins="")
    # Registered after create_app's own middleware but run first: Sanic runs request middleware
    # in the order given, and CORS (the only other one) adds headers to responses only.
    app.register_middleware(secret_check(secret), "request")
    Services.for_process().metrics_endpoint.register(app)  # the counts of actions/ (plan, handoff)
    return app


def main(argv: list[str] | None = None) -> None:
    """Starts the action server on SANIC_HOST (127.0.0.1 unless set) and `--port`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)

    from rasa_sdk import utils

    utils.configure_colored_logging("INFO")
    utils.update_sanic_log_level()
    # The process's composition root: the actions take their desk and queue from the same one.
    settings = Services.for_process().settings
    try:
        secret = action_secret(settings)
    except ActionSecretError as error:
        raise SystemExit(str(error)) from None
    app = create_action_app(secret, args.actions)
    host = settings.sanic_host
    logger.info(
        "Action server on http://%s:%s, answering only requests with the secret.", host, args.port
    )
    app.run(host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
