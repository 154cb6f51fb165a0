"""The trained model understands the fresh user texts of tests/conversations/stories/.

`rasa test core` replays the stories with their labelled intents, so it checks the dialogue but
not the NLU. This test parses every `user:` text of the stories with the trained model and checks
that the labelled intent comes out, so the conversation tests also measure understanding of
messages the model never saw. Needs `make train` (marker `model`).
"""

import asyncio

import pytest
import yaml

from tests.support import PROJECT

MODEL = PROJECT / "models" / "haven.tar.gz"

pytestmark = pytest.mark.model


def labelled_texts() -> list[tuple[str, str]]:
    found = []
    for path in sorted((PROJECT / "tests" / "conversations" / "stories").glob("*.yml")):
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            for step in story["steps"]:
                text = (step.get("user") or "").strip()
                if text and not text.startswith("/"):
                    found.append((text, step["intent"]))
    return found


@pytest.fixture(scope="module")
def agent():
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    from rasa.core.agent import Agent

    return Agent.load(str(MODEL))


def test_the_stories_hold_enough_fresh_texts():
    assert len(labelled_texts()) >= 40


def test_every_fresh_text_is_understood(agent):
    wrong = []
    for text, intent in labelled_texts():
        parsed = asyncio.run(agent.parse_message(text))
        if parsed["intent"]["name"] != intent:
            wrong.append((text, intent, parsed["intent"]["name"]))
    assert wrong == []
