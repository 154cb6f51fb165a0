"""The handoff queue on real SQLite and PostgreSQL: order, expiry, claims, encryption, audit."""

import asyncio

import pytest
import sqlalchemy as sa

from haven.handoff.queue import (
    CLAIMED,
    HandoffError,
    HandoffQueue,
    YoungPersonLeft,
    purge_periodically,
)
from haven.settings import HandoffSettings, StorageConfigError
from haven.storage.crypto import KeyRing, generate_key_line
from tests.support.clock import Clock


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def queue(database_url, clock):
    ring = KeyRing.parse(generate_key_line("k1"))
    made = HandoffQueue(database_url, ring, keep_minutes=60, clock=clock)
    made.create_schema()
    return made


def ask(queue, conversation, risk=False, **extra):
    values = {"language": "es", "region": "uk", "age_band": "13_15", "steps_done": ["dont_pay"]}
    values.update(extra)
    return queue.request(conversation, risk=risk, **values)


def test_risk_comes_first_then_the_longest_waiting(queue, clock):
    ask(queue, "first")
    clock.now += 60
    ask(queue, "second")
    clock.now += 60
    ask(queue, "at-risk", risk=True)
    assert [r.conversation_id for r in queue.waiting()] == ["at-risk", "first", "second"]


def test_asking_again_keeps_one_request_and_never_lowers_the_risk(queue, clock):
    first = ask(queue, "c1", risk=True)
    clock.now += 30
    again = ask(queue, "c1", risk=False)
    assert again.request_id == first.request_id and again.risk
    assert len(queue.waiting()) == 1


def test_crisis_later_marks_the_open_request(queue):
    ask(queue, "calm")
    ask(queue, "later-crisis")
    queue.mark_risk("later-crisis")
    queue.mark_risk("no-request")  # nothing to mark
    assert [r.conversation_id for r in queue.waiting()] == ["later-crisis", "calm"]


def test_a_waiting_request_expires_after_keep_minutes(queue, clock):
    ask(queue, "c1")
    clock.now += 59 * 60
    assert len(queue.waiting()) == 1
    clock.now += 2 * 60
    assert queue.waiting() == []
    assert queue.open_for("c1") is None


def test_the_limit_on_new_requests_is_read_from_handoff_yml(tmp_path):
    path = tmp_path / "handoff.yml"
    path.write_text("new_requests: {per_address: 2, overall: 9, window_minutes: 5}\n")
    settings = HandoffSettings.load(path, {})
    assert (settings.new_requests_per_address, settings.new_requests_overall) == (2, 9)
    assert settings.new_requests_window_minutes == 5
    defaults = HandoffSettings.load(tmp_path / "none.yml", {})
    assert (defaults.new_requests_per_address, defaults.new_requests_overall) == (5, 30)


@pytest.mark.parametrize(
    "limits", ["{per_address: 0}", "{overall: many}", "{window_minutes: -1}", "{per_address: true}"]
)
def test_a_bad_limit_on_new_requests_is_refused_in_one_sentence(tmp_path, limits):
    path = tmp_path / "handoff.yml"
    path.write_text(f"new_requests: {limits}\n")
    with pytest.raises(StorageConfigError, match="handoff.yml: new_requests"):
        HandoffSettings.load(path, {})


def test_keep_minutes_comes_from_the_environment(tmp_path):
    settings = HandoffSettings.load(tmp_path / "none.yml", {"HAVEN_HANDOFF_KEEP_MINUTES": "15"})
    assert settings.keep_minutes == 15


def test_claim_once_then_only_the_claimer_sees_the_chat(queue):
    request = ask(queue, "c1")
    claimed = queue.claim(request.request_id, "ana")
    assert claimed.status == CLAIMED and claimed.claimed_by == "ana"
    assert queue.claimed_for("c1").claimed_by == "ana"
    with pytest.raises(HandoffError):
        queue.claim(request.request_id, "ben")  # already taken
    with pytest.raises(HandoffError):
        queue.get_for(request.request_id, "ben")
    assert queue.chats_of("ben") == [] and len(queue.chats_of("ana")) == 1
    assert queue.waiting() == []


def test_ending_deletes_the_request_and_the_audit_trail_says_who_and_when(queue, clock):
    request = ask(queue, "c1")
    queue.claim(request.request_id, "ana")
    clock.now += 120
    with pytest.raises(HandoffError):
        queue.end(request.request_id, "ben")
    queue.end(request.request_id, "ana", "hand_back")
    assert queue.open_for("c1") is None
    trail = queue.audit_trail()
    assert [(line["counselor"], line["action"]) for line in trail] == [
        ("ana", "claim"),
        ("ana", "hand_back"),
    ]
    assert trail[1]["at"] - trail[0]["at"] == 120


