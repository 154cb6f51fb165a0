"""The held-out NLU set (tests/nlu_heldout/) stays held out, and big enough to mean something.

scripts/eval_heldout.py scores the trained model on these messages; the figures are honest only
if no training run has seen them, or anything close to them. `rasa train` reads data/ only, so
the files live under tests/; this test checks the other half: that no held-out text is a copy
or near-copy of a text the model or the crisis patterns were built from:

- every training example in data/nlu/**/*.yml (entity annotations stripped),
- every `user:` text of tests/conversations/stories/ (the conversation tests, written alongside
  the data),
- the `examples` and `not_crisis` lists of content/languages/*/crisis.yml (the crisis
  patterns are written and checked against them).

**How similarity is measured.** Both texts are lower-cased, every run of characters other than
letters and digits becomes one space, and the result is padded with a space at each end; each
text is then the set of its character 3-grams, and two texts are near-copies when the Jaccard
index of the sets (shared 3-grams over all 3-grams) is at least 0.7. Character 3-grams see
through the small edits that make a copy look new (a typo, "u" for "you", a dropped word, other
punctuation), while two different sentences on the same topic stay well below 0.7: "i want to
kill myself rn" is a near-copy of "i want to kill myself" (0.88); "my mom will kill me" is not
one of "my dad will kill me if he finds out" (0.32). Jaccard also counts what only the longer
text has, so a short message is not flagged for being part of a long one: "how do i block him"
against "how do i block him and report his account too" scores 0.41.
No model is needed; the test runs with the unit tests.

The test also checks that every pack of content/languages/ has its held-out file, the counts the
issue "Understanding v2" asked for (English and Spanish, then every other language with a file
here), and that every entry is well formed (a known intent, kind, age band and region, a batch
number from 1 where one is given, and known question topics, `haven.nlu.questions.TOPICS`, where
`questions:` names them).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from haven.nlu.questions import TOPICS
from haven.packs.content import content
from tests.support import PROJECT

HELDOUT = PROJECT / "tests" / "nlu_heldout"
NEAR_COPY = 0.7
KINDS = {"crisis", "figure", "age", "place", "other"}
BANDS = {"minor", "adult"}
_ANNOTATION = re.compile(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})")  # [uk](region) -> uk
_NOT_WORD = re.compile(r"[^\w]+|_+")

MINIMUM_MESSAGES = {"en": 150, "es": 100}
MINIMUM_BY_KIND = {"crisis": 40, "figure": 20, "age": 20, "place": 20}
OTHER_LANGUAGES = tuple(sorted({p.stem for p in HELDOUT.glob("*.yml")} - set(MINIMUM_MESSAGES)))
"""Every held-out file but English's and Spanish's: the smaller counts below apply to them."""
MINIMUM_CRISIS_OTHER = 25
MINIMUM_FIGURES_OTHER = 10
MINIMUM_MESSAGES_OTHER = 80  # issue 17: at least 80, 25 of them crisis and 10 figures


def heldout_sets() -> dict[str, list[dict]]:
    """Each language's held-out entries, read from tests/nlu_heldout/<language>.yml."""
    sets = {}
    for path in sorted(HELDOUT.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["language"] == path.stem, f"{path.name} says its language is {data['language']}"
        sets[path.stem] = data["messages"]
    return sets


def training_texts() -> set[str]:
    """Every text a model or the crisis patterns were built from (see the module docstring)."""
    texts: set[str] = set()
    for path in sorted((PROJECT / "data" / "nlu").rglob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                text = _ANNOTATION.sub(r"\1", line.strip().removeprefix("- ").strip())
                if text:
                    texts.add(text)
    for path in sorted((PROJECT / "tests" / "conversations" / "stories").glob("*.yml")):
        for story in yaml.safe_load(path.read_text(encoding="utf-8")).get("stories") or []:
            for step in story.get("steps") or []:
                if step.get("user"):
                    texts.add(str(step["user"]).strip())
    for path in sorted((PROJECT / "content" / "languages").glob("*/crisis.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts.update(str(text) for text in (data.get("examples") or []))
        texts.update(str(text) for text in (data.get("not_crisis") or []))
    return texts


def trigrams(text: str) -> frozenset[str]:
    """The character 3-grams of the lower-cased, punctuation-free, padded text."""
    folded = " " + " ".join(_NOT_WORD.sub(" ", text.lower()).split()) + " "
    return frozenset(folded[i : i + 3] for i in range(len(folded) - 2))


def jaccard(first: frozenset[str], second: frozenset[str]) -> float:
    """Shared 3-grams over all 3-grams of the two texts."""
    if not first and not second:
        return 1.0
    return len(first & second) / len(first | second)


def near_copies(texts: list[str], sources: set[str]) -> list[tuple[str, str, float]]:
    """(held-out text, training text, similarity) for every pair at or above NEAR_COPY."""
    source_grams = [(source, trigrams(source)) for source in sources]
    found = []
    for text in texts:
        grams = trigrams(text)
        for source, other in source_grams:
            # Jaccard >= t needs the smaller set to be at least t times the larger one.
            if min(len(grams), len(other)) < NEAR_COPY * max(len(grams), len(other)):
                continue
            score = jaccard(grams, other)
            if score >= NEAR_COPY:
                found.append((text, source, round(score, 2)))
    return found


@pytest.fixture(scope="module")
def sets():
    return heldout_sets()


def test_every_pack_has_a_heldout_set():
    # Without one, `make eval-heldout` has no honest figure for the language (docs/localize.md).
    missing = [
        f"tests/nlu_heldout/{code}.yml"
        for code in sorted(content().languages)
        if not (HELDOUT / f"{code}.yml").is_file()
    ]
    assert missing == [], "packs with no held-out set; write: " + ", ".join(missing)


def test_the_similarity_measure_flags_copies_and_spares_different_sentences():
    assert jaccard(trigrams("I want to kill myself!"), trigrams("i want to kill myself")) == 1.0
    assert jaccard(trigrams("i want to kill myself"), trigrams("i want to kill myself rn")) >= 0.7
    assert (
        jaccard(trigrams("my dad will kill me if he finds out"), trigrams("my mom will kill me"))
        < 0.7
    )
    assert near_copies(["hi there"], {"hi there!!", "how do i block him"}) == [
        ("hi there", "hi there!!", 1.0)
    ]


def test_no_heldout_text_is_a_copy_or_near_copy_of_a_training_text(sets):
    texts = [entry["text"] for entries in sets.values() for entry in entries]
    assert near_copies(texts, training_texts()) == []


def test_no_heldout_text_appears_twice(sets):
    folded = Counter(
        " ".join(_NOT_WORD.sub(" ", entry["text"].lower()).split())
        for entries in sets.values()
        for entry in entries
    )
    assert [text for text, count in folded.items() if count > 1] == []


def test_every_entry_names_a_known_intent_kind_band_region_and_question_topics(sets):
    domain = yaml.safe_load((PROJECT / "domain.yml").read_text(encoding="utf-8"))
    intents = set(domain["intents"])
    regions = {path.stem for path in (PROJECT / "content" / "regions").glob("*.yml")}
    wrong = []
    for language, entries in sets.items():
        for entry in entries:
            kind = entry.get("kind", "other")
            problems = [
                entry.get("intent") not in intents and "unknown intent",
                kind not in KINDS and "unknown kind",
                kind == "age" and entry.get("age_band") not in BANDS and "no age band",
                kind == "place" and entry.get("region") not in regions and "unknown region",
                not str(entry.get("text") or "").strip() and "no text",
                not _is_batch(entry.get("batch", 1)) and "batch is not a whole number from 1",
                not _are_topics(entry.get("questions", [])) and "questions are not known topics",
            ]
            wrong += [(language, entry.get("text"), p) for p in problems if p]
    assert wrong == []


def _are_topics(value: object) -> bool:
    return isinstance(value, list) and all(topic in TOPICS for topic in value)


def _is_batch(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@pytest.mark.parametrize("language", sorted(MINIMUM_MESSAGES))
def test_english_and_spanish_hold_the_messages_the_issue_asks_for(sets, language):
    entries = sets[language]
    kinds = Counter(entry.get("kind", "other") for entry in entries)
    assert len(entries) >= MINIMUM_MESSAGES[language]
    for kind, minimum in MINIMUM_BY_KIND.items():
        assert kinds[kind] >= minimum, f"{language}: {kinds[kind]} {kind} messages"
    bands = Counter(entry["age_band"] for entry in entries if entry.get("kind") == "age")
    assert bands["minor"] >= 5 and bands["adult"] >= 5
    places = [entry for entry in entries if entry.get("kind") == "place"]
    assert sum(entry["intent"] == "choose_region" for entry in places) >= 3  # negated places
    assert sum(entry.get("kind", "other") == "other" for entry in entries) >= 10


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_each_other_language_holds_crisis_messages_and_figures_of_speech(sets, language):
    kinds = Counter(entry.get("kind", "other") for entry in sets[language])
    assert len(sets[language]) >= MINIMUM_MESSAGES_OTHER
    assert kinds["crisis"] >= MINIMUM_CRISIS_OTHER
    assert kinds["figure"] >= MINIMUM_FIGURES_OTHER
