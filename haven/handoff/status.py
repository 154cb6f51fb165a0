"""`CounselorDesk`: each counselor's status (available / busy / away), role and how many chats
they take at once, and the one answer the young person's side needs: can anyone take a chat now?

A counselor sets their own status in the console. "Available" counts only while their console is
connected: the live console (haven/handoff/live.py) marks them seen every few seconds while a
socket of theirs is open, and not seen once the last one closes, so a closed laptop stops
counting within `ONLINE_SECONDS`. The number of chats a counselor takes at once is theirs if an
admin set one (`python -m haven.handoff.cli set NAME --chats N`), else `chats_per_counselor` of
handoff.yml. A supervisor (`--supervisor`) sees every live chat read-only, may join one, and is
alerted when a counselor asks for support (haven/handoff/desk_routes.py).

The table `haven_counselor_desk` holds a name, a role, a status, a number and a time: nothing
about any young person.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.storage.conversations import engine_for
from haven.storage.schema import create_tables

DESK_TABLE = "haven_counselor_desk"
AVAILABLE, BUSY, AWAY = "available", "busy", "away"
STATUSES = (AVAILABLE, BUSY, AWAY)
COUNSELOR, SUPERVISOR = "counselor", "supervisor"
ONLINE_SECONDS = 90
"""A counselor counts as connected this long after their console was last seen."""
MAX_CHATS = 20


@dataclass(frozen=True)
class DeskEntry:
    """One counselor at the desk: what they chose, their role, and their chats at once."""

    name: str
    status: str
    role: str
    max_chats: int
    seen_at: float

    @property
    def supervisor(self) -> bool:
        """Whether this counselor has the supervisor role."""
        return self.role == SUPERVISOR

    def connected(self, now: float) -> bool:
        """Whether their console was seen within `ONLINE_SECONDS`."""
        return now - self.seen_at <= ONLINE_SECONDS

    def can_take(self, open_chats: int, now: float) -> bool:
        """Available, connected, and with fewer chats than they take at once."""
        return self.status == AVAILABLE and self.connected(now) and open_chats < self.max_chats


class CounselorDesk:
    """Status, role and capacity per counselor, in the shared database (one transaction each)."""

    def __init__(
        self, db_url: str, chats_per_counselor: int = 2, clock: Callable[[], float] = time.time
    ) -> None:
        self.engine = engine_for(db_url)
        self.chats_per_counselor = chats_per_counselor
        self.clock = clock
        self.table = sa.Table(
            DESK_TABLE,
            sa.MetaData(),
            sa.Column("name", sa.String(32), primary_key=True),
            sa.Column("role", sa.String(16), nullable=False, default=COUNSELOR),
            sa.Column("status", sa.String(12), nullable=False, default=AVAILABLE),
            sa.Column("max_chats", sa.Integer(), nullable=True),
            sa.Column("seen_at", sa.BigInteger(), nullable=False, default=0),
        )

    def create_schema(self) -> None:
        """Creates the table if it does not exist yet."""
        create_tables(self.engine, self.table.metadata)

    def entry(self, name: str) -> DeskEntry:
        """The counselor's entry (a counselor never set up is available, with the default)."""
        with Session(self.engine) as session:
            row = session.execute(sa.select(self.table).where(self.table.c.name == name)).first()
        return (
            self._entry(row) if row else DeskEntry(name, AVAILABLE, COUNSELOR, self._max(None), 0)
        )

    def entries(self) -> list[DeskEntry]:
        """Every counselor with an entry, by name."""
        with Session(self.engine) as session:
            rows = session.execute(sa.select(self.table).order_by(self.table.c.name)).all()
        return [self._entry(row) for row in rows]

    def set_status(self, name: str, status: str) -> DeskEntry:
        """Sets a counselor's status; `ValueError` for one not in `STATUSES`."""
        if status not in STATUSES:
            raise ValueError(f"A status is one of {', '.join(STATUSES)}.")
        self._upsert(name, status=status)
        return self.entry(name)

    def set_role(self, name: str, supervisor: bool) -> None:
        """Gives or takes the supervisor role."""
        self._upsert(name, role=SUPERVISOR if supervisor else COUNSELOR)

    def set_max_chats(self, name: str, chats: int | None) -> None:
        """How many chats this counselor takes at once (None: handoff.yml's default)."""
        if chats is not None and not 1 <= chats <= MAX_CHATS:
            raise ValueError(f"A number of chats is from 1 to {MAX_CHATS}.")
        self._upsert(name, max_chats=chats)

    def seen(self, name: str, connected: bool = True) -> None:
        """Their console is connected now (or its last socket closed)."""
        self._upsert(name, seen_at=int(self.clock()) if connected else 0)

    def remove(self, name: str) -> None:
        """Forgets a counselor's entry (their account was removed)."""
        with Session(self.engine) as session, session.begin():
            session.execute(sa.delete(self.table).where(self.table.c.name == name))

    def anyone_can_take(self, open_chats: Mapping[str, int]) -> bool:
        """Whether any counselor is available, connected and under their number of chats."""
        now = self.clock()
        return any(e.can_take(open_chats.get(e.name, 0), now) for e in self.entries())

    def _max(self, value: int | None) -> int:
        return int(value) if value else self.chats_per_counselor

    def _entry(self, row: Any) -> DeskEntry:
        return DeskEntry(
            row.name, row.status, row.role, self._max(row.max_chats), float(row.seen_at)
        )

    def _upsert(self, name: str, **values: Any) -> None:
        table = self.table
        with Session(self.engine) as session, session.begin():
            # Update first, insert if nobody was there; a racing insert is retried as an update.
            updated = session.execute(
                sa.update(table).where(table.c.name == name).values(**values)
            ).rowcount
            if not updated:
                row = {"role": COUNSELOR, "status": AVAILABLE, "seen_at": 0, **values}
                try:
                    with session.begin_nested():
                        session.execute(sa.insert(table).values(name=name, **row))
                except sa.exc.IntegrityError:
                    session.execute(sa.update(table).where(table.c.name == name).values(**values))


def open_chats_by_counselor(claimed: Iterable[Any]) -> dict[str, int]:
    """How many chats each counselor has, of the claimed requests given."""
    counts: dict[str, int] = {}
    for request in claimed:
        if request.claimed_by:
            counts[request.claimed_by] = counts.get(request.claimed_by, 0) + 1
    return counts


def counselor_can_take_chat_now(desk: CounselorDesk, queue: Any) -> bool:
    """Whether any counselor can take a chat now: available, their console connected, and
    fewer chats than they take at once. What the young person is told ("a counselor is online")
    and their wait estimate rest on this, through `HandoffDesk.counselor_available`."""
    return desk.anyone_can_take(open_chats_by_counselor(queue.claimed()))
