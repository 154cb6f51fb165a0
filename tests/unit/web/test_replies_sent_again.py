"""A web chat message sent again after a lost acknowledgement gets the reply it already got
(haven/web/replies_sent_again.py), and only that very message does."""

import hashlib

from haven.web.replies_sent_again import RepliesSentAgain

REPLY = [{"text": "Step 1: don't pay."}]


def test_the_same_message_sent_again_gets_the_same_reply():
    replies = RepliesSentAgain()
    replies.remember("c1", replies.fingerprint(3, "they want money"), REPLY)
    assert replies.reply_to("c1", replies.fingerprint(3, "they want money")) == REPLY


def test_another_message_or_another_conversation_is_handled_anew():
    replies = RepliesSentAgain()
    replies.remember("c1", replies.fingerprint(3, "they want money"), REPLY)
    assert replies.reply_to("c1", replies.fingerprint(4, "they want money")) is None
    assert replies.reply_to("c1", replies.fingerprint(3, "they want more")) is None
    assert replies.reply_to("c2", replies.fingerprint(3, "they want money")) is None


def test_what_is_kept_is_bounded_and_the_oldest_goes_first():
    replies = RepliesSentAgain(max_conversations=2)
    for conversation in ("c1", "c2", "c3"):
        replies.remember(conversation, replies.fingerprint(1, "hi"), REPLY)
    assert len(replies) == 2
    assert replies.reply_to("c1", replies.fingerprint(1, "hi")) is None
    assert replies.reply_to("c3", replies.fingerprint(1, "hi")) == REPLY


def test_the_text_is_kept_only_as_a_digest_keyed_per_process():
    one, two = RepliesSentAgain(), RepliesSentAgain()
    _, digest = one.fingerprint(1, "my secret")
    assert digest != two.fingerprint(1, "my secret")[1]  # another process, another key
    assert digest not in (hashlib.blake2b(b"my secret", digest_size=16).digest(), b"my secret")


def test_text_that_is_not_valid_unicode_still_gets_a_fingerprint():
    replies = RepliesSentAgain()
    assert replies.fingerprint(1, "broken \ud800 text")[1]
