"""Which of many regexes could match a text, found cheaply, so that only those are searched.

The crisis net (haven/nlu/crisis_patterns.py) searches a message for every language's crisis
patterns, over 200 of them, and reads the whole message. Most start with `\\b`, which leaves
Python's `re` no literal to skip ahead to: it tries each pattern at every position, so one
10,000-character message took about 45 ms of the event loop (2026-12-01, 242 patterns), and forty
such messages kept everyone else waiting for seconds.

`required_literals(pattern)` reads a pattern's syntax tree (the parser `re` itself compiles
from) and finds strings one of which every match must contain: for
`\\b(want|wana) (to )?die\\b` it finds "want die", "want to die", "wana die" and
"wana to die". A pattern none of whose strings is in the text cannot match it, so it is not
searched; a pattern the reader cannot vouch for (a construct it does not know, a flag such as
IGNORECASE) gets no strings and is always searched. The answer is therefore always the one
searching every pattern gives; only the work changes (tests/unit/nlu/test_pattern_screen.py checks
this on the texts of the crisis files, alone and in long messages, on random texts, and on texts
generated from each pattern).

`TextLiterals(text)` answers "is this string in the text" for the few thousand strings of all
patterns: only a string whose every four-character piece is in the text's set of pieces (built
once, about 1 ms for 10,000 characters) is looked for with `in`.

Hand-written because the libraries that match many patterns in one pass (RE2's `Set`,
Hyperscan) support no lookbehind or lookahead, which the crisis patterns use
("(?<!would )kil me"), and would be a new binary dependency on the path of every message.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

# the parser `re` compiles from: `re._parser` from Python 3.11, `sre_parse` before
if sys.version_info >= (3, 11):
    from re import _constants as _sre
    from re import _parser as _sre_parse
else:
    import sre_constants as _sre
    import sre_parse as _sre_parse

_ATOMIC_GROUP = getattr(_sre, "ATOMIC_GROUP", None)  # `(?>...)`, from Python 3.11

MAX_STRINGS = 64
"""At most this many strings stand for one part of a pattern; more, and shorter parts are used."""
LONG_ENOUGH = 8
"""Strings this long are rare enough in other text; past it, fewer strings are preferred."""
SHORTEST = 3
"""A pattern whose best strings include a shorter one is always searched (a short string is in
almost every long text, so looking for it would cost more than it saves)."""
PIECE = 4
"""Length of the pieces `TextLiterals` indexes."""

_EMPTY = frozenset({""})
_UNKNOWN_OPS = {
    _sre.NOT_LITERAL,
    _sre.ANY,
    _sre.CATEGORY,
    _sre.GROUPREF,
    _sre.GROUPREF_EXISTS,
}
_ZERO_WIDTH_OPS = {_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT}
_REPEAT_OPS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT} | (
    {_sre.POSSESSIVE_REPEAT} if hasattr(_sre, "POSSESSIVE_REPEAT") else set()
)
_UNSUPPORTED_FLAGS = _sre.SRE_FLAG_IGNORECASE | _sre.SRE_FLAG_LOCALE


class _Unsupported(Exception):
    """A construct the reader does not know: the pattern is always searched."""


Strings = frozenset[str]


def required_literals(pattern: str | re.Pattern[str]) -> Strings | None:
    """Strings one of which every match of `pattern` contains, or None when there are none to
    rely on (the pattern must then always be searched)."""
    source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    flags = pattern.flags if isinstance(pattern, re.Pattern) else 0
    if not isinstance(source, str) or flags & _UNSUPPORTED_FLAGS:
        return None
    try:
        parsed = _sre_parse.parse(source, flags)
        if parsed.state.flags & _UNSUPPORTED_FLAGS:
            return None
        _, best = _sequence(parsed.data)
    except (_Unsupported, re.error, RecursionError):
        return None
    if best is None or min(map(len, best)) < SHORTEST:
        return None
    return best


def _sequence(items: Iterable[tuple]) -> tuple[Strings | None, Strings | None]:
    """(every string the items can match, if few enough; the best strings a match contains)."""
    exact: Strings | None = _EMPTY
    run: Strings = _EMPTY  # what the latest items with known strings match, one after another
    best: Strings | None = None
    for op, av in items:
        strings, contained = _item(op, av)
        best = _better(best, contained)
        if strings is None:
            best, run, exact = _better(best, run), _EMPTY, None
            continue
        joined = _joined(run, strings)
        if joined is None:  # too many: keep what the run had, start again from this item
            best, joined = _better(best, run), strings
        run = joined
        exact = _joined(exact, strings) if exact is not None else None
    return exact, _better(best, run)


def _item(op: object, av: Any) -> tuple[Strings | None, Strings | None]:
    """What one parsed item matches; `av`, the parser's argument, has a shape per opcode."""
    if op is _sre.LITERAL:
        return frozenset({chr(av)}), None
    if op in _UNKNOWN_OPS:
        return None, None
    if op in _ZERO_WIDTH_OPS:  # \b, ^, lookarounds: they match no characters
        return _EMPTY, None
    if op is _sre.IN:
        return _characters(av), None
    if op is _sre.SUBPATTERN:
        _group, add_flags, del_flags, inner = av
        if add_flags or del_flags:
            raise _Unsupported
        return _sequence(inner)
    if _ATOMIC_GROUP is not None and op is _ATOMIC_GROUP:
        return _sequence(av)
    if op is _sre.BRANCH:
        return _branches([_sequence(branch) for branch in av[1]])
    if op in _REPEAT_OPS:
        return _repeat(*av)
    raise _Unsupported(op)


