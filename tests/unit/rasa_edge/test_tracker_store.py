"""`EncryptedTrackerStore` as Rasa uses it: full trackers in and out, forget-me, purging, the same
predictions from a minimized tracker, and a real conversation that leaves no typed word behind
in the database or the logs (markers `model` and `server` for the last two)."""

import asyncio
import logging
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from haven.rasa_edge.tracker_store import EncryptedTrackerStore
from haven.settings import StorageConfigError
from haven.storage.conversations import CONNECT_TIMEOUT_SECONDS, DatabaseUnavailable, close_engines
from haven.storage.crypto import generate_key_line
from haven.storage.encrypted_tables import encrypted_tables
from tests.running_haven import stop_process_group
from tests.tcp_proxy import TcpProxy

PROJECT = Path(__file__).resolve().parent.parent
MODEL = PROJECT / "models" / "haven.tar.gz"
TYPED = "my stepdad Quentavious has my pics, text him on 07700 900123"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT / "domain.yml"))


def make_store(url: str, domain: Domain, **options) -> EncryptedTrackerStore:
    environ = {"HAVEN_DB_URL": url, "HAVEN_KEYS": options.pop("keys", generate_key_line("k1"))}
    return EncryptedTrackerStore(domain=domain, environ=environ, **options)


def stored_per_key(store: EncryptedTrackerStore) -> dict[str, int]:
    conversations = store.conversations
    tables = encrypted_tables(conversations.settings, conversations.key_ring)
    return tables.key_usage()["conversations"]


def full_tracker(domain: Domain, sender: str = "sender-1") -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, domain.slots)
    for event in [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered(
            TYPED,
            {"name": "disclose_sextortion", "confidence": 0.87},
            [{"entity": "phone", "value": "07700 900123", "start": 40, "end": 52}],
            input_channel="rest",
            metadata={"language": "en"},
        ),
        ActionExecuted("utter_disclosure_ack", policy="RulePolicy", confidence=1.0),
        BotUttered("I'm really sorry this is happening.", {}, {"utter_action": "utter_x"}),
        ActionExecuted("action_plan_move"),
        SlotSet("plan_step", "dont_pay"),
        SlotSet("steps_seen", ["dont_pay"]),
        SlotSet("progress_done", "- Step 1"),
        ActionExecuted("utter_step_dont_pay"),
        ActionExecuted("action_listen"),
    ]:
        tracker.update(event)
    return tracker


def test_the_database_is_read_and_written_off_the_event_loop(database_url, domain, monkeypatch):
    store = make_store(database_url, domain)
    threads = []
    for name in ("store", "load"):
        work = getattr(store.conversations, name)

        def recording(*args, _work=work):
            threads.append(threading.current_thread().name)
            return _work(*args)

        monkeypatch.setattr(store.conversations, name, recording)
    asyncio.run(store.save(full_tracker(domain)))
    assert asyncio.run(store.retrieve("sender-1")) is not None
    assert len(threads) == 2
    assert all(name.startswith("haven-store") for name in threads)


def test_a_full_tracker_round_trips_without_what_was_typed(database_url, domain):
    store = make_store(database_url, domain)
    tracker = full_tracker(domain)
    asyncio.run(store.save(tracker))
    back = asyncio.run(store.retrieve("sender-1"))

    # Like Rasa's own stores, `retrieve` gives the latest session: from SessionStarted on.
    assert [e.action_name for e in back.events if isinstance(e, ActionExecuted)] == [
        e.action_name for e in list(tracker.events)[1:] if isinstance(e, ActionExecuted)
    ]
    assert back.latest_message.intent == {"name": "disclose_sextortion", "confidence": 0.87}
    assert back.latest_message.text is None
    assert back.get_slot("plan_step") == "dont_pay"
    assert back.get_slot("steps_seen") == ["dont_pay"]
    assert back.get_slot("progress_done") is None
    assert back.events[-1] == ActionExecuted("action_listen")
    assert asyncio.run(store.retrieve("someone-else")) is None
    assert list(asyncio.run(store.keys())) == ["sender-1"]


