"""The counters, and one function per thing that is counted (each call site is one line).

| series (`haven_...`)               | labels (fixed values)                | counted by           |
|------------------------------------|--------------------------------------|----------------------|
| `conversations_started`            | -                                    | conversation_started |
| `plan_steps_reached`               | `step`: 1 to 8 (haven/plan/steps.py) | plan_step_reached    |
| `crisis_replies`                   | `kind`: `direct`, `gentle`           | response_sent        |
|                                    |                                      | crisis_reply         |
| `handoff_requests`                 | `risk`: `yes`, `no` (crisis seen)    | handoff_requested    |
| `handoff_wait_seconds` (histogram) | buckets: 1, 5, 15, 30, 60 min        | handoff_claimed      |
| `handoff_claims`                   | -                                    | handoff_claimed      |
| `handoff_expiries`                 | -                                    | handoffs_expired     |
| `helped_answers`                   | `answer`: `yes`, `a_bit`, `no`       | helped_answer        |
| `end_of_chat_tags`                 | `tag`: `END_OF_CHAT_TAGS`            | end_of_chat_tag      |

Every counter's series ends in `_total`; the histogram's in `_bucket`, `_count`, `_sum`.

A value that is not one of a label's fixed values is not counted (the function returns False),
so no call can ever add a series. Waits are rounded to whole minutes before they are observed:
the histogram's `_sum` is then no finer than the buckets need.

The counters are in Haven's own registry (`REGISTRY`), not prometheus-client's default one, so
`/metrics` shows these series and nothing else a library might register (process details, the
Python version).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from haven.plan.steps import STEPS

REGISTRY = CollectorRegistry(auto_describe=True)

CRISIS_REPLIES = {"utter_crisis": "direct", "utter_safety_check": "gentle"}
"""The responses that are crisis replies, and their kind: the crisis lines as the answer
(data/rules/crisis.yml), or the gentle "are you safe?" for a weak signal (actions/plan.py)."""
CRISIS_KINDS = ("direct", "gentle")
HELPED_ANSWERS = ("yes", "a_bit", "no")
"""The answers to "did this help?"."""


def _end_tags_of_handoff_yml() -> tuple[str, ...]:
    from haven.settings import HandoffSettings

    return HandoffSettings.load(environ={}).end_tags  # the file only: the tags have no override


END_OF_CHAT_TAGS = _end_tags_of_handoff_yml()
"""What a counselor may tag a chat with when it ends: handoff.yml's `end_tags`, a fixed list
the NGO chooses, never free text."""
WAIT_BUCKETS_SECONDS = (60.0, 300.0, 900.0, 1800.0, 3600.0, float("inf"))
"""Coarse: within a minute, 5, 15 and 30 minutes, an hour, longer."""

conversations_started = Counter(
    "haven_conversations_started",
    "Conversations started (a message for a conversation that has nothing stored).",
    registry=REGISTRY,
)
plan_steps_reached = Counter(
    "haven_plan_steps_reached",
    "Plan steps a conversation reached for the first time, by step number.",
    ["step"],
    registry=REGISTRY,
)
crisis_replies = Counter(
    "haven_crisis_replies",
    "Crisis replies sent: direct (the crisis lines) or gentle (are you safe?).",
    ["kind"],
    registry=REGISTRY,
)
handoff_requests = Counter(
    "haven_handoff_requests",
    "New requests to talk to a counselor, by whether crisis came up in the conversation.",
    ["risk"],
    registry=REGISTRY,
)
handoff_wait = Histogram(
    "haven_handoff_wait_seconds",
    "How long a young person waited until a counselor claimed the chat (whole minutes).",
    buckets=WAIT_BUCKETS_SECONDS,
    registry=REGISTRY,
)
handoff_claims = Counter("haven_handoff_claims", "Requests a counselor claimed.", registry=REGISTRY)
handoff_expiries = Counter(
    "haven_handoff_expiries",
    "Waiting requests deleted unclaimed after keep_minutes (handoff.yml).",
    registry=REGISTRY,
)
helped_answers = Counter(
    "haven_helped_answers",
    'Answers to "did this help?".',
    ["answer"],
    registry=REGISTRY,
)
end_of_chat_tags = Counter(
    "haven_end_of_chat_tags",
    "Tags counselors gave chats when they ended.",
    ["tag"],
    registry=REGISTRY,
)

STEP_NUMBERS = {step: str(number) for number, step in enumerate(STEPS, start=1)}
LABELS = {
    plan_steps_reached: STEP_NUMBERS.values(),
    crisis_replies: CRISIS_KINDS,
    handoff_requests: ("yes", "no"),
    helped_answers: HELPED_ANSWERS,
    end_of_chat_tags: END_OF_CHAT_TAGS,
}
for _counter, _values in LABELS.items():
    for _value in _values:
        _counter.labels(_value)  # every series there from the start, at zero

EXPOSED_SAMPLES = frozenset(
    sample
    for metric in REGISTRY.collect()
    for sample in {s.name for s in metric.samples}
    if not sample.endswith("_created")
)
"""The sample names `/metrics` shows: all of the above but the `_created` timestamps."""
EXPOSED = REGISTRY.restricted_registry(EXPOSED_SAMPLES)
"""What `/metrics` shows: Haven's series, read live at each scrape, without `_created`."""

Encoder = Callable[[Any], bytes]


def exposition(encoder: Encoder = generate_latest) -> bytes:
    """The counts in Prometheus' text format (or `encoder`'s, e.g. prometheus-client's
    OpenMetrics one, as `choose_encoder` picks it), without `_created` series."""
    return encoder(EXPOSED)


def conversation_started() -> None:
    """A conversation began."""
    conversations_started.inc()


def plan_step_reached(step: str) -> bool:
    """A conversation reached the plan step `step` (its name) for the first time."""
    number = STEP_NUMBERS.get(step)
    if number is not None:
        plan_steps_reached.labels(number).inc()
    return number is not None


def response_sent(response: str) -> bool:
    """Rasa sent the response `response`; counted if it is one of `CRISIS_REPLIES`."""
    return crisis_reply(CRISIS_REPLIES.get(response, ""))


def crisis_reply(kind: str) -> bool:
    """A crisis reply of `kind` ("direct" or "gentle") was sent, by Rasa or by a channel (the
    crisis lines for a message to a counselor)."""
    return _count_if_known(crisis_replies, CRISIS_KINDS, kind)


def handoff_requested(risk: bool) -> None:
    """A new request for a counselor was filed (a refreshed one is not new)."""
    handoff_requests.labels("yes" if risk else "no").inc()


def handoff_claimed(waited_seconds: float) -> None:
    """A counselor claimed a request after it had waited `waited_seconds`."""
    handoff_claims.inc()
    handoff_wait.observe(round(max(0.0, waited_seconds) / 60) * 60.0)


def handoffs_expired(count: int) -> None:
    """`count` waiting requests expired unclaimed."""
    if count > 0:
        handoff_expiries.inc(count)


def helped_answer(answer: str) -> bool:
    """A young person answered "did this help?" with one of `HELPED_ANSWERS`."""
    return _count_if_known(helped_answers, HELPED_ANSWERS, answer)


def end_of_chat_tag(tag: str) -> bool:
    """A counselor tagged an ended chat with one of `END_OF_CHAT_TAGS`."""
    return _count_if_known(end_of_chat_tags, END_OF_CHAT_TAGS, tag)


def _count_if_known(counter: Counter, known: tuple[str, ...], value: object) -> bool:
    if value not in known:
        return False  # never a new series, whatever the caller passed
    counter.labels(str(value)).inc()
    return True
