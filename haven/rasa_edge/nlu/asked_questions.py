"""`AskedQuestions`: the NLU component that finds the questions a message asks
(`haven.nlu.questions`).

The classifier gives one intent per message; a disclosure that also asks "how do I get them taken
down" needs a second reading, or the question is dropped. This component adds one `question`
entity per topic the message raises (`takedown`, `delete_account`, ...), which
`action_answer_questions` answers before the plan's step. Only the topic names become entities:
the text is never copied.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from haven.nlu.questions import QUESTION_ENTITY, QuestionReader
from haven.packs.content import content
from haven.rasa_edge.nlu.fact_readers import TextFactReader


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class AskedQuestions(TextFactReader):
    """Adds a `question` entity for each question topic a message raises."""

    entity = QUESTION_ENTITY

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

    def values_in(self, text: str) -> Iterable[str]:
        """Each question topic the message raises."""
        return self.reader.read(text)
