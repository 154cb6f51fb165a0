"""Honest waiting: a young person's place in the queue, an estimated wait, and never silence.

**The estimate.** Each claim records two numbers and nothing else (`RecentWaits`, table
`haven_handoff_waits`): when it happened, to the second, and how many seconds the request had
waited. No request id, no conversation hash, nothing about the young person, so the table is not
encrypted; it keeps the last `KEPT_CLAIMS` claims and none older than a day. From the claims of the
last `RECENT_MINUTES` (older ones are stale: another shift, another day), `minutes_per_place`
works out how long the queue takes to move up one place: for each claim, the time since the claim
before it, but never more than that request itself waited (so time when nobody was waiting does
not count), and the median of those. With `ENOUGH_CLAIMS` recent claims or more, the estimate for
place N is N times that, rounded up to whole minutes (at least one, at most `MAX_MINUTES`);
with fewer, it is `usual_wait_minutes` of handoff.yml, and the young person is told it is the
usual wait, not today's. Both are worded "about N minutes, it can be longer".

**Live updates.** `QueueWatcher` runs in each Rasa server process that serves the web chat. It
looks at the queue when told something changed (a claim anywhere: the relay hears of every claim
through Redis; a young person who left; a turn of this process's chat) and every
`WATCH_SECONDS` anyway (expiries, counselors going offline, requests filed by the action server).
Each time, every young person whose socket this process holds and who waits gets their place and
estimate (`waiting` event) if they changed; one whose request is gone without a counselor (it
expired after `keep_minutes`) is told at once, with their region's crisis lines and what they can
do meanwhile; and when no counselor can take a chat any more while they wait, they are told that
too. Whether a counselor can take a chat now is `HandoffDesk.counselor_available` of the
process's composition root (`Services.handoff_desk`, haven/services.py).

Every text is in `notices:` of content/languages/<language>/language.yml, rendered in the language
and region the request recorded; help lines come from the help directory through the renderer.
"""

from __future__ import annotations

import asyncio
import logging
import math
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

WAITS_TABLE = "haven_handoff_waits"
RECENT_MINUTES = 120
"""Claims older than this say nothing about today's queue."""
ENOUGH_CLAIMS = 3
"""Fewer recent claims than this, and the estimate is the usual wait of handoff.yml."""
KEPT_CLAIMS = 50
MAX_MINUTES = 120
WATCH_SECONDS = 5.0
"""How often the watcher looks at the queue when nothing told it to."""
SOONEST_SECONDS = 0.5
"""The watcher looks at most this often, however many changes it hears of."""
WAITING_EVENT = "waiting"
"""The Socket.IO event (server to browser) with the young person's place and estimate."""


def waits_table(metadata: sa.MetaData) -> sa.Table:
    """Two numbers per claim: when (Unix seconds) and how long the request waited (seconds)."""
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    return sa.Table(
        WAITS_TABLE,
        metadata,
        sa.Column("id", big, primary_key=True),
        sa.Column("claimed_at", sa.BigInteger(), nullable=False, index=True),
        sa.Column("waited_seconds", sa.Integer(), nullable=False),
    )


class RecentWaits:
    """The waiting times of recent claims, numbers only (see the module docstring)."""

    def __init__(
        self, engine: Engine, metadata: sa.MetaData, clock: Callable[[], float] = time.time
    ) -> None:
        self.engine = engine
        self.table = waits_table(metadata)
        self.clock = clock

    def add(self, waited_seconds: float) -> None:
        """Records one claim; keeps the last `KEPT_CLAIMS`, none older than a day."""
        now = int(self.clock())
        table = self.table
        with Session(self.engine) as session, session.begin():
            session.execute(
                sa.insert(table).values(
                    claimed_at=now, waited_seconds=max(0, int(round(waited_seconds)))
                )
            )
            keep_from = session.execute(
                sa.select(table.c.id).order_by(table.c.id.desc()).offset(KEPT_CLAIMS - 1).limit(1)
            ).scalar()
            if keep_from is not None:
                session.execute(sa.delete(table).where(table.c.id < keep_from))
            session.execute(sa.delete(table).where(table.c.claimed_at < now - 86400))

    def recent(self) -> list[tuple[float, float]]:
        """(claimed at, waited seconds) of the claims of the last `RECENT_MINUTES`, oldest first."""
        since = int(self.clock() - RECENT_MINUTES * 60)
        table = self.table
        with Session(self.engine) as session:
            rows = session.execute(
                sa.select(table.c.claimed_at, table.c.waited_seconds)
                .where(table.c.claimed_at >= since)
                .order_by(table.c.claimed_at, table.c.id)
            ).all()
        return [(float(at), float(waited)) for at, waited in rows]


