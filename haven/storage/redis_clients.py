"""Redis clients for Haven, all read from one `HAVEN_REDIS_URL` the same way.

`redis://[:password@]host[:port][/db]` (`rediss://` for TLS); database 1 unless the URL names
one. Every client Haven uses (the lock store, haven/rasa_edge/lock_store.py; the rate limits,
haven/web/rate_limits.py; the console's sessions and login limit, haven/handoff/counselors.py;
the relay's pub/sub, haven/handoff/relay.py) is made by the process's one `RedisClients`
(haven/services.py), so they agree on the database and give up after a timeout instead of
hanging. No Rasa import.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

from haven.settings import StorageConfigError


class LockStoreUnavailable(RuntimeError):
    """Redis could not be reached, so a message could not be handled in order; safe to log."""


def redis_options(url: str) -> dict[str, Any]:
    """RedisLockStore's arguments from a redis:// or rediss:// URL."""
    parts = urlparse(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise StorageConfigError(
            "HAVEN_REDIS_URL must look like redis://[:password@]host[:port][/db]."
        )
    database = parts.path.lstrip("/") or "1"
    if not database.isdigit():
        raise StorageConfigError("The database in HAVEN_REDIS_URL must be a number, e.g. /1.")
    return {
        "host": parts.hostname,
        "port": parts.port or 6379,
        "db": int(database),
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "use_ssl": parts.scheme == "rediss",
    }


def _client_options(url: str, timeout_seconds: float) -> dict[str, Any]:
    connection = redis_options(url)
    return {
        "host": connection["host"],
        "port": connection["port"],
        "db": connection["db"],
        "username": connection["username"],
        "password": connection["password"],
        "ssl": connection["use_ssl"],
        "socket_timeout": timeout_seconds,
        "socket_connect_timeout": timeout_seconds,
    }


def redis_client(url: str, timeout_seconds: float) -> Any:
    """A redis-py client for HAVEN_REDIS_URL, read as the lock store reads it (database 1 unless
    the URL names one), that gives up after `timeout_seconds` instead of hanging."""
    import redis

    return redis.StrictRedis(**_client_options(url, timeout_seconds))


def async_redis_client(url: str, timeout_seconds: float) -> Any:
    """A redis-py asyncio client for HAVEN_REDIS_URL, read as `redis_client` reads it."""
    import redis.asyncio

    return redis.asyncio.Redis(**_client_options(url, timeout_seconds))


class RedisClients:
    """The process's one factory of Redis clients, all for one URL (checked when made)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.options = redis_options(url)
        self.where = redis_address(url)

    def client(self, timeout_seconds: float) -> Any:
        """A blocking client that gives up after `timeout_seconds`."""
        return redis_client(self.url, timeout_seconds)

    def async_client(self, timeout_seconds: float) -> Any:
        """An asyncio client (the relay's pub/sub) that gives up after `timeout_seconds`."""
        return async_redis_client(self.url, timeout_seconds)


def redis_address(url: str) -> str:
    """host:port/db of HAVEN_REDIS_URL, for log lines (never the password)."""
    connection = redis_options(url)
    return f"{connection['host']}:{connection['port']}/{connection['db']}"
