"""`MessageRateLimiter`: how many messages a conversation and a client address may send.

Token buckets: each conversation may send `HAVEN_RATE_PER_CONVERSATION` messages a minute
(default 20) and each client address `HAVEN_RATE_PER_ADDRESS` (default 120), with short bursts
up to the same numbers. A message over either limit is not handled; the channel answers with the
kind `too_fast` message (HTTP 429 on the REST channel).

A long message counts as more than one (`message_cost`: one more for every 1,000 characters), as
reading it costs more: the crisis patterns, the readers of age and questions and Rasa's own
tokenizer all read the whole of it on the event loop that serves everyone. So one client sending
forty 10,000-character messages at once gets about ten of them read (the address's 120, at 11
each), and the rest the `too_fast` message, instead of keeping every other young person waiting.
A message never costs more than a full bucket, so the longest message allowed still gets through
when the bucket is full.

Where the buckets are kept (the process's composition root chooses, `Services.rate_limiter` in
haven/services.py):
- in this process's memory by default, so with several Rasa processes each counts on its own;
- in Redis when `HAVEN_REDIS_URL` is set (the production profile): `RedisMessageRateLimiter`
  takes a token from both buckets in one Lua script, on Redis's clock, so the limits hold
  across every Rasa server, whichever gets the message. Each bucket expires a minute after its
  last use (by then it would be full again). If Redis cannot be reached, the log says so once and
  each process counts in its own memory until Redis answers again (the lock store refuses the
  messages meanwhile anyway).

Addresses and conversation ids are never stored or logged as they are: buckets are keyed by a
keyed hash (BLAKE2b), under a random key of this process in memory, and under a key derived from
Haven's storage keys in Redis (the same in every process, never in Redis), so neither a memory
dump nor a copy of Redis holds an IP address or a conversation id, and neither can be found by
hashing every possible address (`KeyRing.rate_limit_key`, haven/storage/crypto.py). The limits
themselves come from the settings (haven/settings.py); this module reads no environment.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from haven.settings import DEFAULT_RATE_PER_ADDRESS, DEFAULT_RATE_PER_CONVERSATION, Settings
from haven.storage.redis_clients import RedisClients

logger = logging.getLogger(__name__)

DEFAULT_PER_CONVERSATION = DEFAULT_RATE_PER_CONVERSATION
DEFAULT_PER_ADDRESS = DEFAULT_RATE_PER_ADDRESS
MAX_TRACKED_KEYS = 100_000
"""Buckets kept at most; the least recently used goes first (it would be full again by then)."""
PERIOD_SECONDS = 60.0
REDIS_PREFIX = "haven:rate"
REDIS_TIMEOUT_SECONDS = 1.0
"""How long one message may wait for Redis before it is counted in memory instead."""
REDIS_RETRY_SECONDS = 5.0
"""After Redis failed, how long messages are counted in memory before Redis is tried again."""
CHARS_PER_EXTRA_MESSAGE = 1_000
"""Each full 1,000 characters of a message count as one more message against the limits."""


def message_cost(text: str) -> int:
    """How many messages `text` counts as against the limits: 1, and one more for each full
    `CHARS_PER_EXTRA_MESSAGE` characters (a 10,000-character message counts as 11)."""
    return 1 + len(text) // CHARS_PER_EXTRA_MESSAGE


class TokenBucket:
    """Up to `capacity` events at once, refilled at `capacity` per `period` seconds."""

    __slots__ = ("tokens", "updated")

    def __init__(self, capacity: float, now: float) -> None:
        self.tokens = capacity
        self.updated = now

    def take(self, capacity: float, rate: float, now: float, cost: float = 1) -> bool:
        """Takes `cost` tokens (at most `capacity`) if there are that many; refills for the
        time since the last call first."""
        self.tokens = min(capacity, self.tokens + (now - self.updated) * rate)
        self.updated = now
        cost = min(cost, capacity)
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


class BucketTable:
    """Token buckets by key, all with the same capacity and period, oldest dropped first."""

    def __init__(
        self,
        capacity: int,
        period_seconds: float = PERIOD_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_TRACKED_KEYS,
    ) -> None:
        if capacity < 1:
            raise ValueError("A rate limit must allow at least one message.")
        self.capacity = float(capacity)
        self.rate = capacity / period_seconds
        self.period_seconds = period_seconds
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[bytes, TokenBucket] = OrderedDict()

    def allow(self, key: bytes, cost: float = 1) -> bool:
        """Whether an event for `key` that counts `cost` times is within the limit (and counts
        it if so)."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.capacity, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket.take(self.capacity, self.rate, now, cost)

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass(frozen=True)
class RateLimits:
    """Messages a minute per conversation and per client address (from the settings)."""

    per_conversation: int = DEFAULT_PER_CONVERSATION
    per_address: int = DEFAULT_PER_ADDRESS

    @classmethod
    def load(cls, settings: Settings | Mapping[str, str]) -> RateLimits:
        """`HAVEN_RATE_PER_CONVERSATION` and `HAVEN_RATE_PER_ADDRESS` of the settings (or of an
        environment given as a mapping, for tests).

        Raises `ValueError` with one clear sentence for a value that is not a positive integer.
        """
        if not isinstance(settings, Settings):
            settings = Settings(settings)
        return cls(settings.rate_per_conversation, settings.rate_per_address)


