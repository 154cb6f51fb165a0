"""Redis clients for Haven, all read from one `HAVEN_REDIS_URL` the same way.

`redis://[:password@]host[:port][/db]` (`rediss://` for TLS); database 1 unless the URL names
one. The lock store (haven/rasa_edge/lock_store.py) and the rate limits (haven/web/rate_limits.py)
build their clients here, so they agree on the database and give up after a timeout instead of
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


def redis_client(url: str, timeout_seconds: float) -> Any:
    """A redis-py client for HAVEN_REDIS_URL, read as the lock store reads it (database 1 unless
    the URL names one), that gives up after `timeout_seconds` instead of hanging."""
    import redis

    connection = redis_options(url)
    return redis.StrictRedis(
        host=connection["host"],
        port=connection["port"],
        db=connection["db"],
        username=connection["username"],
        password=connection["password"],
        ssl=connection["use_ssl"],
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
    )


def redis_address(url: str) -> str:
    """host:port/db of HAVEN_REDIS_URL, for log lines (never the password)."""
    connection = redis_options(url)
    return f"{connection['host']}:{connection['port']}/{connection['db']}"
