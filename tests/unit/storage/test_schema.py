"""Creating Haven's tables when several processes start at the same moment on a new database.

Two replicas of a deployment starting together both find no tables and create them at once; on
PostgreSQL the second used to fail (`IntegrityError`, a duplicate `haven_conversations_id_seq`)
and its server exited. Here processes wait at a barrier, then create every table Haven creates,
on a fresh schema each round.
"""

import multiprocessing

import pytest

from haven.storage.crypto import generate_key_line

ROUNDS = 6
PROCESSES = 3


def create_every_table(url: str, keys: str, barrier, errors) -> None:
    """What a starting server does first, once every process has reached the barrier."""
    from haven.handoff.counselors import CounselorAccounts
    from haven.handoff.queue import HandoffQueue
    from haven.settings import StorageSettings
    from haven.storage.conversations import ConversationStore
    from haven.storage.crypto import KeyRing

    ring = KeyRing.parse(keys)
    store = ConversationStore(StorageSettings.load({"HAVEN_DB_URL": url, "HAVEN_KEYS": keys}), ring)
    queue, accounts = HandoffQueue(url, ring), CounselorAccounts(url)
    with store.engine.connect():
        pass  # connected before the barrier, so only the creating itself races
    barrier.wait(timeout=60)
    try:
        store.create_schema()
        queue.create_schema()
        accounts.create_schema()
    except Exception as error:
        errors.put(f"{type(error).__name__}: {str(error).splitlines()[0]}")
        raise SystemExit(1) from None


@pytest.mark.parametrize("attempt", range(ROUNDS))
def test_processes_creating_the_tables_at_the_same_moment_all_succeed(database_url, attempt):
    context = multiprocessing.get_context("spawn")  # no engine or connection shared by a fork
    barrier, errors = context.Barrier(PROCESSES), context.Queue()
    keys = generate_key_line("k1")
    processes = [
        context.Process(target=create_every_table, args=(database_url, keys, barrier, errors))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    failures = [errors.get(timeout=5) for process in processes if process.exitcode == 1]
    assert [process.exitcode for process in processes] == [0] * PROCESSES, failures

    from haven.settings import StorageSettings
    from haven.storage.conversations import ConversationStore

    store = ConversationStore(
        StorageSettings.load({"HAVEN_DB_URL": database_url, "HAVEN_KEYS": keys})
    )
    store.store("after-the-race", [{"event": "action", "timestamp": 1.0, "name": "action_listen"}])
    assert store.load("after-the-race") is not None
