"""Content packs: what Haven says in each language, and where it sends people in each region.

Everything here is data in `content/` (schema: `docs/content-schema.md`):

- `content/regions/<region>.yml`: a help directory per region (emergency number, crisis lines,
  youth helplines, where to report, which takedown tools fit which age), every entry with its
  source, the date it was checked and whether it is verified;
- `content/tools.yml`: the takedown tools and who may use them;
- `content/languages/<language>/`: `responses.yml` (every response), `language.yml` (how to say
  a phone number or a link, tool descriptions, country names, words for detecting the language)
  and `crisis.yml` (the crisis patterns of the safety net, with examples they must catch).

`load_content` reads and checks all of it and reports every problem with its file and line, so an
NGO volunteer can fix a pack without reading Python. A text missing in a language falls back to
English; each fallback is reported as a warning (`make check-content` lists them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONTENT_DIR = PROJECT_DIR / "content"
SCHEMA_VERSION = 1
DEFAULT_LANGUAGE = "en"
INTERNATIONAL = "international"
AGE_GROUPS = ("under_18", "adult")
"""Who an entry or a tool is for. Unknown age always counts as under 18."""

PHONE = re.compile(r"^\+?[0-9A-Z]+(?:[ -][0-9A-Z]+)*$")
ADDRESS = re.compile(r"^(?:https://)?(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?:/[A-Za-z0-9._~%/-]*)?$")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
REGION_CODE = re.compile(r"^[a-z]{2,3}$|^international$")
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
STALE_AFTER_DAYS = 365


# --- problems -------------------------------------------------------------------------------


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


class _Report:
    """Collects problems while reading; each check adds to it instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(path, line, message))

    def warning(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(path, line, message, "warning"))


class _Map:
    """A mapping read from a pack file, knowing the line of each key (for error messages)."""

    def __init__(self, data: Any, path: Path, line: int, report: _Report, what: str) -> None:
        self.path, self.report, self.what = path, report, what
        self.ok = isinstance(data, dict)
        self.data: dict = data if self.ok else {}
        self.start = _line_of(data, None, line)
        if not self.ok:
            report.error(path, line, f"{what} must be a mapping of `key: value` lines")

    def line(self, key: str) -> int:
        return _line_of(self.data, key, self.start)

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

    def child(self, key: str, what: str | None = None) -> _Map:
        return _Map(self.data.get(key), self.path, self.line(key), self.report, what or f"`{key}`")

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


def _line_of(node: Any, key: Any, default: int) -> int:
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


def _read_yaml(path: Path, report: _Report) -> Any:
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


def _check_schema(top: _Map, expected_name: str, name_key: str) -> None:
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


# --- the help directory ---------------------------------------------------------------------


@dataclass(frozen=True)
class TextLine:
    """A text (SMS) line: the number, and the word to send when there is one ("HOME")."""

    number: str
    word: str | None = None


@dataclass(frozen=True)
class HelpEntry:
    """One place to get help: how to reach it, who it is for, and where the fact comes from."""

    path: Path
    line: int
    name: str | None = None  # a proper name, the same in every language ("Childline")
    label: str | None = None  # or a description, translated in language.yml `labels`
    call: tuple[str, ...] = ()
    call_or_text: tuple[str, ...] = ()
    text: TextLine | None = None
    web: str | None = None
    chat: str | bool | None = None  # an address, or true: "chat online" (no address known)
    search: bool = False  # no address in our sources: "search online for <name>"
    local_emergency: bool = False  # "call your local emergency number"
    ages: str = "any"  # any, under_18 or adult
    source: str = ""
    checked: dt.date | None = None
    verified: bool = False

    def is_for(self, adult: bool) -> bool:
        """Whether to show this entry to an adult (True) or to someone under 18 or unknown."""
        return self.ages == "any" or self.ages == ("adult" if adult else "under_18")

    def values(self) -> list[str]:
        """Every number and address this entry gives, as written."""
        found = [*self.call, *self.call_or_text]
        if self.text:
            found.append(self.text.number)
        found += [value for value in (self.web, self.chat) if isinstance(value, str)]
        return found


ENTRY_WAYS = ("call", "call_or_text", "text", "web", "chat", "search", "local_emergency")
ENTRY_FIELDS = ("name", "label", *ENTRY_WAYS, "ages", "source", "checked", "verified")


