"""The web chat's rules, without a running Rasa: conversation ids and tokens, message checks, what
of Rasa's output reaches the browser, allowed origins (haven/web/widget_protocol.py), and the
channel's handlers (haven/rasa_edge/widget_channel.py).
"""

import asyncio

import pytest

from haven.handoff.relay import CounselorUnreachable, HandoffRelay
from haven.packs.channel_messages import load_channel_messages
from haven.rasa_edge.widget_channel import HavenWidgetInput
from haven.storage.crypto import KeyRing, generate_key_line
from haven.web.rate_limits import MessageRateLimiter, RateLimits
from haven.web.rest_checks import MAX_MESSAGE_CHARS, InvalidRequest
from haven.web.widget_protocol import (
    ConversationTokens,
    origin_checker,
    parse_widget_message,
    widget_messages,
)


@pytest.fixture
def tokens():
    return ConversationTokens([b"k" * 32])


def test_conversation_ids_are_random_and_long(tokens):
    ids = {tokens.new_conversation_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(conversation_id) == 32 for conversation_id in ids)


def test_only_the_issued_token_proves_a_conversation(tokens):
    mine, other = tokens.new_conversation_id(), tokens.new_conversation_id()
    token = tokens.token_for(mine)
    assert tokens.owns(mine, token)
    assert not tokens.owns(other, token)  # a token opens its own conversation only
    assert not tokens.owns(mine, tokens.token_for(other))
    assert not tokens.owns(mine, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not ConversationTokens([b"x" * 32]).owns(mine, token)  # another server's key


@pytest.mark.parametrize(
    ("conversation_id", "token"),
    [(None, None), ("", ""), (5, 5), (["a"], {"b": 1}), ("a" * 32, None), ("../../etc", "x")],
)
def test_odd_claims_own_nothing(tokens, conversation_id, token):
    assert not tokens.owns(conversation_id, token)


def test_tokens_survive_a_restart_and_a_key_rotation():
    old, new = generate_key_line("k1"), generate_key_line("k2")
    before = ConversationTokens(KeyRing.parse(old).token_keys())
    conversation_id = before.new_conversation_id()
    token = before.token_for(conversation_id)
    assert ConversationTokens(KeyRing.parse(old).token_keys()).owns(conversation_id, token)
    rotated = ConversationTokens(KeyRing.parse(f"{new},{old}").token_keys())
    assert rotated.owns(conversation_id, token)
    assert rotated.token_for(conversation_id) != token  # new tokens use the new key


def test_token_keys_are_not_the_storage_keys():
    ring = KeyRing.parse(generate_key_line("k1"))
    assert ring.token_keys()[0] != ring._keys["k1"].id_key


def test_a_normal_message_is_accepted():
    data = {"message": "hi", "seq": 3, "metadata": {"language": "es", "ip": "1.2.3.4"}}
    assert parse_widget_message(data) == ("hi", 3, {"language": "es"})


@pytest.mark.parametrize(
    "data",
    [
        None,
        "hi",
        b"\x00\xff",
        [1],
        {"message": "hi"},
        {"message": "hi", "seq": "1"},
        {"message": "hi", "seq": True},
        {"message": "hi", "seq": 0},
        {"message": "hi", "seq": 2**40},
    ],
)
def test_without_a_usable_sequence_number_the_message_is_refused(data):
    with pytest.raises(InvalidRequest) as caught:
        parse_widget_message(data)
    assert caught.value.status == 400
    assert str(caught.value) in load_channel_messages()


@pytest.mark.parametrize("message", [None, 5, ["hi"], {"text": "hi"}, b"\x89PNG\r\n"])
def test_a_message_that_is_not_text_gets_a_kind_reply(message):
    with pytest.raises(InvalidRequest) as caught:
        parse_widget_message({"message": message, "seq": 1})
    assert str(caught.value) == "empty_message"


def test_a_message_over_the_limit_gets_a_kind_reply():
    with pytest.raises(InvalidRequest) as caught:
        parse_widget_message({"message": "a" * (MAX_MESSAGE_CHARS + 1), "seq": 1})
    assert str(caught.value) == "message_too_long"


def test_null_characters_are_removed():
    assert parse_widget_message({"message": "h\x00i", "seq": 1})[0] == "hi"


def test_only_text_and_buttons_reach_the_browser():
    collected = [
        {"recipient_id": "x", "text": "Step 1", "buttons": [{"title": "Done", "payload": "/d"}]},
        {"recipient_id": "x", "image": "https://example.org/a.png"},
        {"recipient_id": "x", "custom": {"html": "<script>"}},
        {"recipient_id": "x", "text": "ok", "buttons": [{"payload": "/x"}, "odd", {"title": 5}]},
    ]
    assert widget_messages(collected) == [
        {"text": "Step 1", "buttons": [{"title": "Done", "payload": "/d"}]},
        {"text": "ok"},
    ]


def test_allowed_origins():
    allowed = origin_checker(["https://www.example.org"])
    host = {"HTTP_HOST": "haven.example.net"}
    assert allowed("https://www.example.org", host)
    assert allowed("https://haven.example.net", host)  # Haven's own pages
    assert allowed(None, host)  # not a browser
    assert not allowed("https://evil.example", host)
    assert not allowed("https://www.example.org.evil.example", host)


def test_unknown_credentials_are_refused():
    with pytest.raises(ValueError, match="allowed_origin"):
        HavenWidgetInput.from_credentials({"allowed_origin": ["https://example.org"]})


def test_frame_ancestors_must_be_origins():
    with pytest.raises(ValueError, match="frame_ancestors"):
        HavenWidgetInput.from_credentials({"frame_ancestors": ["https://a.org; script-src *"]})


def test_a_lone_surrogate_is_replaced_before_anything_reads_it():
    text = parse_widget_message({"message": "hi \ud800 there \udfff", "seq": 1})[0]
    assert text == "hi \ufffd there \ufffd"


def user_uttered_handler(tokens, on_new_message, limiter=None):
    """The channel's `user_uttered` handler, for a socket already in conversation "c1"."""
    channel = HavenWidgetInput(
        tokens=tokens, relay=HandoffRelay(), leave_grace_seconds=0, limiter=limiter
    )
    channel.blueprint(on_new_message)

    async def get_session(sid):
        return {"conversation": "c1"}

    channel.sio.get_session = get_session
    return channel, channel.sio.handlers["/"]["user_uttered"]


def test_a_lone_surrogate_is_answered_and_never_logged(tokens, caplog):
    seen = []

    async def answer(message):
        seen.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "ok")

    _, handler = user_uttered_handler(tokens, answer)
    typed = "zebrafish \ud83d marmalade"
    reply = asyncio.run(handler("sid-1", {"message": typed, "seq": 1}))
    assert reply == {"ok": True, "seq": 1, "messages": [{"text": "ok"}]}
    assert seen == ["zebrafish \ufffd marmalade"]
    # Sent again after a lost acknowledgement: the same reply, not handled twice.
    assert asyncio.run(handler("sid-1", {"message": typed, "seq": 1})) == reply
    assert seen == ["zebrafish \ufffd marmalade"]
    assert "zebrafish" not in caplog.text


