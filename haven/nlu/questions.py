"""What a message asks, besides what it tells: the questions inside a disclosure.

The intent classifier picks one intent per message, so "im in canada and some guy has my pics,
how do i get them taken down" was either a disclosure or a takedown question, never both: the
question went unanswered, or Step 1 was skipped. This module is the second reading. It finds the
question topics a message raises (`TOPICS`), deterministically, so the first reply can answer
them before the plan starts.

Which words raise a topic is data, in each language's `language.yml` (`questions:`): a cue is a
phrase ("taken down") or word groups that must come in order in one sentence ("should" ...
"delete" ... "account"), so a translator adds words without touching Python. Words are matched
as `haven.nlu.facts` matches them: lower case, no accents, no apostrophes ("I'm" is "im").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from haven.nlu.facts import tokens_of
from haven.packs.content import ContentPacks, content, normalise_words

TOPICS: tuple[str, ...] = (
    "delete_account",
    "takedown",
    "evidence",
    "trouble",
    "already_paid",
    "should_pay",
)
"""The topics Haven answers before Step 1, in the order the answers are given."""

STATEMENTS = frozenset({"already_paid"})
"""Topics that are something the young person tells, not asks: a negation just before a cue's
words says the opposite ("I haven't paid", "ich habe nicht bezahlt", "no le pagué nada"), so the
topic is not raised. The negations are the language's `facts: not:` words."""
NEGATION_REACH = 2
"""How many words before a cue's group a negation still negates it ("not yet paid")."""

QUESTION_ENTITY = "question"
"""The entity each question a message asks becomes (the actions read it from the tracker)."""
_APOSTROPHES = re.compile(r"['’`´]")

Phrase = tuple[str, ...]
Cue = tuple[tuple[Phrase, ...], ...]
"""Word groups that must appear in this order in one sentence; a plain phrase is one group."""


def _phrase(value: Any) -> Phrase:
    return tuple(normalise_words(_APOSTROPHES.sub("", str(value))).split())


def _cue(raw: Any) -> Cue:
    """A cue from the pack: "taken down" or [[should, can], [delete], [account, insta]]."""
    groups = [raw] if isinstance(raw, str) else list(raw or ())
    cue = []
    for group in groups:
        options = [group] if isinstance(group, str) else list(group or ())
        phrases = sorted({p for p in map(_phrase, options) if p}, key=lambda p: (-len(p), p))
        if not phrases:
            return ()
        cue.append(tuple(phrases))
    return tuple(cue)


@dataclass(frozen=True)
class QuestionWords:
    """One language's cues for each topic (`questions:` in its language.yml)."""

    cues: Mapping[str, tuple[Cue, ...]]
    negations: frozenset[str] = frozenset()

    @classmethod
    def from_pack(
        cls, questions: Mapping[str, Any] | None, negations: Iterable[Any] = ()
    ) -> QuestionWords:
        """Reads a language pack's `questions:` section, and its `facts: not:` words for the
        `STATEMENTS`; unknown topics are refused."""
        questions = questions or {}
        unknown = sorted(set(questions) - set(TOPICS))
        if unknown:
            raise ValueError(
                f"unknown question topic {unknown[0]!r} in `questions:` "
                f"(known: {', '.join(TOPICS)})"
            )
        cues = {
            topic: tuple(c for c in map(_cue, questions.get(topic) or ()) if c) for topic in TOPICS
        }
        return cls(cues, frozenset(word for value in negations for word in _phrase(value)))

    def topics_in(self, clauses: Sequence[Sequence[str]]) -> set[str]:
        """The topics any of the clauses raises."""
        # A cue one of whose groups has no phrase all of whose words are in the message (or the
        # clause) cannot match there: on a 10,000-character message, looking word by word for
        # every cue in every clause took about 40 ms of the event loop.
        said = frozenset(word for clause in clauses for word in clause)
        in_clauses = [(clause, frozenset(clause)) for clause in clauses]
        return {
            topic
            for topic, cues in self.cues.items()
            if any(
                _matches(clause, cue, self.negations if topic in STATEMENTS else frozenset())
                for cue in cues
                if _could_match(cue, said)
                for clause, words in in_clauses
                if _could_match(cue, words)
            )
        }


def _could_match(cue: Cue, words: frozenset[str]) -> bool:
    """False when some group of the cue has no phrase whose words are all among `words`."""
    return all(any(words.issuperset(phrase) for phrase in group) for group in cue)


def _matches(clause: Sequence[str], cue: Cue, negations: frozenset[str] = frozenset()) -> bool:
    """Whether the cue's groups appear in order in the clause (earliest match of each group),
    none of them with one of `negations` among the `NEGATION_REACH` words before it."""
    start = 0
    for group in cue:
        found = _first_match(clause, start, group)
        if found is None:
            return False
        begin, start = found
        if negations.intersection(clause[max(0, begin - NEGATION_REACH) : begin]):
            return False
    return True


def _first_match(
    clause: Sequence[str], start: int, group: Iterable[Phrase]
) -> tuple[int, int] | None:
    """Where the earliest phrase of the group found at or after `start` begins and ends."""
    for index in range(start, len(clause)):
        for phrase in group:  # longest first
            if tuple(clause[index : index + len(phrase)]) == phrase:
                return index, index + len(phrase)
    return None


class QuestionReader:
    """Reads the question topics of a message, in every language with `questions:` cues."""

    def __init__(self, packs: ContentPacks) -> None:
        self.words = {
            code: QuestionWords.from_pack(
                language.phrase("questions"), language.phrase("facts", "not") or ()
            )
            for code, language in packs.languages.items()
        }

    def read(self, text: str, language: str | None = None) -> tuple[str, ...]:
        """The topics the message raises, in `TOPICS` order; `language` None reads them all."""
        clauses = tokens_of(text)
        found: set[str] = set()
        for words in self._languages(language):
            found |= words.topics_in(clauses)
        return tuple(topic for topic in TOPICS if topic in found)

    def _languages(self, language: str | None) -> Iterator[QuestionWords]:
        if language in self.words:
            yield self.words[language]
            return
        yield from self.words.values()


def read_questions(
    text: str, language: str | None = None, packs: ContentPacks | None = None
) -> tuple[str, ...]:
    """The question topics a message raises (see the module docstring); () when none."""
    return QuestionReader(packs or content()).read(text, language)