@dataclass(frozen=True)
class Tool:
    """A takedown tool and who may use it (help-directory.md, "Takedown tools")."""

    key: str
    name: str
    web: str
    pictures_taken: str  # under_18 or adult: for pictures taken at that age
    users: str  # any_age, under_18 or adult: who may use it
    regions: tuple[str, ...] | None  # None: any region
    source: str
    checked: dt.date | None
    verified: bool
    path: Path
    line: int

    def fits(self, adult: bool, region: str) -> bool:
        """Whether this tool may be offered to this person in this region."""
        allowed_user = self.users == "any_age" or self.users == ("adult" if adult else "under_18")
        allowed_pictures = adult or self.pictures_taken == "under_18"
        in_region = self.regions is None or region in self.regions
        return allowed_user and allowed_pictures and in_region


@dataclass(frozen=True)
class Region:
    """A region's help directory."""

    code: str
    name: str
    words: tuple[str, ...]
    locales: tuple[str, ...]
    emergency: HelpEntry
    crisis: tuple[HelpEntry, ...]
    helpline: tuple[HelpEntry, ...]
    report: tuple[HelpEntry, ...]
    platforms: tuple[HelpEntry, ...]
    takedown: dict[str, tuple[str, ...]]  # "under_18" / "adult" -> tool keys, in order
    path: Path

    def entries(self) -> list[HelpEntry]:
        """Every entry of this region once (crisis lines that repeat the helpline count once)."""
        seen: dict[int, HelpEntry] = {}
        for entry in (
            self.emergency,
            *self.crisis,
            *self.helpline,
            *self.report,
            *self.platforms,
        ):
            seen.setdefault(id(entry), entry)
        return list(seen.values())


def _date(node: _Map, key: str) -> dt.date | None:
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


def _phones(node: _Map, key: str) -> tuple[str, ...]:
    value = node.get(key)
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    phones = []
    for phone in values:
        phone = str(phone) if isinstance(phone, str | int) else None
        if not phone or not _is_phone(phone):
            node.report.error(
                node.path,
                node.line(key),
                f"`{key}`: {value!r} is not a phone number (digits, spaces, dashes, a leading +; "
                'write short numbers in quotes, like "999")',
            )
            continue
        phones.append(phone)
    return tuple(phones)


def _is_phone(value: str) -> bool:
    return bool(PHONE.match(value)) and sum(c.isdigit() for c in value) >= 3 and len(value) <= 20


def _address(node: _Map, key: str) -> str | None:
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


def _read_entry(node: _Map, named: bool = True) -> HelpEntry | None:
    """One entry; `named=False` for the emergency number, which is shown by its number only."""
    required = ("source", "checked", "verified")
    node.keys_must_be(required, set(ENTRY_FIELDS) - set(required))
    if not node.ok:
        return None
    name, label = node.text("name", required=False), node.text("label", required=False)
    if named and (name is None) == (label is None):
        node.report.error(node.path, node.start, "an entry needs a `name` or a `label` (one only)")
    if not any(node.get(way) not in (None, False) for way in ENTRY_WAYS):
        node.report.error(
            node.path, node.start, f"an entry needs a way to reach it: {', '.join(ENTRY_WAYS)}"
        )
    text_line = None
    raw_text = node.get("text")
    if isinstance(raw_text, dict):
        text_map = node.child("text")
        text_map.keys_must_be(("number",), ("word",))
        numbers = _phones(text_map, "number")
        if numbers:
            text_line = TextLine(numbers[0], text_map.text("word", required=False))
    elif raw_text is not None:
        numbers = _phones(node, "text")
        text_line = TextLine(numbers[0]) if numbers else None
    chat = node.get("chat")
    if chat is not None and chat is not True:
        chat = _address(node, "chat")
    ages = node.get("ages", "any")
    if ages not in ("any", *AGE_GROUPS):
        node.report.error(node.path, node.line("ages"), "`ages` must be any, under_18 or adult")
    for key in ("search", "local_emergency"):
        if key in node.data:
            node.flag(key)
    return HelpEntry(
        path=node.path,
        line=node.start,
        name=name,
        label=label,
        call=_phones(node, "call"),
        call_or_text=_phones(node, "call_or_text"),
        text=text_line,
        web=_address(node, "web"),
        chat=chat,
        search=node.get("search") is True,
        local_emergency=node.get("local_emergency") is True,
        ages=ages,
        source=node.text("source") or "",
        checked=_date(node, "checked"),
        verified=node.flag("verified"),
    )


