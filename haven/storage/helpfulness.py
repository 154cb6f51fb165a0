"""The answers to "did this help?", kept only as three counts.

After a chat with a counselor ends, and at the end of the plan, the web chat offers one optional
tap: yes, a bit, or no (haven/handoff/waiting.py, widget/haven.js). Nothing else is kept: no
conversation, no time, no language; the table `haven_helpfulness` has one row per answer and its
count, so the NGO sees how often Haven helped and nothing about who answered. Adding one is a
single `UPDATE ... SET count = count + 1`, so two servers counting at once never lose a count.

`Services.count_helpfulness(answer)` (haven/services.py) is the one call the rest of Haven makes:
it adds here and to `/metrics` (haven/metrics/counts.py).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.storage.conversations import engine_for
from haven.storage.schema import create_tables

logger = logging.getLogger(__name__)

ANSWERS = ("yes", "a_bit", "no")
TABLE = "haven_helpfulness"


class HelpfulnessCounts:
    """Three counters in the database: how many answered yes, a bit, and no."""

    def __init__(self, db_url: str) -> None:
        self.engine = engine_for(db_url)
        self.metadata = sa.MetaData()
        self.table = sa.Table(
            TABLE,
            self.metadata,
            sa.Column("answer", sa.String(8), primary_key=True),
            sa.Column("count", sa.BigInteger(), nullable=False),
        )

    def create_schema(self) -> None:
        """Creates the table and its three rows, at zero, if they are not there yet."""
        create_tables(self.engine, self.metadata)
        for answer in ANSWERS:
            try:
                with Session(self.engine) as session, session.begin():
                    exists = session.execute(
                        sa.select(self.table.c.answer).where(self.table.c.answer == answer)
                    ).first()
                    if exists is None:
                        session.execute(sa.insert(self.table).values(answer=answer, count=0))
            except sa.exc.IntegrityError:
                pass  # another process made the row at the same moment

    def add(self, answer: str) -> None:
        """Counts one answer; `ValueError` for anything but yes, a_bit or no."""
        if answer not in ANSWERS:
            raise ValueError(f"An answer to 'did this help?' is one of {', '.join(ANSWERS)}.")
        with Session(self.engine) as session, session.begin():
            session.execute(
                sa.update(self.table)
                .where(self.table.c.answer == answer)
                .values(count=self.table.c.count + 1)
            )

    def counts(self) -> dict[str, int]:
        """Each answer and how many gave it."""
        with Session(self.engine) as session:
            rows = session.execute(sa.select(self.table.c.answer, self.table.c.count)).all()
        found = {answer: int(count) for answer, count in rows}
        return {answer: found.get(answer, 0) for answer in ANSWERS}
