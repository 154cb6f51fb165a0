"""Counselor accounts, console sessions and the login rate limit.

- `CounselorAccounts`: the table `haven_counselors` (name, scrypt hash with a random salt, when
  last seen in the console). Accounts are made with `python -m haven.handoff.cli add NAME`.
  "Last seen" is how another process (the action server) knows a counselor is online.
- `ConsoleSessions`: server-side sessions in memory. The browser holds only a random token in an
  HttpOnly, SameSite=Strict cookie; the server keeps its SHA-256, the counselor's name, a CSRF
  token and when it expires (after `session_minutes` without activity, at most 12 hours).
- `LoginLimiter`: failed logins counted per name from one address, per address and per name
  (its docstring says how none of them lets one attacker lock the team out).

With `HAVEN_REDIS_URL` set (`console_state`), sessions and the login limit live in Redis instead
(`RedisConsoleSessions`, `RedisLoginLimiter`), so every server process knows them and a load
balancer needs no sticky sessions for the console. Redis holds only hashes there: the SHA-256 of
the cookie's token as the session's key, and keyed hashes of names and addresses for the limit;
every key expires by itself (a TTL).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.storage.conversations import engine_for
from haven.storage.schema import create_tables

ACCOUNTS_TABLE = "haven_counselors"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,31}\Z")
MIN_PASSWORD_CHARS = 12
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
ONLINE_SECONDS = 120
"""A counselor counts as online this long after the console last reached the server."""
SESSION_MAX_SECONDS = 12 * 3600
REDIS_PREFIX = "haven:console:"


class AccountError(ValueError):
    """A name or password that cannot be used; the message says why in one sentence."""


def hash_password(password: str, salt: bytes) -> bytes:
    """scrypt (n=2^14, r=8, p=1) of the password with the account's salt."""
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, maxmem=64 * 1024 * 1024, **SCRYPT)


