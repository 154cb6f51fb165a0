"""Only haven/rasa_edge/ imports Rasa; actions/ imports rasa_sdk and the core, never Rasa itself.

Read from the source (every `import` and `from ... import`, also those inside functions), so a
module that imports Rasa only when it runs is caught too. The Rasa-free core is what the tests
without a Rasa server exercise, and what the action server loads.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import PROJECT

EDGE = PROJECT / "haven" / "rasa_edge"


def imported_modules(path: Path, root: Path = PROJECT) -> set[str]:
    """Every module `path` imports, anywhere in the file (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def reaches(module: str, roots: tuple[str, ...]) -> bool:
    return any(module == root or module.startswith(root + ".") for root in roots)


def offending(paths, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        bad = sorted(m for m in imported_modules(path) if reaches(m, forbidden))
        if bad:
            found[str(path.relative_to(PROJECT))] = bad
    return found


CORE = sorted(path for path in (PROJECT / "haven").rglob("*.py") if EDGE not in path.parents)
ACTIONS = sorted((PROJECT / "actions").rglob("*.py"))


def test_the_core_outside_the_edge_never_imports_rasa_or_the_edge():
    assert len(CORE) > 40  # the scan sees the package
    assert offending(CORE, ("rasa", "rasa_sdk", "haven.rasa_edge")) == {}


def test_the_actions_import_rasa_sdk_and_the_core_only():
    assert offending(ACTIONS, ("rasa", "haven.rasa_edge")) == {}
    assert all("rasa_sdk" in imported_modules(path) for path in ACTIONS if path.stem != "__init__")


def test_the_edge_is_where_rasa_is_imported():
    assert offending(sorted(EDGE.rglob("*.py")), ("rasa",)) != {}


@pytest.mark.parametrize(
    "source, caught",
    [
        ("import rasa\n", True),
        ("from rasa.core.lock import TicketLock\n", True),
        ("def later():\n    from rasa_sdk import Action\n", True),
        ("import rasa_sdk.events as events\n", True),
        ("from ..rasa_edge import patches\n", True),
        ("import rasaeval\nfrom haven.nlu import facts\nfrom . import questions\n", False),
    ],
)
def test_the_scan_finds_every_kind_of_forbidden_import(tmp_path, source, caught):
    module = tmp_path / "haven" / "nlu" / "example.py"
    module.parent.mkdir(parents=True)
    module.write_text(source, encoding="utf-8")
    found = imported_modules(module, root=tmp_path)
    assert any(reaches(m, ("rasa", "rasa_sdk", "haven.rasa_edge")) for m in found) is caught


def test_importing_the_whole_core_loads_no_rasa():
    # A fresh interpreter: what this test process imported before does not count.
    names = [".".join(path.relative_to(PROJECT).with_suffix("").parts) for path in CORE]
    names = [name.removesuffix(".__init__") for name in names]
    script = "import importlib, sys\n"
    script += f"for name in {names!r}: importlib.import_module(name)\n"
    script += "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rasa', 'rasa_sdk')))\n"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
