"""`AskedQuestions`: the NLU component that finds the questions a message asks (`bot.questions`).

The classifier gives one intent per message; a disclosure that also asks "how do I get them taken
down" needs a second reading, or the question is dropped. This component adds one `question`
entity per topic the message raises (`takedown`, `delete_account`, ...), which
`action_answer_questions` answers before the plan's step. Only the topic names become entities:
the text is never copied.
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
from bot.questions import QuestionReader

QUESTION_ENTITY = "question"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class AskedQuestions(GraphComponent, EntityExtractorMixin):
    """Adds a `question` entity for each question topic a message raises."""

    def __init__(self, reader: QuestionReader) -> None:
        self.reader = reader

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> AskedQuestions:
        """Reads the content packs (each language's `questions:` cues); nothing to train."""
        return cls(QuestionReader(content()))

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the entities to each message that asks something (a button's payload asks none)."""
        for message in messages:
            text = message.get(TEXT) or ""
            topics = () if text.startswith("/") else self.reader.read(text)
            if not topics:
                continue
            kept = [e for e in message.get(ENTITIES) or [] if e.get("entity") != QUESTION_ENTITY]
            asked = [
                {
                    ENTITY_ATTRIBUTE_TYPE: QUESTION_ENTITY,
                    ENTITY_ATTRIBUTE_VALUE: topic,
                    ENTITY_ATTRIBUTE_START: 0,
                    ENTITY_ATTRIBUTE_END: 0,
                    ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                    EXTRACTOR: self.__class__.__name__,
                }
                for topic in topics
            ]
            message.set(ENTITIES, kept + asked, add_to_output=True)
        return messages
