"""The crisis net's fast path (haven/nlu/pattern_screen.py) gives the answers of searching every
pattern.

A pattern is skipped only when none of its `required_literals` is in the text. If the reader of
the patterns were wrong about one pattern, that pattern would miss messages it matches: so every
crisis and figure pattern of every language is checked here against the texts of the crisis
files (their examples, everyday messages and figures, alone and at the end of a 10,000-character
message), against random texts made of their words, and against texts generated from the
pattern itself, which match it by construction.
"""

import random
import re
import string

import pytest

from haven.nlu import crisis_patterns as crisis
from haven.nlu.pattern_screen import (
    ScreenedPattern,
    TextLiterals,
    any_match,
    required_literals,
)
from tests.support.messages import long_message

try:
    from re import _constants as sre  # Python 3.11+
    from re import _parser as sre_parse
except ImportError:
    import sre_constants as sre
    import sre_parse


def seeded(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - the same test texts on every run, not a secret


def every_pattern() -> list[tuple[str, re.Pattern]]:
    patterns = [(code, p) for code, ps in crisis.crisis_patterns().items() for p in ps]
    return patterns + [("figure", p) for p in crisis.figure_patterns()]


def file_texts() -> list[str]:
    texts = []
    for data in crisis._crisis_files(crisis.CRISIS_FILES).values():
        for key in ("examples", "not_crisis"):
            texts += [str(text) for text in data.get(key) or ()]
    return texts


def disagreements(patterns: list[re.Pattern], texts: list[str]) -> list[tuple[str, str]]:
    """(pattern, text) pairs where the screened search and the plain search disagree."""
    screens = [ScreenedPattern.of(pattern) for pattern in patterns]
    found = []
    for text in texts:
        squeezed = crisis.normalise(text)
        literals = TextLiterals(squeezed)
        for screened in screens:
            if screened.search(squeezed, literals) != bool(screened.pattern.search(squeezed)):
                found.append((screened.pattern.pattern, squeezed[-80:]))
    return found


def plain_scan(text: str) -> str | None:
    """What `crisis_language` answered before the screen: every pattern searched, in order."""
    squeezed = crisis.normalise(text)
    for language, patterns in sorted(
        crisis.crisis_patterns().items(), key=lambda item: item[0] != "en"
    ):
        if any(pattern.search(squeezed) for pattern in patterns):
            return language
    return None


# --- what the reader finds ---------------------------------------------------------------


def test_the_strings_of_alternatives_and_optional_words():
    assert required_literals(r"\b(want|wana) (to )?die\b") == {
        "want die",
        "want to die",
        "wana die",
        "wana to die",
    }


def test_what_a_lookbehind_or_lookahead_names_is_not_required():
    assert required_literals(r"(?<!would )(?<!gona )\bkil me\b(?! now)") == {"kil me"}


def test_a_string_that_contains_another_is_left_out():
    assert required_literals(r"\b(bring|bringe) mich um") == {"bring mich um", "bringe mich um"}
    assert required_literals(r"\b(kil|kiled)\w*") == {"kil"}


def test_the_longest_part_stands_for_a_pattern_with_gaps():
    assert required_literals(r"\bmy (gun|rope)\b.{0,25}\bis loaded\b") == {"is loaded"}


@pytest.mark.parametrize(
    "pattern",
    [
        r".*",
        r"\w+in",  # too short once the gap is left out
        r"(?i)suicide",  # the text is lower case, but the reader does not vouch for flags
        r"(?i:suicide)",
        r"(a)?b\1",
        r"[^x]{4,}",
        r"a|b",
    ],
)
def test_patterns_the_reader_cannot_vouch_for_are_always_searched(pattern):
    assert required_literals(pattern) is None
    screened = ScreenedPattern.of(re.compile(pattern))
    assert screened.literals is None


def test_a_case_insensitive_compiled_pattern_is_always_searched():
    assert required_literals(re.compile("suicide", re.IGNORECASE)) is None


def test_nearly_every_crisis_pattern_has_strings_to_look_for():
    # Not needed for a right answer (such a pattern is always searched), but for a cheap one.
    always = [p.pattern for _, p in every_pattern() if required_literals(p) is None]
    assert len(always) <= 0.05 * len(every_pattern()), always


# --- the same answers as searching every pattern ------------------------------------------


def test_every_pattern_agrees_on_the_texts_of_the_crisis_files():
    assert disagreements([p for _, p in every_pattern()], file_texts()) == []


def test_the_scan_agrees_on_everyday_messages_at_the_end_of_a_long_message():
    rng = seeded(7)
    everyday = [
        str(text)
        for data in crisis._crisis_files(crisis.CRISIS_FILES).values()
        for text in data.get("not_crisis") or ()
    ]
    for text in rng.sample(everyday, 20):
        assert crisis._scan(long_message(text)) == plain_scan(long_message(text)), text


def test_every_pattern_agrees_on_random_texts_of_the_files_words():
    words = sorted({w for text in file_texts() for w in crisis.normalise(text).split()})
    rng = seeded(2026)
    texts = [" ".join(rng.choices(words, k=rng.randint(1, 40))) for _ in range(600)]
    assert disagreements([p for _, p in every_pattern()], texts) == []


def sample(items, rng: random.Random) -> str:
    """A string the consuming parts of a parsed pattern match (assertions are left out: the
    caller keeps only the samples the pattern really matches)."""
    alphabet = string.ascii_lowercase + string.digits + " "
    out = []
    for op, av in items:
        if op is sre.LITERAL:
            out.append(chr(av))
        elif op is sre.NOT_LITERAL:
            out.append(rng.choice([c for c in alphabet if ord(c) != av]))
        elif op is sre.ANY:
            out.append(rng.choice(alphabet))
        elif op is sre.IN:
            allowed = [c for c in alphabet if re.fullmatch(sre_parse_in(av), c)]
            out.append(rng.choice(allowed) if allowed else "")
        elif op is sre.CATEGORY:
            out.append(rng.choice(alphabet if av is not sre.CATEGORY_SPACE else " "))
        elif op is sre.SUBPATTERN:
            out.append(sample(av[3], rng))
        elif op is sre.BRANCH:
            out.append(sample(rng.choice(av[1]), rng))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, inner = av
            count = rng.randint(low, min(high, low + 3))
            out.extend(sample(inner, rng) for _ in range(count))
    return "".join(out)


def sre_parse_in(av) -> str:
    """A one-character pattern for a parsed character set."""
    parts, negate = [], ""
    for op, value in av:
        if op is sre.NEGATE:
            negate = "^"
        elif op is sre.LITERAL:
            parts.append(re.escape(chr(value)))
        elif op is sre.RANGE:
            parts.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
        elif op is sre.CATEGORY:
            parts.append({sre.CATEGORY_DIGIT: r"\d", sre.CATEGORY_WORD: r"\w"}.get(value, r"\s"))
    return f"[{negate}{''.join(parts)}]"


def test_every_pattern_agrees_on_texts_made_from_the_pattern_itself():
    rng = seeded(12)
    words = sorted({w for text in file_texts() for w in crisis.normalise(text).split()})
    without_a_match = []
    for _, pattern in every_pattern():
        screened = ScreenedPattern.of(pattern)
        tree = sre_parse.parse(pattern.pattern)
        matched = 0
        for attempt in range(40):
            made = sample(tree, rng)
            around = " ".join(rng.choices(words, k=3))
            texts = [made, f"{around} {made}", f"{made} {around}"]
            for text in texts + ([long_message(made)] if attempt < 3 else []):
                squeezed = " ".join(text.split())
                if pattern.search(squeezed):
                    matched += 1
                    literals = TextLiterals(squeezed)
                    assert screened.search(squeezed, literals), (pattern.pattern, squeezed[-80:])
        if not matched:
            without_a_match.append(pattern.pattern)
    # Samples leave the assertions out, so a few may never match; nearly all must.
    assert len(without_a_match) <= 0.05 * len(every_pattern()), without_a_match


def test_a_crisis_phrase_at_the_end_of_a_long_message_is_found_in_its_language():
    rng = seeded(3)  # some examples of each language (each at the end of a long message)
    for code, data in crisis._crisis_files(crisis.CRISIS_FILES).items():
        examples = [str(example) for example in data.get("examples") or ()]
        for example in rng.sample(examples, min(15, len(examples))):
            text = long_message(example)
            expected = plain_scan(text)
            assert expected is not None, (code, example)
            assert crisis.crisis_language(text) == expected, (code, example)


def test_any_match_is_false_for_no_patterns():
    assert not any_match((), "anything", TextLiterals("anything"))