def _characters(items: Sequence[tuple]) -> Strings | None:
    """The characters of a set such as `[cs]`, or None for a wide or negated one."""
    chars: set[str] = set()
    for op, av in items:
        if op is _sre.LITERAL:
            chars.add(chr(av))
        elif op is _sre.RANGE and av[1] - av[0] < 16:
            chars.update(map(chr, range(av[0], av[1] + 1)))
        else:
            return None
    return frozenset(chars) if chars else None


def _branches(results: list[tuple[Strings | None, Strings | None]]) -> tuple:
    exacts = [strings for strings, _ in results if strings is not None]
    exact = None
    if len(exacts) == len(results):
        union: Strings = frozenset().union(*exacts)
        exact = union if len(union) <= MAX_STRINGS else None
    contained = [best for _, best in results if best is not None]
    if len(contained) < len(results):
        return exact, None
    return exact, frozenset().union(*contained)


def _repeat(low: int, high: int, inner: Iterable[tuple]) -> tuple:
    strings, contained = _sequence(inner)
    if low == 0:  # may match nothing: contains nothing for sure
        optional = _EMPTY | strings if high == 1 and strings is not None else None
        return optional, None
    exact = None
    if strings is not None and low == high:
        exact = _EMPTY
        for _ in range(low):
            exact = _joined(exact, strings)
            if exact is None:
                break
    return exact, _better(contained, strings)


def _joined(left: Strings, right: Strings) -> Strings | None:
    if len(left) * len(right) > MAX_STRINGS:
        return None
    return frozenset(a + b for a, b in product(left, right))


def _minimal(strings: Strings) -> Strings:
    """Without the strings that contain another of them (a text that has "bringe" has "bring")."""
    return frozenset(s for s in strings if not any(o != s and o in s for o in strings))


def _better(one: Strings | None, other: Strings | None) -> Strings | None:
    """The more useful of two sets: longer strings (up to `LONG_ENOUGH`), then fewer."""
    if one is None:
        return None if other is None else _minimal(other)
    if other is None:
        return _minimal(one)
    one, other = _minimal(one), _minimal(other)
    return other if _score(other) > _score(one) else one


def _score(strings: Strings) -> tuple[int, int]:
    return min(LONG_ENOUGH, min(map(len, strings))), -len(strings)


class TextLiterals:
    """Answers whether strings are in one text, for many strings cheaply (see the docstring)."""

    __slots__ = ("text", "_pieces", "_known")

    def __init__(self, text: str) -> None:
        self.text = text
        # Built at the first question: a text under SCREEN_FROM_CHARS is never asked one.
        self._pieces: set[str] | None = None
        self._known: dict[str, bool] = {}

    def has(self, literal: Literal) -> bool:
        """Whether the literal's string is in the text."""
        found = self._known.get(literal.string)
        if found is None:
            if self._pieces is None:
                text = self.text
                self._pieces = {text[i : i + PIECE] for i in range(len(text) - PIECE + 1)}
            found = literal.pieces <= self._pieces and literal.string in self.text
            self._known[literal.string] = found
        return found


@dataclass(frozen=True)
class Literal:
    """A string to look for, with its pieces of `PIECE` characters (a text lacking one of them
    lacks the string)."""

    string: str
    pieces: frozenset[str]

    @classmethod
    def of(cls, string: str) -> Literal:
        """The string and its pieces."""
        pieces = frozenset(string[i : i + PIECE] for i in range(len(string) - PIECE + 1))
        return cls(string, pieces)


@dataclass(frozen=True)
class ScreenedPattern:
    """A compiled pattern with the literals one of which any match contains (None: unknown)."""

    pattern: re.Pattern[str]
    literals: tuple[Literal, ...] | None

    @classmethod
    def of(cls, pattern: re.Pattern[str]) -> ScreenedPattern:
        """The pattern with its `required_literals`."""
        strings = required_literals(pattern)
        literals = None if strings is None else tuple(map(Literal.of, sorted(strings)))
        return cls(pattern, literals)

    def search(self, text: str, literals: TextLiterals) -> bool:
        """Whether the pattern matches `text` (whose `TextLiterals` are given): the same answer
        as `pattern.search(text)`, without searching when it cannot match."""
        if self.literals is not None and not any(map(literals.has, self.literals)):
            return False
        return self.pattern.search(text) is not None

    def could_match_within(self, text: str) -> bool:
        """False when the pattern cannot match `text` nor any part of it (a few strings looked
        for with `in`: for a few patterns, without building `TextLiterals`)."""
        return self.literals is None or any(literal.string in text for literal in self.literals)


SCREEN_FROM_CHARS = 500
"""Texts shorter than this are searched with every pattern, unscreened. Looking up a few thousand
literals costs about 3 to 4 ms whatever the text's length, while searching every pattern costs
about 0.4 ms on a chat message and grows with its length (about 45 ms at 10,000 characters):
`make bench BASELINE=21bdcc2` on 2026-12-01 found the event loop 3 ms a message slower with every
message screened. The answer is the same either way (tests/unit/nlu/test_pattern_screen.py)."""


def any_match(patterns: Iterable[ScreenedPattern], text: str, literals: TextLiterals) -> bool:
    """Whether any of the patterns matches `text`: screened when the text is long enough for the
    screen to pay (`SCREEN_FROM_CHARS`), every pattern searched otherwise."""
    if len(text) < SCREEN_FROM_CHARS:
        return any(screened.pattern.search(text) is not None for screened in patterns)
    return any(screened.search(text, literals) for screened in patterns)
