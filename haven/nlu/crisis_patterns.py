"""The crisis safety net: a pattern check that no classifier score can out-vote.

The NLU classifier recognises most ways of saying "I want to die"; this module catches the ones it
might miss (typos, slang such as "unalive" or "kms", emoji) so that a message about suicide,
self-harm or immediate danger always gets crisis help first. False alarms are cheap here (the crisis
reply is gentle and the conversation goes on); a miss is not, so the patterns lean wide.

The patterns always read the whole message. Searching every pattern took about 45 ms of the event
loop on a 10,000-character message (242 patterns, 2026-12-01; `re` holds the GIL, so a thread
would not help). Now only the patterns that could match are searched (`crisis_screens`,
haven/nlu/pattern_screen.py): a pattern none of whose required strings is in the message cannot
match it, and the answer is the same as searching them all (tests/unit/nlu/test_pattern_screen.py).
An everyday 10,000-character message then takes about 3 to 6 ms, of which 1 to 2 fold the text and
index it. The pipeline asks twice (the locale hints and the safety net): within
`one_scan_per_message` (the channels hand every message to Rasa inside it,
haven/nlu/encode_ahead.py) the second asks get the
first answer. Nothing is kept after the message.

Each language's file also lists `figures`: figures of speech that sound like a crisis and are not
("my mom is gonna kill me", "lmao im dead", "esta tarea me está matando"). The issue
"Understanding v2" found the classifier giving these `crisis` at 0.8 and more, so the full crisis
takeover interrupted a young person who was joking or worried about their parents.
`figure_of_speech` tells `haven.rasa_edge.nlu.crisis_net.CrisisSafetyNet` to downgrade the
classifier's `crisis` to the gentle "are you safe?" check; a crisis pattern anywhere in the message
always wins.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from haven.nlu.pattern_screen import ScreenedPattern, TextLiterals, any_match
from haven.settings import PROJECT_ROOT

CRISIS_FILES = PROJECT_ROOT / "content" / "languages"
"""Each language's patterns are in `content/languages/<language>/crisis.yml` (written in the
folded form `normalise` gives: no accents, repeated letters squeezed), so a new language brings
its own patterns, and `make check-content` checks them against that file's examples."""


@lru_cache(maxsize=4)
def _crisis_files(folder: Path) -> dict[str, dict]:
    files = {}
    for path in sorted(folder.glob("*/crisis.yml")):
        with path.open(encoding="utf-8") as handle:
            files[path.parent.name] = yaml.safe_load(handle)
    if "en" not in files:
        raise RuntimeError(f"no English crisis patterns under {folder}")
    return files


@lru_cache(maxsize=4)
def crisis_patterns(folder: Path = CRISIS_FILES) -> dict[str, tuple[re.Pattern[str], ...]]:
    """Every language's compiled crisis patterns, read once. A broken file stops the server:
    running without the safety net is never an option."""
    return {
        code: tuple(re.compile(p) for p in data["patterns"])
        for code, data in _crisis_files(folder).items()
    }


@lru_cache(maxsize=4)
def crisis_screens(folder: Path = CRISIS_FILES) -> dict[str, tuple[ScreenedPattern, ...]]:
    """Every language's crisis patterns with the strings one of which each match contains
    (haven/nlu/pattern_screen.py), English first: what `crisis_language` searches."""
    patterns = crisis_patterns(folder)
    return {
        code: tuple(map(ScreenedPattern.of, patterns[code]))
        for code in sorted(patterns, key=lambda code: code != "en")
    }


@lru_cache(maxsize=4)
def figure_patterns(folder: Path = CRISIS_FILES) -> tuple[re.Pattern[str], ...]:
    """Every language's compiled figures of speech (the optional `figures` list), read once."""
    return tuple(
        re.compile(p) for data in _crisis_files(folder).values() for p in data.get("figures") or ()
    )


@lru_cache(maxsize=4)
def _figure_screens(folder: Path = CRISIS_FILES) -> tuple[ScreenedPattern, ...]:
    return tuple(map(ScreenedPattern.of, figure_patterns(folder)))


