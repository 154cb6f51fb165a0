"""Facts a young person states about themselves: their age and where they are.

An age is a fact to read, not an intent to guess. The intent classifier learned `adult_user`
from adults stating their age, and so read "im 14", "tengo 14 años" and "im a minor" as adults
too (confidence 0.97 and more): a 14-year-old was then offered StopNCII, a tool for pictures
taken at 18 or older. So every message is read here, deterministically, for:

- an **age**: a number right after "im" / "tengo" ("i am only 14", "turning 15" is 14), right
  before "years old" / "años" ("14yo", "14f", "16 yrs"), or a message that is only a number
  ("17"); or words that say it ("a minor", "under 18", "in 8th grade", "soy menor", "voy en
  secundaria", "im an adult", "in college"). A number elsewhere ("i paid 50", "step 3", "it was 2
  days ago", a phone number) is never an age, nor is someone else's ("my ex is 19").
- a **place**: a region's `words` (country names, demonyms, cities, states) or its name in any
  language pack, unless it is negated ("not in the US", "I'm not there", "no estoy en México").

Which words count is data, in each language's `language.yml` (`facts:`) and each region's
`words:`, so a translator or a new region pack adds them without touching Python. Numbers beat
words, the youngest stated age wins ("im 20, i was 15 in the pics" is about pictures of a minor),
and among words a minor beats an adult: a wrong "minor" only hides an 18+ tool, a wrong "adult"
offers one to a child.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from haven.nlu.pattern_screen import ScreenedPattern
from haven.packs.content import INTERNATIONAL, ContentPacks, content, normalise_words

MINOR = "minor"
ADULT = "adult"
ADULT_AGE = 18
AGES = range(5, 100)
"""Ages read after "im" or before "years old"; outside this range a number is something else."""
AGES_ALONE = range(10, 30)
"""Ages read from a number alone ("17", "14 f", "18 here"): Haven's users and young adults."""

_APOSTROPHES = re.compile(r"['’`´]")
_FEET_AND_INCHES = re.compile(r"(\d)\s*['’′\"]+")
_CLAUSE_BREAK = re.compile(r"[,;:!?¡¿()\n]|\.(?=\s|$)|\s-\s")
_DIGITS = re.compile(r"^\d+$")
_ATTACHED = re.compile(r"^(\d{1,2})([a-z]+)$|^([fm])(\d{1,2})$")
_ORDINAL_SUFFIX = r"(?:st|nd|rd|th|ro|do|er|to|vo|no|mo|o|e|de|ste|te|ten|eme|ieme|re|ere)?"
"""After a school year's digits: 8th, 3ro, 8o; 4e, 4eme, 1re (French), 2e, 3de, 8ste (Dutch)."""

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class AgeFact:
    """What a message says about the writer's age: `age` in years when a number was given."""

    band: str
    age: int | None = None


def tokens_of(text: str) -> list[list[str]]:
    """The message's clauses, each a list of normalised words ("I'm 14." -> [["im", "14"]])."""
    text = _APOSTROPHES.sub("", _FEET_AND_INCHES.sub(r"\1 ", text or ""))
    clauses = (normalise_words(part).split() for part in _CLAUSE_BREAK.split(text))
    return [clause for clause in clauses if clause]


def _phrases(values: Iterable[Any]) -> tuple[Phrase, ...]:
    found = {tuple(normalise_words(_APOSTROPHES.sub("", str(v))).split()) for v in values}
    return tuple(sorted((p for p in found if p), key=lambda p: (-len(p), p)))


def _words(values: Iterable[Any]) -> frozenset[str]:
    return frozenset(word for phrase in _phrases(values) for word in phrase)


def _starts_with(tokens: Sequence[str], start: int, phrases: Iterable[Phrase]) -> bool:
    return any(tuple(tokens[start : start + len(p)]) == p for p in phrases)


