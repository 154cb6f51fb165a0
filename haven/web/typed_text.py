"""`typed_text`: what a person typed, made fit to handle before anything else reads it.

JSON (the REST body, Socket.IO frames, the console's requests) can carry a lone UTF-16 surrogate
(`"\\ud800"`): a crafted client sends one at will, and pasting or some input methods can produce
one. Python keeps it in the `str`, but nothing can encode it as UTF-8: hashing, encryption, the
database and log files all fail on it, and the error's repr quotes the whole message. So every
channel's parser (haven/web/rest_checks.py, haven/web/widget_protocol.py,
haven/handoff/relay.py, haven/handoff/console.py) passes what it got through `typed_text` first: a
surrogate pair written as two escapes becomes the character it encodes, a lone surrogate becomes
U+FFFD (the replacement character, what a browser shows for broken text), and NUL characters are
removed. The rest of the message is kept as typed, so the crisis check still reads every word.
"""

from __future__ import annotations

REPLACEMENT = "\ufffd"


def typed_text(text: str) -> str:
    """`text` as valid Unicode: lone surrogates replaced with U+FFFD, pairs joined, NULs gone."""
    if text.isascii():  # the common case, and nothing to repair
        return text.replace("\x00", "")
    # UTF-16 is where surrogates belong: a pair decodes to its character, a lone one to U+FFFD.
    repaired = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return repaired.replace("\x00", "")