def _read_entries(top: _Map, key: str, required: bool) -> list[HelpEntry | str]:
    """A list of entries; a `same_as: <section>` item is kept as the section's name."""
    raw = top.get(key)
    if raw is None and not required:
        return []
    if not isinstance(raw, list) or (required and not raw):
        top.report.error(top.path, top.line(key), f"`{key}` must be a list with at least one entry")
        return []
    found: list[HelpEntry | str] = []
    for index, item in enumerate(raw):
        line = _line_of(raw, index, top.line(key))
        node = _Map(item, top.path, line, top.report, f"an entry of `{key}`")
        if node.ok and "same_as" in node.data:
            node.keys_must_be(("same_as",))
            if node.get("same_as") not in ("helpline", "emergency") or key != "crisis":
                top.report.error(
                    top.path, line, "`same_as` is only for crisis lines: helpline or emergency"
                )
            else:
                found.append(node.get("same_as"))
            continue
        entry = _read_entry(node)
        if entry:
            found.append(entry)
    return found


REGION_FIELDS = ("schema", "region", "name", "words", "emergency", "crisis", "report", "takedown")
REGION_OPTIONAL = ("locales", "helpline", "platforms")


def _read_region(path: Path, tools: dict[str, Tool], report: _Report) -> Region | None:
    top = _Map(_read_yaml(path, report), path, 1, report, "a region file")
    if not top.ok:
        return None
    top.keys_must_be(REGION_FIELDS, REGION_OPTIONAL)
    code = path.stem
    _check_schema(top, code, "region")
    if not REGION_CODE.match(code):
        report.error(path, 1, "region file names are short lower-case codes like `uk.yml`")
    emergency_node = top.child("emergency")
    emergency = _read_entry(emergency_node, named=False) if emergency_node.ok else None
    if emergency and emergency.local_emergency and code != INTERNATIONAL:
        report.warning(
            path,
            top.line("emergency"),
            'no emergency number: "call your local emergency number" is shown; add the number',
        )
    helpline = [
        e for e in _read_entries(top, "helpline", required=False) if isinstance(e, HelpEntry)
    ]
    crisis: list[HelpEntry] = []
    for item in _read_entries(top, "crisis", required=True):
        if item == "helpline":
            if not helpline:
                report.error(path, top.line("crisis"), "`same_as: helpline` but no `helpline`")
            crisis += helpline
        elif item == "emergency":
            crisis += [emergency] if emergency else []
        else:
            crisis.append(item)
    reports = [e for e in _read_entries(top, "report", required=True) if isinstance(e, HelpEntry)]
    for adult, who in ((False, "someone under 18"), (True, "an adult")):
        if reports and not any(entry.is_for(adult) for entry in reports):
            report.error(path, top.line("report"), f"`report` has no entry for {who}")
    platforms = [e for e in _read_entries(top, "platforms", required=False) if e]
    locales = top.texts("locales")
    for locale in locales:
        if not COUNTRY_CODE.match(locale):
            report.error(path, top.line("locales"), f"locale {locale!r} is not a code like GB")
    takedown = _read_takedown(top, code, tools)
    if emergency is None or not top.text("name"):
        return None
    return Region(
        code=code,
        name=str(top.get("name")),
        words=top.texts("words"),
        locales=locales,
        emergency=emergency,
        crisis=tuple(crisis),
        helpline=tuple(helpline),
        report=tuple(reports),
        platforms=tuple(e for e in platforms if isinstance(e, HelpEntry)),
        takedown=takedown,
        path=path,
    )


def _read_takedown(top: _Map, region: str, tools: dict[str, Tool]) -> dict[str, tuple[str, ...]]:
    node = top.child("takedown")
    node.keys_must_be(AGE_GROUPS)
    routes: dict[str, tuple[str, ...]] = {}
    for group in AGE_GROUPS:
        keys = node.texts(group)
        line = node.line(group)
        adult = group == "adult"
        for key in keys:
            tool = tools.get(key)
            if tool is None:
                node.report.error(
                    node.path, line, f"`{key}` is not a tool in content/tools.yml ({group})"
                )
            elif not tool.fits(adult, region):
                node.report.error(node.path, line, _why_tool_does_not_fit(tool, group, region))
        if node.ok and group in node.data and "take_it_down" not in keys:
            node.report.error(
                node.path, line, f"`{group}` must offer take_it_down (it is offered everywhere)"
            )
        routes[group] = tuple(key for key in keys if key in tools)
    return routes


