"""Counselor accounts, console sessions and the login rate limit.

- `CounselorAccounts`: the table `haven_counselors` (name, password hash, when last seen in the
  console) and `haven_counselor_totp` (a counselor's second factor: the TOTP secret, encrypted
  with the storage keys, and the last time step used). Accounts are made with
  `python -m haven.handoff.cli add NAME`. "Last seen" is how another process (the action server)
  knows a counselor is online.
- `ConsoleSessions`: server-side sessions in memory. The browser holds only a random token in an
  HttpOnly, SameSite=Strict cookie; the server keeps its SHA-256, the counselor's name, a CSRF
  token, the account's session stamp and when it expires (after `session_minutes` without
  activity, at most 12 hours).
- `LoginLimiter`: failed logins (wrong passwords and wrong codes alike) counted per name from one
  address, per address and per name (its docstring says how none of them lets one attacker lock
  the team out).

With `HAVEN_REDIS_URL` set (`console_state`), sessions and the login limit live in Redis instead
(`RedisConsoleSessions`, `RedisLoginLimiter`), so every server process knows them and a load
balancer needs no sticky sessions for the console. Redis holds only hashes there: the SHA-256 of
the cookie's token as the session's key, and keyed hashes of names and addresses for the limit;
every key expires by itself (a TTL).

Every method here blocks (hashing, SQL, Redis): the console calls them on its own bounded thread
pool (haven/handoff/console.py), never on the event loop that serves the young people.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from haven.storage.conversations import engine_for
from haven.storage.crypto import KeyRing, Sealed
from haven.storage.schema import SealedTable, create_tables

ACCOUNTS_TABLE = "haven_counselors"
TOTP_TABLE = "haven_counselor_totp"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,31}\Z")
MIN_PASSWORD_CHARS = 12
"""The default of `password_min_chars` in handoff.yml (haven/settings.py)."""
ARGON2 = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16)
"""Argon2id (argon2-cffi's default type) at the first configuration OWASP's Password Storage
Cheat Sheet recommends: "Use Argon2id with a minimum configuration of 19 MiB of memory, an
iteration count of 2, and 1 degree of parallelism" (m=19456 KiB, t=2, p=1;
https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html, checked
2026-12-01). About 30 ms and 19 MiB per login on one core; the console hashes on a pool of
`CONSOLE_THREADS` threads, so ten logins at once take 2 x 19 MiB, not 10 x. The hash is stored in
the PHC string format (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), which names its parameters:
a hash made with other parameters is re-hashed at the next successful login."""
LEGACY_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
"""How passwords were hashed before Argon2id (scrypt with a 16-byte salt in the `salt` column),
below OWASP's scrypt minimum (N=2^17). Such a hash still logs its counselor in, once: a right
password replaces it with an Argon2id hash at that login."""
TOTP_WINDOW_STEPS = 1
"""A code of the 30-second step before or after now is accepted too (a phone's clock a little
off); each step's code logs in once only."""
ONLINE_SECONDS = 120
"""A counselor counts as online this long after the console last reached the server."""
SESSION_MAX_SECONDS = 12 * 3600
SECOND_FACTOR_SECONDS = 300
"""After a right password, the code must follow within this time (a pending session)."""
REDIS_PREFIX = "haven:console:"
_TOTP_AAD = "haven-counselor-totp:"


class AccountError(ValueError):
    """A name or password that cannot be used; the message says why in one sentence."""


def legacy_scrypt(password: str, salt: bytes) -> bytes:
    """The old hash, scrypt (n=2^14, r=8, p=1) with the account's salt: only ever compared."""
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, maxmem=64 * 1024 * 1024, **LEGACY_SCRYPT
    )


