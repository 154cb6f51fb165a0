"""The counselor console's texts, from `content/languages/<language>/console.yml`.

Everything a counselor reads in the console (haven/handoff/console.py, console/*) comes from
these files, so an NGO translates the console without touching code. The console's language is
`console_language` in handoff.yml (`HAVEN_CONSOLE_LANGUAGE` overrides it), English by default.

English must have the file and every text. Another language's file must have every English key
with the same `{placeholders}`: `make check-content` fails naming the file and line otherwise
(`check_console_texts`). A language without the file shows the console in English, and the check
warns. The running console never stops for a gap: it shows English for it and logs a warning.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from haven.packs.content import CONTENT_DIR, DEFAULT_LANGUAGE, ContentError
from haven.packs.language_packs import is_crisis_only
from haven.packs.pack_reader import PackNode, Problem, ProblemReport, check_schema, read_yaml

logger = logging.getLogger(__name__)

CONSOLE_FILE = "console.yml"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass
class ConsoleFile:
    """One language's console.yml: its texts, and the lines an error points to."""

    path: Path
    texts: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # the line of each key
    texts_line: int = 1  # the line of `texts:`, where a missing key belongs


def read_console_file(path: Path, code: str, report: ProblemReport) -> ConsoleFile:
    """Reads one console.yml; every problem goes to `report` with its line."""
    top = PackNode(read_yaml(path, report), path, 1, report, CONSOLE_FILE)
    top.keys_must_be(("schema", "language", "texts"))
    check_schema(top, code, "language")
    found = ConsoleFile(path)
    if "texts" not in top.data:
        return found
    texts = top.child("texts")
    found.texts_line = top.line("texts")
    for key in texts.data:
        found.lines[str(key)] = texts.line(key)
        text = texts.text(key)
        if text is not None:
            found.texts[str(key)] = text
    return found


def check_console_texts(content_dir: Path, report: ProblemReport) -> None:
    """Every language's console texts against English: the same keys and placeholders."""
    folder = content_dir / "languages"
    english_path = folder / DEFAULT_LANGUAGE / CONSOLE_FILE
    if not english_path.exists():
        report.error(english_path, 1, "the counselor console needs its English texts here")
        return
    english = read_console_file(english_path, DEFAULT_LANGUAGE, report)
    for language in sorted(p for p in folder.iterdir() if p.is_dir()):
        if language.name == DEFAULT_LANGUAGE or is_crisis_only(language):
            continue  # a crisis-only folder is no language the console can be set to
        path = language / CONSOLE_FILE
        if not path.exists():
            report.warning(
                path,
                1,
                "the counselor console is not translated: it falls back to English "
                "(copy content/languages/en/console.yml here and translate it)",
            )
            continue
        translated = read_console_file(path, language.name, report)
        for key, text in english.texts.items():
            where = Problem(english_path, english.lines[key], "").where
            if key not in translated.lines:
                report.error(
                    path,
                    translated.texts_line,
                    f"`{key}` is missing under `texts` (English has it at {where})",
                )
            elif key in translated.texts and _placeholders(translated.texts[key]) != (
                wanted := _placeholders(text)
            ):
                names = ", ".join(f"{{{name}}}" for name in sorted(wanted)) or "none"
                report.error(
                    path,
                    translated.lines[key],
                    f"`{key}` must use the placeholders English uses: {names}",
                )
        for key, line in translated.lines.items():
            if key not in english.texts:
                report.error(path, line, f"unknown console text `{key}`: it is not in English")


def load_console_texts(language: str, content_dir: Path = CONTENT_DIR) -> dict[str, str]:
    """The console's texts in `language`, English filling each gap (logged as a warning).

    Raises `ContentError` when the English texts are missing or broken: there is nothing to
    fall back to.
    """
    report = ProblemReport()
    english = read_console_file(
        content_dir / "languages" / DEFAULT_LANGUAGE / CONSOLE_FILE, DEFAULT_LANGUAGE, report
    )
    if report.problems:
        raise ContentError(report.problems)
    texts = dict(english.texts)
    if language == DEFAULT_LANGUAGE:
        return texts
    path = content_dir / "languages" / language / CONSOLE_FILE
    if not path.exists():
        logger.warning("The counselor console has no texts in %r: it shows English.", language)
        return texts
    translated = read_console_file(path, language, report)
    for problem in report.problems:
        logger.warning("Counselor console texts: %s", problem)
    gaps = []
    for key, text in english.texts.items():
        own = translated.texts.get(key)
        if own is not None and _placeholders(own) == _placeholders(text):
            texts[key] = own
        else:
            gaps.append(key)
    if gaps:
        logger.warning(
            "The counselor console shows English for %s in %r (make check-content says why).",
            ", ".join(gaps),
            language,
        )
    return texts


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))
