"""`CrisisSafetyNet`: the NLU pipeline's last word on crisis messages.

It runs after the intent classifier and the FallbackClassifier (see `config.yml`). When
`bot.safety.mentions_crisis` matches, the message's intent becomes `crisis` with confidence 1.0,
whatever the classifier said, so the crisis rule in `data/rules/crisis.yml` fires. The classifier's
own guess stays visible in the intent ranking.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.safety import mentions_crisis

CRISIS_INTENT = "crisis"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class CrisisSafetyNet(GraphComponent, IntentClassifier):
    """Overrides the predicted intent with `crisis` when the crisis patterns match."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Runs after an intent classifier, whose result it may override."""
        return [IntentClassifier]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrisisSafetyNet:
        """Creates the component; it has nothing to train or load."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Marks every message that mentions a crisis as the `crisis` intent."""
        for message in messages:
            if mentions_crisis(message.get(TEXT)):
                _force_crisis_intent(message)
        return messages


def _force_crisis_intent(message: Message) -> None:
    crisis = {INTENT_NAME_KEY: CRISIS_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
    ranking = [
        entry
        for entry in message.get(INTENT_RANKING_KEY) or []
        if entry.get(INTENT_NAME_KEY) != CRISIS_INTENT
    ]
    message.set(INTENT, crisis, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [crisis, *ranking], add_to_output=True)
