"""`StatedAge`: the NLU component that reads the writer's stated age in every message.

The intent classifier guessed age from `adult_user` and read "im 14" as an adult; the age is now
read deterministically (`bot.facts.AgeReader`) and added as an `age_band` entity (`minor` or
`adult`), which fills the `age_band` slot at every turn (domain.yml). No intent sets that slot,
so a stated minor stays a minor until the writer states an adult age ("im 19"), and a message
that states no age leaves the slot as it was (unknown is treated as under 18). Only the band
becomes an entity: the age in years and the text are never stored.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
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

from bot.content import content
from bot.facts import AgeReader

AGE_BAND_ENTITY = "age_band"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class StatedAge(GraphComponent, EntityExtractorMixin):
    """Adds an `age_band` entity when a message states the writer's age."""

    def __init__(self, reader: AgeReader) -> None:
        self.reader = reader

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> StatedAge:
        """Reads the content packs (each language's `facts:` words); nothing to train."""
        return cls(AgeReader(content()))

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the entity to each message that states an age (a button's payload states none)."""
        for message in messages:
            text = message.get(TEXT) or ""
            fact = None if text.startswith("/") else self.reader.read(text)
            if fact is None:
                continue
            kept = [e for e in message.get(ENTITIES) or [] if e.get("entity") != AGE_BAND_ENTITY]
            stated = {
                ENTITY_ATTRIBUTE_TYPE: AGE_BAND_ENTITY,
                ENTITY_ATTRIBUTE_VALUE: fact.band,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: 0,
                ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                EXTRACTOR: self.__class__.__name__,
            }
            message.set(ENTITIES, [*kept, stated], add_to_output=True)
        return messages
