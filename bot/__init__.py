"""The old `bot.*` dotted paths, kept for one release: each imports its new `haven.*` module.

Haven's code moved from `bot/` to the `haven` package (README, "How it works"). An NGO's own
credentials.yml, endpoints.yml or config.yml may still name `bot.channels.HavenRestInput`,
`bot.tracker_store.EncryptedTrackerStore` and so on, and its scripts may run
`python -m bot.storage_cli`; those keep working, with a DeprecationWarning naming the new path.

Hand-written because Python has no module-alias facility: a module `__getattr__` would answer
`from bot import channels` but not `import bot.channels` (which Rasa's `class_from_module_path`
does) nor `python -m bot.storage_cli` (runpy). So a `sys.meta_path` finder answers each old
name: importing it puts the new module itself into `sys.modules` under the old name (one module
object, never a copy, so patches and class identity hold), and `python -m` runs the new module's
code as `__main__`. No file stays at the old paths, so git follows each move as a rename.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import CodeType, ModuleType

MOVED = {
    "action_failures": "haven.rasa_edge.patches.action_failures",
    "action_server": "haven.rasa_edge.action_server",
    "answers": "haven.plan.answers",
    "channels": "haven.rasa_edge.rest_channel",
    "console_texts": "haven.packs.console_texts",
    "content": "haven.packs.content",
    "content_check": "haven.packs.content_check",
    "conversations": "haven.storage.conversations",
    "counselor_cli": "haven.handoff.cli",
    "counselor_console": "haven.handoff.console",
    "counselors": "haven.handoff.counselors",
    "crypto": "haven.storage.crypto",
    "encode_ahead": "haven.nlu.encode_ahead",
    "encoders": "haven.nlu.encoders",
    "encrypted_tables": "haven.storage.encrypted_tables",
    "facts": "haven.nlu.facts",
    "handoff": "haven.handoff.queue",
    "handoff_relay": "haven.handoff.relay",
    "help_directory": "haven.packs.help_directory",
    "intent_classifier": "haven.rasa_edge.nlu.intent_classifier",
    "language_packs": "haven.packs.language_packs",
    "localization": "haven.nlu.locale_finding",
    "lock_store": "haven.rasa_edge.lock_store",
    "log_safety": "haven.logs.privacy",
    "log_throttle": "haven.logs.throttle",
    "minimize": "haven.storage.minimize",
    "multilingual_encoder": "haven.nlu.multilingual_encoder",
    "nlg": "haven.rasa_edge.nlg",
    "nlu_facts": "haven.rasa_edge.nlu.stated_age",
    "nlu_localization": "haven.rasa_edge.nlu.locale_hints",
    "nlu_questions": "haven.rasa_edge.nlu.asked_questions",
    "nlu_readers": "haven.rasa_edge.nlu.fact_readers",
    "nlu_safety_net": "haven.rasa_edge.nlu.crisis_net",
    "pack_reader": "haven.packs.pack_reader",
    "phone_check": "haven.packs.phone_check",
    "plan": "haven.plan.steps",
    "questions": "haven.nlu.questions",
    "rasa_speedups": "haven.rasa_edge.patches.speedups",
    "rate_limit": "haven.web.rate_limits",
    "render": "haven.packs.render",
    "reply_check": "haven.packs.reply_check",
    "responses": "haven.packs.responses",
    "safety": "haven.nlu.crisis_patterns",
    "schema": "haven.storage.schema",
    "sentence_encoder": "haven.nlu.sentence_encoder",
    "settings": "haven.settings",
    "storage_cli": "haven.storage.cli",
    "tracker_store": "haven.rasa_edge.tracker_store",
    "typed_text": "haven.web.typed_text",
    "web_security": "haven.web.security_headers",
    "widget_channel": "haven.rasa_edge.widget_channel",
    "widget_web": "haven.web.widget_site",
}
"""Old module name under `bot.` -> its new dotted path."""


class MovedModuleWarning(DeprecationWarning):
    """An old `bot.*` path was used; the message names the new one."""


def _hidden_by_pythons_defaults() -> bool:
    """Whether the filter that decides a MovedModuleWarning is Python's own
    `ignore::DeprecationWarning`, not one put before it (-W, PYTHONWARNINGS, pytest's)."""
    for action, message, category, module, _lineno in warnings.filters:
        if message is None and module is None and issubclass(MovedModuleWarning, category):
            return action == "ignore" and category is DeprecationWarning
    return False


# Shown by default (a DeprecationWarning is hidden outside __main__), so an NGO sees it once per
# path; -W options and test runners keep their own say (pytest's "error" makes it a test error).
if not sys.warnoptions and _hidden_by_pythons_defaults():
    warnings.simplefilter("default", MovedModuleWarning)


def _warn(old: str, new: str) -> None:
    warnings.warn(
        f"{old} moved to {new}; the old path works for one more release. Rename it in your "
        "credentials.yml, endpoints.yml, config.yml or scripts.",
        MovedModuleWarning,
        stacklevel=3,
    )


class _MovedModuleLoader(importlib.abc.Loader):
    """Loads an old name as the new module; gives runpy the new module's code for `-m`."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # a placeholder; exec_module swaps in the real module

    def exec_module(self, module: ModuleType) -> None:
        _warn(self.old, self.new)
        # The import system returns whatever sys.modules holds under the old name after this.
        sys.modules[self.old] = importlib.import_module(self.new)

    def get_code(self, fullname: str) -> CodeType | None:
        """The new module's code, for `python -m bot.<old>` (runpy runs it as __main__)."""
        _warn(self.old, self.new)
        spec = importlib.util.find_spec(self.new)
        if spec is None or not isinstance(spec.loader, importlib.abc.InspectLoader):
            raise ImportError(f"{self.new} (the new path of {self.old}) cannot be run.")
        return spec.loader.get_code(self.new)

    def is_package(self, fullname: str) -> bool:
        return False


class _MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Finds the old `bot.<name>` modules of MOVED, and nothing else."""

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.partition(".")
        if package != __name__ or name not in MOVED:
            return None
        new = importlib.util.find_spec(MOVED[name])  # imports the new module's packages only
        spec = importlib.machinery.ModuleSpec(
            fullname,
            _MovedModuleLoader(fullname, MOVED[name]),
            origin=new.origin if new else None,  # runpy's sys.argv[0] for `python -m`
        )
        spec.has_location = new is not None and new.has_location
        return spec


if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _MovedModuleFinder())