@dataclass(frozen=True)
class FactWords:
    """One language's words for stating an age or a place (`facts:` in its language.yml)."""

    numbers: Mapping[str, int] = field(default_factory=dict)
    units: Mapping[str, int] = field(default_factory=dict)
    joiners: frozenset[str] = frozenset()
    me: tuple[Phrase, ...] = ()
    turning: tuple[Phrase, ...] = ()
    fillers: frozenset[str] = frozenset()
    years: tuple[Phrase, ...] = ()
    years_at_start: tuple[Phrase, ...] = ()
    attached_marks: frozenset[str] = frozenset()  # "14yo", "14f": a number and its mark as one
    not_age_after: frozenset[str] = frozenset()
    others: frozenset[str] = frozenset()
    countdowns: tuple[re.Pattern[str], ...] = ()
    school_years: tuple[re.Pattern[str], ...] = ()
    bands: tuple[
        tuple[Phrase, str, bool], ...
    ] = ()  # (phrase, band, only after `me`), longest first
    negations: frozenset[str] = frozenset()
    not_now: frozenset[str] = frozenset()
    place_links: frozenset[str] = frozenset()
    there: tuple[Phrase, ...] = ()

    @classmethod
    def from_pack(cls, facts: Mapping[str, Any] | None) -> FactWords:
        """Reads a language pack's `facts:` section (missing keys read nothing)."""
        facts = facts or {}
        numbers = {normalise_words(k): int(v) for k, v in (facts.get("numbers") or {}).items()}
        units = {normalise_words(k): int(v) for k, v in (facts.get("units") or {}).items()}
        spoken = [*numbers, *units, *_words(facts.get("ordinals") or ())]
        bands = [(p, MINOR, False) for p in _phrases(facts.get("minor") or ())]
        bands += [(p, ADULT, False) for p in _phrases(facts.get("adult") or ())]
        bands += [(p, ADULT, True) for p in _phrases(facts.get("adult_after_me") or ())]
        return cls(
            numbers=numbers,
            units=units,
            joiners=_words(facts.get("number_joiners") or ()),
            me=_phrases(facts.get("me") or ()),
            turning=_phrases(facts.get("turning") or ()),
            fillers=_words(facts.get("fillers") or ()),
            years=_phrases(facts.get("years") or ()),
            years_at_start=_phrases(facts.get("years_at_start") or ()),
            attached_marks=frozenset(
                "".join(p)
                for p in _phrases([*facts.get("years", ()), *facts.get("years_at_start", ())])
            ),
            not_age_after=_words(facts.get("not_age_after") or ()),
            others=_words(facts.get("others") or ()),
            countdowns=tuple(_template(str(t), spoken) for t in facts.get("countdown") or ()),
            school_years=tuple(_template(str(t), spoken) for t in facts.get("school_years") or ()),
            bands=tuple(sorted(bands, key=lambda item: -len(item[0]))),
            negations=_words(facts.get("not") or ()),
            not_now=_words(facts.get("not_now") or ()),
            place_links=_words(facts.get("place_links") or ()),
            there=_phrases(facts.get("there") or ()),
        )

    # --- numbers ------------------------------------------------------------------------

    def number_at(self, tokens: Sequence[str], index: int) -> tuple[int, int, bool] | None:
        """(value, words used, marked as an age) for a number starting at `index`, if any."""
        token = tokens[index]
        if _DIGITS.match(token):
            return (int(token), 1, False) if len(token) <= 2 else None
        attached = _ATTACHED.match(token)
        if attached:
            value, suffix = attached.group(1) or attached.group(4), attached.group(2) or ""
            if attached.group(3) or suffix in self.attached_marks:
                return int(value), 1, True
            return None
        if token not in self.numbers:
            return None
        value = self.numbers[token]
        after = index + 1
        if after < len(tokens) and tokens[after] in self.joiners:
            after += 1
        # "twenty one", "veinte y uno", "vinte e um"; and the French teens, "dix sept" (17)
        if value >= 10 and value % 10 == 0 and after < len(tokens) and tokens[after] in self.units:
            return value + self.units[tokens[after]], after - index + 1, False
        return value, 1, False

    def spoken_number(self, word: str) -> int | None:
        """A number word or digits as a number ("catorce" -> 14)."""
        if _DIGITS.match(word):
            return int(word)
        return self.numbers.get(word, self.units.get(word))


