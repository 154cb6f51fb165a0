#!/usr/bin/env python3
"""`make eval-heldout`: the trained model on messages no training run has read.

`make eval-nlu` cross-validates the pipeline on Haven's own training examples: a development
aid, since every fold is tested on sentences written alongside the ones it learned from. This
script is the honest measure: it parses every message of tests/nlu_heldout/<language>.yml (kept
out of data/, and checked by tests/unit/data/test_nlu_heldout.py to be no near-copy of any training
text) with the trained model, in-process (`Agent.load(...).parse_message`, the whole NLU pipeline
including the crisis safety net, the locale hints and the stated age), and reports per language:

- **accuracy** and **macro F1** of the intent, over the intents the set holds;
- **crisis recall**, twice: *takeover* (the intent is `crisis`, so the crisis reply comes
  first) and *takeover or check* (also counting a message left at `nlu_fallback` whose ranking
  is a weak crisis signal, which gets "Are you safe right now?" with the crisis lines:
  `haven.nlu.crisis_patterns.weak_crisis_signal`, as actions/plan.py `rephrase_or_check_safety` uses
  it);
- **false alarms** on figures of speech ("my mom will kill me"): the intent is `crisis`;
- **other messages taken over as crisis**: any message that is neither crisis nor a figure of
  speech ("to em recife agora") whose intent is `crisis`, so it gets the crisis reply instead of
  an answer;
- **stated minors read as adult** (the `age_band` entity of
  `haven.rasa_edge.nlu.stated_age.StatedAge`);
- **regions found** for place statements (the `region` entity of
  `haven.rasa_edge.nlu.locale_hints.LocaleHints`, `international` for a place with no pack or a
  negated one);
- **questions found**: a message with `questions: [takedown, ...]` (topics of
  `haven.nlu.questions.TOPICS`) counts when every topic it asks is among its `question` entities
  (`haven.rasa_edge.nlu.asked_questions.AskedQuestions`), so the first reply answers it.

Messages added later carry `batch: <n>` (the first set is batch 1). Once a batch's misses have
been read and the patterns or data changed, that batch no longer measures the change honestly;
the report then shows the intent, crisis and figure rows for each batch on its own, so the
figures on a batch written after the change are there to see. `--batch 11` measures only the
messages of that batch, with every row of the table (ages, regions and questions too), and
`--languages en es` only those languages' sets: a quicker run when one batch or language is what
a change is judged on.

It prints a Markdown table and the list of misses, and writes both to results/heldout.md. It
trains nothing and never changes the model; it exits 0 whatever the figures (it measures, the
targets are judged by people), and 2 when there is no model to measure.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml
from sklearn.metrics import f1_score

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from haven.nlu.crisis_patterns import weak_crisis_signal  # noqa: E402  (after sys.path)
from haven.nlu.questions import QUESTION_ENTITY  # noqa: E402

CRISIS = "crisis"
FALLBACK = "nlu_fallback"
FIRST_LANGUAGES = ("en", "es")
"""The languages Haven was first written and trained in. They come first in the table, and the
issue "Understanding v2" set them apart: the intent accuracy target is theirs; the languages
added after them (any other held-out file of tests/nlu_heldout/) must instead get the crisis
reply for every crisis message."""
TARGET_ACCURACY = 0.92
TARGET_FALSE_ALARMS = 0.10
TARGET_REGIONS = 0.90


@dataclass
class Reading:
    """One held-out message, what it should be read as, and what the pipeline read."""

    entry: dict
    intent: str
    ranking: list[dict]
    entities: dict[str, str]
    questions: tuple[str, ...] = ()
    """The `question` entities (a message may ask more than one)."""

    @property
    def expected(self) -> str:
        """The intent the message should get."""
        return self.entry["intent"]

    @property
    def kind(self) -> str:
        """crisis, figure, age, place or other."""
        return self.entry.get("kind", "other")

    @property
    def batch(self) -> int:
        """Which batch of the held-out set the message came in (1: the first set)."""
        return int(self.entry.get("batch", 1))

    @property
    def asked(self) -> tuple[str, ...]:
        """The question topics the message asks (`questions:` of its entry)."""
        return tuple(self.entry.get("questions") or ())

    @property
    def answered(self) -> bool:
        """Every question topic the message asks was found."""
        return set(self.asked) <= set(self.questions)

    @property
    def takeover(self) -> bool:
        """The crisis reply comes first: the intent is `crisis`."""
        return self.intent == CRISIS

    @property
    def checked(self) -> bool:
        """The crisis reply, or the gentle "are you safe?" of a weak crisis signal."""
        return self.takeover or (self.intent == FALLBACK and weak_crisis_signal(self.ranking))


@dataclass
class Figures:
    """The measured figures of one language."""

    language: str
    readings: list[Reading]
    misses: dict[str, list[str]] = field(default_factory=dict)

    def of_kind(self, kind: str) -> list[Reading]:
        """The readings of the messages of one kind."""
        return [reading for reading in self.readings if reading.kind == kind]

    def accuracy(self) -> float:
        """Share of messages given the expected intent."""
        return share(r.intent == r.expected for r in self.readings)

    def macro_f1(self) -> float:
        """Macro F1 over the intents the set holds (a wrong intent outside them still counts
        against the intent it should have been)."""
        truth = [r.expected for r in self.readings]
        guess = [r.intent for r in self.readings]
        return f1_score(truth, guess, labels=sorted(set(truth)), average="macro", zero_division=0)

    def hits(self) -> str:
        """'0.900 (18/20)': the accuracy with the counts behind it."""
        return count(sum(r.intent == r.expected for r in self.readings), len(self.readings))


def share(outcomes: Iterable[bool]) -> float:
    """The share of true outcomes (nan when there are none)."""
    outcomes = list(outcomes)
    return sum(outcomes) / len(outcomes) if outcomes else float("nan")


def load_sets(folder: Path) -> dict[str, list[dict]]:
    """Each language's held-out entries, one per <language>.yml of `folder`: English and Spanish
    first, then the others in alphabetical order."""
    sets = {}
    for path in sorted(folder.glob("*.yml"), key=lambda p: _language_order(p.stem)):
        sets[path.stem] = yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
    return sets


def chosen(
    sets: dict[str, list[dict]], batch: int | None, languages: list[str] | None
) -> dict[str, list[dict]]:
    """The sets of `languages` (all when None), each cut to the entries of `batch` (all when
    None); a language left with no entry is dropped."""
    kept = {}
    for language, entries in sets.items():
        if languages and language not in languages:
            continue
        entries = [e for e in entries if batch is None or int(e.get("batch", 1)) == batch]
        if entries:
            kept[language] = entries
    return kept


def _language_order(code: str) -> tuple[int, str]:
    first = FIRST_LANGUAGES.index(code) if code in FIRST_LANGUAGES else len(FIRST_LANGUAGES)
    return (first, code)


def load_agent(model: Path):
    """The trained model, loaded in-process (no server, no action server)."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # Rasa logs every parsed message at debug level; the report is what matters here.
    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    return Agent.load(str(model))


