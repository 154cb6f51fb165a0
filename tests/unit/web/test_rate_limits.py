"""Rate limits on incoming messages (haven/web/rate_limits.py): in memory on a fake clock, and in
the real Redis at 127.0.0.1:6379 (under a key prefix of each test's own, deleted after; skips,
saying so, where Redis is absent)."""

import logging
import uuid

import pytest

from haven.services import Services
from haven.settings import StorageConfigError
from haven.storage.crypto import generate_key_line
from haven.web.rate_limits import (
    DEFAULT_PER_ADDRESS,
    DEFAULT_PER_CONVERSATION,
    REDIS_RETRY_SECONDS,
    BucketTable,
    MessageRateLimiter,
    RateLimits,
    RedisMessageRateLimiter,
    client_address,
    message_cost,
)
from tests.support.running_haven import port_open
from tests.support.tcp_proxy import TcpProxy

REDIS = ("127.0.0.1", 6379)
ADDRESS = "198.51.100.7"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


def limiter(clock, per_conversation=3, per_address=5) -> MessageRateLimiter:
    return MessageRateLimiter(RateLimits(per_conversation, per_address), clock=clock)


def test_a_conversation_gets_its_allowance_then_waits(clock):
    limits = limiter(clock)
    address = limits.address_key("198.51.100.7")
    assert [limits.allow("c1", address) for _ in range(4)] == [True, True, True, False]
    clock.now += 19  # 3 a minute: one message every 20 seconds
    assert not limits.allow("c1", address)
    clock.now += 1
    assert limits.allow("c1", address)
    assert not limits.allow("c1", address)


def test_a_quiet_minute_refills_but_never_beyond_the_burst(clock):
    limits = limiter(clock)
    address = limits.address_key("198.51.100.7")
    assert all(limits.allow("c1", address) for _ in range(3))
    clock.now += 3600
    assert [limits.allow("c1", address) for _ in range(4)] == [True, True, True, False]


def test_conversations_are_limited_each_on_their_own(clock):
    limits = limiter(clock, per_address=100)
    address = limits.address_key("198.51.100.7")
    assert all(limits.allow("c1", address) for _ in range(3))
    assert not limits.allow("c1", address)
    assert all(limits.allow("c2", address) for _ in range(3))


def test_an_address_is_limited_across_its_conversations(clock):
    # New conversation ids do not get around the limit on one address.
    limits = limiter(clock)
    one, other = limits.address_key("198.51.100.7"), limits.address_key("203.0.113.9")
    assert all(limits.allow(f"c{i}", one) for i in range(5))
    assert not limits.allow("c99", one)
    assert limits.allow("c99", other)


def test_a_message_refused_for_its_address_keeps_the_conversations_allowance(clock):
    limits = limiter(clock, per_conversation=2, per_address=2)
    address = limits.address_key("198.51.100.7")
    assert limits.allow("c1", address) and limits.allow("c2", address)
    assert not limits.allow("c3", address)
    clock.now += 60
    assert limits.allow("c3", address) and limits.allow("c3", address)


def test_addresses_are_kept_only_as_keyed_hashes(clock):
    limits = limiter(clock)
    key = limits.address_key("198.51.100.7")
    assert isinstance(key, bytes) and b"198.51" not in key and len(key) == 16
    assert key == limits.address_key("198.51.100.7")
    # Another process (another random key) gives another hash: nothing to look up.
    assert key != limiter(clock).address_key("198.51.100.7")


def test_the_oldest_buckets_go_first_when_too_many_are_kept(clock):
    table = BucketTable(1, clock=clock, max_keys=2)
    assert table.allow(b"a") and table.allow(b"b") and table.allow(b"c")
    assert len(table) == 2
    assert table.allow(b"a")  # forgotten, so a full bucket again
    assert not table.allow(b"c")


