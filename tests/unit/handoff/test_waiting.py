"""Honest waiting (haven/handoff/waiting.py): the estimate from recent claims (few, many, stale),
the numbers a claim keeps, and what a waiting young person is told as the queue moves, when their
request expires and when the counselors go offline; the "did this help?" counts."""

import asyncio

import pytest
import sqlalchemy as sa

from haven.handoff.queue import HandoffQueue
from haven.handoff.waiting import (
    ENOUGH_CLAIMS,
    KEPT_CLAIMS,
    MAX_MINUTES,
    RECENT_MINUTES,
    WAITING_EVENT,
    Locale,
    QueueWatcher,
    WaitingNotices,
    estimate,
    estimate_for,
    minutes_per_place,
)
from haven.packs.channel_messages import NOTICES
from haven.packs.content import content
from haven.services import Services
from haven.storage.crypto import KeyRing, generate_key_line
from haven.storage.helpfulness import HelpfulnessCounts
from tests.support.clock import Clock

NOW = 1_700_000_000.0


SERVICES = Services.from_environ({})


def notices():
    """The texts as the process gives them: over the composition root's renderer."""
    return WaitingNotices(SERVICES.renderer)


USUAL = 5


def claims_every(minutes: float, count: int, waited_minutes: float, end: float = NOW):
    """`count` claims `minutes` apart up to `end`, each after `waited_minutes` of waiting."""
    return [(end - i * minutes * 60, waited_minutes * 60) for i in reversed(range(count))]


# --- the estimate -----------------------------------------------------------------------


def test_with_too_few_recent_claims_the_usual_wait_is_told_as_such():
    few = claims_every(4, ENOUGH_CLAIMS - 1, 4)
    told = estimate(3, few, NOW, USUAL)
    assert (told.minutes, told.from_recent) == (USUAL, False)


def test_with_enough_recent_claims_the_wait_grows_with_the_place():
    many = claims_every(4, 10, 30)  # one claim every 4 minutes, each had waited longer
    assert minutes_per_place(many, NOW) == pytest.approx(4)
    assert [estimate(place, many, NOW, USUAL).minutes for place in (1, 2, 3)] == [4, 8, 12]
    assert estimate(1, many, NOW, USUAL).from_recent


def test_time_nobody_was_waiting_does_not_make_the_queue_look_slow():
    # Claims an hour apart, but each request was claimed 2 minutes after it was made.
    quiet = claims_every(60, 2, 2) + claims_every(20, 2, 2, end=NOW - 1)
    assert minutes_per_place(sorted(quiet), NOW) == pytest.approx(2)
    assert estimate(2, quiet, NOW, USUAL).minutes == 4


def test_stale_claims_are_left_out():
    old = claims_every(1, 10, 1, end=NOW - (RECENT_MINUTES + 1) * 60)
    assert minutes_per_place(old, NOW) is None
    assert estimate(1, old, NOW, USUAL).from_recent is False
    recent = claims_every(10, ENOUGH_CLAIMS, 10)
    assert estimate(1, old + recent, NOW, USUAL).minutes == 10  # only the recent ones count


def test_the_estimate_is_whole_minutes_at_least_one_and_capped():
    instant = claims_every(0.1, 5, 0.1)
    assert estimate(1, instant, NOW, USUAL).minutes == 1
    slow = claims_every(50, 3, 90)
    assert estimate(5, slow, NOW, USUAL).minutes == MAX_MINUTES


# --- what a claim keeps -----------------------------------------------------------------


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def queue(tmp_path, clock):
    made = HandoffQueue(
        f"sqlite:///{tmp_path / 'haven.db'}",
        KeyRing.parse(generate_key_line("k1")),
        keep_minutes=10,
        clock=clock,
    )
    made.create_schema()
    return made


def ask(queue, conversation, **extra):
    values = {"language": "en", "region": "uk", "age_band": None, "steps_done": [], "risk": False}
    values.update(extra)
    return queue.request(conversation, **values)