def counselor_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """The accounts table and the table of second factors."""
    accounts = sa.Table(
        ACCOUNTS_TABLE,
        metadata,
        sa.Column("name", sa.String(32), primary_key=True),
        # Empty for an Argon2id hash (its salt is inside it); an old scrypt hash's salt.
        sa.Column("salt", sa.LargeBinary(16), nullable=False),
        # The Argon2id PHC string as bytes, or an old 32-byte scrypt hash.
        sa.Column("password_hash", sa.LargeBinary(), nullable=False),
        sa.Column("last_seen", sa.BigInteger(), nullable=False, default=0),
    )
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    totp = sa.Table(
        TOTP_TABLE,
        metadata,
        # An id as every encrypted table has (key checks and rotation go through it in order).
        sa.Column("id", big, primary_key=True),
        sa.Column("name", sa.String(32), nullable=False, unique=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("nonce", sa.LargeBinary(12), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),  # the sealed base32 secret
        sa.Column("last_step", sa.BigInteger(), nullable=False, default=0),
    )
    return accounts, totp


def sealed_counselor_tables(metadata: sa.MetaData | None = None) -> list[SealedTable]:
    """The second factors' table as an encrypted table (for key checks and rotation); each
    secret is bound to its counselor's name, so a row copied to another name does not open."""
    _, totp = counselor_tables(metadata if metadata is not None else sa.MetaData())
    return [SealedTable(totp, "second-factor secrets", lambda row: _TOTP_AAD + row.name)]


@dataclass(frozen=True)
class Enrolment:
    """A new second factor, shown once: the secret and the otpauth:// URI an app reads."""

    secret: str
    uri: str


class CounselorAccounts:
    """Counselor accounts in the shared database; each method is one transaction.

    `key_ring` (the storage keys) encrypts the TOTP secrets; without it an account can be
    checked by password only, and an account that has a second factor cannot log in.
    """

    def __init__(
        self,
        db_url: str,
        clock: Callable[[], float] = time.time,
        key_ring: KeyRing | None = None,
        min_password_chars: int = MIN_PASSWORD_CHARS,
    ) -> None:
        self.engine = engine_for(db_url)
        self.clock = clock
        self.key_ring = key_ring
        self.min_password_chars = min_password_chars
        self.table, self.totp_table = counselor_tables(sa.MetaData())

    @cached_property
    def _dummy_hash(self) -> str:
        # So a login for an unknown name costs as much as one for a real name.
        return ARGON2.hash(secrets.token_urlsafe(16))

    def create_schema(self) -> None:
        """Creates the tables if they do not exist yet."""
        create_tables(self.engine, self.table.metadata)

    def check_password_rules(self, password: str) -> None:
        """`AccountError` if the password is too short (or absurdly long) to be set."""
        if len(password) < self.min_password_chars:
            raise AccountError(f"A password needs at least {self.min_password_chars} characters.")
        if len(password) > MAX_PASSWORD_CHARS:
            raise AccountError(f"A password has at most {MAX_PASSWORD_CHARS} characters.")

    def add(self, name: str, password: str) -> None:
        """Creates an account; `AccountError` if the name is taken or either is unusable."""
        if not NAME_PATTERN.match(name):
            raise AccountError(
                "A name is 2 to 32 lowercase letters, digits, '.', '_' or '-', starting with a "
                "letter or digit."
            )
        self.check_password_rules(password)
        hashed = ARGON2.hash(password).encode("ascii")
        with Session(self.engine) as session, session.begin():
            if self._exists(session, name):
                raise AccountError(f"There is already a counselor called '{name}'.")
            session.execute(
                sa.insert(self.table).values(name=name, salt=b"", password_hash=hashed, last_seen=0)
            )

    def remove(self, name: str) -> bool:
        """Deletes an account and its second factor; False if there was none. Its console
        sessions end at their next request (`session_stamp` is then None)."""
        with Session(self.engine) as session, session.begin():
            session.execute(sa.delete(self.totp_table).where(self.totp_table.c.name == name))
            deleted = session.execute(sa.delete(self.table).where(self.table.c.name == name))
        return bool(deleted.rowcount)

    def names(self) -> list[str]:
        """Every counselor's name."""
        with Session(self.engine) as session:
            return list(session.execute(sa.select(self.table.c.name)).scalars())

    def verify(self, name: str, password: str) -> bool:
        """Whether the password is this counselor's (as costly for unknown names).

        A right password whose hash is an old scrypt one, or Argon2id with other parameters
        than `ARGON2`'s, is re-hashed now, so existing accounts move to Argon2id as they log in.
        """
        with Session(self.engine) as session:
            row = session.execute(
                sa.select(self.table.c.salt, self.table.c.password_hash).where(
                    self.table.c.name == name
                )
            ).first()
        if row is None:
            _argon2_matches(self._dummy_hash, password)
            return False
        stored = bytes(row.password_hash)
        if stored.startswith(b"$argon2"):
            if not _argon2_matches(stored.decode("ascii"), password):
                return False
            if not ARGON2.check_needs_rehash(stored.decode("ascii")):
                return True
        elif not hmac.compare_digest(legacy_scrypt(password, bytes(row.salt)), stored):
            return False
        self._replace_hash(name, stored, ARGON2.hash(password).encode("ascii"))
        return True

    def set_password(self, name: str, password: str) -> bool:
        """Gives the account a new password; False if there is no such account. Every session
        the counselor had ends (its stamp no longer matches)."""
        self.check_password_rules(password)
        hashed = ARGON2.hash(password).encode("ascii")
        with Session(self.engine) as session, session.begin():
            changed = session.execute(
                sa.update(self.table)
                .where(self.table.c.name == name)
                .values(salt=b"", password_hash=hashed)
            )
        return bool(changed.rowcount)

    def _replace_hash(self, name: str, old: bytes, new: bytes) -> None:
        # Only if nobody changed the password meanwhile.
        with Session(self.engine) as session, session.begin():
            session.execute(
                sa.update(self.table)
                .where(self.table.c.name == name, self.table.c.password_hash == old)
                .values(salt=b"", password_hash=new)
            )

    def session_stamp(self, name: str) -> str | None:
        """What a session of this counselor must carry to stay valid; None without an account.

        A keyed digest of the password hash and of the second factor's nonce, as Django's
        session auth hash: a new password, a second factor enabled or disabled, or the account
        removed changes it, and every session opened before ends at its next request.
        """
        accounts, totp = self.table, self.totp_table
        with Session(self.engine) as session:
            row = session.execute(
                sa.select(accounts.c.password_hash, totp.c.nonce)
                .select_from(accounts.outerjoin(totp, totp.c.name == accounts.c.name))
                .where(accounts.c.name == name)
            ).first()
        if row is None:
            return None
        material = bytes(row.password_hash) + b"\0" + bytes(row.nonce or b"")
        return hashlib.blake2b(material, digest_size=16, person=b"haven-session").hexdigest()

    # --- the second factor ----------------------------------------------------------------

    def enable_totp(self, name: str, issuer: str = "Haven") -> Enrolment:
        """A new TOTP secret for the account (replacing any earlier one), encrypted with the
        storage keys; returned once, to be shown to the counselor and never again."""
        key_ring = self._keys()
        secret = pyotp.random_base32()  # 32 base32 characters: 160 random bits, as RFC 4226 says
        sealed = key_ring.seal(secret.encode("ascii"), _TOTP_AAD + name)
        with Session(self.engine) as session, session.begin():
            if not self._exists(session, name):
                raise AccountError(f"There is no counselor called '{name}'.")
            session.execute(sa.delete(self.totp_table).where(self.totp_table.c.name == name))
            session.execute(
                sa.insert(self.totp_table).values(
                    name=name,
                    key_id=sealed.key_id,
                    nonce=sealed.nonce,
                    body=sealed.ciphertext,
                    last_step=0,
                )
            )
        uri = pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=issuer)
        return Enrolment(secret, uri)

    def disable_totp(self, name: str) -> bool:
        """Removes the account's second factor; False if it had none."""
        with Session(self.engine) as session, session.begin():
            deleted = session.execute(
                sa.delete(self.totp_table).where(self.totp_table.c.name == name)
            )
        return bool(deleted.rowcount)

    def has_totp(self, name: str) -> bool:
        """Whether logging in as this counselor needs a code after the password."""
        with Session(self.engine) as session:
            found = session.execute(
                sa.select(self.totp_table.c.name).where(self.totp_table.c.name == name)
            ).first()
        return found is not None

    def verify_totp(self, name: str, code: str) -> bool:
        """Whether `code` is the counselor's current code (or the step before or after), and
        not one already used: the step is recorded in the same update that accepts it, so a
        code replayed within its window, on this or any other process, is refused."""
        code = re.sub(r"\s", "", code)
        if not re.fullmatch(r"\d{6}", code):
            return False
        with Session(self.engine) as session:
            row = session.execute(
                sa.select(self.totp_table).where(self.totp_table.c.name == name)
            ).first()
        if row is None:
            return False
        sealed = Sealed(row.key_id, bytes(row.nonce), bytes(row.body))
        totp = pyotp.TOTP(self._keys().open(sealed, _TOTP_AAD + name).decode("ascii"))
        now = totp.timecode(self.clock())
        steps = range(now - TOTP_WINDOW_STEPS, now + TOTP_WINDOW_STEPS + 1)
        matching = [step for step in steps if hmac.compare_digest(totp.generate_otp(step), code)]
        if not matching or matching[-1] <= row.last_step:
            return False
        with Session(self.engine) as session, session.begin():
            used = session.execute(
                sa.update(self.totp_table)
                .where(self.totp_table.c.name == name, self.totp_table.c.last_step < matching[-1])
                .values(last_step=matching[-1])
            )
        return bool(used.rowcount)

    def _keys(self) -> KeyRing:
        if self.key_ring is None:
            raise AccountError("The second factor needs the storage keys (HAVEN_KEYS).")
        return self.key_ring

    # --- online ---------------------------------------------------------------------------

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


