#!/usr/bin/env python3
"""`make bench-store`: Haven's EncryptedTrackerStore against Rasa's SQLTrackerStore.

Both stores play the same conversations on the same database in the same run: for every turn,
retrieve the tracker, add the turn's events (the user's message with its parse data, the actions,
the bot's reply, a slot), save it. A turn's time is that retrieve plus that save, which is what the
Rasa server pays per message. Runs on SQLite (a file under var/bench) and, when it is reachable,
on PostgreSQL (HAVEN_BENCH_POSTGRES_URL, default the local `test` database, in a schema of its own
that is dropped afterwards). `make bench` runs it too and puts the result in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

POSTGRES_URL = os.environ.get(
    "HAVEN_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
TURNS = [
    ("hi", "greet", "utter_greet"),
    ("someone has my nudes and says he will post them unless i pay", "disclose_sextortion", None),
    ("/step_done", "step_done", None),
    ("why", "ask_why", None),
    ("/step_done", "step_done", None),
    ("what's left", "whats_left", None),
    ("i already paid him 50 dollars", "already_paid", "utter_already_paid"),
    ("/step_done", "step_done", None),
    ("can i talk to a real person", "request_human", "utter_request_human"),
    ("thanks", "thanks", "utter_thanks"),
]
MARK_START = "<!-- bench-store: start -->"
MARK_END = "<!-- bench-store: end -->"


@dataclass
class StoreResult:
    """Per-turn times (retrieve + save) of one store on one database."""

    database: str
    store: str
    turn_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.turn_ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.turn_ms, n=20)[-1]


def turn_events(turn: int, text: str, intent: str, response: str | None) -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    parse_data = {
        "intent": {"name": intent, "confidence": 0.93},
        "entities": [],
        "intent_ranking": [{"name": intent, "confidence": 0.93}],
        "text": text,
    }
    action = response or "action_plan_move"
    return [
        UserUttered(text, parse_data["intent"], [], parse_data),
        ActionExecuted(action),
        BotUttered(f"reply {turn} " + "words " * 60, {"buttons": []}),
        SlotSet("plan_step", "dont_pay"),
        ActionExecuted("action_listen"),
    ]


async def play(store, conversations: int) -> list[float]:
    """Plays `conversations` conversations of len(TURNS) turns through `store`."""
    from rasa.shared.core.trackers import DialogueStateTracker

    times = []
    for _ in range(conversations):
        sender = uuid.uuid4().hex
        for turn, (text, intent, response) in enumerate(TURNS):
            started = time.perf_counter()
            tracker = await store.retrieve(sender)
            if tracker is None:
                tracker = DialogueStateTracker(sender, store.domain.slots)
            for event in turn_events(turn, text, intent, response):
                tracker.update(event)
            await store.save(tracker)
            times.append((time.perf_counter() - started) * 1000)
    return times


def postgres_schema_url() -> tuple[str, str] | None:
    """A fresh schema in the benchmark PostgreSQL, or None when it is not reachable."""
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL, future=True)
    try:
        schema = f"haven_bench_{uuid.uuid4().hex[:10]}"
        with engine.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        return schema, f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()


def drop_schema(schema: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL, future=True)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def stock_store(domain, url: str):
    """Rasa's own SQLTrackerStore on the database `url` names."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    parts = sa.engine.make_url(url)
    return SQLTrackerStore(
        domain,
        dialect=parts.drivername,
        host=parts.host,
        port=parts.port,
        db=parts.database,
        username=parts.username,
        password=parts.password,
        query=dict(parts.query),
    )