def test_a_claim_keeps_two_numbers_and_nothing_that_says_whose(queue, clock):
    made = ask(queue, "conversation-one")
    clock.now += 150
    queue.claim(made.request_id, "ana")
    assert queue.waits.recent() == [(NOW + 150, 150.0)]
    columns = {column.name for column in queue.waits.table.columns}
    assert columns == {"id", "claimed_at", "waited_seconds"}
    with queue.engine.connect() as connection:
        rows = connection.execute(sa.select(queue.waits.table)).all()
    assert made.request_id not in repr(rows) and "conversation-one" not in repr(rows)


def test_only_the_last_claims_are_kept(queue, clock):
    for _ in range(KEPT_CLAIMS + 7):
        clock.now += 1
        queue.waits.add(60)
    with queue.engine.connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(queue.waits.table))
        assert count.scalar() == KEPT_CLAIMS


def test_the_estimate_for_a_conversation_uses_its_place(queue, clock):
    for _ in range(ENOUGH_CLAIMS):
        clock.now += 180
        queue.waits.add(600)
    ask(queue, "ahead")
    ask(queue, "mine")
    told = estimate_for(queue, "mine", USUAL)
    assert (told.place, told.minutes, told.from_recent) == (2, 6, True)


# --- what the young person is told ------------------------------------------------------


def test_every_notice_is_written_in_english_and_spanish():
    for code in ("en", "es"):
        pack = content().languages[code]
        for key in NOTICES:
            assert key not in pack.fallbacks and f"notices.{key}" not in pack.fallbacks
            assert (pack.phrase("notices", key) or "").strip(), (code, key)


def test_the_place_and_estimate_read_honestly():
    told_by = notices()
    many = claims_every(3, 5, 10)
    shown = told_by.place(Locale("en", "uk"), estimate(2, many, NOW, USUAL), available=True)
    assert shown["text"] == (
        "You're number 2 in the queue for a counselor. "
        "Right now it takes about 6 minutes. It can be longer."
    )
    usual = told_by.place(Locale("en", "uk"), estimate(1, [], NOW, USUAL), available=True)
    assert usual["text"] == (
        "You're next in the queue for a counselor. "
        "It usually takes about 5 minutes. It can be longer."
    )
    nobody = told_by.place(Locale("es", "es"), estimate(1, [], NOW, USUAL), available=False)
    assert nobody["minutes"] is None and "ninguna persona consejera" in nobody["text"]


@pytest.mark.parametrize(
    ("locale", "lines"),
    [(Locale("en", "uk"), ["0800 1111", "85258"]), (Locale("es", "es"), ["024"])],
)
def test_an_ended_request_brings_the_regions_crisis_lines_and_what_to_do(locale, lines):
    for key in ("request_expired", "counselors_offline"):
        told = notices().ended(locale, key)
        assert all(line in told["text"] for line in lines), told["text"]
        assert "{" not in told["text"]
        assert told["buttons"][0]["payload"] == "/ask_what_to_do"


def test_the_confidentiality_notice_says_private_unless_someone_is_in_danger():
    english = notices().text("confidential", Locale("en", None))
    assert "private" in english and "danger" in english
    spanish = notices().text("confidential", Locale("es", None))
    assert "privado" in spanish and "peligro" in spanish


# --- the watcher ------------------------------------------------------------------------


class Room:
    """The sockets of one process: who is connected, and what each was sent."""

    def __init__(self) -> None:
        self.connected: set[str] = set()
        self.sent: list[tuple[str, str, dict]] = []

    def holds(self, conversation_id: str) -> bool:
        return conversation_id in self.connected

    async def send(self, conversation_id: str, event: str, payload: dict) -> None:
        self.sent.append((conversation_id, event, payload))

    def to(self, conversation_id: str, event: str) -> list[dict]:
        return [p for c, e, p in self.sent if c == conversation_id and e == event]


def watcher_for(queue, room, available=lambda: True):
    return QueueWatcher(
        queue, available, USUAL, holds=room.holds, send=room.send, notices=notices()
    )


