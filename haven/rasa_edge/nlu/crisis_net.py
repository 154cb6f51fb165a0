"""`CrisisSafetyNet`: the NLU pipeline's last word on crisis messages.

It runs after the intent classifier and the FallbackClassifier (see `config.yml`). When
`haven.nlu.crisis_patterns.mentions_crisis` matches, the message's intent becomes `crisis` with
confidence 1.0, whatever the classifier said, so the crisis rule in `data/rules/crisis.yml` fires.
The classifier's own guess stays visible in the intent ranking.

When no pattern matches and the message is a known figure of speech
(`haven.nlu.crisis_patterns.figure_of_speech`: "my mom is gonna kill me", "lmao im dead"), a
`crisis` from the classifier does not stand: the intent becomes `nlu_fallback` with `crisis` kept
first among the guesses, so the young person gets the gentle "are you safe right now?" with the
crisis lines (`haven.nlu.crisis_patterns.weak_crisis_signal`) and not the full crisis takeover. The
issue "Understanding v2" found the classifier giving such messages `crisis` at 0.8 and more.

Two more readings get that gentle check instead of what the classifier chose, so that a weak crisis
signal never falls through (config.yml sets both; `DEFAULT_CONFIG` holds the same values):

- `check_below`: a top guess weaker than this, with crisis among the top guesses
  (`weak_crisis_signal`). The FallbackClassifier's own threshold is lower (Rasa's default, 0.3),
  so a fairly sure "disclose_sextortion" at 0.4 is answered as that; but wherever a crisis signal
  is present, a guess under 0.45 gets "are you safe?" as it did when the threshold was 0.45.
- `turn_away_check`: an `out_of_scope` or `goodbye` (the replies that turn the young person away
  or close the chat) with `crisis` at this confidence or more among the guesses, unless the
  message is a known figure of speech. Everyday figures were added to the Spanish training
  examples on 2026-12-01, and one French crisis message the classifier had read as crisis at
  0.52 fell to `out_of_scope` at 0.59 with crisis 0.37 next to it; this rule catches that kind.

One step of Rasa 3.6 runs after every pipeline: `RegexMessageHandler`, the fixed `nlu_target` of
the default recipe, which replaces the reading of a message that starts like a button's payload
("/intent", "/intent@0.9", '/intent{"entity": "value"}') with the intent and entities it names,
and ignores whatever follows the payload. So "/greet{} i want to kill myself" would get the
greeting. `guard_payloads` (installed when the component is made, so wherever it is in the
pipeline) wraps that step:

- a message whose text mentions a crisis anywhere (after the payload, or inside its JSON) keeps
  the pipeline's reading, which this component set to `crisis`;
- a payload's entities are kept only when their value is a known code of the content packs
  (`LocaleFinder.known_entity`: a language or a region), so typed free text never reaches a slot,
  the store or a counselor's summary; any other entity is dropped;
- what the pipeline read from the channel's metadata (`language_hint`, `region_hint`, and
  `language` from a language picked in the widget's menu, all from `LocaleHints`) stays, unless
  the payload names its own: Rasa would drop it, and the widget's first message ("/greet") and
  its buttons would then come in English on a page set to another language, and a menu pick sent
  with a button's payload would be lost. (The pipeline never reads a `language` from the text of
  a payload, so this `language` can only come from the menu.)

Buttons' payloads ("/step_done", '/tell_region{"region": "uk"}') work as before.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from haven.nlu.crisis_patterns import (
    figure_of_speech,
    load_patterns,
    mentions_crisis,
    weak_crisis_signal,
)
from haven.nlu.locale_finding import shared_finder
from haven.rasa_edge import patches

CRISIS_INTENT = "crisis"
FROM_CHANNEL_METADATA = frozenset({"language", "language_hint", "region_hint"})
"""Entities `LocaleHints` reads from the channel's metadata on a payload, kept on it."""
FALLBACK_INTENT = "nlu_fallback"
TURNING_AWAY = frozenset({"out_of_scope", "goodbye"})
DEFAULT_CONFIG: dict[str, Any] = {"check_below": 0.45, "turn_away_check": 0.20}
"""check_below: a top guess under this with a crisis signal gets the safety check;
turn_away_check: the crisis confidence from which `out_of_scope` or `goodbye` gets it too."""
_UNPACK_PAYLOADS = RegexMessageHandler.process


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
        """Creates the component (it has nothing to train or load) and guards Rasa's payload
        step, so this component's reading of a crisis stands (see the module docstring).
        The crisis patterns are read now: a broken file stops the server at its start."""
        patches.install()  # every adapter Rasa builds puts Haven's patches in place
        guard_payloads()
        load_patterns()
        return cls(config)

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = {**DEFAULT_CONFIG, **(config or {})}

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The thresholds of the safety check (see the module docstring)."""
        return dict(DEFAULT_CONFIG)

    def process(self, messages: list[Message]) -> list[Message]:
        """Marks every message that mentions a crisis as the `crisis` intent, and gives the
        gentle safety check to a figure of speech read as crisis and to a weak crisis signal."""
        for message in messages:
            text = message.get(TEXT)
            if mentions_crisis(text):
                _force_crisis_intent(message)
            elif _intent_name(message) == CRISIS_INTENT and figure_of_speech(text):
                _downgrade_to_safety_check(message)
            elif self._weak_signal_left_standing(message, text):
                _downgrade_to_safety_check(message)
        return messages

    def _weak_signal_left_standing(self, message: Message, text: str | None) -> bool:
        """A crisis signal under a weak guess, or under a reply that turns them away."""
        intent = message.get(INTENT) or {}
        name = intent.get(INTENT_NAME_KEY)
        if name in (None, FALLBACK_INTENT):
            return False
        ranking = message.get(INTENT_RANKING_KEY) or [intent]
        if float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0) < self.config["check_below"]:
            return weak_crisis_signal(ranking)
        if name not in TURNING_AWAY:
            return False
        crisis = max(
            (
                float(guess.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
                for guess in ranking
                if guess.get(INTENT_NAME_KEY) == CRISIS_INTENT
            ),
            default=0.0,
        )
        return crisis >= self.config["turn_away_check"] and not figure_of_speech(text)


def _intent_name(message: Message) -> str | None:
    return (message.get(INTENT) or {}).get(INTENT_NAME_KEY)


def _downgrade_to_safety_check(message: Message) -> None:
    """`nlu_fallback` in front, the classifier's ranking kept after it, so `weak_crisis_signal`
    holds (crisis is among its top three guesses)."""
    crisis = message.get(INTENT)
    fallback = {
        INTENT_NAME_KEY: FALLBACK_INTENT,
        PREDICTED_CONFIDENCE_KEY: crisis.get(PREDICTED_CONFIDENCE_KEY, 0.0),
    }
    ranking = [
        entry
        for entry in message.get(INTENT_RANKING_KEY) or [crisis]
        if entry.get(INTENT_NAME_KEY) != FALLBACK_INTENT
    ]
    message.set(INTENT, fallback, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [fallback, *ranking], add_to_output=True)


def _force_crisis_intent(message: Message) -> None:
    crisis = {INTENT_NAME_KEY: CRISIS_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
    ranking = [
        entry
        for entry in message.get(INTENT_RANKING_KEY) or []
        if entry.get(INTENT_NAME_KEY) != CRISIS_INTENT
    ]
    message.set(INTENT, crisis, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [crisis, *ranking], add_to_output=True)


def guard_payloads() -> None:
    """Wraps `RegexMessageHandler.process` with `checked_payload` (idempotent)."""
    RegexMessageHandler.process = _guarded_process


def _guarded_process(  # type: ignore[no-untyped-def]  # `self`: see below
    self, messages: list[Message], domain: Domain | None = None
) -> list[Message]:
    # `self` stays unannotated: Rasa's graph validation reads the type hints of `process` and
    # takes an annotated parameter for an input the graph must provide, so the next model
    # trained in this process (a cross-validation fold) would be refused.
    unpacked = _UNPACK_PAYLOADS(self, messages, domain)
    return [checked_payload(typed, read) for typed, read in zip(messages, unpacked, strict=True)]


def checked_payload(typed: Message, read: Message) -> Message:
    """Rasa's reading `read` of the message `typed` (the pipeline's), made safe: a crisis in the
    text keeps the crisis reading, and a payload keeps only the entities with known values."""
    if read is typed:  # not a payload: the pipeline's reading stands
        return typed
    if mentions_crisis(typed.get(TEXT)):
        _force_crisis_intent(typed)
        return typed
    kept = known_entities(read.get(ENTITIES) or [])
    named = {entity.get(ENTITY_ATTRIBUTE_TYPE) for entity in kept}
    hints = [
        entity
        for entity in typed.get(ENTITIES) or []
        if entity.get(ENTITY_ATTRIBUTE_TYPE) in FROM_CHANNEL_METADATA - named
    ]
    read.set(ENTITIES, kept + known_entities(hints), add_to_output=True)
    return read


def known_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entities whose value names a known code, with the code as their value."""
    finder = shared_finder()
    kept = []
    for entity in entities:
        code = finder.known_entity(
            entity.get(ENTITY_ATTRIBUTE_TYPE), entity.get(ENTITY_ATTRIBUTE_VALUE)
        )
        if code is not None:
            kept.append({**entity, ENTITY_ATTRIBUTE_VALUE: code})
    return kept
