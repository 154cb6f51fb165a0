"""RedisUrlLockStore reads one URL from the environment and refuses a missing or bad one."""

import pytest

from bot.lock_store import RedisUrlLockStore, redis_options
from bot.settings import StorageConfigError


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
    from bot.lock_store import LockStoreUnavailable
    from tests.running_haven import free_port

    closed = {"HAVEN_REDIS_URL": f"redis://:pa55word@127.0.0.1:{free_port()}/1"}
    with caplog.at_level("ERROR", logger="bot.lock_store"):
        store = RedisUrlLockStore(environ=closed)  # starts: Redis may come up later
        with pytest.raises(LockStoreUnavailable):
            store.issue_ticket("conversation-abc")
    assert len(caplog.records) == 2
    for record in caplog.records:
        line = record.getMessage()
        assert line.startswith("Redis (the lock store, HAVEN_REDIS_URL) at 127.0.0.1:")
        assert "unavailable" in line and "service_error" in line
        assert "pa55word" not in line and "conversation-abc" not in line