def minutes_per_place(claims: Sequence[tuple[float, float]], now: float) -> float | None:
    """How many minutes the queue takes to move up one place, from recent claims; None when there
    are fewer than `ENOUGH_CLAIMS` of the last `RECENT_MINUTES`."""
    # By time only: claims in the same second keep the order they were made in.
    recent = sorted(
        (c for c in claims if 0 <= now - c[0] <= RECENT_MINUTES * 60), key=lambda c: c[0]
    )
    if len(recent) < ENOUGH_CLAIMS:
        return None
    steps, previous = [], None
    for claimed_at, waited in recent:
        step = waited if previous is None else min(claimed_at - previous, waited)
        steps.append(max(0.0, step))
        previous = claimed_at
    return statistics.median(steps) / 60


@dataclass(frozen=True)
class WaitEstimate:
    """The wait to tell someone at `place`: `from_recent` when recent claims gave it."""

    place: int
    minutes: int
    from_recent: bool


def estimate(
    place: int, claims: Sequence[tuple[float, float]], now: float, usual_minutes: int
) -> WaitEstimate:
    """The estimate for `place` (1 is next): from recent claims when there are enough, otherwise
    the usual wait of handoff.yml."""
    per_place = minutes_per_place(claims, now)
    if per_place is None:
        return WaitEstimate(place, max(1, int(usual_minutes)), from_recent=False)
    minutes = min(MAX_MINUTES, max(1, math.ceil(place * per_place)))
    return WaitEstimate(place, minutes, from_recent=True)


def place_of(waiting: Sequence[Any], conversation_id: str) -> int | None:
    """The 1-based place of the conversation's request in the queue (`HandoffQueue.waiting`)."""
    for index, request in enumerate(waiting, start=1):
        if request.conversation_id == conversation_id:
            return index
    return None


def estimate_for(queue: Any, conversation_id: str, usual_minutes: int) -> WaitEstimate:
    """The estimate for the conversation's request (place 1 if it is not waiting)."""
    place = place_of(queue.waiting(), conversation_id) or 1
    return estimate(place, queue.waits.recent(), queue.clock(), usual_minutes)


# --- what the young person is told --------------------------------------------------------


@dataclass(frozen=True)
class Locale:
    """A language and region to say a notice in (a `HandoffRequest` has both, and the age band)."""

    language: str | None
    region: str | None
    age_band: str | None = None


class WaitingNotices:
    """The texts of waiting, in the language and region a request recorded (`notices:`)."""

    def __init__(self, renderer: Any) -> None:
        self.renderer = renderer  # the process's `Services.renderer`

    def text(self, key: str, request: Any, **values: Any) -> str:
        """Notice `key` for this request's language and region."""
        adult = getattr(request, "age_band", None) == "adult"  # unknown age: under 18
        return str(
            self.renderer.notice(
                key, language=request.language, region=request.region, values=values, adult=adult
            )
        )

    def place(self, request: Any, wait: WaitEstimate, available: bool) -> dict[str, Any]:
        """The `waiting` event: the place, the estimate, and the sentence saying both."""
        first = (
            self.text("queue_next", request)
            if wait.place == 1
            else self.text("queue_place", request, place=wait.place)
        )
        if not available:
            second = self.text("wait_nobody_online", request)
        else:
            key = "wait_estimate" if wait.from_recent else "wait_usual"
            second = self.text(key, request, minutes=wait.minutes)
        return {
            "place": wait.place,
            "minutes": wait.minutes if available else None,
            "estimated": wait.from_recent,
            "text": f"{first} {second}",
        }

    def ended(self, request: Any, key: str) -> dict[str, Any]:
        """A chat message that the request ended (`request_expired`) or that the counselors went
        offline (`counselors_offline`), with the crisis lines and a "meanwhile" button."""
        return {
            "text": self.text(key, request),
            "buttons": [
                {"title": self.text("meanwhile_button", request), "payload": "/ask_what_to_do"}
            ],
        }

    def helpful(self, request: Any) -> dict[str, Any]:
        """The "did this help?" question and its three answers, for the widget."""
        return {
            "question": self.text("helpful_question", request),
            "answers": {
                answer: self.text(f"helpful_{answer}", request) for answer in HELPFUL_ANSWERS
            },
            "thanks": self.text("helpful_thanks", request),
        }


HELPFUL_ANSWERS = ("yes", "a_bit", "no")
ASK_HELPFUL = "haven_ask_helpful"
"""Custom data of a bot message after which the web chat asks "did this help?"."""
ASK_HELPFUL_AFTER = frozenset({"utter_plan_complete"})
"""The responses after which the web chat asks "did this help?" (the end of the plan)."""
ASK_HELPFUL_NOTICES = frozenset({"handoff_ended", "handoff_back_to_bot"})
"""The notices after which it asks too (a chat with a counselor ended)."""


