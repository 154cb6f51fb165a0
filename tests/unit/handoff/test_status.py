"""Status, capacity, take next, transfer, supervisors and the audit lines they leave
(haven/handoff/status.py, haven/handoff/queue.py), without a server."""

import pytest

from haven.handoff.queue import HandoffDesk, HandoffError, HandoffQueue
from haven.handoff.status import (
    AWAY,
    BUSY,
    ONLINE_SECONDS,
    CounselorDesk,
    counselor_can_take_chat_now,
)
from haven.handoff.tags import UnknownTag, checked_end_tags, count_end_tags
from haven.metrics import counts
from haven.settings import HandoffSettings, StorageConfigError
from haven.storage.crypto import KeyRing, generate_key_line
from tests.support.clock import Clock

NOW = 1_764_000_000.0  # a Monday, 16:00 UTC


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def queue(tmp_path, clock):
    made = HandoffQueue(
        f"sqlite:///{tmp_path / 'h.db'}", KeyRing.parse(generate_key_line("k1")), clock=clock
    )
    made.create_schema()
    return made


@pytest.fixture
def desk(tmp_path, clock):
    made = CounselorDesk(f"sqlite:///{tmp_path / 'h.db'}", chats_per_counselor=2, clock=clock)
    made.create_schema()
    return made


def ask(queue, clock, conversation, risk=False, minutes_ago=0):
    clock.now = NOW - minutes_ago * 60
    try:
        return queue.request(
            conversation, language="en", region="uk", age_band=None, steps_done=[], risk=risk
        )
    finally:
        clock.now = NOW


def test_take_next_takes_risk_first_then_the_longest_waiting(queue, clock):
    newest = ask(queue, clock, "c-new", minutes_ago=1)
    oldest = ask(queue, clock, "c-old", minutes_ago=9)
    risky_new = ask(queue, clock, "c-risk-new", risk=True, minutes_ago=2)
    risky_old = ask(queue, clock, "c-risk-old", risk=True, minutes_ago=5)
    taken = [queue.take_next("ana").request_id for _ in range(4)]
    assert taken == [
        risky_old.request_id,
        risky_new.request_id,
        oldest.request_id,
        newest.request_id,
    ]
    assert queue.take_next("ana") is None


def test_take_next_skips_a_request_someone_else_claimed_a_moment_before(queue, clock):
    first = ask(queue, clock, "c-1", minutes_ago=3)
    second = ask(queue, clock, "c-2", minutes_ago=1)
    original_waiting = queue.waiting
    queue.waiting = lambda: [first, second]  # ana's list, read just before ben's claim
    queue.claim(first.request_id, "ben")
    assert queue.take_next("ana").request_id == second.request_id
    queue.waiting = original_waiting


def test_a_counselor_can_take_a_chat_only_available_connected_and_under_capacity(
    queue, desk, clock
):
    assert not counselor_can_take_chat_now(desk, queue)  # nobody connected
    desk.seen("ana")
    assert counselor_can_take_chat_now(desk, queue)
    for conversation in ("c-1", "c-2"):
        queue.claim(ask(queue, clock, conversation).request_id, "ana")
    assert not counselor_can_take_chat_now(desk, queue)  # two chats, her number at once
    desk.set_max_chats("ana", 3)
    assert counselor_can_take_chat_now(desk, queue)
    desk.set_status("ana", BUSY)
    assert not counselor_can_take_chat_now(desk, queue)
    desk.set_status("ana", "available")
    clock.now = NOW + ONLINE_SECONDS + 1  # her laptop closed without a word
    assert not counselor_can_take_chat_now(desk, queue)
    clock.now = NOW
    desk.seen("ana", connected=False)
    assert not counselor_can_take_chat_now(desk, queue)


def test_the_young_persons_answer_follows_the_desk(queue, desk, clock):
    handoff = HandoffDesk(queue, None, HandoffSettings(), desk, clock)
    assert not handoff.counselor_available()
    desk.seen("ana")
    assert handoff.counselor_available()
    desk.set_status("ana", AWAY)
    assert not handoff.counselor_available()


def test_a_status_or_number_of_chats_out_of_range_is_refused(desk):
    with pytest.raises(ValueError, match="available, busy, away"):
        desk.set_status("ana", "asleep")
    with pytest.raises(ValueError, match="from 1 to 20"):
        desk.set_max_chats("ana", 0)
    desk.set_max_chats("ana", 5)
    assert desk.entry("ana").max_chats == 5
    desk.set_max_chats("ana", None)
    assert desk.entry("ana").max_chats == 2  # handoff.yml's default again


