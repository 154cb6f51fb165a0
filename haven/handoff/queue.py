"""`HandoffQueue`: requests to talk to a counselor, and the audit trail of what counselors did.

A request holds only what a counselor needs to pick the right chat and start without asking the
young person to repeat themselves: language, region, age band, the plan steps done, whether crisis
was seen (the risk flag), when it was asked for, its status and who claimed it. Nothing the young
person typed is ever part of it.

Stored like conversations (haven/storage/conversations.py): one AES-256-GCM row per request in the
table `haven_handoffs`, in the same database and under the same key ring. In the clear are only a
random request id, the keyed hash of the conversation id, the status and the time of the last change
(so expired rows can be deleted without the keys). Waiting requests are deleted `keep_minutes` after
they were made; ended ones at once (the audit trail keeps who did what, and when). Expired rows
are deleted by `purge_periodically` (every minute in each server process) and on every read,
request and claim, so an expired request can never be claimed.

When the young person leaves while still waiting (quick exit, "Clear chat", or a closed tab that
does not come back), `leave` takes the request out of the queue at once. What stays, until
`keep_minutes` after, is a row with the request id and the status "left" only (no conversation
hash, nothing about the young person), so a counselor who tries to claim it is told they left.

Each claim also records how long the request waited, as two numbers with nothing that could tell
whose it was (`RecentWaits`, haven/handoff/waiting.py), for the young people's estimated wait.

The audit trail (`haven_handoff_audit`) is encrypted too: counselor, action, request id, time.
Key checks and rotation cover both tables (`sealed_handoff_tables`,
haven/storage/encrypted_tables.py). A row the configured keys cannot open (its key was retired
before rotating) is left out of what the console and the audit trail show, with one log line, so it
never makes the console fail.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.handoff.status import CounselorDesk, counselor_can_take_chat_now
from haven.handoff.waiting import RecentWaits
from haven.logs.throttle import SummarizedLog
from haven.metrics import counts
from haven.settings import StorageConfigError
from haven.storage.conversations import engine_for
from haven.storage.crypto import KeyRing, TamperedRecordError
from haven.storage.schema import SealedTable, create_tables
from haven.web.rate_limits import MessageRateLimiter, RateLimits

logger = logging.getLogger(__name__)

WAITING, CLAIMED, ENDED, LEFT = "waiting", "claimed", "ended", "left"
HANDOFF_TABLE = "haven_handoffs"
AUDIT_TABLE = "haven_handoff_audit"
AUDIT_RETENTION_DAYS = 90
CLAIMED_MAX_HOURS = 12
"""A chat left claimed this long (a counselor closed the browser) is ended by the purge."""
_AUDIT_AAD = "haven-handoff-audit"
_LEFT_AAD = "haven-handoff-left"
PURGE_EVERY_SECONDS = 60.0
UNREADABLE = (StorageConfigError, TamperedRecordError)
"""What opening a row raises when the configured keys cannot read it."""


class HandoffError(RuntimeError):
    """A request that does not exist, is not yours, or is not in the state the action needs."""


class YoungPersonLeft(HandoffError):
    """The young person left (quick exit, "Clear chat", a closed tab) before anyone claimed."""


@dataclass(frozen=True)
class HandoffRequest:
    """One request for a person; `request_id` is what the console shows and links to."""

    request_id: str
    conversation_id: str
    language: str | None
    region: str | None
    age_band: str | None
    steps_done: list[str] = field(default_factory=list)
    risk: bool = False
    requested_at: float = 0.0
    status: str = WAITING
    claimed_by: str | None = None
    share_summary: bool | None = None
    joined: list[str] = field(default_factory=list)
    """Supervisors who joined the chat (they may write in it too)."""
    needs_support: bool = False

    def with_counselor(self, name: str) -> bool:
        """Whether `name` holds this chat or joined it."""
        return self.status == CLAIMED and (self.claimed_by == name or name in self.joined)

    def waiting_minutes(self, now: float) -> int:
        """Whole minutes since the request was made."""
        return max(0, int((now - self.requested_at) // 60))

    def summary(self, now: float) -> dict[str, Any]:
        """What a counselor sees: the summary if the young person agreed to share it."""
        shown: dict[str, Any] = {
            "id": self.request_id,
            "risk": self.risk,
            "waiting_minutes": self.waiting_minutes(now),
            "status": self.status,
            "shared": bool(self.share_summary),
        }
        if self.share_summary:
            shown.update(
                language=self.language,
                region=self.region,
                age_band=self.age_band,
                steps_done=list(self.steps_done),
            )
        return shown


def handoff_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """The requests table and the audit table."""
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    requests = sa.Table(
        HANDOFF_TABLE,
        metadata,
        sa.Column("id", big, primary_key=True),
        sa.Column("request_id", sa.String(32), nullable=False, unique=True),
        sa.Column("conversation", sa.String(64), nullable=False, index=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("nonce", sa.LargeBinary(12), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False, index=True),
    )
    audit = sa.Table(
        AUDIT_TABLE,
        metadata,
        sa.Column("id", big, primary_key=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("nonce", sa.LargeBinary(12), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False, index=True),
    )
    return requests, audit


def sealed_handoff_tables(metadata: sa.MetaData | None = None) -> list[SealedTable]:
    """The requests table and the audit table as encrypted tables (for checks and rotation).

    A request's record is bound to its conversation hash, or, once the young person left, to a
    fixed label (its hash is gone); an audit line's to a fixed label.
    """
    requests, audit = handoff_tables(metadata if metadata is not None else sa.MetaData())
    return [
        SealedTable(requests, "handoff requests", _request_bound_to, _rehash_request),
        SealedTable(audit, "audit lines", lambda _row: _AUDIT_AAD),
    ]


def _request_bound_to(row: Any) -> str:
    return _LEFT_AAD if row.status == LEFT else row.conversation


def _rehash_request(key_ring: KeyRing, row: Any, plaintext: bytes) -> tuple[str, dict]:
    if row.status == LEFT:
        return _LEFT_AAD, {}
    conversation = key_ring.conversation_hash(json.loads(plaintext)["conversation_id"])
    return conversation, {"conversation": conversation}


class HandoffQueue:
    """Encrypted handoff requests and audit trail; each method is one transaction."""

    def __init__(
        self,
        db_url: str,
        key_ring: KeyRing,
        keep_minutes: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine_for(db_url)
        self.key_ring = key_ring
        self.keep_seconds = keep_minutes * 60
        self.clock = clock
        self.metadata = sa.MetaData()
        self.sealed, self.sealed_audit = sealed_handoff_tables(self.metadata)
        self.table, self.audit_table = self.sealed.table, self.sealed_audit.table
        # How long claimed requests waited, numbers only, for the estimate (handoff/waiting.py).
        self.waits = RecentWaits(self.engine, self.metadata, clock)

    def create_schema(self) -> None:
        """Creates the requests, audit and recent-waits tables if they do not exist yet."""
        create_tables(self.engine, self.metadata)

    # --- the young person's side ----------------------------------------------------------

    def request(
        self,
        conversation_id: str,
        *,
        language: str | None,
        region: str | None,
        age_band: str | None,
        steps_done: list[str],
        risk: bool,
    ) -> HandoffRequest:
        """Creates a waiting request, or refreshes the conversation's open one (keeps its place)."""
        existing = self.open_for(conversation_id)
        if existing is not None:
            updated = replace(
                existing,
                language=language,
                region=region,
                age_band=age_band,
                steps_done=list(steps_done),
                risk=existing.risk or risk,
            )
            self._save(updated)
            return updated
        created = HandoffRequest(
            request_id=secrets.token_urlsafe(16),
            conversation_id=conversation_id,
            language=language,
            region=region,
            age_band=age_band,
            steps_done=list(steps_done),
            risk=risk,
            requested_at=self.clock(),
        )
        self._save(created, new=True)
        counts.handoff_requested(risk)
        return created

    def set_share_summary(self, conversation_id: str, share: bool) -> HandoffRequest | None:
        """Records whether the counselor may see the summary; None if no request is open."""
        existing = self.open_for(conversation_id)
        if existing is None:
            return None
        updated = replace(existing, share_summary=share)
        self._save(updated)
        return updated

    def mark_risk(self, conversation_id: str) -> None:
        """Crisis came up after the request was made: it moves up the queue."""
        existing = self.open_for(conversation_id)
        if existing is not None and not existing.risk:
            self._save(replace(existing, risk=True))

    def cancel(self, conversation_id: str) -> None:
        """Deletes the conversation's requests (the young person left, or asked to be forgotten)."""
        table = self.table
        with Session(self.engine) as session, session.begin():
            session.execute(
                sa.delete(table).where(table.c.conversation.in_(self._hashes(conversation_id)))
            )

    def leave(self, conversation_id: str) -> str | None:
        """The young person left while waiting: the request leaves the queue at once.

        Its row keeps only the request id and the status "left" until `keep_minutes` later, so a
        claim gets `YoungPersonLeft`; the audit trail records it. A claimed request is left to its
        counselor (they see that the young person left). Returns the request id, or None.
        """
        table = self.table
        with Session(self.engine) as session, session.begin():
            row = session.execute(
                sa.select(table)
                .where(
                    table.c.conversation.in_(self._hashes(conversation_id)),
                    table.c.status == WAITING,
                )
                .with_for_update()
            ).first()
            if row is None:
                return None
            session.execute(
                sa.update(table)
                .where(table.c.id == row.id)
                .values(
                    conversation=LEFT,  # not the conversation's hash: nothing links back to it
                    status=LEFT,
                    updated_at=int(self.clock()),
                    **self.sealed.sealed_values(self.key_ring, {}, _LEFT_AAD),
                )
            )
        self.record(None, "left_waiting", row.request_id)
        return str(row.request_id)

    def open_for(self, conversation_id: str) -> HandoffRequest | None:
        """The conversation's waiting or claimed request, if any."""
        self.purge_expired()
        table = self.table
        with Session(self.engine) as session:
            rows = session.execute(
                sa.select(table).where(
                    table.c.conversation.in_(self._hashes(conversation_id)),
                    table.c.status.in_([WAITING, CLAIMED]),
                )
            ).all()
        requests = self._readable(rows)
        return requests[0] if requests else None

    def claimed_for(self, conversation_id: str) -> HandoffRequest | None:
        """The conversation's request while a counselor is with it."""
        found = self.open_for(conversation_id)
        return found if found and found.status == CLAIMED else None

    # --- the counselor's side -------------------------------------------------------------

    def waiting(self, purge: bool = True) -> list[HandoffRequest]:
        """Waiting requests: risk first, then the longest waiting first (`purge`: expired ones
        deleted first; the queue watcher reads without writing, and purges only when one is due)."""
        if purge:
            self.purge_expired()
        requests = [r for r in self._all(WAITING)]
        return sorted(requests, key=lambda r: (not r.risk, r.requested_at))

    def chats_of(self, counselor: str) -> list[HandoffRequest]:
        """The requests this counselor has claimed and not ended."""
        return [r for r in self._all(CLAIMED) if r.claimed_by == counselor]

    def claimed(self) -> list[HandoffRequest]:
        """Every chat a counselor has now (what a supervisor sees), the longest first."""
        return sorted(self._all(CLAIMED), key=lambda r: r.requested_at)

    def get_for(self, request_id: str, counselor: str) -> HandoffRequest:
        """A claimed request this counselor holds or joined; `HandoffError` for any other."""
        found = self._get(request_id)
        if found is None or not found.with_counselor(counselor):
            raise HandoffError("No such chat.")
        return found

    def live_chat(self, request_id: str) -> HandoffRequest:
        """Any claimed request (for a supervisor's read-only view); `HandoffError` if none."""
        found = self._get(request_id)
        if found is None or found.status != CLAIMED:
            raise HandoffError("No such chat.")
        return found

    def take_next(self, counselor: str) -> HandoffRequest | None:
        """Claims the most urgent waiting request (at risk first, then the longest waiting);
        None when nobody is waiting. One taken by someone else a moment before is skipped."""
        for waiting in self.waiting():
            try:
                return self.claim(waiting.request_id, counselor, action="take_next")
            except HandoffError:
                continue
        return None

    def transfer(self, request_id: str, counselor: str, to: str) -> HandoffRequest:
        """Gives one of this counselor's chats to a colleague (recorded with both names)."""
        found = self._get(request_id)
        if found is None or found.status != CLAIMED or found.claimed_by != counselor:
            raise HandoffError("No such chat.")
        if to == counselor:
            raise HandoffError("This chat is already yours.")
        moved = replace(
            found, claimed_by=to, joined=[n for n in found.joined if n != to], needs_support=False
        )
        self._save(moved)
        self.record(counselor, "transfer", request_id, to=to)
        return moved

    def join(self, request_id: str, supervisor: str) -> HandoffRequest:
        """A supervisor joins a live chat: from now on they may write in it too."""
        found = self.live_chat(request_id)
        if found.with_counselor(supervisor):
            return found
        joined = replace(found, joined=[*found.joined, supervisor])
        self._save(joined)
        self.record(supervisor, "supervisor_join", request_id)
        return joined

    def flag_support(self, request_id: str, counselor: str) -> HandoffRequest:
        """The counselor asks a supervisor for support with this chat."""
        flagged = replace(self.get_for(request_id, counselor), needs_support=True)
        self._save(flagged)
        self.record(counselor, "need_support", request_id)
        return flagged

    def claim(self, request_id: str, counselor: str, action: str = "claim") -> HandoffRequest:
        """Gives a waiting request to a counselor; `YoungPersonLeft` if the young person left,
        `HandoffError` if it is gone, expired or taken."""
        self.purge_expired()
        table = self.table
        with Session(self.engine) as session, session.begin():
            row = session.execute(
                sa.select(table).where(table.c.request_id == request_id).with_for_update()
            ).first()
            if row is not None and row.status == LEFT:
                raise YoungPersonLeft("This young person has left.")
            readable = self._readable([row]) if row is not None else []
            if not readable or row.status != WAITING:
                raise HandoffError("This request is no longer waiting.")
            claimed = replace(readable[0], status=CLAIMED, claimed_by=counselor)
            session.execute(
                sa.update(table).where(table.c.id == row.id).values(**self._values(claimed))
            )
        self.record(counselor, action, request_id)
        counts.handoff_claimed(self.clock() - claimed.requested_at)
        self.waits.add(self.clock() - claimed.requested_at)
        return claimed

    def end(
        self, request_id: str, counselor: str, action: str = "end", tags: tuple[str, ...] = ()
    ) -> HandoffRequest:
        """Ends a counselor's chat (`action` is "end" or "hand_back") and deletes the request;
        `tags` (names from handoff.yml's `end_tags`, checked by the caller) go in the audit line.
        Only the chat's own counselor ends it (a supervisor who joined does not)."""
        found = self.get_for(request_id, counselor)
        if found.claimed_by != counselor:
            raise HandoffError("No such chat.")
        table = self.table
        with Session(self.engine) as session, session.begin():
            session.execute(sa.delete(table).where(table.c.request_id == request_id))
        self.record(counselor, action, request_id, **({"tags": list(tags)} if tags else {}))
        return replace(found, status=ENDED)

    # --- audit trail ----------------------------------------------------------------------

    def record(
        self, counselor: str | None, action: str, request_id: str | None = None, **detail: Any
    ) -> None:
        """Adds an encrypted line to the audit trail (`counselor` None: the young person's side);
        `detail` is what the action needs besides (a transfer's colleague, end-of-chat tags)."""
        now = self.clock()
        body = {"counselor": counselor, "action": action, "request": request_id, "at": now}
        body.update(detail)
        sealed = self.sealed_audit.sealed_values(self.key_ring, body, _AUDIT_AAD)
        with Session(self.engine) as session, session.begin():
            session.execute(sa.insert(self.audit_table).values(created_at=int(now), **sealed))

    def audit_trail(self) -> list[dict[str, Any]]:
        """Every audit line the keys can open, oldest first (the others are logged, left out)."""
        table = self.audit_table
        with Session(self.engine) as session:
            rows = session.execute(sa.select(table).order_by(table.c.id)).all()
        return _open_all(self.key_ring, self.sealed_audit, rows, dict)

    def purge_expired(self) -> int:
        """Deletes waiting requests past `keep_minutes`, forgotten claims, and old audit lines."""
        now = self.clock()
        table, audit = self.table, self.audit_table
        with Session(self.engine) as session, session.begin():
            expired = session.execute(self._expired_waiting(now)).rowcount
            deleted = (
                expired
                + session.execute(
                    sa.delete(table).where(
                        sa.or_(
                            sa.and_(
                                table.c.status != CLAIMED,
                                table.c.updated_at < int(now - self.keep_seconds),
                            ),
                            table.c.updated_at < int(now - CLAIMED_MAX_HOURS * 3600),
                        )
                    )
                ).rowcount
            )
            session.execute(
                sa.delete(audit).where(audit.c.created_at < int(now - AUDIT_RETENTION_DAYS * 86400))
            )
        counts.handoffs_expired(expired)  # once committed: the NGO's count
        return deleted

    # --- rows -----------------------------------------------------------------------------

    def _expired_waiting(self, now: float) -> sa.Delete:
        # Apart from the other deletions so the NGO's count has exactly the requests that
        # expired unclaimed (a row is deleted by one process only, so counted once).
        cutoff = int(now - self.keep_seconds)
        return sa.delete(self.table).where(
            self.table.c.status == WAITING, self.table.c.updated_at < cutoff
        )

    def _hashes(self, conversation_id: str) -> list[str]:
        return self.key_ring.all_conversation_hashes(conversation_id)

    def _all(self, status: str) -> list[HandoffRequest]:
        table = self.table
        with Session(self.engine) as session:
            rows = session.execute(sa.select(table).where(table.c.status == status)).all()
        return self._readable(rows)

    def _get(self, request_id: str) -> HandoffRequest | None:
        table = self.table
        with Session(self.engine) as session:
            row = session.execute(sa.select(table).where(table.c.request_id == request_id)).first()
        found = self._readable([row]) if row else []
        return found[0] if found else None

    def _values(self, request: HandoffRequest) -> dict[str, Any]:
        conversation = self.key_ring.conversation_hash(request.conversation_id)
        return {
            "conversation": conversation,
            "status": request.status,
            "updated_at": int(self.clock()),
            **self.sealed.sealed_values(self.key_ring, asdict(request), conversation),
        }

    def _save(self, request: HandoffRequest, new: bool = False) -> None:
        table = self.table
        with Session(self.engine) as session, session.begin():
            if new:
                session.execute(
                    sa.insert(table).values(request_id=request.request_id, **self._values(request))
                )
            else:
                session.execute(
                    sa.update(table)
                    .where(table.c.request_id == request.request_id)
                    .values(**self._values(request))
                )

    def _readable(self, rows: list[Any]) -> list[HandoffRequest]:
        return _open_all(self.key_ring, self.sealed, rows, _parse_request)