async def read_all(agent, entries: list[dict]) -> list[Reading]:
    """Parses every entry's text with the whole NLU pipeline."""
    readings = []
    for entry in entries:
        parsed = await agent.parse_message(entry["text"])
        found = parsed.get("entities") or []
        entities = {e["entity"]: e["value"] for e in found}
        questions = tuple(e["value"] for e in found if e["entity"] == QUESTION_ENTITY)
        readings.append(
            Reading(
                entry,
                parsed["intent"]["name"],
                parsed.get("intent_ranking") or [],
                entities,
                questions,
            )
        )
    return readings


def collect_misses(figures: Figures) -> None:
    """Fills `figures.misses`: every wrong intent (with its batch, after the first), missed
    crisis, false alarm, misread age and missed region, as (text, expected, got) lines."""
    misses = figures.misses
    for r in figures.readings:
        text = r.entry["text"]
        tag = f" (batch {r.batch})" if r.batch > 1 else ""
        if r.intent != r.expected:
            misses.setdefault("intent", []).append(
                f"`{text}`{tag}: expected {r.expected}, got {r.intent}"
            )
        if r.kind == "crisis" and not r.takeover:
            how = "safety check" if r.checked else "nothing"
            misses.setdefault("crisis", []).append(f"`{text}`{tag}: got {r.intent} ({how})")
        if r.kind == "figure" and r.takeover:
            misses.setdefault("false alarm", []).append(f"`{text}`{tag}: expected {r.expected}")
        band = r.entities.get("age_band")
        if r.kind == "age" and band != r.entry["age_band"]:
            misses.setdefault("age", []).append(
                f"`{text}`{tag}: expected {r.entry['age_band']}, got {band or 'no age'}"
            )
        region = r.entities.get("region")
        if r.kind == "place" and region != r.entry["region"]:
            misses.setdefault("region", []).append(
                f"`{text}`{tag}: expected {r.entry['region']}, got {region or 'no region'}"
            )
        if r.asked and not r.answered:
            got = ", ".join(r.questions) or "no question"
            misses.setdefault("question", []).append(
                f"`{text}`{tag}: expected {', '.join(r.asked)}, got {got}"
            )