def _why_tool_does_not_fit(tool: Tool, group: str, region: str) -> str:
    if group == "under_18" and (tool.users == "adult" or tool.pictures_taken == "adult"):
        return (
            f"`{tool.key}` ({tool.name}) is for 18 and over only, and must never be offered "
            "under `under_18` (unknown age counts as under 18)"
        )
    if tool.regions is not None and region not in tool.regions:
        return f"`{tool.key}` ({tool.name}) is only for {', '.join(tool.regions)}, not {region}"
    return f"`{tool.key}` ({tool.name}) is not for `{group}`"


TOOL_FIELDS = ("name", "web", "pictures_taken", "users", "regions", "source", "checked", "verified")


def _read_tools(path: Path, report: _Report) -> dict[str, Tool]:
    top = _Map(_read_yaml(path, report), path, 1, report, "tools.yml")
    if not top.ok:
        return {}
    top.keys_must_be(("schema", "tools"))
    if top.get("schema") != SCHEMA_VERSION:
        report.error(path, top.line("schema"), f"`schema` must be {SCHEMA_VERSION}")
    tools_map = top.child("tools")
    tools = {}
    for key in tools_map.data:
        node = tools_map.child(key, f"tool `{key}`")
        node.keys_must_be(TOOL_FIELDS)
        if not node.ok:
            continue
        pictures, users, regions = (node.get(k) for k in ("pictures_taken", "users", "regions"))
        if pictures not in AGE_GROUPS:
            report.error(path, node.line("pictures_taken"), "`pictures_taken`: under_18 or adult")
        if users not in ("any_age", *AGE_GROUPS):
            report.error(path, node.line("users"), "`users` must be any_age, under_18 or adult")
        if pictures == "adult" and users != "adult":
            report.error(path, node.line("users"), "a tool for adult pictures is for adults only")
        if regions != "any" and not (isinstance(regions, list) and regions):
            report.error(path, node.line("regions"), "`regions`: any, or a list like [uk]")
        tools[str(key)] = Tool(
            key=str(key),
            name=node.text("name") or str(key),
            web=_address(node, "web") or "",
            pictures_taken=str(pictures),
            users=str(users),
            regions=None if regions == "any" else tuple(regions or ()),
            source=node.text("source") or "",
            checked=_date(node, "checked"),
            verified=node.flag("verified"),
            path=path,
            line=node.start,
        )
    return tools


# --- languages ------------------------------------------------------------------------------


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

    def phrase(self, *keys: str) -> Any:
        """A phrase from language.yml, e.g. phrase("contact", "call")."""
        value: Any = self.phrases
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value


LANGUAGE_FIELDS = ("schema", "language", "name", "switch_words", "detect_words", "contact")
LANGUAGE_OPTIONAL = (
    "detect_letters",
    "region_names",
    "region_elsewhere",
    "region_offer",
    "labels",
    "tools",
    "channel",
)
CONTACT_PHRASES = (
    "call",
    "call_or_text",
    "text",
    "text_word",
    "web",
    "chat_at",
    "chat_online",
    "search",
    "local_emergency",
    "or",
    "then",
    "and",
    "list_item",
    "inline",
)
VARIATION_FIELDS = ("text", "buttons", "condition", "language_buttons", "region_buttons")


def _read_variations(key: str, raw: Any, path: Path, line: int, report: _Report) -> tuple:
    if not isinstance(raw, list) or not raw:
        report.error(path, line, f"`{key}` must be a list of variations (`- text: ...`)")
        return ()
    variations = []
    for index, item in enumerate(raw):
        node = _Map(item, path, _line_of(raw, index, line), report, f"a variation of `{key}`")
        node.keys_must_be(("text",), VARIATION_FIELDS[1:])
        if not node.ok:
            continue
        buttons = []
        for b_index, button in enumerate(node.get("buttons") or []):
            b_node = _Map(
                button, path, _line_of(node.get("buttons"), b_index, node.start), report, "a button"
            )
            b_node.keys_must_be(("title", "payload"))
            if b_node.ok and b_node.text("title") and b_node.text("payload"):
                buttons.append((str(b_node.get("title")), str(b_node.get("payload"))))
        conditions = []
        for c_index, condition in enumerate(node.get("condition") or []):
            c_line = _line_of(node.get("condition"), c_index, node.start)
            c_node = _Map(condition, path, c_line, report, "a condition")
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


