"""`MessageRateLimiter`: how many messages a conversation and a client address may send.

Token buckets kept in memory, per Rasa server process: each conversation may send
`HAVEN_RATE_PER_CONVERSATION` messages a minute (default 20) and each client address
`HAVEN_RATE_PER_ADDRESS` (default 120), with short bursts up to the same numbers. A message over
either limit is not handled; the channel answers with the kind `too_fast` message (HTTP 429 on
the REST channel).

Addresses are never stored or logged as they are: the buckets are keyed by a keyed hash under a
random key of this process, so even a memory dump holds no IP address. With several Rasa
processes behind a load balancer each counts on its own, so the effective limit is at most the
number of processes times the setting (docs/deploy.md).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

DEFAULT_PER_CONVERSATION = 20
DEFAULT_PER_ADDRESS = 120
"""Higher than one chatter needs: a school's pupils may share one address (NAT)."""
MAX_TRACKED_KEYS = 100_000
"""Buckets kept at most; the least recently used goes first (it would be full again by then)."""


class TokenBucket:
    """Up to `capacity` events at once, refilled at `capacity` per `period` seconds."""

    __slots__ = ("tokens", "updated")

    def __init__(self, capacity: float, now: float) -> None:
        self.tokens = capacity
        self.updated = now

    def take(self, capacity: float, rate: float, now: float) -> bool:
        """Takes one token if there is one; refills for the time since the last call first."""
        self.tokens = min(capacity, self.tokens + (now - self.updated) * rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class BucketTable:
    """Token buckets by key, all with the same capacity and period, oldest dropped first."""

    def __init__(
        self,
        capacity: int,
        period_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_TRACKED_KEYS,
    ) -> None:
        if capacity < 1:
            raise ValueError("A rate limit must allow at least one message.")
        self.capacity = float(capacity)
        self.rate = capacity / period_seconds
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[bytes, TokenBucket] = OrderedDict()

    def allow(self, key: bytes) -> bool:
        """Whether one more event for `key` is within the limit (and counts it if so)."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.capacity, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket.take(self.capacity, self.rate, now)

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass(frozen=True)
class RateLimits:
    """Messages a minute per conversation and per client address (from the environment)."""

    per_conversation: int = DEFAULT_PER_CONVERSATION
    per_address: int = DEFAULT_PER_ADDRESS

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> RateLimits:
        """Reads `HAVEN_RATE_PER_CONVERSATION` and `HAVEN_RATE_PER_ADDRESS`.

        Raises `ValueError` with one clear sentence for a value that is not a positive integer.
        """
        env = os.environ if environ is None else environ
        return cls(
            per_conversation=_positive_int(
                env, "HAVEN_RATE_PER_CONVERSATION", DEFAULT_PER_CONVERSATION
            ),
            per_address=_positive_int(env, "HAVEN_RATE_PER_ADDRESS", DEFAULT_PER_ADDRESS),
        )


class MessageRateLimiter:
    """Per-conversation and per-address limits on incoming messages, in memory."""

    def __init__(
        self, limits: RateLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        limits = limits or RateLimits.load()
        self.conversations = BucketTable(limits.per_conversation, clock=clock)
        self.addresses = BucketTable(limits.per_address, clock=clock)
        self._key = secrets.token_bytes(32)

    def _hashed(self, kind: bytes, value: str) -> bytes:
        return hashlib.blake2b(
            kind + b"\0" + value.encode("utf-8", "replace"), key=self._key, digest_size=16
        ).digest()

    def address_key(self, address: str | None) -> bytes:
        """What stands for a client address in memory: a keyed hash, never the address."""
        return self._hashed(b"address", address or "unknown")

    def allow(self, conversation_id: str, address_key: bytes) -> bool:
        """Whether a message from this conversation and address may be handled now.

        A message refused by the address limit does not use up the conversation's allowance.
        """
        if not self.addresses.allow(address_key):
            return False
        return self.conversations.allow(self._hashed(b"conversation", conversation_id))


@lru_cache(maxsize=1)
def shared_limiter() -> MessageRateLimiter:
    """The one limiter of this process, shared by the REST and web chat channels, so an address
    gets one allowance however it reaches Haven."""
    return MessageRateLimiter()


def client_address(request: Any) -> str:
    """The client's address as Sanic sees it: the proxy's `Forwarded`/`X-Forwarded-For` entry
    when proxies are configured (SANIC_PROXIES_COUNT, docs/deploy.md), the peer otherwise.

    Only ever passed to `MessageRateLimiter.address_key`; never stored or logged.
    """
    return str(getattr(request, "remote_addr", "") or getattr(request, "ip", "") or "")


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of messages a minute, 1 or more.")
    return int(raw)
