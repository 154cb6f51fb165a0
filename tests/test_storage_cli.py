"""The storage command line: key file, check, rotation with retiring the old key, purge."""

import pytest

from bot import storage_cli
from bot.conversations import ConversationStore, close_engines
from bot.settings import StorageSettings


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
    assert "Re-encrypted 3 conversations with key 'k2'" in capsys.readouterr().out
    assert run("retire-keys") == 0 and "Removed keys: k1" in capsys.readouterr().out
    close_engines()
    assert run("check") == 0 and "k2=3" in capsys.readouterr().out
    assert store().load("s2")[0]["value"] == "dont_pay"


def test_purge_reports_what_it_deleted(data_dir, capsys):
    run("init-keys")
    assert run("purge") == 0
    assert "Deleted 0 conversations older than 30 days" in capsys.readouterr().out


def test_new_key_print_gives_a_line_for_haven_keys(capsys):
    assert run("new-key", "prod-2", "--print") == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("prod-2:") and len(line) == len("prod-2:") + 44
