"""The texts Haven's channels send themselves, in the young person's language and region.

An empty message, one too long, too fast, a service error, and the notices of a handoff:
`channel:` in content/languages/<language>/language.yml, rendered with the help lines of the region
the message's metadata names (English and help lines that work anywhere by default). Used by both
channels (haven/rasa_edge/) and the counselor console; no Rasa import.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from haven.nlu.locale_finding import LocaleFinder
from haven.packs.content import content
from haven.packs.render import Renderer

CHANNEL_MESSAGES = (
    "empty_message",
    "message_too_long",
    "service_error",
    "too_fast",
    "handoff_joined",
    "handoff_transferred",
    "handoff_back_to_bot",
    "handoff_ended",
    "handoff_crisis",
    "handoff_not_delivered",
)
"""What the channel says itself: `channel:` in content/languages/<language>/language.yml."""

NOTICES: dict[str, frozenset[str]] = {
    "queue_next": frozenset(),
    "queue_place": frozenset({"place"}),
    "wait_estimate": frozenset({"minutes"}),
    "wait_usual": frozenset({"minutes"}),
    "wait_nobody_online": frozenset(),
    "request_expired": frozenset(),
    "counselors_offline": frozenset(),
    "meanwhile_button": frozenset(),
    "confidential": frozenset(),
    "helpful_question": frozenset(),
    "helpful_yes": frozenset(),
    "helpful_a_bit": frozenset(),
    "helpful_no": frozenset(),
    "helpful_thanks": frozenset(),
}
"""What the web chat says about waiting for a counselor and after a chat (haven/handoff/waiting.py):
`notices:` in language.yml, each with the numbers it may use besides the region's help lines."""


@lru_cache(maxsize=1)
def renderer_and_finder() -> tuple[Renderer, LocaleFinder]:
    """The renderer and locale finder of the default packs, built once per process."""
    packs = content()
    return Renderer(packs), LocaleFinder(packs)


def load_channel_messages(metadata: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The texts the channel sends itself (empty message, too long, error), in the language and
    with the help lines of the region the metadata names (English and anywhere by default)."""
    renderer, finder = renderer_and_finder()
    language = finder.language_from_metadata(metadata)
    region = finder.region_from_metadata(metadata)
    return {
        key: renderer.channel_message(key, language=language, region=region)
        for key in CHANNEL_MESSAGES
    }
