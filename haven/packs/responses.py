"""Response texts the actions need themselves (step headlines), in the conversation's language.

Every other response is rendered by Rasa through `haven.rasa_edge.nlg.ContentPackNLG`; the actions
only need the first line of a step ("Step 3: Save evidence before you block.") to list progress.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from haven.nlu.locale_finding import effective_language
from haven.packs.content import content
from haven.packs.render import Renderer


@lru_cache(maxsize=1)
def _renderer() -> Renderer:
    return Renderer(content())


def headline(key: str, slots: Mapping[str, Any]) -> str:
    """The first line of response `key` in the conversation's language, for its age band.

    Raises KeyError when the packs have no such response: a content bug that
    `make check-content` is there to catch, not something to paper over at run time.
    """
    renderer = _renderer()
    language = effective_language(slots, renderer.packs)
    return renderer.headline(key, language=language, slots=slots)
