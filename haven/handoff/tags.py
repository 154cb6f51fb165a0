"""End-of-chat tags: what a counselor ticks when a chat ends, for the NGO's counts.

The tags are a fixed list (`end_tags` in handoff.yml), never free text, so a count can never carry
anything a young person said. `count_end_tags` is the one call that counts them, as
`haven_end_of_chat_tags_total` on this process's /metrics (haven/metrics/counts.py).
"""

from __future__ import annotations

from collections.abc import Iterable


class UnknownTag(ValueError):
    """A tag that is not in handoff.yml's `end_tags`."""


def checked_end_tags(given: object, allowed: Iterable[str]) -> tuple[str, ...]:
    """The tags a console sent, each once, if all are in `allowed`; `UnknownTag` otherwise."""
    known = tuple(allowed)
    if given is None:
        return ()
    if not isinstance(given, list) or not all(isinstance(tag, str) for tag in given):
        raise UnknownTag("Tags are a list of names from handoff.yml's end_tags.")
    unknown = [tag for tag in given if tag not in known]
    if unknown:
        raise UnknownTag("Only the tags of handoff.yml's end_tags can be used.")
    return tuple(dict.fromkeys(given))


def count_end_tags(tags: Iterable[str]) -> None:
    """Counts one ended chat's tags (each already checked by `checked_end_tags`)."""
    from haven.metrics import counts

    for tag in tags:
        counts.end_of_chat_tag(tag)