async def measure(conversations: int) -> list[StoreResult]:
    """Both stores, on SQLite and (when reachable) PostgreSQL, alternating so drift hits both."""
    from rasa.shared.core.domain import Domain

    from haven.rasa_edge.tracker_store import EncryptedTrackerStore
    from haven.storage.crypto import generate_key_line

    domain = Domain.load(str(PROJECT / "domain.yml"))
    work = PROJECT / "var" / "bench" / "store"
    work.mkdir(parents=True, exist_ok=True)
    databases = [("SQLite", f"sqlite:///{work / f'{uuid.uuid4().hex}.db'}", None)]
    postgres = postgres_schema_url()
    if postgres:
        databases.append(("PostgreSQL", postgres[1], postgres[0]))
    else:
        print(f"PostgreSQL is not reachable at {POSTGRES_URL}: measuring SQLite only.")
    keys = generate_key_line("bench")
    results = []
    try:
        for database, url, _ in databases:
            haven = EncryptedTrackerStore(domain, environ={"HAVEN_DB_URL": url, "HAVEN_KEYS": keys})
            stock = stock_store(domain, url)
            await play(haven, 2)  # warm up both: connections, table creation, imports
            await play(stock, 2)
            haven_times: list[float] = []
            stock_times: list[float] = []
            for _ in range(conversations):
                haven_times += await play(haven, 1)
                stock_times += await play(stock, 1)
            results.append(StoreResult(database, "EncryptedTrackerStore", haven_times))
            results.append(StoreResult(database, "SQLTrackerStore", stock_times))
            haven.conversations.engine.dispose()
            stock.engine.dispose()
    finally:
        for _, _, schema in databases:
            if schema:
                drop_schema(schema)
    return results


def section(results: list[StoreResult], haven_message_ms: float | None, command: str) -> str:
    """The docs/benchmarks.md section; `haven_message_ms` is Haven's p50 reply at one user."""
    rows = []
    verdicts = []
    for database in dict.fromkeys(r.database for r in results):
        haven, stock = (r for r in results if r.database == database)
        ratio = haven.p50 / stock.p50
        extra = haven.p50 - stock.p50
        rows.append(
            f"| {database} | {haven.p50:.1f} | {haven.p95:.1f} | {stock.p50:.1f} | "
            f"{stock.p95:.1f} | {ratio:.2f}x | {extra:+.1f} ms |"
        )
        if haven_message_ms:
            share = extra / haven_message_ms
            ok = "met" if share <= 0.10 else "**not met**"
            verdicts.append(
                f"- {database}: the encrypted store adds {extra:+.1f} ms to a message whose whole "
                f"reply takes {haven_message_ms:.0f} ms (p50, one user): {share:+.1%}, {ok}."
            )
    end_to_end = (
        "\n".join(verdicts)
        if verdicts
        else "- Run `make bench` to relate these figures to a whole reply."
    )
    turns = len(results[0].turn_ms)
    return f"""{MARK_START}
## Conversation store

Measured by `{command}`: {turns} turns per store and database, conversations of {len(TURNS)}
turns, the two stores alternating conversation by conversation on the same database. A turn is a
retrieve plus a save, what the Rasa server pays per message. Haven: EncryptedTrackerStore
(minimized, AES-256-GCM). Ratio: Haven p50 over SQLTrackerStore p50.

| database | Haven p50 ms | Haven p95 ms | SQLTrackerStore p50 ms | p95 ms | ratio | difference |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Target: no more than 10% slower per message end to end.

{end_to_end}
{MARK_END}
"""


def write_section(text: str, path: Path) -> None:
    """Replaces the store section of `path` (or appends it), leaving the rest as it is."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if MARK_START in current and MARK_END in current:
        before = current.split(MARK_START)[0]
        after = current.split(MARK_END, 1)[1].lstrip("\n")
        current = before + text + after
    else:
        current = current.rstrip("\n") + "\n\n" + text
    path.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=30, help="per store and database")
    arguments = parser.parse_args()
    results = asyncio.run(measure(arguments.conversations))
    text = section(results, None, "make bench-store")
    write_section(text, PROJECT / "docs" / "benchmarks.md")
    print(text)


if __name__ == "__main__":
    main()
