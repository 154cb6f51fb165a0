"""Which language to speak and which region's help lines to give.

Two kinds of evidence, kept in separate slots so that a choice is never overwritten by a guess:

- a **choice**: the user asked for a language ("en español", a language button, the widget's
  language menu) or named where they live ("I'm in the UK", a country button, "vivo en México"):
  slots `language`, `region`;
- a **hint**: the chat channel's metadata (`language`, `region`, `locale` such as "es-MX"),
  else the language the message is written in: slots `language_hint`, `region_hint`.

The choice wins, then the hint, then English and the international fallback. The latest choice
wins, however it was made: each one sets the slot again when it is made. So the widget sends a
language picked in its menu once, as `chosen_language` with the next message (while `language`,
the language it shows, goes with every message as a hint): a sentence typed later ("in english
please") then wins over the menu, and a later pick in the menu over that sentence. Haven never
looks at the IP address. Everything here is plain Python over the content packs, testable
without Rasa.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from haven.nlu.crisis_patterns import crisis_language
from haven.nlu.facts import RegionReader, chosen_region
from haven.packs.content import (
    DEFAULT_LANGUAGE,
    INTERNATIONAL,
    ContentPacks,
    content,
    normalise_words,
)

SET_LANGUAGE_INTENT = "set_language"
TELL_REGION_INTENT = "tell_region"
MAX_WORDS_OF_A_BARE_SWITCH = 3
""""español", "english pls": a message this short naming a language is a request to switch."""

_LOCALE = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?\Z")
CHOSEN_LANGUAGE = "chosen_language"
"""The metadata key of a language picked in a channel's menu, sent once, when it was picked."""
LANGUAGE_SET_RESPONSE = "utter_language_set"
"""The reply to a language asked for in words or with a button ("I'll write in English")."""
LANGUAGE_SET = "haven_language_set"
"""Custom data of that reply in the web chat: the language chosen, which the widget then shows
its own texts in, so its menu and quick exit follow a choice typed in the chat too."""
LANGUAGE_ENTITIES = frozenset({"language", "language_hint"})
REGION_ENTITIES = frozenset({"region", "region_hint"})


def effective_language(slots: Mapping[str, Any], packs: ContentPacks) -> str:
    """The language to answer in: the user's choice, else the hint, else English."""
    for slot in ("language", "language_hint"):
        if slots.get(slot) in packs.languages:
            return str(slots[slot])
    return DEFAULT_LANGUAGE


def effective_region(slots: Mapping[str, Any], packs: ContentPacks) -> str | None:
    """The region whose help lines to give: the choice, else the hint; None when unknown."""
    for slot in ("region", "region_hint"):
        if slots.get(slot) in packs.regions:
            return str(slots[slot])
    return None


