"""Rows sealed before the package moved still open: table names, AAD and HKDF info are unchanged.

tests/fixtures/sealed-before-move.sqlite was written by the code of commit 21bdcc2 (when the
package was still `bot/`), with the fixed test key below and the clock at FIXTURE_TIME: one
conversation ("fixture-conversation", minimized as it is stored), one handoff request for it
(risk, summary shared) and one audit line ("ana" claimed it). A change to a table name, to the
associated data or to a key derivation makes these rows unreadable, and this test fail.
"""

import base64
import shutil

import pytest

from haven.handoff.queue import HandoffQueue
from haven.settings import StorageSettings
from haven.storage.conversations import ConversationStore, close_engines
from haven.storage.crypto import KeyRing
from tests.support import PROJECT

FIXTURE = PROJECT / "tests" / "fixtures" / "sealed-before-move.sqlite"
FIXTURE_KEY = "fixture:" + base64.b64encode(bytes(range(32))).decode()
FIXTURE_TIME = 1_700_000_000.0


@pytest.fixture
def database_url(tmp_path):
    copy = tmp_path / "sealed.sqlite"
    shutil.copyfile(FIXTURE, copy)
    yield f"sqlite:///{copy}"
    close_engines()


def test_the_conversation_sealed_before_the_move_opens(database_url, tmp_path):
    environ = {"HAVEN_DB_URL": database_url, "HAVEN_KEYS": FIXTURE_KEY}
    settings = StorageSettings.load({**environ, "HAVEN_DATA_DIR": str(tmp_path)})
    store = ConversationStore(settings, KeyRing.parse(FIXTURE_KEY), clock=lambda: FIXTURE_TIME)
    events = store.load("fixture-conversation")
    assert [event["event"] for event in events] == ["session_started", "user", "bot"]
    assert events[1]["parse_data"]["intent"]["name"] == "disclose_sextortion"
    assert store.sender_ids() == ["fixture-conversation"]


def test_the_handoff_request_and_audit_line_sealed_before_the_move_open(database_url):
    queue = HandoffQueue(database_url, KeyRing.parse(FIXTURE_KEY), clock=lambda: FIXTURE_TIME)
    request = queue.open_for("fixture-conversation")
    assert (request.language, request.region, request.age_band) == ("en", "uk", "13_15")
    assert request.risk and request.share_summary and request.steps_done == ["dont_pay"]
    assert queue.audit_trail() == [
        {"counselor": "ana", "action": "claim", "request": request.request_id, "at": FIXTURE_TIME}
    ]


def test_another_key_cannot_open_them(database_url):
    other = "fixture:" + base64.b64encode(bytes(range(1, 33))).decode()
    queue = HandoffQueue(database_url, KeyRing.parse(other), clock=lambda: FIXTURE_TIME)
    assert queue.open_for("fixture-conversation") is None
    assert queue.audit_trail() == []
