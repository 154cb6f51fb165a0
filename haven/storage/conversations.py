"""`ConversationStore`: encrypted, minimized conversations in one SQL table (SQLAlchemy 1.4).

Each conversation is one row: the keyed hash of its id, the key id, a nonce, the AES-256-GCM
ciphertext of its minimized events (`haven.storage.minimize`) and the time of its last save. Works
on SQLite (the embedded default) and PostgreSQL alike; no Rasa import, so the command line
(`haven.storage.cli`) starts quickly. Key checks and rotation cover this table together with
Haven's other encrypted tables (haven/storage/encrypted_tables.py).

Migrations: the table is created on first start (`haven.storage.schema.create_tables`, which never
alters an existing table). The encrypted body carries a format version (`"v": 1`), so a change to
what is stored inside needs no schema change: readers accept old versions and rows are rewritten on
the next save or by `storage_cli rotate`. A change to the columns gets a new table name and a
`storage_cli migrate` step that copies and re-encrypts rows in batches, as `rotate` does, before
the old table is dropped.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from haven.settings import StorageConfigError, StorageSettings
from haven.storage.crypto import KeyRing, TamperedRecordError, load_key_ring
from haven.storage.minimize import EventMinimizer, latest_session
from haven.storage.schema import SealedTable, create_tables

BODY_FORMAT = 1
CONNECT_TIMEOUT_SECONDS = 3
"""How long opening a PostgreSQL connection may take. A database that does not answer (a cut
network) must not hold the Rasa server's event loop, and so every conversation, for minutes."""

_ENGINES: dict[str, Engine] = {}


def engine_for(url: str) -> Engine:
    """The process's one engine for `url` (SQLAlchemy pools connections per engine).

    Statement parameters are hidden from error messages: they are ciphertext, but an error text
    should carry nothing from a conversation.
    """
    engine = _ENGINES.get(url)
    if engine is None:
        if url.startswith("sqlite:///"):
            _prepare_sqlite_file(Path(url.removeprefix("sqlite:///")))
        engine = sa.create_engine(
            url,
            future=True,
            hide_parameters=True,
            # A connection PostgreSQL dropped (a restart, an outage) is found before it is used.
            pool_pre_ping=True,
            **_engine_options(url),
        )
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_on_connect)
        _ENGINES[url] = engine
    return engine


