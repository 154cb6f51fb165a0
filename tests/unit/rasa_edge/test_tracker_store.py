"""`EncryptedTrackerStore` as Rasa uses it: full trackers in and out, forget-me, purging. The same
predictions from a minimized tracker are checked in tests/conversations/test_minimized_trackers.py,
and that a real conversation leaves no typed word behind in tests/integration/test_tracker_store.py.
"""

import asyncio
import logging
import threading
import time

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
from haven.storage.conversations import CONNECT_TIMEOUT_SECONDS, DatabaseUnavailable
from haven.storage.crypto import generate_key_line
from haven.storage.encrypted_tables import encrypted_tables
from tests.support import PROJECT
from tests.support.tcp_proxy import TcpProxy

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
