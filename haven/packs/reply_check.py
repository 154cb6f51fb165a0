"""What no reply may ever say: `make check-content` renders them all and reads each one.

A pack can pass every field check and still make Haven say something wrong: "contact Find a
helpline for young people" (a label written as an instruction, inside a sentence), "tell the
app you are under 18" to an adult, StopNCII (18+ only) to a child, an address the web chat
shows as plain text, or a reply too long for a phone. So `check_replies` renders every response
and channel message for every region, language and `age_band` (unset, minor, adult) and reads
the texts the way a user would.

The words it looks for are each language's own (`checks:` in `language.yml`); the rule that
turns an address into a link is read from the widget itself (`LINK_PATTERN` in widget/haven.js),
so the check and the widget cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from haven.packs.content import CONTENT_DIR, PROJECT_DIR, ContentPacks, Language, Problem, Region
from haven.packs.render import AGE_BANDS, PLACEHOLDER, Renderer

WIDGET_JS = PROJECT_DIR / "widget" / "haven.js"
_JS_PATTERN = re.compile(r"var LINK_PATTERN = new RegExp\('((?:[^'\\]|\\.)*)', 'gi'\);")
_TRAILING = re.compile(r"[.,;:!?)\]]+$")  # what the widget trims off the end of a link
# The longest reply a phone screen shows without scrolling a long way. A translation runs longer
# than English (Dutch by about a fifth), so a pack can pass every other check and still exceed it.
MAX_REPLY_CHARACTERS = 1000


def widget_link_pattern(widget_js: Path = WIDGET_JS) -> re.Pattern[str]:
    """The widget's own rule for what becomes a link, as a Python pattern."""
    found = _JS_PATTERN.search(widget_js.read_text(encoding="utf-8"))
    if not found:
        raise ValueError(
            f"{widget_js}: no `var LINK_PATTERN = new RegExp('...', 'gi');` on one line; "
            "keep the widget's link rule as one string literal so the content check can read it"
        )
    source = re.sub(r"\\(.)", r"\1", found.group(1))  # the JavaScript string's own escapes
    return re.compile(source, re.IGNORECASE)


def widget_links(text: str, pattern: re.Pattern[str]) -> list[str]:
    """The addresses the widget shows as links in `text`, as it finds them."""
    return [_TRAILING.sub("", match.group(0)) for match in pattern.finditer(text)]


@dataclass(frozen=True)
class Rendered:
    """One reply as a user in this region, language and age band reads it."""

    key: str
    region: Region
    language: Language
    age_band: str | None
    text: str
    where: tuple[Path, int]

    @property
    def adult(self) -> bool:
        """Whether this reply is for an adult (`age_band: adult`); unset counts as under 18."""
        return self.age_band == "adult"

    def problem(self, what: str) -> Problem:
        """An error at the response's file and line, naming who would read this reply."""
        who = f"age_band {self.age_band}" if self.age_band else "unknown age"
        return Problem(
            *self.where, f"`{self.key}` ({self.language.code}, {self.region.code}, {who}): {what}"
        )


def rendered_replies(packs: ContentPacks) -> Iterator[Rendered]:
    """Every response and channel message, for every region, language and age band."""
    renderer = Renderer(packs)
    for language in packs.languages.values():
        language_file = (language.path or CONTENT_DIR) / "language.yml"
        for region in packs.regions.values():
            for age_band in AGE_BANDS:
                slots: dict = {"age_band": age_band}
                steps = [k for k in language.responses if k.startswith("utter_step_")]
                slots["progress_done"] = slots["progress_left"] = "\n".join(
                    renderer.headline(k, language=language.code, slots=slots) for k in steps
                )
                for key, variations in language.responses.items():
                    message = renderer.render(
                        key, language=language.code, region=region.code, slots=slots
                    )
                    where = (variations[0].path or CONTENT_DIR, variations[0].line)
                    text = (message or {}).get("text", "")
                    yield Rendered(key, region, language, age_band, text, where)
            for key in language.phrase("channel") or {}:
                text = renderer.channel_message(key, language=language.code, region=region.code)
                yield Rendered(f"channel.{key}", region, language, None, text, (language_file, 1))