def _parse_request(record: dict[str, Any]) -> HandoffRequest:
    return HandoffRequest(**record)


def _open_all(
    key_ring: KeyRing, sealed: SealedTable, rows: list[Any], parse: Callable[[Any], Any]
) -> list[Any]:
    """`parse` of each row's record the keys can open; the others are left out, one log line."""
    opened, unreadable = [], set()
    for row in rows:
        try:
            opened.append(parse(sealed.open_record(key_ring, row)))
        except UNREADABLE:
            unreadable.add(row.key_id)
    if unreadable:
        logger.error(
            "Left out %d of the %s: the configured keys cannot decrypt them (key ids: %s); run "
            "`python -m haven.storage.cli check`.",
            len(rows) - len(opened),
            sealed.noun,
            ", ".join(sorted(unreadable)),
        )
    return opened


async def purge_periodically(
    queue: HandoffQueue,
    every_seconds: float = PURGE_EVERY_SECONDS,
    sleep: Callable[[float], Any] = asyncio.sleep,
) -> None:
    """Deletes expired requests every `every_seconds`, until cancelled (a server's background task).

    The database work runs in a thread, so the server's event loop never waits for it. A failure
    is logged by its kind only and the next round tries again.
    """
    loop = asyncio.get_running_loop()
    while True:
        await sleep(every_seconds)
        try:
            await loop.run_in_executor(None, queue.purge_expired)
        except Exception as error:  # the database is away for a moment: try again next round
            logger.error("Deleting expired handoff requests failed: %s", type(error).__name__)


