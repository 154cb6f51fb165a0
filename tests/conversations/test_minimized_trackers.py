"""The trained policies predict the same next action from a tracker the `EncryptedTrackerStore`
(haven/rasa_edge/tracker_store.py) stored minimized as from the full one, at every step of every
story of tests/conversations/stories/ (needs `make train`)."""

import asyncio
import uuid

import pytest
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

from haven.rasa_edge.tracker_store import EncryptedTrackerStore
from haven.storage.crypto import generate_key_line
from tests.support import PROJECT

pytestmark = pytest.mark.model

MODEL = PROJECT / "models" / "haven.tar.gz"


def test_the_trained_policies_predict_the_same_from_minimized_trackers(tmp_path):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    from rasa.core.agent import Agent
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.core.training_data.structures import StoryGraph

    agent = Agent.load(str(MODEL))
    steps = []
    for path in sorted((PROJECT / "tests" / "conversations" / "stories").glob("*.yml")):
        steps += YAMLStoryReader(agent.domain).read_from_file(str(path))
    stories = TrainingDataGenerator(
        StoryGraph(steps), agent.domain, remove_duplicates=False, augmentation_factor=0
    ).generate_story_trackers()
    # The forget action would delete the tracker mid-story; this test is about minimizing.
    environ = {
        "HAVEN_DB_URL": f"sqlite:///{tmp_path / 'haven.db'}",
        "HAVEN_KEYS": generate_key_line("k1"),
    }
    store = EncryptedTrackerStore(domain=agent.domain, environ=environ, forget_action="-")

    compared = 0
    for story in stories:
        tracker = DialogueStateTracker(uuid.uuid4().hex, agent.domain.slots)
        for event in story.events:
            if isinstance(event, ActionExecuted) and tracker.events:
                asyncio.run(store.save(tracker))
                minimized = asyncio.run(store.retrieve(tracker.sender_id))
                full, _ = agent.processor.predict_next_with_tracker_if_should(tracker)
                small, _ = agent.processor.predict_next_with_tracker_if_should(minimized)
                assert (story.sender_id, small.name()) == (story.sender_id, full.name())
                compared += 1
            tracker.update(event, agent.domain)
    assert len(stories) >= 10 and compared >= 100