def check_replies(packs: ContentPacks, widget_js: Path = WIDGET_JS) -> list[Problem]:
    """Every problem a user would see in a rendered reply."""
    link = widget_link_pattern(widget_js)
    adult_only = [
        word.casefold()
        for tool in packs.tools.values()
        if tool.users == "adult"
        for word in (tool.name, tool.web)
    ]
    found = []
    for reply in rendered_replies(packs):
        found += _left_placeholders(reply)
        found += _too_long(reply)
        found += _names_that_break_sentences(packs, reply)
        found += _unlinked_addresses(packs, reply, link)
        if reply.adult:
            found += _minor_words_for_adults(reply)
            found += _child_lines_for_adults(reply)
        elif any(word in reply.text.casefold() for word in adult_only):
            found.append(reply.problem("offers an 18+ tool (StopNCII) to someone under 18"))
    return found


def _left_placeholders(reply: Rendered) -> list[Problem]:
    left = PLACEHOLDER.findall(reply.text)
    return [reply.problem(f"leaves {{{left[0]}}} unfilled")] if left else []


def _too_long(reply: Rendered) -> list[Problem]:
    if len(reply.text) <= MAX_REPLY_CHARACTERS:
        return []
    return [
        reply.problem(
            f"is {len(reply.text)} characters, more than {MAX_REPLY_CHARACTERS}: too long to read "
            "on a phone; shorten it (or the texts it puts in, such as `tools` in language.yml)"
        )
    ]


def _names_that_break_sentences(packs: ContentPacks, reply: Rendered) -> list[Problem]:
    """A name that is an instruction or holds a comma breaks "contact X" and "A, B and C"."""
    renderer = Renderer(packs)
    verbs = {w.casefold() for w in reply.language.phrase("checks", "instruction_words") or ()}
    found = []
    for entry in reply.region.entries():
        name = renderer.entry_name(entry, language=reply.language.code)
        if name.casefold() not in reply.text.casefold():
            continue
        first = name.split()[0].casefold() if name.split() else ""
        if first in verbs:
            found.append(
                reply.problem(
                    f"names an entry by an instruction ({name!r}): a label says what the place "
                    'is ("a helpline for young people in your country"), so it reads right '
                    'after "contact" and in a list'
                )
            )
        elif "," in name:
            found.append(
                reply.problem(f"names an entry with a comma ({name!r}), which breaks a list")
            )
    return found


def _unlinked_addresses(
    packs: ContentPacks, reply: Rendered, link: re.Pattern[str]
) -> list[Problem]:
    """Every address a pack gives must be a whole link in the web chat."""
    addresses = {a for entry in reply.region.entries() for a in entry.addresses()}
    addresses |= {tool.web for tool in packs.tools.values()}
    linked = {address.casefold() for address in widget_links(reply.text, link)}
    return [
        reply.problem(f"shows {address} as plain text: the web chat would not link it")
        for address in sorted(addresses)
        if _shows(address, reply.text) and address.casefold() not in linked
    ]


def _shows(address: str, text: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(address)}(?![\w/])", text, re.IGNORECASE) is not None


def _minor_words_for_adults(reply: Rendered) -> list[Problem]:
    """An adult is never told to say they are under 18, nor spoken to as a child."""
    found = []
    for key, what in (
        ("says_under_18", "tells an adult to say they are under 18"),
        ("for_minors", "speaks to an adult as to a child"),
    ):
        said = [
            words
            for words in reply.language.phrase("checks", key) or ()
            if words.casefold() in reply.text.casefold()
        ]
        if said:
            found.append(reply.problem(f"{what} ({said[0]!r}): add an `age_band: adult` variation"))
    return found


def _child_lines_for_adults(reply: Rendered) -> list[Problem]:
    """A line only for young people (`ages: under_18`) is never an adult's crisis line."""
    entries = reply.region.entries()
    for_everyone = {v for e in entries if e.ages != "under_18" for v in e.values()}
    child_only = {v for e in entries if e.ages == "under_18" for v in e.values()} - for_everyone
    shown = [value for value in sorted(child_only) if _shows_number(value, reply.text)]
    if not shown:
        return []
    return [reply.problem(f"gives an adult a line for under-18s only ({shown[0]})")]


def _shows_number(value: str, text: str) -> bool:
    return re.search(rf"(?<![\w.-]){re.escape(value)}(?![\w-])", text) is not None
