"""The tests mirror the layout (tests/README.md): each test file sits in the folder of its tier,
and that folder agrees with the file's markers; every package of haven/ has its unit folder.

The Makefile chooses a tier by its folder (`make unit` runs tests/unit/ and tests/deploy/,
`make test-server` tests/integration/, ...), so a server test left among the unit tests would
start a Rasa server in `make unit`, and an unmarked test in tests/integration/ would be missed by
`pytest -m server`. Read from the source (no collection), so this costs nothing to run.
"""

import ast
from pathlib import Path

import pytest

from tests.support import PROJECT

TESTS = PROJECT / "tests"
HAVEN = PROJECT / "haven"

# Each tier's folder and the marker every test in it carries (None: no tier marker at all).
TIERS = {
    "unit": None,
    "deploy": None,
    "conversations": "model",
    "integration": "server",
    "browser": "browser",
}
TIER_MARKERS = {marker for marker in TIERS.values() if marker}
# Folders of tests/unit/ that mirror something other than a package of haven/: the project's
# own folders of that name (actions/, scripts/, data/) and tests/support/.
OTHER_UNIT_FOLDERS = {"actions", "scripts", "data", "support"}


def modules_of_tests(root: Path = TESTS) -> list[Path]:
    return sorted(root.rglob("test_*.py"))


def markers_used(path: Path) -> set[str]:
    """The tier markers `path` names anywhere (`@pytest.mark.server`, `pytestmark = ...`,
    `pytest.param(..., marks=pytest.mark.model)`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in TIER_MARKERS
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "mark"
    }


def module_marker(path: Path) -> set[str]:
    """The tier markers of the module-level `pytestmark`, which marks every test of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "pytestmark" for target in node.targets
        ):
            return {name for name in TIER_MARKERS if f"mark.{name}" in ast.unparse(node.value)}
    return set()


def tier_of(path: Path, root: Path = TESTS) -> str | None:
    parts = path.relative_to(root).parts
    return parts[0] if len(parts) > 1 and parts[0] in TIERS else None


def layout_problems(root: Path = TESTS) -> list[str]:
    """Every test file that sits outside a tier folder or disagrees with its tier's marker."""
    problems = []
    for path in modules_of_tests(root):
        name, tier = str(path.relative_to(root)), tier_of(path, root)
        if tier is None:
            problems.append(f"{name} is in no tier folder ({', '.join(TIERS)}), tests/README.md")
            continue
        expected, used = TIERS[tier], markers_used(path)
        if expected is None and used:
            problems.append(f"{name} is marked {sorted(used)} but sits in tests/{tier}/")
        elif expected is not None and (used - {expected} or module_marker(path) != {expected}):
            problems.append(f"{name} in tests/{tier}/ needs `pytestmark = pytest.mark.{expected}`")
    return problems


def test_every_test_file_sits_in_the_folder_of_its_tier():
    assert layout_problems() == []


def test_every_package_of_haven_has_its_unit_folder_with_tests():
    packages = [p.parent.relative_to(HAVEN) for p in sorted(HAVEN.rglob("__init__.py"))]
    missing = [
        f"tests/unit/{package}/"
        for package in packages
        if package != Path(".") and not modules_of_tests(TESTS / "unit" / package)
    ]
    assert missing == []


def test_every_unit_folder_mirrors_a_package_of_haven_or_a_project_folder():
    strays = [
        str(folder.relative_to(TESTS))
        for folder in sorted((TESTS / "unit").rglob("*"))
        if folder.is_dir()
        and folder.name != "__pycache__"
        and folder.relative_to(TESTS / "unit").parts[0] not in OTHER_UNIT_FOLDERS
        and not (HAVEN / folder.relative_to(TESTS / "unit") / "__init__.py").exists()
    ]
    assert strays == []


def test_every_test_folder_is_a_package_so_equal_file_names_never_clash():
    folders = {path.parent for path in TESTS.rglob("*.py") if "__pycache__" not in path.parts}
    assert [str(f) for f in sorted(folders) if not (f / "__init__.py").exists()] == []


@pytest.mark.parametrize(
    ("place", "source", "problem"),
    [
        ("test_flat.py", "", "is in no tier folder"),
        ("unit/nlu/test_x.py", "@pytest.mark.server\ndef test_x(): pass\n", "is marked"),
        ("integration/test_x.py", "def test_x(): pass\n", "needs `pytestmark"),
        ("integration/test_x.py", "pytestmark = pytest.mark.model\n", "needs `pytestmark"),
        ("browser/test_x.py", "pytestmark = pytest.mark.browser\n", None),
        ("deploy/test_x.py", "def test_x(): pass\n", None),
    ],
)
def test_the_layout_check_finds_a_test_in_the_wrong_folder(tmp_path, place, source, problem):
    path = tmp_path / place
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"import pytest\n{source}", encoding="utf-8")
    problems = layout_problems(tmp_path)
    assert (problems == []) if problem is None else (problem in problems[0])
