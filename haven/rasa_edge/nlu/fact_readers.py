"""`TextFactReader`: what the NLU components that read facts from a message have in common.

`StatedAge` (haven/rasa_edge/nlu/stated_age.py) and `AskedQuestions`
(haven/rasa_edge/nlu/asked_questions.py) each run a deterministic reader from the Rasa-free core
over the typed text and add what it finds as entities of one type, replacing any earlier ones of
that type. Neither learns anything, and a button's payload ("/step_done") is never read as text.
Rasa's `EntityExtractorMixin` only formats entities; the reading and the replacing are the same for
both, so they live here once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rasa.engine.graph import GraphComponent
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from haven.rasa_edge import patches


class TextFactReader(GraphComponent, EntityExtractorMixin):
    """Adds the values `values_in(text)` finds as entities of type `entity`."""

    entity: ClassVar[str]

    def __init__(self, reader: Any) -> None:
        patches.install()  # every adapter Rasa builds puts Haven's patches in place
        self.reader = reader

    def values_in(self, text: str) -> Iterable[str]:
        """The values this component reads in a typed message (none: an empty iterable)."""
        raise NotImplementedError

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the entities to each message that states something (a payload states nothing)."""
        for message in messages:
            text = message.get(TEXT) or ""
            values = [] if text.startswith("/") else list(self.values_in(text))
            if not values:
                continue
            kept = [e for e in message.get(ENTITIES) or [] if e.get("entity") != self.entity]
            found = [
                {
                    ENTITY_ATTRIBUTE_TYPE: self.entity,
                    ENTITY_ATTRIBUTE_VALUE: value,
                    ENTITY_ATTRIBUTE_START: 0,
                    ENTITY_ATTRIBUTE_END: 0,
                    ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                    EXTRACTOR: self.__class__.__name__,
                }
                for value in values
            ]
            message.set(ENTITIES, kept + found, add_to_output=True)
        return messages
