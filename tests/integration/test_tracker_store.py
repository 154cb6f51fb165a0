"""A real conversation through scripts/run-haven leaves no typed word behind in the database
(SQLite or PostgreSQL) or the logs, with `EncryptedTrackerStore` (haven/rasa_edge/tracker_store.py)
storing it."""

import os
import subprocess
import time
from pathlib import Path

import pytest

from haven.storage.conversations import close_engines
from haven.storage.crypto import generate_key_line
from tests.support import PROJECT
from tests.support.running_haven import stop_process_group

pytestmark = pytest.mark.server


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningHaven:
    """scripts/run-haven on free loopback ports with its own data and log folders."""

    def __init__(self, tmp: Path, extra_env: dict[str, str]) -> None:
        self.port, self.tmp = free_port(), tmp
        self.log_dir = tmp / "log"
        env = {
            **os.environ,
            "HAVEN_RASA_PORT": str(self.port),
            "HAVEN_ACTION_PORT": str(free_port()),
            "HAVEN_LOG_DIR": str(self.log_dir),
            "HAVEN_DATA_DIR": str(tmp / "data"),
            **extra_env,
        }
        self.output = tmp / "run-haven.out"
        with self.output.open("w") as out:
            self.process = subprocess.Popen(
                [str(PROJECT / "scripts" / "run-haven")],
                cwd=PROJECT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 240
        while "Haven is running" not in self.output.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"run-haven did not start:\n{self.output.read_text()[-3000:]}")
            time.sleep(0.1)

    def say(self, sender: str, text: str, metadata: dict | None = None) -> str:
        import json
        import urllib.request

        body = {"sender": sender, "message": text, "metadata": metadata or {}}
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/webhooks/rest/webhook",
            data=json.dumps(body).encode(),  # a lone surrogate goes as "\ud800", as in JSON
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as reply:
            return "\n".join(m.get("text", "") for m in json.loads(reply.read()))

    def stop(self) -> None:
        stop_process_group(self.process)

    def logs(self) -> bytes:
        files = [self.output, *sorted(self.log_dir.glob("*"))]
        return b"\n".join(path.read_bytes() for path in files if path.is_file())


# Words only the young person typed: none of them is in the training data or any response.
WORDS = ["Quentavious", "Brixtonfield", "07700 900123", "quentavious@example.com", "$250"]
MESSAGES = [
    "hi",
    "a guy called Quentavious from Brixtonfield has my nudes and wants $250",
    "he texts me from 07700 900123 and quentavious@example.com",
    "/step_done",
    "what if Quentavious posts them anyway",
]


def chat(haven: RunningHaven, sender: str) -> None:
    replies = [haven.say(sender, text) for text in MESSAGES]
    assert "Step 1" in replies[1] and "Step 2" in replies[3]
    assert not any(word in reply for word in WORDS for reply in replies)


def assert_no_typed_word_in(blob: bytes, where: str, words: list[str] = WORDS) -> None:
    found = [word for word in words if word.lower().encode() in blob.lower()]
    assert found == [], f"typed words found in {where}"


# Crafted messages (the "Hardening" issue): a lone UTF-16 surrogate, crisis words after a
# payload, and free text inside payloads and metadata that would be stored if kept.
CRAFTED_WORDS = ["Zorblatt", "secret diary", "Vexhollow"]


def crafted_chat(haven: RunningHaven, sender: str) -> None:
    assert "Step 1" in haven.say(sender, "Zorblatt \ud800 has my nudes and wants money")
    said = haven.say(sender, "/greet{} i want to kill myself")
    assert said.startswith("I'm really glad you told me")  # crisis help first, not the greeting
    assert haven.say(sender, '/tell_region{"region": "my secret diary text"}')
    assert haven.say(sender, '/set_language{"language": "Vexhollow"}')
    assert haven.say(sender, "hi", metadata={"region": "secret diary", "language": "Vexhollow"})


def decrypted_rows(data_dir: Path, senders: list[str]) -> bytes:
    """Every stored conversation of the REST `senders` (filed under `rest:` + sender), decrypted
    with the embedded key file."""
    import json

    from haven.settings import StorageSettings
    from haven.storage.conversations import ConversationStore
    from haven.web.rest_checks import REST_PREFIX

    store = ConversationStore(StorageSettings.load({"HAVEN_DATA_DIR": str(data_dir)}))
    events = {sender: store.load(REST_PREFIX + sender) for sender in senders}
    assert all(events.values()), "a conversation was not stored"
    return json.dumps(events, ensure_ascii=False).encode()


def test_a_real_conversation_leaves_no_typed_word_in_sqlite_or_the_logs(tmp_path):
    # At debug level, where Rasa writes every message into its logs: the safety net hides them.
    haven = RunningHaven(tmp_path, {"LOG_LEVEL": "DEBUG"})
    try:
        chat(haven, "privacy-sqlite")
        forgotten = haven.say("privacy-forget", "Quentavious has my nudes and wants money")
        assert "Step 1" in forgotten
        # A typed "/" text that names no intent: Rasa quotes it in a warning
        # (haven/logs/privacy.py).
        assert haven.say("privacy-forget", "/Quentavious from Brixtonfield keeps texting")
        assert haven.say("privacy-forget", "please delete my chat").count("deleted this chat") == 1
        assert "automated assistant" in haven.say("privacy-forget", "hi")  # a fresh start
        crafted_chat(haven, "privacy-crafted")
    finally:
        haven.stop()
    database = tmp_path / "data" / "haven.db"
    assert database.stat().st_size > 0
    assert_no_typed_word_in(database.read_bytes(), "the SQLite file")
    assert_no_typed_word_in(haven.logs(), "the logs")
    for words in (WORDS, CRAFTED_WORDS):
        rows = decrypted_rows(tmp_path / "data", ["privacy-sqlite", "privacy-crafted"])
        assert_no_typed_word_in(rows, "the decrypted rows", words)
        assert_no_typed_word_in(database.read_bytes() + haven.logs(), "the file or logs", words)
    assert b"privacy-sqlite" not in database.read_bytes()


def test_a_real_conversation_leaves_no_typed_word_in_postgresql(tmp_path, postgres_url):
    haven = RunningHaven(
        tmp_path,
        {"HAVEN_DB_URL": postgres_url, "HAVEN_KEYS": generate_key_line("prod-1")},
    )
    try:
        chat(haven, "privacy-postgres")
    finally:
        haven.stop()
    close_engines()
    schema = postgres_url.rsplit("%3D", 1)[1]
    dump = subprocess.run(
        ["pg_dump", "--data-only", "--schema", schema, postgres_url.split("?")[0]],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    assert b"haven_conversations" in dump and b"prod-1" in dump
    assert_no_typed_word_in(dump, "the PostgreSQL dump")
    assert_no_typed_word_in(haven.logs(), "the logs")
    assert b"privacy-postgres" not in dump
