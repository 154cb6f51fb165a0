"""Reading content pack files so that every problem names its file and line.

ruamel.yaml (which Rasa already installs) keeps the line of every key; `PackNode` wraps a mapping
with those lines, and each check adds a `Problem` to a `ProblemReport` instead of stopping at the
first, so one run of `make check-content` lists everything to fix. Used by
`haven.packs.help_directory` and `haven.packs.language_packs`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from haven.settings import PROJECT_ROOT

PROJECT_DIR = PROJECT_ROOT
SCHEMA_VERSION = 1
"""The version of docs/content-schema.md these readers accept."""

PHONE = re.compile(r"^[+*]?[0-9A-Z]+(?:[ -][0-9A-Z]+)*\Z")
"""Digits, spaces, dashes, capitals (1-800-CALL-FBI); a leading + or, for a mobile short code, *."""
ADDRESS = re.compile(r"^(?:https://)?(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?:/[A-Za-z0-9._~%/-]*)?\Z")
STALE_AFTER_DAYS = 365


@dataclass(frozen=True)
class Problem:
    """Something wrong with a pack, where it is, and whether it stops the pack being used."""

    path: Path
    line: int
    message: str
    severity: str = "error"  # "error" stops the pack; "warning" is listed for a person to check

    @property
    def where(self) -> str:
        """`file:line`, the file relative to the project when it is inside it."""
        try:
            shown = self.path.relative_to(PROJECT_DIR)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}: {self.message}"


class ContentError(Exception):
    """The content packs have errors; the message lists each with its file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("the content packs have errors:\n" + "\n".join(map(str, problems)))


class ProblemReport:
    """Collects problems while reading; each check adds to it instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(path, line, message))

    def warning(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(path, line, message, "warning"))


class PackNode:
    """A mapping read from a pack file, knowing the line of each key (for error messages)."""

    def __init__(self, data: Any, path: Path, line: int, report: ProblemReport, what: str) -> None:
        self.path, self.report, self.what = path, report, what
        self.ok = isinstance(data, dict)
        self.data: dict = data if self.ok else {}
        self.start = line_of(data, None, line)
        if not self.ok:
            report.error(path, line, f"{what} must be a mapping of `key: value` lines")

    def line(self, key: str) -> int:
        return line_of(self.data, key, self.start)

    def keys_must_be(self, required: Iterable[str], optional: Iterable[str] = ()) -> None:
        required, allowed = list(required), set(required) | set(optional)
        for key in self.data:
            if key not in allowed:
                self.report.error(
                    self.path,
                    self.line(key),
                    f"unknown field `{key}` in {self.what} (allowed: {', '.join(sorted(allowed))})",
                )
        for key in required:
            if key not in self.data:
                self.report.error(self.path, self.start, f"{self.what} has no `{key}`")

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def child(self, key: str, what: str | None = None) -> PackNode:
        return PackNode(
            self.data.get(key), self.path, self.line(key), self.report, what or f"`{key}`"
        )

    def text(self, key: str, required: bool = True) -> str | None:
        value = self.data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            self.report.error(self.path, self.line(key), f"`{key}` must be some text")
            return None
        return str(value)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.report.error(self.path, self.line(key), f"`{key}` must be a list of texts")
            return ()
        return tuple(str(v) for v in value)

    def flag(self, key: str, default: bool | None = None) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.report.error(self.path, self.line(key), f"`{key}` must be true or false")
            return False
        return value


def line_of(node: Any, key: Any, default: int) -> int:
    """1-based line of `key` in a ruamel mapping or list (or of the node itself)."""
    try:
        if key is None:
            return node.lc.line + 1
        if isinstance(node, CommentedMap):
            return node.lc.key(key)[0] + 1
        if isinstance(node, CommentedSeq):
            return node.lc.item(key)[0] + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        pass
    return default


def read_yaml(path: Path, report: ProblemReport) -> Any:
    """The file's data with line numbers kept; YAML errors (and duplicate keys) are problems."""
    yaml = YAML(typ="rt")
    try:
        return yaml.load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        report.error(path, line, f"not valid YAML: {error.problem or error.context}")
    except (YAMLError, UnicodeDecodeError) as error:
        report.error(path, 1, f"not valid YAML: {error}")
    return None


def check_schema(top: PackNode, expected_name: str, name_key: str) -> None:
    if top.get("schema") != SCHEMA_VERSION:
        top.report.error(
            top.path,
            top.line("schema"),
            f"`schema` must be {SCHEMA_VERSION} (this Haven's version)",
        )
    if top.get(name_key) != expected_name:
        top.report.error(
            top.path,
            top.line(name_key),
            f"`{name_key}` must be `{expected_name}`, the same as the file or folder name",
        )


def read_date(node: PackNode, key: str) -> dt.date | None:
    value = node.get(key)
    line = node.line(key)
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        node.report.error(node.path, line, f"`{key}` must be a date written YYYY-MM-DD")
        return None
    today = dt.date.today()
    if value > today:
        node.report.error(node.path, line, f"`{key}` {value} is in the future")
    elif (today - value).days > STALE_AFTER_DAYS:
        node.report.warning(
            node.path, line, f"`{key}` {value} is over a year ago: check this entry again"
        )
    return value


def read_phones(node: PackNode, key: str) -> tuple[str, ...]:
    value = node.get(key)
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    phones = []
    for phone in values:
        phone = str(phone) if isinstance(phone, str | int) else None
        if not phone or not is_phone(phone):
            node.report.error(
                node.path,
                node.line(key),
                f"`{key}`: {value!r} is not a phone number (digits, spaces, dashes, a leading "
                '+ or *; write short numbers in quotes, like "999")',
            )
            continue
        phones.append(phone)
    return tuple(phones)


def is_phone(value: str) -> bool:
    return bool(PHONE.match(value)) and sum(c.isdigit() for c in value) >= 3 and len(value) <= 20


def read_address(node: PackNode, key: str) -> str | None:
    value = node.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not ADDRESS.match(value):
        node.report.error(
            node.path,
            node.line(key),
            f"`{key}`: {value!r} is not a web address like `example.org/page` "
            "(https:// is optional; http:// is not allowed)",
        )
        return None
    return value