# --- the watcher --------------------------------------------------------------------------

Send = Callable[[str, str, dict[str, Any]], Awaitable[None]]
"""Sends a Socket.IO event (`waiting`, `bot_uttered`) to a conversation's room."""


@dataclass(frozen=True)
class _Seen:
    request: Any
    shown: dict[str, Any]


class QueueWatcher:
    """Keeps the young people this process serves told about their wait (module docstring)."""

    def __init__(
        self,
        queue: Any,
        available: Callable[[], bool],
        usual_minutes: int,
        holds: Callable[[str], bool],
        send: Send,
        notices: WaitingNotices,
        every_seconds: float = WATCH_SECONDS,
    ) -> None:
        self.queue = queue
        self.available = available
        self.usual_minutes = usual_minutes
        self.holds = holds
        self.send = send
        self.notices = notices
        self.every_seconds = every_seconds
        self._seen: dict[str, _Seen] = {}
        self._was_available: bool | None = None
        self._claimed: set[str] = set()
        self._poked = asyncio.Event()

    def tell_again(self, conversation_id: str) -> None:
        """The young person is back (a reload): their place is sent at the next look."""
        seen = self._seen.get(conversation_id)
        if seen is not None:
            self._seen[conversation_id] = _Seen(seen.request, {})
        self.poke()

    def poke(self, claimed: str | None = None) -> None:
        """Something may have changed (`claimed`: that conversation's request was claimed, so
        its leaving the queue is no expiry): look at the queue soon."""
        if claimed:
            self._claimed.add(claimed)
        self._poked.set()

    async def run(self) -> None:
        """Looks at the queue when poked and every `every_seconds`, until cancelled."""
        while True:
            try:
                await asyncio.wait_for(self._poked.wait(), self.every_seconds)
            except asyncio.TimeoutError:
                if not self._seen and self._was_available is not None:
                    continue  # nobody here waits: no database work until something changes
            self._poked.clear()
            try:
                await self.check()
            except Exception as error:  # the database is away for a moment: try again
                logger.error(
                    "Telling young people about their wait failed: %s", type(error).__name__
                )
            await asyncio.sleep(SOONEST_SECONDS)

    def _snapshot(self) -> tuple[list[Any], list[tuple[float, float]], bool, float]:
        # Reads only, unless a request watched here is due to expire: then it is deleted now, so
        # the young person hears of it at once rather than at the next minute's purge.
        now = self.queue.clock()
        keep = self.queue.keep_seconds
        if any(seen.request.requested_at + keep <= now for seen in self._seen.values()):
            self.queue.purge_expired()
        return (
            self.queue.waiting(purge=False),
            self.queue.waits.recent(),
            bool(self.available()),
            self.queue.clock(),
        )

    async def check(self) -> None:
        """One look at the queue: places, estimates, ended requests, counselors gone."""
        loop = asyncio.get_running_loop()
        waiting, claims, available, now = await loop.run_in_executor(None, self._snapshot)
        went_offline = self._was_available is True and not available
        self._was_available = available
        here = [r for r in waiting if self.holds(r.conversation_id)]
        still = {r.conversation_id for r in here}
        for conversation_id, seen in list(self._seen.items()):
            if conversation_id not in still:
                del self._seen[conversation_id]
                await self._gone(conversation_id, seen.request)
        for request in here:
            place = place_of(waiting, request.conversation_id) or 1
            shown = self.notices.place(
                request, estimate(place, claims, now, self.usual_minutes), available
            )
            before = self._seen.get(request.conversation_id)
            if went_offline:
                await self.send(
                    request.conversation_id,
                    "bot_uttered",
                    self.notices.ended(request, "counselors_offline"),
                )
            if before is None or before.shown != shown:
                await self.send(request.conversation_id, WAITING_EVENT, shown)
            self._seen[request.conversation_id] = _Seen(request, shown)

    async def _gone(self, conversation_id: str, request: Any) -> None:
        """The request left the queue: claimed (the counselor's notice follows), left, or ended
        with nobody (expired), which the young person is told with the crisis lines."""
        claimed = conversation_id in self._claimed
        self._claimed.discard(conversation_id)
        if not self.holds(conversation_id):
            return  # they left: nobody to tell
        await self.send(conversation_id, WAITING_EVENT, {"place": None})
        loop = asyncio.get_running_loop()
        if claimed:
            return
        still_open = await loop.run_in_executor(None, self.queue.open_for, conversation_id)
        if still_open is None:
            await self.send(
                conversation_id, "bot_uttered", self.notices.ended(request, "request_expired")
            )
