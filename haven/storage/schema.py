"""Creating Haven's tables, and describing the ones that hold encrypted records.

`create_tables` is the one place where Haven creates tables (conversations, handoff requests and
audit trail, counselor accounts). Several processes may start at the same moment on a new
database: two replicas of a Kubernetes deployment, or a Rasa server and its action server. On
PostgreSQL, two `CREATE TABLE` at once make the second fail (`IntegrityError`, a duplicate
`..._id_seq` in `pg_type`), so the tables are created under a transaction-level advisory lock:
the second process waits for the first to commit, then finds the tables there and creates
nothing. On SQLite a concurrent creator can only make `CREATE TABLE` say "already exists"; that is
retried once the other has committed.

`SealedTable` says how the rows of an encrypted table were sealed (haven/storage/crypto.py), so that
key checks and rotation (haven/storage/encrypted_tables.py) work the same for every such table;
it is also the one place a record is written (`sealed_values`: compact UTF-8 JSON, sealed with the
current key, as the columns `key_id`, `nonce`, `body`) and read (`open_record`), for every
encrypted table: conversations (haven/storage/conversations.py), handoff requests and the audit
trail (haven/handoff/queue.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from haven.storage.crypto import KeyRing, Sealed

SCHEMA_LOCK = 0x48617665_6E000001
"""PostgreSQL advisory lock id held while Haven creates tables (any fixed 64-bit number)."""
SQLITE_ATTEMPTS = 3


def create_tables(engine: Engine, metadata: sa.MetaData) -> None:
    """Creates the tables of `metadata` that do not exist yet; safe when processes race to it."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            # Held until this transaction ends: the next process then sees the tables committed.
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK)))
            metadata.create_all(connection, checkfirst=True)
        return
    for attempt in range(1, SQLITE_ATTEMPTS + 1):
        try:
            metadata.create_all(engine, checkfirst=True)
            return
        except sa.exc.OperationalError as error:
            if "already exists" not in str(error.orig) or attempt == SQLITE_ATTEMPTS:
                raise


Rebind = Callable[[KeyRing, Any, bytes], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class SealedTable:
    """A table whose every row holds one record sealed by the key ring (`key_id`, `nonce`, `body`).

    `bound_to(row)` is the associated data the row's record was sealed with. For a row being
    re-encrypted, `rebind(key_ring, row, plaintext)` gives the associated data under the current
    key and the clear columns that change with it (a conversation hash is keyed, so it is
    re-hashed); without `rebind` both stay as they are.
    """

    table: sa.Table
    noun: str
    """What one row is, in the plural, for messages: "conversations", "audit lines"."""
    bound_to: Callable[[Any], str]
    rebind: Rebind | None = None

    def sealed_values(self, key_ring: KeyRing, record: Any, bound_to: str) -> dict[str, Any]:
        """The columns `key_id`, `nonce` and `body` of `record` (anything JSON can write), sealed
        with the current key and bound to `bound_to` (what `bound_to(row)` will give back)."""
        sealed = key_ring.seal(encode_record(record), bound_to)
        return {"key_id": sealed.key_id, "nonce": sealed.nonce, "body": sealed.ciphertext}

    def open_record(self, key_ring: KeyRing, row: Any) -> Any:
        """The row's record, as `sealed_values` was given it."""
        return json.loads(self.open(key_ring, row))

    def open(self, key_ring: KeyRing, row: Any) -> bytes:
        """The row's plaintext; `TamperedRecordError` or `StorageConfigError` if it cannot be."""
        sealed = Sealed(row.key_id, bytes(row.nonce), bytes(row.body))
        return key_ring.open(sealed, self.bound_to(row))

    def resealed(self, key_ring: KeyRing, row: Any) -> dict[str, Any]:
        """The column values that re-encrypt the row with the current key."""
        plaintext = self.open(key_ring, row)
        clear: dict[str, Any]
        if self.rebind is None:
            bound, clear = self.bound_to(row), {}
        else:
            bound, clear = self.rebind(key_ring, row, plaintext)
        sealed = key_ring.seal(plaintext, bound)
        return {**clear, "key_id": sealed.key_id, "nonce": sealed.nonce, "body": sealed.ciphertext}


def encode_record(record: Any) -> bytes:
    """A record as stored inside its seal: compact JSON in UTF-8 (the format every encrypted table
    has used since the first release, so stored rows open unchanged)."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