def _argon2_matches(stored: str, password: str) -> bool:
    try:
        return ARGON2.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass
class ConsoleSession:
    """One console: whose it is, its CSRF token, the account's stamp, when it expires, and
    whether it still waits for the second factor (`pending`: it opens nothing but the code
    form)."""

    counselor: str
    csrf: str
    started: float
    expires: float
    last_touch: float = 0.0
    stamp: str = ""
    pending: bool = False


class ConsoleSessions:
    """Server-side sessions keyed by the SHA-256 of the cookie's random token.

    Called from the console's threads, so the table is changed under a lock.
    """

    def __init__(self, idle_minutes: float, clock: Callable[[], float] = time.time) -> None:
        self.idle_seconds = idle_minutes * 60
        self.clock = clock
        self._sessions: dict[str, ConsoleSession] = {}
        self._lock = threading.Lock()

    def _lifetime(self, pending: bool) -> float:
        return min(self.idle_seconds, SECOND_FACTOR_SECONDS) if pending else self.idle_seconds

    def _new(self, counselor: str, stamp: str, pending: bool) -> tuple[str, ConsoleSession]:
        now = self.clock()
        expires = now + self._lifetime(pending)
        csrf = secrets.token_urlsafe(32)
        session = ConsoleSession(counselor, csrf, now, expires, stamp=stamp, pending=pending)
        return secrets.token_urlsafe(32), session

    def start(
        self, counselor: str, stamp: str = "", pending: bool = False
    ) -> tuple[str, ConsoleSession]:
        """A new session; returns the cookie's token (never stored) and the session."""
        token, session = self._new(counselor, stamp, pending)
        now = session.started
        with self._lock:
            for key in [k for k, s in self._sessions.items() if now >= s.expires]:
                del self._sessions[key]  # sessions nobody came back to
            self._sessions[_digest(token)] = session
        return token, session

    def get(self, token: str | None) -> ConsoleSession | None:
        """The live session for a cookie token (extending it), or None if unknown or expired."""
        if not token:
            return None
        key = _digest(token)
        now = self.clock()
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if now >= session.expires or now - session.started >= SESSION_MAX_SECONDS:
                del self._sessions[key]
                return None
            if not session.pending:
                session.expires = now + self.idle_seconds
        return session

    def end(self, token: str | None) -> None:
        """Logs out: the token no longer opens anything."""
        if token:
            with self._lock:
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
    counselor's name, the CSRF token, the account's stamp, when it started, when the counselor
    was last marked online and whether it waits for the second factor. Redis deletes it after
    `idle_minutes` without use (its TTL, renewed at each use; 5 minutes for a pending one, not
    renewed); a session older than 12 hours is refused and deleted. The token itself is never
    stored.
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
                "stamp": session.stamp,
                "pending": session.pending,
            }
        )
        if keep_ttl:
            self.redis.set(key, body, keepttl=True, xx=True)
        else:
            self.redis.set(key, body, px=max(1, int(self._lifetime(session.pending) * 1000)))

    def start(
        self, counselor: str, stamp: str = "", pending: bool = False
    ) -> tuple[str, ConsoleSession]:
        """A new session in Redis; returns the cookie's token (never stored) and the session."""
        token, session = self._new(counselor, stamp, pending)
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
        pending = bool(data.get("pending"))
        if not pending:
            self.redis.pexpire(key, max(1, int(self.idle_seconds * 1000)))
        return ConsoleSession(
            str(data["counselor"]),
            str(data["csrf"]),
            float(data["started"]),
            now + self._lifetime(pending),
            float(data.get("last_touch") or 0.0),
            str(data.get("stamp") or ""),
            pending,
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
    """Failure times by key, in this process: bounded in keys and in times per key.

    At most `max_keys` counts and as many trusted pairs, the least recently used going first
    (an `OrderedDict` as an LRU: the standard library has no bounded mapping, and a dependency
    for twenty lines is not worth it). Called from the console's threads, so under a lock.
    """

    def __init__(self, max_keys: int = MAX_TRACKED_LOGIN_KEYS) -> None:
        self.max_keys = max_keys
        self._times: OrderedDict[bytes, deque[float]] = OrderedDict()
        self._trusted: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def count(self, key: bytes, since: float) -> int:
        with self._lock:
            times = self._times.get(key)
            while times and times[0] < since:
                times.popleft()
            return len(times or ())

    def add(self, key: bytes, now: float, keep: int, window: float) -> None:
        with self._lock:
            times = self._times.get(key)
            if times is None:
                times = self._times[key] = deque(maxlen=keep)
                _bound(self._times, self.max_keys)
            self._times.move_to_end(key)
            times.append(now)

    def clear(self, key: bytes) -> None:
        with self._lock:
            self._times.pop(key, None)

    def trust(self, key: bytes, now: float, seconds: float) -> None:
        with self._lock:
            self._trusted[key] = now + seconds
            self._trusted.move_to_end(key)
            _bound(self._trusted, self.max_keys)

    def trusted(self, key: bytes, now: float) -> bool:
        with self._lock:
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

    A failure is a wrong password, a wrong second-factor code, or a wrong current password when
    changing it: one count for all three, so knowing the password buys no more code guesses.
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
        """A whole login (the password, and the code where there is a second factor) clears the
        name's count from this address and trusts the address for the name (not the address's
        own count)."""
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
