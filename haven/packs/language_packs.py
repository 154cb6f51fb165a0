"""Language packs: every response and phrase in one language, with English filling any gap.

Read from `content/languages/<language>/` (schema: docs/content-schema.md): `responses.yml`,
`language.yml` and `crisis.yml`. A text missing in a language falls back to English, and each
fallback is reported as a warning so that `make check-content` lists it.

A folder with only `crisis.yml` is a language Haven does not speak yet but whose crisis
messages it must recognise (`read_crisis_only`): the safety net reads its patterns, and the
crisis reply comes in English with the region's lines until the language has a full pack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from haven.packs.help_directory import INTERNATIONAL, Region
from haven.packs.pack_reader import PackNode, ProblemReport, check_schema, line_of, read_yaml

DEFAULT_LANGUAGE = "en"
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}\Z")


@dataclass(frozen=True)
class Variation:
    """One way of giving a response: its text, buttons and the slot values it is for."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()  # (title, payload)
    conditions: tuple[tuple[str, Any], ...] = ()  # (slot name, value)
    language_buttons: bool = False  # add a button for each other language
    region_buttons: bool = False  # add a button for each region
    path: Path | None = None
    line: int = 0


@dataclass
class Language:
    """A language pack: every response and every phrase, with English filling any gap."""

    code: str
    name: str
    responses: dict[str, tuple[Variation, ...]]
    phrases: dict[str, Any]  # language.yml without its bookkeeping fields
    crisis_patterns: tuple[str, ...]
    crisis_examples: tuple[str, ...]
    not_crisis_examples: tuple[str, ...]
    fallbacks: list[str] = field(default_factory=list)  # what came from English
    path: Path | None = None
    crisis_figures: tuple[str, ...] = ()  # figures of speech that are not a crisis
    reviewed: bool = True  # `reviewed: false` in language.yml: no native speaker has read it yet
    reviewed_line: int = 1  # where language.yml says so, for `make check-content`

    def phrase(self, *keys: str) -> Any:
        """A phrase from language.yml, e.g. phrase("contact", "call")."""
        value: Any = self.phrases
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value


@dataclass(frozen=True)
class CrisisFile:
    """What a language's `crisis.yml` holds; alone, for a language Haven does not speak yet."""

    code: str
    crisis_patterns: tuple[str, ...]
    crisis_examples: tuple[str, ...]
    not_crisis_examples: tuple[str, ...]
    path: Path | None = None
    crisis_figures: tuple[str, ...] = ()  # figures of speech that are not a crisis


LANGUAGE_FIELDS = ("schema", "language", "name", "switch_words", "detect_words", "contact")
LANGUAGE_OPTIONAL = (
    "reviewed",
    "detect_letters",
    "region_names",
    "region_elsewhere",
    "region_offer",
    "labels",
    "tools",
    "channel",
    "notices",
    "facts",
    "questions",
    "checks",
)
CONTACT_PHRASES = (
    "call",
    "call_press",
    "call_or_text",
    "text",
    "text_word",
    "web",
    "find_at",
    "free",
    "note",
    "chat_at",
    "chat_online",
    "search",
    "local_emergency",
    "hours",
    "always",
    "or",
    "then",
    "and",
    "list_item",
    "inline",
)
VARIATION_FIELDS = ("text", "buttons", "condition", "language_buttons", "region_buttons")


def _read_variations(key: str, raw: Any, path: Path, line: int, report: ProblemReport) -> tuple:
    if not isinstance(raw, list) or not raw:
        report.error(path, line, f"`{key}` must be a list of variations (`- text: ...`)")
        return ()
    variations = []
    for index, item in enumerate(raw):
        node = PackNode(item, path, line_of(raw, index, line), report, f"a variation of `{key}`")
        node.keys_must_be(("text",), VARIATION_FIELDS[1:])
        if not node.ok:
            continue
        buttons = []
        for b_index, button in enumerate(node.get("buttons") or []):
            b_node = PackNode(
                button, path, line_of(node.get("buttons"), b_index, node.start), report, "a button"
            )
            b_node.keys_must_be(("title", "payload"))
            if b_node.ok and b_node.text("title") and b_node.text("payload"):
                buttons.append((str(b_node.get("title")), str(b_node.get("payload"))))
        conditions = []
        for c_index, condition in enumerate(node.get("condition") or []):
            c_line = line_of(node.get("condition"), c_index, node.start)
            c_node = PackNode(condition, path, c_line, report, "a condition")
            c_node.keys_must_be(("type", "name", "value"))
            if c_node.ok and c_node.get("type") != "slot":
                report.error(path, c_line, "conditions are on slots: `type: slot`")
            if c_node.ok:
                conditions.append((str(c_node.get("name")), c_node.get("value")))
        variations.append(
            Variation(
                text=node.text("text") or "",
                buttons=tuple(buttons),
                conditions=tuple(conditions),
                language_buttons=node.flag("language_buttons", False),
                region_buttons=node.flag("region_buttons", False),
                path=path,
                line=node.start,
            )
        )
    if variations and variations[-1].conditions:
        report.error(
            path, variations[-1].line, f"the last variation of `{key}` must have no condition"
        )
    return tuple(variations)