def test_the_summary_is_shown_only_with_consent(queue, clock):
    request = ask(queue, "c1", risk=True)
    clock.now += 300
    hidden = request.summary(clock.now)
    assert hidden == {
        "id": request.request_id,
        "risk": True,
        "waiting_minutes": 5,
        "status": "waiting",
        "shared": False,
    }
    shared = queue.set_share_summary("c1", True).summary(clock.now)
    assert shared["language"] == "es" and shared["steps_done"] == ["dont_pay"]
    assert shared["region"] == "uk" and shared["age_band"] == "13_15"


def test_nothing_readable_is_in_the_tables(queue):
    request = ask(queue, "conversation-xyz", risk=True)
    queue.set_share_summary("conversation-xyz", True)
    queue.claim(request.request_id, "counselor_ana")
    dump = b""
    with queue.engine.connect() as connection:
        for table in (queue.table, queue.audit_table):
            for row in connection.execute(sa.select(table)).all():
                dump += b"|".join(
                    bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row
                )
    for secret in ("conversation-xyz", "counselor_ana", "dont_pay", "13_15", '"uk"', "risk"):
        assert secret.encode() not in dump


def rows_on_disk(queue):
    """The request rows as stored, read without any method that would purge them first."""
    with queue.engine.connect() as connection:
        return connection.execute(sa.select(queue.table)).all()


def test_leaving_while_waiting_takes_the_request_out_at_once(queue, clock):
    request = ask(queue, "c1")
    ask(queue, "c2")
    clock.now += 30
    assert queue.leave("c1") == request.request_id
    assert [r.conversation_id for r in queue.waiting()] == ["c2"]
    assert queue.open_for("c1") is None
    with pytest.raises(YoungPersonLeft, match="has left"):
        queue.claim(request.request_id, "ana")
    assert queue.audit_trail()[-1] == {
        "counselor": None,
        "action": "left_waiting",
        "request": request.request_id,
        "at": clock.now,
    }
    # What stays is the request id and "left": no conversation hash, nothing about the person.
    (left,) = [row for row in rows_on_disk(queue) if row.request_id == request.request_id]
    assert left.status == "left" and left.conversation == "left"
    assert queue.key_ring.open(_sealed(left), "haven-handoff-left") == b"{}"
    assert queue.leave("c1") is None  # leaving twice changes nothing


def _sealed(row):
    from haven.storage.crypto import Sealed

    return Sealed(row.key_id, bytes(row.nonce), bytes(row.body))


def test_a_claimed_request_stays_with_its_counselor_when_the_young_person_leaves(queue):
    request = ask(queue, "c1")
    queue.claim(request.request_id, "ana")
    assert queue.leave("c1") is None
    assert queue.claimed_for("c1").claimed_by == "ana"


def test_the_left_mark_goes_after_keep_minutes_like_any_waiting_request(queue, clock):
    request = ask(queue, "c1")
    queue.leave("c1")
    clock.now += 61 * 60
    queue.purge_expired()
    assert rows_on_disk(queue) == []
    with pytest.raises(HandoffError) as caught:
        queue.claim(request.request_id, "ana")
    assert not isinstance(caught.value, YoungPersonLeft)


def test_an_expired_request_cannot_be_claimed_even_if_nobody_read_the_queue(queue, clock):
    request = ask(queue, "c1")
    clock.now += 61 * 60
    with pytest.raises(HandoffError):
        queue.claim(request.request_id, "ana")
    assert rows_on_disk(queue) == []


def test_a_new_request_purges_the_expired_ones(queue, clock):
    ask(queue, "old")
    clock.now += 61 * 60
    ask(queue, "new")
    assert len(rows_on_disk(queue)) == 1


def test_the_periodic_purge_deletes_expired_requests_with_nobody_reading(queue, clock):
    ask(queue, "c1")
    ask(queue, "c2")
    naps = []

    async def sleep(seconds):
        naps.append(seconds)
        if len(naps) == 1:
            clock.now += 30 * 60  # not expired yet at the first round
        elif len(naps) == 2:
            assert len(rows_on_disk(queue)) == 2
            clock.now += 31 * 60  # now past keep_minutes
        else:
            raise asyncio.CancelledError  # the server stops

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(purge_periodically(queue, every_seconds=60, sleep=sleep))
    assert naps == [60, 60, 60]
    assert rows_on_disk(queue) == []


def test_the_periodic_purge_survives_a_failing_round(queue, clock, caplog):
    ask(queue, "c1")
    calls = []
    real_purge = queue.purge_expired

    def flaky_purge():
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.OperationalError("SELECT", {}, Exception("database away"))
        return real_purge()

    queue.purge_expired = flaky_purge
    clock.now += 61 * 60
    rounds = []

    async def sleep(seconds):
        rounds.append(seconds)
        if len(rounds) > 2:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(purge_periodically(queue, every_seconds=5, sleep=sleep))
    assert len(calls) == 2 and rows_on_disk(queue) == []
    assert "Deleting expired handoff requests failed: OperationalError" in caplog.text
