"""`Services`: the one composition root of a Haven process, built lazily, once.

Rasa builds each of Haven's adapters on its own, from its own line of credentials.yml or
endpoints.yml (the channels, the console, the tracker store, the lock store, the NLG), and the
action server loads `actions/` by itself; nothing passes them a shared object. Left alone, each
would read the environment, load the key ring and open Redis and the database its own way. So
each asks `Services.for_process()` instead, and gets the same objects:

- `settings`: the environment, read once (haven/settings.py), and everything below from it;
- `key_ring`: `HAVEN_KEYS` or the key file, loaded once (the store, the queue, the web chat's
  tokens, the limits' hash keys);
- `engine`: the one SQLAlchemy engine of `HAVEN_DB_URL` (conversations, queue, accounts);
- `redis`: the one Redis client factory of `HAVEN_REDIS_URL`, with timeouts and one default
  database (lock store, rate limits, console sessions and login limit, relay);
- `packs`, `renderer`: content/, read and checked once (NLG, console);
- `handoff_queue`, `counselor_accounts`, `counselor_desk`, `handoff_desk`: the handoff requests
  and audit trail, the accounts (with their second factors), each counselor's status and chats at
  once, handoff.yml (tracker store, console, actions/);
- `helpfulness`, `metrics_endpoint`: the "did this help?" counts, and this process's `/metrics`
  (haven/metrics/);
- `relay`: the live chats, in memory or through Redis pub/sub (web chat and console channels);
- `message_limiter`, `new_request_limit`: the rate limits, in memory or in Redis;
- `background`: the purgers, on the server's event loop (tracker store, console).

Every object is built when first asked for (a `cached_property`, which holds a lock while it
builds, so two threads asking at once get one object), so a process builds only what it uses
(the action server never opens Redis for the relay; the storage command line never reads
content/), and a setting that is wrong for one part fails where that part starts, in one
sentence. Tests build their own with `Services.from_environ({...})` and pass it to what they
test; `forget_process()` drops the process's one, so the next `for_process()` reads the
environment again.

No Rasa import: the edge (haven/rasa_edge/) and actions/ import this, never the other way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from haven.settings import Settings, StorageConfigError, StorageSettings

if TYPE_CHECKING:  # the parts are imported when first built, so a command line starts quickly
    from sqlalchemy.engine import Engine

    from haven.handoff.console import CounselorConsole, PauseBot
    from haven.handoff.counselors import CounselorAccounts
    from haven.handoff.queue import HandoffDesk, HandoffQueue, NewRequestLimit
    from haven.handoff.relay import HandoffRelay
    from haven.handoff.status import CounselorDesk
    from haven.metrics.endpoint import MetricsEndpoint
    from haven.packs.content import ContentPacks
    from haven.packs.render import Renderer
    from haven.storage.crypto import KeyRing
    from haven.storage.helpfulness import HelpfulnessCounts
    from haven.storage.redis_clients import RedisClients
    from haven.web.rate_limits import MessageRateLimiter, RateLimits
    from haven.web.widget_protocol import ConversationTokens

logger = logging.getLogger(__name__)

LOCK_STORE_TIMEOUT_SECONDS = 5.0
"""How long the lock store waits for Redis (endpoints.yml's `socket_timeout` overrides it)."""
CONSOLE_REDIS_TIMEOUT_SECONDS = 2.0
"""How long a console request waits for Redis (its sessions and login limit) before a 503."""


class BackgroundTasks:
    """The process's periodic tasks (the purgers), each started once, on the running event loop.

    Started lazily by whoever first has the server's loop (the tracker store's first turn, the
    console's `after_server_start`), by name, so a second adapter asking for the same task gets
    the one already running; `stop` cancels them all (the console's `before_server_stop`).
    """

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Runs `work()` as the task `name` on the running loop, unless it already runs."""
        task = self._tasks.get(name)
        if task is not None and not task.done():
            return
        self._tasks[name] = asyncio.get_running_loop().create_task(work(), name=name)

    def running(self) -> list[str]:
        """The names of the tasks running now."""
        return [name for name, task in self._tasks.items() if not task.done()]

    async def stop(self) -> None:
        """Cancels every task and waits until each has stopped."""
        tasks, self._tasks = list(self._tasks.values()), {}
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await task


class Services:
    """What one Haven process shares: settings, keys, database, Redis, content, handoff."""

    _process: Services | None = None
    _process_lock = threading.Lock()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.background = BackgroundTasks()

    @classmethod
    def for_process(cls) -> Services:
        """The one `Services` of this process, built from its environment on first use."""
        with cls._process_lock:
            if cls._process is None:
                cls._process = cls(Settings())
            return cls._process

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Services:
        """A new `Services` over `environ` (the process's environment if None): for tests and
        for command lines, which are processes of their own."""
        return cls(Settings(environ))

    @classmethod
    def forget_process(cls) -> None:
        """Drops the process's `Services` (for tests that change the environment)."""
        with cls._process_lock:
            cls._process = None

    # --- storage --------------------------------------------------------------------------

    @property
    def storage(self) -> StorageSettings:
        """The storage settings (database, keys), without endpoints.yml's options."""
        return self.settings.default_storage

    @cached_property
    def key_ring(self) -> KeyRing:
        """The key ring, loaded once; `StorageConfigError` (one sentence) without usable keys."""
        from haven.storage.crypto import load_key_ring

        return load_key_ring(self.storage.keys_spec, self.storage.key_file)

    @cached_property
    def engine(self) -> Engine:
        """The one SQLAlchemy engine of the configured database."""
        from haven.storage.conversations import engine_for

        return engine_for(self.storage.db_url)

    @cached_property
    def redis(self) -> RedisClients | None:
        """The one Redis client factory (`HAVEN_REDIS_URL`), or None when Redis is not used."""
        from haven.storage.redis_clients import RedisClients

        url = self.settings.redis_url
        return RedisClients(url) if url else None

    def require_redis(self, needed_for: str) -> RedisClients:
        """The Redis client factory; `StorageConfigError` naming `needed_for` when there is none."""
        if self.redis is None:
            raise StorageConfigError(f"HAVEN_REDIS_URL is not set: {needed_for}")
        return self.redis

    @cached_property
    def helpfulness(self) -> HelpfulnessCounts:
        """The three counts of "did this help?" in the configured database."""
        from haven.storage.helpfulness import HelpfulnessCounts

        counts = HelpfulnessCounts(self.storage.db_url)
        counts.create_schema()
        return counts

    def count_helpfulness(self, answer: str) -> None:
        """One answer to "did this help?": in the database (kept across restarts) and in this
        process's `/metrics`. Blocking (one SQL statement): call it off the event loop."""
        from haven.metrics import counts

        self.helpfulness.add(answer)
        counts.helped_answer(answer)

    @cached_property
    def metrics_endpoint(self) -> MetricsEndpoint:
        """The `/metrics` route of this process (haven/metrics/endpoint.py), closed without a
        token."""
        from haven.metrics.endpoint import MetricsEndpoint

        return MetricsEndpoint(self.settings.metrics)

    # --- content --------------------------------------------------------------------------

    def packs_in(self, content_dir: Path | None = None) -> ContentPacks:
        """The content packs of `content_dir` (content/ by default), read and checked once."""
        from haven.packs.content import content

        # `content()` itself for content/: the same cached packs as the channels' texts
        # (haven/packs/channel_messages.py), not a second reading of every file.
        return content() if content_dir is None else content(Path(content_dir))

    @cached_property
    def packs(self) -> ContentPacks:
        """The content packs of content/."""
        return self.packs_in()

    @cached_property
    def renderer(self) -> Renderer:
        """Responses in a language with a region's help lines, over `packs`."""
        from haven.packs.render import Renderer

        return Renderer(self.packs)

    def renderer_in(self, content_dir: Path | None = None) -> Renderer:
        """The renderer of `content_dir`: `renderer` itself for content/."""
        from haven.packs.content import CONTENT_DIR
        from haven.packs.render import Renderer

        if content_dir is None or Path(content_dir).resolve() == CONTENT_DIR.resolve():
            return self.renderer
        return Renderer(self.packs_in(content_dir))

    # --- web ------------------------------------------------------------------------------

    @cached_property
    def tokens(self) -> ConversationTokens:
        """Web chat tokens keyed by the key ring, so conversations survive a restart; without a
        usable key ring, a random key for this process (logged)."""
        import secrets

        from haven.web.widget_protocol import ConversationTokens

        try:
            return ConversationTokens(self.key_ring.token_keys())
        except StorageConfigError as error:
            logger.warning(
                "Web chat tokens use a key for this process only (%s); a browser cannot resume "
                "its conversation after a restart.",
                error,
            )
            return ConversationTokens([secrets.token_bytes(32)])

    def rate_limiter(
        self,
        limits: RateLimits | None = None,
        period_seconds: float | None = None,
        prefix: str | None = None,
    ) -> MessageRateLimiter:
        """A limiter in Redis when `HAVEN_REDIS_URL` is set, in this process's memory otherwise.

        `limits` default to the message limits of the settings; another use (new handoff
        requests) passes its own, with its own period and Redis `prefix`. In Redis, buckets are
        named by keyed hashes under `KeyRing.rate_limit_key`, the same in every process. Raises
        `ValueError` for a malformed limit, `StorageConfigError` for Redis without keys.
        """
        from haven.web import rate_limits

        limits = limits or rate_limits.RateLimits.load(self.settings)
        period = period_seconds or rate_limits.PERIOD_SECONDS
        if self.redis is None:
            return rate_limits.MessageRateLimiter(limits, period_seconds=period)
        return rate_limits.RedisMessageRateLimiter(
            self.redis,
            self.key_ring.rate_limit_key(),
            limits,
            prefix=prefix or rate_limits.REDIS_PREFIX,
            period_seconds=period,
        )

    @cached_property
    def message_limiter(self) -> MessageRateLimiter:
        """The one message limiter of the process, shared by the REST and web chat channels, so
        an address gets one allowance however it reaches Haven."""
        return self.rate_limiter()

    # --- handoff --------------------------------------------------------------------------

    @cached_property
    def handoff_queue(self) -> HandoffQueue:
        """The handoff requests and audit trail, in the database under the key ring."""
        from haven.handoff.queue import HandoffQueue

        queue = HandoffQueue(
            self.storage.db_url, self.key_ring, keep_minutes=self.settings.handoff.keep_minutes
        )
        queue.create_schema()
        return queue

    @cached_property
    def counselor_accounts(self) -> CounselorAccounts:
        """The counselor accounts table, with the key ring that opens their second factors."""
        return self._counselor_accounts(self.key_ring)

    def counselor_accounts_without_keys(self) -> CounselorAccounts:
        """The accounts for the command line's commands that open no second factor (add without
        --totp, password, remove, list): they work before the storage keys exist."""
        return self._counselor_accounts(None)

    def _counselor_accounts(self, key_ring: KeyRing | None) -> CounselorAccounts:
        from haven.handoff.counselors import CounselorAccounts

        accounts = CounselorAccounts(
            self.storage.db_url,
            key_ring=key_ring,
            min_password_chars=self.settings.handoff.password_min_chars,
        )
        accounts.create_schema()
        return accounts

    @cached_property
    def new_request_limit(self) -> NewRequestLimit:
        """handoff.yml's limit on new requests for a person, kept where the message limits are."""
        from haven.handoff.queue import NewRequestLimit

        limits, period = NewRequestLimit.limits_of(self.settings.handoff)
        return NewRequestLimit(self.rate_limiter(limits, period, prefix="haven:handoff-new"))

    @cached_property
    def handoff_desk(self) -> HandoffDesk:
        """Files a young person's request and says whether a counselor can come (actions/)."""
        from haven.handoff.queue import HandoffDesk

        return HandoffDesk(
            self.handoff_queue,
            self.counselor_accounts,
            self.settings.handoff,
            new_requests=self.new_request_limit,
            desk=self.counselor_desk,
        )

    @cached_property
    def counselor_desk(self) -> CounselorDesk:
        """Each counselor's status, role and number of chats at once (haven/handoff/status.py)."""
        from haven.handoff.status import CounselorDesk

        desk = CounselorDesk(self.storage.db_url, self.settings.handoff.chats_per_counselor)
        desk.create_schema()
        return desk

    @cached_property
    def relay(self) -> HandoffRelay:
        """The one relay of the process, shared by the web chat and the console channels, so
        what a counselor sends reaches the young person's socket; through Redis when set."""
        from haven.handoff.relay import HandoffRelay, RedisHandoffRelay

        return RedisHandoffRelay(self.redis) if self.redis is not None else HandoffRelay()

    def counselor_console(
        self, relay: HandoffRelay | None = None, pause_bot: PauseBot | None = None
    ) -> CounselorConsole:
        """The console over the queue, the accounts and handoff.yml; sessions and the login
        limit in Redis when it is set. `StorageConfigError` without usable storage."""
        from haven.handoff.console import CounselorConsole, no_bot_to_pause
        from haven.handoff.counselors import console_state

        handoff = self.settings.handoff
        client = self.redis.client(CONSOLE_REDIS_TIMEOUT_SECONDS) if self.redis else None
        sessions, limiter = console_state(
            handoff.session_minutes, self.key_ring.login_limit_key(), client
        )
        from haven.handoff.live import ConsoleLive

        redis_url = self.settings.redis_url
        console = CounselorConsole(
            relay or self.relay,
            self.handoff_queue,
            self.counselor_accounts,
            sessions,
            desk=self.counselor_desk,
            renderer=lambda: self.renderer,  # read when a text first needs it
            limiter=limiter,
            allow_remote=self.settings.counselor_remote,
            language=handoff.console_language,
            pause_bot=pause_bot or no_bot_to_pause,
            background=self.background,
            end_tags=handoff.end_tags,
            # Across processes through python-socketio's own Redis manager (pub/sub only), on
            # the same HAVEN_REDIS_URL.
            live=lambda made: ConsoleLive(made, redis_url=redis_url),
        )
        return console