def _template(template: str, spoken: Iterable[str]) -> re.Pattern[str]:
    """A template such as "{n} grade" as a pattern over normalised words; {n}, {k} are numbers."""
    alternatives = "|".join(map(re.escape, sorted(set(spoken), key=len, reverse=True)))
    number = rf"\d{{1,2}}{_ORDINAL_SUFFIX}" + (f"|{alternatives}" if alternatives else "")
    pieces = []
    for part in re.split(r"(\{[nk]\})", template):
        if part in ("{n}", "{k}"):
            pieces.append(f"(?P<{part[1]}>{number})")
        elif normalise_words(part):
            pieces.append(re.escape(normalise_words(_APOSTROPHES.sub("", part))))
    return re.compile(r"(?:^| )" + " ".join(pieces) + r"(?: |$)")


class AgeReader:
    """Reads the writer's stated age from a message, in every language with `facts:` words."""

    def __init__(self, packs: ContentPacks) -> None:
        self.words = {
            code: FactWords.from_pack(language.phrase("facts"))
            for code, language in packs.languages.items()
        }
        for words in self.words.values():  # screened now, not while a message waits
            for pattern in (*words.countdowns, *words.school_years):
                _screened(pattern)

    def read(self, text: str, language: str | None = None) -> AgeFact | None:
        """The age the message states, or None; `language` None reads every language."""
        clauses = tokens_of(text)
        alone = len(clauses) == 1
        ages: list[int] = []
        bands: set[str] = set()
        said = frozenset(word for clause in clauses for word in clause)
        joined = " ".join(" ".join(clause) for clause in clauses)
        for words in self._languages(language):
            words = _within(words, said, joined)
            for clause in clauses:
                ages += _ages_in(clause, words, alone)
                bands |= _bands_in(clause, words)
            # Over the whole message: the period of an ordinal ("in der 8. Klasse") ends a clause.
            if any(pattern.search(joined) for pattern in words.school_years):
                bands.add(MINOR)
        if ages:
            youngest = min(ages)
            return AgeFact(MINOR if youngest < ADULT_AGE else ADULT, youngest)
        if bands:
            return AgeFact(MINOR if MINOR in bands else ADULT)
        return None

    def _languages(self, language: str | None) -> Iterator[FactWords]:
        if language in self.words:
            yield self.words[language]
            return
        yield from self.words.values()


def _within(words: FactWords, said: frozenset[str], joined: str) -> FactWords:
    """The language's words without the band phrases and templates the message cannot hold.

    `said` is every word of the message and `joined` its clauses' words, one space apart (each
    clause's words are a part of it). On a 10,000-character message, looking for every phrase
    in every clause took about 40 ms of the event loop; what is found is the same.
    """
    return replace(
        words,
        bands=tuple(band for band in words.bands if said.issuperset(band[0])),
        countdowns=tuple(p for p in words.countdowns if _screened(p).could_match_within(joined)),
        school_years=tuple(
            p for p in words.school_years if _screened(p).could_match_within(joined)
        ),
    )


@lru_cache(maxsize=256)
def _screened(pattern: re.Pattern[str]) -> ScreenedPattern:
    return ScreenedPattern.of(pattern)


def _ages_in(clause: list[str], words: FactWords, alone: bool) -> list[int]:
    """Every age the clause states as a number, already turned into years."""
    ages = []
    index = 0
    while index < len(clause):
        found = words.number_at(clause, index)
        if found is None:
            index += 1
            continue
        value, used, marked = found
        age = _as_age(clause, index, index + used, value, marked, words, alone)
        if age is not None:
            ages.append(age)
        index += used
    ages += _ages_from_templates(" ".join(clause), words)
    return ages


def _as_age(
    clause: list[str],
    start: int,
    end: int,
    value: int,
    marked: bool,
    words: FactWords,
    alone: bool,
) -> int | None:
    """The age a number at clause[start:end] states, or None when it is something else."""
    before = clause[start - 1] if start else ""
    after = clause[end] if end < len(clause) else ""
    if before[:1].isdigit() or after[:1].isdigit() or after in words.not_age_after:
        return None  # a phone number, a height (5 4), a time, an amount, a duration
    lead = start
    while lead and clause[lead - 1] in words.fillers:
        lead -= 1
    for phrases, offset in ((words.me, 0), (words.turning, -1)):
        said = _phrase_ending_at(clause, lead, phrases)
        if said is not None:
            # "no tengo 18", "grounded till im 30": not the age the writer is now
            not_now = said > 0 and clause[said - 1] in words.negations | words.not_now
            return value + offset if value in AGES and not not_now else None
    if any(word in words.others for word in clause[:start]):
        return None  # "my ex is 19 years old": someone else's age
    marker = _phrase_at(clause, end, words.years)
    if marked or marker:
        return value if value in AGES and _not_a_duration(clause, end + marker, words) else None
    marker = _phrase_at(clause, end, words.years_at_start)
    at_start = start == 0 and (marker or (end == len(clause) and alone))
    if at_start and _not_a_duration(clause, end + marker, words):
        return value if value in AGES_ALONE else None
    return None


