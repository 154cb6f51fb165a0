"""RedisUrlLockStore reads one URL from the environment and refuses a missing or bad one."""

import pytest

from haven.rasa_edge.lock_store import RedisUrlLockStore
from haven.settings import StorageConfigError
from haven.storage.redis_clients import redis_options


def test_url_parts_become_lock_store_options():
    assert redis_options("rediss://:s%40cret@redis.internal:6380/3") == {
        "host": "redis.internal",
        "port": 6380,
        "db": 3,
        "username": None,
        "password": "s@cret",
        "use_ssl": True,
    }
    assert redis_options("redis://127.0.0.1")["port"] == 6379


@pytest.mark.parametrize("url", ["http://redis", "redis://", "redis://host/abc"])
def test_a_malformed_url_is_refused_with_a_clear_sentence(url):
    with pytest.raises(StorageConfigError, match="HAVEN_REDIS_URL|database"):
        redis_options(url)


def test_a_missing_url_is_refused_at_start():
    with pytest.raises(StorageConfigError, match="HAVEN_REDIS_URL is not set"):
        RedisUrlLockStore(environ={})


def test_without_redis_the_log_names_it_and_messages_are_refused(caplog):
    from haven.storage.redis_clients import LockStoreUnavailable
    from tests.support.running_haven import free_port

    closed = {"HAVEN_REDIS_URL": f"redis://:pa55word@127.0.0.1:{free_port()}/1"}
    with caplog.at_level("ERROR", logger="haven.rasa_edge.lock_store"):
        store = RedisUrlLockStore(environ=closed)  # starts: Redis may come up later
        with pytest.raises(LockStoreUnavailable):
            store.issue_ticket("conversation-abc")
    assert len(caplog.records) == 2
    for record in caplog.records:
        line = record.getMessage()
        assert line.startswith("Redis (the lock store, HAVEN_REDIS_URL) at 127.0.0.1:")
        assert "unavailable" in line and "service_error" in line
        assert "pa55word" not in line and "conversation-abc" not in line


def test_processes_taking_tickets_at_once_never_share_one():
    # Rasa's RedisLockStore reads, changes and writes a lock in separate steps, so two processes
    # could get the same ticket and handle one conversation's messages at the same time.
    import concurrent.futures
    import uuid

    from tests.support.running_haven import port_open

    if not port_open("127.0.0.1", 6379):
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    environ = {"HAVEN_REDIS_URL": "redis://127.0.0.1:6379/1"}
    stores = [RedisUrlLockStore(environ=environ) for _ in range(4)]  # as four processes
    conversation = f"lock-test-{uuid.uuid4().hex}"

    def take(store):
        return [store.issue_ticket(conversation, 60) for _ in range(25)]

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        tickets = [t for run in pool.map(take, stores * 2) for t in run]
    assert len(tickets) == 200 and len(set(tickets)) == 200
    for ticket in tickets:
        stores[0].cleanup(conversation, ticket)
    assert stores[0].get_lock(conversation) is None  # the last cleanup removed the lock