class CounselorAccounts:
    """Counselor accounts in the shared database; each method is one transaction."""

    def __init__(self, db_url: str, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine_for(db_url)
        self.clock = clock
        self.table = sa.Table(
            ACCOUNTS_TABLE,
            sa.MetaData(),
            sa.Column("name", sa.String(32), primary_key=True),
            sa.Column("salt", sa.LargeBinary(16), nullable=False),
            sa.Column("password_hash", sa.LargeBinary(32), nullable=False),
            sa.Column("last_seen", sa.BigInteger(), nullable=False, default=0),
        )
        # A fixed dummy, so a login for an unknown name costs as much as one for a real name.
        self._dummy_salt = os.urandom(16)

    def create_schema(self) -> None:
        """Creates the table if it does not exist yet."""
        create_tables(self.engine, self.table.metadata)

    def add(self, name: str, password: str) -> None:
        """Creates an account; `AccountError` if the name is taken or either is unusable."""
        if not NAME_PATTERN.match(name):
            raise AccountError(
                "A name is 2 to 32 lowercase letters, digits, '.', '_' or '-', starting with a "
                "letter or digit."
            )
        if len(password) < MIN_PASSWORD_CHARS:
            raise AccountError(f"A password needs at least {MIN_PASSWORD_CHARS} characters.")
        salt = os.urandom(16)
        with Session(self.engine) as session, session.begin():
            if self._exists(session, name):
                raise AccountError(f"There is already a counselor called '{name}'.")
            session.execute(
                sa.insert(self.table).values(
                    name=name, salt=salt, password_hash=hash_password(password, salt), last_seen=0
                )
            )

    def remove(self, name: str) -> bool:
        """Deletes an account; False if there was none."""
        with Session(self.engine) as session, session.begin():
            deleted = session.execute(sa.delete(self.table).where(self.table.c.name == name))
        return bool(deleted.rowcount)

    def names(self) -> list[str]:
        """Every counselor's name."""
        with Session(self.engine) as session:
            return list(session.execute(sa.select(self.table.c.name)).scalars())

    def verify(self, name: str, password: str) -> bool:
        """Whether the password is this counselor's (constant time, also for unknown names)."""
        with Session(self.engine) as session:
            row = session.execute(sa.select(self.table).where(self.table.c.name == name)).first()
        salt = bytes(row.salt) if row else self._dummy_salt
        computed = hash_password(password, salt)
        expected = bytes(row.password_hash) if row else os.urandom(32)
        return hmac.compare_digest(computed, expected) and row is not None

    def touch(self, name: str, online: bool = True) -> None:
        """Marks the counselor as seen now (or as gone, at logout)."""
        seen = int(self.clock()) if online else 0
        with Session(self.engine) as session, session.begin():
            session.execute(
                sa.update(self.table).where(self.table.c.name == name).values(last_seen=seen)
            )

    def anyone_online(self) -> bool:
        """Whether a counselor's console reached the server in the last two minutes."""
        cutoff = int(self.clock() - ONLINE_SECONDS)
        with Session(self.engine) as session:
            found = session.execute(
                sa.select(self.table.c.name).where(self.table.c.last_seen >= cutoff).limit(1)
            ).first()
        return found is not None

    def _exists(self, session: Session, name: str) -> bool:
        return (
            session.execute(sa.select(self.table.c.name).where(self.table.c.name == name)).first()
            is not None
        )


@dataclass
class ConsoleSession:
    """One logged-in console: whose it is, its CSRF token, and when it expires."""

    counselor: str
    csrf: str
    started: float
    expires: float
    last_touch: float = 0.0


class ConsoleSessions:
    """Server-side sessions keyed by the SHA-256 of the cookie's random token."""

    def __init__(self, idle_minutes: float, clock: Callable[[], float] = time.time) -> None:
        self.idle_seconds = idle_minutes * 60
        self.clock = clock
        self._sessions: dict[str, ConsoleSession] = {}

    def start(self, counselor: str) -> tuple[str, ConsoleSession]:
        """A new session; returns the cookie's token (never stored) and the session."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        for key in [k for k, s in self._sessions.items() if now >= s.expires]:
            del self._sessions[key]  # sessions nobody came back to
        session = ConsoleSession(counselor, secrets.token_urlsafe(32), now, now + self.idle_seconds)
        self._sessions[_digest(token)] = session
        return token, session

    def get(self, token: str | None) -> ConsoleSession | None:
        """The live session for a cookie token (extending it), or None if unknown or expired."""
        if not token:
            return None
        key = _digest(token)
        session = self._sessions.get(key)
        now = self.clock()
        if session is None:
            return None
        if now >= session.expires or now - session.started >= SESSION_MAX_SECONDS:
            del self._sessions[key]
            return None
        session.expires = now + self.idle_seconds
        return session

    def end(self, token: str | None) -> None:
        """Logs out: the token no longer opens anything."""
        if token:
            self._sessions.pop(_digest(token), None)

    def touched(self, token: str | None, session: ConsoleSession, now: float) -> None:
        """Notes when the counselor was last marked online (at most every 30 seconds)."""
        session.last_touch = now

    def csrf_ok(self, session: ConsoleSession, sent: str | None) -> bool:
        """Whether a POST carries the session's CSRF token."""
        return isinstance(sent, str) and hmac.compare_digest(session.csrf, sent)


class RedisConsoleSessions(ConsoleSessions):
    """Console sessions in Redis, shared by every server process.

    One key per session, `haven:console:session:<SHA-256 of the cookie's token>`, holding the
    counselor's name, the CSRF token, when it started and when the counselor was last marked
    online. Redis deletes it after `idle_minutes` without use (its TTL, renewed at each use);
    a session older than 12 hours is refused and deleted. The token itself is never stored.
    """

    def __init__(
        self,
        client: Any,
        idle_minutes: float,
        clock: Callable[[], float] = time.time,
        prefix: str = REDIS_PREFIX,
    ) -> None:
        super().__init__(idle_minutes, clock)
        self.redis = client
        self.prefix = prefix

    def _key(self, token: str) -> str:
        return f"{self.prefix}session:{_digest(token)}"

    def _write(self, key: str, session: ConsoleSession, keep_ttl: bool = False) -> None:
        body = json.dumps(
            {
                "counselor": session.counselor,
                "csrf": session.csrf,
                "started": session.started,
                "last_touch": session.last_touch,
            }
        )
        if keep_ttl:
            self.redis.set(key, body, keepttl=True, xx=True)
        else:
            self.redis.set(key, body, px=max(1, int(self.idle_seconds * 1000)))

    def start(self, counselor: str) -> tuple[str, ConsoleSession]:
        """A new session in Redis; returns the cookie's token (never stored) and the session."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        session = ConsoleSession(counselor, secrets.token_urlsafe(32), now, now + self.idle_seconds)
        self._write(self._key(token), session)
        return token, session

    def get(self, token: str | None) -> ConsoleSession | None:
        """The live session for a cookie token (renewing its TTL), or None."""
        if not token:
            return None
        key = self._key(token)
        raw = self.redis.get(key)
        if raw is None:
            return None
        data = json.loads(raw)
        now = self.clock()
        if now - float(data["started"]) >= SESSION_MAX_SECONDS:
            self.redis.delete(key)
            return None
        self.redis.pexpire(key, max(1, int(self.idle_seconds * 1000)))
        return ConsoleSession(
            str(data["counselor"]),
            str(data["csrf"]),
            float(data["started"]),
            now + self.idle_seconds,
            float(data.get("last_touch") or 0.0),
        )

    def end(self, token: str | None) -> None:
        """Logs out everywhere: the key is deleted."""
        if token:
            self.redis.delete(self._key(token))

    def touched(self, token: str | None, session: ConsoleSession, now: float) -> None:
        """Stores when the counselor was last marked online, keeping the session's TTL."""
        super().touched(token, session, now)
        if token:
            self._write(self._key(token), session, keep_ttl=True)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


MAX_NAME_CHARS = 64
"""Longer login names are refused before anything is counted or stored."""
MAX_PASSWORD_CHARS = 1024
MAX_TRACKED_LOGIN_KEYS = 10_000
"""Counts kept in memory at most (each at most its limit's number of times); oldest go first."""
TRUSTED_DAYS = 30


def login_input_ok(name: str, password: str) -> bool:
    """Whether a login form is small enough to be checked at all (nothing is stored otherwise)."""
    return 0 < len(name) <= MAX_NAME_CHARS and len(password) <= MAX_PASSWORD_CHARS


class _MemoryFailures:
    """Failure times by key, in this process: bounded in keys and in times per key."""

    def __init__(self, max_keys: int = MAX_TRACKED_LOGIN_KEYS) -> None:
        self.max_keys = max_keys
        self._times: OrderedDict[bytes, deque[float]] = OrderedDict()
        self._trusted: OrderedDict[bytes, float] = OrderedDict()

    def count(self, key: bytes, since: float) -> int:
        times = self._times.get(key)
        while times and times[0] < since:
            times.popleft()
        return len(times or ())

    def add(self, key: bytes, now: float, keep: int, window: float) -> None:
        times = self._times.get(key)
        if times is None:
            times = self._times[key] = deque(maxlen=keep)
            _bound(self._times, self.max_keys)
        self._times.move_to_end(key)
        times.append(now)

    def clear(self, key: bytes) -> None:
        self._times.pop(key, None)

    def trust(self, key: bytes, now: float, seconds: float) -> None:
        self._trusted[key] = now + seconds
        self._trusted.move_to_end(key)
        _bound(self._trusted, self.max_keys)

    def trusted(self, key: bytes, now: float) -> bool:
        return self._trusted.get(key, 0.0) > now


def _bound(table: OrderedDict[bytes, Any], max_keys: int) -> None:
    while len(table) > max_keys:
        table.popitem(last=False)


class _RedisFailures:
    """Failure times by key in Redis sorted sets, each expiring with its window."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.redis = client
        self.prefix = prefix

    def _name(self, key: bytes) -> str:
        return f"{self.prefix}login:{key.hex()}"

    def count(self, key: bytes, since: float) -> int:
        pipe = self.redis.pipeline()
        pipe.zremrangebyscore(self._name(key), "-inf", f"({since}")
        pipe.zcard(self._name(key))
        return int(pipe.execute()[1])

    def add(self, key: bytes, now: float, keep: int, window: float) -> None:
        name = self._name(key)
        pipe = self.redis.pipeline()
        pipe.zadd(name, {f"{now}:{secrets.token_hex(4)}": now})
        pipe.zremrangebyrank(name, 0, -keep - 1)  # only the newest `keep` count
        pipe.pexpire(name, max(1, int(window * 1000)))
        pipe.execute()

    def clear(self, key: bytes) -> None:
        self.redis.delete(self._name(key))

    def trust(self, key: bytes, now: float, seconds: float) -> None:
        self.redis.set(self._name(key), b"1", px=max(1, int(seconds * 1000)))

    def trusted(self, key: bytes, now: float) -> bool:
        return bool(self.redis.exists(self._name(key)))


class LoginLimiter:
    """Failed logins counted so that guessing is slow but nobody can lock the team out.

    Three counts over a sliding window (15 minutes), each refusing further attempts when full:
    - a name from one address (`max_failures`, 5): the usual account lockout, but only for the
      address that failed, so an attacker who knows a name locks out only themselves;
    - an address, whatever the names (`max_per_address`, 30): one client guessing many names;
    - a name, from every address together (`max_per_name`, 100): guessing spread over many
      addresses. It does not apply where that name logged in successfully in the last
      `TRUSTED_DAYS`, so a counselor at their usual place gets in even while someone elsewhere
      keeps the count full, and it ends with the window once the guessing stops.
    Addresses are the client's own (behind the proxy, from its `Forwarded` header, with
    SANIC_PROXIES_COUNT), so one client never locks out everyone behind the proxy. Names and
    addresses are kept only as keyed hashes (BLAKE2b), in bounded memory or expiring Redis keys;
    names longer than `MAX_NAME_CHARS` never reach the limiter (`login_input_ok`).
    """

    def __init__(
        self,
        max_failures: int = 5,
        max_per_address: int = 30,
        window_seconds: float = 900,
        clock: Callable[[], float] = time.monotonic,
        max_per_name: int = 100,
        hash_key: bytes | None = None,
        store: Any = None,
    ) -> None:
        self.max_failures = max_failures
        self.max_per_address = max_per_address
        self.max_per_name = max_per_name
        self.window = window_seconds
        self.clock = clock
        self.hash_key = hash_key or secrets.token_bytes(32)
        self.store = store or _MemoryFailures()

    def _key(self, kind: str, *values: str) -> bytes:
        data = "\0".join((kind, *values)).encode("utf-8", "replace")
        return hashlib.blake2b(data, key=self.hash_key, digest_size=16).digest()

    def _limits(self, name: str, address: str) -> list[tuple[bytes, int]]:
        return [
            (self._key("pair", name, address), self.max_failures),
            (self._key("addr", address), self.max_per_address),
            (self._key("name", name), self.max_per_name),
        ]

    def allowed(self, name: str, address: str) -> bool:
        """Whether another attempt for `name` from `address` may be checked now."""
        since = self.clock() - self.window
        (pair, per_pair), (addr, per_address), (whole, per_name) = self._limits(name, address)
        if (
            self.store.count(pair, since) >= per_pair
            or self.store.count(addr, since) >= per_address
        ):
            return False
        if self.store.count(whole, since) < per_name:
            return True
        return self.store.trusted(self._key("trusted", name, address), self.clock())

    def failed(self, name: str, address: str) -> None:
        """Counts a failed attempt against the name from this address, the address and the name."""
        now = self.clock()
        for key, limit in self._limits(name, address):
            self.store.add(key, now, limit, self.window)

    def succeeded(self, name: str, address: str) -> None:
        """A right password clears the name's count from this address and trusts the address for
        the name (not the address's own count)."""
        self.store.clear(self._key("pair", name, address))
        self.store.trust(self._key("trusted", name, address), self.clock(), TRUSTED_DAYS * 86_400)


class RedisLoginLimiter(LoginLimiter):
    """The login limit in Redis, so it holds however many server processes answer logins.

    Each count is a sorted set of failure times under `haven:console:login:<keyed hash>`, trimmed
    to the window and its limit and expiring with it. Neither a name nor an address is stored.
    """

    def __init__(
        self,
        client: Any,
        hash_key: bytes,
        max_failures: int = 5,
        max_per_address: int = 30,
        window_seconds: float = 900,
        clock: Callable[[], float] = time.time,
        prefix: str = REDIS_PREFIX,
        max_per_name: int = 100,
    ) -> None:
        # Wall-clock time, not monotonic: the processes sharing the counts must agree on it.
        super().__init__(
            max_failures,
            max_per_address,
            window_seconds,
            clock,
            max_per_name=max_per_name,
            hash_key=hash_key,
            store=_RedisFailures(client, prefix),
        )


def console_state(
    idle_minutes: float, hash_key: bytes, redis_client: Any = None
) -> tuple[ConsoleSessions, LoginLimiter]:
    """Sessions and login limit in Redis when given a client (`HAVEN_REDIS_URL` is set, see
    haven/services.py), in memory otherwise."""
    if redis_client is None:
        return ConsoleSessions(idle_minutes), LoginLimiter()
    return RedisConsoleSessions(redis_client, idle_minutes), RedisLoginLimiter(
        redis_client, hash_key
    )
