"""The conversation store on real SQLite and real PostgreSQL: what lands on disk, encryption,
keys, rotation, retention and forgetting."""

import json

import pytest
import sqlalchemy as sa

from haven.settings import StorageConfigError, StorageSettings
from haven.storage.conversations import ConversationStore, close_engines
from haven.storage.crypto import TamperedRecordError, generate_key_line
from haven.storage.encrypted_tables import encrypted_tables
from tests.support import PROJECT

TYPED_NAME = "zorblax_the_blackmailer"
PHONE = "+1 555 867 5309"


def conversation(sender: str = "sender-1") -> list[dict]:
    """A stored-shaped conversation in which the user typed a name and a phone number."""
    return [
        {"event": "action", "timestamp": 1.0, "name": "action_session_start"},
        {"event": "session_started", "timestamp": 1.1, "metadata": {"language": "en"}},
        {"event": "action", "timestamp": 1.2, "name": "action_listen"},
        {
            "event": "user",
            "timestamp": 2.0,
            "text": f"{TYPED_NAME} wants money, call me on {PHONE}",
            "parse_data": {
                "intent": {"name": "disclose_sextortion", "confidence": 0.91},
                "entities": [{"entity": "phone", "value": PHONE, "start": 30, "end": 45}],
                "intent_ranking": [{"name": "disclose_sextortion", "confidence": 0.91}],
            },
            "input_channel": "rest",
            "message_id": "m-1",
            "metadata": {"language": "en", "user_agent": "Mozilla/5.0", "ip": "203.0.113.9"},
        },
        {"event": "bot", "timestamp": 2.1, "text": "Step 1: Don't pay.", "data": {}},
        {"event": "slot", "timestamp": 2.2, "name": "plan_step", "value": "dont_pay"},
        {"event": "slot", "timestamp": 2.3, "name": "nickname", "value": TYPED_NAME},
    ]


def keys(*key_ids: str) -> str:
    return ",".join(generate_key_line(key_id) for key_id in key_ids)


def open_store(url: str, keys_spec: str, clock=None, **options) -> ConversationStore:
    settings = StorageSettings.load({"HAVEN_DB_URL": url, "HAVEN_KEYS": keys_spec}, **options)
    store = ConversationStore(settings, clock=clock) if clock else ConversationStore(settings)
    store.create_schema()
    return store


def tables(store: ConversationStore):
    """Every encrypted table under the store's keys (what the key check and rotation cover)."""
    made = encrypted_tables(store.settings, store.key_ring)
    made.create_schema()
    return made


def raw_dump(store: ConversationStore) -> bytes:
    """Every byte of every row, as someone reading the database without the keys sees it."""
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(store.table)).all()
    return b"\n".join(b"|".join(_cell(value) for value in row) for row in rows)


def _cell(value: object) -> bytes:
    return bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()


def test_round_trip_keeps_what_dialogue_needs_and_nothing_typed(database_url):
    store = open_store(database_url, keys("k1"))
    store.store("sender-1", conversation())

    events = store.load("sender-1")
    user = next(e for e in events if e["event"] == "user")
    assert user["parse_data"]["intent"] == {"name": "disclose_sextortion", "confidence": 0.91}
    assert user["parse_data"]["entities"] == [{"entity": "phone"}]
    assert user["text"] is None and user["metadata"] == {"language": "en"}
    assert {"event": "slot", "timestamp": 2.2, "name": "plan_step", "value": "dont_pay"} in events
    everything = json.dumps(events)
    for secret in (TYPED_NAME, "867", "Mozilla", "203.0.113", "Don't pay", "m-1"):
        assert secret not in everything


def test_nothing_readable_is_on_disk_and_the_id_is_hashed(database_url):
    store = open_store(database_url, keys("k1"))
    store.store("sender-1", conversation())
    dump = raw_dump(store)
    for secret in (TYPED_NAME, "867 5309", "sender-1", "disclose_sextortion", "dont_pay", "rest"):
        assert secret.encode() not in dump
    assert store.key_ring.conversation_hash("sender-1").encode() in dump


def test_each_save_uses_a_fresh_nonce(database_url):
    store = open_store(database_url, keys("k1"))
    nonces = set()
    for _ in range(3):
        store.store("sender-1", conversation())
        with store.engine.connect() as connection:
            nonces.add(bytes(connection.execute(sa.select(store.table.c.nonce)).scalar_one()))
    assert len(nonces) == 3 and all(len(nonce) == 12 for nonce in nonces)


def test_only_the_latest_session_is_kept(database_url):
    store = open_store(database_url, keys("k1"))
    later = [
        {"event": "session_started", "timestamp": 9.0},
        {"event": "slot", "timestamp": 9.1, "name": "plan_step", "value": "dont_pay"},
    ]
    store.store("sender-1", conversation() + later)
    assert [e["event"] for e in store.load("sender-1")] == ["session_started", "slot"]


