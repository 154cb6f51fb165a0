"""The counselor console as its own channel entry (haven/rasa_edge/console_channel.py), and the
web chat's old `counselor_console` option, which still works for one release with a warning."""

import warnings
from types import SimpleNamespace

import pytest
import yaml

from haven.handoff.relay import HandoffRelay
from haven.rasa_edge.console_channel import ENTRY, CounselorConsoleInput, served_console
from haven.rasa_edge.widget_channel import HavenWidgetInput
from haven.web.widget_protocol import ConversationTokens
from tests.support import PROJECT


class FakeConsole:
    """Stands in for CounselorConsole: records the apps it was registered on."""

    def __init__(self):
        self.apps = []
        self.queue = SimpleNamespace(name="the console's queue")

    def register(self, app):
        self.apps.append(app)


def an_app():
    return SimpleNamespace(ctx=SimpleNamespace())


def widget(**options):
    return HavenWidgetInput(
        tokens=ConversationTokens([b"k" * 32]), leave_grace_seconds=0, **options
    )


def test_the_console_entry_takes_no_options():
    assert isinstance(CounselorConsoleInput.from_credentials({}), CounselorConsoleInput)
    assert isinstance(CounselorConsoleInput.from_credentials(None), CounselorConsoleInput)
    with pytest.raises(ValueError, match="handoff.yml"):
        CounselorConsoleInput.from_credentials({"session_minutes": 30})


def test_the_console_and_the_web_chat_share_the_processs_relay():
    assert CounselorConsoleInput().relay is widget().relay


def test_the_console_is_served_once_and_the_web_chat_finds_its_queue_in_any_order():
    app, first, second = an_app(), FakeConsole(), FakeConsole()
    chat = widget(relay=HandoffRelay())
    chat.app = app
    assert chat._handoff_queue() is None  # no console: no counselor waits for anyone
    CounselorConsoleInput(console=first).register_on(app)
    CounselorConsoleInput(console=second).register_on(app)  # named twice: served once
    assert (first.apps, second.apps) == ([app], [])
    assert served_console(app) is first
    assert chat._handoff_queue() is first.queue


def test_the_old_option_still_serves_the_console_with_a_warning_naming_the_new_entry():
    with pytest.warns(DeprecationWarning, match=ENTRY):
        on = HavenWidgetInput.from_credentials({"counselor_console": True})
    blueprint = on.blueprint(None)
    assert isinstance(blueprint.ctx.console, CounselorConsoleInput)
    assert blueprint.ctx.console.relay is on.relay
    with pytest.warns(DeprecationWarning, match=ENTRY):
        off = HavenWidgetInput.from_credentials({"counselor_console": False})
    assert off.blueprint(None).ctx.console is None


def test_without_the_old_option_the_web_chat_neither_warns_nor_serves_the_console():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        chat = HavenWidgetInput.from_credentials({"allowed_origins": []})
    assert chat.blueprint(None).ctx.console is None


@pytest.mark.parametrize(
    "path", ["credentials.yml", "deploy/credentials.prod.yml", "deploy/kubernetes/credentials.yml"]
)
def test_the_shipped_credentials_name_the_console_entry_not_the_old_option(path):
    channels = yaml.safe_load((PROJECT / path).read_text(encoding="utf-8"))
    assert channels[ENTRY] == {}
    assert "counselor_console" not in channels["haven.rasa_edge.widget_channel.HavenWidgetInput"]
