"""The NGO's counts on a real Haven: both processes' `/metrics` refuse without the token and follow
a young person who chats, asks for a person and is claimed, holding nothing of them."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest

from tests.support.counselor_console import PASSWORD, Browser
from tests.support.metrics import TOKEN, TYPED, check_nothing_identifies
from tests.support.running_haven import disconnect, haven_with_counselor, new_sender, texts

pytestmark = pytest.mark.server

# --- on a real Haven -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def haven(tmp_path_factory):

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HAVEN_METRICS_TOKEN", TOKEN)
        running = haven_with_counselor(tmp_path_factory.mktemp("metrics"), "ana", PASSWORD)
    yield running
    running.stop()


def scrape(port: int, token: str | None = TOKEN, **headers: str) -> tuple[int, str]:
    sent = {**headers, **({"Authorization": f"Bearer {token}"} if token else {})}
    call = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=sent)
    try:
        with urllib.request.urlopen(call, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def parse(text: str) -> dict:
    found = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            series, number = line.rsplit(" ", 1)
            found[series] = float(number)
    return found


class Scrapes:
    """Both processes' series, summed as the NGO's Prometheus sums them, and their changes."""

    def __init__(self, haven) -> None:
        self.haven = haven
        self.before = self.now()

    def now(self) -> dict:
        total: dict = {}
        for port in (self.haven.rasa_port, self.haven.action_port):
            status, text = scrape(port)
            assert status == 200, text
            for series, number in parse(text).items():
                total[series] = total.get(series, 0.0) + number
        return total

    def moved(self) -> dict:
        now = self.now()
        return {
            k: now[k] - self.before.get(k, 0.0) for k in now if now[k] != self.before.get(k, 0.0)
        }


def test_both_servers_refuse_metrics_without_the_token_or_through_the_proxy(haven):
    for port in (haven.rasa_port, haven.action_port):
        assert scrape(port, token=None)[0] == 401
        assert scrape(port, token="y" * 40)[0] == 401
        assert scrape(port, **{"X-Forwarded-For": "203.0.113.5"})[0] == 404
        assert scrape(port, token=None, Host="evil.example")[0] == 401  # the token decides
        status, text = scrape(port)
        assert status == 200 and "haven_conversations_started_total" in text


def test_the_counts_follow_a_real_conversation_and_hold_nothing_of_it(haven):
    from tests.integration.test_handoff_server import young_person

    scrapes = Scrapes(haven)
    sender = new_sender()
    said = [texts(haven.say(sender, "hi")), texts(haven.say(sender, TYPED))]
    said.append(texts(haven.say(sender, "/step_done")))
    said.append(texts(haven.say(sender, "i just want to end it all")))
    said.append(texts(haven.say(sender, "im dead meat")))  # a figure of speech: the gentle check
    assert "Step 1" in said[1] and "Step 2" in said[2]
    assert said[3].startswith("I'm really glad you told me")

    counselor = Browser(haven.rasa_port)
    assert counselor.login("ana")[0].status == 303

    async def handoff() -> str:
        client, _ = await young_person(haven)
        await client.call("user_uttered", {"message": "/request_human", "seq": 1}, timeout=60)
        state = json.loads(counselor.request("GET", "/counselor/api/state")[1])
        waiting = state["queue"][0]["id"]
        assert counselor.post("/counselor/api/claim", {"id": waiting})[0] == 200
        # With a counselor, crisis words get the crisis lines from the channel: counted too.
        said = await client.call("user_uttered", {"message": "i want to die", "seq": 2}, timeout=30)
        assert "The counselor is reading your message" in said["messages"][0]["text"]
        await disconnect(client)
        return client.conversation_id

    widget_conversation = asyncio.run(handoff())
    moved = scrapes.moved()
    crisis_replies = sum(part.count("I'm really glad you told me") for part in said)
    gentle_checks = sum(part.count("I want to check that you're okay") for part in said)
    # "im dead meat" gets the gentle check from the trained model with CrisisSafetyNet
    # (as in tests/conversations/test_localized_conversations.py); if a retrained model reads
    # it otherwise, this says so.
    assert gentle_checks == 1, f"no gentle safety check for a figure of speech: {said[-1]!r}"
    assert moved == {
        "haven_conversations_started_total": 2,  # the REST chat and the web chat
        'haven_plan_steps_reached_total{step="1"}': 1,
        'haven_plan_steps_reached_total{step="2"}': 1,
        'haven_crisis_replies_total{kind="direct"}': crisis_replies + 1,
        'haven_crisis_replies_total{kind="gentle"}': gentle_checks,
        'haven_handoff_requests_total{risk="no"}': 1,
        "haven_handoff_claims_total": 1,
        'haven_handoff_wait_seconds_bucket{le="60.0"}': 1,
        'haven_handoff_wait_seconds_bucket{le="300.0"}': 1,
        'haven_handoff_wait_seconds_bucket{le="900.0"}': 1,
        'haven_handoff_wait_seconds_bucket{le="1800.0"}': 1,
        'haven_handoff_wait_seconds_bucket{le="3600.0"}': 1,
        'haven_handoff_wait_seconds_bucket{le="+Inf"}': 1,
        "haven_handoff_wait_seconds_count": 1,
    }
    for port in (haven.rasa_port, haven.action_port):
        text = scrape(port)[1]
        check_nothing_identifies(text, sender, widget_conversation, "ana", TYPED, "Pellinore")
