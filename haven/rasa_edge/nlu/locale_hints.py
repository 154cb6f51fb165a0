"""`LocaleHints`: the NLU component that finds the language and the region of each message.

It runs after the intent classifier (it needs the intent to tell "vivo en México", a place with
no pack, from any other mention) and adds `language`, `language_hint`, `region` and
`region_hint` entities from `haven.nlu.locale_finding.LocaleFinder`; the slots of the same names are
filled from them (domain.yml). It reads the message's channel metadata (`language`, `region`,
`locale`) and never anything about the device or its address.
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
    INTENT,
    INTENT_NAME_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from haven.nlu.locale_finding import LocaleFinder
from haven.packs.content import content
from haven.rasa_edge import patches

METADATA = "metadata"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LocaleHints(GraphComponent, EntityExtractorMixin):
    """Adds language and region entities from what the user says and the channel's metadata."""

    def __init__(self, finder: LocaleFinder) -> None:
        patches.install()  # every adapter Rasa builds puts Haven's patches in place
        self.finder = finder

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LocaleHints:
        """Reads the content packs (their word lists); nothing to train."""
        return cls(LocaleFinder(content()))

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the entities to each message."""
        for message in messages:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            found = self.finder.read(message.get(TEXT), message.get(METADATA), intent)
            if not found:
                continue
            kept = [e for e in message.get(ENTITIES) or [] if e.get("entity") not in found]
            added = [
                {
                    ENTITY_ATTRIBUTE_TYPE: entity,
                    ENTITY_ATTRIBUTE_VALUE: value,
                    ENTITY_ATTRIBUTE_START: 0,
                    ENTITY_ATTRIBUTE_END: 0,
                    ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                    EXTRACTOR: self.__class__.__name__,
                }
                for entity, value in found.items()
            ]
            message.set(ENTITIES, kept + added, add_to_output=True)
        return messages
