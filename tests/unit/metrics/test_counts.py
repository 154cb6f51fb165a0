"""The NGO's counts (haven/metrics): every counter moves as conversations go, nothing in `/metrics`
could identify a person, and the endpoint is closed without its token or from outside.

The core is driven as the servers drive it: the handoff queue on SQLite and PostgreSQL, the plan
action, the NLG, the tracker store (tests/integration/test_metrics.py reads a real Haven's).
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.plan import ActionPlanMove
from haven.handoff.queue import HandoffQueue
from haven.metrics import counts
from haven.metrics.endpoint import MetricsEndpoint
from haven.settings import MetricsSettings
from haven.storage.crypto import KeyRing, generate_key_line
from tests.support import PROJECT
from tests.support.clock import Clock
from tests.support.metrics import TOKEN, TYPED, check_nothing_identifies


def value(name: str, **labels: str) -> float:
    """The current value of one series, 0 if it is not there."""
    return counts.REGISTRY.get_sample_value(name, labels) or 0.0


class Moves:
    """The change of every series since it was made: `moves.of(name, **labels)`."""

    def __init__(self) -> None:
        self.before = samples()

    def of(self, name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return samples().get(key, 0.0) - self.before.get(key, 0.0)

    def moved(self) -> dict:
        now = samples()
        return {
            key: now[key] - self.before.get(key, 0.0)
            for key in now
            if now[key] != self.before.get(key, 0.0)
        }


def samples() -> dict:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for metric in counts.REGISTRY.collect()
        for sample in metric.samples
        if not sample.name.endswith("_created")
    }


# --- the counts, driven as the servers drive them --------------------------------------------


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def queue(database_url, clock):  # on SQLite and on PostgreSQL (tests/conftest.py)
    made = HandoffQueue(
        database_url,
        KeyRing.parse(generate_key_line("k1")),
        keep_minutes=60,
        clock=clock,
    )
    made.create_schema()
    return made


def ask(queue, conversation: str, risk: bool = False):
    return queue.request(
        conversation, language="en", region="uk", age_band="13_15", steps_done=[], risk=risk
    )


def test_a_new_request_is_counted_once_with_its_risk_and_a_refresh_is_not(queue):
    moves = Moves()
    ask(queue, "conversation-a")
    ask(queue, "conversation-a", risk=True)  # the same request, refreshed (and now at risk)
    ask(queue, "conversation-b", risk=True)
    assert moves.of("haven_handoff_requests_total", risk="no") == 1
    assert moves.of("haven_handoff_requests_total", risk="yes") == 1


def test_a_claim_counts_the_claim_and_its_wait_in_a_coarse_bucket(queue, clock):
    request = ask(queue, "conversation-a")
    clock.now += 7 * 60 + 20  # 7 minutes 20 seconds: observed as 7 minutes
    moves = Moves()
    queue.claim(request.request_id, "ana")
    assert moves.of("haven_handoff_claims_total") == 1
    assert moves.of("haven_handoff_wait_seconds_count") == 1
    assert moves.of("haven_handoff_wait_seconds_sum") == 7 * 60
    assert moves.of("haven_handoff_wait_seconds_bucket", le="300.0") == 0
    assert moves.of("haven_handoff_wait_seconds_bucket", le="900.0") == 1


def test_only_waiting_requests_that_expired_unclaimed_count_as_expiries(queue, clock):
    ask(queue, "waits-too-long")
    ask(queue, "leaves")
    queue.leave("leaves")  # a young person who left is not an expiry
    claimed = ask(queue, "claimed")
    queue.claim(claimed.request_id, "ana")
    moves = Moves()
    clock.now += 61 * 60
    queue.purge_expired()
    queue.purge_expired()  # deleted once, counted once
    assert moves.of("haven_handoff_expiries_total") == 1
    assert queue.waiting() == []


def test_a_plan_step_counts_the_first_time_a_conversation_reaches_it(domain):
    def move(intent: str, **slots):
        tracker = Tracker(
            sender_id="conversation-a",
            slots=slots,
            latest_message={"intent": {"name": intent, "confidence": 0.9}, "text": TYPED},
            events=[],
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )
        events = ActionPlanMove().run(CollectingDispatcher(), tracker, domain)
        return {e["name"]: e["value"] for e in events if e["event"] == "slot"}

    moves = Moves()
    slots = move("disclose_sextortion")  # step 1
    slots = move("step_done", **slots)  # step 2
    slots = move("go_back", **slots)  # step 1 again: not counted again
    move("ask_takedown", **slots)  # step 7, jumped to
    assert [moves.of("haven_plan_steps_reached_total", step=str(n)) for n in range(1, 9)] == [
        1,
        1,
        0,
        0,
        0,
        0,
        1,
        0,
    ]


def test_crisis_replies_are_counted_by_kind_as_the_nlg_renders_them():
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from haven.rasa_edge.nlg import ContentPackNLG

    domain = Domain.load(str(PROJECT / "domain.yml"))
    nlg = ContentPackNLG(domain=domain)
    tracker = DialogueStateTracker.from_events("conversation-a", [], slots=domain.slots)
    moves = Moves()
    for response in ("utter_crisis", "utter_crisis", "utter_safety_check", "utter_greet"):
        assert asyncio.run(nlg.generate(response, tracker, "rest"))
    assert moves.of("haven_crisis_replies_total", kind="direct") == 2
    assert moves.of("haven_crisis_replies_total", kind="gentle") == 1
    assert set(moves.moved()) == {
        ("haven_crisis_replies_total", (("kind", "direct"),)),
        ("haven_crisis_replies_total", (("kind", "gentle"),)),
    }


def test_a_conversation_starts_when_the_store_has_nothing_for_it(tmp_path):
    from rasa.shared.core.domain import Domain

    from haven.rasa_edge.tracker_store import EncryptedTrackerStore

    domain = Domain.load(str(PROJECT / "domain.yml"))
    store = EncryptedTrackerStore(
        domain=domain,
        environ={
            "HAVEN_DB_URL": f"sqlite:///{tmp_path / 'haven.db'}",
            "HAVEN_KEYS": generate_key_line("k1"),
        },
    )

    async def conversation():
        tracker = await store.get_or_create_tracker("conversation-a")  # new: counted
        await store.save(tracker)
        await store.get_or_create_tracker("conversation-a")  # stored: not counted again

    moves = Moves()
    asyncio.run(conversation())
    assert moves.of("haven_conversations_started_total") == 1


def test_did_this_help_and_end_tags_count_only_their_fixed_values():
    moves = Moves()
    assert counts.helped_answer("yes") and counts.helped_answer("a_bit")
    assert counts.end_of_chat_tag("money_demand")  # one of handoff.yml's end_tags
    for unknown in ("maybe", "YES", "", TYPED, "<script>", None, 3):
        assert not counts.helped_answer(unknown)  # type: ignore[arg-type]
        assert not counts.end_of_chat_tag(unknown)  # type: ignore[arg-type]
    assert not counts.plan_step_reached("complete") and not counts.response_sent(TYPED)
    assert not counts.crisis_reply("urgent") and not counts.crisis_reply(TYPED)
    assert moves.of("haven_helped_answers_total", answer="yes") == 1
    assert moves.of("haven_helped_answers_total", answer="a_bit") == 1
    assert moves.of("haven_end_of_chat_tags_total", tag="money_demand") == 1
    assert len(moves.moved()) == 3  # nothing else moved, and no series was added
    assert set(samples()) == set(moves.before)  # the same series as before the calls


def test_the_output_has_counts_only_nothing_that_identifies_anyone(queue, clock):
    request = ask(queue, "conversation-7f3a9c")
    clock.now += 95
    queue.claim(request.request_id, "counselor-ana")
    counts.helped_answer("no")
    counts.end_of_chat_tag(TYPED)
    text = counts.exposition().decode()
    hashes = queue.key_ring.all_conversation_hashes("conversation-7f3a9c")
    check_nothing_identifies(
        text, "conversation-7f3a9c", request.request_id, "counselor-ana", TYPED, *hashes
    )
    assert str(int(clock.now)) not in text and "1700000" not in text  # no time of day
    # Every series is there from the start, at zero: a new one appearing would tell something.
    assert 'haven_end_of_chat_tags_total{tag="just_talking"}' in text
    assert 'haven_plan_steps_reached_total{step="8"}' in text


def test_the_check_of_the_output_catches_an_id_and_a_free_label():
    # The check above must be able to fail: a series with an id in it, or a text as label.
    with pytest.raises(AssertionError):
        check_nothing_identifies('haven_x_total{conversation="c-7f3a9c"} 1.0\n')
    with pytest.raises(AssertionError):
        check_nothing_identifies('haven_end_of_chat_tags_total{tag="coach"} 1.0\n')
    with pytest.raises(AssertionError):
        check_nothing_identifies("haven_x_total 1.0\n", "1.0")


# --- the endpoint ----------------------------------------------------------------------------


def request(ip: str = "127.0.0.1", **headers: str):
    """What `MetricsEndpoint.answer` reads of a Sanic request: the peer address and headers."""
    return SimpleNamespace(
        ip=ip, headers={k.lower().replace("_", "-"): v for k, v in headers.items()}
    )


def bearer(token: str = TOKEN) -> dict:
    return {"authorization": f"Bearer {token}"}


def endpoint(**environ: str) -> MetricsEndpoint:
    return MetricsEndpoint(MetricsSettings.load(environ))


def test_the_endpoint_is_closed_without_a_token_whatever_is_sent():
    closed = endpoint()
    assert closed.answer(request(**bearer())).status == 404
    assert endpoint(HAVEN_METRICS_REMOTE="1").answer(request(**bearer(""))).status == 404


def test_on_loopback_the_endpoint_asks_for_the_token_and_checks_it():
    opened = endpoint(HAVEN_METRICS_TOKEN=TOKEN)
    refused = opened.answer(request())
    assert refused.status == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert opened.answer(request(**bearer("x" * 44))).status == 401
    assert opened.answer(request(authorization=TOKEN)).status == 401  # not as a bearer token
    served = opened.answer(request(ip="::1", **bearer()))
    assert served.status == 200
    assert served.content_type.startswith("text/plain; version=")
    check_nothing_identifies(served.body.decode(), TOKEN)
    # OpenMetrics when the scraper asks for it, without the `_created` timestamps too.
    accept = "application/openmetrics-text; version=1.0.0"
    asked = opened.answer(request(accept=accept, **bearer()))
    assert asked.content_type.startswith("application/openmetrics-text")
    text = asked.body.decode()
    assert text.endswith("# EOF\n") and "_created" not in text
    assert "haven_handoff_claims_total " in text


def test_from_another_address_it_is_a_404_unless_the_deployment_opens_it():
    closed = endpoint(HAVEN_METRICS_TOKEN=TOKEN)
    for ip in ("10.0.0.7", "203.0.113.5", "", "not an address"):
        assert closed.answer(request(ip=ip, **bearer())).status == 404
    remote = endpoint(HAVEN_METRICS_TOKEN=TOKEN, HAVEN_METRICS_REMOTE="1")
    assert remote.answer(request(ip="10.0.0.7", **bearer())).status == 200
    assert remote.answer(request(ip="10.0.0.7")).status == 401


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
def test_a_request_through_the_public_proxy_is_never_answered(header):
    remote = endpoint(HAVEN_METRICS_TOKEN=TOKEN, HAVEN_METRICS_REMOTE="1")
    sent = {**bearer(), header.lower(): "203.0.113.5"}
    assert remote.answer(SimpleNamespace(ip="127.0.0.1", headers=sent)).status == 404


@pytest.mark.parametrize("token", ["short", "x" * 23])
def test_a_short_token_is_refused_in_one_sentence(token):
    with pytest.raises(ValueError, match=r"^HAVEN_METRICS_TOKEN must be .*\.$"):
        MetricsSettings.load({"HAVEN_METRICS_TOKEN": token})


def test_the_host_check_lets_metrics_through_for_its_token_to_decide():
    from haven.web.security_headers import host_check

    check = host_check({"localhost"})
    scrape = SimpleNamespace(method="GET", path="/metrics", headers={"host": "rasa-1:5005"})
    other = SimpleNamespace(method="GET", path="/counselor", headers={"host": "rasa-1:5005"})
    assert asyncio.run(check(scrape)) is None
    assert asyncio.run(check(other)).status == 421


@pytest.mark.filterwarnings("ignore:distutils Version classes:DeprecationWarning")  # sanic_cors
def test_the_action_server_serves_metrics_with_the_token_not_the_action_secret(monkeypatch):
    from haven.rasa_edge.action_server import create_action_app, secret_check

    monkeypatch.setenv("HAVEN_METRICS_TOKEN", TOKEN)
    app = create_action_app("s3cret-" + "x" * 40)
    assert app.router.find_route_by_view_name("haven_metrics")
    # The action secret's check lets /metrics through: its own token decides.
    unsent = SimpleNamespace(path="/metrics", method="GET", headers={})
    assert asyncio.run(secret_check("s3cret-" + "x" * 40)(unsent)) is None
    assert app.ctx.haven_metrics.answer(request()).status == 401
    assert app.ctx.haven_metrics.answer(request(**bearer())).status == 200


def test_an_answer_to_did_this_help_is_kept_in_the_database_and_counted_for_metrics(tmp_path):
    from haven.services import Services

    services = Services.from_environ(
        {"HAVEN_DATA_DIR": str(tmp_path), "HAVEN_KEYS": generate_key_line("k1")}
    )
    moves = Moves()
    services.count_helpfulness("a_bit")
    assert services.helpfulness.counts() == {"yes": 0, "a_bit": 1, "no": 0}
    assert moves.of("haven_helped_answers_total", answer="a_bit") == 1
