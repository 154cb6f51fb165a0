"""`make check-content`: check every content pack, list what a person should verify, summarise.

    python -m haven.packs.content_check [--content DIR] [--domain FILE] [--sources]

Prints each problem as `file:line: error|warning: message`, then the entries marked
`verified: false`, the language packs marked `reviewed: false` (written without a native speaker)
and the texts that fall back to English, and ends with one line such as
`12 regions, 2 languages, 51 entries (7 unverified)`, followed by the packs not yet reviewed.
Exits 1 when there is any error; an unreviewed pack is listed, never an error, so that a new
language can ship while it waits for its review.

Beyond what `haven.packs.content` checks file by file, this checks the packs against the domain
(every response, button payload and placeholder), the crisis patterns against their examples, checks
that every figure of speech in a `crisis.yml` is tested and describes no crisis example, checks
every phone number against the numbering data of its country (haven/packs/phone_check.py), renders
every reply in every language, region and age band and reads it as a user would
(haven/packs/reply_check.py), and checks the counselor console's texts (`console.yml`) against
English, its canned responses (`canned.yml`, each filled for every region), the words of
handoff.yml's end-of-chat tags, and that the widget has every pack's texts (`widget_strings.yml`).

`--sources` prints instead the table of docs/sources.md: one row per fact of every pack, with
where it was checked, when, and whether it is verified (`make sources` rewrites that file, and a
test fails when the file no longer matches the packs).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from haven.nlu.crisis_patterns import normalise
from haven.packs.canned import check_canned, check_canned_rendering, check_end_tag_texts
from haven.packs.channel_messages import NOTICES
from haven.packs.console_texts import check_console_texts
from haven.packs.content import (
    CONTENT_DIR,
    DEFAULT_LANGUAGE,
    PROJECT_DIR,
    ContentPacks,
    HelpEntry,
    Language,
    Problem,
    Region,
    Tool,
)
from haven.packs.content import load_content as read_packs
from haven.packs.language_packs import CrisisFile
from haven.packs.pack_reader import ProblemReport, line_of, read_yaml
from haven.packs.phone_check import check_phone_numbers
from haven.packs.render import OTHER_PLACEHOLDERS, PLACEHOLDER, REGION_PLACEHOLDERS
from haven.packs.reply_check import check_replies
from haven.settings import HandoffSettings

DOMAIN_FILE = PROJECT_DIR / "domain.yml"
WIDGET_STRINGS = "widget_strings.yml"
PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?\Z")


@dataclass
class CheckResult:
    """What `check` found: the packs, every problem, and the summary line."""

    packs: ContentPacks
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def summary(self) -> str:
        entries = self.packs.entries()
        unverified = sum(not entry.verified for entry in entries)
        crisis_only = ", ".join(sorted(self.packs.crisis_only))
        unreviewed = ", ".join(sorted(code for code in _unreviewed_packs(self.packs)))
        return (
            (
                f"{_count(len(self.packs.regions), 'region')}, "
                f"{_count(len(self.packs.languages), 'language')}, "
                f"{_count(len(entries), 'entry', 'entries')} ({unverified} unverified)"
            )
            + (f"; not reviewed by a native speaker: {unreviewed}" if unreviewed else "")
            + (f"; crisis patterns only, no pack yet: {crisis_only}" if crisis_only else "")
        )


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


def check(content_dir: Path = CONTENT_DIR, domain_file: Path = DOMAIN_FILE) -> CheckResult:
    """Read and check every pack; never raises for a bad pack, it reports it."""
    packs = read_packs(content_dir)
    problems = list(packs.problems)
    if DEFAULT_LANGUAGE in packs.languages:
        domain = yaml.safe_load(domain_file.read_text(encoding="utf-8"))
        problems += _check_against_domain(packs, domain, domain_file)
        problems += _check_crisis_examples(packs)
        problems += check_phone_numbers(packs)
        if not packs.errors:  # rendering needs packs that read cleanly
            problems += check_replies(packs)
        problems += _check_widget_strings(packs, content_dir / WIDGET_STRINGS)
    console = ProblemReport()
    check_console_texts(content_dir, console)
    check_canned(content_dir, console)
    if DEFAULT_LANGUAGE in packs.languages and not packs.errors:
        check_canned_rendering(packs, content_dir, console)
    check_end_tag_texts(HandoffSettings.load().end_tags, content_dir, console)
    problems += console.problems
    return CheckResult(packs, problems)


def _check_widget_strings(packs: ContentPacks, path: Path) -> list[Problem]:
    """Every pack has the widget's texts, each English key, and the pack's own name.

    The widget's language menu is built from this file, so a pack without its block would be
    missing from the menu with no error anywhere (found when Dutch was added from scratch,
    docs/localize.md); a missing key stops Haven at start (haven/web/widget_site.py).
    """
    if not path.exists():
        return []
    report = ProblemReport()
    data = read_yaml(path, report)
    languages = (data or {}).get("languages") or {}
    english = languages.get(DEFAULT_LANGUAGE) or {}
    for code, pack in sorted(packs.languages.items()):
        texts = languages.get(code)
        if not isinstance(texts, dict):
            report.error(
                path,
                line_of(languages, None, 1),
                f"`{code}` has a pack but no texts here: the widget's menu would not list it "
                f"(copy the `{DEFAULT_LANGUAGE}:` block to `{code}:` and translate it)",
            )
            continue
        for key in english:
            if not isinstance(texts.get(key), str) or not texts[key].strip():
                report.error(
                    path,
                    line_of(languages, code, 1),
                    f"`{code}` has no text for `{key}` (English has it at line "
                    f"{line_of(english, key, 1)}): Haven would not start",
                )
        if isinstance(texts.get("language_name"), str) and texts["language_name"] != pack.name:
            report.error(
                path,
                line_of(texts, "language_name", 1),
                f"`{code}.language_name` is {texts['language_name']!r}, but `name` in its "
                f"language.yml is {pack.name!r}: write the same",
            )
    return report.problems


def _check_against_domain(packs: ContentPacks, domain: dict, domain_file: Path) -> list[Problem]:
    found = []
    english = packs.languages[DEFAULT_LANGUAGE]
    english_file = (english.path or CONTENT_DIR) / "responses.yml"
    for key in domain.get("responses") or {}:
        if key not in english.responses:
            found.append(Problem(english_file, 1, f"`{key}` is in domain.yml but not here"))
    for key in english.responses:
        if key not in (domain.get("responses") or {}):
            found.append(
                Problem(domain_file, 1, f"`{key}` is in {english_file.name} but not in domain.yml")
            )
    intents = set(domain.get("intents") or [])
    slots = set(domain.get("slots") or {})
    known_placeholders = REGION_PLACEHOLDERS | OTHER_PLACEHOLDERS | slots
    for language in packs.languages.values():
        english_payloads = {
            key: {payload for v in vs for _, payload in v.buttons}
            for key, vs in english.responses.items()
        }
        for key, variations in language.responses.items():
            for variation in variations:
                where = (variation.path or english_file, variation.line)
                for name in PLACEHOLDER.findall(variation.text):
                    if name not in known_placeholders:
                        found.append(Problem(*where, f"`{key}`: unknown placeholder {{{name}}}"))
                for title, payload in variation.buttons:
                    match = PAYLOAD.match(payload)
                    if not match or match.group(1) not in intents:
                        found.append(
                            Problem(
                                *where,
                                f"`{key}`: button {title!r} sends {payload!r}, not "
                                "an intent of domain.yml",
                            )
                        )
                    elif match.group(2):
                        try:
                            json.loads(match.group(2))
                        except ValueError:
                            found.append(Problem(*where, f"`{key}`: {payload!r} is not JSON"))
                    if language.code != DEFAULT_LANGUAGE and payload not in english_payloads.get(
                        key, set()
                    ):
                        found.append(
                            Problem(
                                *where,
                                f"`{key}`: button {title!r} sends {payload!r}, which "
                                "the English response has no button for",
                            )
                        )
        for key, text in (language.phrase("channel") or {}).items():
            for name in PLACEHOLDER.findall(str(text)):
                if name not in REGION_PLACEHOLDERS:
                    found.append(
                        Problem(
                            (language.path or CONTENT_DIR) / "language.yml",
                            1,
                            f"`channel.{key}`: unknown placeholder {{{name}}}",
                        )
                    )
        found += _check_notices(language, english)
    return found


def _check_notices(language: Language, english: Language) -> list[Problem]:
    """`notices:` has every text the web chat needs (in English; other languages may fall back),
    and only the placeholders each may use: help lines, and the numbers of a wait."""
    found = []
    where = (language.path or CONTENT_DIR) / "language.yml"
    notices = language.phrase("notices") or {}
    if language is english:
        for key in NOTICES:
            if not isinstance(notices.get(key), str) or not notices[key].strip():
                found.append(Problem(where, 1, f"`notices.{key}` is missing"))
    for key, text in notices.items():
        if key not in NOTICES:
            found.append(Problem(where, 1, f"`notices.{key}` is not a notice Haven sends"))
            continue
        for name in PLACEHOLDER.findall(str(text)):
            if name not in REGION_PLACEHOLDERS | NOTICES[key]:
                found.append(Problem(where, 1, f"`notices.{key}`: unknown placeholder {{{name}}}"))
    return found


def _check_crisis_examples(packs: ContentPacks) -> list[Problem]:
    found = []
    files: dict[str, Language | CrisisFile] = {**packs.languages, **packs.crisis_only}
    compiled = {
        code: [re.compile(pattern) for pattern in crisis.crisis_patterns]
        for code, crisis in files.items()
    }
    every_pattern = [pattern for patterns in compiled.values() for pattern in patterns]
    for code, crisis in files.items():
        path = (crisis.path or CONTENT_DIR) / "crisis.yml"
        if len(crisis.crisis_examples) < 10:
            found.append(Problem(path, 1, "give at least 10 `examples` the patterns must catch"))
        for example in crisis.crisis_examples:
            if not any(p.search(normalise(example)) for p in compiled[code]):
                found.append(Problem(path, 1, f"no pattern catches the example {example!r}"))
        for example in crisis.not_crisis_examples:
            hits = [p.pattern for p in every_pattern if p.search(normalise(example))]
            if hits:
                found.append(
                    Problem(path, 1, f"{example!r} is not a crisis but {hits[0]!r} catches it")
                )
    return found + _check_figures(files) + _check_folded_form(files)


_ESCAPE = re.compile(r"\\.")
_DOUBLED = re.compile(r"([a-z])\1")


def _check_folded_form(files: dict) -> list[Problem]:
    """A pattern with a doubled letter ("alles", "elle") can never match: `normalise` squeezes
    every repeated letter, so the message reads "ales", "ele"."""
    found = []
    for crisis in files.values():
        path = (crisis.path or CONTENT_DIR) / "crisis.yml"
        for pattern in (*crisis.crisis_patterns, *crisis.crisis_figures):
            doubled = _DOUBLED.search(_ESCAPE.sub(" ", pattern))
            if doubled:
                found.append(
                    Problem(
                        path,
                        1,
                        f"{pattern!r} has {doubled.group(0)!r}, which folded text never holds: "
                        f"write {doubled.group(1)!r} once",
                    )
                )
    return found


def _check_figures(files: dict) -> list[Problem]:
    """A figure of speech must catch one of its file's `not_crisis` examples (so it is tested)
    and no crisis example of any language (so it never describes a real crisis)."""
    found = []
    crises = [normalise(e) for crisis in files.values() for e in crisis.crisis_examples]
    for crisis in files.values():
        path = (crisis.path or CONTENT_DIR) / "crisis.yml"
        everyday = [normalise(e) for e in crisis.not_crisis_examples]
        for figure in crisis.crisis_figures:
            compiled = re.compile(figure)
            if not any(compiled.search(text) for text in everyday):
                found.append(
                    Problem(path, 1, f"the figure {figure!r} catches no `not_crisis` line")
                )
            caught = [text for text in crises if compiled.search(text)]
            if caught:
                found.append(
                    Problem(path, 1, f"the figure {figure!r} catches the crisis {caught[0]!r}")
                )
    return found


def _unverified(packs: ContentPacks) -> list[str]:
    lines = []
    for entry in packs.entries():
        if not entry.verified:
            name = getattr(entry, "name", None) or getattr(entry, "label", None) or "emergency"
            where = Problem(entry.path, entry.line, "").where
            lines.append(f"  {where}: {name} ({entry.source})")
    return lines


def _unreviewed_packs(packs: ContentPacks) -> dict[str, Language]:
    """The language packs whose `language.yml` says `reviewed: false`."""
    return {code: pack for code, pack in packs.languages.items() if not pack.reviewed}


def _unreviewed(packs: ContentPacks) -> list[str]:
    """One line per pack not yet read by a native speaker, where its `reviewed: false` is."""
    lines = []
    for code, pack in sorted(_unreviewed_packs(packs).items()):
        path = (pack.path or CONTENT_DIR / "languages" / code) / "language.yml"
        where = Problem(path, pack.reviewed_line, "").where
        lines.append(f"  {where}: {pack.name} ({code})")
    return lines


SOURCES_HEADER = """# Where every fact comes from