def test_running_the_forget_action_deletes_the_conversation(database_url, domain):
    store = make_store(database_url, domain)
    tracker = full_tracker(domain)
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(full_tracker(domain, "someone-else")))
    handoffs = store._handoffs()
    for sender in ("sender-1", "someone-else"):
        handoffs.request(
            sender, language="en", region=None, age_band=None, steps_done=[], risk=False
        )
    tracker.update(UserUttered("delete my chat", {"name": "delete_my_data", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_forget_me"))
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))

    assert asyncio.run(store.retrieve("sender-1")) is None
    assert stored_per_key(store) == {"k1": 1}  # the other conversation stays
    assert handoffs.open_for("sender-1") is None  # a request for a person goes too
    assert handoffs.open_for("someone-else") is not None


def test_with_the_database_down_rasa_gets_an_error_never_an_empty_conversation(
    postgres_url, domain, caplog
):
    # Rasa's FailSafeTrackerStore used to answer `retrieve` with None (the message started a new
    # conversation, answered out of context) and keep a failed `save` in memory.
    with TcpProxy("127.0.0.1", 5432) as proxy:
        url = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        store = FailSafeTrackerStore(make_store(url, domain))  # as Rasa's Agent wraps it
        asyncio.run(store.save(full_tracker(domain)))
        proxy.down()
        with caplog.at_level(logging.INFO, logger="haven.rasa_edge.tracker_store"):
            for _ in range(3):
                with pytest.raises(DatabaseUnavailable):
                    asyncio.run(store.retrieve("sender-1"))
            with pytest.raises(DatabaseUnavailable):
                asyncio.run(store.save(full_tracker(domain, "sender-2")))
            proxy.up()
            back = asyncio.run(store.retrieve("sender-1"))
            assert asyncio.run(store.retrieve("sender-2")) is None  # its save failed, visibly
    assert back.get_slot("plan_step") == "dont_pay"
    assert store._fallback_tracker_store is None  # nothing went to Rasa's in-memory fallback
    said = [
        record.getMessage()
        for record in caplog.records
        if record.name == "haven.rasa_edge.tracker_store"
    ]
    assert len([line for line in said if "is unavailable" in line]) == 1, said
    assert len([line for line in said if "reachable again" in line]) == 1, said
    assert f"postgresql at 127.0.0.1:{proxy.port}/test" in caplog.text
    assert "Quentavious" not in caplog.text and "InMemoryTrackerStore" not in caplog.text


def test_a_database_that_never_answers_fails_a_message_within_seconds(postgres_url, domain):
    # A cut network that drops packets: without a connect timeout the Rasa server's event loop,
    # and so every conversation, would wait for minutes.
    with TcpProxy("127.0.0.1", 5432) as proxy:
        url = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        store = make_store(url, domain)
        asyncio.run(store.save(full_tracker(domain)))
        proxy.hang()
        outcome: list[BaseException | None] = []

        def retrieve() -> None:
            try:
                asyncio.run(store.retrieve("sender-1"))
            except BaseException as error:  # noqa: BLE001 - handed to the test's thread
                outcome.append(error)
            else:
                outcome.append(None)

        started = time.monotonic()
        waiting = threading.Thread(target=retrieve, daemon=True)
        waiting.start()
        waiting.join(timeout=CONNECT_TIMEOUT_SECONDS + 10)
        took = time.monotonic() - started
        proxy.down()  # frees a retrieve that is still waiting
        waiting.join(timeout=10)
    assert took < CONNECT_TIMEOUT_SECONDS + 3, f"the retrieve waited {took:.0f} s"
    assert len(outcome) == 1 and isinstance(outcome[0], DatabaseUnavailable)


def test_an_event_broker_or_a_url_in_endpoints_is_refused(tmp_path, domain):
    with pytest.raises(StorageConfigError, match="event broker"):
        EncryptedTrackerStore(domain=domain, event_broker=object())
    with pytest.raises(StorageConfigError, match="HAVEN_DB_URL"):
        EncryptedTrackerStore(domain=domain, host="postgresql://user:pw@db/haven")


def test_expired_conversations_are_purged_at_start_and_then_periodically(tmp_path, domain):
    url = f"sqlite:///{tmp_path / 'haven.db'}"
    keys = generate_key_line("k1")
    store = make_store(url, domain, keys=keys, purge_interval_minutes=0.002)
    table = store.conversations.table

    def age_all_rows() -> None:
        with store.conversations.engine.begin() as connection:
            connection.execute(sa.update(table).values(updated_at=0))

    asyncio.run(store.save(full_tracker(domain)))
    age_all_rows()
    restarted = make_store(url, domain, keys=keys, purge_interval_minutes=0.002)
    assert stored_per_key(restarted) == {}

    async def chat_then_wait() -> None:
        await restarted.save(full_tracker(domain))
        age_all_rows()
        await asyncio.sleep(0.5)  # several purge intervals

    asyncio.run(chat_then_wait())
    assert stored_per_key(restarted) == {}


@pytest.mark.model
def test_the_trained_policies_predict_the_same_from_minimized_trackers(tmp_path, domain):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    from rasa.core.agent import Agent
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.core.training_data.structures import StoryGraph

    agent = Agent.load(str(MODEL))
    steps = []
    for path in sorted((PROJECT / "tests" / "stories").glob("*.yml")):
        steps += YAMLStoryReader(agent.domain).read_from_file(str(path))
    stories = TrainingDataGenerator(
        StoryGraph(steps), agent.domain, remove_duplicates=False, augmentation_factor=0
    ).generate_story_trackers()
    # The forget action would delete the tracker mid-story; this test is about minimizing.
    store = make_store(f"sqlite:///{tmp_path / 'haven.db'}", agent.domain, forget_action="-")

    compared = 0
    for story in stories:
        tracker = DialogueStateTracker(uuid.uuid4().hex, agent.domain.slots)
        for event in story.events:
            if isinstance(event, ActionExecuted) and tracker.events:
                asyncio.run(store.save(tracker))
                minimized = asyncio.run(store.retrieve(tracker.sender_id))
                full, _ = agent.processor.predict_next_with_tracker_if_should(tracker)
                small, _ = agent.processor.predict_next_with_tracker_if_should(minimized)
                assert (story.sender_id, small.name()) == (story.sender_id, full.name())
                compared += 1
            tracker.update(event, agent.domain)
    assert len(stories) >= 10 and compared >= 100


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


@pytest.mark.server
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


@pytest.mark.server
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


def test_crisis_after_asking_for_a_person_moves_the_request_up(tmp_path, domain):
    store = make_store(f"sqlite:///{tmp_path / 'haven.db'}", domain)
    handoffs = store._handoffs()
    handoffs.request(
        "sender-1", language="en", region=None, age_band=None, steps_done=[], risk=False
    )
    tracker = full_tracker(domain)
    asyncio.run(store.save(tracker))
    assert not handoffs.open_for("sender-1").risk
    tracker.update(UserUttered("...", {"name": "crisis", "confidence": 1.0}))
    asyncio.run(store.save(tracker))
    assert handoffs.open_for("sender-1").risk
