"""The dotted paths of before the move to `haven/` still work for one release, with a warning.

An NGO's own credentials.yml, endpoints.yml, config.yml and scripts name `bot.*` paths
(bot/__init__.py maps them). Each old path must give the very class or module of its new path
and a DeprecationWarning naming that new path; `python -m bot.<cli>` must still run. The
fixtures tests/fixtures/credentials-before-move.yml and endpoints-before-move.yml are the
project's files as they were before the move; tests/integration/test_old_dotted_paths.py starts
Haven with them.
"""

import importlib.util
import json
import subprocess
import sys

import pytest

from bot import MOVED
from tests.support import PROJECT

FIXTURES = PROJECT / "tests" / "fixtures"

OLD_CLASSES = {
    "bot.channels.HavenRestInput": "haven.rasa_edge.rest_channel.HavenRestInput",
    "bot.widget_channel.HavenWidgetInput": "haven.rasa_edge.widget_channel.HavenWidgetInput",
    "bot.tracker_store.EncryptedTrackerStore": (
        "haven.rasa_edge.tracker_store.EncryptedTrackerStore"
    ),
    "bot.lock_store.RedisUrlLockStore": "haven.rasa_edge.lock_store.RedisUrlLockStore",
    "bot.nlg.ContentPackNLG": "haven.rasa_edge.nlg.ContentPackNLG",
}
OLD_COMPONENTS = {
    "bot.intent_classifier.MeaningAndSpellingClassifier": "MeaningAndSpellingClassifier",
    "bot.nlu_localization.LocaleHints": "LocaleHints",
    "bot.nlu_facts.StatedAge": "StatedAge",
    "bot.nlu_questions.AskedQuestions": "AskedQuestions",
    "bot.nlu_safety_net.CrisisSafetyNet": "CrisisSafetyNet",
}

# Run in a fresh interpreter: a module imported once is not imported (nor warned about) again.
RESOLVE = """
import json, sys, warnings
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.utils.common import class_from_module_path
classes, components = json.loads(sys.argv[1]), json.loads(sys.argv[2])
found = {}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for old, new in classes.items():
        found[old] = class_from_module_path(old) is class_from_module_path(new)
    for old, name in components.items():
        found[old] = DefaultV1Recipe._from_registry(old).clazz.__name__ == name
print(json.dumps({"found": found, "warnings": [
    [w.category.__name__, str(w.message)] for w in caught
    if issubclass(w.category, DeprecationWarning) and "moved to" in str(w.message)
]}))
"""


def test_every_old_module_name_points_at_a_module_that_exists():
    missing = [old for old, new in MOVED.items() if importlib.util.find_spec(new) is None]
    assert missing == []
    assert sorted(path.name for path in (PROJECT / "bot").glob("*.py")) == ["__init__.py"]


def test_the_old_yaml_paths_give_the_new_classes_with_a_warning_naming_them():
    done = subprocess.run(
        [sys.executable, "-c", RESOLVE, json.dumps(OLD_CLASSES), json.dumps(OLD_COMPONENTS)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["found"] == dict.fromkeys({**OLD_CLASSES, **OLD_COMPONENTS}, True)
    said = "\n".join(message for _category, message in result["warnings"])
    assert {category for category, _message in result["warnings"]} == {"MovedModuleWarning"}
    for old in {**OLD_CLASSES, **OLD_COMPONENTS}:
        module = old.rsplit(".", 1)[0]
        assert f"{module} moved to {MOVED[module.removeprefix('bot.')]};" in said


def test_an_old_module_is_the_new_module_itself(recwarn):
    import bot.crypto

    import haven.storage.crypto

    assert bot.crypto is haven.storage.crypto
    assert bot.crypto.__name__ == "haven.storage.crypto"


def test_a_filter_set_before_the_import_keeps_its_say():
    # As pytest's "error" does: an old path used by Haven's own code or tests fails them.
    code = "import warnings; warnings.simplefilter('error'); import bot.crypto"
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 1
    assert "bot.MovedModuleWarning: bot.crypto moved to haven.storage.crypto;" in done.stderr


def test_an_unknown_old_name_is_not_found():
    with pytest.raises(ModuleNotFoundError):
        import bot.nothing_like_this  # noqa: F401


@pytest.mark.parametrize(
    "old, new",
    [
        ("bot.storage_cli", "haven.storage.cli"),
        ("bot.counselor_cli", "haven.handoff.cli"),
        ("bot.content_check", "haven.packs.content_check"),
        ("bot.action_server", "haven.rasa_edge.action_server"),
    ],
)
def test_python_dash_m_with_an_old_path_runs_the_new_module(old, new):
    done = subprocess.run(
        [sys.executable, "-m", old, "--help"], cwd=PROJECT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")
    assert f"MovedModuleWarning: {old} moved to {new};" in done.stderr
