"""The help directory: where a region sends people, and the takedown tools and who may use them.

Read from `content/regions/<region>.yml` and `content/tools.yml` (schema:
docs/content-schema.md). Every entry carries its source, the date it was checked and whether it
is verified; a tool says for which ages and regions it is, and a region may not offer it to
anyone else.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path

from haven.packs.pack_reader import (
    SCHEMA_VERSION,
    PackNode,
    ProblemReport,
    check_schema,
    line_of,
    read_address,
    read_date,
    read_phones,
    read_yaml,
)

INTERNATIONAL = "international"
"""The region used when we don't know where someone lives, or their country has no pack."""
AGE_GROUPS = ("under_18", "adult")
"""Who an entry or a tool is for. Unknown age always counts as under 18."""
REGION_CODE = re.compile(r"^[a-z]{2,3}\Z|^international\Z")
COUNTRY_CODE = re.compile(r"^[A-Z]{2}\Z")
LANGUAGE_KEY = re.compile(r"^[a-z]{2,3}\Z")
MENU_OPTION = re.compile(r"^[0-9*#]{1,3}\Z")
ALWAYS = "always"
"""`hours: always`: open 24 hours a day, every day."""


@dataclass(frozen=True)
class TextLine:
    """A text (SMS) line: the number, and the word to send when there is one ("HOME")."""

    number: str
    word: str | None = None


@dataclass(frozen=True)
class Texts:
    """A text written in each language, English always there (`note: {en: "...", es: "..."}`)."""

    texts: tuple[tuple[str, str], ...] = ()  # (language, text)

    def text(self, language: str) -> str | None:
        """The text in `language`, else in English."""
        found = dict(self.texts)
        return found.get(language) or found.get("en")


@dataclass(frozen=True)
class OpeningHours:
    """When a line answers: always (24/7), or a text per language ("Monday to Saturday, ...")."""

    always: bool = False
    texts: tuple[tuple[str, str], ...] = ()  # (language, text); English is always there

    def text(self, language: str) -> str | None:
        """The hours in `language`, else in English; None when the line is always open."""
        found = dict(self.texts)
        return found.get(language) or found.get("en")


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
    find_at: str | None = None  # a directory where you find the place the label describes
    chat: str | bool | None = None  # an address, or true: "chat online" (no address known)
    search: bool = False  # no address in our sources: "search online for <name>"
    local_emergency: bool = False  # "call your local emergency number"
    press: str | None = None  # the menu option to press after calling ("2" for Spanish)
    hours: OpeningHours | None = None  # None: our sources do not say
    note: Texts | None = None  # what to expect, per language ("You don't have to give your name.")
    free: bool = False  # the pack says calls are free; make check-content asks phonenumbers
    ages: str = "any"  # any, under_18 or adult
    source: str = ""
    checked: dt.date | None = None
    verified: bool = False
    # How the entry differs for a reply in a language: (language, entry), from `in_language`.
    in_language: tuple[tuple[str, HelpEntry], ...] = ()

    @property
    def always_open(self) -> bool:
        """Whether the line answers 24 hours a day, every day."""
        return bool(self.hours and self.hours.always)

    def for_language(self, language: str) -> HelpEntry:
        """This entry as a reply in `language` gives it (the US 988 line in Spanish)."""
        return dict(self.in_language).get(language, self)

    def is_for(self, adult: bool) -> bool:
        """Whether to show this entry to an adult (True) or to someone under 18 or unknown."""
        return self.ages == "any" or self.ages == ("adult" if adult else "under_18")

    def values(self) -> list[str]:
        """Every number and address this entry gives, as written."""
        found = [*self.call, *self.call_or_text]
        if self.text:
            found.append(self.text.number)
        return found + self.addresses()

    def addresses(self) -> list[str]:
        """Every web address this entry gives, as written."""
        return [value for value in (self.web, self.find_at, self.chat) if isinstance(value, str)]

    def phones(self) -> list[str]:
        """Every phone number this entry gives, as written."""
        return [*self.call, *self.call_or_text, *([self.text.number] if self.text else [])]


ENTRY_WAYS = (
    "call",
    "call_or_text",
    "text",
    "web",
    "find_at",
    "chat",
    "search",
    "local_emergency",
)
FACT_FIELDS = ("source", "checked", "verified")
ENTRY_FIELDS = (
    "name",
    "label",
    *ENTRY_WAYS,
    "press",
    "hours",
    "note",
    "free",
    "ages",
    *FACT_FIELDS,
)
OVERRIDE_FIELDS = (
    "call",
    "call_or_text",
    "text",
    "web",
    "chat",
    "press",
    "hours",
    "note",
    "free",
    *FACT_FIELDS,
)
"""What `in_language` may change for a reply in one language (a fact, with its own source)."""


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
    languages: tuple[str, ...]
    """The languages young people there write in, of those Haven has, most common first: they
    decide a message whose words several languages share (Quebec's "yé tu possible", which
    Spanish shares "tu", "de" and "un" with, is French in Canada)."""
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
            for _, variant in entry.in_language:
                seen.setdefault(id(variant), variant)
        return list(seen.values())