def test_limits_come_from_the_environment_with_defaults():
    assert RateLimits.load({}) == RateLimits(DEFAULT_PER_CONVERSATION, DEFAULT_PER_ADDRESS)
    assert RateLimits.load(
        {"HAVEN_RATE_PER_CONVERSATION": "5", "HAVEN_RATE_PER_ADDRESS": " 500 "}
    ) == RateLimits(5, 500)


@pytest.mark.parametrize("value", ["0", "-1", "ten", "2.5"])
def test_a_bad_limit_is_named(value):
    with pytest.raises(ValueError, match="HAVEN_RATE_PER_ADDRESS must be a whole number"):
        RateLimits.load({"HAVEN_RATE_PER_ADDRESS": value})


class FakeRequest:
    def __init__(self, remote_addr: str, ip: str) -> None:
        self.remote_addr, self.ip = remote_addr, ip


def test_the_client_address_is_the_proxys_entry_when_there_is_one():
    assert client_address(FakeRequest("198.51.100.7", "10.0.0.2")) == "198.51.100.7"
    assert client_address(FakeRequest("", "10.0.0.2")) == "10.0.0.2"


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in Redis database 1; its keys are deleted afterwards."""
    import redis

    if not port_open(*REDIS):
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    prefix = f"haven-test-rate-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis(*REDIS, db=1)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def redis_limiter(prefix, port=REDIS[1], clock=None, hash_key=b"k" * 32, **limits):
    return RedisMessageRateLimiter(
        f"redis://127.0.0.1:{port}/1",
        hash_key,
        RateLimits(limits.get("per_conversation", 3), limits.get("per_address", 5)),
        prefix=prefix,
        **({"clock": clock} if clock else {}),
    )


def test_in_redis_the_limits_hold_across_rasa_servers(redis_prefix):
    # Two limiters stand for two Rasa servers; a load balancer alternates between them.
    one, two = redis_limiter(redis_prefix), redis_limiter(redis_prefix)
    address = one.address_key(ADDRESS)
    assert address == two.address_key(ADDRESS)  # the same bucket whichever server counts
    turns = [(one if i % 2 == 0 else two).allow("c1", address) for i in range(4)]
    assert turns == [True, True, True, False]
    # New conversations do not get around the address's limit (5; the four above counted).
    assert [two.allow("c2", address), one.allow("c3", address)] == [True, False]
    assert two.allow("c2", two.address_key("203.0.113.9"))  # another address has its own
    # In memory, each server would have counted on its own.
    memory = [MessageRateLimiter(RateLimits(3, 5), hash_key=b"k" * 32) for _ in range(2)]
    assert all(memory[i % 2].allow("c1", address) for i in range(5))


def test_in_redis_only_keyed_hashes_are_kept_and_they_expire(redis_prefix):
    import redis

    limits = redis_limiter(redis_prefix)
    assert limits.allow("conversation-Quentavious", limits.address_key(ADDRESS))
    client = redis.Redis(*REDIS, db=1)
    try:
        keys = sorted(key.decode() for key in client.scan_iter(f"{redis_prefix}:*"))
        assert [key.split(":")[1] for key in keys] == ["a", "c"]
        for key in keys:
            assert "198.51" not in key and "Quentavious" not in key
            assert set(client.hgetall(key)) == {b"t", b"u"}  # tokens and time, nothing else
            assert 0 < client.ttl(key) <= 61  # gone a minute after the last message
    finally:
        client.close()
    other_deployment = redis_limiter(redis_prefix, hash_key=b"o" * 32)
    assert other_deployment.address_key(ADDRESS) != limits.address_key(ADDRESS)


def test_without_redis_each_server_counts_in_memory_and_the_log_says_so_once(
    redis_prefix, clock, caplog
):
    with TcpProxy(*REDIS) as proxy:
        limits = redis_limiter(redis_prefix, port=proxy.port, clock=clock)
        address = limits.address_key(ADDRESS)
        assert limits.allow("c1", address)  # counted in Redis: 2 left there
        proxy.down()
        with caplog.at_level(logging.INFO, logger="haven.web.rate_limits"):
            # In memory the buckets start full, and still hold: 3 a minute.
            assert [limits.allow("c1", address) for _ in range(4)] == [True, True, True, False]
            clock.now += REDIS_RETRY_SECONDS
            assert not limits.allow("c1", address)  # Redis tried again, still down
            proxy.up()
            clock.now += REDIS_RETRY_SECONDS
            assert [limits.allow("c1", address) for _ in range(3)] == [True, True, False]
    said = [r.getMessage() for r in caplog.records if r.name == "haven.web.rate_limits"]
    assert said == [
        f"Redis (rate limits, HAVEN_REDIS_URL) at 127.0.0.1:{proxy.port}/1 is unavailable "
        "(ConnectionError): each Rasa server counts messages in its own memory until it is back.",
        "Rate limits are kept in Redis again.",
    ]


def limiter_for_environment(environ):
    return Services.from_environ(environ).rate_limiter()


def test_the_environment_chooses_memory_or_redis(tmp_path, redis_prefix):
    assert type(limiter_for_environment({})) is MessageRateLimiter
    keys = generate_key_line("k1")
    env = {"HAVEN_REDIS_URL": "redis://127.0.0.1:6379/1", "HAVEN_KEYS": keys}
    one, two = limiter_for_environment(env), limiter_for_environment(env)
    assert isinstance(one, RedisMessageRateLimiter)
    assert one.address_key(ADDRESS) == two.address_key(ADDRESS)  # shared by every server
    other = limiter_for_environment({**env, "HAVEN_KEYS": generate_key_line("k1")})
    assert other.address_key(ADDRESS) != one.address_key(ADDRESS)  # derived from the keys
    with pytest.raises(StorageConfigError):  # no keys: no shared hash key, no start
        limiter_for_environment(
            {"HAVEN_REDIS_URL": env["HAVEN_REDIS_URL"], "HAVEN_DATA_DIR": str(tmp_path)}
        )


def test_a_long_message_counts_as_one_more_for_each_thousand_characters():
    assert [message_cost("x" * n) for n in (0, 999, 1_000, 2_500, 10_000)] == [1, 1, 2, 3, 11]


def test_long_messages_use_up_the_allowance_sooner(clock):
    # Issue 12: forty 10,000-character messages from one client at once kept everyone waiting.
    limits = limiter(clock, per_conversation=20, per_address=120)
    address = limits.address_key(ADDRESS)
    long = message_cost("x" * 10_000)
    allowed = [limits.allow(f"c{i}", address, long) for i in range(40)]
    assert allowed == [True] * 10 + [False] * 30  # 120 // 11
    assert limits.allow("c-short", limits.address_key("203.0.113.9"))  # others go on
    assert limits.allow("c0", address)  # 10 left: a short message from that address goes on
    assert not limits.allow("c40", address, long)  # 9 left
    clock.now += 0.5
    assert not limits.allow("c40", address, long)  # 10: two tokens a second come back
    clock.now += 0.5
    assert limits.allow("c40", address, long)


def test_a_message_never_costs_more_than_a_full_bucket(clock):
    limits = limiter(clock, per_conversation=3, per_address=5)
    address = limits.address_key(ADDRESS)
    assert limits.allow("c1", address, 11)  # the longest message still gets through once
    assert not limits.allow("c1", address)
    clock.now += 60
    assert limits.allow("c1", address, 2) and not limits.allow("c1", address, 2)


def test_in_redis_long_messages_cost_as_much_as_in_memory(redis_prefix):
    one, two = (redis_limiter(redis_prefix, per_address=12) for _ in range(2))
    address = one.address_key(ADDRESS)
    assert one.allow("c1", address, 3)  # 9 of the address's 12 left
    assert not two.allow("c2", address, 11)  # 11 is more than 9
    assert two.allow("c2", address, 2)  # 7 left
    assert one.allow("c3", address, 7)  # the conversation's 3 at most, and the address's last 7
    assert not two.allow("c4", address)
