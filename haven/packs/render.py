"""Turning a response key into what the young person reads, in their language and region.

`Renderer.render("utter_crisis", language="es", region="uk", slots=...)` picks the variation of
`content/languages/es/responses.yml` whose condition holds, fills `{crisis}` and the other
placeholders from `content/regions/uk.yml`, and adds the buttons. Age decides which entries and
takedown tools are shown: only `age_band: adult` counts as an adult; unknown age is under 18, and
a tool that does not fit the person is never shown, whatever a pack says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from haven.packs.content import (
    DEFAULT_LANGUAGE,
    INTERNATIONAL,
    ContentPacks,
    HelpEntry,
    Language,
    Region,
    Tool,
    Variation,
)

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
REGION_PLACEHOLDERS = frozenset(
    {
        "emergency",
        "crisis",
        "crisis_first",
        "helpline",
        "report",
        "report_names",
        "takedown",
        "takedown_how",
        "takedown_names",
        "takedown_links",
        "region_name",
    }
)
"""Placeholders filled from the region's help directory (the rest come from slots)."""

OTHER_PLACEHOLDERS = frozenset({"language_name"})
EMERGENCY_LABEL = "emergency_services"
"""The label of the emergency number when a crisis list repeats it (`same_as: emergency`)."""
CHOOSE_REGION_PAYLOAD = "/choose_region"
ADULT = "adult"
AGE_BANDS = (None, "minor", ADULT)
"""The values of the `age_band` slot: unset, minor or adult (unset counts as under 18)."""


def fill(template: str, values: Mapping[str, Any] | Callable[[str], str | None]) -> str:
    """Replace each `{name}` that has a value; unknown names stay as they are."""
    lookup = values if callable(values) else values.get

    def replace(match: re.Match[str]) -> str:
        value = lookup(match.group(1))
        return match.group(0) if value is None else str(value)

    return PLACEHOLDER.sub(replace, template)


def is_adult(slots: Mapping[str, Any]) -> bool:
    """Only `age_band: adult` is an adult; `minor` and unknown age are treated as under 18."""
    return slots.get("age_band") == ADULT


def set_language_payload(code: str) -> str:
    """The payload of a language button."""
    return "/set_language" + json.dumps({"language": code})


def tell_region_payload(code: str) -> str:
    """The payload of a country button."""
    return "/tell_region" + json.dumps({"region": code})


