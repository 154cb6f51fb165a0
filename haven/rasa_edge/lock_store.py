"""`RedisUrlLockStore`: Rasa's Redis lock store, configured by one URL from the environment.

With several Rasa server processes, the lock store makes sure one conversation's messages are
handled one at a time, in order, whichever process receives them. Rasa's own `RedisLockStore`
takes host, port and password from endpoints.yml, where a password must not sit; this one takes
`HAVEN_REDIS_URL` (`redis://[:password@]host[:port][/db]`, `rediss://` for TLS) from the
process's settings, and its client from the process's one Redis factory (haven/services.py), and
fails at start with one clear sentence when it is missing or malformed. Used by
deploy/endpoints.prod.yml.

Rasa's `RedisLockStore` changes a lock by reading it, changing it and writing it back in three
separate steps, so two processes taking a ticket at the same moment can both get the first one
and handle one conversation's messages at once (two "done" messages moved the plan one step,
not two). Here every change of a lock is one optimistic transaction (WATCH/MULTI): the write
fails if another process wrote the lock meanwhile, and the change is made again.

When Redis cannot be reached, at start or for a message, the log says so in one line naming
Redis and its address (never a password, a conversation or what anyone typed), and the message is
refused with `LockStoreUnavailable`; the channels answer it with their kind `service_error`
reply and the crisis lines, and serve again as soon as Redis is back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from haven.rasa_edge import patches
from haven.services import LOCK_STORE_TIMEOUT_SECONDS, Services
from haven.storage.redis_clients import LockStoreUnavailable

logger = logging.getLogger(__name__)

MAX_LOCK_RETRIES = 100
"""Tries to change a lock that other processes keep changing, before giving up on a message."""


class RedisUrlLockStore(RedisLockStore):
    """RedisLockStore whose address and password come from HAVEN_REDIS_URL."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        environ: Mapping[str, str] | None = None,
        services: Services | None = None,
    ) -> None:
        """`services` is the process's (`environ`, for tests, builds one of its own)."""
        patches.install()  # every adapter Rasa builds puts Haven's patches in place
        if services is None:
            services = Services.for_process() if environ is None else Services.from_environ(environ)
        self.services = services
        clients = services.require_redis(
            "the production profile needs Redis to keep several Rasa servers from handling one "
            "conversation at once."
        )
        options = dict(endpoint_config.kwargs) if endpoint_config else {}
        self.where = clients.where
        timeout = float(options.get("socket_timeout", LOCK_STORE_TIMEOUT_SECONDS))
        super().__init__(key_prefix=options.get("key_prefix"), socket_timeout=timeout)
        # Rasa's own client (made above, never connected) gives way to the process's factory's.
        self.red = clients.client(timeout)
        self._check_reachable()

    def _check_reachable(self) -> None:
        import redis

        try:
            self.red.ping()
        except redis.exceptions.RedisError as error:
            # The server still starts: Redis may come up after it.
            self._log_unavailable(error)

    def _log_unavailable(self, error: BaseException) -> None:
        logger.error(
            "Redis (the lock store, HAVEN_REDIS_URL) at %s is unavailable (%s): every message "
            "gets the service_error reply until it is back.",
            self.where,
            type(error).__name__,
        )

    def _update(self, conversation_id: str, change: Callable[[TicketLock | None], Any]) -> Any:
        """Reads the conversation's lock, lets `change` alter it, and writes it back (deletes it
        when `change` leaves it `None`) as one step: if another process wrote the lock in
        between, Redis refuses the write (WATCH) and it is read and changed again.

        `change` returns (the lock to write or None, the result to return).
        """
        import redis

        key = self.key_prefix + conversation_id
        try:
            with self.red.pipeline() as pipe:
                for _ in range(MAX_LOCK_RETRIES):
                    try:
                        pipe.watch(key)
                        raw = pipe.get(key)
                        lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                        changed, result = change(lock)
                        pipe.multi()
                        if changed is None:
                            pipe.delete(key)
                        else:
                            pipe.set(key, changed.dumps())
                        pipe.execute()
                        return result
                    except redis.exceptions.WatchError:
                        continue
        except redis.exceptions.RedisError as error:
            self._log_unavailable(error)
            raise LockStoreUnavailable("Redis is unavailable.") from None
        raise LockError("The conversation lock changed too often to take a ticket.")

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A ticket for the conversation's queue; no two processes ever get the same number."""

        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        return self._update(conversation_id, issue)

    def update_lock(self, conversation_id: str) -> None:
        """Drops expired tickets (a process that died while holding one)."""

        def drop_expired(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock:
                lock.remove_expired_tickets()
            return lock, None

        self._update(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Removes a served ticket."""

        def remove(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._update(conversation_id, remove)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Removes a served ticket, and the lock with it when nobody else is waiting."""

        def remove(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock:
                lock.remove_ticket_for(ticket_number)
            return (lock if lock and lock.is_someone_waiting() else None), None

        self._update(conversation_id, remove)
