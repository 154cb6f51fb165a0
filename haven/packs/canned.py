"""Counselors' canned responses, from `content/languages/<language>/canned.yml`.

Each is a short label (what the console's list shows) and a text a counselor inserts into their
message, edits and sends, in the young person's language. A text may use the help directory's
placeholders (`{crisis}`, `{helpline}`, `{report}`, `{emergency}`, ...: haven/packs/render.py),
filled for the young person's region when inserted, so the help lines among the canned responses
are always the region's own, from content/regions/, and never typed into a canned text. Numbers
and links never go in these texts.

English must have the file. Another language's file may leave an entry out (English is shown for
it, with a warning from `make check-content`) but may not add one English lacks, and uses the
placeholders English uses (`check_canned`). A language without the file shows English.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from haven.packs.content import CONTENT_DIR, DEFAULT_LANGUAGE, ContentError
from haven.packs.language_packs import is_crisis_only
from haven.packs.pack_reader import PackNode, Problem, ProblemReport, check_schema, read_yaml
from haven.packs.render import PLACEHOLDER, REGION_PLACEHOLDERS

CANNED_FILE = "canned.yml"
AGES = ("minor", "adult")
MAX_TEXT_CHARS = 1500
NOT_IN_TEXTS = re.compile(r"https?://|www\.|\d[\d ()./-]{4,}\d")
"""A link or a phone-like number: those come from the help directory, never from a canned text."""


@dataclass(frozen=True)
class Canned:
    """One canned response: its key, its label and its text (placeholders not yet filled)."""

    key: str
    label: str
    text: str


@dataclass
class CannedFile:
    """One language's canned.yml: its entries, and the line of each."""

    path: Path
    entries: dict[str, Canned] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


def read_canned_file(path: Path, code: str, report: ProblemReport) -> CannedFile:
    """Reads one canned.yml; every problem goes to `report` with its line."""
    found = CannedFile(path)
    top = PackNode(read_yaml(path, report), path, 1, report, CANNED_FILE)
    top.keys_must_be(("schema", "language", "canned"))
    check_schema(top, code, "language")
    if not top.ok or "canned" not in top.data:
        return found
    canned = top.child("canned")  # not a mapping: reported by PackNode
    for key in canned.data:
        entry = canned.child(key)
        found.lines[str(key)] = canned.line(key)
        if not entry.ok:
            continue
        entry.keys_must_be(("label", "text"))
        label, text = entry.text("label"), entry.text("text")
        if label is None or text is None:
            continue
        if len(text) > MAX_TEXT_CHARS:
            report.error(
                path, entry.line("text"), f"a canned text has at most {MAX_TEXT_CHARS} characters"
            )
        if NOT_IN_TEXTS.search(text):
            report.error(
                path,
                entry.line("text"),
                "numbers and links come from the help directory: use a placeholder like {crisis}",
            )
        unknown = set(PLACEHOLDER.findall(text)) - REGION_PLACEHOLDERS
        if unknown:
            names = ", ".join(f"{{{name}}}" for name in sorted(unknown))
            report.error(path, entry.line("text"), f"unknown placeholder(s) {names}")
        found.entries[str(key)] = Canned(str(key), label, text)
    return found


def check_canned(content_dir: Path, report: ProblemReport) -> None:
    """English has canned responses; each other language's match English's keys and placeholders."""
    folder = content_dir / "languages"
    english_path = folder / DEFAULT_LANGUAGE / CANNED_FILE
    if not english_path.exists():
        report.problems.append(_missing(english_path))
        return
    english = read_canned_file(english_path, DEFAULT_LANGUAGE, report)
    if not english.entries:
        report.error(english_path, 1, "no canned responses: add at least the region's help lines")
    for language in sorted(p for p in folder.iterdir() if p.is_dir()):
        path = language / CANNED_FILE
        if language.name == DEFAULT_LANGUAGE or is_crisis_only(language) or not path.exists():
            continue
        translated = read_canned_file(path, language.name, report)
        for key, line in translated.lines.items():
            if key not in english.entries:
                report.error(path, line, f"unknown canned response `{key}`: it is not in English")
            elif key in translated.entries and _placeholders(translated.entries[key]) != (
                wanted := _placeholders(english.entries[key])
            ):
                names = ", ".join(f"{{{name}}}" for name in sorted(wanted)) or "none"
                report.error(path, line, f"`{key}` must use the placeholders English uses: {names}")
        for key in english.entries:
            if key not in translated.lines:
                report.warning(path, 1, f"`{key}` is not translated: the console shows English")


def load_canned(language: str | None, content_dir: Path = CONTENT_DIR) -> list[Canned]:
    """The canned responses in `language`, English filling each gap, in English's order.

    Raises `ContentError` when the English file is missing or broken.
    """
    report = ProblemReport()
    english_path = content_dir / "languages" / DEFAULT_LANGUAGE / CANNED_FILE
    if not english_path.exists():
        raise ContentError([_missing(english_path)])
    english = read_canned_file(english_path, DEFAULT_LANGUAGE, report)
    errors = [problem for problem in report.problems if problem.severity == "error"]
    if errors:
        raise ContentError(errors)
    own: dict[str, Canned] = {}
    path = content_dir / "languages" / (language or DEFAULT_LANGUAGE) / CANNED_FILE
    if language and language != DEFAULT_LANGUAGE and language.isalpha() and path.exists():
        translated = read_canned_file(path, language, ProblemReport())
        own = {
            key: entry
            for key, entry in translated.entries.items()
            if key in english.entries
            and _placeholders(entry) == _placeholders(english.entries[key])
        }
    return [own.get(key, entry) for key, entry in english.entries.items()]


def _missing(path: Path) -> Problem:
    return Problem(path, 1, "the counselor console needs its English canned responses here")


def _placeholders(entry: Canned) -> set[str]:
    return set(PLACEHOLDER.findall(entry.text))


def check_canned_rendering(packs: Any, content_dir: Path, report: ProblemReport) -> None:
    """Every canned text, in every language, filled for every region and age, has no
    placeholder left (a region whose directory lacks what a text needs would show `{report}`)."""
    from haven.packs.render import Renderer

    renderer = Renderer(packs)
    for language in sorted(packs.languages):
        try:
            entries = load_canned(language, content_dir)
        except ContentError:
            return  # `check_canned` reports why
        for entry, region, age in itertools.product(entries, sorted(packs.regions), AGES):
            text = renderer.fill_text(
                entry.text, language=language, region=region, slots={"age_band": age}
            )
            left = PLACEHOLDER.findall(text)
            if left:
                path = content_dir / "languages" / language / CANNED_FILE
                report.error(
                    path if path.exists() else content_dir / "languages" / DEFAULT_LANGUAGE,
                    1,
                    f"`{entry.key}` leaves {{{left[0]}}} unfilled for region {region} ({age})",
                )


def check_end_tag_texts(tags: Iterable[str], content_dir: Path, report: ProblemReport) -> None:
    """Each end-of-chat tag of handoff.yml has its words in English console.yml (`tag_<name>`)."""
    path = content_dir / "languages" / DEFAULT_LANGUAGE / "console.yml"
    texts = (read_yaml(path, ProblemReport()) or {}).get("texts") or {}
    for tag in tags:
        if f"tag_{tag}" not in texts:
            report.error(path, 1, f"handoff.yml's end tag `{tag}` needs a text `tag_{tag}` here")