class Renderer:
    """Renders responses and channel messages from the content packs."""

    def __init__(self, packs: ContentPacks) -> None:
        self.packs = packs

    def language(self, code: str | None) -> Language:
        """The pack for `code`; English for a language Haven does not have."""
        return self.packs.languages.get(code or "", self.packs.languages[DEFAULT_LANGUAGE])

    def region(self, code: str | None) -> Region:
        """The region pack for `code`; the international fallback when unknown."""
        return self.packs.regions.get(code or "", self.packs.regions[INTERNATIONAL])

    def has_response(self, key: str) -> bool:
        return key in self.packs.languages[DEFAULT_LANGUAGE].responses

    def render(
        self,
        key: str,
        *,
        language: str | None,
        region: str | None,
        slots: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """The message for response `key` ({"text", "buttons"}), or None if there is no such key."""
        pack = self.language(language)
        variations = pack.responses.get(key)
        if not variations:
            return None
        slots = dict(slots or {})
        place = self.region(region)
        region_known = region in self.packs.regions and region != INTERNATIONAL
        variation = _choose(variations, {**slots, "region": region, "language": pack.code})
        facts = _Facts(self, pack, place, adult=is_adult(slots))

        def value(name: str) -> str | None:
            if name in REGION_PLACEHOLDERS:
                return facts.get(name)
            if name == "language_name":
                return pack.name
            found = slots.get(name)
            return None if found is None else str(found)

        text = fill(variation.text, value)
        buttons = list(variation.buttons)
        if variation.language_buttons:
            buttons += self.language_buttons(pack.code)
        if variation.region_buttons:
            buttons += self.region_buttons(pack.code)
        elif facts.used and not region_known:
            text += "\n\n" + pack.phrase("region_offer", "text")
            buttons.append((pack.phrase("region_offer", "button"), CHOOSE_REGION_PAYLOAD))
        message: dict[str, Any] = {"text": text}
        if buttons:
            message["buttons"] = [{"title": t, "payload": p} for t, p in buttons]
        return message

    def fill_text(
        self,
        text: str,
        *,
        language: str | None,
        region: str | None,
        slots: Mapping[str, Any] | None = None,
    ) -> str:
        """`text` (not a response of the packs: a counselor's canned response) with its region
        placeholders filled from the help directory of `region`, as `render` fills them."""
        pack = self.language(language)
        facts = _Facts(self, pack, self.region(region), adult=is_adult(slots or {}))
        return fill(text, lambda name: pack.name if name == "language_name" else facts.get(name))

    def channel_message(self, key: str, *, language: str | None, region: str | None) -> str:
        """What the chat channel says itself (`channel:` in language.yml)."""
        pack = self.language(language)
        facts = _Facts(self, pack, self.region(region), adult=False)
        return fill(pack.phrase("channel", key), facts.get)

    def notice(
        self,
        key: str,
        *,
        language: str | None,
        region: str | None,
        values: Mapping[str, Any] | None = None,
        adult: bool = False,
    ) -> str:
        """A text of `notices:` in language.yml (what the web chat says about a wait, a request
        that ended, a counselor who joined), with the region's help lines and `values` (numbers
        such as `{place}` and `{minutes}`). Help lines for under 18s unless `adult`."""
        pack = self.language(language)
        facts = _Facts(self, pack, self.region(region), adult=adult)
        given = {name: str(value) for name, value in (values or {}).items()}

        def value(name: str) -> str | None:
            return facts.get(name) if name in REGION_PLACEHOLDERS else given.get(name)

        return fill(str(pack.phrase("notices", key) or ""), value)

    def entry_name(self, entry: HelpEntry, *, language: str | None) -> str:
        """How a reply in `language` names an entry inside a sentence ("contact <name>")."""
        return _Facts(self, self.language(language), self.region(None), adult=False).name_of(entry)

    def headline(
        self, key: str, *, language: str | None, slots: Mapping[str, Any] | None = None
    ) -> str:
        """The first line of a response for these slots: "Step 5: Tell a trusted adult."."""
        pack = self.language(language)
        variation = _choose(pack.responses[key], {**(slots or {}), "language": pack.code})
        return variation.text.split("\n", 1)[0].strip()

    def language_buttons(self, current: str) -> list[tuple[str, str]]:
        """A button for each other language, titled in that language."""
        return [
            (pack.name, set_language_payload(code))
            for code, pack in sorted(self.packs.languages.items())
            if code != current
        ]

    def region_buttons(self, language: str) -> list[tuple[str, str]]:
        """A button for each region, by name in this language, then "Somewhere else"."""
        named = sorted(
            (self.packs.region_name(code, language), code)
            for code in self.packs.regions
            if code != INTERNATIONAL
        )
        elsewhere = self.language(language).phrase("region_elsewhere")
        return [(name, tell_region_payload(code)) for name, code in named] + [
            (elsewhere, tell_region_payload(INTERNATIONAL))
        ]


def _choose(variations: tuple[Variation, ...], values: Mapping[str, Any]) -> Variation:
    """The first variation whose conditions all hold (the last one has none)."""
    for variation in variations:
        if all(_same(values.get(name), wanted) for name, wanted in variation.conditions):
            return variation
    return variations[-1]


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(value, str) and isinstance(wanted, str):
        return value.casefold() == wanted.casefold()
    return value == wanted


class _Facts:
    """The region placeholders for one message, worked out only when a text uses them."""

    def __init__(self, renderer: Renderer, language: Language, region: Region, adult: bool):
        self.packs = renderer.packs
        self.language = language
        self.region = region
        self.adult = adult
        self.used = False

    def get(self, name: str) -> str | None:
        method = getattr(self, f"_{name}", None)
        if name not in REGION_PLACEHOLDERS or method is None:
            return None
        self.used = True
        return method()

    # how to reach one entry
    def _phrase(self, key: str, **values: str) -> str:
        return fill(self.language.phrase("contact", key), values)

    def name_of(self, entry: HelpEntry) -> str:
        """Its proper name, else its label in this language (the emergency number has neither).

        A label is what the place is, written to sit inside a sentence ("contact a helpline for
        young people in your country"); a list item starts it with a capital letter.
        """
        if entry.name:
            return entry.name
        return self.packs.label(entry.label or EMERGENCY_LABEL, self.language.code)

    def heading_of(self, entry: HelpEntry) -> str:
        """The name at the start of a list item: a label gets its capital letter."""
        name = self.name_of(entry)
        return name if entry.name else name[:1].upper() + name[1:]

    def ways(self, entry: HelpEntry) -> str:
        either = self.language.phrase("contact", "or")
        ways = []
        if entry.local_emergency:
            ways.append(self._phrase("local_emergency"))
        free = self.language.phrase("contact", "free") if entry.free else ""
        if entry.call_or_text:
            number = either.join(entry.call_or_text) + free
            ways.append(self._phrase("call_or_text", number=number))
        if entry.call and entry.press:
            number = either.join(entry.call)
            ways.append(self._phrase("call_press", number=number, press=entry.press) + free)
        elif entry.call:
            ways.append(self._phrase("call", number=either.join(entry.call) + free))
        if entry.text and entry.text.word:
            ways.append(self._phrase("text_word", word=entry.text.word, number=entry.text.number))
        elif entry.text:
            ways.append(self._phrase("text", number=entry.text.number))
        if entry.web:
            ways.append(self._phrase("web", address=entry.web))
        if entry.find_at:
            ways.append(self._phrase("find_at", address=entry.find_at))
        if isinstance(entry.chat, str):
            ways.append(self._phrase("chat_at", address=entry.chat))
        elif entry.chat:
            ways.append(self._phrase("chat_online"))
        if entry.search:
            ways.append(self._phrase("search", name=self.name_of(entry)))
        return self.language.phrase("contact", "then").join(ways) + self.hours(entry)

    def hours(self, entry: HelpEntry) -> str:
        """When the line answers (" — open 24/7"), or nothing when our sources do not say."""
        if entry.hours is None:
            return ""
        if entry.hours.always:
            when = self.language.phrase("contact", "always")
        else:
            when = entry.hours.text(self.language.code)
        return self._phrase("hours", hours=when or "")

    def item(self, entry: HelpEntry) -> str:
        """One line of a list: "- Childline: call 0800 1111", then what to expect, if known."""
        line = self._phrase("list_item", name=self.heading_of(entry), ways=self.ways(entry))
        note = entry.note.text(self.language.code) if entry.note else None
        return line + self._phrase("note", note=note) if note else line

    def inline(self, entry: HelpEntry) -> str:
        return self._phrase("inline", name=self.name_of(entry), ways=self.ways(entry))

    def for_age(self, entries: tuple[HelpEntry, ...]) -> list[HelpEntry]:
        """The entries for this person, each as a reply in this language gives it."""
        return [
            entry.for_language(self.language.code) for entry in entries if entry.is_for(self.adult)
        ]

    def tools(self) -> list[Tool]:
        group = "adult" if self.adult else "under_18"
        tools = [self.packs.tools[key] for key in self.region.takedown.get(group, ())]
        # A pack can be wrong; a tool that does not fit this person is never shown.
        return [tool for tool in tools if tool.fits(self.adult, self.region.code)]

    def and_list(self, names: list[str]) -> str:
        if len(names) < 2:
            return "".join(names)
        return ", ".join(names[:-1]) + self.language.phrase("contact", "and") + names[-1]

    # the placeholders
    def _emergency(self) -> str:
        return self.ways(self.region.emergency.for_language(self.language.code))

    def _crisis(self) -> str:
        return "\n".join(self.item(entry) for entry in self.for_age(self.region.crisis))

    def _crisis_first(self) -> str:
        return self.inline(self.for_age(self.region.crisis)[0])

    def _helpline(self) -> str:
        return "\n".join(self.item(entry) for entry in self.for_age(self.region.helpline))

    def _report(self) -> str:
        return "\n".join(self.item(entry) for entry in self.for_age(self.region.report))

    def _report_names(self) -> str:
        return self.and_list([self.name_of(entry) for entry in self.for_age(self.region.report)])

    def _takedown(self) -> str:
        return "\n\n".join(
            fill(self.language.phrase("tools", tool.key, "about"), {"web": tool.web})
            for tool in self.tools()
        )

    def _takedown_how(self) -> str:
        return "\n\n".join(
            fill(self.language.phrase("tools", tool.key, "how"), {"web": tool.web})
            for tool in self.tools()
        )

    def _takedown_names(self) -> str:
        return self.and_list([tool.name for tool in self.tools()])

    def _takedown_links(self) -> str:
        return self.and_list([f"{tool.name} ({tool.web})" for tool in self.tools()])

    def _region_name(self) -> str:
        return self.packs.region_name(self.region.code, self.language.code)