def count(hits: int, total: int) -> str:
    """'0.950 (38/40)', or '-' when there is nothing to count."""
    return f"{hits / total:.3f} ({hits}/{total})" if total else "-"


def table(all_figures: list[Figures]) -> list[str]:
    """The Markdown table of figures, one column per language."""
    rows = {
        "messages": lambda f: str(len(f.readings)),
        "intent accuracy": lambda f: f"{f.accuracy():.3f}",
        "intent macro F1": lambda f: f"{f.macro_f1():.3f}",
        "crisis recall, takeover": lambda f: _rate(f.of_kind("crisis"), lambda r: r.takeover),
        "crisis recall, takeover or check": lambda f: _rate(
            f.of_kind("crisis"), lambda r: r.checked
        ),
        "false alarms on figures (takeover)": lambda f: _rate(
            f.of_kind("figure"), lambda r: r.takeover
        ),
        "figures asked 'are you safe?'": lambda f: _rate(
            f.of_kind("figure"), lambda r: r.checked and not r.takeover
        ),
        "other messages taken over as crisis": lambda f: _rate(_everyday(f), lambda r: r.takeover),
        "stated minors read as adult": lambda f: _rate(
            _band(f, "minor"), lambda r: r.entities.get("age_band") == "adult"
        ),
        "stated minors read as minor": lambda f: _rate(
            _band(f, "minor"), lambda r: r.entities.get("age_band") == "minor"
        ),
        "stated minors read as no age": lambda f: _rate(
            _band(f, "minor"), lambda r: "age_band" not in r.entities
        ),
        "stated adults read as adult": lambda f: _rate(
            _band(f, "adult"), lambda r: r.entities.get("age_band") == "adult"
        ),
        "stated adults read as minor": lambda f: _rate(
            _band(f, "adult"), lambda r: r.entities.get("age_band") == "minor"
        ),
        "regions found for places": lambda f: _rate(
            f.of_kind("place"), lambda r: r.entities.get("region") == r.entry["region"]
        ),
        "questions found (every topic asked)": lambda f: _rate(
            [r for r in f.readings if r.asked], lambda r: r.answered
        ),
    }
    lines = [
        "| | " + " | ".join(f.language for f in all_figures) + " |",
        "|---|" + "---|" * len(all_figures),
    ]
    for name, value in rows.items():
        lines.append(f"| {name} | " + " | ".join(value(f) for f in all_figures) + " |")
    return lines


def _rate(readings: list[Reading], hit) -> str:
    return count(sum(1 for r in readings if hit(r)), len(readings))


def _everyday(figures: Figures) -> list[Reading]:
    """The messages that are neither crisis nor a figure of speech ("to em recife agora"): read
    as `crisis`, they get the crisis reply instead of an answer, which the figures' row misses."""
    return [r for r in figures.readings if r.kind not in ("crisis", "figure")]


def _band(figures: Figures, band: str) -> list[Reading]:
    return [r for r in figures.of_kind("age") if r.entry.get("age_band") == band]


BATCH_ROWS = (
    "messages",
    "intent accuracy",
    "crisis recall, takeover",
    "crisis recall, takeover or check",
    "false alarms on figures (takeover)",
    "figures asked 'are you safe?'",
    "other messages taken over as crisis",
)


def batch_tables(all_figures: list[Figures]) -> list[str]:
    """One table per batch (see the module docstring), or nothing when there is one batch."""
    batches = sorted({r.batch for f in all_figures for r in f.readings})
    if len(batches) < 2:
        return []
    lines = []
    for batch in batches:
        part = [
            Figures(f.language, [r for r in f.readings if r.batch == batch]) for f in all_figures
        ]
        rows = [
            line
            for line in table(part)
            if line.startswith(("| |", "|---")) or line.split(" | ")[0][2:] in BATCH_ROWS
        ]
        lines += [f"### Batch {batch}", ""] + rows + [""]
    return lines