def _not_a_duration(clause: list[str], index: int, words: FactWords) -> bool:
    """Whether the word after "N years" leaves it an age ("10 years ago" is not one)."""
    return index >= len(clause) or clause[index] not in words.not_age_after


def _phrase_ending_at(tokens: Sequence[str], end: int, phrases: Iterable[Phrase]) -> int | None:
    """Where the longest of `phrases` ending just before `end` starts, or None."""
    for phrase in phrases:  # longest first
        if len(phrase) <= end and tuple(tokens[end - len(phrase) : end]) == phrase:
            return end - len(phrase)
    return None


def _phrase_at(tokens: Sequence[str], start: int, phrases: Iterable[Phrase]) -> int:
    """How many words the longest of `phrases` starting at `start` has (0 for none)."""
    for phrase in phrases:  # longest first
        if tuple(tokens[start : start + len(phrase)]) == phrase:
            return len(phrase)
    return 0


def _ages_from_templates(text: str, words: FactWords) -> list[int]:
    """Ages from "me faltan 2 para los 18" (16); a school year only says "minor" (see bands)."""
    ages = []
    for pattern in words.countdowns:
        for match in pattern.finditer(text):
            left, target = (words.spoken_number(match.group(g)) for g in ("k", "n"))
            if left is not None and target is not None and target - left in AGES:
                ages.append(target - left)
    return ages


def _bands_in(clause: list[str], words: FactWords) -> set[str]:
    """The bands that words say ("a minor"), longest first: "not a minor" is adult (a school
    year is looked for in the whole message, by `AgeReader.read`)."""
    taken = [False] * len(clause)
    bands = set()
    said = frozenset(clause)
    for phrase, band, after_me in words.bands:
        if not said.issuperset(phrase):
            continue  # not in the clause: looking word by word would find nothing
        for start in _occurrences(clause, phrase):
            span = range(start, start + len(phrase))
            if any(taken[i] for i in span):
                continue
            if after_me and not _after_me(clause, start, words):
                continue
            for i in span:
                taken[i] = True
            bands.add(band)
    return bands


def _after_me(clause: list[str], start: int, words: FactWords) -> bool:
    while start and clause[start - 1] in words.fillers:
        start -= 1
    return _phrase_ending_at(clause, start, words.me) is not None


def _occurrences(tokens: Sequence[str], phrase: Phrase) -> Iterator[int]:
    for start in range(len(tokens) - len(phrase) + 1):
        if tuple(tokens[start : start + len(phrase)]) == phrase:
            yield start


@dataclass(frozen=True)
class PlaceMention:
    """A region named in a message, and whether the message says the writer is not there."""

    region: str
    negated: bool


def chosen_region(mentions: Iterable[PlaceMention]) -> str | None:
    """The region the writer says they are in: the last one named that the message never
    negates ("those are american numbers, im not in america" chooses none)."""
    mentions = list(mentions)
    negated = {m.region for m in mentions if m.negated}
    chosen = [m.region for m in mentions if m.region not in negated]
    return chosen[-1] if chosen else None