Generated from `content/` by `make sources` (`python -m haven.packs.content_check --sources`); do
not edit by hand: change the pack (`source`, `checked`, `verified`) and run `make sources` again.
`tests/unit/packs/test_content.py` fails when this file and the packs disagree. A fact is verified
when it was seen on the organisation's or government's own page, or in
`../shared/reference/help-directory.md`; the others were seen only on the pages their source
names, and `make check-content` lists them for someone to confirm.

| region | section | fact | source (where it was checked) | checked | verified |
|---|---|---|---|---|---|
"""


def sources_table(packs: ContentPacks) -> str:
    """docs/sources.md: one row per fact of every region and every takedown tool."""
    rows = []
    for code in sorted(packs.regions):
        rows += _region_rows(packs.regions[code])
    for key, tool in sorted(packs.tools.items()):
        where = "any region" if tool.regions is None else ", ".join(tool.regions)
        fact = f"{tool.name} ({key}): {tool.web}; users {tool.users}; {where}"
        rows.append(_row("all", "takedown", fact, tool))
    return SOURCES_HEADER + "\n".join(rows) + "\n"


def _region_rows(region: Region) -> list[str]:
    rows, seen = [], set()
    sections = (
        ("emergency", (region.emergency,)),
        ("crisis", region.crisis),
        ("helpline", region.helpline),
        ("report", region.report),
        ("platforms", region.platforms),
    )
    for section, entries in sections:
        for entry in entries:
            if id(entry) in seen:
                continue  # a crisis line that repeats the helpline: one row, where it comes first
            seen.add(id(entry))
            rows.append(_row(region.code, section, _fact(entry), entry))
            for language, variant in entry.in_language:
                fact = f"{_fact(variant)} (in replies in `{language}`)"
                rows.append(_row(region.code, section, fact, variant))
    return rows


def _fact(entry: HelpEntry) -> str:
    """What the entry says, in a few words: "Childline: call 0800 1111; chat; 24/7"."""
    parts = []
    for way, values in (("call", entry.call), ("call or text", entry.call_or_text)):
        if values:
            parts.append(
                f"{way} {' / '.join(values)}" + (f", press {entry.press}" if entry.press else "")
            )
    if entry.text:
        parts.append(
            f"text {entry.text.word + ' to ' if entry.text.word else ''}{entry.text.number}"
        )
    parts += ["free"] if entry.free else []
    parts += [f"web {entry.web}"] if entry.web else []
    parts += [f"find one at {entry.find_at}"] if entry.find_at else []
    parts += [f"chat {entry.chat}" if isinstance(entry.chat, str) else "chat"] if entry.chat else []
    parts += ["local emergency number"] if entry.local_emergency else []
    parts += ["search online"] if entry.search else []
    if entry.hours:
        parts.append("24/7" if entry.hours.always else f"open {entry.hours.text('en')}")
    if entry.ages != "any":
        parts.append(f"for {entry.ages}")
    if entry.note:
        parts.append(f"note: {entry.note.text('en')}")
    return f"{entry.name or entry.label or 'emergency'}: {'; '.join(parts)}"


def _row(region: str, section: str, fact: str, entry: HelpEntry | Tool) -> str:
    cells = (
        region,
        section,
        fact,
        entry.source,
        str(entry.checked),
        "yes" if entry.verified else "no",
    )
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def main(argv: list[str] | None = None) -> int:
    """Run the check and print the report; 0 when there are no errors."""
    parser = argparse.ArgumentParser(description="Check Haven's content packs.")
    parser.add_argument("--content", type=Path, default=CONTENT_DIR)
    parser.add_argument("--domain", type=Path, default=DOMAIN_FILE)
    parser.add_argument("--sources", action="store_true", help="print docs/sources.md instead")
    args = parser.parse_args(argv)
    result = check(args.content, args.domain)
    if args.sources:
        print(sources_table(result.packs), end="")
        return 1 if result.errors else 0
    for problem in result.problems:
        if problem.severity == "error":
            print(problem)
    unverified = _unverified(result.packs)
    if unverified:
        print(
            "\nNot verified (seen only on secondary pages; please confirm with the organisation):"
        )
        print("\n".join(unverified))
    unreviewed = _unreviewed(result.packs)
    if unreviewed:
        print(
            "\nNot reviewed by a native speaker (written without one; once one has read every "
            "file, set `reviewed: true`):"
        )
        print("\n".join(unreviewed))
    fallbacks = [p for p in result.problems if p.severity == "warning"]
    if fallbacks:
        print("\nWarnings (texts that fall back to English, entries to check again):")
        print("\n".join(f"  {p}" for p in fallbacks))
    print()
    if result.errors:
        print(f"{len(result.errors)} errors. {result.summary()}")
        return 1
    print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
