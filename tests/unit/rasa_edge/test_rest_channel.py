"""Input checks of the REST channel (haven/rasa_edge/rest_channel.py), without a running Rasa."""

import asyncio
import json

import pytest

from haven.packs.channel_messages import CHANNEL_MESSAGES, load_channel_messages
from haven.web.rest_checks import MAX_MESSAGE_CHARS, InvalidRequest, parse_rest_body


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


def test_a_normal_message_is_accepted():
    sender, text, metadata = parse_rest_body(body(sender="abc-1", message="hi"))
    assert (sender, text, metadata) == ("abc-1", "hi", {})


def test_only_language_region_and_locale_metadata_are_kept():
    raw = body(
        sender="s1",
        message="hi",
        metadata={
            "language": "en",
            "region": "US",
            "locale": "en-US",
            "ip": "1.2.3.4",
            "user_agent": "x",
        },
    )
    assert parse_rest_body(raw)[2] == {"language": "en", "region": "us", "locale": "en-US"}


@pytest.mark.parametrize(
    ("metadata", "kept"),
    [
        ({"region": "my secret diary"}, {}),  # free text, short enough to pass before
        ({"language": "diary", "locale": "xx-YY"}, {}),
        ({"language": "ES", "region": "GB"}, {"language": "es", "region": "uk"}),
        ({"locale": "es-MX"}, {"locale": "es-MX"}),  # both known: the locale as given
        ({"locale": "es-JP"}, {"language": "es"}),  # no pack for Japan: the language only
        ({"locale": "fr-FR"}, {"locale": "fr-FR"}),  # a French pack and a region for France
        ({"locale": "it-FR"}, {"region": "fr"}),  # no Italian pack: the region only
        ({"locale": "en-GB\n"}, {}),
        ({"locale": "en_gb"}, {"locale": "en-GB"}),
    ],
)
def test_metadata_keeps_known_codes_only(metadata, kept):
    assert parse_rest_body(body(sender="s1", message="hi", metadata=metadata))[2] == kept


def test_a_lone_surrogate_becomes_the_replacement_character():
    # JSON may escape a lone UTF-16 surrogate; no encoder (hash, cipher, log) accepts one.
    raw = b'{"sender": "s1", "message": "hi \\ud800 there \\ud83d\\ude00"}'
    text = parse_rest_body(raw)[1]
    assert text == "hi \ufffd there \U0001f600"
    text.encode("utf-8")  # no UnicodeEncodeError


@pytest.mark.parametrize("metadata", [None, [], "en", {"language": 5}, {"language": "x" * 100}])
def test_odd_metadata_is_dropped_not_an_error(metadata):
    assert parse_rest_body(body(sender="s1", message="hi", metadata=metadata))[2] == {}


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"not json", "JSON"),
        (b"\xff\xfe\x00binary", "JSON"),
        (b"[1, 2]", "JSON object"),
        (b'"hello"', "JSON object"),
        (body(message="hi"), "'sender'"),
        (body(sender="", message="hi"), "'sender'"),
        (body(sender="a b", message="hi"), "'sender'"),
        (body(sender="<script>", message="hi"), "'sender'"),
        (body(sender=12, message="hi"), "'sender'"),
        (body(sender="x" * 129, message="hi"), "'sender'"),
        (body(sender="s1"), "'message'"),
        (body(sender="s1", message=42), "'message'"),
        (body(sender="s1", message=["hi"]), "'message'"),
    ],
)
def test_malformed_requests_get_a_clear_400(raw, fragment):
    with pytest.raises(InvalidRequest) as caught:
        parse_rest_body(raw)
    assert caught.value.status == 400
    assert fragment in str(caught.value)


def test_a_message_over_the_limit_gets_a_413_with_a_kind_text():
    with pytest.raises(InvalidRequest) as caught:
        parse_rest_body(body(sender="s1", message="a" * (MAX_MESSAGE_CHARS + 1)))
    assert caught.value.status == 413
    assert str(caught.value) in load_channel_messages()


def test_a_message_at_the_limit_is_read():
    assert len(parse_rest_body(body(sender="s1", message="a" * MAX_MESSAGE_CHARS))[1]) == (
        MAX_MESSAGE_CHARS
    )


def test_a_huge_body_is_refused_before_parsing():
    with pytest.raises(InvalidRequest) as caught:
        parse_rest_body(b"{" + b" " * 70_000 + b"}")
    assert caught.value.status == 413


def test_null_characters_are_removed_and_markup_is_left_as_text():
    text = parse_rest_body(body(sender="s1", message="<b>hi</b>\x00"))[1]
    assert text == "<b>hi</b>"


def test_empty_text_is_valid_here_so_the_channel_can_answer_it_kindly():
    assert parse_rest_body(body(sender="s1", message="   "))[1] == "   "


def test_every_channel_message_is_plain_and_kind():
    messages = load_channel_messages()
    assert set(messages) == set(CHANNEL_MESSAGES) >= {"service_error", "too_fast", "handoff_joined"}
    assert all(text and "<" not in text for text in messages.values())
    # A failure or a refused message never hides the crisis line (a message too long to read
    # may be the one that says it); with no region, help that works anywhere.
    for key in ("service_error", "too_fast", "message_too_long"):
        assert "local emergency number" in messages[key]
        assert "childhelplineinternational.org" in messages[key]


def test_channel_messages_use_the_metadata_region_and_language():
    us = load_channel_messages({"region": "US"})
    assert "988" in us["service_error"] and "911" in us["service_error"]
    uk = load_channel_messages({"locale": "en-GB"})
    assert "999" in uk["service_error"] and "0800 1111" in uk["service_error"]


def test_deeply_nested_json_gets_a_clear_400_not_a_server_error():
    nested = b"[" * 30_000 + b"]" * 30_000  # under the body limit, deeper than the parser goes
    with pytest.raises(InvalidRequest) as refused:
        parse_rest_body(nested)
    assert refused.value.status == 400 and "JSON" in str(refused.value)


def test_a_sender_with_a_trailing_newline_is_refused():
    with pytest.raises(InvalidRequest) as refused:
        parse_rest_body(body(sender="abc-1\n", message="hi"))
    assert refused.value.status == 400


def rest_receive(channel, on_new_message):
    """The channel's webhook handler, called without a server."""
    (route,) = [r for r in channel.blueprint(on_new_message)._future_routes if r.uri == "/webhook"]
    return route.handler


def test_a_rest_sender_never_names_a_web_chat_conversation():
    from types import SimpleNamespace

    from haven.rasa_edge.rest_channel import HavenRestInput
    from haven.web.widget_protocol import ConversationTokens

    widget_id = ConversationTokens.new_conversation_id()
    handled = []

    async def on_new_message(message):
        handled.append(message.sender_id)
        await message.output_channel.send_text_message(message.sender_id, "hello")

    receive = rest_receive(HavenRestInput(), on_new_message)
    request = SimpleNamespace(body=body(sender=widget_id, message="hi"), remote_addr="127.0.0.1")
    reply = asyncio.run(receive(request))
    assert handled == [f"rest:{widget_id}"]  # its own conversation, not the web chat's
    assert json.loads(reply.body) == [{"recipient_id": widget_id, "text": "hello"}]
