"""`WidgetSite`: the web chat's files, its demo page at `/`, and their security headers.

Served by the Rasa server itself, so an NGO's page needs nothing from a third party:

| path                              | what                                                      |
|-----------------------------------|-----------------------------------------------------------|
| `/`                               | the demo page (widget/demo.html) unless `demo_page: false` |
| `/widget/haven.js`, `haven.css`   | the widget; one `<script>` tag embeds it                  |
| `/widget/strings.js`              | the widget's texts per language (content/widget_strings.yml) |
| `/widget/vendor/socket.io.min.js` | socket.io-client, vendored from npm (MIT, see its LICENSE) |

Rasa answers `/` itself ("Hello from Rasa"), with or without its HTTP API, and Sanic cannot
register a second handler for it; a request middleware answers `GET /` with the demo page
before Rasa's handler runs. Every other file is a plain route.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from haven.settings import PROJECT_ROOT

WIDGET_DIR = PROJECT_ROOT / "widget"
STRINGS_FILE = PROJECT_ROOT / "content" / "widget_strings.yml"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
FRAME_ANCESTOR_PATTERN = re.compile(r"^('self'|https?://[A-Za-z0-9.*-]+(:[0-9]{1,5})?)\Z")

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def load_widget_strings(path: Path = STRINGS_FILE) -> dict[str, dict[str, str]]:
    """The widget's texts: {language code: {key: text}}; every language has every English key.

    Raises `ValueError` naming the language and key that is missing or not a string.
    """
    with path.open(encoding="utf-8") as handle:
        languages = yaml.safe_load(handle)["languages"]
    english = languages["en"]
    for code, texts in languages.items():
        for key in english:
            if not isinstance(texts.get(key), str):
                raise ValueError(f"{path.name}: language '{code}' has no text for '{key}'.")
    return languages


def content_security_policy(frame_ancestors: Iterable[str]) -> str:
    """A policy without inline scripts or styles: everything comes from Haven's own origin."""
    ancestors = " ".join(frame_ancestors) or "'none'"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {ancestors}"
    )


@dataclass(frozen=True)
class _File:
    body: bytes
    content_type: str


class WidgetSite:
    """Serves the widget's files and the demo page with strict security headers."""

    def __init__(self, frame_ancestors: Iterable[str] = (), demo_page: bool = True) -> None:
        ancestors = [str(origin) for origin in frame_ancestors]
        for origin in ancestors:
            if not FRAME_ANCESTOR_PATTERN.match(origin):
                raise ValueError(
                    f"frame_ancestors entries must be 'self' or an origin like "
                    f"https://example.org; got {origin!r}."
                )
        self.demo_page = demo_page
        self.page_headers = {
            **COMMON_HEADERS,
            "Content-Security-Policy": content_security_policy(ancestors),
            "Cache-Control": "no-store",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Cross-Origin-Resource-Policy": "same-origin",
        }
        if not ancestors:
            self.page_headers["X-Frame-Options"] = "DENY"
        # Scripts and styles are loaded by NGO pages on other origins.
        self.asset_headers = {
            **COMMON_HEADERS,
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
            "Cache-Control": "no-cache",
            "Cross-Origin-Resource-Policy": "cross-origin",
        }
        self.files = self._read_files()

    @staticmethod
    def _read_files() -> dict[str, _File]:
        files = {}
        for path in sorted(WIDGET_DIR.rglob("*")):
            content_type = CONTENT_TYPES.get(path.suffix)
            if path.is_file() and content_type and path.name != "demo.html":
                name = path.relative_to(WIDGET_DIR).as_posix()
                files[name] = _File(path.read_bytes(), content_type)
        strings = json.dumps(load_widget_strings(), ensure_ascii=False, sort_keys=True)
        files["strings.js"] = _File(
            f"window.HavenStrings = {strings};\n".encode(), CONTENT_TYPES[".js"]
        )
        return files

    def demo(self) -> HTTPResponse:
        """The demo page: the widget filling the screen, as `make run` shows it."""
        return response.raw(
            (WIDGET_DIR / "demo.html").read_bytes(),
            content_type=CONTENT_TYPES[".html"],
            headers=self.page_headers,
        )

    def file(self, name: str) -> HTTPResponse:
        """One widget file, or a 404 for anything not in widget/."""
        found = self.files.get(name)
        if found is None:
            return response.text("Not found", status=404, headers=COMMON_HEADERS)
        return response.raw(found.body, content_type=found.content_type, headers=self.asset_headers)

    def add_health_route(self, blueprint: Blueprint) -> None:
        """GET on the channel's prefix answers {"status": "ok"}, like Rasa's channels."""

        @blueprint.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

    def register(self, app: Sanic) -> None:
        """Adds /widget/<file> and, with the demo page on, the middleware that serves `/`."""

        async def widget_file(request: Request, name: str) -> HTTPResponse:
            return self.file(name)

        app.add_route(widget_file, "/widget/<name:path>", methods=["GET", "HEAD"])

        if self.demo_page:

            async def demo_page(request: Request) -> HTTPResponse | None:
                if request.path == "/" and request.method in ("GET", "HEAD"):
                    return self.demo()
                return None

            app.register_middleware(demo_page, "request")
