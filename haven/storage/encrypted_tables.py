"""`EncryptedTables`: every table whose rows Haven encrypts, for key checks, rotation and retiring.

Haven seals rows with its key ring in four tables: conversations (haven/storage/conversations.py),
handoff requests and the audit trail of what counselors did (haven/handoff/queue.py), and the
counselors' second-factor secrets (haven/handoff/counselors.py). A rotation
or key check that misses one leaves rows under a key about to be retired: after retiring it, the
console could not read its queue and nobody could read the audit trail. So `encrypted_tables` is the
one list of them, and `python -m haven.storage.cli check`, `rotate` and `retire-keys` and the
server's start-up check all go through it. A new encrypted table is added there, as a `SealedTable`
(haven/storage/schema.py); tests/unit/storage/test_encrypted_tables.py fails for a table with a
`nonce` column that is not in the list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from haven.handoff.counselors import sealed_counselor_tables
from haven.handoff.queue import sealed_handoff_tables
from haven.settings import StorageConfigError, StorageSettings
from haven.storage.conversations import engine_for, sealed_conversations
from haven.storage.crypto import KeyRing, TamperedRecordError
from haven.storage.schema import SealedTable, create_tables

ROTATE_BATCH_SIZE = 200
CHECK_BATCH_SIZE = 500


def encrypted_tables(settings: StorageSettings, key_ring: KeyRing) -> EncryptedTables:
    """Every encrypted table in Haven's database, under `key_ring`. A new one is added here."""
    tables = [
        sealed_conversations(settings.table),
        *sealed_handoff_tables(),
        *sealed_counselor_tables(),
    ]
    return EncryptedTables(engine_for(settings.db_url), key_ring, tables)


class EncryptedTables:
    """Key checks, rotation and key usage over a list of encrypted tables."""

    def __init__(self, engine: Engine, key_ring: KeyRing, tables: list[SealedTable]) -> None:
        self.engine = engine
        self.key_ring = key_ring
        self.tables = tables

    def create_schema(self) -> None:
        """Creates every table that does not exist yet."""
        for metadata in {id(t.table.metadata): t.table.metadata for t in self.tables}.values():
            create_tables(self.engine, metadata)

    def check_keys(self, every_row: bool = False) -> None:
        """Fails with one sentence if a stored row's key is missing or cannot open it.

        By default opens one row per key id and table (quick enough for every start);
        `every_row` opens every row, in batches, so not a single unreadable row goes unnoticed.
        """
        for sealed in self.tables:
            rows = self._every_row(sealed) if every_row else self._one_row_per_key(sealed)
            for row in rows:
                self._check_row(sealed, row)

    def rotate(self, batch_size: int = ROTATE_BATCH_SIZE) -> dict[str, int]:
        """Re-encrypts every row not under the current key; returns the count per table's noun.

        Works in batches, each in its own transaction, so a large table never holds one long
        lock and an interrupted rotation simply continues where it stopped when run again.
        """
        return {sealed.noun: self._rotate_table(sealed, batch_size) for sealed in self.tables}

    def key_usage(self) -> dict[str, dict[str, int]]:
        """How many rows each key id encrypts, per table's noun (for the command line's report)."""
        usage = {}
        with Session(self.engine) as session:
            for sealed in self.tables:
                key_id = sealed.table.c.key_id
                rows = session.execute(sa.select(key_id, sa.func.count()).group_by(key_id)).all()
                usage[sealed.noun] = {key: count for key, count in rows}
        return usage

    def keys_in_use(self) -> set[str]:
        """Every key id some stored row is encrypted with."""
        return {key for counts in self.key_usage().values() for key in counts}

    def _one_row_per_key(self, sealed: SealedTable) -> Iterator[Any]:
        table = sealed.table
        with Session(self.engine) as session:
            key_ids = session.execute(sa.select(table.c.key_id).distinct()).scalars().all()
            for key_id in key_ids:
                yield session.execute(
                    sa.select(table).where(table.c.key_id == key_id).limit(1)
                ).one()

    def _every_row(self, sealed: SealedTable) -> Iterator[Any]:
        table = sealed.table
        last = None
        while True:
            query = sa.select(table).order_by(table.c.id).limit(CHECK_BATCH_SIZE)
            if last is not None:
                query = query.where(table.c.id > last)
            with Session(self.engine) as session:
                rows = session.execute(query).all()
            yield from rows
            if len(rows) < CHECK_BATCH_SIZE:
                return
            last = rows[-1].id

    def _check_row(self, sealed: SealedTable, row: Any) -> None:
        where = f"{sealed.noun} (table {sealed.table.name})"
        if not self.key_ring.has_key(row.key_id):
            raise StorageConfigError(
                f"Stored {where} are encrypted with key '{row.key_id}', which is not among the "
                "configured keys; add it back (after the new key) to read them, then rotate."
            )
        try:
            sealed.open(self.key_ring, row)
        except TamperedRecordError:
            raise StorageConfigError(
                f"The configured key '{row.key_id}' does not decrypt row {row.id} of the {where} "
                "stored with that id: it is not the key they were written with, or the row was "
                "changed outside Haven."
            ) from None

    def _rotate_table(self, sealed: SealedTable, batch_size: int) -> int:
        table = sealed.table
        current = self.key_ring.current_key_id
        rotated = 0
        while True:
            with Session(self.engine) as session, session.begin():
                rows = session.execute(
                    sa.select(table)
                    .where(table.c.key_id != current)
                    .order_by(table.c.id)
                    .limit(batch_size)
                    .with_for_update()
                ).all()
                for row in rows:
                    session.execute(
                        sa.update(table)
                        .where(table.c.id == row.id)
                        .values(**sealed.resealed(self.key_ring, row))
                    )
            rotated += len(rows)
            if len(rows) < batch_size:
                return rotated