def _engine_options(url: str) -> dict[str, Any]:
    parts = sa.engine.make_url(url)
    if parts.get_backend_name() == "postgresql":
        return {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_SECONDS}}
    database = parts.database or ":memory:"
    in_memory = database == ":memory:" or database.startswith("file::memory")
    if parts.get_backend_name() == "sqlite" and not in_memory:
        # SQLAlchemy 1.4 opens a new connection for every use of a SQLite file (NullPool);
        # keeping them open saves about a millisecond per read and write (as SQLAlchemy 2.0
        # does by default). Pooled connections are used by one thread at a time, but not always
        # the one that opened them (conversations are read and written on a database thread).
        return {"poolclass": sa.pool.QueuePool, "connect_args": {"check_same_thread": False}}
    return {}


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached, so a message was not handled; safe to log."""


UNAVAILABLE_ERRORS = (
    sa.exc.OperationalError,  # refused, timed out, dropped, the server shutting down
    sa.exc.InterfaceError,
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,  # no pooled connection free in time
)
"""SQLAlchemy errors that mean the database is out of reach, not that Haven asked it wrongly."""


def describe_database(url: str) -> str:
    """Where the database is, for a log line: backend, host, port and name, never a password."""
    parts = sa.engine.make_url(url)
    if parts.get_backend_name() == "sqlite":
        return "sqlite"
    return f"{parts.get_backend_name()} at {parts.host}:{parts.port or 5432}/{parts.database}"


def _prepare_sqlite_file(path: Path) -> None:
    # Create the folder and the file readable by their owner only, before SQLite creates them
    # with the default umask; SQLite's journal files copy the database file's mode.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_on_connect(connection: Any, _record: Any) -> None:
    # Overwrite deleted rows with zeros, so a forgotten conversation leaves no bytes behind.
    cursor = connection.cursor()
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


def conversations_table(name: str) -> sa.Table:
    """The table of conversations: one encrypted row per conversation."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        # HMAC-SHA256 (hex) of the channel's conversation id under the key in `key_id`.
        sa.Column("conversation", sa.String(64), nullable=False, unique=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("nonce", sa.LargeBinary(12), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        # Unix time of the last save: what retention is measured from.
        sa.Column("updated_at", sa.BigInteger(), nullable=False, index=True),
    )


def sealed_conversations(table: sa.Table | str) -> SealedTable:
    """The conversations table as an encrypted table: each record is bound to its row's hash."""
    if isinstance(table, str):
        table = conversations_table(table)
    return SealedTable(table, "conversations", lambda row: row.conversation, _rehash_conversation)


def _rehash_conversation(key_ring: KeyRing, _row: Any, plaintext: bytes) -> tuple[str, dict]:
    conversation = key_ring.conversation_hash(json.loads(plaintext)["sender"])
    return conversation, {"conversation": conversation}


class ConversationStore:
    """Encrypted, minimized conversations in one SQL table; each method is one transaction."""

    def __init__(
        self,
        settings: StorageSettings,
        key_ring: KeyRing | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.key_ring = key_ring or load_key_ring(settings.keys_spec, settings.key_file)
        self.engine = engine_for(settings.db_url)
        self.table = conversations_table(settings.table)
        self.sealed = sealed_conversations(self.table)
        self.minimizer = EventMinimizer(settings.keep_slots, settings.keep_metadata)
        self.clock = clock

    def create_schema(self) -> None:
        """Creates the table if it does not exist yet (it is never altered; see the module doc)."""
        create_tables(self.engine, self.table.metadata)

    def load(self, sender_id: str) -> list[dict[str, Any]] | None:
        """The stored events of a conversation, or None if none are stored or they expired."""
        hashes = self.key_ring.all_conversation_hashes(sender_id)
        table = self.table
        with Session(self.engine) as session:
            row = session.execute(
                sa.select(table)
                .where(table.c.conversation.in_(hashes))
                .order_by(table.c.id.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        if row.updated_at < self.clock() - self.settings.retention_seconds:
            self.forget(sender_id)  # expired; the periodic purge just has not run yet
            return None
        body = self._open(row)
        if body.get("sender") != sender_id:
            raise TamperedRecordError("A stored conversation belongs to another conversation id.")
        return list(body["events"])

    def store(self, sender_id: str, events: Iterable[dict[str, Any]]) -> None:
        """Replaces the stored conversation with the minimized latest session of `events`."""
        minimized = self.minimizer.minimize(latest_session(list(events)))
        body = {"v": BODY_FORMAT, "sender": sender_id, "events": minimized}
        conversation = self.key_ring.conversation_hash(sender_id)
        sealed = self.sealed.sealed_values(self.key_ring, body, conversation)
        table = self.table
        with Session(self.engine) as session, session.begin():
            session.execute(
                sa.delete(table).where(
                    table.c.conversation.in_(self.key_ring.all_conversation_hashes(sender_id))
                )
            )
            session.execute(
                sa.insert(table).values(
                    conversation=conversation, updated_at=int(self.clock()), **sealed
                )
            )

    def forget(self, sender_id: str) -> int:
        """Deletes everything stored about a conversation; returns the number of rows deleted."""
        table = self.table
        with Session(self.engine) as session, session.begin():
            result = session.execute(
                sa.delete(table).where(
                    table.c.conversation.in_(self.key_ring.all_conversation_hashes(sender_id))
                )
            )
        return result.rowcount

    def purge_expired(self) -> int:
        """Deletes conversations whose last save is older than the retention period."""
        cutoff = int(self.clock() - self.settings.retention_seconds)
        table = self.table
        with Session(self.engine) as session, session.begin():
            result = session.execute(sa.delete(table).where(table.c.updated_at < cutoff))
        return result.rowcount

    def sender_ids(self) -> list[str]:
        """The conversation ids of every stored conversation (needs the keys to read them)."""
        with Session(self.engine) as session:
            rows = session.execute(sa.select(self.table)).all()
        return [self._open(row)["sender"] for row in rows]

    def _open(self, row: Any) -> dict[str, Any]:
        body = self.sealed.open_record(self.key_ring, row)
        if body.get("v") != BODY_FORMAT:
            raise StorageConfigError(
                f"A stored conversation has format {body.get('v')!r}, which this Haven cannot read."
            )
        return body


def close_engines() -> None:
    """Closes every pooled connection (for tests and commands that are about to exit)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()
