"""Reading response texts from the domain that Rasa sends to the action server."""

from __future__ import annotations

from typing import Any


def response_text(domain: dict[str, Any], key: str) -> str:
    """The text of the first variation of response `key` that has one.

    Raises KeyError when the domain has no text for `key`: a missing response is a content bug
    that tests/test_content.py is there to catch, not something to paper over at run time.
    """
    for variation in domain.get("responses", {}).get(key) or []:
        if variation.get("text"):
            return str(variation["text"])
    raise KeyError(f"the domain has no text for response {key!r}")


def headline(domain: dict[str, Any], key: str) -> str:
    """The first line of response `key` (for a step: "Step 3: Save evidence before you block.")."""
    return response_text(domain, key).split("\n", 1)[0].strip()
