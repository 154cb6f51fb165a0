"""`StatedAge`: the NLU component that reads the writer's stated age in every message.

The intent classifier guessed age from `adult_user` and read "im 14" as an adult; the age is now
read deterministically (`haven.nlu.facts.AgeReader`) and added as an `age_band` entity (`minor` or
`adult`), which fills the `age_band` slot at every turn (domain.yml). No intent sets that slot,
so a stated minor stays a minor until the writer states an adult age ("im 19"), and a message
that states no age leaves the slot as it was (unknown is treated as under 18). Only the band
becomes an entity: the age in years and the text are never stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from haven.nlu.facts import AgeReader
from haven.packs.content import content
from haven.rasa_edge.nlu.fact_readers import TextFactReader

AGE_BAND_ENTITY = "age_band"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class StatedAge(TextFactReader):
    """Adds an `age_band` entity when a message states the writer's age."""

    entity = AGE_BAND_ENTITY

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

    def values_in(self, text: str) -> Iterable[str]:
        """The stated age's band, `minor` or `adult`, if the message states one."""
        fact = self.reader.read(text)
        return [fact.band] if fact is not None else []