def _read_entry(node: PackNode, named: bool = True) -> HelpEntry | None:
    """One entry; `named=False` for the emergency number, which is shown by its number only."""
    node.keys_must_be(FACT_FIELDS, set(ENTRY_FIELDS) - set(FACT_FIELDS) | {"in_language"})
    if not node.ok:
        return None
    name, label = node.text("name", required=False), node.text("label", required=False)
    if named and (name is None) == (label is None):
        node.report.error(node.path, node.start, "an entry needs a `name` or a `label` (one only)")
    if not any(node.get(way) not in (None, False) for way in ENTRY_WAYS):
        node.report.error(
            node.path, node.start, f"an entry needs a way to reach it: {', '.join(ENTRY_WAYS)}"
        )
    ages = node.get("ages", "any")
    if ages not in ("any", *AGE_GROUPS):
        node.report.error(node.path, node.line("ages"), "`ages` must be any, under_18 or adult")
    for key in ("search", "local_emergency"):
        if key in node.data:
            node.flag(key)
    if "find_at" in node.data and name is not None:
        node.report.error(
            node.path,
            node.line("find_at"),
            "`find_at` is a list of places to find one: describe the place with a `label` "
            '("a helpline for young people in your country"), not a `name`',
        )
    if node.get("free") is True and not (node.get("call") or node.get("call_or_text")):
        node.report.error(node.path, node.line("free"), "`free` is about calls: it needs `call`")
    entry = HelpEntry(
        path=node.path,
        line=node.start,
        name=name,
        label=label,
        search=node.get("search") is True,
        local_emergency=node.get("local_emergency") is True,
        ages=ages,
        **_read_facts(node),
    )
    return replace(entry, in_language=_read_in_language(node, entry))


def _read_facts(node: PackNode) -> dict:
    """The fields an entry and its `in_language` variants share: the ways, hours, source."""
    values: dict = {"source": node.text("source") or "", "checked": read_date(node, "checked")}
    values["verified"] = node.flag("verified")
    for key in ("call", "call_or_text"):
        if key in node.data:
            values[key] = read_phones(node, key)
    for key in ("web", "find_at"):
        if key in node.data:
            values[key] = read_address(node, key)
    if "chat" in node.data:  # an address, or true: "chat online" (no address known)
        values["chat"] = True if node.get("chat") is True else read_address(node, "chat")
    if "text" in node.data:
        values["text"] = _read_text_line(node)
    if "press" in node.data:
        values["press"] = _read_press(node)
    if "hours" in node.data:
        values["hours"] = _read_hours(node)
    if "note" in node.data:
        values["note"] = _read_note(node)
    if "free" in node.data:
        values["free"] = node.flag("free")
    return values


def _read_text_line(node: PackNode) -> TextLine | None:
    """`text: "85258"` or `text: {number: "741741", word: HOME}`."""
    if isinstance(node.get("text"), dict):
        text_map = node.child("text")
        text_map.keys_must_be(("number",), ("word",))
        numbers = read_phones(text_map, "number")
        return TextLine(numbers[0], text_map.text("word", required=False)) if numbers else None
    numbers = read_phones(node, "text")
    return TextLine(numbers[0]) if numbers else None


def _read_press(node: PackNode) -> str | None:
    """The menu option to press after calling: `press: "2"`, only with `call`."""
    value = node.get("press")
    if not isinstance(value, str) or not MENU_OPTION.match(value):
        node.report.error(
            node.path, node.line("press"), '`press` is the option to dial, in quotes: `press: "2"`'
        )
        return None
    if not node.get("call"):
        node.report.error(node.path, node.line("press"), "`press` needs the `call` number")
    return value


def _read_hours(node: PackNode) -> OpeningHours | None:
    """`hours: always`, or `hours: {en: "Monday to Friday, 9 am to 5 pm", es: "..."}`."""
    if node.get("hours") == ALWAYS:
        return OpeningHours(always=True)
    problem = (
        "`hours` is `always` (24/7) or the opening hours in each language, English first: "
        '`{en: "Monday to Saturday, 2 pm to 8 pm", es: "..."}`'
    )
    texts = _read_per_language(node, "hours", problem)
    return OpeningHours(texts=texts) if texts else None


def _read_per_language(node: PackNode, key: str, problem: str) -> tuple[tuple[str, str], ...]:
    """`{en: "...", es: "..."}`: a text in each language, English first; () after an error."""
    value = node.get(key)
    if not isinstance(value, dict) or "en" not in value:
        node.report.error(node.path, node.line(key), problem)
        return ()
    texts = []
    for language, text in value.items():
        if not LANGUAGE_KEY.match(str(language)) or not isinstance(text, str) or not text.strip():
            node.report.error(node.path, node.line(key), problem)
            return ()
        texts.append((str(language), text))
    return tuple(texts)