class RegionReader:
    """Finds the regions a message names, from the packs' `words` and region names.

    The international pack's `words` name places with no one region ("south america"): read as
    `international`, they keep a shorter name inside them ("america") from being read.
    """

    def __init__(self, packs: ContentPacks) -> None:
        names: dict[Phrase, str] = {}
        for code, region in packs.regions.items():
            said = [*region.words]
            if code != INTERNATIONAL:  # "anywhere" names no place
                said += [
                    lang.phrase("region_names", code) or "" for lang in packs.languages.values()
                ]
            for phrase in _phrases(said):
                names.setdefault(phrase, code)
        self.by_first_word: dict[str, list[tuple[Phrase, str]]] = {}
        for phrase, code in sorted(names.items(), key=lambda item: -len(item[0])):
            self.by_first_word.setdefault(phrase[0], []).append((phrase, code))
        self.words = {
            code: FactWords.from_pack(language.phrase("facts"))
            for code, language in packs.languages.items()
        }
        # Read in every language, "no" is "not" in Spanish but "in the" in Portuguese ("moro no
        # Brasil"): a negation that another language links a place with negates only when a
        # linking word of its own comes between ("no vivo en México").
        self.needs_link = {
            code: words.negations & _links_of_others(self.words, code)
            for code, words in self.words.items()
        }

    def mentions(self, text: str, language: str | None = None) -> list[PlaceMention]:
        """Every region named, in order, each marked negated or not.

        Negations are those of `language`, or of every language when None (a message's
        language is only a guess, and each language's words are tried on their own; see
        `needs_link` in the constructor).
        """
        languages: list[tuple[FactWords, frozenset[str]]]
        if language in self.words:
            languages = [(self.words[language], frozenset())]
        else:
            languages = [(words, self.needs_link[code]) for code, words in self.words.items()]
        clauses = tokens_of(text)
        flat = [(word, number) for number, clause in enumerate(clauses) for word in clause]
        spans = list(self._spans(clauses))
        mentions = []
        for place, (start, end, code) in enumerate(spans):
            until = spans[place + 1][0] if place + 1 < len(spans) else len(flat)
            negated = any(
                _negated_before(flat, start, words, needs_link)
                or _negated_after(flat, end, until, words)
                for words, needs_link in languages
            )
            mentions.append(PlaceMention(code, negated))
        return mentions

    def read(self, text: str, language: str | None = None) -> str | None:
        """The region the writer says they are in (`chosen_region`), or None."""
        return chosen_region(self.mentions(text, language))

    def _spans(self, clauses: list[list[str]]) -> Iterator[tuple[int, int, str]]:
        """(start, end, region) over all clauses' words together, longest name first."""
        offset = 0
        for clause in clauses:
            index = 0
            while index < len(clause):
                for phrase, code in self.by_first_word.get(clause[index], ()):
                    if tuple(clause[index : index + len(phrase)]) == phrase:
                        yield offset + index, offset + index + len(phrase), code
                        index += len(phrase) - 1
                        break
                index += 1
            offset += len(clause)


def _links_of_others(words: Mapping[str, FactWords], code: str) -> frozenset[str]:
    """The place links of every language but `code`."""
    return frozenset(link for other, w in words.items() if other != code for link in w.place_links)


def _negated_before(
    flat: list[tuple[str, int]],
    start: int,
    words: FactWords,
    needs_link: frozenset[str] = frozenset(),
) -> bool:
    """Whether a negation, then only linking words, comes first: "not in the US", "no vivo en";
    a negation in `needs_link` only with a linking word between (see `RegionReader`)."""
    if not start:
        return False
    clause = flat[start][1]
    index = start - 1
    while index >= 0 and flat[index][1] == clause and flat[index][0] in words.place_links:
        index -= 1
    if index < 0 or flat[index][1] != clause or flat[index][0] not in words.negations:
        return False
    return flat[index][0] not in needs_link or index < start - 1


def _negated_after(flat: list[tuple[str, int]], end: int, until: int, words: FactWords) -> bool:
    """Whether a later "I'm not there" (before the next place named) takes the place back."""
    tokens = [word for word, _ in flat[:until]]
    for index in range(end, until):
        if tokens[index] not in words.negations:
            continue
        after = index + 1
        while (
            after < until
            and tokens[after] in words.place_links
            and not _starts_with(tokens, after, words.there)
        ):
            after += 1
        if _starts_with(tokens, after, words.there):
            return True
    return False


def read_age(
    text: str, language: str | None = None, packs: ContentPacks | None = None
) -> AgeFact | None:
    """The age a message states (see the module docstring); None when it states none."""
    return AgeReader(packs or content()).read(text, language)


def read_region(
    text: str, language: str | None = None, packs: ContentPacks | None = None
) -> str | None:
    """The region a message says the writer is in, never one it negates; None when none."""
    return RegionReader(packs or content()).read(text, language)