def test_a_transfer_moves_the_chat_and_only_its_counselor_may_give_it(queue, clock):
    request = queue.claim(ask(queue, clock, "c-1").request_id, "ana")
    with pytest.raises(HandoffError):
        queue.transfer(request.request_id, "ben", "cy")  # not ben's
    with pytest.raises(HandoffError):
        queue.transfer(request.request_id, "ana", "ana")
    queue.transfer(request.request_id, "ana", "ben")
    assert queue.get_for(request.request_id, "ben").claimed_by == "ben"
    with pytest.raises(HandoffError):
        queue.get_for(request.request_id, "ana")  # ana no longer sees it
    assert queue.chats_of("ana") == []


def test_a_supervisor_joins_and_may_then_write_but_nobody_else_reads_it(queue, clock):
    request = queue.claim(ask(queue, clock, "c-1").request_id, "ana")
    with pytest.raises(HandoffError):
        queue.get_for(request.request_id, "sam")
    assert queue.live_chat(request.request_id).claimed_by == "ana"  # the read-only view
    joined = queue.join(request.request_id, "sam")
    assert joined.joined == ["sam"] and queue.get_for(request.request_id, "sam")
    queue.join(request.request_id, "sam")  # joining twice is one join
    assert queue.get_for(request.request_id, "sam").joined == ["sam"]
    with pytest.raises(HandoffError):
        queue.transfer(request.request_id, "sam", "ben")  # a supervisor does not give it away
    with pytest.raises(HandoffError):
        queue.join(ask(queue, clock, "c-2").request_id, "sam")  # waiting, not live


def test_every_team_action_is_an_encrypted_audit_line(queue, clock):
    request = queue.take_next("ana") or queue.claim(ask(queue, clock, "c-1").request_id, "ana")
    queue.flag_support(request.request_id, "ana")
    assert queue.get_for(request.request_id, "ana").needs_support
    queue.join(request.request_id, "sam")
    queue.transfer(request.request_id, "ana", "ben")
    queue.end(request.request_id, "ben", "end", ("money_demand",))
    lines = [
        {k: v for k, v in line.items() if k != "at"}
        for line in queue.audit_trail()
        if line["counselor"]
    ]
    assert lines == [
        {"counselor": "ana", "action": "claim", "request": request.request_id},
        {"counselor": "ana", "action": "need_support", "request": request.request_id},
        {"counselor": "sam", "action": "supervisor_join", "request": request.request_id},
        {"counselor": "ana", "action": "transfer", "request": request.request_id, "to": "ben"},
        {
            "counselor": "ben",
            "action": "end",
            "request": request.request_id,
            "tags": ["money_demand"],
        },
    ]
    with queue.engine.connect() as connection:
        stored = b"".join(bytes(row.body) for row in connection.execute(queue.audit_table.select()))
    assert b"need_support" not in stored and b"money_demand" not in stored


def test_end_tags_come_from_the_fixed_list_only():
    allowed = ("money_demand", "just_talking")
    assert checked_end_tags(["just_talking", "just_talking"], allowed) == ("just_talking",)
    assert checked_end_tags(None, allowed) == ()
    for wrong in (["he told me his name"], "money_demand", [3], [{"tag": "x"}]):
        with pytest.raises(UnknownTag):
            checked_end_tags(wrong, allowed)

    def counted() -> float:
        found = counts.REGISTRY.get_sample_value(
            "haven_end_of_chat_tags_total", {"tag": "money_demand"}
        )
        return found or 0.0

    before = counted()
    count_end_tags(("money_demand",))
    assert counted() == before + 1


def test_handoff_yml_gives_chats_per_counselor_and_the_tags(tmp_path):
    settings = HandoffSettings.load()
    assert settings.chats_per_counselor == 2 and "money_demand" in settings.end_tags
    path = tmp_path / "handoff.yml"
    for wrong in ("chats_per_counselor: 0", "chats_per_counselor: lots", "end_tags: [Free Text]"):
        path.write_text(wrong + "\n", encoding="utf-8")
        with pytest.raises(StorageConfigError, match="chats_per_counselor|end_tags"):
            HandoffSettings.load(path, {})
