"""Rate limits on incoming messages (bot/rate_limit.py), on a fake clock."""

import pytest

from bot.rate_limit import (
    DEFAULT_PER_ADDRESS,
    DEFAULT_PER_CONVERSATION,
    BucketTable,
    MessageRateLimiter,
    RateLimits,
    client_address,
)


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