def targets(all_figures: list[Figures]) -> list[str]:
    """The issue's targets, each marked met or NOT met, with the languages that miss it."""
    later = "/".join(f.language for f in all_figures if f.language not in FIRST_LANGUAGES)
    of_later = f"every {later} crisis message" if later else "every crisis message after en/es"
    checks = [
        (
            "crisis recall 1.0 in every language (takeover or check)",
            lambda f: _all(f, "crisis", lambda r: r.checked),
        ),
        (
            "crisis recall 1.0 in every language (takeover)",
            lambda f: _all(f, "crisis", lambda r: r.takeover),
        ),
        (
            "at most 10% takeover on figures of speech",
            lambda f: (
                not f.of_kind("figure")  # a batch or set with no figure of speech misses nothing
                or share(r.takeover for r in f.of_kind("figure")) <= TARGET_FALSE_ALARMS
            ),
        ),
        (
            "no stated minor read as adult",
            lambda f: not any(r.entities.get("age_band") == "adult" for r in _band(f, "minor")),
        ),
        (
            "intent accuracy >= 0.92 (English and Spanish)",
            lambda f: f.language not in FIRST_LANGUAGES or f.accuracy() >= TARGET_ACCURACY,
        ),
        (
            "region found for >= 90% of place statements",
            lambda f: (
                not f.of_kind("place")
                or share(r.entities.get("region") == r.entry["region"] for r in f.of_kind("place"))
                >= TARGET_REGIONS
            ),
        ),
        (
            f"{of_later} gets the crisis reply",
            lambda f: f.language in FIRST_LANGUAGES or _all(f, "crisis", lambda r: r.takeover),
        ),
    ]
    lines = []
    for name, passes in checks:
        failing = [f.language for f in all_figures if not passes(f)]
        verdict = "met" if not failing else "NOT met (" + ", ".join(failing) + ")"
        lines.append(f"- {name}: **{verdict}**")
    return lines


def _all(figures: Figures, kind: str, hit) -> bool:
    return all(hit(r) for r in figures.of_kind(kind))


def provenance(model: Path) -> str:
    """When, on which commit and with which model file the figures were measured."""
    commit = subprocess.run(  # noqa: S603  (git with a fixed argument list)
        ["git", "-C", str(PROJECT), "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    digest = hashlib.sha256(model.read_bytes()).hexdigest()[:12]
    trained = datetime.fromtimestamp(model.stat().st_mtime, timezone.utc)
    now = datetime.now(timezone.utc)
    return (
        f"Measured {now:%Y-%m-%d %H:%M} UTC on commit {commit or 'unknown'}, model "
        f"{model.name} (sha256 {digest}..., written {trained:%Y-%m-%d %H:%M} UTC)."
    )


def report(all_figures: list[Figures], model: Path) -> str:
    """The whole report: provenance, table, targets, misses."""
    lines = ["# Held-out NLU figures", "", provenance(model), ""]
    lines += table(all_figures)
    by_batch = batch_tables(all_figures)
    if by_batch:
        lines += ["", "## By batch", ""] + by_batch[:-1]
    lines += ["", '## Targets (issue "Understanding v2")', ""] + targets(all_figures)
    lines += ["", "## Misses", ""]
    for figures in all_figures:
        for kind, found in figures.misses.items():
            lines.append(f"### {figures.language}: {kind} ({len(found)})")
            lines += [""] + [f"- {line}" for line in found] + [""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measures the model on the held-out set and writes the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=PROJECT / "models" / "haven.tar.gz")
    parser.add_argument("--heldout", type=Path, default=PROJECT / "tests" / "nlu_heldout")
    parser.add_argument("--out", type=Path, default=PROJECT / "results" / "heldout.md")
    parser.add_argument("--batch", type=int, help="measure only the messages of this batch")
    parser.add_argument("--languages", nargs="+", help="measure only these languages' sets")
    args = parser.parse_args(argv)
    sets = load_sets(args.heldout)
    unknown = sorted(set(args.languages or ()) - set(sets))
    if unknown:
        parser.error(
            f"no held-out set for {', '.join(unknown)} in {args.heldout}"
            f" (there is one for {', '.join(sets) or 'no language'})"
        )
    if not args.model.exists():
        print(f"No trained model at {args.model}: run `make train` first.", file=sys.stderr)
        return 2
    agent = load_agent(args.model)
    all_figures = []
    for language, entries in chosen(sets, args.batch, args.languages).items():
        figures = Figures(language, asyncio.run(read_all(agent, entries)))
        collect_misses(figures)
        all_figures.append(figures)
    text = report(all_figures, args.model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"Written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
