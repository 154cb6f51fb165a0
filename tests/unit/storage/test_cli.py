"""The storage command line: key file, check, rotation with retiring the old key, purge."""

import pytest
import sqlalchemy as sa

from haven.handoff import cli as counselor_cli
from haven.handoff.queue import AUDIT_TABLE, YoungPersonLeft, default_queue
from haven.services import Services
from haven.settings import StorageSettings
from haven.storage import cli as storage_cli
from haven.storage.conversations import ConversationStore, close_engines, engine_for
from haven.storage.crypto import generate_key_line


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HAVEN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HAVEN_KEYS", raising=False)
    monkeypatch.delenv("HAVEN_DB_URL", raising=False)
    yield tmp_path
    close_engines()


def run(*args: str) -> int:
    return storage_cli.main(list(args))


def store() -> ConversationStore:
    return ConversationStore(
        StorageSettings.load(
            **storage_cli.tracker_store_options(storage_cli.PROJECT_ROOT / "endpoints.yml")
        )
    )


def test_without_a_key_check_fails_with_one_sentence(data_dir, capsys):
    assert run("check") == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("No encryption key") and "make keys" in error and "\n" not in error


def test_init_keys_creates_the_key_file_once(data_dir, capsys):
    assert run("init-keys") == 0 and "Created" in capsys.readouterr().out
    first = (data_dir / "haven.keys").read_text()
    assert run("init-keys") == 0 and "already exists" in capsys.readouterr().out
    assert (data_dir / "haven.keys").read_text() == first
    assert run("check") == 0 and "Keys OK" in capsys.readouterr().out


def test_rotation_then_retiring_the_old_key_keeps_everything_readable(data_dir, capsys):
    run("init-keys")
    conversations = store()
    conversations.create_schema()
    for index in range(3):
        conversations.store(
            f"s{index}",
            [{"event": "slot", "timestamp": 1, "name": "plan_step", "value": "dont_pay"}],
        )
    assert run("new-key", "k2") == 0
    assert run("retire-keys") == 0 and "Removed keys: none" in capsys.readouterr().out
    assert run("rotate", "--batch-size", "2") == 0
    assert "Re-encrypted with key 'k2': 3 conversations" in capsys.readouterr().out
    assert run("retire-keys") == 0 and "Removed keys: k1" in capsys.readouterr().out
    close_engines()
    assert run("check") == 0 and "conversations k2=3" in capsys.readouterr().out
    assert store().load("s2")[0]["value"] == "dont_pay"


def ask(queue, conversation_id: str):
    return queue.request(
        conversation_id, language="en", region=None, age_band=None, steps_done=[], risk=False
    )


def test_rotation_covers_handoff_requests_and_the_audit_trail(data_dir, capsys):
    run("init-keys")
    queue = default_queue()
    waiting = ask(queue, "waiting-conversation")
    ended = ask(queue, "ended-conversation")
    queue.claim(ended.request_id, "ana")
    queue.end(ended.request_id, "ana")
    left = ask(queue, "leaving-conversation")
    queue.leave("leaving-conversation")
    claimed = ask(queue, "claimed-conversation")
    queue.claim(claimed.request_id, "ben")

    assert run("new-key", "k2") == 0
    assert run("rotate") == 0
    assert run("retire-keys") == 0
    close_engines()
    assert run("check") == 0
    said = capsys.readouterr().out

    after = default_queue()  # the key file holds k2 only now
    assert [request.request_id for request in after.waiting()] == [waiting.request_id]
    assert [chat.request_id for chat in after.chats_of("ben")] == [claimed.request_id]
    assert after.open_for("waiting-conversation").request_id == waiting.request_id
    with pytest.raises(YoungPersonLeft):
        after.claim(left.request_id, "ana")
    actions = [line["action"] for line in after.audit_trail()]
    assert actions == ["claim", "end", "left_waiting", "claim"]
    assert counselor_cli.main(["audit"]) == 0
    assert "3 handoff requests, 4 audit lines" in said and "Removed keys: k1" in said
    assert "handoff requests k2=3; audit lines k2=4" in said


@pytest.fixture
def production(database_url, tmp_path, monkeypatch):
    """HAVEN_DB_URL and HAVEN_KEYS set, as in production, on SQLite and on PostgreSQL."""
    monkeypatch.setenv("HAVEN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HAVEN_DB_URL", database_url)
    yield lambda *lines: monkeypatch.setenv("HAVEN_KEYS", ",".join(lines))
    close_engines()


