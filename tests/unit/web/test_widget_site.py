"""The web chat's files and their headers (haven/web/widget_site.py), and rules the widget's code
keeps (widget/haven.js), checked without a browser.
"""

import json
import re

import pytest
import yaml

from haven.web.widget_site import (
    STRINGS_FILE,
    WidgetSite,
    content_security_policy,
    load_widget_strings,
)
from tests.support import PROJECT

WIDGET_JS = (PROJECT / "widget" / "haven.js").read_text(encoding="utf-8")


def test_every_language_has_every_widget_text():
    strings = load_widget_strings()
    assert {"en", "es"} <= set(strings)
    for texts in strings.values():
        assert set(texts) == set(strings["en"])
        assert all(text.strip() and "<" not in text for text in texts.values())


def test_a_missing_widget_text_is_named(tmp_path):
    languages = yaml.safe_load(STRINGS_FILE.read_text(encoding="utf-8"))
    del languages["languages"]["es"]["quick_exit"]
    broken = tmp_path / "widget_strings.yml"
    broken.write_text(yaml.safe_dump(languages), encoding="utf-8")
    with pytest.raises(ValueError, match="'es' has no text for 'quick_exit'"):
        load_widget_strings(broken)


def test_the_first_screen_says_quick_exit_does_not_clear_history():
    english = load_widget_strings()["en"]
    assert "does not clear your browser history" in english["intro_history"]
    assert "Esc" in english["intro_exit"]


def test_the_page_policy_allows_no_inline_code_and_no_other_site():
    policy = content_security_policy([])
    assert "unsafe" not in policy
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "default-src 'none'" in policy and policy.endswith("frame-ancestors 'none'")
    assert content_security_policy(["https://ngo.example"]).endswith(
        "frame-ancestors https://ngo.example"
    )


def test_pages_and_files_carry_security_headers():
    site = WidgetSite()
    page = site.demo()
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    script = site.file("haven.js")
    assert script.content_type.startswith("text/javascript")
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    assert script.headers["Cross-Origin-Resource-Policy"] == "cross-origin"  # NGO sites load it


def test_framing_can_be_allowed_for_the_ngo_site():
    page = WidgetSite(frame_ancestors=["https://ngo.example"]).demo()
    assert "X-Frame-Options" not in page.headers
    assert page.headers["Content-Security-Policy"].endswith("frame-ancestors https://ngo.example")


@pytest.mark.parametrize(
    "name", ["../haven/storage/crypto.py", "demo.html", "vendor/socket.io.LICENSE", "nope.js", ""]
)
def test_only_widget_assets_are_served(name):
    assert WidgetSite().file(name).status == 404


def test_the_texts_are_served_as_a_script():
    body = WidgetSite().file("strings.js").body.decode()
    assert body.startswith("window.HavenStrings = ")
    assert json.loads(body.removeprefix("window.HavenStrings = ").rstrip(";\n")) == (
        load_widget_strings()
    )


def test_the_vendored_socket_io_client_is_the_pinned_one():
    pinned = json.loads((PROJECT / "package.json").read_text())["devDependencies"]
    vendored = (PROJECT / "widget" / "vendor" / "socket.io.min.js").read_text()
    assert f"Socket.IO v{pinned['socket.io-client']}" in vendored[:200]
    assert "MIT" in (PROJECT / "widget" / "vendor" / "socket.io.LICENSE").read_text()


@pytest.mark.parametrize(
    "forbidden",
    [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "localStorage",
        "document.cookie",
        "new Function",
    ],
)
def test_the_widget_never_parses_html_or_stores_outside_session_storage(forbidden):
    assert forbidden not in WIDGET_JS


def test_the_widget_links_only_web_addresses():
    # Links are built from http(s) URLs only, and open without passing on where they came from.
    assert "url.protocol === 'https:' || url.protocol === 'http:'" in WIDGET_JS
    assert re.search(r"rel: 'noopener noreferrer'", WIDGET_JS)
