"""Every encrypted table is covered by the key check and rotation, and a row the keys cannot open
never makes the queue, the console or the audit trail fail."""

import json
import logging

import pytest
import sqlalchemy as sa

from haven.handoff.counselors import CounselorAccounts
from haven.handoff.queue import HandoffError, HandoffQueue
from haven.settings import StorageConfigError, StorageSettings
from haven.storage.conversations import ConversationStore, engine_for
from haven.storage.crypto import KeyRing, generate_key_line
from haven.storage.encrypted_tables import encrypted_tables
from tests.support import PROJECT
from tests.support.counselor_console import Browser, ask, serve


def ring(*key_ids: str) -> KeyRing:
    return KeyRing.parse(",".join(generate_key_line(key_id) for key_id in key_ids))


def queue_under(url: str, key_ring: KeyRing) -> HandoffQueue:
    made = HandoffQueue(url, key_ring)
    made.create_schema()
    return made


def tables_under(url: str, key_ring: KeyRing):
    settings = StorageSettings.load({"HAVEN_DB_URL": url, "HAVEN_KEYS": "unused"})
    made = encrypted_tables(settings, key_ring)
    made.create_schema()
    return made


def test_every_table_with_encrypted_rows_is_in_the_list(database_url):
    keys = ring("k1")
    settings = StorageSettings.load({"HAVEN_DB_URL": database_url, "HAVEN_KEYS": "unused"})
    ConversationStore(settings, keys).create_schema()
    HandoffQueue(database_url, keys).create_schema()
    CounselorAccounts(database_url).create_schema()
    inspector = sa.inspect(engine_for(database_url))
    sealed = {
        name
        for name in inspector.get_table_names()
        if "nonce" in {column["name"] for column in inspector.get_columns(name)}
    }
    listed = {table.table.name for table in encrypted_tables(settings, keys).tables}
    assert (
        sealed
        == listed
        == {
            "haven_conversations",
            "haven_handoffs",
            "haven_handoff_audit",
            "haven_counselor_totp",
        }
    )


def test_no_module_defines_an_encrypted_table_the_list_does_not_know():
    # A new table with a `nonce` column belongs in haven/storage/encrypted_tables.py's list (and
    # here).
    defining = {
        path.relative_to(PROJECT / "haven").as_posix()
        for path in (PROJECT / "haven").rglob("*.py")
        if 'Column("nonce"' in path.read_text()
    }
    assert defining == {"storage/conversations.py", "handoff/queue.py", "handoff/counselors.py"}


def test_rotation_then_the_new_key_alone_reads_every_table(database_url):
    old, new = generate_key_line("k1"), generate_key_line("k2")
    queue = queue_under(database_url, KeyRing.parse(old))
    waiting = ask(queue, "waiting-conversation")
    left = ask(queue, "leaving-conversation")
    queue.leave("leaving-conversation")
    queue.record("ana", "login")
    accounts = CounselorAccounts(database_url, key_ring=KeyRing.parse(old))
    accounts.create_schema()
    accounts.add("ana", "twelve characters")
    secret = accounts.enable_totp("ana").secret
    counts = tables_under(database_url, KeyRing.parse(f"{new},{old}")).rotate(batch_size=1)
    assert counts == {
        "conversations": 0,
        "handoff requests": 2,
        "audit lines": 2,
        "second-factor secrets": 1,
    }

    tables = tables_under(database_url, KeyRing.parse(new))
    tables.check_keys(every_row=True)
    assert tables.keys_in_use() == {"k2"}
    after = queue_under(database_url, KeyRing.parse(new))
    assert [request.request_id for request in after.waiting()] == [waiting.request_id]
    assert after.open_for("waiting-conversation").request_id == waiting.request_id
    assert after.open_for("leaving-conversation") is None
    assert [line["request"] for line in after.audit_trail()] == [left.request_id, None]
    import pyotp

    rotated = CounselorAccounts(database_url, key_ring=KeyRing.parse(new))
    assert rotated.verify_totp("ana", pyotp.TOTP(secret).now())  # the secret, under k2 alone


def test_the_quick_check_fails_for_a_retired_key_in_any_table(database_url):
    queue_under(database_url, ring("k1")).record("ana", "login")
    tables = tables_under(database_url, ring("k2"))
    with pytest.raises(StorageConfigError, match=r"audit lines .* key 'k1', which is not among"):
        tables.check_keys()


def test_a_request_the_keys_cannot_open_is_left_out_with_one_log_line(database_url, caplog):
    lost = ask(queue_under(database_url, ring("k1")), "lost-conversation")
    queue_under(database_url, ring("k1")).record("ana", "login")
    queue = queue_under(database_url, ring("k2"))
    kept = ask(queue, "kept-conversation")
    with caplog.at_level(logging.ERROR, logger="haven.handoff.queue"):
        assert [request.request_id for request in queue.waiting()] == [kept.request_id]
    (record,) = caplog.records
    assert record.getMessage().startswith("Left out 1 of the handoff requests")
    assert "(key ids: k1)" in record.getMessage()
    with pytest.raises(HandoffError):
        queue.claim(lost.request_id, "ana")
    assert queue.audit_trail() == []


def test_the_console_lists_the_queue_while_a_row_cannot_be_decrypted(tmp_path):
    url = f"sqlite:///{tmp_path / 'haven.db'}"
    lost = ask(queue_under(url, ring("k1")), "lost-conversation")
    new = generate_key_line("k2")
    log = tmp_path / "console.out"
    with log.open("w") as output:
        process, port, _ = serve(
            tmp_path, "tests.support.console_app", output=output, HAVEN_KEYS=new
        )
    try:
        kept = ask(queue_under(url, KeyRing.parse(new)), "kept-conversation")
        browser = Browser(port)
        assert browser.login("ana")[0].status == 303
        reply, text = browser.request("GET", "/counselor/api/state")
        assert reply.status == 200
        assert [item["id"] for item in json.loads(text)["queue"]] == [kept.request_id]
        status, _ = browser.post("/counselor/api/claim", {"id": lost.request_id})
        assert status == 409
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "Left out 1 of the handoff requests" in log.read_text()