class LocaleFinder:
    """Finds language and region in a message and its metadata, from the packs' word lists."""

    def __init__(self, packs: ContentPacks) -> None:
        self.packs = packs
        self.switch_words = _phrases(
            {code: lang.phrase("switch_words") or () for code, lang in packs.languages.items()}
        )
        # How people name a region (its `words`, its name in every language), and negate it.
        self.places = RegionReader(packs)
        self.detect_words = {
            code: frozenset(normalise_words(w) for w in lang.phrase("detect_words") or ())
            for code, lang in packs.languages.items()
        }
        self.detect_letters = {
            code: str(lang.phrase("detect_letters") or "") for code, lang in packs.languages.items()
        }
        self.countries = {
            country: code for code, region in packs.regions.items() for country in region.locales
        }

    # --- what the user says -----------------------------------------------------------------

    def requested_language(self, text: str, intent: str | None) -> str | None:
        """The language the user asks for ("in Spanish please"), if they ask for one."""
        words = normalise_words(text)
        found = _first_phrase(words, self.switch_words)
        if found and (
            intent == SET_LANGUAGE_INTENT or len(words.split()) <= MAX_WORDS_OF_A_BARE_SWITCH
        ):
            return found
        return None

    def named_region(self, text: str) -> str | None:
        """The region a message names ("I'm in the UK", "vivo en Irlanda"), never a negated one
        ("not in the US"); None if it names none."""
        return self.places.read(text)

    def detect_language(self, text: str, region: str | None = None) -> str | None:
        """The language a message is written in, or None when it is too short or mixed to tell.

        Counts each language's common words (`detect_words`) and letters (`detect_letters`,
        such as ñ or ¿); a crisis pattern that matches also counts for its language. When two
        languages come close, the region's `languages` decide: in Canada "yé tu possible de
        parler a un intervenant" (French 2: parler, intervenant; Spanish 3: tu, de, un) is French.
        """
        words = normalise_words(text).split()
        if not words:
            return None
        scores = {
            code: sum(word in known for word in words)
            + (2 if any(letter in text.lower() for letter in self.detect_letters[code]) else 0)
            for code, known in self.detect_words.items()
        }
        in_crisis = crisis_language(text)
        if in_crisis in scores:
            scores[in_crisis] += 2
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        best, best_score = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0
        if best_score >= 2 and best_score >= 2 * second:
            return best
        if best_score == 1 and second == 0 and len(words) <= 4:
            return best
        return self._spoken_in(region, scores)

    def _spoken_in(self, region: str | None, scores: Mapping[str, int]) -> str | None:
        """Of the region's languages, the one the message clearly leans to (two of its words at
        least, more than any other language of the region has); None if none does."""
        spoken = self.packs.regions[region].languages if region in self.packs.regions else ()
        ranked = sorted((scores.get(code, 0) for code in spoken), reverse=True)
        if not ranked or ranked[0] < 2 or (len(ranked) > 1 and ranked[1] == ranked[0]):
            return None
        return next(code for code in spoken if scores.get(code, 0) == ranked[0])

    # --- what the channel says --------------------------------------------------------------

    def language_from_metadata(self, metadata: Mapping[str, Any] | None) -> str | None:
        """`metadata.language` ("es", "es-MX"), else the language of `metadata.locale`."""
        for key in ("language", "locale"):
            match = _LOCALE.match(str((metadata or {}).get(key) or ""))
            if match and match.group(1).lower() in self.packs.languages:
                return match.group(1).lower()
        return None

    def chosen_language(self, metadata: Mapping[str, Any] | None) -> str | None:
        """The language picked in the channel's menu since its last message, if a pack has it."""
        return self.known_language((metadata or {}).get(CHOSEN_LANGUAGE))

    def region_from_metadata(self, metadata: Mapping[str, Any] | None) -> str | None:
        """`metadata.region` ("GB", "uk"), else the country of `metadata.locale` ("en-GB")."""
        metadata = metadata or {}
        value = str(metadata.get("region") or "").strip()
        if value:
            if value.lower() in self.packs.regions:
                return value.lower()
            if value.upper() in self.countries:
                return self.countries[value.upper()]
        match = _LOCALE.match(str(metadata.get("locale") or ""))
        if match and match.group(2):
            return self.countries.get(match.group(2).upper())
        return None

    # --- known codes only ---------------------------------------------------------------
    # A button's payload ('/tell_region{"region": "uk"}') and a channel's metadata are typed by
    # whoever sends them: only codes of the content packs are kept, so no free text can be stored
    # in a slot or shown in a counselor's summary.

    def known_language(self, value: Any) -> str | None:
        """The language code `value` names ("es", "ES", "es-MX"), if a pack has it; else None."""
        match = _LOCALE.match(value.strip()) if isinstance(value, str) else None
        code = match.group(1).lower() if match else None
        return code if code in self.packs.languages else None

    def known_region(self, value: Any) -> str | None:
        """The region code `value` names ("uk", or a country code such as "GB"); else None."""
        if not isinstance(value, str):
            return None
        code = value.strip()
        if code.lower() in self.packs.regions:
            return code.lower()
        return self.countries.get(code.upper())

    def known_entity(self, entity: Any, value: Any) -> str | None:
        """The known code an entity's value names: languages for `language` and
        `language_hint`, regions for `region` and `region_hint`; None for anything else."""
        if entity in LANGUAGE_ENTITIES:
            return self.known_language(value)
        if entity in REGION_ENTITIES:
            return self.known_region(value)
        return None

    def known_metadata(self, metadata: Any) -> dict[str, str]:
        """The channel metadata worth keeping, as known codes: `language` ("es"), `region`
        ("uk"), `chosen_language` ("es") and `locale` ("es-MX" only when both parts are known;
        else its known parts go to `language` and `region`). Anything else, or anything
        unknown, is dropped."""
        if not isinstance(metadata, Mapping):
            return {}
        kept = {
            key: code
            for key, code in (
                ("language", self.known_language(metadata.get("language"))),
                ("region", self.known_region(metadata.get("region"))),
                (CHOSEN_LANGUAGE, self.chosen_language(metadata)),
            )
            if code
        }
        locale = metadata.get("locale")
        match = _LOCALE.match(locale) if isinstance(locale, str) else None
        if match:
            language = self.known_language(match.group(1))
            country = (match.group(2) or "").upper()
            region = self.countries.get(country)
            if language and (region or not country):
                kept["locale"] = f"{language}-{country}" if country else language
            else:
                for key, code in (("language", language), ("region", region)):
                    if code:
                        kept.setdefault(key, code)
        return kept

    # --- all together -----------------------------------------------------------------------

    def read(
        self, text: str | None, metadata: Mapping[str, Any] | None, intent: str | None
    ) -> dict[str, str]:
        """Entity values for one message: `language`, `region` (choices) and their hints.

        A language asked for in the message beats one picked in the menu before it was sent.
        """
        text = text or ""
        typed = not text.startswith("/")  # a button's payload says nothing about language
        written_in = self._written_in(text, metadata) if typed else None
        asked = self.requested_language(text, intent) if typed else None
        found = {
            "language": asked or self.chosen_language(metadata),
            "language_hint": self.language_from_metadata(metadata) or written_in,
            "region": self._region_said(text, intent, written_in) if typed else None,
            "region_hint": self.region_from_metadata(metadata),
        }
        return {entity: value for entity, value in found.items() if value}

    def _written_in(self, text: str, metadata: Mapping[str, Any] | None) -> str | None:
        """The message's language; where two languages come close, the region of the metadata
        or, only then, the one the message names decides (the place is not read otherwise)."""
        region = self.region_from_metadata(metadata)
        written_in = self.detect_language(text, region)
        if written_in is None and region is None:
            named = self.places.read(text)
            written_in = self.detect_language(text, named) if named else None
        return written_in

    def _region_said(self, text: str, intent: str | None, written_in: str | None) -> str | None:
        # The negations of the language the message is written in, when it is clear: "no" is
        # "not" in Spanish but "in the" in Portuguese ("moro no Brasil").
        mentions = self.places.mentions(text, written_in)
        chosen = chosen_region(mentions)
        if chosen:
            return chosen
        if mentions or intent == TELL_REGION_INTENT:
            # Only negated places ("I'm not in the US", "american numbers, im not in america"),
            # or a place with no pack ("vivo en México"): help that works anywhere, and the list
            # to pick from.
            return INTERNATIONAL
        return None


@lru_cache(maxsize=1)
def shared_finder() -> LocaleFinder:
    """One finder over Haven's content packs per process (they are read once)."""
    return LocaleFinder(content())


def _phrases(by_code: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(normalised phrase, code) pairs, longest first so "northern ireland" beats "ireland"."""
    pairs = {(normalise_words(p), code) for code, phrases in by_code.items() for p in phrases}
    return sorted((pair for pair in pairs if pair[0]), key=lambda pair: -len(pair[0]))


def _first_phrase(words: str, phrases: list[tuple[str, str]]) -> str | None:
    padded = f" {words} "
    for phrase, code in phrases:
        if f" {phrase} " in padded:
            return code
    return None