def read_language(folder: Path, report: ProblemReport) -> Language | None:
    code = folder.name
    language_path, responses_path, crisis_path = (
        folder / name for name in ("language.yml", "responses.yml", "crisis.yml")
    )
    for needed in (language_path, responses_path, crisis_path):
        if not needed.exists():
            report.error(needed, 1, f"the language `{code}` needs this file")
    if not all(p.exists() for p in (language_path, responses_path, crisis_path)):
        return None
    if not LANGUAGE_CODE.match(code):
        report.error(folder, 1, "language folders are two-letter codes like `es`")
    top = PackNode(read_yaml(language_path, report), language_path, 1, report, "language.yml")
    top.keys_must_be(LANGUAGE_FIELDS, LANGUAGE_OPTIONAL)
    check_schema(top, code, "language")
    top.texts("switch_words")
    top.texts("detect_words")
    contact = top.child("contact")
    contact.keys_must_be((), CONTACT_PHRASES)

    responses_top = PackNode(
        read_yaml(responses_path, report), responses_path, 1, report, "responses.yml"
    )
    responses_top.keys_must_be(("schema", "language", "responses"))
    check_schema(responses_top, code, "language")
    responses_map = responses_top.child("responses")
    responses = {
        str(key): _read_variations(
            str(key), responses_map.get(key), responses_path, responses_map.line(key), report
        )
        for key in responses_map.data
    }

    crisis = read_crisis_file(crisis_path, code, report)
    if not top.ok or not responses_top.ok:
        return None
    phrases = {
        k: v for k, v in top.data.items() if k not in ("schema", "language", "name", "reviewed")
    }
    return Language(
        code=code,
        name=top.text("name") or code,
        responses=responses,
        phrases=plain(phrases),
        crisis_patterns=crisis.crisis_patterns,
        crisis_examples=crisis.crisis_examples,
        not_crisis_examples=crisis.not_crisis_examples,
        path=folder,
        crisis_figures=crisis.crisis_figures,
        reviewed=top.flag("reviewed", True),
        reviewed_line=top.line("reviewed"),
    )


def is_crisis_only(folder: Path) -> bool:
    """A language folder that has crisis patterns and nothing else yet."""
    return (folder / "crisis.yml").exists() and not any(
        (folder / name).exists() for name in ("language.yml", "responses.yml")
    )


def read_crisis_only(folder: Path, report: ProblemReport) -> CrisisFile:
    """A crisis-only language folder (see the module docstring)."""
    if not LANGUAGE_CODE.match(folder.name):
        report.error(folder, 1, "language folders are two-letter codes like `es`")
    return read_crisis_file(folder / "crisis.yml", folder.name, report)


def read_crisis_file(path: Path, code: str, report: ProblemReport) -> CrisisFile:
    """A language's `crisis.yml`: its patterns and figures of speech (each must compile),
    examples and non-examples."""
    top = PackNode(read_yaml(path, report), path, 1, report, "crisis.yml")
    top.keys_must_be(("schema", "language", "patterns", "examples", "not_crisis"), ("figures",))
    check_schema(top, code, "language")
    patterns = _regexes(top, "patterns")
    figures = _regexes(top, "figures")
    return CrisisFile(
        code=code,
        crisis_patterns=patterns,
        crisis_examples=top.texts("examples"),
        not_crisis_examples=top.texts("not_crisis"),
        path=path.parent,
        crisis_figures=figures,
    )


def _regexes(top: PackNode, key: str) -> tuple[str, ...]:
    """The list `key` of a crisis file, with an error for each line that is not a regex."""
    patterns = top.texts(key)
    for index, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except re.error as error:
            line = line_of(top.get(key), index, top.line(key))
            top.report.error(
                top.path, line, f"{key[:-1]} {pattern!r} is not a valid regex: {error}"
            )
    return patterns


def plain(value: Any) -> Any:
    """ruamel's commented maps and lists as plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def fill_from_english(
    language: Language, english: Language, regions: dict[str, Region], report: ProblemReport
) -> None:
    """Fill every gap of a language with English, and report each gap as a warning."""
    folder = language.path or Path("content") / "languages" / language.code
    for key, variations in english.responses.items():
        if key not in language.responses:
            language.responses[key] = variations
            language.fallbacks.append(f"response {key}")
            report.warning(
                folder / "responses.yml",
                1,
                f"`{key}` is not translated: it falls back to English",
            )
    names = language.phrases.setdefault("region_names", {})
    for code, region in regions.items():
        if code != INTERNATIONAL and not names.get(code):
            names[code] = region.name
            language.fallbacks.append(f"region_names.{code}")
            report.warning(
                folder / "language.yml",
                1,
                f"`region_names.{code}` is not translated: it falls back to {region.name!r}",
            )
    for key in language.responses:
        if key not in english.responses:
            variation = language.responses[key][0] if language.responses[key] else None
            report.error(
                folder / "responses.yml",
                variation.line if variation else 1,
                f"unknown response `{key}`: it is not in the English pack",
            )
    for path_keys in _leaf_paths(english.phrases):
        if path_keys[0] in (
            "switch_words",
            "detect_words",
            "detect_letters",
            "region_names",
            "facts",  # each language reads its own words; English ones would misread it
            "questions",
            "checks",  # words of this language only
        ):
            continue
        if language.phrase(*path_keys) is None:
            _set_leaf(language.phrases, path_keys, english.phrase(*path_keys))
            language.fallbacks.append(".".join(path_keys))
            report.warning(
                folder / "language.yml",
                1,
                f"`{'.'.join(path_keys)}` is not translated: it falls back to English",
            )


def _leaf_paths(value: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaf_paths(child, (*prefix, key))
    else:
        yield prefix


def _set_leaf(target: dict, keys: tuple[str, ...], value: Any) -> None:
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value
