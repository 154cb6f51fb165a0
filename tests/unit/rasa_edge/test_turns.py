"""The turn ladder (haven/rasa_edge/turns.py), each rung through both channels, without a server:
the REST webhook's handler and the web chat's `user_uttered` handler, with a stand-in for Rasa.
"""

import asyncio
import json
import logging
from types import SimpleNamespace

import pytest

from haven.handoff.relay import HandoffRelay
from haven.nlu import crisis_patterns
from haven.packs.channel_messages import load_channel_messages
from haven.rasa_edge.rest_channel import HavenRestInput
from haven.rasa_edge.widget_channel import HavenWidgetInput
from haven.storage.conversations import DatabaseUnavailable
from haven.storage.redis_clients import LockStoreUnavailable
from haven.web.rate_limits import MessageRateLimiter, RateLimits
from haven.web.widget_protocol import ConversationTokens

TYPED = "zebrafish marmalade"  # never in a log
FAILED_ACTION = "Encountered an exception while running action 'action_plan_move'.Bot will continue"


def through_rest(on_new_message, limiter, text, region="gb"):
    """(the texts the user got, the HTTP status) from the REST channel."""
    channel = HavenRestInput(limiter=limiter)
    (route,) = [r for r in channel.blueprint(on_new_message)._future_routes if r.uri == "/webhook"]
    raw = json.dumps({"sender": "s1", "message": text, "metadata": {"region": region}})
    reply = asyncio.run(route.handler(SimpleNamespace(body=raw.encode(), remote_addr="10.0.0.9")))
    return [message["text"] for message in json.loads(reply.body)], reply.status


def through_widget(on_new_message, limiter, text, region="gb"):
    """(the texts the user got, None: an acknowledgement has no status) from the web chat."""
    channel = HavenWidgetInput(
        tokens=ConversationTokens([b"k" * 32]),
        relay=HandoffRelay(),
        limiter=limiter,
        leave_grace_seconds=0,
    )
    channel.blueprint(on_new_message)

    async def get_session(sid):
        return {"conversation": "c1"}

    channel.sio.get_session = get_session
    handler = channel.sio.handlers["/"]["user_uttered"]
    data = {"message": text, "seq": 1, "metadata": {"region": region}}
    ack = asyncio.run(handler("sid-1", data))
    assert ack["ok"] is True and ack["seq"] == 1
    return [message["text"] for message in ack["messages"]], None


CHANNELS = {"rest": through_rest, "widget": through_widget}


@pytest.fixture(params=sorted(CHANNELS))
def send(request):
    def send(on_new_message, text=TYPED, limiter=None):
        limiter = limiter or MessageRateLimiter(RateLimits(per_conversation=60, per_address=600))
        return CHANNELS[request.param](on_new_message, limiter, text)

    send.channel = request.param
    return send


def status(send, rest_status):
    """What the channel's status is for a rung: REST's HTTP status; the web chat has none."""
    return rest_status if send.channel == "rest" else None


def turn_records(caplog):
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name.endswith(".turns")]


GB = load_channel_messages({"region": "gb"})


def test_an_answer_reaches_the_user_after_one_scan_inside_encode_ahead(send):
    seen = []

    async def rasa(message):
        seen.append((message.text, crisis_patterns._scans.get() is not None))
        await message.output_channel.send_text_message(message.sender_id, "hello")

    assert send(rasa) == (["hello"], status(send, 200))
    assert seen == [(TYPED, True)]  # within one_scan_per_message, which encode_ahead opens


def test_over_the_rate_limit_gets_too_fast_without_reaching_rasa(send, caplog):
    caplog.set_level(logging.INFO)
    reached = []

    async def rasa(message):
        reached.append(len(message.text))
        await message.output_channel.send_text_message(message.sender_id, "ok")

    limiter = MessageRateLimiter(RateLimits(per_conversation=12, per_address=120))
    long = ("he keeps asking for money " * 400)[:9_999]  # counts as 10 of the conversation's 12
    assert send(rasa, long, limiter) == (["ok"], status(send, 200))
    assert send(rasa, "hi", limiter) == (["ok"], status(send, 200))  # 11 of 12
    assert send(rasa, long, limiter) == ([GB["too_fast"]], status(send, 429))
    assert reached == [9_999, 2]
    assert turn_records(caplog) == [
        ("INFO", "A message over the rate limit got the too_fast message.")
    ]


def test_an_empty_message_is_answered_kindly_without_rasa(send, caplog):
    async def rasa(message):
        raise AssertionError("an empty message reaches Rasa")

    assert send(rasa, "   \n") == ([GB["empty_message"]], status(send, 200))
    assert turn_records(caplog) == []


@pytest.mark.parametrize(
    ("failure", "rest_status", "level"),
    [
        ("action", 503, "WARNING"),
        (DatabaseUnavailable("The database is unavailable."), 503, "WARNING"),
        (LockStoreUnavailable("Redis is down."), 503, "WARNING"),
        (KeyError(TYPED), 500, "ERROR"),
    ],
    ids=["action_failed", "database", "redis", "anything_else"],
)
def test_every_failure_gets_the_service_error_with_the_regions_crisis_lines(
    send, caplog, failure, rest_status, level
):
    async def rasa(message):
        if failure == "action":
            logging.getLogger("rasa.core.processor").error(FAILED_ACTION)
            raise AssertionError("the failed action did not end the turn")
        raise failure

    texts, got_status = send(rasa)
    assert texts == [GB["service_error"]] and "0800 1111" in texts[0]
    assert got_status == status(send, rest_status)
    ((logged_level, logged),) = turn_records(caplog)
    assert logged_level == level  # the same in both channels
    assert TYPED.split()[0] not in caplog.text
    if failure != "action":
        assert type(failure).__name__ in logged


def test_the_assistant_saying_nothing_gets_the_service_error(send, caplog):
    async def rasa(message):
        return None

    assert send(rasa) == ([GB["service_error"]], status(send, 200))
    assert [level for level, _ in turn_records(caplog)] == ["WARNING"]