def test_the_young_person_hears_their_place_move_up_when_one_ahead_is_claimed(queue, clock):
    room = Room()
    room.connected = {"ahead", "mine"}
    watcher = watcher_for(queue, room)
    for _ in range(ENOUGH_CLAIMS):
        clock.now += 240
        queue.waits.add(600)
    first = ask(queue, "ahead")
    ask(queue, "mine")
    asyncio.run(watcher.check())
    assert [p["place"] for p in room.to("mine", WAITING_EVENT)] == [2]
    assert "about 8 minutes" in room.to("mine", WAITING_EVENT)[0]["text"]
    asyncio.run(watcher.check())
    assert len(room.to("mine", WAITING_EVENT)) == 1  # nothing changed: nothing sent
    queue.claim(first.request_id, "ana")
    watcher.poke(claimed="ahead")
    asyncio.run(watcher.check())
    latest = room.to("mine", WAITING_EVENT)[-1]
    assert latest["place"] == 1 and "You're next" in latest["text"]
    assert room.to("ahead", WAITING_EVENT)[-1] == {"place": None}
    assert room.to("ahead", "bot_uttered") == []  # claimed: the counselor's notice comes instead


def test_an_expired_request_is_told_at_once_with_the_crisis_lines(queue, clock):
    room = Room()
    room.connected = {"mine"}
    watcher = watcher_for(queue, room)
    ask(queue, "mine")
    asyncio.run(watcher.check())
    clock.now += 11 * 60  # past keep_minutes
    asyncio.run(watcher.check())
    (told,) = room.to("mine", "bot_uttered")
    assert "no counselor could join in time" in told["text"] and "0800 1111" in told["text"]
    assert room.to("mine", WAITING_EVENT)[-1] == {"place": None}


def test_a_young_person_who_left_is_not_told_anything(queue, clock):
    room = Room()
    room.connected = {"mine"}
    watcher = watcher_for(queue, room)
    ask(queue, "mine")
    asyncio.run(watcher.check())
    room.connected.clear()
    queue.leave("mine")
    asyncio.run(watcher.check())
    assert room.to("mine", "bot_uttered") == []


def test_when_the_last_counselor_goes_offline_the_waiting_are_told(queue, clock):
    room = Room()
    room.connected = {"mine", "other"}
    online = {"now": True}
    watcher = watcher_for(queue, room, available=lambda: online["now"])
    ask(queue, "mine")
    ask(queue, "other", language="es", region="es")
    asyncio.run(watcher.check())
    assert room.to("mine", "bot_uttered") == []
    online["now"] = False
    asyncio.run(watcher.check())
    (told,) = room.to("mine", "bot_uttered")
    assert "gone offline" in told["text"] and "85258" in told["text"]
    (spanish,) = room.to("other", "bot_uttered")
    assert "se desconectaron" in spanish["text"] and "024" in spanish["text"]
    assert "No counselor can join right now" in room.to("mine", WAITING_EVENT)[-1]["text"]
    asyncio.run(watcher.check())
    assert len(room.to("mine", "bot_uttered")) == 1  # told once, not at every look


# --- did this help? ---------------------------------------------------------------------


def test_did_this_help_is_kept_as_three_counts_only(tmp_path):
    counts = HelpfulnessCounts(f"sqlite:///{tmp_path / 'haven.db'}")
    counts.create_schema()
    counts.create_schema()  # twice, as two processes starting would
    for answer in ("yes", "a_bit", "yes"):
        counts.add(answer)
    assert counts.counts() == {"yes": 2, "a_bit": 1, "no": 0}
    with pytest.raises(ValueError):
        counts.add("<script>")
    assert {c.name for c in counts.table.columns} == {"answer", "count"}


def test_claims_in_the_same_second_count_in_the_order_they_were_made():
    # Three claims 5 minutes apart, then one a moment after the last (a counselor took two).
    claims = [*claims_every(5, 3, 5), (NOW, 1.0)]
    assert minutes_per_place(claims, NOW) == pytest.approx(5)


def test_an_adult_is_given_the_adult_crisis_lines():
    told = notices().ended(Locale("en", "uk", age_band="adult"), "request_expired")
    assert "85258" in told["text"] and "0800 1111" not in told["text"]  # Childline is for under 18s
