"""What Haven says between the acknowledgement of a disclosure and the step it shows.

Someone who leaves after one reply must already have what they asked for, and the line for their
country. So, after "I'm sorry this is happening", the reply answers each question the message
asked (`haven.nlu.questions`), gives an adult the adult route, and, on the first reply, names the
line to talk to someone now when the region is known; then the plan goes on. This module only
chooses the response keys; what they say is in content/languages/<lang>/responses.yml, with the
region's lines and tools filled in by `haven.packs.render`.
"""

from __future__ import annotations

from collections.abc import Iterable

from haven.nlu.facts import ADULT
from haven.nlu.questions import TOPICS

ANSWER_PREFIX = "utter_answer_"
ADULT_ROUTE = "utter_answer_adult_route"
REGION_LINE = "utter_answer_region_line"


def answer_keys(
    topics: Iterable[str],
    *,
    plan_started: bool,
    age_band: str | None,
    region_known: bool,
) -> list[str]:
    """The responses to give before the step, in order.

    Each asked topic gets its answer. Before the plan starts, an adult gets the adult route
    (StopNCII) unless the takedown answer already gives it, and a known region gets its line.
    """
    wanted = set(topics)  # read once: `topics` may be a generator
    asked = [topic for topic in TOPICS if topic in wanted]
    keys = [f"{ANSWER_PREFIX}{topic}" for topic in asked]
    if plan_started:
        return keys
    if age_band == ADULT and "takedown" not in asked:
        keys.append(ADULT_ROUTE)
    if region_known:
        keys.append(REGION_LINE)
    return keys