def default_queue(environ: dict[str, str] | None = None) -> HandoffQueue:
    """The queue in Haven's configured database, with its key ring and `handoff.yml`'s expiry
    (for command lines and tests: a server process takes its composition root's,
    `Services.handoff_queue` in haven/services.py)."""
    from haven.services import Services

    return Services.from_environ(environ).handoff_queue


ONLINE, OFFLINE, REFUSED = "online", "offline", "refused"
REQUEST_CHANNEL = "haven_widget"
"""The only channel that carries a counselor's live reply (the web chat channel, and the relay)."""
ADDRESS_METADATA = "haven_address"
"""Message metadata the web chat channel adds itself: the keyed hash of the client's address,
for `NewRequestLimit`. The browser cannot set it (`allowed_metadata` drops it), and the store
never keeps it (only `keep_metadata` is stored)."""
_EVERYONE = "everyone"
_OVER_LIMIT = SummarizedLog(
    logger, "New requests for a person over the limit got the help lines instead"
)


class NewRequestLimit:
    """How many new requests for a person one client address, and everyone together, may make.

    Token buckets of haven/web/rate_limits.py (in Redis with `HAVEN_REDIS_URL`, so the limit holds
    across action servers): `new_requests_per_address` per address and `new_requests_overall` in
    all, per `new_requests_window_minutes` (handoff.yml). A request refused by its address's limit
    does not use up everyone's allowance.
    """

    def __init__(self, limiter: MessageRateLimiter) -> None:
        self.limiter = limiter

    @staticmethod
    def limits_of(settings: Any) -> tuple[RateLimits, float]:
        """The limits of `handoff.yml` (everyone's as the "conversation" count, each address's as
        the address count) and their period in seconds."""
        limits = RateLimits(
            per_conversation=settings.new_requests_overall,
            per_address=settings.new_requests_per_address,
        )
        return limits, settings.new_requests_window_minutes * 60

    @classmethod
    def in_memory(cls, settings: Any) -> NewRequestLimit:
        """The limit of `handoff.yml`, counted in this process only (the composition root keeps
        it where the message rate limits are kept, `Services.new_request_limit`)."""
        limits, period_seconds = cls.limits_of(settings)
        return cls(MessageRateLimiter(limits, period_seconds=period_seconds))

    def allow(self, address: str) -> bool:
        """Whether one more new request from `address` (already a keyed hash) may be filed."""
        return self.limiter.allow(_EVERYONE, self.limiter.address_key(address))