def test_a_tampered_row_raises_instead_of_reading_garbage(database_url):
    store = open_store(database_url, keys("k1"))
    store.store("sender-1", conversation())
    with store.engine.begin() as connection:
        body = bytearray(connection.execute(sa.select(store.table.c.body)).scalar_one())
        body[5] ^= 0x01
        connection.execute(sa.update(store.table).values(body=bytes(body)))
    with pytest.raises(TamperedRecordError, match="integrity check"):
        store.load("sender-1")


def test_a_row_moved_to_another_conversation_does_not_decrypt(database_url):
    store = open_store(database_url, keys("k1"))
    store.store("alice", conversation("alice"))
    store.store("bob", [{"event": "action", "timestamp": 1.0, "name": "action_listen"}])
    table = store.table
    with store.engine.begin() as connection:
        alice = connection.execute(
            sa.select(table).where(
                table.c.conversation == store.key_ring.conversation_hash("alice")
            )
        ).one()
        bob_hash = store.key_ring.conversation_hash("bob")
        connection.execute(
            sa.update(table)
            .where(table.c.conversation == bob_hash)
            .values(nonce=alice.nonce, body=alice.body)
        )
    with pytest.raises(TamperedRecordError):
        store.load("bob")


def test_a_wrong_key_with_the_right_id_fails_at_start(database_url):
    open_store(database_url, keys("k1")).store("sender-1", conversation())
    impostor = open_store(database_url, keys("k1"))
    with pytest.raises(StorageConfigError, match="not the key they were written with"):
        tables(impostor).check_keys()


def test_a_missing_key_fails_at_start_naming_it(database_url):
    open_store(database_url, keys("k1")).store("sender-1", conversation())
    with pytest.raises(StorageConfigError, match="key 'k1', which is not among"):
        tables(open_store(database_url, keys("k2"))).check_keys()


def test_rotation_re_encrypts_everything_and_the_old_key_can_go(database_url):
    old = keys("k1")
    store = open_store(database_url, old)
    for index in range(5):
        store.store(f"sender-{index}", conversation())
    both = keys("k2") + "," + old
    rotated = tables(open_store(database_url, both)).rotate(batch_size=2)

    assert rotated["conversations"] == 5
    new_only = open_store(database_url, both.split(",")[0])
    tables(new_only).check_keys(every_row=True)
    assert tables(new_only).key_usage()["conversations"] == {"k2": 5}
    assert new_only.load("sender-3")[-1]["value"] == "dont_pay"
    assert sorted(new_only.sender_ids()) == [f"sender-{i}" for i in range(5)]


def test_purge_deletes_conversations_past_retention_only(database_url):
    now = [1_000_000.0]
    store = open_store(database_url, keys("k1"), clock=lambda: now[0], retention_days=30)
    store.store("old", conversation())
    now[0] += 20 * 86_400
    store.store("recent", conversation())
    now[0] += 11 * 86_400

    assert store.purge_expired() == 1
    assert store.load("old") is None
    assert store.load("recent") is not None


def test_an_expired_conversation_is_not_read_back_before_the_purge(database_url):
    now = [1_000_000.0]
    store = open_store(database_url, keys("k1"), clock=lambda: now[0], retention_days=1)
    store.store("sender-1", conversation())
    now[0] += 2 * 86_400
    assert store.load("sender-1") is None
    assert tables(store).key_usage()["conversations"] == {}


def test_forget_deletes_the_conversation_and_nothing_else(database_url):
    store = open_store(database_url, keys("k1"))
    store.store("alice", conversation())
    store.store("bob", conversation())
    assert store.forget("alice") == 1
    assert store.load("alice") is None
    assert store.load("bob") is not None


def test_the_production_profile_never_falls_back_to_the_embedded_file(tmp_path):
    from haven.storage.cli import tracker_store_options

    options = tracker_store_options(PROJECT / "deploy" / "endpoints.prod.yml")
    with pytest.raises(StorageConfigError, match="^HAVEN_DB_URL must be set"):
        StorageSettings.load({"HAVEN_DATA_DIR": str(tmp_path)}, **options)
    keys = "k1:" + "A" * 43 + "="
    settings = StorageSettings.load(
        {"HAVEN_DB_URL": "postgresql://h@db/haven", "HAVEN_KEYS": keys}, **options
    )
    assert not settings.embedded


def test_the_embedded_default_is_a_private_sqlite_file_under_the_data_dir(tmp_path):
    from haven.storage.crypto import create_key_file

    settings = StorageSettings.load({"HAVEN_DATA_DIR": str(tmp_path / "data")})
    assert settings.embedded and settings.db_url.endswith("data/haven.db")
    create_key_file(settings.key_file)
    store = ConversationStore(settings)
    store.create_schema()
    store.store("sender-1", conversation())
    close_engines()
    database = tmp_path / "data" / "haven.db"
    assert oct(database.stat().st_mode & 0o777) == "0o600"
    assert TYPED_NAME.encode() not in database.read_bytes()