def _read_language(folder: Path, report: _Report) -> Language | None:
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
    top = _Map(_read_yaml(language_path, report), language_path, 1, report, "language.yml")
    top.keys_must_be(LANGUAGE_FIELDS, LANGUAGE_OPTIONAL)
    _check_schema(top, code, "language")
    top.texts("switch_words")
    top.texts("detect_words")
    contact = top.child("contact")
    contact.keys_must_be((), CONTACT_PHRASES)

    responses_top = _Map(
        _read_yaml(responses_path, report), responses_path, 1, report, "responses.yml"
    )
    responses_top.keys_must_be(("schema", "language", "responses"))
    _check_schema(responses_top, code, "language")
    responses_map = responses_top.child("responses")
    responses = {
        str(key): _read_variations(
            str(key), responses_map.get(key), responses_path, responses_map.line(key), report
        )
        for key in responses_map.data
    }

    crisis_top = _Map(_read_yaml(crisis_path, report), crisis_path, 1, report, "crisis.yml")
    crisis_top.keys_must_be(("schema", "language", "patterns", "examples", "not_crisis"))
    _check_schema(crisis_top, code, "language")
    patterns = crisis_top.texts("patterns")
    for index, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except re.error as error:
            line = _line_of(crisis_top.get("patterns"), index, crisis_top.line("patterns"))
            report.error(crisis_path, line, f"pattern {pattern!r} is not a valid regex: {error}")
    if not top.ok or not responses_top.ok:
        return None
    phrases = {k: v for k, v in top.data.items() if k not in ("schema", "language", "name")}
    return Language(
        code=code,
        name=top.text("name") or code,
        responses=responses,
        phrases=_plain(phrases),
        crisis_patterns=patterns,
        crisis_examples=crisis_top.texts("examples"),
        not_crisis_examples=crisis_top.texts("not_crisis"),
        path=folder,
    )


def _plain(value: Any) -> Any:
    """ruamel's commented maps and lists as plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _fill_from_english(
    language: Language, english: Language, regions: dict[str, Region], report: _Report
) -> None:
    """Fill every gap of a language with English, and report each gap as a warning."""
    folder = language.path or CONTENT_DIR / "languages" / language.code
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
        if path_keys[0] in ("switch_words", "detect_words", "detect_letters", "region_names"):
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


# --- all packs ------------------------------------------------------------------------------


@dataclass
class ContentPacks:
    """Every region, tool and language, read and checked."""

    regions: dict[str, Region]
    tools: dict[str, Tool]
    languages: dict[str, Language]
    problems: list[Problem]

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
    report = _Report()
    tools = _read_tools(content_dir / "tools.yml", report)
    regions = {}
    for path in sorted((content_dir / "regions").glob("*.yml")):
        region = _read_region(path, tools, report)
        if region:
            regions[region.code] = region
    if INTERNATIONAL not in regions:
        report.error(content_dir / "regions", 1, "there must be an `international.yml` fallback")
    languages = {}
    for folder in sorted(p for p in (content_dir / "languages").iterdir() if p.is_dir()):
        language = _read_language(folder, report)
        if language:
            languages[language.code] = language
    packs = ContentPacks(regions, tools, languages, report.problems)
    if DEFAULT_LANGUAGE not in languages:
        report.error(content_dir / "languages", 1, "there must be an English (`en`) pack")
        return packs
    _check_across_packs(packs, report)
    for code, language in languages.items():
        if code != DEFAULT_LANGUAGE:
            _fill_from_english(language, languages[DEFAULT_LANGUAGE], regions, report)
    return packs


def _check_across_packs(packs: ContentPacks, report: _Report) -> None:
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
    for tool in packs.tools.values():
        for part in ("about", "how"):
            if not english.phrase("tools", tool.key, part):
                report.error(
                    english.path / "language.yml" if english.path else tool.path,
                    1,
                    f"`tools.{tool.key}.{part}` is missing in English",
                )


_ACCENTS = re.compile(r"[\u0300-\u036f]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise_words(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: how region and language words are matched."""
    import unicodedata

    folded = _ACCENTS.sub("", unicodedata.normalize("NFKD", text.lower()))
    return " ".join(_NOT_WORD.sub(" ", folded).split())


@lru_cache(maxsize=4)
def content(content_dir: Path = CONTENT_DIR) -> ContentPacks:
    """The packs, read once per process; raises ContentError when they have errors."""
    packs = load_content(content_dir)
    if packs.errors:
        raise ContentError(packs.errors)
    return packs
