"""`EncryptedTrackerStore`: Rasa's tracker store for Haven: minimal, encrypted, forgetting.

Configured in endpoints.yml (`tracker_store: type:
haven.rasa_edge.tracker_store.EncryptedTrackerStore`). The database work is in
`haven.storage.conversations.ConversationStore` (usable without Rasa, by the command line and the
tests); this class only translates between it and Rasa's trackers. Its key ring, database engine,
handoff queue and purger come from the process's composition root (`Services.for_process()`,
haven/services.py), the same objects the channels and the console use. What is stored, for how
long and who can read it is described in docs/privacy.md.

When the database is out of reach (PostgreSQL down, a cut network), `retrieve` and `save` raise
`DatabaseUnavailable` within a few seconds (the connect timeout), the log says so in one line when
the outage begins and in one when the database answers again, and the channels answer the young
person with their kind `service_error` reply and the crisis lines. Rasa wraps every tracker store
in its `FailSafeTrackerStore`, which would instead answer `retrieve` with nothing (the message
starts a new, empty conversation, answered out of context) and keep a failed `save` in memory
(the turn is lost without a word, or an empty conversation overwrites the stored one once the
database is back). haven/rasa_edge/patches/store_errors.py makes that wrapper pass this store's
errors on, so a turn either completes and is saved or ends unsaved with the kind reply; nothing
earlier is lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from haven.handoff.queue import HandoffQueue
from haven.metrics import counts
from haven.rasa_edge import patches
from haven.services import Services
from haven.settings import StorageConfigError
from haven.storage.conversations import (
    UNAVAILABLE_ERRORS,
    ConversationStore,
    DatabaseUnavailable,
    describe_database,
)
from haven.storage.encrypted_tables import encrypted_tables

T = TypeVar("T")

logger = logging.getLogger(__name__)


class EncryptedTrackerStore(TrackerStore):
    """Rasa tracker store that keeps conversations minimized and AES-256-GCM encrypted.

    On every save it stores the conversation's latest session, minimized. When the conversation
    ran the forget action (`action_forget_me`), it deletes the stored conversation instead and
    stores nothing, so the next message starts a fresh conversation. Expired conversations are
    purged at start and then every `purge_interval_minutes` by a task on Rasa's event loop.
    """

    haven_passes_store_errors_on = True
    """Rasa's fail-safe wrapper raises this store's errors (rasa_edge/patches/store_errors.py)."""

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        host: str | None = None,
        environ: Mapping[str, str] | None = None,
        services: Services | None = None,
        **options: Any,
    ) -> None:
        """`services` is the process's (`environ`, for tests, builds one of its own); `options`
        are the `tracker_store` options of endpoints.yml."""
        patches.install()
        if event_broker is not None:
            raise StorageConfigError(
                "Haven never sends conversation events to an event broker; remove event_broker "
                "from endpoints.yml."
            )
        if host:
            raise StorageConfigError(
                "Set the database address in HAVEN_DB_URL, not as tracker_store url in "
                "endpoints.yml, so no password sits in a file."
            )
        if services is None:
            services = Services.for_process() if environ is None else Services.from_environ(environ)
        self.services = services
        settings = services.settings.storage(**options)
        self.conversations = ConversationStore(settings, services.key_ring)
        # Every encrypted table, not only the conversations: a handoff request or audit line
        # under a missing key is found at start too.
        tables = encrypted_tables(settings, self.conversations.key_ring)
        tables.create_schema()
        tables.check_keys()
        purged = self.conversations.purge_expired()
        self._last_purge = time.monotonic()
        # SQLite takes one writer at a time; PostgreSQL serves conversations side by side (one
        # conversation's messages are already handled one at a time, by the lock store).
        sqlite = self.conversations.engine.dialect.name == "sqlite"
        self._database_threads = ThreadPoolExecutor(
            max_workers=1 if sqlite else 4, thread_name_prefix="haven-store"
        )
        self._database = describe_database(settings.db_url)
        self._unavailable_since: float | None = None
        logger.info(
            "Conversations are stored encrypted in %s (table %s); %d expired ones were purged.",
            self.conversations.engine.dialect.name,
            settings.table,
            purged,
        )
        super().__init__(domain, None)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the minimized latest session, or forgets the conversation if asked to."""
        self._start_periodic_purge()
        events = [event.as_dict() for event in tracker.events]
        forget_action = self.conversations.settings.forget_action
        with self._reaching_the_database():
            if any(e.get("event") == "action" and e.get("name") == forget_action for e in events):
                self.conversations.forget(tracker.sender_id)
                self._handoffs().cancel(tracker.sender_id)  # a request for a person goes too
                logger.info("A conversation was deleted at the user's request.")
                return
            await self._in_database_thread(self.conversations.store, tracker.sender_id, events)
            latest = tracker.latest_message
            if latest is not None and latest.intent.get("name") == "crisis":
                self._handoffs().mark_risk(tracker.sender_id)  # a waiting request moves up

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's stored (latest) session, or None if nothing is stored."""
        self._start_periodic_purge()
        with self._reaching_the_database():
            events = await self._in_database_thread(self.conversations.load, sender_id)
        if not events:
            counts.conversation_started()  # Rasa starts the conversation now (the NGO's count)
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        """The same as `retrieve`: earlier sessions are never stored."""
        return await self.retrieve(conversation_id)

    async def keys(self) -> Iterable[str]:
        """The ids of all stored conversations (decrypted with the configured keys)."""
        with self._reaching_the_database():
            return self.conversations.sender_ids()

    @contextmanager
    def _reaching_the_database(self) -> Iterator[None]:
        # One line when an outage begins and one when it ends, not one per message: the channels
        # log each refused message briefly. SQLAlchemy's own text is not logged (it can hold
        # the statement); the kind of error and where the database is say enough.
        try:
            yield
        except UNAVAILABLE_ERRORS as error:
            if self._unavailable_since is None:
                self._unavailable_since = time.monotonic()
                logger.error(
                    "The database (HAVEN_DB_URL, %s) is unavailable (%s): young people get the "
                    "kind error message with the crisis lines, and nothing is stored, until it "
                    "answers again.",
                    self._database,
                    type(error).__name__,
                )
            raise DatabaseUnavailable("The database is unavailable.") from None
        if self._unavailable_since is not None:
            logger.warning(
                "The database is reachable again, after %.0f seconds.",
                time.monotonic() - self._unavailable_since,
            )
            self._unavailable_since = None

    async def _in_database_thread(self, work: Callable[..., T], *arguments: Any) -> T:
        # Reading and writing a conversation waits on the database (a commit's fsync, a
        # PostgreSQL round trip); on this thread the event loop serves other conversations
        # meanwhile.
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._database_threads, work, *arguments)

    def _handoffs(self) -> HandoffQueue:
        # The handoff requests live in the same database, under the same keys.
        return self.services.handoff_queue

    def _start_periodic_purge(self) -> None:
        # Started lazily from the first save or retrieve, because only then is Rasa's event loop
        # the one that keeps running; the process's background tasks run it once.
        self.services.background.start("conversation purge", self._purge_periodically)

    async def _purge_periodically(self) -> None:
        interval = self.conversations.settings.purge_interval_seconds
        while True:
            await asyncio.sleep(max(0.0, self._last_purge + interval - time.monotonic()))
            try:
                purged = self.conversations.purge_expired()
            except Exception as error:  # keep purging later; the database may be back then
                logger.error("Purging expired conversations failed: %s", type(error).__name__)
            else:
                if purged:
                    logger.info("Purged %d expired conversations.", purged)
            self._last_purge = time.monotonic()