def load_patterns(folder: Path = CRISIS_FILES) -> None:
    """Reads, compiles and screens every language's patterns and figures now (about 0.4 s), so
    the first message does not wait for it and a broken file stops the start."""
    crisis_screens(folder)
    _figure_screens(folder)


# Emoji that young people use for suicide and self-harm (Crisis Text Line found emoji among the
# strongest risk signals). Matched on the raw text.
_RISK_EMOJI = ("\N{HOCHO}", "\N{COFFIN}", "\N{HEADSTONE}", "\N{DROP OF BLOOD}", "\N{PILL}\N{PILL}")

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_ACCENTS = re.compile(r"[\u0300-\u036f]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_REPEATS = re.compile(r"([a-z])\1+")
_DIGIT_TO = re.compile(r"(?<![0-9])2(?![0-9])")


def normalise(text: str) -> str:
    """Fold text to the squeezed form the patterns are written in."""
    folded = unicodedata.normalize("NFKD", text).lower().replace("ß", "ss")  # "Schluß"
    folded = _ACCENTS.sub("", folded)  # "daño" -> "dano", "suicídio" -> "suicidio"
    folded = _APOSTROPHES.sub("", folded)
    folded = _NOT_WORD.sub(" ", folded)
    folded = _REPEATS.sub(r"\1", folded)
    folded = _DIGIT_TO.sub("to", folded)  # "want 2 die"
    return " ".join(folded.split())


def mentions_crisis(text: str | None) -> bool:
    """True when a message speaks of suicide, self-harm or immediate danger, in any language."""
    if not text:
        return False
    if any(emoji in text for emoji in _RISK_EMOJI):
        return True
    return crisis_language(text) is not None


def crisis_language(text: str | None) -> str | None:
    """The language whose crisis patterns match the message (English first), or None.

    The reply can then come in that language even when nothing else tells which one it is.
    """
    if not text:
        return None
    scans = _scans.get()
    if scans is not None and scans[0] == text:
        return scans[1]
    found = _scan(text)
    if scans is not None:
        scans[:] = [text, found]
    return found


# Within one message: [the text scanned, the language found]; None outside a message.
_scans: ContextVar[list[Any] | None] = ContextVar("haven_crisis_scans", default=None)


@contextmanager
def one_scan_per_message() -> Iterator[None]:
    """Within the block (one message), the same text is scanned for crisis patterns once."""
    token = _scans.set([None, None])
    try:
        yield
    finally:
        _scans.reset(token)


def _scan(text: str) -> str | None:
    squeezed = normalise(text)
    literals = TextLiterals(squeezed)
    for language, screens in crisis_screens().items():
        if any_match(screens, squeezed, literals):
            return language
    return None


def figure_of_speech(text: str | None) -> bool:
    """True when a message is a known figure of speech ("my parents would kill me", "lmao im
    dead") and no crisis pattern matches it: crisis words anywhere make it a crisis."""
    if not text or mentions_crisis(text):
        return False
    squeezed = normalise(text)
    return any_match(_figure_screens(), squeezed, TextLiterals(squeezed))


WEAK_SIGNAL_TOP_GUESSES = 3
WEAK_SIGNAL_CONFIDENCE = 0.10
"""A message the classifier could not place (or no rule fitted) is a weak crisis signal when
`crisis` is among its top three guesses with at least this confidence: it then gets a gentle
"are you safe?" with the crisis lines, never "I didn't get that". The crisis messages the issue
"Understanding v2" found missed had crisis as their first guess, just under the fallback
threshold (then 0.45; now `CrisisSafetyNet`'s `check_below`, haven/rasa_edge/nlu/crisis_net.py,
which also sends such a guess to this check); a gentle question is cheap when the guess was
wrong."""


def weak_crisis_signal(intent_ranking: list[dict] | None) -> bool:
    """True when `crisis` is among the classifier's top guesses (the fallback left aside)."""
    guesses = [
        guess
        for guess in intent_ranking or []
        if isinstance(guess, dict) and guess.get("name") != "nlu_fallback"
    ]
    return any(
        guess.get("name") == "crisis"
        and float(guess.get("confidence") or 0.0) >= WEAK_SIGNAL_CONFIDENCE
        for guess in guesses[:WEAK_SIGNAL_TOP_GUESSES]
    )