def _read_note(node: PackNode) -> Texts | None:
    """`note: {en: "Reports aren't anonymous.", es: "..."}`: what to expect, after the ways."""
    problem = '`note` is a short text in each language, English first: `{en: "...", es: "..."}`'
    texts = _read_per_language(node, "note", problem)
    return Texts(texts) if texts else None


def _read_in_language(node: PackNode, base: HelpEntry) -> tuple[tuple[str, HelpEntry], ...]:
    """`in_language: {es: {...}}`: what changes in a reply in that language, with its source."""
    if "in_language" not in node.data:
        return ()
    languages = node.child("in_language")
    variants = []
    for language in languages.data:
        variant = languages.child(language, f"`in_language.{language}`")
        variant.keys_must_be(FACT_FIELDS, set(OVERRIDE_FIELDS) - set(FACT_FIELDS))
        if not LANGUAGE_KEY.match(str(language)):
            node.report.error(node.path, languages.line(language), "a language code like `es`")
        if not variant.ok:
            continue
        entry = replace(base, line=variant.start, **_read_facts(variant))
        if not (entry.phones() or entry.addresses()):
            node.report.error(node.path, variant.start, "this variant leaves no way to reach it")
        variants.append((str(language), entry))
    return tuple(variants)


def _read_entries(top: PackNode, key: str, required: bool) -> list[HelpEntry | str]:
    """A list of entries; a `same_as: <section>` item is kept as the section's name."""
    raw = top.get(key)
    if raw is None and not required:
        return []
    if not isinstance(raw, list) or (required and not raw):
        top.report.error(top.path, top.line(key), f"`{key}` must be a list with at least one entry")
        return []
    found: list[HelpEntry | str] = []
    for index, item in enumerate(raw):
        line = line_of(raw, index, top.line(key))
        node = PackNode(item, top.path, line, top.report, f"an entry of `{key}`")
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
REGION_OPTIONAL = ("locales", "languages", "helpline", "platforms")


def read_region(path: Path, tools: dict[str, Tool], report: ProblemReport) -> Region | None:
    top = PackNode(read_yaml(path, report), path, 1, report, "a region file")
    if not top.ok:
        return None
    top.keys_must_be(REGION_FIELDS, REGION_OPTIONAL)
    code = path.stem
    check_schema(top, code, "region")
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
    crisis_items = _read_entries(top, "crisis", required=True)
    for item in crisis_items:
        if item == "helpline":
            if not helpline:
                report.error(path, top.line("crisis"), "`same_as: helpline` but no `helpline`")
            crisis += helpline
        elif item == "emergency":
            crisis += [emergency] if emergency else []
        elif isinstance(item, HelpEntry):
            crisis.append(item)
    _require_crisis_lines_for_everyone(top, crisis)
    if crisis and code != INTERNATIONAL:
        _require_a_line_open_now(top, crisis, emergency)
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
        languages=tuple(code.lower() for code in top.texts("languages")),
        emergency=emergency,
        crisis=tuple(crisis),
        helpline=tuple(helpline),
        report=tuple(reports),
        platforms=tuple(e for e in platforms if isinstance(e, HelpEntry)),
        takedown=takedown,
        path=path,
    )


def _require_a_line_open_now(
    top: PackNode, crisis: list[HelpEntry], emergency: HelpEntry | None
) -> None:
    """Someone in crisis at 3 am on a Sunday, of any age, must find a line that answers then."""
    for adult, who in ((False, "someone under 18"), (True, "an adult")):
        shown = [entry for entry in crisis if entry.is_for(adult)]
        if not any(entry.always_open or entry is emergency for entry in shown):
            top.report.error(
                top.path,
                top.line("crisis"),
                f"`crisis` has no line open 24/7 for {who}: add one with `hours: always` (from "
                "its own site) and `ages` that fit, or `- same_as: emergency`",
            )


def _require_crisis_lines_for_everyone(top: PackNode, crisis: list[HelpEntry]) -> None:
    """An adult must never be sent to a line only for children, nor left with no line at all."""
    for adult, who in ((False, "someone under 18"), (True, "an adult")):
        if crisis and not any(entry.is_for(adult) for entry in crisis):
            top.report.error(
                top.path,
                top.line("crisis"),
                f"`crisis` has no line for {who}: add one whose `ages` fit, or "
                "`- same_as: emergency`",
            )


def _read_takedown(
    top: PackNode, region: str, tools: dict[str, Tool]
) -> dict[str, tuple[str, ...]]:
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


def read_tools(path: Path, report: ProblemReport) -> dict[str, Tool]:
    top = PackNode(read_yaml(path, report), path, 1, report, "tools.yml")
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
            web=read_address(node, "web") or "",
            pictures_taken=str(pictures),
            users=str(users),
            regions=None if regions == "any" else tuple(regions or ()),
            source=node.text("source") or "",
            checked=read_date(node, "checked"),
            verified=node.flag("verified"),
            path=path,
            line=node.start,
        )
    return tools