class HandoffDesk:
    """Files a young person's request and says whether a counselor can come now.

    A counselor can come when it is within the hours of `handoff.yml` and at least one counselor
    can take a chat now (`counselor_can_take_chat_now`). Either way the request is kept (for
    `keep_minutes` while waiting). A new request over `NewRequestLimit` is not filed.
    """

    def __init__(
        self,
        queue: HandoffQueue,
        accounts: Any,
        settings: Any,
        desk: CounselorDesk,
        clock: Callable[[], float] = time.time,
        new_requests: NewRequestLimit | None = None,
    ) -> None:
        self.queue = queue
        self.accounts = accounts
        self.desk = desk
        self.settings = settings
        self.clock = clock
        self.new_requests = new_requests or NewRequestLimit.in_memory(settings)

    def counselor_available(self) -> bool:
        """Within duty hours and a counselor can take a chat now (haven/handoff/status.py:
        available, their console connected, under their number of chats)."""
        return self.settings.on_duty(self.clock()) and counselor_can_take_chat_now(
            self.desk, self.queue
        )

    def ask(self, conversation_id: str, address: str, **details: Any) -> str:
        """Files (or refreshes) the request with `HandoffQueue.request`'s details (language,
        region, age_band, steps_done, risk); returns ONLINE or OFFLINE for the honest answer,
        or REFUSED when a new request from `address` (a keyed hash) is over the limit."""
        if self.queue.open_for(conversation_id) is None and not self.new_requests.allow(address):
            _OVER_LIMIT.note()
            return REFUSED
        self.queue.request(conversation_id, **details)
        return ONLINE if self.counselor_available() else OFFLINE
