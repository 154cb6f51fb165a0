"""Content packs: what Haven says in each language, and where it sends people in each region.

Everything here is data in `content/` (schema: `docs/content-schema.md`):

- `content/regions/<region>.yml`: a help directory per region (emergency number, crisis lines,
  youth helplines, where to report, which takedown tools fit which age), every entry with its
  source, the date it was checked and whether it is verified;
- `content/tools.yml`: the takedown tools and who may use them;
- `content/languages/<language>/`: `responses.yml` (every response), `language.yml` (how to say
  a phone number or a link, tool descriptions, country names, words for detecting the language)
  and `crisis.yml` (the crisis patterns of the safety net, with examples they must catch); a
  folder with only `crisis.yml` is a language whose crisis messages Haven recognises before it
  has a pack (the reply is then in English).

`load_content` reads and checks all of it and reports every problem with its file and line, so an
NGO volunteer can fix a pack without reading Python. A text missing in a language falls back to
English; each fallback is reported as a warning (`make check-content` lists them).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from haven.packs.help_directory import (
    AGE_GROUPS,
    INTERNATIONAL,
    HelpEntry,
    Region,
    TextLine,
    Tool,
    read_region,
    read_tools,
)
from haven.packs.language_packs import (
    DEFAULT_LANGUAGE,
    CrisisFile,
    Language,
    Variation,
    fill_from_english,
    is_crisis_only,
    read_crisis_only,
    read_language,
)
from haven.packs.pack_reader import (
    PROJECT_DIR,
    SCHEMA_VERSION,
    ContentError,
    Problem,
    ProblemReport,
)

__all__ = [
    "AGE_GROUPS",
    "CONTENT_DIR",
    "DEFAULT_LANGUAGE",
    "INTERNATIONAL",
    "PROJECT_DIR",
    "SCHEMA_VERSION",
    "ContentError",
    "ContentPacks",
    "HelpEntry",
    "Language",
    "Problem",
    "Region",
    "TextLine",
    "Tool",
    "Variation",
    "content",
    "load_content",
    "normalise_words",
]

CONTENT_DIR = PROJECT_DIR / "content"


@dataclass
class ContentPacks:
    """Every region, tool and language, read and checked."""

    regions: dict[str, Region]
    tools: dict[str, Tool]
    languages: dict[str, Language]
    problems: list[Problem]
    crisis_only: dict[str, CrisisFile] = field(default_factory=dict)
    """Languages with crisis patterns but no pack yet (haven/packs/language_packs.py)."""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def entries(self) -> list[HelpEntry | Tool]:
        """Every help directory entry and every tool (what the summary counts)."""
        found: list[HelpEntry | Tool] = []
        for region in self.regions.values():
            found += region.entries()
        return found + list(self.tools.values())

    def region_name(self, code: str, language: str) -> str:
        """A region's name in a language (English when not translated)."""
        names = self.languages[language].phrase("region_names") or {}
        return names.get(code) or self.regions[code].name

    def label(self, label: str, language: str) -> str:
        """A translated entry label, e.g. "Police (not an emergency)"."""
        return (self.languages[language].phrase("labels") or {}).get(label) or label


def load_content(content_dir: Path = CONTENT_DIR) -> ContentPacks:
    """Read and check every pack under `content_dir`; problems are collected, never raised."""
    report = ProblemReport()
    tools = read_tools(content_dir / "tools.yml", report)
    regions = {}
    for path in sorted((content_dir / "regions").glob("*.yml")):
        region = read_region(path, tools, report)
        if region:
            regions[region.code] = region
    if INTERNATIONAL not in regions:
        report.error(content_dir / "regions", 1, "there must be an `international.yml` fallback")
    languages, crisis_only = {}, {}
    for folder in sorted(p for p in (content_dir / "languages").iterdir() if p.is_dir()):
        if is_crisis_only(folder):
            crisis_only[folder.name] = read_crisis_only(folder, report)
            continue
        language = read_language(folder, report)
        if language:
            languages[language.code] = language
    packs = ContentPacks(regions, tools, languages, report.problems, crisis_only)
    if DEFAULT_LANGUAGE not in languages:
        report.error(content_dir / "languages", 1, "there must be an English (`en`) pack")
        return packs
    _check_across_packs(packs, report)
    for code, language in languages.items():
        if code != DEFAULT_LANGUAGE:
            fill_from_english(language, languages[DEFAULT_LANGUAGE], regions, report)
    return packs


def _check_across_packs(packs: ContentPacks, report: ProblemReport) -> None:
    """What one file alone cannot tell: duplicate words and locales, labels and tool texts."""
    english = packs.languages[DEFAULT_LANGUAGE]
    claimed: dict[str, str] = {}
    for region in packs.regions.values():
        for value in [*map(normalise_words, region.words), *region.locales]:
            other = claimed.setdefault(value, region.code)
            if other != region.code:
                report.error(region.path, 1, f"`{value}` is also used by the region `{other}`")
        for entry in region.entries():
            if entry.label and entry.label not in (english.phrase("labels") or {}):
                report.error(
                    entry.path, entry.line, f"label `{entry.label}` is not in English `labels`"
                )
            _check_entry_languages(entry, packs.languages, report)
        for code in region.languages:
            if code not in packs.languages:
                report.error(region.path, 1, f"`languages`: Haven has no language `{code}`")
    for tool in packs.tools.values():
        for part in ("about", "how"):
            if not english.phrase("tools", tool.key, part):
                report.error(
                    english.path / "language.yml" if english.path else tool.path,
                    1,
                    f"`tools.{tool.key}.{part}` is missing in English",
                )


def _check_entry_languages(
    entry: HelpEntry, languages: dict[str, Language], report: ProblemReport
) -> None:
    """`in_language`, `hours` and `note` name languages Haven has; hours and notes not translated
    are listed, so a new language finds every text it must add to the regions (docs/localize.md)."""
    for code, _ in entry.in_language:
        if code not in languages:
            report.error(entry.path, entry.line, f"`in_language.{code}`: Haven has no `{code}`")
    per_language = {"note": entry.note.texts if entry.note else ()}
    if entry.hours is not None and not entry.hours.always:
        per_language["hours"] = entry.hours.texts
    for name, texts in per_language.items():
        written = dict(texts)
        if not written:
            continue
        for code in written:
            if code not in languages:
                report.error(entry.path, entry.line, f"`{name}.{code}`: Haven has no `{code}`")
        for code in languages:
            if code not in written:
                report.warning(
                    entry.path,
                    entry.line,
                    f"`{name}` has no `{code}` text: it falls back to English",
                )


_ACCENTS = re.compile(r"[\u0300-\u036f]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise_words(text: str) -> str:
    """Lower case, no accents, "ß" as "ss", punctuation as spaces: how region and language words
    are matched."""
    folded = _ACCENTS.sub("", unicodedata.normalize("NFKD", text.lower().replace("ß", "ss")))
    return " ".join(_NOT_WORD.sub(" ", folded).split())


@lru_cache(maxsize=4)
def content(content_dir: Path = CONTENT_DIR) -> ContentPacks:
    """The packs, read once per process; raises ContentError when they have errors."""
    packs = load_content(content_dir)
    if packs.errors:
        raise ContentError(packs.errors)
    return packs