def test_with_haven_keys_rotation_reaches_every_table_and_the_old_key_can_go(production, capsys):
    old, new = generate_key_line("k1"), generate_key_line("k2")
    production(old)
    queue = default_queue()
    waiting = ask(queue, "waiting-conversation")
    queue.record("ana", "login")
    production(new, old)
    assert run("rotate", "--batch-size", "1") == 0
    production(new)
    close_engines()
    assert run("check") == 0
    assert [request.request_id for request in default_queue().waiting()] == [waiting.request_id]
    assert [line["action"] for line in default_queue().audit_trail()] == ["login"]
    assert "handoff requests k2=1; audit lines k2=1" in capsys.readouterr().out


def test_check_fails_naming_the_table_whose_rows_the_keys_cannot_open(production, capsys):
    production(generate_key_line("k1"))
    ask(default_queue(), "waiting-conversation")
    production(generate_key_line("k2"))  # k1 retired without rotating
    close_engines()
    assert run("check") == 1
    error = capsys.readouterr().err.strip()
    assert "handoff requests" in error and "'k1'" in error and "\n" not in error


def test_check_opens_every_row_not_only_one_per_key(production, database_url, capsys):
    production(generate_key_line("k1"))
    queue = default_queue()
    for action in ("login", "claim", "logout"):
        queue.record("ana", action)
    with engine_for(database_url).begin() as connection:
        audit = sa.table(AUDIT_TABLE, sa.column("id"), sa.column("body"))
        last = connection.execute(sa.select(sa.func.max(audit.c.id))).scalar_one()
        connection.execute(sa.update(audit).where(audit.c.id == last).values(body=b"\0" * 40))
    assert run("check") == 1
    error = capsys.readouterr().err.strip()
    assert "audit lines" in error and f"row {last}" in error


def test_purge_reports_what_it_deleted(data_dir, capsys):
    run("init-keys")
    assert run("purge") == 0
    assert "Deleted 0 conversations older than 30 days" in capsys.readouterr().out


def test_new_key_print_gives_a_line_for_haven_keys(capsys):
    assert run("new-key", "prod-2", "--print") == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("prod-2:") and len(line) == len("prod-2:") + 44


def write_one_row(table: str) -> None:
    """One encrypted row in `table` (and none in the others), as the server writes it."""
    if table == "haven_conversations":
        conversations = store()
        conversations.create_schema()
        conversations.store("s1", [{"event": "slot", "timestamp": 1, "name": "plan_step"}])
    elif table == "haven_handoffs":
        ask(default_queue(), "waiting-conversation")
    elif table == "haven_handoff_audit":
        default_queue().record("ana", "login")
    elif table == "haven_counselor_totp":
        accounts = Services.for_process().counselor_accounts
        accounts.add("ana", "a long enough password")
        accounts.enable_totp("ana")
    else:
        raise AssertionError(f"no way to write a row of {table} yet: add one here")


def sealed_tables() -> dict[str, list[str]]:
    """The key id of every row of every table with a `nonce` column in Haven's database."""
    engine = engine_for(StorageSettings.load().db_url)
    inspector = sa.inspect(engine)
    found = {}
    with engine.connect() as connection:
        for name in inspector.get_table_names():
            if "nonce" in {column["name"] for column in inspector.get_columns(name)}:
                rows = connection.execute(sa.text(f"SELECT key_id FROM {name}")).scalars()  # noqa: S608
                found[name] = list(rows)
    return found


SEALED = ["haven_conversations", "haven_handoffs", "haven_handoff_audit", "haven_counselor_totp"]


@pytest.mark.parametrize("table", SEALED)
def test_retire_keys_keeps_a_key_while_any_sealed_table_uses_it_and_rotate_reaches_it(
    table, data_dir, capsys
):
    run("init-keys")
    assert run("check") == 0  # creates every table
    assert set(sealed_tables()) == set(SEALED)  # a new sealed table needs its own case here
    write_one_row(table)
    assert run("new-key", "k2") == 0
    assert run("retire-keys") == 0
    assert "Removed keys: none" in capsys.readouterr().out  # one row of this table still uses k1
    assert run("rotate") == 0
    assert all(keys == ["k2"] * len(keys) for keys in sealed_tables().values())
    assert sealed_tables()[table] == ["k2"]
    assert run("retire-keys") == 0 and "Removed keys: k1" in capsys.readouterr().out
    close_engines()
    assert run("check") == 0 and "Keys OK" in capsys.readouterr().out
