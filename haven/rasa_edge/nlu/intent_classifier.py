"""`MeaningAndSpellingClassifier`: the NLU component config.yml names for Haven's intents.

The classifier itself, its features, training, measurements and saved form, is
`haven.nlu.intent_model.IntentModel` (no Rasa import); this component hands it the training
examples and the messages, writes the ranking as Rasa's intent and intent ranking, and keeps the
model in Rasa's model storage.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from haven.nlu.intent_model import DEFAULT_CONFIG, IntentModel
from haven.rasa_edge import patches


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class MeaningAndSpellingClassifier(GraphComponent, IntentClassifier):
    """Logistic regression over TF-IDF n-grams and a sentence embedding (`IntentModel`)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """C, embedding_weight, encoder, max_iter, random_state (haven/nlu/intent_model.py)."""
        return dict(DEFAULT_CONFIG)

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: IntentModel | None = None,
    ) -> None:
        patches.install()  # every adapter Rasa builds puts Haven's patches in place
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model or IntentModel(self.config)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MeaningAndSpellingClassifier:
        """An untrained classifier."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the model on every example that has an intent, and saves it."""
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        self.model.fit([e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples])
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets the intent and the intent ranking of each message that has text."""
        if not self.model.trained:
            return messages
        with_text = []
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            intent = self.model.button_intent(text)
            if intent:
                self._set_ranking(message, [{"name": intent, "confidence": 1.0}])
            else:
                with_text.append(message)
        if with_text:
            rankings = self.model.rank([m.get(TEXT) for m in with_text])
            for message, ranking in zip(with_text, rankings, strict=True):
                self._set_ranking(message, ranking)
        return messages

    @staticmethod
    def _set_ranking(message: Message, ranking: list[dict[str, Any]]) -> None:
        message.set(INTENT, ranking[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

    def persist(self) -> None:
        """Saves the model into Rasa's model storage (JSON and .npz, no pickle)."""
        with self._model_storage.write_to(self._resource) as directory:
            self.model.save(directory)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> MeaningAndSpellingClassifier:
        """Loads a trained classifier; an untrained one if nothing was saved (no intents)."""
        full = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as directory:
                model = IntentModel.load(directory, full)
        except ValueError:  # Rasa's storage holds nothing for this resource
            model = IntentModel(full)
        return cls(config, model_storage, resource, model)