class MessageRateLimiter:
    """Per-conversation and per-address limits on incoming messages, in this process's memory."""

    def __init__(
        self,
        limits: RateLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        hash_key: bytes | None = None,
        period_seconds: float = PERIOD_SECONDS,
    ) -> None:
        limits = limits or RateLimits()
        self.conversations = BucketTable(
            limits.per_conversation, period_seconds=period_seconds, clock=clock
        )
        self.addresses = BucketTable(limits.per_address, period_seconds=period_seconds, clock=clock)
        self._key = hash_key or secrets.token_bytes(32)

    def _hashed(self, kind: bytes, value: str) -> bytes:
        return hashlib.blake2b(
            kind + b"\0" + value.encode("utf-8", "replace"), key=self._key, digest_size=16
        ).digest()

    def address_key(self, address: str | None) -> bytes:
        """What stands for a client address in memory: a keyed hash, never the address."""
        return self._hashed(b"address", address or "unknown")

    def allow(self, conversation_id: str, address_key: bytes, cost: int = 1) -> bool:
        """Whether a message from this conversation and address may be handled now; it counts
        `cost` times (`message_cost`) against each limit.

        A message refused by the address limit does not use up the conversation's allowance.
        """
        if not self.addresses.allow(address_key, cost):
            return False
        return self.conversations.allow(self._hashed(b"conversation", conversation_id), cost)


# Takes the message's cost (at most a full bucket) from the address's bucket (KEYS[1]), then, if
# it had that many tokens, from the conversation's (KEYS[2]); a bucket is a hash {t: tokens,
# u: last update}, on Redis's clock so the servers' clocks need not agree. ARGV: capacity and
# refill per second of each, the TTL, then the cost.
TAKE_SCRIPT = """
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local cost = tonumber(ARGV[6])
local function take(key, capacity, rate)
  local bucket = redis.call('HMGET', key, 't', 'u')
  local tokens, updated = tonumber(bucket[1]), tonumber(bucket[2])
  if tokens == nil or updated == nil then tokens, updated = capacity, now end
  tokens = math.min(capacity, tokens + math.max(0, now - updated) * rate)
  local need = math.min(cost, capacity)
  local allowed = tokens >= need
  if allowed then tokens = tokens - need end
  redis.call('HSET', key, 't', tostring(tokens), 'u', tostring(now))
  redis.call('EXPIRE', key, tonumber(ARGV[5]))
  return allowed
end
if not take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])) then return 0 end
if not take(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4])) then return 0 end
return 1
"""


class RedisMessageRateLimiter(MessageRateLimiter):
    """The same limits kept in Redis, so they hold across every Rasa server process.

    `hash_key` must be the same in every process (`KeyRing.rate_limit_key`) and never be in Redis.
    `redis_clients` is the process's client factory (or a URL, for tests). While Redis is
    unreachable, the in-memory buckets of this process count instead.
    """

    def __init__(
        self,
        redis_clients: RedisClients | str,
        hash_key: bytes,
        limits: RateLimits | None = None,
        prefix: str = REDIS_PREFIX,
        clock: Callable[[], float] = time.monotonic,
        period_seconds: float = PERIOD_SECONDS,
    ) -> None:
        clients = RedisClients(redis_clients) if isinstance(redis_clients, str) else redis_clients
        super().__init__(limits, clock=clock, hash_key=hash_key, period_seconds=period_seconds)
        self.where = clients.where
        self.prefix = prefix
        self.red = clients.client(REDIS_TIMEOUT_SECONDS)
        self._take = self.red.register_script(TAKE_SCRIPT)
        self._clock = clock
        self._in_memory_until: float | None = None  # set while Redis is unavailable
        self._ttl = int(self.conversations.period_seconds) + 1
        logger.info(
            "Rate limits are kept in Redis at %s (HAVEN_REDIS_URL), shared by every Rasa server.",
            self.where,
        )

    def allow(self, conversation_id: str, address_key: bytes, cost: int = 1) -> bool:
        """Whether a message from this conversation and address may be handled now, counted
        `cost` times in Redis (or in this process's memory while Redis is unavailable)."""
        import redis

        now = self._clock()
        if self._in_memory_until is not None and now < self._in_memory_until:
            return super().allow(conversation_id, address_key, cost)
        conversation = self._hashed(b"conversation", conversation_id)
        try:
            allowed = self._take(
                keys=[
                    f"{self.prefix}:a:{address_key.hex()}",
                    f"{self.prefix}:c:{conversation.hex()}",
                ],
                args=[
                    self.addresses.capacity,
                    self.addresses.rate,
                    self.conversations.capacity,
                    self.conversations.rate,
                    self._ttl,
                    cost,
                ],
            )
        except redis.exceptions.RedisError as error:
            if self._in_memory_until is None:
                logger.error(
                    "Redis (rate limits, HAVEN_REDIS_URL) at %s is unavailable (%s): each Rasa "
                    "server counts messages in its own memory until it is back.",
                    self.where,
                    type(error).__name__,
                )
            self._in_memory_until = now + REDIS_RETRY_SECONDS
            return super().allow(conversation_id, address_key, cost)
        if self._in_memory_until is not None:
            logger.warning("Rate limits are kept in Redis again.")
            self._in_memory_until = None
        return bool(allowed)


def client_address(request: Any) -> str:
    """The client's address as Sanic sees it: the proxy's `Forwarded`/`X-Forwarded-For` entry
    when proxies are configured (SANIC_PROXIES_COUNT, docs/deploy.md), the peer otherwise.

    Only ever passed to `MessageRateLimiter.address_key`; never stored or logged.
    """
    return str(getattr(request, "remote_addr", "") or getattr(request, "ip", "") or "")