def test_a_failure_in_the_handler_still_gets_a_kind_acknowledgement(tokens, caplog):
    async def answer(message):
        raise AssertionError("the bot is not reached")

    channel, handler = user_uttered_handler(tokens, answer)

    async def broken_relay(conversation_id, text):
        raise RuntimeError(f"relay broke on {text}")

    channel.relay.from_young_person = broken_relay
    reply = asyncio.run(handler("sid-1", {"message": "zebrafish marmalade", "seq": 7}))
    assert reply == {
        "ok": True,
        "seq": 7,
        "messages": [{"text": load_channel_messages()["service_error"]}],
    }
    assert "RuntimeError" in caplog.text and "zebrafish" not in caplog.text


def test_a_long_message_counts_as_several_against_the_conversations_limit(tokens):
    read = []

    async def answer(message):
        read.append(len(message.text))
        await message.output_channel.send_text_message(message.sender_id, "ok")

    limiter = MessageRateLimiter(RateLimits(per_conversation=20, per_address=120))
    _, handler = user_uttered_handler(tokens, answer, limiter)
    long = "he keeps asking for money " * 384  # 9,984 characters: counts as 10

    def send(seq, text):
        return asyncio.run(handler("sid-1", {"message": text, "seq": seq}))["messages"]

    assert send(1, long) == [{"text": "ok"}]
    assert send(2, long) == [{"text": "ok"}]  # 20 of the conversation's 20
    assert send(3, long) == [{"text": load_channel_messages()["too_fast"]}]
    assert read == [len(long.strip())] * 2


def test_new_conversations_are_limited_per_address_but_resuming_is_not(tokens):
    from haven.web.widget_protocol import NEW_CONVERSATIONS_PER_MINUTE

    channel = HavenWidgetInput(tokens=tokens, relay=HandoffRelay(), leave_grace_seconds=1)

    async def on_new_message(_message):
        return None

    channel.blueprint(on_new_message)
    sio = channel.sio
    sessions = {}

    async def get_session(sid):
        return sessions.setdefault(sid, {"address": channel.limiter.address_key("10.0.0.1")})

    async def save_session(sid, session):
        sessions[sid] = session

    async def in_room(sid, room):
        return None

    sio.get_session, sio.save_session = get_session, save_session
    sio.enter_room = sio.leave_room = in_room
    session_request = sio.handlers["/"]["session_request"]

    async def flood():
        return [
            await session_request(f"sid-{n}", {}) for n in range(NEW_CONVERSATIONS_PER_MINUTE + 5)
        ]

    replies = asyncio.run(flood())
    started = [reply for reply in replies if "session_id" in reply]
    assert len(started) == NEW_CONVERSATIONS_PER_MINUTE
    assert replies[-1] == {"ok": False, "error": "too_fast"}
    claim = {"session_id": started[0]["session_id"], "token": started[0]["token"]}
    resumed = asyncio.run(session_request("sid-again", claim))
    assert resumed["resumed"] is True


def test_a_message_the_counselors_process_did_not_take_is_said_not_delivered(tokens):
    async def answer(message):
        raise AssertionError("the bot is paused while a counselor has the chat")

    channel, handler = user_uttered_handler(tokens, answer)

    async def counselor_restarting(conversation_id, text):
        raise CounselorUnreachable(conversation_id)

    channel.relay.from_young_person = counselor_restarting
    reply = asyncio.run(handler("sid-1", {"message": "are you still there", "seq": 3}))
    (said,) = reply["messages"]
    assert reply["ok"] and said["text"].startswith("Your message didn't reach the counselor")
    assert "{" not in said["text"]  # the region's lines are filled in
